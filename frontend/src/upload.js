// The collection page's upload form: FITS images and catalog files (.reg, .csv, .tsv,
// .geojson), sent with a progress bar; the server's message is shown when it refuses.
import { element, link } from "./dom.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const CATALOG = /\.(reg|csv|tsv|txt|geojson|json)$/i;

function send(url, form, bar, status) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = (100 * event.loaded) / event.total;
    });
    request.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { body = {}; }
      resolve({ ok: request.status < 300, status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ ok: false, status: 0, body: { detail: "Network error" } }));
    status.textContent = "Uploading…";
    request.send(form);
  });
}

// A catalog file is imported in the background (202): ask its state until it is done.
async function followImport(id, name, item) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const response = await fetch(`/api/catalogs/${Number(id)}/`, { credentials: "same-origin" });
    if (!response.ok) return;
    const catalog = await response.json();
    if (catalog.state === "ready" || catalog.state === "failed") {
      item.className = `state-${catalog.state}`;
      item.textContent = catalog.state === "ready"
        ? `${name}: ${catalog.feature_count} features imported` : `${name}: ${catalog.state_reason}`;
      item.append(...(catalog.warnings || []).map((note) => element("div", {}, note)));
      return;
    }
    item.textContent = `${name}: importing… ${Math.round(100 * catalog.progress)} %`;
  }
}

export function attachUpload(form) {
  const input = form.querySelector("input[type=file]");
  const bar = form.querySelector("progress");
  const status = form.querySelector(".fp-upload-status");
  const slug = form.dataset.collection;
  const linked = form.querySelector("select[name=image]"); // the image a catalog file is linked to
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const file of input.files) {
      const data = new FormData();
      data.append("file", file);
      let url = `/api/collections/${slug}/images/`;
      if (CATALOG.test(file.name)) {
        url = `/api/catalogs/?collection=${encodeURIComponent(slug)}`; // checked before the body is read
        data.append("collection", slug);
        data.append("name", file.name);
        if (linked && linked.value) data.append("images", linked.value);
      }
      bar.hidden = false;
      bar.value = 0;
      const result = await send(url, data, bar, status);
      let item;
      if (result.ok) {
        item = result.body.url
          ? element("li", { className: "state-ready" }, link(`/images/${Number(result.body.id)}/`, file.name),
            " registered, warming…")
          : element("li", { className: "state-warming" }, `${file.name}: importing…`);
        if (!result.body.url) followImport(result.body.id, file.name, item);
        item.append(...(result.body.warnings || []).map((note) => element("div", {}, note)));
      } else {
        item = element("li", { className: "state-failed" },
          `${file.name}: ${result.body.detail || `refused (${result.status})`}`);
      }
      form.querySelector("ul").append(item);
    }
    status.textContent = "Done";
  });
}

const form = document.getElementById("upload");
if (form) attachUpload(form);
