// View actions, mounted into the panel's tabs: region snapshot and FITS cutout of the
// visible area and the view's link ("share"), the reticle ("overlays"); full screen,
// theme and the keyboard shortcuts. (Plots are analysis.js's, in "analysis".)
import L from "leaflet";
import { renderQuery } from "./api.js";
import { latLngToFits } from "./crs.js";
import { element, link } from "./dom.js";
import { panelTab, isPanelOpen, setPanelOpen } from "./panel.js";

function visibleBox(map, image) {
  const bounds = map.getBounds();
  const a = latLngToFits(bounds.getNorthWest(), image.height);
  const b = latLngToFits(bounds.getSouthEast(), image.height);
  const clamp = (v, hi) => Math.max(1, Math.min(hi, Math.round(v)));
  // FITS pixels of the corners: x1,x2 left to right; y from the bottom.
  return { x1: clamp(a.x, image.width), x2: clamp(b.x, image.width),
    yTop: clamp(a.y, image.height), yBottom: clamp(b.y, image.height) };
}

export function snapshotUrl(map, image, state, fmt = "jpg") {
  const box = visibleBox(map, image);
  const binning = 2 ** Math.max(0, Math.floor(image.levels - 1 - map.getZoom()));
  // Region rows count from the top, as tiles do.
  const top = image.height - box.yTop + 1;
  const bottom = image.height - box.yBottom + 1;
  const query = renderQuery(image, state).replace(/^\?/, "");
  return `${image.url}region.${fmt}?x1=${box.x1}&y1=${top}&x2=${box.x2}&y2=${bottom}&binning=${binning}` +
    (query ? `&${query}` : "");
}

export function cutoutUrl(map, image) {
  const box = visibleBox(map, image);
  return `${image.url}cutout.fits?x1=${box.x1}&y1=${box.yBottom}&x2=${box.x2}&y2=${box.yTop}`;
}

function button(label, title, action, properties = {}) {
  const made = element("button", { type: "button", title, ...properties }, label);
  made.addEventListener("click", action);
  return made;
}

function group(legend, ...children) {
  return element("fieldset", { className: "fp-group" }, element("legend", {}, legend), ...children);
}

function row(...children) {
  return element("div", { className: "fp-row" }, ...children);
}

function download(url) {
  const anchor = link(url);
  anchor.download = "";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}

export function toggleTheme() {
  const light = document.documentElement.classList.toggle("fp-light");
  try { window.localStorage.setItem("fp-theme", light ? "light" : "dark"); } catch { /* private mode */ }
  return light;
}

export function applySavedTheme() {
  let saved = null;
  try { saved = window.localStorage.getItem("fp-theme"); } catch { /* private mode */ }
  document.documentElement.classList.toggle("fp-light", saved === "light");
}

export function attachTools(map, image, state, stage) {
  const share = panelTab("share");
  const overlays = panelTab("overlays");

  // Share: the view's link, and the visible area as a picture or as FITS.
  const permalink = element("input", { type: "text", readOnly: true, className: "fp-link", name: "permalink",
    title: "The link to this view (centre, zoom and display)" });
  const copy = button("Copy link", "Copy the link to this view", async () => {
    permalink.select();
    try { await navigator.clipboard.writeText(permalink.value); copy.textContent = "Copied"; } catch {
      document.execCommand("copy");
    }
    setTimeout(() => { copy.textContent = "Copy link"; }, 1500);
  }, { name: "copy-link" });
  const showLink = () => { permalink.value = window.location.href; };
  showLink();
  map.on("moveend fp:state", () => setTimeout(showLink, 0));
  window.addEventListener("hashchange", showLink);
  const pages = row(link("/", "Home"));
  if (image.collection) pages.append(link(`/c/${encodeURIComponent(image.collection)}/`, "The image's collection"));
  share.append(
    group("Link to this view", permalink, row(copy)),
    group("Download the visible area",
      row(button("Snapshot", "Download the visible area as JPEG, as displayed",
        () => download(snapshotUrl(map, image, state)), { name: "snapshot" }),
      button("Cutout", "Download the visible area as FITS (raw values, with its WCS)",
        () => download(cutoutUrl(map, image)), { name: "cutout" }))),
  );

  // The reticle marks the centre of the map: where go-to and permalinks put their target.
  const reticle = L.DomUtil.create("div", "fp-reticle", map.getContainer());
  reticle.hidden = true;
  const reticleBox = element("input", { type: "checkbox", name: "reticle" });
  const setReticle = (on) => {
    reticle.hidden = !on;
    reticleBox.checked = on;
  };
  reticleBox.addEventListener("change", () => setReticle(reticleBox.checked));
  overlays.append(group("View", row(element("label", { className: "fp-field", title: "Reticle at the centre (x)" },
    reticleBox, element("span", {}, "Reticle at the centre")))));

  // View: full screen (the whole stage: map, readout and panel), theme, shortcuts.
  const fullscreen = () => toggleFullscreen(stage, map);
  const quick = document.getElementById("quick");
  if (quick) quick.append(button("⤢", "Full screen (f)", fullscreen, { name: "fullscreen" }));
  share.append(
    group("View",
      row(button("Full screen", "Full screen (f)", fullscreen),
        button("Light / dark", "Light or dark theme (t)", () => toggleTheme(), { name: "theme" })),
      element("p", { className: "fp-note-text" },
        "Keys: p panel · f full screen · t theme · x reticle · g grid · i invert · 0 fit · Alt+← / Alt+→ previous / next view")),
    group("Pages", pages),
  );

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "f") fullscreen();
    else if (event.key === "t") toggleTheme();
    else if (event.key === "x") setReticle(reticle.hidden);
    else if (event.key === "p") setPanelOpen(!isPanelOpen());
    else if (event.key === "i") {
      const invert = document.querySelector("input[name=invert]");
      if (invert) { invert.checked = !invert.checked; invert.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });
  return { reticle, setReticle };
}

// Full screen shows the stage (map, readout bar and panel); the map follows its box
// through the viewer's ResizeObserver.
function toggleFullscreen(stage, map) {
  if (document.fullscreenElement) document.exitFullscreen();
  else if (stage.requestFullscreen) stage.requestFullscreen().then(() => map.invalidateSize()).catch(() => {});
}
