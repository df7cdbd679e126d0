// The render state of a view, and the one encoding of it in URLs (tiles and permalinks).
//
// The state is one plain object that the viewer's modules share and change:
//   channel   null: colour mode (every channel mixed); else the 0-based mono channel
//   cuts      [[lo, hi], ...], one pair per channel
//   mix       [{ on, colour: "#rrggbb" }, ...], one per channel (colour mode)
//   and one entry per scalar render parameter the server declares (gamma, quality,
//   colormap, stretch, contrast, brightness, invert, saturation, ...), under its REST name.
// Everything the state starts from comes from the image description the server sends
// (GET /api/images/<id>/): `render_parameters` (the declaration: name, kind, range,
// choices, default), `render_defaults` (the values a request leaves out gets: scalars,
// `channel`, `mix` rows), `default_cuts` and `cut_presets`. Nothing is hard-coded here.
//
// API:
//   initialState(image)                 a fresh state: the server's defaults
//   encodeState(image, state)           URLSearchParams (REST names) of what differs from them
//   decodeState(image, params, state)   apply URLSearchParams to state (bad values ignored)
//   renderQuery(image, state)           "?..." for tile and region URLs, "" when all default
//   cutPresets(image)                   { name: [[lo, hi], ...] }: zscale, minmax, 99.5, ...

// Kinds of the declared parameters kept as one value in the state; the others (channel,
// cut, rows, preset) are the structured entries above (a preset sets `cuts` numbers).
const SCALAR_KINDS = new Set(["number", "integer", "choice", "flag"]);

// The declared scalars: [{ name, kind, minimum, maximum, enum, default }, ...].
function scalars(image) {
  return (image.render_parameters || []).filter((p) => SCALAR_KINDS.has(p.kind));
}

function defaults(image) {
  return image.render_defaults || {};
}

function hex(rgb) {
  return `#${rgb.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255).toString(16).padStart(2, "0")).join("")}`;
}

function rgbOf(colour) {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16) / 255);
}

// The mix the server applies when none is sent, as switches and colours.
function defaultMix(image) {
  const rows = defaults(image).mix || [];
  return Array.from({ length: image.channels }, (_, c) => ({ on: true, colour: hex(rows[c] || [1, 1, 1]) }));
}

export function initialState(image) {
  const state = {
    channel: defaults(image).channel ?? (image.channels > 1 ? null : 0),
    cuts: image.default_cuts.map(([lo, hi]) => [lo, hi]),
    mix: defaultMix(image),
    mixChanged: false,
  };
  for (const p of scalars(image)) state[p.name] = p.default;
  return state;
}

export function cutPresets(image) {
  return image.cut_presets || {};
}

function mixIsDefault(image, state) {
  const mix = defaultMix(image);
  return state.mix.every((entry, c) => entry.on && entry.colour.toLowerCase() === mix[c].colour);
}

export function encodeState(image, state) {
  const params = new URLSearchParams();
  // Colour mode is what a multi-channel image gets without `channel`.
  if (state.channel !== null && image.channels > 1) params.set("channel", state.channel + 1);
  state.cuts.forEach(([lo, hi], c) => {
    const [dlo, dhi] = image.default_cuts[c] || [];
    if (lo !== dlo || hi !== dhi) params.append("minmax", `${c + 1}:${lo},${hi}`);
  });
  if (state.channel === null && state.mix && !mixIsDefault(image, state)) {
    state.mix.forEach(({ on, colour }, c) => {
      const rgb = on ? rgbOf(colour) : [0, 0, 0];
      params.append("mix", `${c + 1}:${rgb.map((v) => v.toFixed(3)).join(",")}`);
    });
  }
  for (const p of scalars(image)) {
    const value = state[p.name];
    if (value === undefined || value === p.default) continue;
    params.set(p.name, p.kind === "flag" ? (value ? "1" : "0") : String(value));
  }
  return params;
}

// A value of the declared parameter p from text, or undefined if it is not one.
function scalarValue(p, text) {
  if (p.kind === "flag") return ["1", "true", "yes", "on", ""].includes(text.toLowerCase());
  if (p.kind === "choice") return (p.enum || []).includes(text.toLowerCase()) ? text.toLowerCase() : undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) return undefined;
  if (p.kind === "integer" && !Number.isInteger(value)) return undefined;
  if ((p.minimum !== undefined && value < p.minimum) || (p.maximum !== undefined && value > p.maximum)) return undefined;
  return value;
}

export function decodeState(image, params, state) {
  if (params.has("channel")) {
    const text = params.get("channel");
    const c = Number(text);
    if (text === "") state.channel = image.channels > 1 ? null : 0;
    else if (Number.isInteger(c) && c >= 1 && c <= image.channels) state.channel = c - 1;
  }
  for (const item of params.getAll("minmax")) {
    const [c, range = ""] = item.split(":");
    const [lo, hi] = range.split(",").map(Number);
    if (state.cuts[Number(c) - 1] && Number.isFinite(lo) && Number.isFinite(hi)) state.cuts[Number(c) - 1] = [lo, hi];
  }
  const rows = params.getAll("mix");
  if (rows.length) {
    for (const item of rows) {
      const [c, values = ""] = item.split(":");
      const rgb = values.split(",").map(Number);
      const index = Number(c) - 1;
      if (!state.mix[index] || rgb.length !== 3 || !rgb.every(Number.isFinite)) continue;
      const on = rgb.some((v) => v > 0);
      state.mix[index] = { on, colour: on ? hex(rgb) : state.mix[index].colour };
    }
    state.mixChanged = true;
  }
  for (const p of scalars(image)) {
    if (!params.has(p.name)) continue;
    const value = scalarValue(p, params.get(p.name));
    if (value !== undefined) state[p.name] = value;
  }
  return state;
}

export function renderQuery(image, state) {
  const text = encodeState(image, state).toString();
  return text ? `?${text}` : "";
}
