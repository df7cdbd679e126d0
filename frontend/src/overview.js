// The overview: the whole image, fitted exactly into a box of the image's shape (any
// zoom, not only whole levels), the main view's frame drawn on it; a click moves the
// view there. It folds to a button, and starts folded on a narrow map (a phone).
import L from "leaflet";
import { element } from "./dom.js";
import { PyramidTiles } from "./pyramidtiles.js";

export const Overview = L.Control.extend({
  options: { position: "bottomright", size: 180, narrowSize: 120, foldBelow: 640 },

  initialize(tileUrl, crs, bounds, tileOptions, options) {
    L.setOptions(this, options);
    this.tileUrl = tileUrl;
    this.crs = crs;
    this.imageBounds = bounds;
    this.tileOptions = tileOptions;
  },

  onAdd(main) {
    this.main = main;
    const narrow = main.getSize().x < this.options.foldBelow;
    const side = narrow ? this.options.narrowSize : this.options.size;
    const width = this.imageBounds.getEast() - this.imageBounds.getWest();
    const height = this.imageBounds.getNorth() - this.imageBounds.getSouth();
    const ratio = height / width;
    this.boxSize = ratio <= 1 ? [side, Math.max(24, Math.round(side * ratio))]
      : [Math.max(24, Math.round(side / ratio)), side];
    this.mapBox = element("div", { className: "fp-overview-map" });
    this.mapBox.style.width = `${this.boxSize[0]}px`;
    this.mapBox.style.height = `${this.boxSize[1]}px`;
    this.toggle = element("button", { type: "button", className: "fp-overview-toggle", name: "overview",
      title: "Show or hide the overview" }, "▾");
    const box = element("div", { className: "fp-overview leaflet-control" }, this.toggle, this.mapBox);
    this.box = box;
    // Keep the main map out of the overview's events (plain stopPropagation: Leaflet's
    // own helper would mark them handled and the overview would ignore its clicks too).
    for (const type of ["mousedown", "touchstart", "click", "dblclick", "wheel", "pointerdown", "mousemove"]) {
      box.addEventListener(type, (event) => event.stopPropagation());
    }
    this.toggle.addEventListener("click", () => this.setOpen(box.dataset.open !== "true"));
    this.setOpen(!narrow);
    return box;
  },

  setOpen(open) {
    this.box.dataset.open = String(open);
    this.toggle.textContent = open ? "▾" : "▴ overview";
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open && !this.mini) setTimeout(() => this.build(), 0);
    else if (open) this.fit();
  },

  fit() {
    this.mini.invalidateSize({ pan: false });
    this.mini.fitBounds(this.imageBounds, { animate: false, padding: [0, 0] });
    this.follow();
  },

  build() {
    const main = this.main;
    this.mini = L.map(this.mapBox, {
      crs: this.crs, attributionControl: false, zoomControl: false, dragging: false, zoomSnap: 0,
      minZoom: -20, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false,
      touchZoom: false, fadeAnimation: false, zoomAnimation: false,
    });
    // Level 0 (the whole image in one tile), scaled to the box.
    this.tiles = new PyramidTiles(this.tileUrl(), { ...this.tileOptions, minNativeZoom: 0, maxNativeZoom: 0,
      minZoom: -20, maxZoom: 0 }).addTo(this.mini);
    this.frame = L.rectangle(main.getBounds(), { color: "#ffcc00", weight: 1.5, fill: false, interactive: false })
      .addTo(this.mini);
    this.fit();
    main.on("move zoom resize viewreset", () => this.follow());
    this.mapBox.addEventListener("click", (event) => main.panTo(this.mini.mouseEventToLatLng(event)));
  },

  follow() {
    if (this.frame) this.frame.setBounds(this.main.getBounds());
  },

  refresh() {
    if (this.tiles) this.tiles.setUrl(this.tileUrl());
  },
});
