// Plots people read: uPlot (a small, maintained canvas plotting library) with labelled
// axes, units and ticks, for the line profile, the star's radial profile and a cube's
// spectrum. Each plot is a component: new XPlot(container) appends a figure; show(...)
// draws data. uPlot draws on canvases and sets element styles through the CSSOM, which a
// strict Content-Security-Policy (style-src 'self') allows; its style sheet is a file.
//
// Test hooks: after each draw a figure carries data-x-ticks / data-y-ticks (the tick
// labels drawn, "|"-separated) and data-points (the number of x values).
import uPlot from "uplot";
import { element } from "./dom.js";
import { formatNumber } from "./format.js";

export const SERIES_COLOURS = ["#ffcc00", "#00e5ff", "#ff5cf4", "#7cff4d", "#ff8a3d", "#a78bfa"];

// The plots' style sheet (uPlot's, and ours): built next to this bundle as plots.css,
// linked once unless the page links it already.
export function ensurePlotStyles() {
  if (typeof document === "undefined" || document.querySelector("link[data-fp-plots]")) return;
  if ([...document.styleSheets].some((sheet) => sheet.href && sheet.href.endsWith("/plots.css"))) return;
  const sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = new URL("plots.css", import.meta.url).href;
  sheet.dataset.fpPlots = "";
  document.head.append(sheet);
}

// Tick labels: significant digits, no float noise.
export function tickLabels(_plot, splits) {
  return splits.map((value) => (value === null || value === undefined ? "" : formatNumber(value, 4)));
}

// "value (unit)" or "value".
export function axisLabel(label, unit) {
  return unit ? `${label} (${unit})` : label;
}

// The theme's text colour (the figure's CSS colour), and fainter ones for the grid.
function themeColours(node) {
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(getComputedStyle(node).color || "");
  const rgb = match ? match.slice(1, 4).join(", ") : "221, 221, 221";
  return { text: `rgb(${rgb})`, grid: `rgba(${rgb}, 0.16)`, ticks: `rgba(${rgb}, 0.45)` };
}

// A uPlot in a figure with a caption, sized to its container (ResizeObserver) and
// redrawn in the colours of the theme when it changes.
export class Plot {
  constructor(container, { name, title, height = 170 } = {}) {
    ensurePlotStyles();
    this.height = height;
    this.caption = element("figcaption", { className: "fp-plot-caption" }, title || "");
    this.box = element("div", { className: "fp-plot-box" });
    this.figure = element("figure", { className: "fp-plot", hidden: true }, this.caption, this.box);
    if (name) this.figure.dataset.plot = name;
    container.append(this.figure);
    this.plot = null;
    this.last = null;
    new ResizeObserver(() => {
      if (this.plot && this.width() !== this.plot.width) this.plot.setSize({ width: this.width(), height: this.height });
    }).observe(this.box);
    new MutationObserver(() => { if (this.last) this.draw(...this.last); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  }

  width() {
    return Math.max(200, Math.floor(this.box.clientWidth || this.figure.parentElement.clientWidth || 320));
  }

  // data: uPlot's aligned arrays [xs, ys1, ys2, ...]; options: { x: {label, unit}, y:
  // {label, unit}, series: [{label, colour, points, dash, width}], scales, hooks, axes }.
  draw(data, options) {
    this.last = [data, options];
    this.figure.dataset.xLabel = axisLabel(options.x.label, options.x.unit);
    this.figure.dataset.yLabel = axisLabel(options.y.label, options.y.unit);
    this.figure.hidden = false;
    if (this.plot) this.plot.destroy();
    this.box.replaceChildren();
    const colours = themeColours(this.figure);
    const axis = (label, extra = {}) => ({
      label, stroke: colours.text, grid: { stroke: colours.grid, width: 1 },
      ticks: { stroke: colours.ticks, width: 1, size: 4 }, values: tickLabels, font: "11px system-ui, sans-serif",
      labelFont: "11px system-ui, sans-serif", labelSize: 16, ...extra,
    });
    const series = [{ label: options.x.label }, ...options.series.map((s, k) => ({
      label: s.label,
      stroke: s.colour || SERIES_COLOURS[k % SERIES_COLOURS.length],
      width: s.width ?? 1.5,
      dash: s.dash,
      spanGaps: false,
      points: s.points ? { show: true, size: 3, fill: s.colour, stroke: s.colour } : { show: false },
      ...(s.points && !s.line ? { paths: () => null } : {}),
      ...(s.fill ? { fill: s.fill } : {}),
      ...(s.paths ? { paths: s.paths } : {}),
      value: (_u, v) => (v === null || v === undefined ? "—" : formatNumber(v, 6)),
    }))];
    const hooks = { ...(options.hooks || {}) };
    hooks.drawAxes = [...(hooks.drawAxes || []), (u) => this.mark(u)];
    this.plot = new uPlot({
      width: this.width(),
      height: this.height,
      series,
      scales: options.scales || { x: { time: false } },
      axes: [axis(axisLabel(options.x.label, options.x.unit), { size: 34, space: 40, ...options.axes?.[0] }),
        axis(axisLabel(options.y.label, options.y.unit), { size: 56, space: 22, ...options.axes?.[1] })],
      legend: { show: options.legend ?? series.length > 2, live: false },
      cursor: { drag: { x: options.zoom ?? true, y: false }, points: { show: false }, ...(options.cursor || {}) },
      hooks,
    }, data, this.box);
    return this.plot;
  }

  // What was drawn, for people who test (and screen readers: the caption says it).
  mark(u) {
    const ticks = (k) => (u.axes[k]._values || []).filter((v) => v !== "").join("|");
    this.figure.dataset.xTicks = ticks(0);
    this.figure.dataset.yTicks = ticks(1);
    this.figure.dataset.points = String(u.data[0].length);
  }

  setCaption(text) {
    this.caption.textContent = text;
  }

  hide() {
    this.figure.hidden = true;
  }
}

export function channelName(image, c) {
  const name = image.channel_names && image.channel_names[c];
  return name || `channel ${c + 1}`;
}

function unitOf(image) {
  return image.header && image.header.BUNIT ? String(image.header.BUNIT).trim() : "";
}

// The values along a line between two image pixels, every channel; x is the distance
// from the first point, in arcseconds when the image has a celestial WCS.
export class ProfilePlot extends Plot {
  constructor(container, options = {}) {
    super(container, { name: "profile", title: "Line profile", ...options });
  }

  // profile: the profile endpoint's points ({x, y, values}, 0-based pixels).
  show(profile, image, wcs = null) {
    if (!profile.length) return this.hide();
    const [first] = profile;
    const arcsec = wcs && wcs.isCelestial ? wcs.pixelScale() : null;
    const xs = profile.map((p) => Math.hypot(p.x - first.x, p.y - first.y) * (arcsec || 1));
    const channels = first.values.length;
    const ys = Array.from({ length: channels }, (_, c) => profile.map((p) => p.values[c]));
    const last = profile[profile.length - 1];
    this.setCaption(`Line profile: (${first.x + 1}, ${first.y + 1}) → (${last.x + 1}, ${last.y + 1}), ${profile.length} pixels`);
    return this.draw([xs, ...ys], {
      x: { label: "distance", unit: arcsec ? "arcsec" : "pixels" },
      y: { label: "value", unit: unitOf(image) },
      series: ys.map((_, c) => ({ label: channelName(image, c) })),
    });
  }
}

// The star's radial profile: every pixel's value against its distance from the fitted
// centre, the fitted Gaussian over them, and the FWHM in the caption.
export class RadialPlot extends Plot {
  constructor(container, options = {}) {
    super(container, { name: "radial", title: "Radial profile", ...options });
  }

  show(star, image, wcs = null) {
    const arcsec = wcs && wcs.isCelestial ? wcs.pixelScale() : null;
    const rs = star.profile.map(([r]) => r);
    const values = star.profile.map(([, v]) => v);
    const model = rs.map((r) => star.model(r));
    const fwhm = `FWHM ${formatNumber(star.fwhm, 3)} px` + (arcsec ? ` = ${formatNumber(star.fwhm * arcsec, 3)}″` : "");
    this.setCaption(`Star at (${star.x.toFixed(2)}, ${star.y.toFixed(2)}): ${fwhm}, peak ${formatNumber(star.peak, 4)}` +
      ` above ${formatNumber(star.background, 5)}`);
    this.figure.dataset.fwhm = String(star.fwhm);
    return this.draw([rs, values, model], {
      x: { label: "radius", unit: "pixels" },
      y: { label: "value", unit: unitOf(image) },
      series: [{ label: "pixels", points: true, colour: "#00e5ff" }, { label: "Gaussian fit", colour: "#ffcc00", width: 2 }],
      legend: true,
    });
  }
}

// A cube's third axis in its world coordinates (WCS paper III: linear, or -LOG), with
// its name and unit; channel numbers when the header has no such axis.
export function spectralAxis(image) {
  const h = image.header || {};
  const count = image.channels;
  const ctype = String(h.CTYPE3 || "").trim();
  const delta = Number(h.CD3_3 ?? (h.CDELT3 ?? 1) * (h.PC3_3 ?? 1));
  const crval = Number(h.CRVAL3 ?? 0);
  const crpix = Number(h.CRPIX3 ?? 1);
  if (!ctype || image.kind === "mosaic" || !Number.isFinite(delta) || delta === 0) {
    return { label: "channel", unit: "", values: Array.from({ length: count }, (_, c) => c + 1) };
  }
  const [name, algorithm = ""] = ctype.split(/-+/);
  const w = (c) => delta * (c + 1 - crpix);
  const value = algorithm === "LOG" ? (c) => crval * Math.exp(w(c) / crval) : (c) => crval + w(c);
  return { label: name.toLowerCase(), unit: String(h.CUNIT3 || "").trim(), values: Array.from({ length: count }, (_, c) => value(c)) };
}

// The spectrum at a pixel: every channel's value along the cube's third axis.
export class SpectrumPlot extends Plot {
  constructor(container, options = {}) {
    super(container, { name: "spectrum", title: "Spectrum at the cursor", ...options });
  }

  show(values, image, x, y) {
    const axis = spectralAxis(image);
    let xs = axis.values;
    let ys = values;
    if (xs.length > 1 && xs[1] < xs[0]) { // uPlot wants x ascending
      xs = [...xs].reverse();
      ys = [...ys].reverse();
    }
    this.setCaption(`Spectrum at (${x.toFixed(1)}, ${y.toFixed(1)}), ${values.length} channels`);
    return this.draw([xs, ys], {
      x: { label: axis.label, unit: axis.unit },
      y: { label: "value", unit: unitOf(image) },
      series: [{ label: "value", points: values.length <= 64, line: true, colour: SERIES_COLOURS[0] }],
      // Channel numbers are whole.
      axes: axis.label === "channel" ? [{ incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] }] : undefined,
    });
  }
}
