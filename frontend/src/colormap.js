// The display's colours, as the server renders tiles: the cut fraction through stretch,
// contrast, brightness, gamma, inversion and colormap. The tiles are rendered by the
// server; this mirrors its tables (tiles/engine/render.py, colormaps.py) for the colour
// bar, and a test keeps the two equal.

const LOG_A = 1000;
const ASINH_BETA = 0.1;
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
const MAGMA = ["#000004", "#1c1033", "#4f127b", "#812581", "#b5367a", "#e55964", "#fb8761", "#fec287", "#fcfdbf"];

const clip = (v) => Math.max(0, Math.min(1, v));

function anchors(hexes) {
  const rgb = hexes.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  return (t) => {
    const f = t * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(f));
    return rgb[k].map((a, i) => (a + (f - k) * (rgb[k + 1][i] - a)) / 255);
  };
}

const hot = (t) => [clip(3 * t), clip(3 * t - 1), clip(3 * t - 2)];
const RAMPS = {
  grey: (t) => [t, t, t],
  jet: (t) => [clip(1.5 - Math.abs(4 * t - 3)), clip(1.5 - Math.abs(4 * t - 2)), clip(1.5 - Math.abs(4 * t - 1))],
  cold: (t) => hot(t).reverse(),
  cool: (t) => [t, 1 - t, 1],
  hot,
  viridis: anchors(VIRIDIS),
  magma: anchors(MAGMA),
};
const TABLES = Object.fromEntries(Object.entries(RAMPS).map(([name, ramp]) =>
  [name, Array.from({ length: 256 }, (_, k) => ramp(k / 255).map((v) => Math.round(v * 255)))]));
export const COLORMAPS = Object.keys(TABLES);

function stretch(u, name) {
  if (name === "sqrt") return Math.sqrt(u);
  if (name === "log") return Math.log10(1 + LOG_A * u) / Math.log10(1 + LOG_A);
  if (name === "asinh") return Math.asinh(u / ASINH_BETA) / Math.asinh(1 / ASINH_BETA);
  return u;
}

// The [r, g, b] (0-255) the display gives the cut fraction u (0 at the low cut, 1 at
// the high one) in the render state ``state`` (as controls.js keeps it).
export function displayColour(u, state) {
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

