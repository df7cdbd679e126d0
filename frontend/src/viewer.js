// The image viewer page: a full-window Leaflet map over the image's tile pyramid, the
// readout bar under it, the tools panel beside it (panel.js).
import L from "leaflet";
import { attachAnalysis } from "./analysis.js";
import { fetchIipInfo, fetchImage, renderQuery } from "./api.js";
import { buildControls, initialState } from "./controls.js";
import { fitsToLatLng, latLngToFits, pyramidCrs } from "./crs.js";
import { Annotator } from "./annotate.js";
import { equatorialWCS } from "./coords.js";
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
const MIN_ZOOM = -3;

// A map of one image in the box `host`: its tile pyramid, the fit view that follows the
// box until the user moves it, and new renderings that replace the tiles only once
// loaded. Returns the viewer (also `host.fitsportal`): { map, layer, image, state, bounds,
// tileUrl, rerender(), fit(), show(centre, zoom), followBox(), moved() }; sky views
// (skyView, setSkyView below) need its `wcs`. `zoomSnap` 0 lets the user's zooming take
// any value, not only whole levels (a linked view matches another image's angular
// scale); `options` go to the map.
export function createViewer(host, image, { state = initialState(image), view = null, zoomSnap = 1, options = {} } = {}) {
  const native = image.levels - 1;
  const map = L.map(host, {
    crs: pyramidCrs(image.levels),
    // Below level 0 (the whole image in one tile), that tile scaled down: a box
    // smaller than a tile still shows the whole image when fitted.
    minZoom: MIN_ZOOM,
    maxZoom: native + OVERZOOM,
    zoomSnap,
    attributionControl: false,
    // Tiles appear whole, not faded in: a new rendering loaded on top is then opaque
    // when the old one is taken away, so the image never flashes dark between them.
    fadeAnimation: false,
    ...options,
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
    minZoom: MIN_ZOOM,
    minNativeZoom: 0,
    maxNativeZoom: native,
    losslessFrom: native, // pixels seen one by one are shown as rendered, not as JPEG
    maxZoom: native + OVERZOOM,
    noWrap: true,
    bounds,
    keepBuffer: 4,
    className: "fp-pyramid",
  };
  const viewer = { map, image, state, bounds, tileUrl, wcs: null };
  viewer.layer = new PyramidTiles(tileUrl(), tileOptions).addTo(map);
  let incoming = null;
  // New rendering parameters: the new tiles load on top and replace the old ones only
  // once loaded, so the image never blinks.
  viewer.rerender = () => {
    if (incoming) map.removeLayer(incoming);
    const next = new PyramidTiles(tileUrl(), tileOptions).addTo(map);
    incoming = next;
    next.once("load", () => {
      if (incoming !== next) return;
      map.removeLayer(viewer.layer);
      viewer.layer = next;
      incoming = null;
    });
  };

  // A view at any zoom, whole or not (a fit, a link), whatever steps the user's own
  // zooming takes (`zoomSnap`).
  const unsnapped = (action) => {
    const snap = map.options.zoomSnap;
    map.options.zoomSnap = 0;
    try {
      return action();
    } finally {
      map.options.zoomSnap = snap;
    }
  };
  viewer.show = (centre, zoom) => unsnapped(() => map.setView(centre, zoom, { animate: false }));
  // The fit view: the whole image, centred, as large as the box allows (ds9's "zoom to
  // fit"), at a fractional zoom. It follows the map's box until the user moves it (a
  // panel opened, a phone turned, full screen); any other view keeps its centre when the
  // box changes.
  let fitted = false;
  let fitting = false;
  const fit = () => {
    viewer.show(bounds.getCenter(), unsnapped(() => map.getBoundsZoom(bounds, false)));
    fitted = true;
  };
  if (view) viewer.show(view.centre, view.zoom);
  else fit();
  map.on("dragstart", () => { fitted = false; });
  map.on("zoomstart", () => { if (!fitting) fitted = false; });
  viewer.fit = () => {
    fitting = true;
    try { fit(); } finally { fitting = false; }
  };
  viewer.moved = () => { fitted = false; };
  viewer.isFitted = () => fitted;
  viewer.followBox = () => {
    const size = map.getSize();
    if (size.x === host.clientWidth && size.y === host.clientHeight) return;
    map.invalidateSize({ pan: true });
    if (fitted) viewer.fit();
  };
  new ResizeObserver(viewer.followBox).observe(host);
  host.fitsportal = viewer;
  return viewer;
}

// The view as a sky position and an angular scale: { ra, dec } (degrees) at the centre
// of the map, `scale` in arcseconds per screen pixel; null without a celestial WCS.
export function skyView(viewer) {
  const { map, image, wcs } = viewer;
  if (!wcs || !wcs.isCelestial) return null;
  const { x, y } = latLngToFits(map.getCenter(), image.height);
  const [ra, dec] = wcs.pixelToWorld(x, y);
  if (!Number.isFinite(ra) || !Number.isFinite(dec)) return null;
  return { ra, dec, scale: wcs.pixelScale() / 2 ** (map.getZoom() - (image.levels - 1)) };
}

// Shows the sky position { ra, dec } at the centre at `scale` arcseconds per screen
// pixel (as near as the zoom range allows); false where the WCS cannot place it.
export function setSkyView(viewer, { ra, dec, scale }) {
  const { map, image, wcs } = viewer;
  if (!wcs || !wcs.isCelestial) return false;
  const [x, y] = wcs.worldToPixel(ra, dec);
  const zoom = image.levels - 1 + Math.log2(wcs.pixelScale() / scale);
  if (![x, y, zoom].every(Number.isFinite)) return false;
  viewer.moved();
  map.setView(fitsToLatLng(x, y, image.height), zoom, { animate: false });
  return true;
}

async function start(host) {
  const image = await fetchImage(host.dataset.api);
  if (image.state === "failed" && !image.default_cuts.length) {
    host.textContent = `This image cannot be shown: ${image.state_reason}`;
    return; // nothing to draw: its file cannot be read
  }
  const state = initialState(image);
  const view = readPermalink(image, state);
  const native = image.levels - 1;
  const viewer = createViewer(host, image, { state, view });
  const { map, bounds, tileUrl, rerender } = viewer;
  const refit = viewer.fit;
  // The panel opening or closing changes the box now: follow it at once (reading the
  // box lays the page out), not at the next frame, so that what runs next sees the map
  // at its new size.
  panelElement().addEventListener("fp:panel", viewer.followBox);
  new FitControl(refit).addTo(map);
  document.addEventListener("keydown", (event) => {
    if (event.key === "0" && !event.target.closest("input, select, textarea")) refit();
  });

  const overview = new Overview(tileUrl, map.options.crs, bounds, { tileSize: image.tile_size, noWrap: true, bounds });
  overview.addTo(map);
  host.fitsportal.overview = overview;
  overviewSwitch(overview, panelTab("overlays"));
  // The link follows the state (the history below learns that this page wrote it).
  const writeLink = () => {
    writePermalink(map, image, state);
    if (host.fitsportal.history) host.fitsportal.history.wrote();
  };
  // A new rendering: tiles, overview, link, and whoever draws from the state (the
  // colour bar) hears "fp:render".
  const onChange = () => {
    rerender();
    overview.refresh();
    writeLink();
    map.fire("fp:render");
  };
  buildControls(image, state, onChange);
  map.on("fp:state", writeLink);

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
    showLayers(map, host.fitsportal.catalogs, state);
    if (next) {
      viewer.moved();
      viewer.show(next.centre, next.zoom);
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
  attachGoTo(map, image, wcs, document.getElementById("goto"), { onGo: viewer.moved });
  if (wcs.isCelestial) new ScaleBar(wcs.pixelScale(), native).addTo(map);
  host.fitsportal.tools = attachTools(map, image, state, document.getElementById("stage"));
  if (host.dataset.canAnnotate === "true" && wcs.isCelestial) {
    // Marks are stored in RA/Dec, also on an image in galactic coordinates.
    host.fitsportal.annotator = new Annotator(map, image, equatorialWCS(wcs), document.getElementById("quick"),
      host.dataset.user);
  }
  host.fitsportal.catalogs = await attachCatalogs(map, image, wcs, state);
  keepSurveysInState(map, host.fitsportal.catalogs, state);

  const progress = document.getElementById("progress");
  if (progress) {
    // The socket says "ready" as soon as it opens: draw again only for another version,
    // or an image that was not ready when its tiles were first asked for.
    const shownReady = image.state === "ready";
    watchProgress(image.id, progress, (event) => {
      if (shownReady && event.version === image.version) return;
      image.version = event.version;
      rerender();
    });
  }
}

// The catalog layers (the portal's, by id) and survey layers (by key) the state names
// are shown, the others hidden.
function showLayers(map, catalogs, state) {
  const wanted = [...(catalogs || []).map((layer) => [layer, state.layers.includes(layer.catalog.id)]),
    ...((catalogs && catalogs.surveys) || []).map((layer) => [layer, state.surveys.includes(layer.survey.key)])];
  for (const [layer, shown] of wanted) {
    if (shown === map.hasLayer(layer.group)) continue;
    if (shown) layer.group.addTo(map);
    else map.removeLayer(layer.group);
  }
}

// Survey layers switched on or off change the state (and so the link); those a link
// names are shown.
function keepSurveysInState(map, catalogs, state) {
  for (const layer of (catalogs && catalogs.surveys) || []) {
    const key = layer.survey.key;
    layer.group.on("add", () => { state.surveys = [...new Set([...state.surveys, key])]; map.fire("fp:state"); });
    layer.group.on("remove", () => { state.surveys = state.surveys.filter((k) => k !== key); map.fire("fp:state"); });
  }
  showLayers(map, catalogs, state);
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
export async function skyCoordinates(image) {
  if (image.kind === "mosaic") {
    const info = await fetchIipInfo(image).catch(() => null);
    if (info && info.images && info.images.length > 1) return new MosaicWCS(image.header, info.images);
  }
  return new WCS(image.header);
}

// The image page: a page with the viewer's box and the panel (others import the
// functions above and start nothing here but the theme).
applySavedTheme();
initPanel();
const viewer = document.getElementById("viewer");
if (viewer && panelElement()) {
  start(viewer).catch((error) => {
    viewer.textContent = error.message;
  });
}
