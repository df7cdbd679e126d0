// The view in the URL (after #): centre, zoom, the render state (renderstate.js: channel
// or colour, cuts, mix, colormap, stretch, gamma, ...), the portal's catalog layers shown
// (`layers`: catalog ids) and the survey catalogs shown (`surveys`: survey keys, as
// /api/images/<id>/surveys/ names them); a link opens the same view.
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { decodeState, encodeState } from "./renderstate.js";

export function readPermalink(image, state) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  decodeState(image, params, state);
  state.layers = params.has("layers") ? params.get("layers").split(",").filter(Boolean).map(Number) : [];
  state.surveys = params.has("surveys") ? params.get("surveys").split(",").filter(Boolean) : [];
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
  // A fit's zoom is fractional: four decimals place a 4000-pixel image within 0.2 px.
  params.set("zoom", String(Number(map.getZoom().toFixed(4))));
  params.set("channel", state.channel === null ? "" : state.channel + 1);  // explicit: colour or mono
  for (const [name, value] of encodeState(image, state)) {
    if (name !== "channel") params.append(name, value);
  }
  if (state.layers.length) params.set("layers", state.layers.join(","));
  if (state.surveys && state.surveys.length) params.set("surveys", state.surveys.join(","));
  window.history.replaceState(null, "", `#${params.toString()}`);
}
