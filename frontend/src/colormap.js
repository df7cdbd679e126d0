// The display's colours, as the server renders tiles: the cut fraction through stretch,
// contrast, brightness, gamma, inversion and colormap, for the colour bar. The tiles are
// rendered by the server (tiles/engine/render.py); the colormaps' tables are the
// server's own, asked once (GET /api/colormaps/, tiles/colormap_views.py) and kept by
// the browser: loadColormaps() before displayColour().

const LOG_A = 1000;
const ASINH_BETA = 0.1;
const TABLES_URL = "/api/colormaps/";

const clip = (v) => Math.max(0, Math.min(1, v));

let TABLES = null;
let loading = null;
// The colormaps' names, in the server's order, once the tables are in.
export let COLORMAPS = [];

// Takes the tables as the server sends them: {name: 256 "#rrggbb"}.
export function useColormaps(tables) {
  TABLES = Object.fromEntries(Object.entries(tables).map(([name, colours]) =>
    [name, colours.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)))]));
  COLORMAPS = Object.keys(TABLES);
}

// Resolves once the tables are in (asked of the server once per page; again after a failure).
export function loadColormaps() {
  if (!loading) {
    loading = fetch(TABLES_URL, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(`Cannot load the colormaps (${response.status})`);
        return response.json();
      })
      .then(useColormaps)
      .catch((error) => {
        loading = null;
        throw error;
      });
  }
  return loading;
}

export const colormapsLoaded = () => TABLES !== null;

function stretch(u, name) {
  if (name === "sqrt") return Math.sqrt(u);
  if (name === "log") return Math.log10(1 + LOG_A * u) / Math.log10(1 + LOG_A);
  if (name === "asinh") return Math.asinh(u / ASINH_BETA) / Math.asinh(1 / ASINH_BETA);
  return u;
}

// The [r, g, b] (0-255) the display gives the cut fraction u (0 at the low cut, 1 at
// the high one) in the render state ``state`` (as controls.js keeps it); null until
// the tables are in.
export function displayColour(u, state) {
  if (!TABLES) return null;
  const contrast = state.contrast ?? 1;
  const brightness = state.brightness ?? 0;
  const v = clip(stretch(clip(u), state.stretch || "linear") * contrast + 0.01 * contrast * brightness);
  let level = Math.floor(255.49 * v ** (1 / (state.gamma ?? 1)));
  if (state.invert) level = 255 - level;
  return (TABLES[state.colormap] || TABLES.grey)[level];
}

// Nice values between lo and hi for the bar's inner labels.
export function barTicks(lo, hi, count = 3) {
  if (!(hi > lo)) return [];
  const raw = (hi - lo) / (count + 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v < hi - step * 0.3; v += step) if (v > lo + step * 0.3) ticks.push(v);
  return ticks;
}

