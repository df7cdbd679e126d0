// Team annotations: a point, a circle (centre then edge) or a polygon (clicks, double
// click to close) with a note, saved to the user's own annotations catalog.
import L from "leaflet";
import { latLngToFits } from "./crs.js";
import { element } from "./dom.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
  });
  return { ok: response.ok, body: await response.json().catch(() => ({})) };
}

export class Annotator {
  constructor(map, image, wcs, bar, user) {
    this.map = map;
    this.image = image;
    this.wcs = wcs;
    this.user = user;
    this.layer = L.layerGroup().addTo(map);
    this.mode = null;
    this.points = [];
    this.catalogId = null;
    const select = element("select", { name: "mark", title: "Draw a mark with a note, saved for your team" },
      ...[["", "Mark…"], ["point", "Point"], ["circle", "Circle"], ["polygon", "Polygon"]]
        .map(([value, text]) => new Option(text, value)));
    select.addEventListener("change", () => { this.start(select.value || null); });
    this.select = select;
    bar.append(select);
    map.on("click", (event) => this.click(event.latlng));
    map.on("dblclick", (event) => {
      if (this.mode === "polygon") {
        L.DomEvent.stop(event);
        this.finish();
      }
    });
  }

  start(mode) {
    this.mode = mode;
    this.points = [];
    this.map.getContainer().style.cursor = mode ? "crosshair" : "";
    if (mode === "polygon") this.map.doubleClickZoom.disable();
    else this.map.doubleClickZoom.enable();
  }

  sky(latlng) {
    const { x, y } = latLngToFits(latlng, this.image.height);
    return this.wcs.pixelToWorld(x, y);
  }

  click(latlng) {
    if (!this.mode) return;
    this.points.push(latlng);
    if (this.mode === "point" || (this.mode === "circle" && this.points.length === 2)) this.finish();
  }

  async finish() {
    const mode = this.mode;
    const points = this.points;
    this.start(null);
    this.select.value = "";
    if (!points.length) return;
    const note = window.prompt("Note for this mark", "") ?? "";
    let geometry;
    const properties = { shape: mode };
    let drawn;
    if (mode === "polygon") {
      if (points.length < 3) return;
      const ring = points.map((p) => this.sky(p));
      geometry = { type: "Polygon", coordinates: [[...ring, ring[0]]] };
      drawn = L.polygon(points, { color: "#ff5cf4" });
    } else {
      geometry = { type: "Point", coordinates: this.sky(points[0]) };
      if (mode === "circle") {
        const [ra1, dec1] = this.sky(points[0]);
        const [ra2, dec2] = this.sky(points[1]);
        const d = Math.PI / 180;
        const radius = Math.acos(Math.min(1, Math.sin(dec1 * d) * Math.sin(dec2 * d)
          + Math.cos(dec1 * d) * Math.cos(dec2 * d) * Math.cos((ra1 - ra2) * d))) / d;
        properties.radius = radius;
        drawn = L.circle(points[0], { color: "#ff5cf4", radius: points[0].distanceTo(points[1]) });
      } else {
        drawn = L.circleMarker(points[0], { color: "#ff5cf4", radius: 6 });
      }
    }
    const saved = await this.save({ geometry, properties, note });
    if (saved) {
      drawn.bindPopup(element("div", { className: "fp-note" }, `${note || "(no note)"} — ${this.user}`));
      drawn.feature = saved; // the analysis tab measures a mark clicked, as any region
      this.layer.addLayer(drawn);
      this.map.fire("fp:marked", { feature: saved });
    }
  }

  async catalog() {
    if (this.catalogId) return this.catalogId;
    const name = `${this.user}'s marks`;
    const response = await fetch(`/api/catalogs/?collection=${encodeURIComponent(this.image.collection)}&page_size=200`,
      { credentials: "same-origin" });
    const found = response.ok ? (await response.json()).results.find((c) => c.kind === "annotations" && c.name === name && c.owner === this.user) : null;
    if (found) {
      this.catalogId = found.id;
      return found.id;
    }
    const created = await post("/api/catalogs/", { collection: this.image.collection, name, kind: "annotations",
      features: [], images: [this.image.id] });
    this.catalogId = created.ok ? created.body.id : null;
    return this.catalogId;
  }

  async save(mark) {
    const id = await this.catalog();
    if (!id) return null;
    const result = await post(`/api/catalogs/${id}/features/`, mark);
    return result.ok ? result.body : null;
  }
}
