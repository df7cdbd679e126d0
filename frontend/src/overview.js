// A mini-map: the whole image at its coarsest level, the main view as a rectangle;
// clicking it moves the main view there.
import L from "leaflet";

export const Overview = L.Control.extend({
  options: { position: "bottomright", size: 150 },

  initialize(tileUrl, crs, bounds, tileOptions, options) {
    L.setOptions(this, options);
    this.tileUrl = tileUrl;
    this.crs = crs;
    this.imageBounds = bounds;
    this.tileOptions = tileOptions;
  },

  onAdd(main) {
    const box = L.DomUtil.create("div", "fp-overview");
    box.style.width = box.style.height = `${this.options.size}px`;
    // Keep the main map out of the overview's events (plain stopPropagation: Leaflet's
    // own helper would mark them handled and the overview would ignore its clicks too).
    for (const type of ["mousedown", "touchstart", "click", "dblclick", "wheel", "pointerdown"]) {
      box.addEventListener(type, (event) => event.stopPropagation());
    }
    setTimeout(() => this.build(main, box), 0);
    return box;
  },

  build(main, box) {
    this.mini = L.map(box, {
      crs: this.crs, attributionControl: false, zoomControl: false, dragging: false,
      scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false,
    });
    this.tiles = L.tileLayer(this.tileUrl(), { ...this.tileOptions, maxNativeZoom: 0, maxZoom: 0 }).addTo(this.mini);
    this.mini.fitBounds(this.imageBounds);
    this.frame = L.rectangle(main.getBounds(), { color: "#ffcc00", weight: 1, fill: false, interactive: false })
      .addTo(this.mini);
    main.on("move", () => this.frame.setBounds(main.getBounds()));
    box.addEventListener("click", (event) => main.panTo(this.mini.mouseEventToLatLng(event)));
    this.main = main;
  },

  refresh() {
    if (this.tiles) this.tiles.setUrl(this.tileUrl());
  },
});
