// Warming progress over the websocket /ws/images/<id>/.

// The websocket URL of ``path`` (``/ws/...``) on this page's host and scheme.
export function socketURL(path) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}

// Follow image ``imageId``: onState(event) for each state (pending, warming, ready,
// failed, with its progress 0..1), onProgress(percent) as the pyramid is built. With
// ``untilDone`` the socket closes once the image is ready or failed. Returns the socket.
export function followWarming(imageId, { onState = () => {}, onProgress = () => {}, untilDone = false } = {}) {
  const socket = new WebSocket(socketURL(`/ws/images/${Number(imageId)}/`));
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "progress") onProgress(event.percent);
    else if (event.type === "state") {
      onState(event);
      if (untilDone && (event.state === "ready" || event.state === "failed")) socket.close();
    }
  });
  return socket;
}

// The viewer's progress line: ``element`` holds a <progress> and a <span>; it is hidden
// once the image is ready, and onReady(event) called.
export function watchProgress(imageId, element, onReady) {
  const bar = element.querySelector("progress");
  const label = element.querySelector("span");
  return followWarming(imageId, {
    onProgress(percent) {
      // A worker's last progress message may come after its "ready": it changes nothing.
      if (element.dataset.state === "ready" || element.dataset.state === "failed") return;
      element.hidden = false;
      bar.value = percent;
      label.textContent = `Warming: ${percent.toFixed(0)} %`;
    },
    onState(event) {
      element.dataset.state = event.state;
      if (event.state === "ready") {
        bar.value = 100;
        label.textContent = "Ready";
        element.hidden = true;
        onReady(event);
      } else if (event.state === "failed") {
        element.hidden = false;
        label.textContent = `Failed: ${event.reason}`;
      } else {
        element.hidden = false;
        bar.value = 100 * event.progress;
        label.textContent = event.state === "pending" ? "Queued" : "Warming";
      }
    },
  });
}
