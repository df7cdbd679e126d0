// The collection page's upload form: many FITS images and catalog files (.reg, .csv,
// .tsv, .geojson) at once, each with its own row and progress bar: the upload, then the
// image's warming (or the catalog's import). The server's message is shown when it
// refuses a file. Each registered image is announced on the form ("fp:image-added"),
// and its states as it is warmed ("fp:image-state").
import { element, link } from "./dom.js";
import { followWarming } from "./progress.js";

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const CATALOG = /\.(reg|csv|tsv|txt|geojson|json)$/i;
const AT_ONCE = 2; // uploads in flight together: the others wait their turn

function sizeText(bytes) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

// One file's row: its name and size, a bar, and what is happening to it.
function fileRow(file) {
  const bar = element("progress", { max: 100, value: 0 });
  const status = element("span", { className: "fp-file-status" }, "Waiting");
  const name = element("span", { className: "fp-file-name" }, file.name);
  const row = element("li", { className: "fp-file" }, name,
    element("span", { className: "fp-file-size" }, sizeText(file.size)), bar, status);
  bar.setAttribute("aria-label", `Progress of ${file.name}`);
  return { row, bar, status, name, set(state, text) {
    row.dataset.state = state;
    row.className = `fp-file state-${state}`;
    status.textContent = text;
  } };
}

function send(url, form, item) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = (100 * event.loaded) / event.total;
      item.bar.value = percent;
      item.status.textContent = percent < 100 ? `Uploading ${percent.toFixed(0)} %` : "Checking the file…";
    });
    request.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { body = {}; }
      resolve({ ok: request.status < 300, status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ ok: false, status: 0, body: { detail: "Network error" } }));
    item.set("warming", "Uploading 0 %");
    request.send(form);
  });
}

// An image is warmed in the background: its bar follows the pyramid being built; each
// state is announced on the form too ("fp:image-state").
function followImage(form, image, item) {
  item.name.replaceChildren(link(`/images/${Number(image.id)}/`, image.name));
  item.bar.value = 0;
  item.set("warming", "Registered, waiting to be warmed");
  followWarming(image.id, {
    untilDone: true,
    onProgress(percent) {
      item.bar.value = percent;
      item.set("warming", `Warming ${percent.toFixed(0)} %`);
    },
    onState(event) {
      form.dispatchEvent(new CustomEvent("fp:image-state", { detail: event }));
      if (event.state === "ready") {
        item.bar.value = 100;
        item.set("ready", "Ready");
      } else if (event.state === "failed") {
        item.set("failed", `Failed: ${event.reason}`);
      } else {
        item.bar.value = 100 * event.progress;
        item.set("warming", event.state === "pending" ? "Registered, waiting to be warmed" : "Warming");
      }
    },
  });
}

// A catalog file is imported in the background (202): ask its state until it is done.
async function followImport(id, item) {
  item.bar.value = 0;
  item.set("warming", "Importing…");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const response = await fetch(`/api/catalogs/${Number(id)}/`, { credentials: "same-origin" });
    if (!response.ok) return;
    const catalog = await response.json();
    item.bar.value = 100 * catalog.progress;
    if (catalog.state === "ready" || catalog.state === "failed") {
      item.bar.value = 100;
      item.set(catalog.state, catalog.state === "ready"
        ? `${catalog.feature_count} features imported` : catalog.state_reason);
      item.row.append(...(catalog.warnings || []).map((note) => element("div", { className: "fp-note" }, note)));
      return;
    }
    item.set("warming", `Importing ${Math.round(100 * catalog.progress)} %`);
  }
}

export function attachUpload(form) {
  const input = form.querySelector("input[type=file]");
  const summary = form.querySelector(".fp-upload-status");
  const list = form.querySelector("ul");
  const slug = form.dataset.collection;
  const linked = form.querySelector("select[name=image]"); // the image a catalog file is linked to

  async function upload(file, item) {
    const data = new FormData();
    data.append("file", file);
    let url = `/api/collections/${encodeURIComponent(slug)}/images/`;
    const catalog = CATALOG.test(file.name);
    if (catalog) {
      url = `/api/catalogs/?collection=${encodeURIComponent(slug)}`; // checked before the body is read
      data.append("collection", slug);
      data.append("name", file.name);
      if (linked && linked.value) data.append("images", linked.value);
    }
    const result = await send(url, data, item);
    if (!result.ok) {
      item.set("failed", result.body.detail || `Refused (${result.status})`);
      return false;
    }
    item.row.append(...(result.body.warnings || []).map((note) => element("div", { className: "fp-note" }, note)));
    if (catalog) followImport(result.body.id, item);
    else {
      form.dispatchEvent(new CustomEvent("fp:image-added", { detail: result.body }));
      followImage(form, result.body, item);
    }
    return true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = [...input.files];
    if (!files.length) {
      summary.textContent = "Choose one or more files first.";
      return;
    }
    const queue = files.map((file) => ({ file, item: fileRow(file) }));
    list.append(...queue.map(({ item }) => item.row));
    input.value = "";
    let sent = 0;
    let refused = 0;
    const report = () => {
      summary.textContent = `${sent + refused} of ${files.length} sent` + (refused ? `, ${refused} refused` : "");
    };
    report();
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (await upload(next.file, next.item)) sent += 1;
        else refused += 1;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(AT_ONCE, files.length) }, worker));
  });
}

const form = document.getElementById("upload");
if (form) attachUpload(form);
