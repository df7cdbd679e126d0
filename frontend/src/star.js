// The star under the cursor: its radial profile and FWHM, from the pixels of a small FITS
// cutout the server sends (raw values; nothing here depends on the display).
//
// Coordinates are FITS pixels (1-based, x right, y up) of the image; a cutout's own
// pixel (i, j), 0-based from its bottom-left corner, is image pixel (x0 + i, y0 + j).

const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);
const BLOCK = 2880;

// The first image of a FITS file (a cutout.fits answer): header values, width, height
// and the planes as Float64Arrays, FITS order (bottom row first, x fastest). Throws an
// Error for anything that is not such a file.
export function parseFitsImage(buffer) {
  const bytes = new Uint8Array(buffer);
  const header = {};
  let offset = 0;
  let ended = false;
  while (!ended && offset + 80 <= bytes.length) {
    const card = String.fromCharCode(...bytes.subarray(offset, offset + 80));
    offset += 80;
    const key = card.slice(0, 8).trim();
    if (key === "END") ended = true;
    else if (card.slice(8, 10) === "= ") header[key] = cardValue(card.slice(10));
  }
  if (!ended || header.SIMPLE !== true) throw new Error("not a FITS file");
  const dataStart = Math.ceil(offset / BLOCK) * BLOCK;
  const bitpix = header.BITPIX;
  const readers = { 8: ["getUint8", 1], 16: ["getInt16", 2], 32: ["getInt32", 4], [-32]: ["getFloat32", 4],
    [-64]: ["getFloat64", 8] };
  if (!(bitpix in readers)) throw new Error(`BITPIX ${bitpix} is not a FITS data type`);
  const [getter, size] = readers[bitpix];
  const width = header.NAXIS1 || 0;
  const height = header.NAXIS >= 2 ? header.NAXIS2 : 1;
  const depth = header.NAXIS >= 3 ? header.NAXIS3 : 1;
  if (dataStart + width * height * depth * size > bytes.length) throw new Error("the FITS data are cut short");
  const view = new DataView(buffer, dataStart);
  const scale = header.BSCALE ?? 1;
  const zero = header.BZERO ?? 0;
  const planes = [];
  for (let k = 0; k < depth; k++) {
    const plane = new Float64Array(width * height);
    for (let n = 0; n < plane.length; n++) {
      plane[n] = view[getter]((k * plane.length + n) * size, false) * scale + zero;
    }
    planes.push(plane);
  }
  return { header, width, height, planes };
}

function cardValue(text) {
  const value = text.trim();
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return value.slice(1, end < 0 ? undefined : end).trimEnd();
  }
  const bare = value.split("/")[0].trim();
  if (bare === "T") return true;
  if (bare === "F") return false;
  const number = Number(bare.replace(/D/i, "e"));
  return Number.isFinite(number) ? number : bare;
}

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Solves the n x n system a x = b (Gaussian elimination with partial pivoting); null if
// singular.
function solve(a, b) {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (!m[pivot][col]) return null;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

// Least squares fit of a circular Gaussian on a constant, B + A exp(-r^2 / 2 s^2) with r
// from (xc, yc), to the finite pixels given (x, y, value): Levenberg-Marquardt from the
// starting parameters [B, A, xc, yc, s]. Returns the parameters and whether it converged.
export function fitGaussian(pixels, start) {
  let p = [...start];
  let lambda = 1e-3;
  const residuals = (q) => {
    let sum = 0;
    for (const [x, y, v] of pixels) {
      const g = q[1] * Math.exp(-((x - q[2]) ** 2 + (y - q[3]) ** 2) / (2 * q[4] * q[4]));
      sum += (q[0] + g - v) ** 2;
    }
    return sum;
  };
  let cost = residuals(p);
  let converged = false;
  for (let iteration = 0; iteration < 200 && !converged; iteration++) {
    const jtj = Array.from({ length: 5 }, () => new Array(5).fill(0));
    const jtr = new Array(5).fill(0);
    const [, a, xc, yc, s] = p;
    for (const [x, y, v] of pixels) {
      const r2 = (x - xc) ** 2 + (y - yc) ** 2;
      const g = Math.exp(-r2 / (2 * s * s));
      const r = p[0] + a * g - v;
      const j = [1, g, (a * g * (x - xc)) / (s * s), (a * g * (y - yc)) / (s * s), (a * g * r2) / (s * s * s)];
      for (let k = 0; k < 5; k++) {
        jtr[k] += j[k] * r;
        for (let l = 0; l < 5; l++) jtj[k][l] += j[k] * j[l];
      }
    }
    let improved = false;
    while (lambda < 1e12) {
      const damped = jtj.map((row, k) => row.map((value, l) => (k === l ? value * (1 + lambda) : value)));
      const step = solve(damped, jtr.map((v) => -v));
      if (!step) break;
      const next = p.map((value, k) => value + step[k]);
      next[4] = Math.abs(next[4]);
      const nextCost = residuals(next);
      if (nextCost <= cost) {
        converged = Math.abs(cost - nextCost) <= 1e-12 * Math.max(cost, 1e-300)
          || step.every((d, k) => Math.abs(d) <= 1e-10 * Math.max(1, Math.abs(p[k])));
        p = next;
        cost = nextCost;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        break;
      }
      lambda *= 10;
    }
    if (!improved) converged = true; // no step lowers the cost: at the minimum
  }
  return { parameters: p, cost, converged };
}

// The star in a cutout near image pixel (x, y): its centre, FWHM (pixels), peak above the
// background, the background, and the radial profile (distance in pixels from the centre,
// value) of every finite pixel, with the fitted curve. null when no star stands out.
// cutout: { width, height, plane, x0, y0 } (x0, y0: the image pixel of its first value).
export function measureStar(cutout, x, y) {
  const { width, height, plane, x0, y0 } = cutout;
  const pixels = [];
  const border = [];
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const value = plane[j * width + i];
      if (!Number.isFinite(value)) continue;
      pixels.push([x0 + i, y0 + j, value]);
      if (i === 0 || j === 0 || i === width - 1 || j === height - 1) border.push(value);
    }
  }
  if (pixels.length < 12) return null;
  const background = median(border);
  // Start from the brightest pixel within 3 pixels of where the user pointed.
  let best = null;
  for (const pixel of pixels) {
    if (Math.hypot(pixel[0] - x, pixel[1] - y) <= 3 && (!best || pixel[2] > best[2])) best = pixel;
  }
  if (!best || !(best[2] > background)) return null;
  const amplitude = best[2] - background;
  // Second moment of what stands above half the peak: the starting width.
  let weight = 0;
  let moment = 0;
  for (const [px, py, v] of pixels) {
    const w = v - background;
    if (w > amplitude / 2) {
      weight += w;
      moment += w * ((px - best[0]) ** 2 + (py - best[1]) ** 2);
    }
  }
  const sigma0 = Math.max(0.5, Math.sqrt(moment / Math.max(weight, 1e-300) / 2) * 1.4);
  const fit = fitGaussian(pixels, [background, amplitude, best[0], best[1], sigma0]);
  const [b, a, xc, yc, s] = fit.parameters;
  const inside = xc >= x0 - 0.5 && xc <= x0 + width - 0.5 && yc >= y0 - 0.5 && yc <= y0 + height - 0.5;
  if (!(a > 0) || !inside || !(s > 0.05) || s > Math.max(width, height)) return null;
  const profile = pixels.map(([px, py, v]) => [Math.hypot(px - xc, py - yc), v]).sort((p, q) => p[0] - q[0]);
  return {
    x: xc,
    y: yc,
    fwhm: FWHM_PER_SIGMA * s,
    sigma: s,
    peak: a,
    background: b,
    converged: fit.converged,
    profile,
    model: (r) => b + a * Math.exp(-(r * r) / (2 * s * s)),
  };
}
