// The view in the URL (after #): centre, zoom, channel or colour, cuts, colormap,
// stretch, gamma, contrast, inversion and catalog layers; a link opens the same view.
import { fitsToLatLng, latLngToFits } from "./crs.js";

export function readPermalink(image, state) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  if (params.has("channel")) state.channel = params.get("channel") === "" ? null : Number(params.get("channel")) - 1;
  if (params.has("colormap")) state.colormap = params.get("colormap");
  if (params.has("stretch")) state.stretch = params.get("stretch");
  if (params.has("gamma")) state.gamma = Number(params.get("gamma"));
  if (params.has("contrast")) state.contrast = Number(params.get("contrast"));
  if (params.has("brightness")) state.brightness = Number(params.get("brightness"));
  if (params.has("quality")) state.quality = Number(params.get("quality"));
  state.invert = params.get("invert") === "1";
  for (const item of params.getAll("minmax")) {
    const [c, range] = item.split(":");
    const [lo, hi] = range.split(",").map(Number);
    if (state.cuts[Number(c) - 1] && Number.isFinite(lo) && Number.isFinite(hi)) state.cuts[Number(c) - 1] = [lo, hi];
  }
  state.layers = params.has("layers") ? params.get("layers").split(",").filter(Boolean).map(Number) : [];
  const view = params.has("x") && params.has("y") && params.has("zoom")
    ? { centre: fitsToLatLng(Number(params.get("x")), Number(params.get("y")), image.height), zoom: Number(params.get("zoom")) }
    : null;
  return view;
}

export function writePermalink(map, image, state) {
  const params = new URLSearchParams();
  const { x, y } = latLngToFits(map.getCenter(), image.height);
  params.set("x", x.toFixed(1));
  params.set("y", y.toFixed(1));
  params.set("zoom", map.getZoom());
  params.set("channel", state.channel === null ? "" : state.channel + 1);
  if (state.colormap !== "grey") params.set("colormap", state.colormap);
  if (state.stretch !== "linear") params.set("stretch", state.stretch);
  if (state.gamma !== 2.2) params.set("gamma", state.gamma);
  if (state.contrast !== 1) params.set("contrast", state.contrast);
  if (state.brightness) params.set("brightness", state.brightness);
  if (state.quality !== 90) params.set("quality", state.quality);
  if (state.invert) params.set("invert", "1");
  state.cuts.forEach(([lo, hi], c) => {
    const [dlo, dhi] = image.default_cuts[c] || [];
    if (lo !== dlo || hi !== dhi) params.append("minmax", `${c + 1}:${lo},${hi}`);
  });
  if (state.layers.length) params.set("layers", state.layers.join(","));
  window.history.replaceState(null, "", `#${params.toString()}`);
}
