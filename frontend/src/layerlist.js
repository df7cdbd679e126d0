// Overlays switched on and off by name. Leaflet's Control.Layers writes the names as
// HTML; catalog names are user data, so this control writes them as text. It keeps
// Leaflet's classes, so it looks like the layers control.
import L from "leaflet";
import { element } from "./dom.js";

export const LayerList = L.Control.extend({
  options: { position: "topright" },

  initialize(options) {
    L.setOptions(this, options);
    this.entries = [];
  },

  onAdd(map) {
    this.map = map;
    this.list = element("div", { className: "leaflet-control-layers-overlays" });
    const container = element("div", { className: "leaflet-control-layers leaflet-control-layers-expanded" },
      element("section", { className: "leaflet-control-layers-list" }, this.list));
    L.DomEvent.disableClickPropagation(container);
    L.DomEvent.disableScrollPropagation(container);
    for (const entry of this.entries) this.list.append(entry.label);
    return container;
  },

  // Adds a switch for ``layer``, labelled ``name`` (plain text).
  addOverlay(layer, name) {
    const box = element("input", { type: "checkbox", className: "leaflet-control-layers-selector" });
    const label = element("label", {}, element("span", {}, box, element("span", {}, ` ${name}`)));
    box.addEventListener("change", () => {
      if (box.checked) this.map.addLayer(layer);
      else this.map.removeLayer(layer);
    });
    layer.on("add", () => { box.checked = true; });
    layer.on("remove", () => { box.checked = false; });
    this.entries.push({ layer, label });
    if (this.list) this.list.append(label);
    return this;
  },
});
