// What is under the cursor (or under a tap, on a touch screen), pixel value first: the
// values of every channel, raw and above the background, in BUNIT; then the FITS pixel,
// RA/Dec (computed here), other sky frames on demand, and a mosaic's extension. An
// image in galactic (or ecliptic) coordinates reads in its own frame first. Values
// come from the server in one debounced request: ``values/``, or, while the pixel table
// is shown, the 5 x 5 cutout around the pixel (which holds the value too).
import L from "leaflet";
import { fetchValues } from "./api.js";
import {
  equatorialToEcliptic, equatorialToGalactic, formatDec, formatRA, fromEquatorial, parseCoordinates, toEquatorial,
} from "./coords.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { element } from "./dom.js";
import { formatNumber, withUnit } from "./format.js";
import { fetchPixelBox, PixelTable } from "./pixeltable.js";

export const FRAMES = ["icrs-sexagesimal", "icrs-degrees", "galactic", "ecliptic"];

function skyText(frame, ra, dec) {
  if (frame === "icrs-degrees") return `α ${ra.toFixed(6)}°  δ ${dec.toFixed(6)}°`;
  if (frame === "galactic") {
    const [l, b] = equatorialToGalactic(ra, dec);
    return `l ${l.toFixed(5)}°  b ${b.toFixed(5)}°`;
  }
  if (frame === "ecliptic") {
    const [lambda, beta] = equatorialToEcliptic(ra, dec);
    return `λ ${lambda.toFixed(5)}°  β ${beta.toFixed(5)}°`;
  }
  return `α ${formatRA(ra)}  δ ${formatDec(dec)}`;
}

export function valuesText(image, values) {
  const unit = image.header && image.header.BUNIT ? String(image.header.BUNIT) : "";
  const raw = values.map((v) => formatNumber(v)).join(", ");
  const above = values.map((v, c) => (v === null || !image.stats || !image.stats[c] ? "—"
    : formatNumber(v - image.stats[c].background, 4))).join(", ");
  return `value ${withUnit(raw, unit)} (−bg ${above})`;
}

export class Readout {
  // ``element``: the readout bar's text box; ``options.channel()``: the channel the
  // pixel table shows; ``options.delay``: the debounce of the value request (ms).
  constructor(map, image, wcs, element_, options = {}) {
    this.map = map;
    this.image = image;
    this.wcs = wcs;
    this.element = element_;
    this.delay = options.delay ?? 120;
    this.channel = options.channel || (() => 0);
    this.frames = new Set([nativeFrame(wcs)]);
    this.table = null;
    this.pending = null;
    this.asked = 0;
    this.value = element("span", { className: "fp-value" });
    this.xy = element("span", { className: "fp-xy" });
    this.sky = element("span", { className: "fp-sky" });
    this.extra = element("span", { className: "fp-muted" });
    this.element.replaceChildren(element("span", { className: "fp-muted" },
      window.matchMedia("(hover: none)").matches ? "Tap the image to read a pixel"
        : "Move over the image to read pixels"));
    this.element.addEventListener("click", () => this.cycleFrame());
    map.on("mousemove", (event) => this.at(event.latlng));
    // A tap reads the pixel there and marks it (a touch screen has no hover).
    this.mark = null;
    map.on("click", (event) => {
      const pointer = event.originalEvent && event.originalEvent.pointerType;
      this.at(event.latlng);
      if (pointer === "touch" || pointer === "pen") this.showMark(event.latlng);
    });
  }

  // The click on the readout switches degrees and sexagesimal.
  cycleFrame() {
    const icrs = this.frames.has("icrs-sexagesimal") ? "icrs-degrees" : "icrs-sexagesimal";
    this.frames.delete("icrs-sexagesimal");
    this.frames.delete("icrs-degrees");
    this.frames.add(icrs);
    if (this.last) this.at(this.last, false);
  }

  setFrames(frames) {
    this.frames = new Set(frames);
    if (this.last) this.at(this.last, false);
  }

  showMark(latlng) {
    if (!this.mark) {
      this.mark = L.marker(latlng, { interactive: false, keyboard: false,
        icon: L.divIcon({ className: "fp-tap", iconSize: null }) }).addTo(this.map);
    } else this.mark.setLatLng(latlng);
  }

  setTable(table) {
    this.table = table;
    if (this.last) this.at(this.last);
  }

  describe(x, y) {
    const el = this.element;
    el.dataset.x = x.toFixed(2);
    el.dataset.y = y.toFixed(2);
    this.xy.textContent = `x ${x.toFixed(1)}  y ${y.toFixed(1)}`;
    const parts = [this.value, this.xy];
    if (this.wcs && this.wcs.isCelestial) {
      const [lon, lat] = this.wcs.pixelToWorld(x, y);
      const [ra, dec] = toEquatorial(this.wcs.frame, lon, lat);
      el.dataset.ra = ra.toFixed(8);
      el.dataset.dec = dec.toFixed(8);
      el.dataset.frame = this.wcs.frame || "equatorial";
      if (Number.isFinite(ra)) {
        this.sky.textContent = FRAMES.filter((f) => this.frames.has(f)).map((f) => skyText(f, ra, dec)).join("   ");
      } else {
        this.sky.textContent = `${this.wcs.frame} ${lon.toFixed(5)}°, ${lat.toFixed(5)}°`;
      }
      parts.push(this.sky);
    } else if (this.wcs && this.wcs.problem) {
      this.sky.textContent = this.wcs.problem;
      parts.push(this.sky);
    }
    const detector = detectorAt(this.image, x, y);
    el.dataset.detector = detector || "";
    if (detector) {
      this.extra.textContent = `on ${detector}`;
      parts.push(this.extra);
    }
    el.replaceChildren(...parts);
  }

  // Reads the pixel at ``latlng``: position at once, values after the debounce.
  at(latlng, ask = true) {
    this.last = latlng;
    const { x, y } = latLngToFits(latlng, this.image.height);
    if (ask) {
      this.value.textContent = "…";
      this.value.title = "";
    }
    this.describe(x, y);
    if (!ask) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.ask(x, y), this.delay);
  }

  async ask(x, y) {
    const asked = ++this.asked;
    let values;
    if (this.table) {
      const box = await fetchPixelBox(this.image, x, y, 2);
      if (asked !== this.asked) return;
      values = box ? box.valuesAt(box.cx, box.cy) : null;
      this.table.show(box, this.channel());
    } else {
      values = await fetchValues(this.image, x, y);
      if (asked !== this.asked) return;
    }
    if (!values) return;
    this.value.textContent = valuesText(this.image, values);
    this.element.dataset.values = JSON.stringify(values);
    // The whole line, for when the bar is too narrow for it (click: degrees / h:m:s).
    this.element.title = this.element.textContent;
  }
}

// The readout frame of an image's own sky frame.
function nativeFrame(wcs) {
  const frame = wcs && wcs.isCelestial ? wcs.frame : "equatorial";
  return frame === "galactic" || frame === "ecliptic" ? frame : "icrs-sexagesimal";
}

export function attachReadout(map, image, wcs, element_, options = {}) {
  return new Readout(map, image, wcs, element_, options);
}

// The extension (amplifier, CCD) of a mosaic under FITS pixel (x, y), from DETSEC.
function detectorAt(image, x, y) {
  if (image.kind !== "mosaic") return null;
  const sections = image.hdus.filter((h) => h.detsec);
  const ranges = sections.map((h) => h.detsec.replace(/[[\]\s]/g, "").split(",").map((r) => r.split(":").map(Number)));
  const xmin = Math.min(...ranges.map(([rx]) => Math.min(...rx)));
  const ymin = Math.min(...ranges.map(([, ry]) => Math.min(...ry)));
  for (let i = 0; i < sections.length; i++) {
    const [[x1, x2], [y1, y2]] = ranges[i];
    const mx = x + xmin - 1;
    const my = y + ymin - 1;
    if (mx >= Math.min(x1, x2) - 0.5 && mx <= Math.max(x1, x2) + 0.5 && my >= Math.min(y1, y2) - 0.5
      && my <= Math.max(y1, y2) + 0.5) return sections[i].name || `HDU ${sections[i].index}`;
  }
  return null;
}

// The pixel table's switch and the sky frames of the readout, in the "analysis" tab.
export function readoutOptions(readout, container) {
  const tableBox = element("input", { type: "checkbox", name: "pixel-table" });
  const holder = element("div", { className: "fp-pixel-table" });
  tableBox.addEventListener("change", () => {
    readout.setTable(tableBox.checked ? new PixelTable(holder, readout.image) : null);
    if (!tableBox.checked) holder.replaceChildren();
  });
  const frames = [["icrs-sexagesimal", "RA/Dec h:m:s"], ["icrs-degrees", "RA/Dec degrees"],
    ["galactic", "galactic l, b"], ["ecliptic", "ecliptic λ, β"]];
  const boxes = frames.map(([name]) => element("input", { type: "checkbox", name: `frame-${name}`,
    checked: readout.frames.has(name) }));
  for (const box of boxes) {
    box.addEventListener("change", () => readout.setFrames(boxes.filter((b) => b.checked).map((b) => b.name.slice(6))));
  }
  const labels = boxes.map((box, i) => element("label", { className: "fp-field" }, box, element("span", {}, frames[i][1])));
  container.append(
    element("fieldset", { className: "fp-group" }, element("legend", {}, "Pixel table"),
      element("label", { className: "fp-field", title: "Values of the 5 × 5 pixels around the cursor (one request per pause)" },
        tableBox, element("span", {}, "5 × 5 values around the cursor")), holder),
  );
  if (readout.wcs && readout.wcs.isCelestial) {
    container.append(element("fieldset", { className: "fp-group" }, element("legend", {}, "Readout frames"),
      element("div", { className: "fp-row" }, ...labels)));
  }
}

// Go-to: coordinates in the image's own frame (RA/Dec, or l b for a galactic image;
// sexagesimal is always RA/Dec), pixels with a prefix ("px 120 80"), or an object
// name, resolved by the server (the portal's catalogs and images, then Sesame where the
// portal allows it). ``options.onGo(latlng, target)`` after each jump.
export function attachGoTo(map, image, wcs, input, options = {}) {
  const celestial = Boolean(wcs && wcs.isCelestial);
  const frame = celestial ? wcs.frame || "equatorial" : null;
  if (!celestial) input.placeholder = "Go to: x y (pixels)";
  else if (frame === "galactic") input.placeholder = "Go to: l b, RA Dec h:m:s, or a name";
  else input.placeholder = "Go to: RA Dec, name, or px x y";
  let asked = 0;
  const say = (message) => {
    input.setCustomValidity(message);
    input.reportValidity();
  };
  // The pixel of a sky position given in ``given`` (its frame), or null.
  const pixelOf = (lon, lat, given) => {
    const [ra, dec] = toEquatorial(given, lon, lat);
    const [a, b] = given === frame ? [lon, lat] : fromEquatorial(frame, ra, dec);
    const [x, y] = Number.isFinite(a) ? wcs.worldToPixel(a, b) : [NaN, NaN];
    return Number.isFinite(x) && Number.isFinite(y) ? fitsToLatLng(x, y, image.height) : null;
  };
  // The place gone to stays marked (a ring, with the object's name) until the next one.
  let mark = null;
  const go = (latlng, target) => {
    input.dataset.state = "found";
    say("");
    if (mark) map.removeLayer(mark);
    mark = L.circleMarker(latlng, { radius: 12, color: "#ff4081", weight: 2, fill: false, interactive: false });
    if (target && target.name) {
      mark.bindTooltip(element("span", {}, target.name), { permanent: true, direction: "right", offset: [12, 0] });
    }
    mark.addTo(map);
    map.setView(latlng, Math.max(map.getZoom(), image.levels - 1));
    if (options.onGo) options.onGo(latlng, target);
    map.fire("fp:goto", { latlng, target });
  };
  input.addEventListener("input", () => { input.setCustomValidity(""); });
  input.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    const text = input.value.trim();
    const turn = ++asked;
    const target = parseCoordinates(text, { pixels: !celestial });
    if (target && "x" in target) {
      go(fitsToLatLng(target.x, target.y, image.height), target);
      return;
    }
    if (target && celestial) {
      // Decimal degrees are in the image's own frame; sexagesimal is RA/Dec.
      const decimal = DECIMAL_PAIR.test(text);
      const latlng = pixelOf(target.ra, target.dec, decimal ? frame : "equatorial");
      if (latlng) go(latlng, target);
      else say("That position has no pixel in this image");
      return;
    }
    if (!celestial || !/[A-Za-z]/.test(text)) {
      say(celestial ? "Not understood: RA Dec (210.8 54.35 or 14:03:12 +54:21:00), px x y, or an object name"
        : "Not understood: x y (this image has no sky coordinates)");
      return;
    }
    input.dataset.state = "resolving";
    say(`Looking up ${text}…`);
    const found = await resolveName(text, image);
    if (turn !== asked) return;
    if (!found.ok) {
      input.dataset.state = "unknown";
      say(found.detail);
      return;
    }
    const latlng = pixelOf(found.body.ra, found.body.dec, "equatorial");
    const inside = latlng && latlng.lng >= 0 && latlng.lng <= image.width && latlng.lat >= 0 && latlng.lat <= image.height;
    input.title = `${found.body.name}: ${formatRA(found.body.ra)} ${formatDec(found.body.dec)} (${found.body.detail})`;
    if (inside) go(latlng, found.body);
    else {
      input.dataset.state = "outside";
      say(`${found.body.name} (${found.body.detail}) lies outside this image`);
    }
  });
}

const DECIMAL_PAIR = /^[+-]?\d+(?:\.\d*)?(?:\s*,\s*|\s+)[+-]?\d+(?:\.\d*)?$/;

// {ok, body} for a name the server found, {ok: false, detail} otherwise.
async function resolveName(name, image) {
  try {
    const response = await fetch(`/api/resolve/?name=${encodeURIComponent(name)}&image=${image.id}`,
      { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (response.ok) return { ok: true, body };
    return { ok: false, detail: body.detail || `The name could not be resolved (${response.status})` };
  } catch {
    return { ok: false, detail: "The name resolver could not be reached" };
  }
}
