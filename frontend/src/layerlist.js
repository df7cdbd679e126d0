// Overlays switched on and off by name. Leaflet's Control.Layers writes the names as
// HTML; catalog names are user data, so this control writes them as text. It keeps
// Leaflet's classes, so it looks like the layers control; on a narrow map (a phone) it
// starts folded behind Leaflet's layers button.
import L from "leaflet";
import { element } from "./dom.js";

export const LayerList = L.Control.extend({
  options: { position: "topright", foldBelow: 640 },

  initialize(options) {
    L.setOptions(this, options);
    this.entries = [];
  },

  onAdd(map) {
    this.map = map;
    this.list = element("div", { className: "leaflet-control-layers-overlays" });
    const toggle = element("a", { className: "leaflet-control-layers-toggle", title: "Catalogs", role: "button",
      tabIndex: 0 });
    const container = element("div", { className: "leaflet-control-layers" }, toggle,
      element("section", { className: "leaflet-control-layers-list" }, this.list));
    const unfold = (open) => container.classList.toggle("leaflet-control-layers-expanded", open);
    unfold(map.getSize().x >= this.options.foldBelow);
    toggle.addEventListener("click", () => unfold(true));
    toggle.addEventListener("keydown", (event) => { if (event.key === "Enter") unfold(true); });
    map.on("click", () => { if (map.getSize().x < this.options.foldBelow) unfold(false); });
    L.DomEvent.disableClickPropagation(container);
    L.DomEvent.disableScrollPropagation(container);
    for (const entry of this.entries) this.list.append(entry.label);
    if (this.action) container.querySelector("section").append(this.action);
    return container;
  },

  // Adds a file chooser under the switches: ``run(file, say)`` gets each chosen file and
  // a function to show a line of text about it.
  addFileAction(text, accept, run) {
    const input = element("input", { type: "file", accept, className: "fp-layer-file" });
    const note = element("div", { className: "fp-layer-note" });
    this.action = element("div", { className: "fp-layer-action" }, element("label", {}, text, input), note);
    input.addEventListener("change", async () => {
      for (const file of input.files) await run(file, (line) => { note.textContent = line; });
      input.value = "";
    });
    if (this.list) this.list.parentNode.append(this.action);
    return this;
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
