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
import { parseCoordinates } from "./coords.js";
import { socketURL } from "./progress.js";
import { SkyMap } from "./skymap.js";

function sameSite(url) {
  const target = new URL(url, window.location.href);
  return target.origin === window.location.origin ? target.href : null;
}

class SearchPage {
  constructor(form) {
    this.form = form;
    this.status = document.querySelector(".fp-search-status");
    this.table = document.querySelector(".fp-results");
    this.rows = this.table.querySelector("tbody");
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
    this.sky = new SkyMap(document.querySelector(".fp-skymap"), document.querySelector(".fp-sky-legend"));
    this.empty = element("p", { className: "fp-no-results", hidden: true });
    document.querySelector(".fp-results-wrap").append(this.empty);
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
      this.sky.setQuery({ ra: coords.ra, dec: coords.dec, radius });
    } else this.sky.setQuery(null);
    for (const name of ["q", "object", "filter", "instrument", "date_min", "date_max", "exptime_min", "exptime_max", "sort"]) {
      const value = String(data.get(name) || "").trim();
      if (value) params.set(name, value);
    }
    return { params };
  }

  run(fromForm) {
    const { params, error } = this.query();
    if (error) {
      this.fail(error);
      return;
    }
    if (fromForm) {
      const page = new URLSearchParams(new FormData(this.form));
      for (const [name, value] of [...page.entries()]) if (!value) page.delete(name);
      window.history.replaceState(null, "", `${window.location.pathname}?${page}`);
    }
    this.rows.replaceChildren();
    this.sky.clear();
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
    this.status.classList.remove("state-failed");
    this.empty.hidden = true;
    this.more.hidden = true;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (generation !== this.generation) return; // another search began meanwhile
    if (!response.ok) {
      this.fail(body.detail || `The search failed (${response.status}).`);
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
    this.status.classList.remove("state-failed");
    this.table.hidden = !this.count;
    this.empty.hidden = Boolean(this.count);
    this.empty.textContent = "No image you may see matches this search. Widen the radius, or clear a field of the form.";
  }

  // A query the page or the server cannot run: said where the results would be.
  fail(text) {
    this.status.textContent = text;
    this.status.classList.add("state-failed");
    this.table.hidden = !this.rows.children.length;
    this.empty.hidden = true;
  }

  add(image, before = null) {
    const meta = image.metadata || {};
    const row = this.row(image, meta);
    const shape = this.footprint(image);
    this.rows.insertBefore(row, before);
    if (shape) {
      const on = () => { row.classList.add("fp-hover"); this.sky.highlight(image.id, true); };
      const off = () => { row.classList.remove("fp-hover"); this.sky.highlight(image.id, false); };
      for (const node of [row, shape]) {
        node.addEventListener("mouseenter", on);
        node.addEventListener("mouseleave", off);
      }
      row.addEventListener("focusin", on);
      row.addEventListener("focusout", off);
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
    this.sky.remove(id);
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
    // The day and the time, which a phone puts on two lines.
    const date = meta.date_obs
      ? [element("span", { className: "fp-day" }, meta.date_obs.slice(0, 10)), " ",
        element("span", { className: "fp-time" }, meta.date_obs.slice(11, 16))]
      : [];
    const exposure = meta.exptime === null || meta.exptime === undefined ? "" : `${meta.exptime} s`;
    const size = `${(image.size / 1024 ** 2).toFixed(1)} MB`;
    const label = stateText(image);
    const state = element("span", { className: `fp-state state-${image.state}` }, label);
    // Phones hide the state column: a row not ready says so on its thumbnail.
    const badge = element("span", { className: `fp-state fp-badge state-${image.state}`, hidden: image.state === "ready" }, label);
    const row = element("tr", { className: `fp-row-${image.state}` },
      element("td", { className: "fp-thumb" }, link(image.page_url, thumb), badge),
      // A phone has no object column: the object is said under the file name.
      element("td", { className: "fp-name" }, name, element("span", { className: "fp-name-object" }, meta.object || "")),
      element("td", { className: "fp-object" }, meta.object || ""),
      element("td", {}, meta.filter || ""),
      element("td", { className: "fp-date" }, ...date),
      element("td", {}, exposure),
      element("td", { className: "fp-wide" }, size),
      element("td", { className: "fp-wide" }, state));
    row.dataset.image = String(image.id);
    return row;
  }

  footprint(image) {
    const group = this.sky.add(image.id, image);
    if (!group) return null;
    const target = sameSite(image.page_url);
    const open = () => { if (target) window.location.assign(target); };
    group.addEventListener("click", open);
    group.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
    return group;
  }
}

function stateText(image) {
  if (image.state === "warming" && image.progress > 0) return `warming ${(100 * image.progress).toFixed(0)} %`;
  return image.state;
}

const form = document.getElementById("fp-search");
if (form) new SearchPage(form);
