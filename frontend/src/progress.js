// Warming progress over the websocket /ws/images/<id>/.

export function watchProgress(imageId, element, onReady) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/images/${imageId}/`);
  const bar = element.querySelector("progress");
  const label = element.querySelector("span");
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "progress") {
      element.hidden = false;
      bar.value = event.percent;
      label.textContent = `Warming: ${event.percent.toFixed(0)} %`;
    } else if (event.type === "state") {
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
    }
  });
  return socket;
}
