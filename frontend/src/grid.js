// A labelled celestial coordinate grid over the map (RA/Dec or galactic), computed in the
// browser from the image's WCS (wcs.js), for every projection: lines of constant
// longitude and latitude sampled finely, cut where the projection breaks, labelled where
// they leave the view (meridians at the bottom or top, parallels at the left or right).
// Drawn on a canvas in the map's box, redrawn as the view moves: no request.
//
// Test hooks: grid.lines ([{ kind, value, points: [[x, y] container pixels] }]) and
// grid.labels ([{ text, x, y }]) after each draw; the canvas has data-lines.
import L from "leaflet";
import { equatorialToGalactic } from "./coords.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;
const SAMPLES = 96; // points per grid line across the view
const MAX_LINES = 40;

// Steps between grid lines, degrees: of angle, and of right ascension (time).
const ARC_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30].map((s) => s / 3600)
  .concat([1, 2, 5, 10, 15, 20, 30].map((m) => m / 60), [1, 2, 5, 10, 15, 20, 30, 45, 90]);
const TIME_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30].map((s) => (s * 15) / 3600)
  .concat([1, 2, 5, 10, 15, 20, 30].map((m) => (m * 15) / 60), [1, 2, 3, 4, 6].map((h) => h * 15));

// Galactic and other frames read in decimal degrees: decimal steps.
const DECIMAL_STEPS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 45, 90];
// Labels name the coordinate of frames other than RA / Dec.
const PREFIXES = { galactic: ["l ", "b "], ecliptic: ["λ ", "β "], supergalactic: ["SGL ", "SGB "],
  helioecliptic: ["λ ", "β "] };

const normalise360 = (a) => ((a % 360) + 360) % 360;
const normalise180 = (a) => normalise360(a + 180) - 180;

// Galactic to equatorial: the transpose of coords.js's rotation, read from it (the
// galactic coordinates of the equatorial axes are the rotation's columns).
const AXES = [[0, 0], [90, 0], [0, 90]].map(([ra, dec]) => toVector(...equatorialToGalactic(ra, dec)));
function toVector(lon, lat) {
  const c = Math.cos(lat * D2R);
  return [c * Math.cos(lon * D2R), c * Math.sin(lon * D2R), Math.sin(lat * D2R)];
}
function fromVector([x, y, z]) {
  return [normalise360(Math.atan2(y, x) * R2D), Math.asin(Math.max(-1, Math.min(1, z))) * R2D];
}
export function galacticToEquatorial(l, b) {
  const v = toVector(l, b);
  return fromVector(AXES.map((axis) => axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2]));
}

// The frames a grid can show for a WCS in frame ``native``, and the conversions between
// the grid's frame and the WCS's.
export function gridFrames(native) {
  if (native === "equatorial" || native === "galactic") return ["equatorial", "galactic"];
  return [native];
}

function converters(native, shown) {
  const same = (a, b) => [a, b];
  if (native === shown) return { toShown: same, toNative: same };
  if (native === "equatorial" && shown === "galactic") return { toShown: equatorialToGalactic, toNative: galacticToEquatorial };
  if (native === "galactic" && shown === "equatorial") return { toShown: galacticToEquatorial, toNative: equatorialToGalactic };
  throw new Error(`no grid in ${shown} coordinates for a ${native} WCS`);
}

function pick(steps, target) {
  return steps.find((s) => s >= target) || steps[steps.length - 1];
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

// Sexagesimal text of a grid value, to the precision its step needs.
export function formatGridValue(value, step, kind) {
  if (kind === "ra") {
    const seconds = Math.round((normalise360(value) / 15) * 3600 * 100) / 100;
    const h = Math.floor(seconds / 3600) % 24;
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const stepSeconds = (step / 15) * 3600;
    if (stepSeconds >= 3600) return `${h}h`;
    if (stepSeconds >= 60) return `${h}h${pad(m)}m`;
    const decimals = stepSeconds >= 1 ? 0 : stepSeconds >= 0.1 ? 1 : 2;
    return `${h}h${pad(m)}m${pad(s.toFixed(decimals), decimals ? decimals + 3 : 2)}s`;
  }
  if (kind === "lon") {
    const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step) + 1e-9));
    return `${normalise360(value).toFixed(decimals)}°`;
  }
  const sign = value < 0 ? "−" : kind === "dec" ? "+" : "";
  const arcsec = Math.round(Math.abs(value) * 3600 * 10) / 10;
  const d = Math.floor(arcsec / 3600);
  const m = Math.floor((arcsec % 3600) / 60);
  const s = arcsec % 60;
  if (kind === "lat") {
    const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step) + 1e-9));
    return `${sign}${Math.abs(value).toFixed(decimals)}°`;
  }
  if (step >= 1) return `${sign}${d}°`;
  if (step >= 1 / 60) return `${sign}${d}°${pad(m)}′`;
  return `${sign}${d}°${pad(m)}′${pad(s.toFixed(step >= 1 / 3600 ? 0 : 1), step >= 1 / 3600 ? 2 : 4)}″`;
}

export const CoordinateGrid = L.Layer.extend({
  options: { frame: null, colour: "rgba(120, 210, 255, 0.75)", labelColour: "#bfe9ff" },

  initialize(wcs, image, options) {
    L.setOptions(this, options);
    this.wcs = wcs;
    this.image = image;
    this.native = wcs.frame || (wcs.global && wcs.global.frame) || "equatorial";
    this.frame = this.options.frame || this.native;
    this.lines = [];
    this.labels = [];
  },

  setFrame(frame) {
    this.frame = frame;
    if (this._map) this.redraw();
    return this;
  },

  onAdd(map) {
    this.canvas = L.DomUtil.create("canvas", "fp-grid-canvas", map.getContainer());
    this.scheduled = null;
    this.schedule = () => {
      if (this.scheduled) return;
      this.scheduled = requestAnimationFrame(() => {
        this.scheduled = null;
        this.redraw();
      });
    };
    this.hide = () => { this.canvas.hidden = true; };
    map.on("move resize zoomend viewreset", this.schedule);
    map.on("zoomstart", this.hide);
    this.redraw();
  },

  onRemove(map) {
    map.off("move resize zoomend viewreset", this.schedule);
    map.off("zoomstart", this.hide);
    if (this.scheduled) cancelAnimationFrame(this.scheduled);
    this.canvas.remove();
    this.lines = [];
    this.labels = [];
  },

  // Container pixel of grid-frame (lon, lat), or null off the projection.
  toScreen(lon, lat) {
    const [a, d] = this.convert.toNative(lon, lat);
    const [x, y] = this.wcs.worldToPixel(a, d);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    // Not latLngToContainerPoint: it rounds to whole screen pixels.
    const map = this._map;
    const point = map.layerPointToContainerPoint(map.project(fitsToLatLng(x, y, this.image.height))
      .subtract(map.getPixelOrigin()));
    return [point.x, point.y];
  },

  toSky(px, py) {
    const { x, y } = latLngToFits(this._map.containerPointToLatLng([px, py]), this.image.height);
    const [a, d] = this.wcs.pixelToWorld(x, y);
    return Number.isFinite(a) && Number.isFinite(d) ? this.convert.toShown(a, d) : null;
  },

  // The grid-frame ranges the view shows: sampled over the box, the pole included when
  // it is in view; longitudes unwrapped around the view's centre.
  ranges(width, height) {
    const samples = [];
    const n = 16;
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        const sky = this.toSky((i / n) * width, (j / n) * height);
        if (sky) samples.push(sky);
      }
    }
    if (samples.length < 3) return null;
    const centre = this.toSky(width / 2, height / 2) || samples[0];
    const lons = samples.map(([lon]) => centre[0] + normalise180(lon - centre[0]));
    const lats = samples.map(([, lat]) => lat);
    let lonRange = [Math.min(...lons), Math.max(...lons)];
    let latRange = [Math.min(...lats), Math.max(...lats)];
    const inView = (p) => p && p[0] >= 0 && p[0] <= width && p[1] >= 0 && p[1] <= height;
    for (const pole of [90, -90]) {
      if (inView(this.toScreen(0, pole))) {
        lonRange = [0, 360];
        latRange = pole > 0 ? [latRange[0], 90] : [-90, latRange[1]];
      }
    }
    if (lonRange[1] - lonRange[0] > 180) lonRange = [0, 360]; // all around: e.g. an all-sky map
    return { lon: lonRange, lat: latRange, centre };
  },

  // Points of a line of constant lon (or lat) across [from, to] of the other coordinate,
  // cut into pieces where the projection breaks or jumps.
  trace(kind, value, from, to, limit) {
    const pieces = [];
    let piece = [];
    for (let k = 0; k <= SAMPLES; k++) {
      const t = from + ((to - from) * k) / SAMPLES;
      const point = kind === "meridian" ? this.toScreen(value, Math.max(-90, Math.min(90, t))) : this.toScreen(t, value);
      const last = piece[piece.length - 1];
      if (!point || (last && Math.hypot(point[0] - last[0], point[1] - last[1]) > limit)) {
        if (piece.length > 1) pieces.push(piece);
        piece = point ? [point] : [];
      } else piece.push(point);
    }
    if (piece.length > 1) pieces.push(piece);
    return pieces;
  },

  redraw() {
    const map = this._map;
    if (!map) return;
    const { x: width, y: height } = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.hidden = false;
    // The canvas stays put in the map's box while the map pane moves under it.
    const context = this.canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    this.lines = [];
    this.labels = [];
    this.convert = converters(this.native, this.frame);
    const range = this.ranges(width, height);
    this.canvas.dataset.lines = "0";
    if (!range) return;
    const latSpan = range.lat[1] - range.lat[0];
    const cosLat = Math.max(0.05, Math.cos(range.centre[1] * D2R));
    const lonSpan = range.lon[1] - range.lon[0];
    const extent = Math.max(latSpan, Math.min(lonSpan * cosLat, 360), 1e-6);
    const equatorial = this.frame === "equatorial";
    const latStep = pick(equatorial ? ARC_STEPS : DECIMAL_STEPS, Math.max(latSpan, extent / 2) / 5.5);
    const lonStep = Math.min(pick(equatorial ? TIME_STEPS : DECIMAL_STEPS, extent / cosLat / 5.5),
      lonSpan >= 360 ? 30 : 360);
    const limit = Math.hypot(width, height) / 6;
    // Latitude lines stop short of the poles, where every meridian meets.
    const lat0 = Math.max(-90, range.lat[0] - latStep);
    const lat1 = Math.min(90, range.lat[1] + latStep);
    const firstLon = Math.ceil((range.lon[0] - lonStep) / lonStep);
    const lastLon = Math.floor((range.lon[1] + lonStep) / lonStep);
    for (let k = firstLon; k <= lastLon && k - firstLon < MAX_LINES; k++) {
      const value = k * lonStep;
      if (range.lon[1] - range.lon[0] >= 360 && normalise360(value) !== value) continue;
      const pieces = this.trace("meridian", value, lat0, lat1, limit);
      for (const points of pieces) this.lines.push({ kind: "meridian", value: normalise360(value), step: lonStep, points });
    }
    const firstLat = Math.ceil(lat0 / latStep);
    const lastLat = Math.floor(lat1 / latStep);
    for (let k = firstLat; k <= lastLat && k - firstLat < MAX_LINES; k++) {
      const value = k * latStep;
      if (Math.abs(value) >= 90) continue;
      const pieces = this.trace("parallel", value, range.lon[0] - lonStep, range.lon[1] + lonStep, limit);
      for (const points of pieces) this.lines.push({ kind: "parallel", value, step: latStep, points });
    }
    context.lineWidth = 1;
    context.strokeStyle = this.options.colour;
    for (const { points } of this.lines) {
      context.beginPath();
      points.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
      context.stroke();
    }
    this.label(context, width, height);
    this.canvas.dataset.lines = String(this.lines.length);
    this.canvas.dataset.frame = this.frame;
  },

  // Each line's label where it leaves the view: meridians through the bottom edge (else
  // the top), parallels through the left edge (else the right).
  label(context, width, height) {
    const lonKind = this.frame === "equatorial" ? "ra" : "lon";
    const latKind = this.frame === "equatorial" ? "dec" : "lat";
    const done = new Set();
    context.font = "11px system-ui, sans-serif";
    context.lineWidth = 3;
    context.strokeStyle = "rgba(0, 0, 0, 0.75)";
    context.fillStyle = this.options.labelColour;
    const crossing = (points, axis, edge) => {
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1];
        const b = points[i];
        if ((a[axis] - edge) * (b[axis] - edge) <= 0 && a[axis] !== b[axis]) {
          const t = (edge - a[axis]) / (b[axis] - a[axis]);
          const other = a[1 - axis] + t * (b[1 - axis] - a[1 - axis]);
          const size = axis === 1 ? width : height;
          if (other >= 0 && other <= size) return other;
        }
      }
      return null;
    };
    for (const line of this.lines) {
      const key = `${line.kind}:${line.value}`;
      if (done.has(key)) continue;
      const meridian = line.kind === "meridian";
      const edges = meridian ? [[1, height], [1, 0]] : [[0, 0], [0, width]];
      for (const [axis, edge] of edges) {
        const at = crossing(line.points, axis, edge);
        if (at === null) continue;
        const prefix = (PREFIXES[this.frame] || ["", ""])[meridian ? 0 : 1];
        const text = prefix + formatGridValue(line.value, line.step, meridian ? lonKind : latKind);
        const measure = context.measureText(text).width;
        let x;
        let y;
        if (meridian) {
          x = Math.max(2, Math.min(width - measure - 2, at + 3));
          y = edge === 0 ? 13 : height - 4;
        } else {
          x = edge === 0 ? 3 : width - measure - 3;
          y = Math.max(12, Math.min(height - 4, at - 3));
        }
        context.strokeText(text, x, y);
        context.fillText(text, x, y);
        this.labels.push({ text, x, y, kind: line.kind, value: line.value, at, edge });
        done.add(key);
        break;
      }
    }
  },
});
