// Catalogs and regions of the image's collection as toggleable layers, drawn on a
// canvas (thousands of markers stay smooth), loaded for the visible part of the sky.
import L from "leaflet";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { propertiesTable } from "./dom.js";
import { LayerList } from "./layerlist.js";

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
    this.wcs = wcs;
    this.catalog = catalog;
    this.colour = (catalog.style && catalog.style.color) || PALETTE[index % PALETTE.length];
    this.group = L.layerGroup();
    this.renderer = renderer;
    this.loaded = 0;
    this.group.on("add", () => this.refresh());
    map.on("moveend", () => { if (map.hasLayer(this.group)) this.refresh(); });
  }

  toLatLng(coordinates, imageFrame) {
    if (imageFrame) return fitsToLatLng(coordinates[0], coordinates[1], this.image.height);
    const [x, y] = this.wcs.worldToPixel(coordinates[0], coordinates[1]);
    return fitsToLatLng(x, y, this.image.height);
  }

  async refresh() {
    const box = this.wcs.isCelestial ? visibleSkyBox(this.map, this.image, this.wcs) : null;
    const query = box ? `bbox=${box.map((v) => v.toFixed(6)).join(",")}&limit=20000` : "limit=20000";
    const response = await fetch(`/api/catalogs/${this.catalog.id}/features/?${query}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    this.group.clearLayers();
    const style = { color: this.colour, weight: 1.5, fill: false, renderer: this.renderer };
    for (const feature of body.features) this.draw(feature, style);
    this.loaded = body.features.length;
    this.map.fire("fp:catalogloaded", { catalog: this.catalog.id, count: this.loaded });
  }

  draw(feature, style) {
    const props = feature.properties || {};
    const imageFrame = props.frame === "image";
    const geometry = feature.geometry;
    const colour = props.color || this.colour;
    let layer = null;
    if (geometry.type === "Point") {
      const centre = this.toLatLng(geometry.coordinates, imageFrame);
      const scale = imageFrame ? 1 : 3600 / this.wcs.pixelScale();
      if (props.shape === "circle" && props.radius) {
        layer = L.circle(centre, { ...style, color: colour, radius: props.radius * scale });
      } else {
        layer = L.circleMarker(centre, { ...style, color: colour, radius: 5 });
      }
    } else if (geometry.type === "Polygon") {
      layer = L.polygon(geometry.coordinates[0].map((p) => this.toLatLng(p, imageFrame)), { ...style, color: colour });
    } else if (geometry.type === "LineString") {
      layer = L.polyline(geometry.coordinates.map((p) => this.toLatLng(p, imageFrame)), { ...style, color: colour });
    }
    if (layer) {
      layer.bindPopup(() => propertiesTable(props));
      layer.feature = feature;
      this.group.addLayer(layer);
    }
  }
}

export async function attachCatalogs(map, image, wcs, state) {
  const catalogs = await fetchCatalogs(image);
  if (!catalogs.length) return [];
  const renderer = L.canvas({ padding: 0.3 });
  const control = new LayerList({ position: "topright" }).addTo(map);
  const layers = catalogs.map((catalog, index) => {
    const layer = new CatalogLayer(map, image, wcs, catalog, index, renderer);
    control.addOverlay(layer.group, `${catalog.name} (${catalog.feature_count})`);
    if (state.layers.includes(catalog.id)) layer.group.addTo(map);
    layer.group.on("add", () => { state.layers = [...new Set([...state.layers, catalog.id])]; map.fire("fp:state"); });
    layer.group.on("remove", () => { state.layers = state.layers.filter((id) => id !== catalog.id); map.fire("fp:state"); });
    return layer;
  });
  return layers;
}
