// A histogram of the channel's values with the two cuts as handles to drag.
import { element } from "./dom.js";

export class CutsHistogram {
  constructor(container, image, onChange) {
    this.image = image;
    this.onChange = onChange;
    this.canvas = element("canvas", { className: "fp-histogram", width: 300, height: 70,
      title: "Drag the yellow handles to set the cuts" });
    container.append(this.canvas);
    this.dragging = null;
    this.canvas.addEventListener("pointerdown", (event) => this.grab(event));
    this.canvas.addEventListener("pointermove", (event) => this.drag(event));
    window.addEventListener("pointerup", () => {
      if (this.dragging !== null) {
        this.dragging = null;
        this.onChange(this.cuts);
      }
    });
  }

  async load(channel, cuts) {
    const response = await fetch(`${this.image.url}histogram/?channel=${channel + 1}&bins=${this.canvas.width}`,
      { credentials: "same-origin" });
    if (!response.ok) return;
    this.data = await response.json();
    this.cuts = [...cuts];
    this.draw();
    this.canvas.dataset.loaded = "1";
  }

  xOf(value) {
    const { edges } = this.data;
    return ((value - edges[0]) / (edges[edges.length - 1] - edges[0])) * this.canvas.width;
  }

  valueOf(x) {
    const { edges } = this.data;
    return edges[0] + (x / this.canvas.width) * (edges[edges.length - 1] - edges[0]);
  }

  draw() {
    const context = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    context.fillStyle = "#111";
    context.fillRect(0, 0, width, height);
    const counts = this.data.counts.map((c) => Math.log10(1 + c));
    const top = Math.max(...counts, 1);
    context.fillStyle = "#9ab";
    const step = width / counts.length;
    counts.forEach((c, i) => context.fillRect(i * step, height - (c / top) * height, Math.max(step, 1), (c / top) * height));
    context.strokeStyle = "#ffcc00";
    context.lineWidth = 2;
    for (const value of this.cuts) {
      const x = Math.max(1, Math.min(width - 1, this.xOf(value)));
      context.beginPath();
      context.moveTo(x, 0);
      context.lineTo(x, height);
      context.stroke();
    }
  }

  grab(event) {
    if (!this.data) return;
    const x = event.offsetX;
    const distances = this.cuts.map((v) => Math.abs(this.xOf(v) - x));
    this.dragging = distances[0] <= distances[1] ? 0 : 1;
    this.canvas.setPointerCapture(event.pointerId);
    this.drag(event);
  }

  drag(event) {
    if (this.dragging === null) return;
    const value = this.valueOf(Math.max(0, Math.min(this.canvas.width, event.offsetX)));
    this.cuts[this.dragging] = Number(value.toPrecision(7));
    if (this.cuts[0] > this.cuts[1]) {
      this.cuts.reverse();
      this.dragging = 1 - this.dragging;
    }
    this.draw();
  }
}
