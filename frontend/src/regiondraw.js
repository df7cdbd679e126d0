// Shapes drawn on the image to be measured, in FITS pixels (frame "image"): a circle
// (its centre, then its edge), a box (a corner, then the opposite one) or a polygon (a
// click per vertex, a double click or a click on the first vertex to close it). The
// shape follows the cursor while it is drawn; once drawn, ``onDrawn(feature, title)``.
import L from "leaflet";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { drawnFeature } from "./regions.js";

export const SHAPES = ["circle", "box", "polygon"];
const CLOSE_PX = 8; // screen pixels from the first vertex that close a polygon

export class ShapeDrawer {
  constructor(map, image, style, onDrawn, onNote = () => {}) {
    Object.assign(this, { map, image, style: { ...style, interactive: false }, onDrawn, onNote });
    this.shape = "circle";
    this.points = [];
    this.preview = null;
  }

  fits(latlng) {
    return latLngToFits(latlng, this.image.height);
  }

  latlng([x, y]) {
    return fitsToLatLng(x, y, this.image.height);
  }

  cancel() {
    if (this.preview) this.map.removeLayer(this.preview);
    this.preview = null;
    this.points = [];
    if (this.shape === "polygon") this.map.doubleClickZoom.enable();
  }

  setShape(shape) {
    this.cancel();
    this.shape = SHAPES.includes(shape) ? shape : "circle";
  }

  click(latlng) {
    const { x, y } = this.fits(latlng);
    const first = this.points[0];
    if (this.shape === "polygon" && this.points.length >= 3
        && this.map.latLngToContainerPoint(this.latlng(first)).distanceTo(this.map.latLngToContainerPoint(latlng)) <= CLOSE_PX) {
      this.finish();
      return;
    }
    this.points.push([x, y]);
    if (this.points.length === 1) {
      this.start();
      return;
    }
    if (this.shape !== "polygon") this.finish();
    else this.move(latlng);
  }

  // A double click closes a polygon (its two clicks added the same vertex twice).
  dblclick() {
    if (this.shape !== "polygon" || !this.points.length) return;
    const [a, b] = this.points.slice(-2);
    if (b && a[0] === b[0] && a[1] === b[1]) this.points.pop();
    this.finish();
  }

  start() {
    const at = this.latlng(this.points[0]);
    if (this.shape === "circle") {
      this.preview = L.circle(at, { ...this.style, radius: 0 });
      this.onNote("Click the circle's edge.");
    } else if (this.shape === "box") {
      this.preview = L.rectangle(L.latLngBounds(at, at), this.style);
      this.onNote("Click the box's opposite corner.");
    } else {
      this.map.doubleClickZoom.disable();
      this.preview = L.polyline([at], this.style);
      this.onNote("Click the next vertex; double click, or click the first one, to close.");
    }
    this.preview.addTo(this.map);
  }

  move(latlng) {
    if (!this.preview || !this.points.length) return;
    const { x, y } = this.fits(latlng);
    const [x0, y0] = this.points[0];
    if (this.shape === "circle") this.preview.setRadius(Math.hypot(x - x0, y - y0));
    else if (this.shape === "box") this.preview.setBounds(L.latLngBounds(this.latlng([x0, y0]), latlng));
    else this.preview.setLatLngs([...this.points.map((p) => this.latlng(p)), latlng]);
  }

  finish() {
    const points = this.points;
    const shape = this.shape;
    this.cancel();
    const drawn = drawnFeature(shape, points);
    if (drawn) this.onDrawn(drawn.feature, drawn.title);
  }
}
