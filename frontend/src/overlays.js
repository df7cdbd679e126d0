// Catalogs and regions of the image's collection as toggleable layers, drawn on a
// canvas (thousands of markers stay smooth), loaded for the visible part of the sky;
// and, where the portal offers them, survey catalogs (Gaia, 2MASS... from VizieR through
// the server) drawn the same way. Catalog positions are RA/Dec (ICRS): on an image in
// galactic coordinates they are placed through its WCS seen in RA/Dec.
import L from "leaflet";
import { equatorialWCS } from "./coords.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { element, propertiesTable } from "./dom.js";
import { LayerList } from "./layerlist.js";
import { pixelOutline, pointSymbol, regionColour, strokeStyle, textTransform } from "./regions.js";
import { addRegionFile } from "./regionsapi.js";

const PALETTE = ["#ffcc00", "#00e5ff", "#ff5cf4", "#7cff4d", "#ff7043", "#b39dff"];

export async function fetchCatalogs(image) {
  const response = await fetch(`/api/catalogs/?collection=${encodeURIComponent(image.collection)}&page_size=200`,
    { credentials: "same-origin" });
  if (!response.ok) return [];
  const body = await response.json();
  // Catalogs still importing (or failed) have no features to show yet.
  return body.results.filter((c) => c.state === "ready" && (c.images.length === 0 || c.images.includes(image.id)));
}

// The sky box seen in the map: RA/Dec over a grid of the view, RA wrap-aware.
export function visibleSkyBox(map, image, wcs) {
  const bounds = map.getBounds();
  const ras = [];
  const decs = [];
  for (let i = 0; i <= 4; i++) {
    for (let j = 0; j <= 4; j++) {
      const lat = bounds.getSouth() + ((bounds.getNorth() - bounds.getSouth()) * i) / 4;
      const lng = bounds.getWest() + ((bounds.getEast() - bounds.getWest()) * j) / 4;
      const { x, y } = latLngToFits(L.latLng(lat, lng), image.height);
      const [ra, dec] = wcs.pixelToWorld(x, y);
      if (Number.isFinite(ra) && Number.isFinite(dec)) {
        ras.push(ra);
        decs.push(dec);
      }
    }
  }
  if (!ras.length) return null;
  ras.sort((a, b) => a - b);
  let gap = ras[0] + 360 - ras[ras.length - 1];
  let start = ras[0];
  let end = ras[ras.length - 1];
  for (let k = 1; k < ras.length; k++) {
    if (ras[k] - ras[k - 1] > gap) {
      gap = ras[k] - ras[k - 1];
      start = ras[k];
      end = ras[k - 1];
    }
  }
  const margin = 0.02 * Math.max(Math.max(...decs) - Math.min(...decs), 1e-3);
  if (gap < 180) return [0, Math.max(-90, Math.min(...decs) - margin), 360, Math.min(90, Math.max(...decs) + margin)];
  return [start, Math.max(-90, Math.min(...decs) - margin), end, Math.min(90, Math.max(...decs) + margin)];
}

export class CatalogLayer {
  constructor(map, image, wcs, catalog, index, renderer) {
    this.map = map;
    this.image = image;
    this.wcs = equatorialWCS(wcs);
    this.catalog = catalog;
    this.colour = (catalog.style && catalog.style.color) || PALETTE[index % PALETTE.length];
    this.group = L.layerGroup();
    this.renderer = renderer;
    this.loaded = 0;
    this.group.on("add", () => this.refresh());
    map.on("moveend", () => { if (map.hasLayer(this.group)) this.refresh(); });
  }

  async refresh() {
    const asked = (this.asked = (this.asked || 0) + 1);
    const body = await this.load();
    if (!body || asked !== this.asked) return; // a later view's answer is on its way
    this.group.clearLayers();
    const style = { color: this.colour, weight: 1.5, fill: false, renderer: this.renderer };
    for (const feature of body.features) this.draw(feature, style);
    this.loaded = body.features.length;
    this.truncated = Boolean(body.truncated);
    this.map.fire("fp:catalogloaded", { catalog: this.catalog.id, count: this.loaded, truncated: this.truncated });
  }

  // The features of the visible part of the sky: a GeoJSON FeatureCollection, or null.
  async load() {
    const box = this.wcs.isCelestial ? visibleSkyBox(this.map, this.image, this.wcs) : null;
    const parts = ["limit=20000"];
    if (box) parts.push(`bbox=${box.map((v) => v.toFixed(6)).join(",")}`);
    // Regions in pixel coordinates belong to the one image their catalog is linked to.
    if (this.catalog.images.length === 1 && this.catalog.images[0] === this.image.id) {
      parts.push(`pixels=${visiblePixelBox(this.map, this.image).map((v) => v.toFixed(1)).join(",")}`);
    } else if (!box) return;
    const query = parts.join("&");
    const response = await fetch(`/api/catalogs/${this.catalog.id}/features/?${query}`, { credentials: "same-origin" });
    return response.ok ? response.json() : null;
  }

  draw(feature, style) {
    const props = feature.properties || {};
    // A global composite's members take its colour (ds9's rule), symbols and text too.
    const colour = regionColour(props, this.colour);
    const latLng = ([x, y]) => fitsToLatLng(x, y, this.image.height);
    const layers = [];
    const source = feature.geometry.type === "Point" && (!props.shape || props.shape === "point") && !props.point;
    if (source) {
      // A source of a catalog (no ds9 symbol): a small marker, thousands stay smooth.
      const outline = pixelOutline(feature, this.wcs);
      if (outline) layers.push(L.circleMarker(latLng(outline.centre), { ...style, color: colour, radius: 5 }));
    } else {
      const outline = pixelOutline(feature, this.wcs);
      if (!outline) return;
      const stroke = { ...style, ...strokeStyle(props, this.colour), fill: false };
      for (const ring of outline.rings) {
        const points = ring.map(latLng);
        layers.push(outline.open ? L.polyline(points, stroke) : L.polygon(points, stroke));
      }
      if (props.include === false && outline.rings.length) layers.push(L.polyline(strike(outline.rings).map(latLng), stroke));
      if (props.shape === "point") {
        layers.push(this.symbol(props, outline.centre, colour));
        const lift = (Number(props.point_size) || 11) / 2 + 2; // the text above the symbol
        if (props.text) layers.push(this.label(props, outline.centre, colour, `translate(-50%, calc(-100% - ${lift}px))`));
      }
      if (props.shape === "text") layers.push(this.label(props, outline.centre, colour));
      else if (props.text && outline.rings.length) {
        // ds9 writes a shape's text above it.
        const top = Math.max(...outline.rings.flat().map((p) => p[1]));
        layers.push(this.label(props, [outline.centre[0], top], colour, "translate(-50%, -110%)"));
      }
    }
    if (!layers.length) return;
    // One layer per feature (a group when it takes several: outlines, strike, label),
    // with the feature's properties in its popup.
    for (const layer of layers) layer.feature = feature;
    const shown = layers.length === 1 ? layers[0] : L.featureGroup(layers);
    shown.feature = feature;
    shown.bindPopup(() => propertiesTable(props, ["frame", "native", "north"]));
    this.group.addLayer(shown);
  }

  // A ds9 point: its symbol, at ds9's size (11 px unless given).
  symbol(props, centre, colour) {
    const size = Number(props.point_size) || 11;
    const width = Number(props.linewidth) || 1;
    const icon = L.divIcon({ html: pointSymbol(props.point || "boxcircle", size, colour, width),
      className: "fp-region-icon", iconSize: [size + 2 * width, size + 2 * width] });
    return L.marker(fitsToLatLng(centre[0], centre[1], this.image.height), { icon, keyboard: false });
  }

  // A ds9 text region: its text (as text, never HTML) in its font and colour.
  label(props, centre, colour, transform = "translate(-50%, -50%)") {
    const text = element("span", { className: "fp-region-text" }, props.text || "");
    const [name, size, weight, slant] = String(props.font || "helvetica 10 normal roman").split(/\s+/);
    text.style.color = colour;
    text.style.font = `${slant === "italic" ? "italic " : ""}${weight === "bold" ? "bold " : ""}${Number(size) || 10}px ${/^[A-Za-z -]+$/.test(name || "") ? name : "helvetica"}, sans-serif`;
    text.style.whiteSpace = "nowrap";
    text.style.display = "inline-block";
    text.style.transform = textTransform(props, transform); // ds9's textangle
    const icon = L.divIcon({ html: text, className: "fp-region-icon", iconSize: [0, 0] });
    return L.marker(fitsToLatLng(centre[0], centre[1], this.image.height), { icon, keyboard: false });
  }
}

// A survey catalog of VizieR, asked by the server for the cone around the view (the
// part of it on the image), at most the portal's largest radius.
export class SurveyLayer extends CatalogLayer {
  constructor(map, image, wcs, survey, index, renderer, maxRadius) {
    super(map, image, wcs, { id: survey.key, images: [], style: {} }, index, renderer);
    this.survey = survey;
    this.maxRadius = maxRadius;
  }

  async load() {
    const cone = visibleCone(this.map, this.image, this.wcs);
    if (!cone) return null;
    const [ra, dec, radius] = cone;
    const query = `ra=${ra.toFixed(6)}&dec=${dec.toFixed(6)}&radius=${Math.min(radius, this.maxRadius).toFixed(6)}`;
    const response = await fetch(`/api/images/${this.image.id}/surveys/${encodeURIComponent(this.survey.key)}/?${query}`,
      { credentials: "same-origin" });
    if (!response.ok) {
      this.map.fire("fp:catalogfailed", { catalog: this.survey.key, status: response.status });
      return null;
    }
    return response.json();
  }
}

// The cone around the part of the image in view: its centre (RA, Dec) and the distance
// to its farthest corner (degrees), or null.
export function visibleCone(map, image, wcs) {
  const bounds = map.getBounds();
  const west = Math.max(bounds.getWest(), 0);
  const east = Math.min(bounds.getEast(), image.width);
  const south = Math.max(bounds.getSouth(), 0);
  const north = Math.min(bounds.getNorth(), image.height);
  if (!(west < east && south < north)) return null;
  const sky = (lat, lng) => {
    const { x, y } = latLngToFits(L.latLng(lat, lng), image.height);
    return wcs.pixelToWorld(x, y);
  };
  const [ra, dec] = sky((south + north) / 2, (west + east) / 2);
  if (!Number.isFinite(ra) || !Number.isFinite(dec)) return null;
  const corners = [[south, west], [south, east], [north, west], [north, east]].map(([lat, lng]) => sky(lat, lng));
  const radius = Math.max(...corners.map(([r, d]) => separation(ra, dec, r, d)).filter(Number.isFinite));
  return Number.isFinite(radius) ? [ra, dec, radius] : null;
}

function separation(ra1, dec1, ra2, dec2) {
  const rad = Math.PI / 180;
  const a = Math.sin(((dec2 - dec1) * rad) / 2) ** 2
    + Math.cos(dec1 * rad) * Math.cos(dec2 * rad) * Math.sin(((ra2 - ra1) * rad) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(a)))) / rad;
}

async function fetchSurveys(image) {
  try {
    const response = await fetch(`/api/images/${image.id}/surveys/`, { credentials: "same-origin" });
    return response.ok ? response.json() : { surveys: [] };
  } catch {
    return { surveys: [] };
  }
}

// The line ds9 strikes through an excluded region: across its outer outline's box.
function strike(rings) {
  const points = rings.flat();
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]];
}

// The FITS pixel box seen in the map, with a margin for shapes centred just outside.
export function visiblePixelBox(map, image) {
  const bounds = map.getBounds();
  const a = latLngToFits(bounds.getSouthWest(), image.height);
  const b = latLngToFits(bounds.getNorthEast(), image.height);
  const margin = 0.25 * Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y));
  return [Math.min(a.x, b.x) - margin, Math.min(a.y, b.y) - margin, Math.max(a.x, b.x) + margin, Math.max(a.y, b.y) + margin];
}

export async function attachCatalogs(map, image, wcs, state) {
  const [catalogs, offered] = await Promise.all([fetchCatalogs(image),
    wcs && wcs.isCelestial ? fetchSurveys(image) : { surveys: [] }]);
  const viewer = document.getElementById("viewer");
  const canAdd = Boolean(viewer && viewer.dataset.canAnnotate === "true");
  if (!catalogs.length && !canAdd && !offered.surveys.length) return [];
  const renderer = L.canvas({ padding: 0.3 });
  const control = new LayerList({ position: "topright" }).addTo(map);
  const layers = [];
  const add = (catalog) => {
    const layer = new CatalogLayer(map, image, wcs, catalog, layers.length, renderer);
    control.addOverlay(layer.group, `${catalog.name} (${catalog.feature_count})`);
    if (state.layers.includes(catalog.id)) layer.group.addTo(map);
    layer.group.on("add", () => { state.layers = [...new Set([...state.layers, catalog.id])]; map.fire("fp:state"); });
    layer.group.on("remove", () => { state.layers = state.layers.filter((id) => id !== catalog.id); map.fire("fp:state"); });
    layers.push(layer);
    return layer;
  };
  catalogs.forEach(add);
  // Survey layers are kept apart from the catalogs that the link's "layers" name.
  layers.surveys = offered.surveys.map((survey, n) => {
    const layer = new SurveyLayer(map, image, wcs, survey, catalogs.length + n, renderer, offered.max_radius);
    control.addOverlay(layer.group, `${survey.name} (VizieR)`);
    return layer;
  });
  if (canAdd) {
    // "Add regions to this image": a region file linked to this image (pixel-frame
    // regions need it), shown as soon as it is imported.
    control.addFileAction("Add regions to this image…", ".reg,.csv,.tsv,.geojson,.json", async (file, say) => {
      try {
        const catalog = await addRegionFile(image, file, (c) => say(`${file.name}: importing… ${Math.round(100 * c.progress)} %`));
        if (catalog.state !== "ready") { say(`${file.name}: ${catalog.state_reason}`); return; }
        say(`${file.name}: ${catalog.feature_count} regions${catalog.warnings.length ? `, ${catalog.warnings.length} lines left out` : ""}`);
        add(catalog).group.addTo(map);
      } catch (error) {
        say(`${file.name}: ${error.message}`);
      }
    });
  }
  return layers;
}
