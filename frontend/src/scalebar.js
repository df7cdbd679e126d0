// A scale bar in arcseconds/arcminutes/degrees for the current zoom.
import L from "leaflet";

const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 18000, 36000];

function label(arcsec) {
  if (arcsec >= 3600) return `${arcsec / 3600}°`;
  if (arcsec >= 60) return `${arcsec / 60}′`;
  return `${arcsec}″`;
}

export const ScaleBar = L.Control.extend({
  options: { position: "bottomleft", maxWidth: 120 },
  initialize(arcsecPerPixel, nativeZoom, options) {
    L.setOptions(this, options);
    this.arcsecPerPixel = arcsecPerPixel;
    this.nativeZoom = nativeZoom;
  },
  onAdd(map) {
    this.bar = L.DomUtil.create("div", "fp-scalebar");
    map.on("zoomend", () => this.update(map));
    this.update(map);
    return this.bar;
  },
  update(map) {
    const perScreenPixel = this.arcsecPerPixel * 2 ** (this.nativeZoom - map.getZoom());
    const best = STEPS.filter((s) => s / perScreenPixel <= this.options.maxWidth).pop() || STEPS[0];
    this.bar.style.width = `${Math.round(best / perScreenPixel)}px`;
    this.bar.textContent = label(best);
    this.bar.dataset.arcsec = best;
  },
});
