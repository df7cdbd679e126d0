// The histogram of a channel's values with the two cuts as lines to drag: log counts,
// zoomed to the cuts (or the whole sampled range), value axis in BUNIT. Drawn with
// uPlot (plots.js). The cut lines move with the pointer; the cuts are reported once
// the line is let go (onChange([lo, hi])); the panel's Min / Max fields take exact
// numbers.
//
// Interface kept for controls.js: new CutsHistogram(container, image, onChange),
// load(channel, cuts), data ({counts, edges}), cuts ([lo, hi]), draw().
import uPlot from "uplot";
import { element } from "./dom.js";
import { formatNumber } from "./format.js";
import { Plot } from "./plots.js";

const BINS = 2048; // the sampled range may be much wider than the cuts

// "1", "10", "100", "1k" ... for the tick at log10(1 + count) = k.
function countLabel(k) {
  const count = 10 ** k;
  if (count >= 1e6) return `${formatNumber(count / 1e6, 3)}M`;
  if (count >= 1e3) return `${formatNumber(count / 1e3, 3)}k`;
  return formatNumber(count, 3);
}

// The x range shown: the cuts with a margin of a fifth of their span on each side,
// within the sampled range; or the whole sampled range.
export function histogramRange(edges, cuts, full) {
  const first = edges[0];
  const last = edges[edges.length - 1];
  if (full) return [first, last];
  const [lo, hi] = cuts;
  const span = hi - lo || Math.abs(lo) * 1e-3 || 1;
  return [Math.max(first, lo - span / 5), Math.min(last, hi + span / 5)].map((v, k, [a, b]) =>
    (b > a ? v : [lo - span, hi + span][k]));
}

export class CutsHistogram {
  constructor(container, image, onChange) {
    this.image = image;
    this.onChange = onChange;
    this.data = null;
    this.cuts = null;
    this.dragging = null;
    this.full = element("input", { type: "checkbox", name: "histogram-full" });
    this.full.addEventListener("change", () => this.draw());
    this.figurePlot = new Plot(container, { name: "histogram", title: "Histogram", height: 170 });
    this.figure = this.figurePlot.figure;
    this.figure.title = "Drag the min and max lines to set the cuts; type exact values in Min and Max";
    this.figure.append(element("label", { className: "fp-field fp-plot-option" }, this.full,
      element("span", {}, "Whole range")));
  }

  async load(channel, cuts) {
    this.cuts = [...cuts];
    this.channel = channel;
    const response = await fetch(`${this.image.url}histogram/?channel=${channel + 1}&bins=${BINS}`,
      { credentials: "same-origin" });
    if (!response.ok || this.channel !== channel) return;
    this.data = await response.json();
    this.draw();
    this.figure.dataset.loaded = "1";
  }

  draw() {
    if (!this.data || !this.cuts) return;
    const { counts, edges } = this.data;
    const logs = counts.map((c) => Math.log10(1 + c));
    const top = Math.max(1, Math.ceil(Math.max(...logs) + 0.05));
    const unit = this.image.header && this.image.header.BUNIT ? String(this.image.header.BUNIT).trim() : "";
    const [x0, x1] = histogramRange(edges, this.cuts, this.full.checked);
    const plot = this.figurePlot.draw([edges, [...logs, logs[logs.length - 1]]], {
      x: { label: "value", unit },
      y: { label: "pixels", unit: "" },
      series: [{ label: "pixels", colour: "#9ab", fill: "rgba(153, 170, 187, 0.35)", width: 1,
        paths: uPlot.paths.stepped({ align: 1 }) }],
      scales: { x: { time: false, range: () => [x0, x1] }, y: { range: () => [0, top] } },
      axes: [{ size: 34 }, { splits: () => Array.from({ length: top + 1 }, (_, k) => k),
        values: (_u, splits) => splits.map(countLabel), label: "pixels (log)" }],
      zoom: false,
      legend: false,
      hooks: { draw: [(u) => this.drawCuts(u)] },
    });
    this.figurePlot.setCaption(`Histogram: cuts ${formatNumber(this.cuts[0], 7)} … ${formatNumber(this.cuts[1], 7)}` +
      (unit ? ` ${unit}` : ""));
    this.figure.dataset.lo = String(this.cuts[0]);
    this.figure.dataset.hi = String(this.cuts[1]);
    this.figure.dataset.range = `${x0},${x1}`;
    // The plotting area, where the lines are dragged.
    plot.over.classList.add("fp-histogram");
    plot.over.dataset.loaded = "1";
    this.listen(plot);
  }

  // The cut lines, in canvas pixels (uPlot draws at the device pixel ratio).
  drawCuts(u) {
    const { ctx } = u;
    const top = u.bbox.top;
    const height = u.bbox.height;
    const accent = getComputedStyle(this.figure).getPropertyValue("--fp-accent").trim() || "#ffcc00";
    ctx.save();
    ctx.strokeStyle = accent; // the theme's: yellow on dark, amber on light
    ctx.fillStyle = accent;
    ctx.lineWidth = 2 * uPlot.pxRatio;
    ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
    this.cuts.forEach((value, k) => {
      const x = Math.round(u.valToPos(value, "x", true));
      if (x < u.bbox.left - 1 || x > u.bbox.left + u.bbox.width + 1) return;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      // Each label inside the cuts, beside its line.
      ctx.textAlign = k === 0 ? "left" : "right";
      ctx.fillText(k === 0 ? "min" : "max", x + (k === 0 ? 4 : -4) * uPlot.pxRatio, top + 11 * uPlot.pxRatio);
    });
    ctx.restore();
  }

  // Pointer events on the plotting area: the nearer cut line jumps to the pointer and
  // follows it; it is reported when let go.
  listen(u) {
    const over = u.over;
    const at = (event) => u.posToVal(Math.max(0, Math.min(u.over.clientWidth, event.offsetX)), "x");
    over.addEventListener("pointerdown", (event) => {
      const distances = this.cuts.map((v) => Math.abs(u.valToPos(v, "x") - event.offsetX));
      this.dragging = distances[0] <= distances[1] ? 0 : 1;
      over.setPointerCapture(event.pointerId);
      this.move(u, at(event));
      event.preventDefault();
    });
    over.addEventListener("pointermove", (event) => {
      if (this.dragging !== null) this.move(u, at(event));
    });
    const release = () => {
      if (this.dragging === null) return;
      this.dragging = null;
      this.draw(); // the view zooms to the new cuts
      this.onChange([...this.cuts]);
    };
    over.addEventListener("pointerup", release);
    over.addEventListener("pointercancel", release);
  }

  move(u, value) {
    this.cuts[this.dragging] = Number(value.toPrecision(7));
    if (this.cuts[0] > this.cuts[1]) {
      this.cuts.reverse();
      this.dragging = 1 - this.dragging;
    }
    this.figure.dataset.lo = String(this.cuts[0]);
    this.figure.dataset.hi = String(this.cuts[1]);
    u.redraw(false);
  }
}
