// The collection page's upload form: FITS images and catalog files (.reg, .csv, .tsv,
// .geojson), sent with a progress bar; the server's message is shown when it refuses.

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

export function attachUpload(form) {
  const input = form.querySelector("input[type=file]");
  const bar = form.querySelector("progress");
  const status = form.querySelector(".fp-upload-status");
  const slug = form.dataset.collection;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const file of input.files) {
      const data = new FormData();
      data.append("file", file);
      let url = `/api/collections/${slug}/images/`;
      if (CATALOG.test(file.name)) {
        url = "/api/catalogs/";
        data.append("collection", slug);
        data.append("name", file.name);
      }
      bar.hidden = false;
      bar.value = 0;
      const result = await send(url, data, bar, status);
      const item = document.createElement("li");
      if (result.ok) {
        const link = result.body.url ? `/images/${result.body.id}/` : null;
        item.innerHTML = link ? `<a href="${link}">${file.name}</a> registered, warming…` : `${file.name}: ${result.body.feature_count} features imported`;
        item.className = "state-ready";
        for (const note of result.body.warnings || []) {
          const warning = document.createElement("div");
          warning.textContent = note;
          item.append(warning);
        }
      } else {
        item.textContent = `${file.name}: ${result.body.detail || `refused (${result.status})`}`;
        item.className = "state-failed";
      }
      form.querySelector("ul").append(item);
    }
    status.textContent = "Done";
  });
}

const form = document.getElementById("upload");
if (form) attachUpload(form);
