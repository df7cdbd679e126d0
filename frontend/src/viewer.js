// The image viewer page: a full-window Leaflet map over the image's tile pyramid, the
// readout bar under it, the tools panel beside it (panel.js).
import L from "leaflet";
import { attachAnalysis } from "./analysis.js";
import { fetchIipInfo, fetchImage, renderQuery } from "./api.js";
import { buildControls, initialState } from "./controls.js";
import { pyramidCrs } from "./crs.js";
import { Annotator } from "./annotate.js";
import { element } from "./dom.js";
import { attachHistory, FitControl } from "./navigation.js";
import { Overview } from "./overview.js";
import { attachCatalogs } from "./overlays.js";
import { initPanel, panelElement, panelTab } from "./panel.js";
import { readPermalink, writePermalink } from "./permalink.js";
import { watchProgress } from "./progress.js";
import { PyramidTiles } from "./pyramidtiles.js";
import { attachGoTo, attachReadout, readoutOptions } from "./readout.js";
import { ScaleBar } from "./scalebar.js";
import { attachSky } from "./sky.js";
import { applySavedTheme, attachTools } from "./tools.js";
import { MosaicWCS, WCS } from "./wcs.js";

// How far beyond native resolution one may zoom: 2^4 = 16 screen pixels per image pixel.
const OVERZOOM = 4;

async function start(host) {
  const image = await fetchImage(host.dataset.api);
  if (image.state === "failed" && !image.default_cuts.length) {
    host.textContent = `This image cannot be shown: ${image.state_reason}`;
    return; // nothing to draw: its file cannot be read
  }
  const state = initialState(image);
  const view = readPermalink(image, state);
  const native = image.levels - 1;
  const map = L.map(host, {
    crs: pyramidCrs(image.levels),
    minZoom: 0,
    maxZoom: native + OVERZOOM,
    zoomSnap: 1,
    attributionControl: false,
  });
  const bounds = L.latLngBounds([0, 0], [image.height, image.width]);
  // The image version in the URL: a new pyramid (or file) means new URLs, so browser
  // caches never show tiles of an older rendering source.
  const tileUrl = () => {
    const query = renderQuery(image, state);
    return `${image.url}tiles/{z}/{x}/{y}.jpg${query || "?"}${query ? "&" : ""}v=${image.version}`;
  };
  const tileOptions = {
    tileSize: image.tile_size,
    maxNativeZoom: native,
    maxZoom: native + OVERZOOM,
    noWrap: true,
    bounds,
    keepBuffer: 4,
    className: "fp-pyramid",
  };
  let layer = new PyramidTiles(tileUrl(), tileOptions).addTo(map);
  let incoming = null;
  // New rendering parameters: the new tiles load on top and replace the old ones only
  // once loaded, so the image never blinks.
  const rerender = () => {
    if (incoming) map.removeLayer(incoming);
    const next = new PyramidTiles(tileUrl(), tileOptions).addTo(map);
    incoming = next;
    next.once("load", () => {
      if (incoming !== next) return;
      map.removeLayer(layer);
      layer = next;
      incoming = null;
      host.fitsportal.layer = layer;
    });
  };

  // The fit view follows the map's box until the user moves it (a panel opened, a
  // phone turned, full screen); any other view keeps its centre when the box changes.
  let fitted = false;
  let fitting = false;
  const fit = () => {
    map.fitBounds(bounds, { animate: false });
    fitted = true;
  };
  if (view) map.setView(view.centre, view.zoom, { animate: false });
  else fit();
  map.on("dragstart", () => { fitted = false; });
  map.on("zoomstart", () => { if (!fitting) fitted = false; });
  const refit = () => {
    fitting = true;
    try { fit(); } finally { fitting = false; }
  };
  const followBox = () => {
    const size = map.getSize();
    if (size.x === host.clientWidth && size.y === host.clientHeight) return;
    map.invalidateSize({ pan: true });
    if (fitted) refit();
  };
  new ResizeObserver(followBox).observe(host);
  // The panel opening or closing changes the box now: follow it at once (reading the
  // box lays the page out), not at the next frame, so that what runs next sees the map
  // at its new size.
  panelElement().addEventListener("fp:panel", followBox);
  new FitControl(refit).addTo(map);
  document.addEventListener("keydown", (event) => {
    if (event.key === "0" && !event.target.closest("input, select, textarea")) refit();
  });
  host.fitsportal = { map, layer, image, state, fit: refit };

  const overview = new Overview(tileUrl, map.options.crs, bounds, { tileSize: image.tile_size, noWrap: true, bounds });
  overview.addTo(map);
  host.fitsportal.overview = overview;
  overviewSwitch(overview, panelTab("overlays"));
  // A new rendering: tiles, overview, link, and whoever draws from the state (the
  // colour bar) hears "fp:render".
  const onChange = () => {
    rerender();
    overview.refresh();
    writePermalink(map, image, state);
    map.fire("fp:render");
  };
  buildControls(image, state, onChange);
  map.on("fp:state", () => writePermalink(map, image, state));

  // Back, forward, and links pasted into this tab: the view and display they name.
  const applyHash = () => {
    const before = renderQuery(image, state);
    const fresh = initialState(image);
    const next = readPermalink(image, fresh);
    Object.assign(state, fresh);
    if (renderQuery(image, state) !== before) {
      buildControls(image, state, onChange);
      rerender();
      overview.refresh();
      map.fire("fp:render");
    }
    for (const catalog of host.fitsportal.catalogs || []) {
      const wanted = state.layers.includes(catalog.catalog.id);
      if (wanted !== map.hasLayer(catalog.group)) {
        if (wanted) catalog.group.addTo(map);
        else map.removeLayer(catalog.group);
      }
    }
    if (next) {
      fitted = false;
      map.setView(next.centre, next.zoom, { animate: false });
    } else refit();
  };
  writePermalink(map, image, state);
  host.fitsportal.history = attachHistory(map, () => writePermalink(map, image, state), applyHash);

  const wcs = await skyCoordinates(image);
  host.fitsportal.wcs = wcs;
  const readout = attachReadout(map, image, wcs, document.getElementById("readout"),
    { channel: () => state.channel ?? 0 });
  host.fitsportal.readout = readout;
  host.fitsportal.analysis = attachAnalysis(map, image, wcs, state, panelTab("analysis"));
  readoutOptions(readout, panelTab("analysis"));
  host.fitsportal.sky = attachSky(map, image, wcs, state, panelTab("overlays"));
  attachGoTo(map, image, wcs, document.getElementById("goto"), { onGo: () => { fitted = false; } });
  if (wcs.isCelestial) new ScaleBar(wcs.pixelScale(), native).addTo(map);
  host.fitsportal.tools = attachTools(map, image, state, document.getElementById("stage"));
  if (host.dataset.canAnnotate === "true" && wcs.isCelestial) {
    host.fitsportal.annotator = new Annotator(map, image, wcs, document.getElementById("quick"),
      host.dataset.user);
  }
  host.fitsportal.catalogs = await attachCatalogs(map, image, wcs, state);

  const progress = document.getElementById("progress");
  if (progress) {
    watchProgress(image.id, progress, (event) => {
      image.version = event.version;
      rerender();
    });
  }
}

// The overview's switch in the "overlays" tab, kept in step with its own button.
function overviewSwitch(overview, container) {
  const box = element("input", { type: "checkbox", name: "show-overview",
    checked: overview.box.dataset.open === "true" });
  box.addEventListener("change", () => overview.setOpen(box.checked));
  overview.toggle.addEventListener("click", () => { box.checked = overview.box.dataset.open === "true"; });
  container.prepend(element("div", { className: "fp-row" },
    element("label", { className: "fp-field" }, box, element("span", {}, "Overview of the whole image"))));
}

// A mosaic's extensions may each have their own astrometry: use them all.
async function skyCoordinates(image) {
  if (image.kind === "mosaic") {
    const info = await fetchIipInfo(image).catch(() => null);
    if (info && info.images && info.images.length > 1) return new MosaicWCS(image.header, info.images);
  }
  return new WCS(image.header);
}

applySavedTheme();
initPanel();
const viewer = document.getElementById("viewer");
if (viewer && panelElement()) {
  start(viewer).catch((error) => {
    viewer.textContent = error.message;
  });
}
