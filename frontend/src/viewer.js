// The image viewer page: a Leaflet map over the image's tile pyramid.
import L from "leaflet";
import { fetchIipInfo, fetchImage, renderQuery } from "./api.js";
import { buildControls, initialState } from "./controls.js";
import { pyramidCrs } from "./crs.js";
import { Annotator } from "./annotate.js";
import { Overview } from "./overview.js";
import { attachCatalogs } from "./overlays.js";
import { readPermalink, writePermalink } from "./permalink.js";
import { watchProgress } from "./progress.js";
import { attachGoTo, attachReadout } from "./readout.js";
import { ScaleBar } from "./scalebar.js";
import { attachTools } from "./tools.js";
import { MosaicWCS, WCS } from "./wcs.js";

// Border tiles come at their true size: show them so, not stretched to 256 px.
const PyramidTiles = L.TileLayer.extend({
  createTile(coords, done) {
    const tile = L.TileLayer.prototype.createTile.call(this, coords, done);
    tile.addEventListener("load", () => {
      tile.style.width = `${tile.naturalWidth}px`;
      tile.style.height = `${tile.naturalHeight}px`;
    });
    return tile;
  },
});

async function start(element) {
  const image = await fetchImage(element.dataset.api);
  if (image.state === "failed" && !image.default_cuts.length) {
    element.textContent = `This image cannot be shown: ${image.state_reason}`;
    return; // nothing to draw: its file cannot be read
  }
  const state = initialState(image);
  const view = readPermalink(image, state);
  const native = image.levels - 1;
  const map = L.map(element, {
    crs: pyramidCrs(image.levels),
    minZoom: 0,
    maxZoom: native + 4,
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
    maxZoom: native + 4,
    noWrap: true,
    bounds,
    keepBuffer: 4,
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
      element.fitsportal.layer = layer;
    });
  };
  if (view) map.setView(view.centre, view.zoom);
  else map.fitBounds(bounds);
  element.fitsportal = { map, layer, image, state };

  const panel = document.getElementById("controls");
  const overview = new Overview(tileUrl, map.options.crs, bounds, { tileSize: image.tile_size, noWrap: true, bounds });
  overview.addTo(map);
  element.fitsportal.overview = overview;
  buildControls(panel, image, state, () => {
    rerender();
    overview.refresh();
    writePermalink(map, image, state);
  });
  map.on("moveend fp:state", () => writePermalink(map, image, state));

  const wcs = await skyCoordinates(image);
  element.fitsportal.wcs = wcs;
  attachReadout(map, image, wcs, document.getElementById("readout"));
  attachGoTo(map, image, wcs, document.getElementById("goto"));
  if (wcs.isCelestial) new ScaleBar(wcs.pixelScale(), native).addTo(map);
  attachTools(map, image, state, document.getElementById("tools"));
  if (element.dataset.canAnnotate === "true" && wcs.isCelestial) {
    element.fitsportal.annotator = new Annotator(map, image, wcs, document.getElementById("tools"),
      element.dataset.user);
  }
  element.fitsportal.catalogs = await attachCatalogs(map, image, wcs, state);

  const progress = document.getElementById("progress");
  if (progress) {
    watchProgress(image.id, progress, (event) => {
      image.version = event.version;
      rerender();
    });
  }
}

// A mosaic's extensions may each have their own astrometry: use them all.
async function skyCoordinates(image) {
  if (image.kind === "mosaic") {
    const info = await fetchIipInfo(image).catch(() => null);
    if (info && info.images && info.images.length > 1) return new MosaicWCS(image.header, info.images);
  }
  return new WCS(image.header);
}

const element = document.getElementById("viewer");
if (element) {
  start(element).catch((error) => {
    element.textContent = error.message;
  });
}
