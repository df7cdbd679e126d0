// The colour bar: the display's colours from the low cut to the high cut, labelled with
// the cut values and BUNIT, from the render state (cuts, stretch, contrast, brightness,
// gamma, inversion, colormap: colormap.js). A Leaflet control.
//
// Its colours are drawn once the server's colormap tables are in (colormap.js).
//
// Test hooks: data-lo, data-hi, data-colormap, data-stretch on its element; data-drawn,
// the colormap its colours were last drawn with.
import L from "leaflet";
import { barTicks, colormapsLoaded, displayColour, loadColormaps } from "./colormap.js";
import { element } from "./dom.js";
import { formatNumber } from "./format.js";

export const ColourBar = L.Control.extend({
  options: { position: "bottomleft", width: 220, narrowWidth: 150 },

  initialize(image, state, options) {
    L.setOptions(this, options);
    this.image = image;
    this.state = state;
  },

  onAdd(map) {
    this.canvas = element("canvas", { width: 256, height: 1 });
    this.scale = element("div", { className: "fp-colorbar-scale" });
    this.title = element("div", { className: "fp-colorbar-title" });
    this.box = element("div", { className: "fp-colorbar leaflet-control" }, this.canvas, this.scale, this.title);
    L.DomEvent.disableClickPropagation(this.box);
    this.refresh = () => setTimeout(() => this.update(map), 0);
    // The controls change the state in their own listeners, before the event reaches
    // the document (a preset button's click too); the viewer may also say "fp:render".
    document.addEventListener("change", this.refresh);
    document.addEventListener("input", this.refresh);
    document.addEventListener("click", this.refresh); // preset buttons
    window.addEventListener("hashchange", this.refresh);
    map.on("fp:render fp:state resize", this.refresh);
    loadColormaps().then(this.refresh, (error) => console.warn(error.message));
    this.update(map);
    return this.box;
  },

  onRemove(map) {
    document.removeEventListener("change", this.refresh);
    document.removeEventListener("input", this.refresh);
    document.removeEventListener("click", this.refresh);
    window.removeEventListener("hashchange", this.refresh);
    map.off("fp:render fp:state resize", this.refresh);
  },

  update(map) {
    const { state, image } = this;
    const colour = image.channels > 1 && (state.channel === null || state.channel === undefined);
    this.box.hidden = colour; // a colour composite has one bar per channel: their cuts are in the panel
    if (colour) return;
    const c = state.channel ?? 0;
    const [lo, hi] = state.cuts[c];
    const width = map.getSize().x < 500 ? this.options.narrowWidth : this.options.width;
    this.box.style.width = `${width}px`;
    if (colormapsLoaded()) {
      const context = this.canvas.getContext("2d");
      const pixels = context.createImageData(256, 1);
      for (let i = 0; i < 256; i++) {
        const [r, g, b] = displayColour(i / 255, state);
        pixels.data.set([r, g, b, 255], i * 4);
      }
      context.putImageData(pixels, 0, 0);
      this.box.dataset.drawn = state.colormap || "grey";
    }
    const label = (value, at) => {
      const span = element("span", {}, formatNumber(value, 5));
      span.style.left = `${at * 100}%`;
      return span;
    };
    // Inner labels clear of the end labels and of each other (a fifth of the bar).
    const inner = [];
    for (const v of width >= 200 ? barTicks(lo, hi) : []) {
      const at = (v - lo) / (hi - lo);
      if (at > 0.22 && at < 0.78 && (!inner.length || at - (inner[inner.length - 1] - lo) / (hi - lo) > 0.2)) inner.push(v);
    }
    this.scale.replaceChildren(label(lo, 0), ...inner.map((v) => label(v, (v - lo) / (hi - lo))), label(hi, 1));
    const unit = image.header && image.header.BUNIT ? String(image.header.BUNIT).trim() : "";
    const channel = image.channels > 1 ? `${image.channel_names?.[c] || `channel ${c + 1}`} · ` : "";
    this.title.textContent = `${channel}${unit ? `${unit} · ` : ""}${state.stretch || "linear"}`;
    Object.assign(this.box.dataset, { lo: String(lo), hi: String(hi), colormap: state.colormap || "grey",
      stretch: state.stretch || "linear" });
  },
});
