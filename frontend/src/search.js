// The search page: the form becomes a query of /api/images/ (which applies the
// permissions), its pages fill the result table and the all-sky map of footprints.
// Text from the server goes through dom.js; the map's SVG gets only numbers we computed.
//
// Live: the socket /ws/search/?<the same query> sends the results that change. A row
// shown is updated where it is (state, warming progress, thumbnail once ready) and
// removed when the image no longer matches or may no longer be seen. New matches are
// counted in a bar ("3 new results · Show") rather than slipped into the table: rows
// do not move under the reader's pointer, and a new image's place in the sort may be on
// a page not loaded yet; "Show" runs the search again from its first page.
import { element, link } from "./dom.js";
import { formatDec, formatRA, parseCoordinates } from "./coords.js";
import { socketURL } from "./progress.js";

const SVG = "http://www.w3.org/2000/svg";
const SCALE = 100; // map units per unit of the Hammer projection (x in ±2√2, y in ±√2)

// An SVG element with geometry attributes (never handlers, links or styles) and text.
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^(on.*|href|xlink:href|style)$/i.test(name)) throw new Error(`svg(): ${name} is not set here`);
    node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

// Hammer–Aitoff of (ra, dec) in degrees, centred on ra = 0, ra growing to the left.
export function hammer(ra, dec) {
  const lon = (((ra + 180) % 360) + 360) % 360 - 180;
  const l = (lon * Math.PI) / 180;
  const p = (dec * Math.PI) / 180;
  const z = Math.sqrt(1 + Math.cos(p) * Math.cos(l / 2));
  return [(-2 * Math.SQRT2 * Math.cos(p) * Math.sin(l / 2) * SCALE) / z, (-Math.SQRT2 * Math.sin(p) * SCALE) / z];
}

function path(points) {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(2)},${y.toFixed(2)}`).join("");
}

function graticule(map) {
  const outline = [];
  for (let dec = -90; dec <= 90; dec += 2) outline.push(hammer(180.0001, dec));
  for (let dec = 90; dec >= -90; dec -= 2) outline.push(hammer(179.9999, dec));
  map.append(svg("path", { d: `${path(outline)}Z`, class: "fp-sky-outline" }));
  for (let dec = -60; dec <= 60; dec += 30) {
    const line = [];
    for (let ra = -179.9; ra <= 180; ra += 2) line.push(hammer(ra, dec));
    map.append(svg("path", { d: path(line), class: "fp-sky-grid" }));
    const [x, y] = hammer(180.0001, dec);
    if (dec) map.append(svg("text", { x: x + 4, y: y + 3, class: "fp-sky-label" }, `${dec}°`));
  }
  for (let ra = 0; ra < 360; ra += 60) {
    const line = [];
    for (let dec = -90; dec <= 90; dec += 2) line.push(hammer(ra, dec));
    map.append(svg("path", { d: path(line), class: "fp-sky-grid" }));
    const [x, y] = hammer(ra, 0);
    map.append(svg("text", { x: x + 2, y: y - 3, class: "fp-sky-label" }, `${ra / 15}h`));
  }
}

// Points along a footprint's edges (great circles, interpolated), so that wide ones
// curve as they should; null when the outline crosses the map's edge at ra = 180.
function outline(corners) {
  const points = [];
  for (let i = 0; i < corners.length; i += 1) {
    const [ra1, dec1] = corners[i];
    const [ra2, dec2] = corners[(i + 1) % corners.length];
    const a = unit(ra1, dec1);
    const b = unit(ra2, dec2);
    for (let k = 0; k < 8; k += 1) {
      const t = k / 8;
      const v = a.map((c, j) => c * (1 - t) + b[j] * t);
      const [ra, dec] = radec(v);
      points.push(hammer(ra, dec));
    }
  }
  for (let i = 1; i < points.length; i += 1) {
    if (Math.abs(points[i][0] - points[i - 1][0]) > SCALE) return null;
  }
  return points;
}

function unit(ra, dec) {
  const r = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  return [Math.cos(d) * Math.cos(r), Math.cos(d) * Math.sin(r), Math.sin(d)];
}

function radec([x, y, z]) {
  return [((Math.atan2(y, x) * 180) / Math.PI + 360) % 360, (Math.atan2(z, Math.hypot(x, y)) * 180) / Math.PI];
}

function sameSite(url) {
  const target = new URL(url, window.location.href);
  return target.origin === window.location.origin ? target.href : null;
}

class SearchPage {
  constructor(form) {
    this.form = form;
    this.status = document.querySelector(".fp-search-status");
    this.rows = document.querySelector(".fp-results tbody");
    this.map = document.querySelector(".fp-skymap");
    this.more = document.querySelector(".fp-more");
    this.shapes = new Map(); // image id -> { row, shape } shown
    this.fresh = new Set(); // ids of new matches not shown yet
    this.socket = null;
    this.bar = element("div", { className: "fp-live-bar", hidden: true, role: "status" });
    this.barText = element("span");
    const show = element("button", { type: "button" }, "Show");
    show.addEventListener("click", () => this.run(false));
    this.bar.append(this.barText, " ", show);
    document.querySelector(".fp-results-wrap").before(this.bar);
    this.liveMark = element("span", { className: "fp-live-mark", hidden: true, title: "Results update as images are added, warmed or removed" }, "live");
    this.status.after(this.liveMark);
    graticule(this.map);
    this.layer = svg("g", { class: "fp-sky-footprints" });
    this.marker = svg("g", { class: "fp-sky-query" });
    this.map.append(this.marker, this.layer); // the query under the footprints
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run(true);
    });
    this.more.addEventListener("click", () => this.load(this.next));
    this.run(false);
  }

  // The API query of the form, or a message saying what is wrong with it.
  query() {
    const data = new FormData(this.form);
    const params = new URLSearchParams();
    const position = String(data.get("position") || "").trim();
    if (position) {
      const coords = parseCoordinates(position);
      if (!coords || coords.ra === undefined) return { error: "Position: RA and Dec, in degrees or sexagesimal." };
      const radius = Number(data.get("radius") || 0);
      if (radius > 0) {
        params.set("ra", coords.ra.toFixed(6));
        params.set("dec", coords.dec.toFixed(6));
        params.set("radius", String(radius));
      } else params.set("contains", `${coords.ra.toFixed(6)},${coords.dec.toFixed(6)}`);
      this.drawQuery(coords, radius);
    } else this.marker.replaceChildren();
    for (const name of ["q", "object", "filter", "instrument", "date_min", "date_max", "exptime_min", "exptime_max", "sort"]) {
      const value = String(data.get(name) || "").trim();
      if (value) params.set(name, value);
    }
    return { params };
  }

  run(fromForm) {
    const { params, error } = this.query();
    if (error) {
      this.status.textContent = error;
      return;
    }
    if (fromForm) {
      const page = new URLSearchParams(new FormData(this.form));
      for (const [name, value] of [...page.entries()]) if (!value) page.delete(name);
      window.history.replaceState(null, "", `${window.location.pathname}?${page}`);
    }
    this.rows.replaceChildren();
    this.layer.replaceChildren();
    this.shapes.clear();
    this.fresh.clear();
    this.showFresh();
    this.count = 0;
    this.params = params;
    this.generation = (this.generation || 0) + 1;
    this.follow(null);
    this.since = Date.now() / 1000; // what changes after this, the socket sends
    this.load(`/api/images/?${params}`, this.generation);
  }

  async load(url, generation = this.generation) {
    this.status.textContent = "Searching…";
    this.more.hidden = true;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (generation !== this.generation) return; // another search began meanwhile
    if (!response.ok) {
      this.status.textContent = body.detail || `The search failed (${response.status}).`;
      return;
    }
    for (const image of body.results) if (!this.shapes.has(image.id)) this.add(image);
    this.count += body.results.length;
    this.next = body.next ? sameSite(body.next) : null;
    this.more.hidden = !this.next;
    this.showCount();
    if (!this.socket) this.follow(this.params);
    this.tellShowing(body.results.map((image) => image.id));
  }

  showCount() {
    const more = this.next ? " (more below)" : "";
    this.status.textContent = this.count ? `${this.count} image${this.count === 1 ? "" : "s"}${more}.` : "No image matches.";
  }

  add(image, before = null) {
    const meta = image.metadata || {};
    const row = this.row(image, meta);
    const shape = this.footprint(image, meta);
    this.rows.insertBefore(row, before);
    if (shape) {
      this.layer.append(shape);
      const on = () => { row.classList.add("fp-hover"); shape.classList.add("fp-hover"); };
      const off = () => { row.classList.remove("fp-hover"); shape.classList.remove("fp-hover"); };
      for (const node of [row, shape]) {
        node.addEventListener("mouseenter", on);
        node.addEventListener("mouseleave", off);
      }
    }
    this.shapes.set(image.id, { row, shape, data: JSON.stringify(image) });
  }

  // --- live ---------------------------------------------------------------------
  // The socket of the search ``params`` (null: none). It reopens after a cut, asking for
  // what changed since it last heard, and is told the rows shown again.
  follow(params) {
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    clearTimeout(this.retry);
    this.liveMark.hidden = true;
    if (!params) return;
    const generation = this.generation;
    const query = new URLSearchParams(params);
    query.set("since", this.since.toFixed(3));
    const socket = new WebSocket(socketURL(`/ws/search/?${query}`));
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 1000;
      this.liveMark.hidden = false;
      this.tellShowing([...this.shapes.keys()]);
    };
    socket.onmessage = (message) => {
      if (generation !== this.generation) return;
      this.since = Date.now() / 1000;
      const event = JSON.parse(message.data);
      if (event.type === "result") this.changed(event.image);
      else if (event.type === "gone") this.gone(event.id);
      else if (event.type === "progress") this.progress(event.id, event.percent);
    };
    socket.onclose = (event) => {
      this.liveMark.hidden = true;
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === 4400 || event.code === 4404) return; // refused: reopening would be too
      this.delay = Math.min(2 * (this.delay || 1000), 30000);
      this.retry = setTimeout(() => { if (generation === this.generation) this.follow(params); }, this.delay);
    };
  }

  tellShowing(ids) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return; // told on open
    for (let i = 0; i < ids.length; i += 500) socket.send(JSON.stringify({ type: "showing", ids: ids.slice(i, i + 500) }));
  }

  // A result that matches, new or changed: a row shown is redrawn where it is.
  changed(image) {
    const shown = this.shapes.get(image.id);
    if (!shown) {
      this.fresh.add(image.id);
      this.showFresh();
      return;
    }
    if (shown.data === JSON.stringify(image)) return; // as shown already
    const next = shown.row.nextSibling;
    this.drop(image.id);
    this.add(image, next);
    const { row } = this.shapes.get(image.id);
    row.classList.add("fp-updated");
    setTimeout(() => row.classList.remove("fp-updated"), 1500);
  }

  gone(id) {
    if (this.fresh.delete(id)) this.showFresh();
    if (this.drop(id)) {
      this.count -= 1;
      this.showCount();
    }
  }

  drop(id) {
    const shown = this.shapes.get(id);
    if (!shown) return false;
    shown.row.remove();
    if (shown.shape) shown.shape.remove();
    this.shapes.delete(id);
    return true;
  }

  progress(id, percent) {
    const shown = this.shapes.get(id);
    if (!shown || !Number.isFinite(percent)) return;
    const text = `warming ${percent.toFixed(0)} %`;
    for (const node of shown.row.querySelectorAll(".fp-state")) {
      node.className = "fp-state state-warming";
      node.textContent = text;
    }
  }

  showFresh() {
    const n = this.fresh.size;
    this.bar.hidden = n === 0;
    this.barText.textContent = `${n} new result${n === 1 ? "" : "s"} since the search`;
    this.liveMark.textContent = n ? `live · ${n} new` : "live"; // seen from the form too
  }

  row(image, meta) {
    const thumb = element("img", { alt: "", loading: "lazy", width: 48, height: 48 });
    thumb.src = sameSite(image.thumbnail_url) || "";
    const name = link(image.page_url, image.name);
    name.title = `${image.collection}/${image.name}`;
    const date = meta.date_obs ? meta.date_obs.replace("T", " ").slice(0, 16) : "";
    const exposure = meta.exptime === null || meta.exptime === undefined ? "" : `${meta.exptime} s`;
    const size = `${(image.size / 1024 ** 2).toFixed(1)} MB`;
    const label = stateText(image);
    const state = element("span", { className: `fp-state state-${image.state}` }, label);
    // Phones hide the state column: a row not ready says so on its thumbnail.
    const badge = element("span", { className: `fp-state fp-badge state-${image.state}`, hidden: image.state === "ready" }, label);
    const row = element("tr", { className: `fp-row-${image.state}` },
      element("td", { className: "fp-thumb" }, link(image.page_url, thumb), badge),
      element("td", { className: "fp-name" }, name),
      element("td", {}, meta.object || ""),
      element("td", {}, meta.filter || ""),
      element("td", {}, date),
      element("td", {}, exposure),
      element("td", { className: "fp-wide" }, size),
      element("td", { className: "fp-wide" }, state));
    row.dataset.image = String(image.id);
    return row;
  }

  footprint(image, meta) {
    if (meta.ra === null || meta.ra === undefined) return null;
    const target = sameSite(image.page_url);
    const group = svg("g", { class: "fp-sky-footprint", tabindex: 0 });
    group.append(svg("title", {}, `${image.name} · ${meta.object || ""} · ${formatRA(meta.ra)} ${formatDec(meta.dec)}`));
    for (const corners of meta.polygons || []) {
      const points = outline(corners);
      if (points) group.append(svg("path", { d: `${path(points)}Z` }));
    }
    const [x, y] = hammer(meta.ra, meta.dec);
    group.append(svg("circle", { cx: x.toFixed(2), cy: y.toFixed(2), r: 3.5 }));
    const open = () => { if (target) window.location.assign(target); };
    group.addEventListener("click", open);
    group.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
    return group;
  }

  drawQuery(coords, radius) {
    const ring = [];
    if (radius > 0) {
      const centre = unit(coords.ra, coords.dec);
      const pole = Math.abs(centre[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
      const east = normalise(cross(pole, centre));
      const north = cross(centre, east);
      const r = (Math.min(radius, 90) * Math.PI) / 180;
      for (let k = 0; k <= 72; k += 1) {
        const a = (k / 72) * 2 * Math.PI;
        const v = centre.map((c, j) => c * Math.cos(r) + Math.sin(r) * (Math.cos(a) * east[j] + Math.sin(a) * north[j]));
        ring.push(hammer(...radec(v)));
      }
    }
    const [x, y] = hammer(coords.ra, coords.dec);
    const split = ring.some((p, i) => i && Math.abs(p[0] - ring[i - 1][0]) > SCALE);
    this.marker.replaceChildren(
      ...(ring.length && !split ? [svg("path", { d: path(ring) })] : []),
      svg("path", { d: `M${x - 6},${y}h12M${x},${y - 6}v12`, class: "fp-sky-cross" }),
    );
  }
}

function stateText(image) {
  if (image.state === "warming" && image.progress > 0) return `warming ${(100 * image.progress).toFixed(0)} %`;
  return image.state;
}

function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(v) {
  const n = Math.hypot(...v);
  return v.map((c) => c / n);
}

const form = document.getElementById("fp-search");
if (form) new SearchPage(form);
