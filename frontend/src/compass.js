// The N/E compass: arrows towards increasing declination (north) and right ascension
// (east) at the centre of the view, from the image's WCS (any projection), updated as
// the view moves (the directions change across a wide field). A Leaflet control.
//
// Test hooks: the control's element has data-north and data-east, screen angles in
// degrees, clockwise from up.
import L from "leaflet";
import { latLngToFits } from "./crs.js";

const SIZE = 64;

// Screen directions (unit vectors, y down) of north and east at FITS pixel (x, y), or
// null where the WCS gives no sky position.
export function compassDirections(wcs, x, y) {
  const [lon, lat] = wcs.pixelToWorld(x, y);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  const step = Math.max(1e-7, (wcs.pixelScale() / 3600) * 5); // about five pixels
  const towards = (lon2, lat2, sign) => {
    const [px, py] = wcs.worldToPixel(lon2, lat2);
    const dx = sign * (px - x);
    const dy = -sign * (py - y); // FITS y up, the screen's down
    const length = Math.hypot(dx, dy);
    return Number.isFinite(length) && length > 0 ? [dx / length, dy / length] : null;
  };
  const northSign = lat + step <= 90 ? 1 : -1;
  const north = towards(lon, lat + northSign * step, northSign);
  const east = towards(lon + step / Math.max(Math.cos((lat * Math.PI) / 180), 1e-6), lat, 1);
  return north && east ? { north, east } : null;
}

const angle = ([dx, dy]) => (((Math.atan2(dx, -dy) * 180) / Math.PI) + 360) % 360;

export const Compass = L.Control.extend({
  options: { position: "topright", north: "N", east: "E" },

  initialize(wcs, image, options) {
    L.setOptions(this, options);
    this.wcs = wcs;
    this.image = image;
  },

  onAdd(map) {
    this.box = L.DomUtil.create("div", "fp-compass leaflet-control");
    this.box.title = "North and east at the centre of the view";
    this.canvas = L.DomUtil.create("canvas", "", this.box);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = SIZE * ratio;
    this.canvas.height = SIZE * ratio;
    this.canvas.style.width = this.canvas.style.height = `${SIZE}px`;
    this.canvas.setAttribute("role", "img");
    this.update = () => this.draw(map);
    map.on("moveend zoomend resize", this.update);
    // The theme changes the text colour the east arrow takes.
    this.themes = new MutationObserver(this.update);
    this.themes.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    this.draw(map);
    return this.box;
  },

  onRemove(map) {
    map.off("moveend zoomend resize", this.update);
    this.themes.disconnect();
  },

  draw(map) {
    const { x, y } = latLngToFits(map.getCenter(), this.image.height);
    const directions = compassDirections(this.wcs, x, y);
    const ratio = window.devicePixelRatio || 1;
    const context = this.canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, SIZE, SIZE);
    this.box.hidden = !directions;
    if (!directions) return;
    const style = getComputedStyle(this.box);
    const colour = style.color || "#e8ebf0";
    const accent = style.getPropertyValue("--fp-accent").trim() || "#ffcc00"; // the theme's
    const c = SIZE / 2;
    const length = SIZE / 2 - 13;
    context.lineWidth = 1.5;
    context.font = "bold 11px system-ui, sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    for (const [key, label, tint] of [["north", this.options.north, accent], ["east", this.options.east, colour]]) {
      const [dx, dy] = directions[key];
      const tip = [c + dx * length, c + dy * length];
      context.strokeStyle = tint;
      context.fillStyle = tint;
      context.beginPath();
      context.moveTo(c, c);
      context.lineTo(...tip);
      context.stroke();
      const head = 5;
      context.beginPath();
      context.moveTo(...tip);
      context.lineTo(tip[0] - head * (dx + 0.5 * dy), tip[1] - head * (dy - 0.5 * dx));
      context.lineTo(tip[0] - head * (dx - 0.5 * dy), tip[1] - head * (dy + 0.5 * dx));
      context.fill();
      context.fillText(label, c + dx * (length + 8), c + dy * (length + 8));
    }
    this.box.dataset.north = angle(directions.north).toFixed(2);
    this.box.dataset.east = angle(directions.east).toFixed(2);
    this.canvas.setAttribute("aria-label",
      `North ${Math.round(angle(directions.north))}°, east ${Math.round(angle(directions.east))}° clockwise from up`);
  },
});
