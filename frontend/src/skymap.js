// The search page's sky map of the results: a Hammer–Aitoff projection (ICRS, RA
// growing to the left) of the footprints and of the query's cone. It shows the whole
// sky, or zooms onto the results (the projection then centred on their RA, with a grid
// whose steps and sexagesimal labels follow the zoom), so that results a few arcminutes
// apart are told apart and clicked. A footprint across the map's edge (RA opposite the
// centre) is cut in two along it instead of being dropped.
//
// The SVG gets only numbers computed here and text nodes: no markup from data.
import { formatDec, formatRA } from "./coords.js";

const SVG = "http://www.w3.org/2000/svg";
export const SCALE = 100; // map units per unit of the Hammer projection (x in ±2√2, y in ±√2)
const SKY_BOX = [-290, -150, 580, 300]; // the whole sky, with a margin
const FIT_MOST = 40; // degrees from the results' centre beyond which the whole sky is shown
const LABEL_PX = 11; // label height on the screen, whatever the zoom
const DOT_PX = 3.5; // radius of a footprint's centre mark on the screen

// An SVG element with geometry attributes (never handlers, links or styles) and text.
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^(on.*|href|xlink:href|style)$/i.test(name)) throw new Error(`svg(): ${name} is not set here`);
    node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

const wrap = (degrees) => ((((degrees + 180) % 360) + 360) % 360) - 180;

// Hammer–Aitoff of a longitude from the centre (degrees, -180..180) and a latitude.
function project(lon, lat) {
  const l = (lon * Math.PI) / 180;
  const p = (lat * Math.PI) / 180;
  const z = Math.sqrt(1 + Math.cos(p) * Math.cos(l / 2));
  return [(-2 * Math.SQRT2 * Math.cos(p) * Math.sin(l / 2) * SCALE) / z, (-Math.SQRT2 * Math.sin(p) * SCALE) / z];
}

// Map position of (ra, dec) in degrees, the map centred on ra0.
export function hammer(ra, dec, ra0 = 0) {
  return project(wrap(ra - ra0), dec);
}

// (ra, dec) of a map position, or null off the sky.
export function unhammer(x, y, ra0 = 0) {
  const X = -x / SCALE;
  const Y = -y / SCALE;
  const q = 1 - (X / 4) ** 2 - (Y / 2) ** 2;
  if (q < 0.5) return null; // outside the ellipse
  const z = Math.sqrt(q);
  const lon = 2 * Math.atan2(z * X, 2 * (2 * z * z - 1));
  const lat = Math.asin(Math.max(-1, Math.min(1, z * Y)));
  return [(((ra0 + (lon * 180) / Math.PI) % 360) + 360) % 360, (lat * 180) / Math.PI];
}

export function unit(ra, dec) {
  const r = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  return [Math.cos(d) * Math.cos(r), Math.cos(d) * Math.sin(r), Math.sin(d)];
}

export function radec([x, y, z]) {
  return [((Math.atan2(y, x) * 180) / Math.PI + 360) % 360, (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI];
}

// Points along a polygon's edges (great circles), as unit vectors.
function densify(corners, per = 8) {
  const points = [];
  for (let i = 0; i < corners.length; i += 1) {
    const a = unit(...corners[i]);
    const b = unit(...corners[(i + 1) % corners.length]);
    for (let k = 0; k < per; k += 1) {
      const t = k / per;
      points.push(a.map((c, j) => c * (1 - t) + b[j] * t));
    }
  }
  return points;
}

// The map outlines (lists of [x, y]) of a footprint's corners [[ra, dec], ...]: one,
// or two when it crosses the edge of the map, cut along it.
export function outlines(corners, ra0 = 0) {
  const c = Math.cos((ra0 * Math.PI) / 180);
  const s = Math.sin((ra0 * Math.PI) / 180);
  // In the map's frame: the centre at +x, the edge (lon ±180) at -x, y = 0.
  const points = densify(corners).map(([x, y, z]) => [x * c + y * s, y * c - x * s, z]);
  const lonlat = ([x, y, z]) => [(Math.atan2(y, x) * 180) / Math.PI, (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI];
  const whole = points.map((p) => project(...lonlat(p)));
  const jumps = whole.some((p, i) => Math.abs(p[0] - whole[(i + 1) % whole.length][0]) > SCALE);
  if (!jumps) return [whole];
  const pieces = [];
  for (const side of [1, -1]) { // lon ≥ 0 (y ≥ 0), then lon ≤ 0
    const kept = [];
    for (let i = 0; i < points.length; i += 1) {
      const a = points[i];
      const b = points[(i + 1) % points.length];
      const inA = side * a[1] >= 0;
      const inB = side * b[1] >= 0;
      if (inA) kept.push(project(...lonlat(a)));
      if (inA !== inB) {
        const t = a[1] / (a[1] - b[1]);
        const v = a.map((value, j) => value + t * (b[j] - value));
        const lat = (Math.atan2(v[2], Math.hypot(v[0], v[1])) * 180) / Math.PI;
        kept.push(project(v[0] < 0 ? side * 179.9999 : 0, lat)); // on the edge, on this side
      }
    }
    if (kept.length > 2) pieces.push(kept);
  }
  return pieces;
}

export function pathOf(points, closed = false) {
  const d = points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(3)},${y.toFixed(3)}`).join("");
  return closed ? `${d}Z` : d;
}

// The view of a set of sky positions [[ra, dec], ...]: { ra0, box: [x, y, w, h] } with
// the map's aspect, or null for the whole sky (none, or spread too wide).
export function fitView(positions) {
  if (!positions.length) return null;
  const sum = [0, 0, 0];
  for (const p of positions) unit(...p).forEach((v, j) => { sum[j] += v; });
  if (Math.hypot(...sum) < 1e-9) return null;
  const centre = sum.map((v) => v / Math.hypot(...sum));
  const farthest = Math.max(...positions.map((p) => {
    const cosine = unit(...p).reduce((acc, v, j) => acc + v * centre[j], 0);
    return (Math.acos(Math.max(-1, Math.min(1, cosine))) * 180) / Math.PI;
  }));
  if (farthest > FIT_MOST) return null;
  const [ra0] = radec(centre);
  const xy = positions.map((p) => hammer(p[0], p[1], ra0));
  let x0 = Math.min(...xy.map((p) => p[0]));
  let x1 = Math.max(...xy.map((p) => p[0]));
  let y0 = Math.min(...xy.map((p) => p[1]));
  let y1 = Math.max(...xy.map((p) => p[1]));
  const least = (2 / 60) * (Math.PI / 180) * SCALE; // a view two arcminutes high at least
  let w = Math.max(x1 - x0, least) * 1.3;
  let h = Math.max(y1 - y0, least) * 1.3;
  const aspect = SKY_BOX[2] / SKY_BOX[3];
  if (w / h > aspect) h = w / aspect;
  else w = h * aspect;
  if (w > SKY_BOX[2] * 0.6) return null;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  x0 = cx - w / 2; y0 = cy - h / 2; x1 = x0 + w; y1 = y0 + h;
  return { ra0, box: [x0, y0, w, h] };
}

// A grid step (degrees) among ``steps`` (coarse to fine) giving ``lines`` lines or more
// over ``span``, but at most ``most`` (their labels must not run into each other).
function step(span, steps, lines = 4, most = Infinity) {
  let index = steps.findIndex((value) => span / value >= lines);
  if (index < 0) index = steps.length - 1;
  while (index > 0 && span / steps[index] > most) index -= 1;
  return steps[index];
}
const DEC_STEPS = [30, 20, 10, 5, 2, 1, 30 / 60, 20 / 60, 10 / 60, 5 / 60, 2 / 60, 1 / 60, 30 / 3600, 10 / 3600];
const RA_STEPS = [2, 1, 30 / 60, 20 / 60, 10 / 60, 5 / 60, 2 / 60, 1 / 60, 30 / 3600, 20 / 3600, 10 / 3600, 5 / 3600, 2 / 3600, 1 / 3600]
  .map((hours) => hours * 15);

// RA and Dec labels as sexagesimal as the step needs: 10h02m, 10h02m30s; +2°10′, +2°10′30″.
export function raLabel(ra, stepDeg) {
  const text = formatRA(ra); // hh:mm:ss.ss
  const [h, m, s] = text.split(":");
  if (stepDeg >= 15 - 1e-9) return `${Number(h)}h`;
  if (stepDeg >= 0.25 - 1e-9) return `${h}h${m}m`;
  return `${h}h${m}m${Math.round(Number(s)).toString().padStart(2, "0")}s`;
}

export function decLabel(dec, stepDeg) {
  const text = formatDec(dec); // ±dd:mm:ss.s
  const [d, m, s] = text.split(":");
  if (stepDeg >= 1 - 1e-9) return `${Number(d) === 0 ? "0" : d}°`;
  if (stepDeg >= 1 / 60 - 1e-9) return `${d}°${m}′`;
  return `${d}°${m}′${Math.round(Number(s)).toString().padStart(2, "0")}″`;
}

export class SkyMap {
  constructor(node, legend = null) {
    this.node = node;
    this.legend = legend;
    this.items = new Map(); // id -> { image, group }
    this.query = null; // { ra, dec, radius }
    this.mode = "fit"; // "fit": zoom onto the results when they are close; "sky": whole sky
    this.view = null;
    this.grid = svg("g", { class: "fp-sky-gridlines" });
    this.marker = svg("g", { class: "fp-sky-query" });
    this.layer = svg("g", { class: "fp-sky-footprints" });
    node.replaceChildren(this.grid, this.marker, this.layer); // the query under the footprints
    this.toggle = document.createElement("button");
    this.toggle.type = "button";
    this.toggle.className = "fp-sky-toggle";
    this.toggle.hidden = true;
    this.toggle.addEventListener("click", () => {
      this.mode = this.mode === "fit" ? "sky" : "fit";
      this.redraw();
    });
    node.after(this.toggle);
    if (typeof ResizeObserver !== "undefined") {
      let width = 0;
      new ResizeObserver(() => {
        const now = node.getBoundingClientRect().width;
        if (Math.abs(now - width) > 1) { width = now; this.redraw(); }
      }).observe(node);
    }
    this.redraw();
  }

  // Screen pixels per map unit (the SVG keeps its aspect, "meet").
  pixels() {
    const rect = this.node.getBoundingClientRect();
    const [, , w, h] = this.box;
    return rect.width && rect.height ? Math.min(rect.width / w, rect.height / h) : 2;
  }

  setQuery(query) {
    this.query = query;
    this.redraw();
  }

  add(id, image) {
    const meta = image.metadata || {};
    if (meta.ra === null || meta.ra === undefined) return null;
    const group = svg("g", { class: "fp-sky-footprint", tabindex: 0 });
    group.dataset.image = String(id);
    group.dataset.radius = String(Number(meta.radius) || 0);
    this.items.set(id, { image, group });
    // The larger first, the smaller over them: each stays within reach of a click.
    const after = [...this.layer.children].find((other) => Number(other.dataset.radius) < Number(group.dataset.radius));
    this.layer.insertBefore(group, after || null);
    this.draw(group, image);
    this.scheduleFit();
    return group;
  }

  remove(id) {
    const item = this.items.get(id);
    if (!item) return;
    item.group.remove();
    this.items.delete(id);
    this.scheduleFit();
  }

  clear() {
    this.items.clear();
    this.layer.replaceChildren();
    this.scheduleFit();
  }

  // A footprint shown as chosen (the row under the pointer): drawn over the others.
  highlight(id, on) {
    const item = this.items.get(id);
    if (!item) return;
    item.group.classList.toggle("fp-hover", on);
    if (on) this.layer.append(item.group);
  }

  scheduleFit() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => { this.pending = false; this.redraw(); });
  }

  positions() {
    const positions = [];
    for (const { image } of this.items.values()) {
      const meta = image.metadata || {};
      positions.push([meta.ra, meta.dec]);
      for (const corners of meta.polygons || []) positions.push(...corners);
    }
    // The results and where the query points; the cone's ring only when nothing is
    // found (a wide cone would make small results a speck).
    if (this.query) {
      positions.push([this.query.ra, this.query.dec]);
      if (!this.items.size) positions.push(...this.ring().map((v) => radec(v)));
    }
    return positions;
  }

  redraw() {
    const fitted = fitView(this.positions());
    this.view = this.mode === "fit" ? fitted : null;
    this.box = this.view ? this.view.box : SKY_BOX;
    this.ra0 = this.view ? this.view.ra0 : 0;
    this.node.setAttribute("viewBox", this.box.map((v) => v.toFixed(4)).join(" "));
    this.node.dataset.view = this.view ? "field" : "sky";
    this.toggle.hidden = !fitted;
    this.toggle.textContent = this.view ? "Show the whole sky" : "Zoom to the results";
    if (this.legend) {
      this.legend.textContent = this.view
        ? `Field of the results, Hammer–Aitoff centred on RA ${raLabel(this.ra0, 0)}, ICRS; RA grows to the left. Click a footprint to open the image.`
        : "All-sky map, Hammer–Aitoff, ICRS; RA grows to the left. Click a footprint to open the image.";
    }
    const unitPx = this.pixels();
    this.label = LABEL_PX / unitPx;
    this.dot = DOT_PX / unitPx;
    if (this.view) this.fieldGrid();
    else this.skyGrid();
    this.drawQuery();
    for (const { image, group } of this.items.values()) this.draw(group, image);
  }

  text(x, y, content, anchor = "start") {
    return svg("text", { x: x.toFixed(3), y: y.toFixed(3), class: "fp-sky-label", "font-size": this.label.toFixed(4), "text-anchor": anchor }, content);
  }

  skyGrid() {
    const parts = [];
    const outline = [];
    for (let dec = -90; dec <= 90; dec += 2) outline.push(project(179.9999, dec));
    for (let dec = 90; dec >= -90; dec -= 2) outline.push(project(-179.9999, dec));
    parts.push(svg("path", { d: pathOf(outline, true), class: "fp-sky-outline" }));
    for (let dec = -60; dec <= 60; dec += 30) {
      const line = [];
      for (let lon = -179.9; lon <= 180; lon += 2) line.push(project(lon, dec));
      parts.push(svg("path", { d: pathOf(line), class: "fp-sky-grid" }));
      const [x, y] = project(-179.9999, dec);
      if (dec) parts.push(this.text(x + this.label * 0.3, y + this.label * 0.35, `${dec > 0 ? "+" : ""}${dec}°`));
    }
    for (let ra = 0; ra < 360; ra += 60) {
      const line = [];
      for (let dec = -90; dec <= 90; dec += 2) line.push(hammer(ra, dec));
      parts.push(svg("path", { d: pathOf(line), class: "fp-sky-grid" }));
      const [x, y] = hammer(ra, 0);
      parts.push(this.text(x + this.label * 0.2, y - this.label * 0.3, `${ra / 15}h`));
    }
    this.grid.replaceChildren(...parts);
  }

  // The grid of a zoomed view: meridians and parallels at round sexagesimal steps,
  // labelled along the bottom (RA) and the left (Dec) of the view.
  fieldGrid() {
    const [bx, by, bw, bh] = this.box;
    const corners = [];
    for (let i = 0; i <= 4; i += 1) {
      for (let j = 0; j <= 4; j += 1) {
        const p = unhammer(bx + (bw * i) / 4, by + (bh * j) / 4, this.ra0);
        if (p) corners.push(p);
      }
    }
    const decs = corners.map((p) => p[1]);
    let decLo = Math.min(...decs);
    let decHi = Math.max(...decs);
    const lons = corners.map((p) => wrap(p[0] - this.ra0));
    let lonLo = Math.min(...lons);
    let lonHi = Math.max(...lons);
    if (decHi > 89 || decLo < -89) { lonLo = -180; lonHi = 180; }
    // Labels of up to 9 characters side by side along the bottom, one above the other
    // along the left.
    const unitPx = LABEL_PX / this.label;
    const decStep = step(decHi - decLo, DEC_STEPS, 4, (bh * unitPx) / (2.2 * LABEL_PX));
    const raStep = step(lonHi - lonLo, RA_STEPS, 4, (bw * unitPx) / (6.5 * LABEL_PX));
    decLo = Math.max(-90, Math.floor(decLo / decStep) * decStep);
    decHi = Math.min(90, Math.ceil(decHi / decStep) * decStep);
    const inside = ([x, y]) => x >= bx && x <= bx + bw && y >= by && y <= by + bh;
    const parts = [svg("rect", { x: bx, y: by, width: bw, height: bh, class: "fp-sky-outline" })];
    const n = 64;
    const first = Math.ceil((this.ra0 + lonLo) / raStep) * raStep;
    for (let ra = first; ra <= this.ra0 + lonHi + 1e-9; ra += raStep) {
      const line = [];
      for (let k = 0; k <= n; k += 1) line.push(hammer(ra, decLo + ((decHi - decLo) * k) / n, this.ra0));
      parts.push(svg("path", { d: pathOf(line), class: "fp-sky-grid" }));
      const shown = line.filter(inside);
      if (!shown.length) continue;
      const low = shown.reduce((a, b) => (b[1] > a[1] ? b : a));
      if (low[0] > bx + bw - 3 * this.label || low[0] < bx + 3 * this.label) continue; // clipped at a side
      parts.push(this.text(low[0], by + bh - this.label * 0.4, raLabel((ra + 360) % 360, raStep), "middle"));
    }
    for (let dec = decLo; dec <= decHi + 1e-9; dec += decStep) {
      const line = [];
      for (let k = 0; k <= n; k += 1) line.push(hammer(this.ra0 + lonLo + ((lonHi - lonLo) * k) / n, dec, this.ra0));
      parts.push(svg("path", { d: pathOf(line), class: "fp-sky-grid" }));
      const shown = line.filter(inside);
      if (!shown.length) continue;
      const left = shown.reduce((a, b) => (b[0] < a[0] ? b : a));
      if (left[1] > by + bh - 1.6 * this.label || left[1] < by + 1.2 * this.label) continue; // clear of the RA labels
      parts.push(this.text(bx + this.label * 0.3, left[1] - this.label * 0.3, decLabel(dec, decStep)));
    }
    this.grid.replaceChildren(...parts);
  }

  ring() {
    const { ra, dec, radius } = this.query || {};
    if (!(radius > 0)) return [];
    const centre = unit(ra, dec);
    const pole = Math.abs(centre[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
    const east = normalise(cross(pole, centre));
    const north = cross(centre, east);
    const r = (Math.min(radius, 90) * Math.PI) / 180;
    const ring = [];
    for (let k = 0; k < 72; k += 1) {
      const a = (k / 72) * 2 * Math.PI;
      ring.push(centre.map((c, j) => c * Math.cos(r) + Math.sin(r) * (Math.cos(a) * east[j] + Math.sin(a) * north[j])));
    }
    return ring;
  }

  drawQuery() {
    if (!this.query) { this.marker.replaceChildren(); return; }
    const corners = this.ring().map((v) => radec(v));
    const rings = corners.length ? outlines(corners, this.ra0) : []; // cut at the edge too
    const [x, y] = hammer(this.query.ra, this.query.dec, this.ra0);
    const arm = 2 * this.dot;
    this.marker.replaceChildren(
      ...rings.map((points) => svg("path", { d: pathOf(points, true), class: "fp-sky-cone" })),
      svg("path", { d: `M${x - arm},${y}h${2 * arm}M${x},${y - arm}v${2 * arm}`, class: "fp-sky-cross" }),
    );
  }

  draw(group, image) {
    const meta = image.metadata || {};
    const title = svg("title", {}, `${image.name} · ${meta.object || ""} · ${formatRA(meta.ra)} ${formatDec(meta.dec)}`);
    const shapes = [];
    for (const corners of meta.polygons || []) {
      for (const points of outlines(corners, this.ra0)) shapes.push(svg("path", { d: pathOf(points, true) }));
    }
    const [x, y] = hammer(meta.ra, meta.dec, this.ra0);
    shapes.push(svg("circle", { cx: x.toFixed(3), cy: y.toFixed(3), r: this.dot.toFixed(4) }));
    group.replaceChildren(title, ...shapes);
  }
}

function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(v) {
  const n = Math.hypot(...v);
  return v.map((c) => c / n);
}
