// Science tools: region snapshot and FITS cutout of the visible area, a line profile
// drawn on the image and plotted, keyboard shortcuts, full screen, reticle, theme.
import L from "leaflet";
import { renderQuery } from "./api.js";
import { latLngToFits } from "./crs.js";
import { element, link } from "./dom.js";

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
  const binning = 2 ** Math.max(0, image.levels - 1 - map.getZoom());
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

function plot(canvas, profile) {
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  const channels = profile[0] ? profile[0].values.length : 0;
  const colours = ["#ffcc00", "#00e5ff", "#ff5cf4", "#7cff4d"];
  const values = profile.flatMap((p) => p.values.filter((v) => v !== null));
  if (!values.length) return;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  for (let c = 0; c < channels; c++) {
    context.strokeStyle = colours[c % colours.length];
    context.beginPath();
    profile.forEach((p, i) => {
      const v = p.values[c];
      if (v === null) return;
      const x = (i / Math.max(1, profile.length - 1)) * (width - 10) + 5;
      const y = height - 5 - ((v - lo) / (hi - lo || 1)) * (height - 10);
      if (i === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.stroke();
  }
  canvas.dataset.points = String(profile.length);
  canvas.title = `${profile.length} pixels, ${lo.toPrecision(5)} … ${hi.toPrecision(5)}`;
}

export function attachTools(map, image, state, bar) {
  const button = (label, title, action) => {
    const made = element("button", { type: "button", title }, label);
    made.addEventListener("click", action);
    bar.append(made);
    return made;
  };
  const download = (url) => {
    const anchor = link(url);
    anchor.download = "";
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
  };
  button("Snapshot", "Download the visible area as JPEG", () => download(snapshotUrl(map, image, state)));
  button("Cutout", "Download the visible area as FITS (with its WCS)", () => download(cutoutUrl(map, image)));

  const canvas = element("canvas", { id: "profile-plot", width: 320, height: 90, hidden: true });
  let start = null;
  let line = null;
  const profileButton = button("Profile", "Click two points on the image", () => {
    start = null;
    profileButton.classList.toggle("active");
    map.getContainer().style.cursor = profileButton.classList.contains("active") ? "crosshair" : "";
  });
  bar.append(canvas);
  map.on("click", async (event) => {
    if (!profileButton.classList.contains("active")) return;
    const point = latLngToFits(event.latlng, image.height);
    if (!start) {
      start = { point, latlng: event.latlng };
      return;
    }
    if (line) line.remove();
    line = L.polyline([start.latlng, event.latlng], { color: "#ffcc00", weight: 2 }).addTo(map);
    const [a, b] = [start.point, point];
    start = null;
    const url = `${image.url}profile/?x1=${Math.round(a.x)}&y1=${Math.round(a.y)}&x2=${Math.round(b.x)}&y2=${Math.round(b.y)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) {
      canvas.hidden = false;
      plot(canvas, (await response.json()).profile);
    }
  });

  button("Full screen", "Full screen (f)", () => toggleFullscreen(map));
  button("Theme", "Light or dark theme (t)", () => document.documentElement.classList.toggle("fp-light"));
  const reticle = L.DomUtil.create("div", "fp-reticle", map.getContainer());
  reticle.hidden = true;
  button("Reticle", "Reticle (x)", () => { reticle.hidden = !reticle.hidden; });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    if (event.key === "f") toggleFullscreen(map);
    else if (event.key === "t") document.documentElement.classList.toggle("fp-light");
    else if (event.key === "x") reticle.hidden = !reticle.hidden;
    else if (event.key === "i") {
      const invert = document.querySelector("input[name=invert]");
      if (invert) { invert.checked = !invert.checked; invert.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });
}

function toggleFullscreen(map) {
  const element = map.getContainer();
  if (document.fullscreenElement) document.exitFullscreen();
  else if (element.requestFullscreen) element.requestFullscreen().then(() => map.invalidateSize());
}
