// The ds9-style pixel table: the raw values of the pixels around the cursor, read in
// one request (the FITS cutout endpoint, every channel) and shown as a table with the
// FITS pixel numbers as headers, y up as on the image.
import { element } from "./dom.js";
import { formatNumber } from "./format.js";

const BLOCK = 2880;
const CARD = 80;

// The primary HDU of a FITS file (bytes): { width, height, planes, values(x0, y0, c) }
// with x0, y0 0-based from the first column and row of the file. Only what the cutout
// endpoint writes is read: one image HDU, BITPIX 8/16/32/-32/-64, BSCALE/BZERO.
export function readFits(buffer) {
  const bytes = new Uint8Array(buffer);
  const cards = {};
  let offset = 0;
  for (; offset + CARD <= bytes.length; offset += CARD) {
    const card = String.fromCharCode(...bytes.subarray(offset, offset + CARD));
    const key = card.slice(0, 8).trim();
    if (key === "END") break;
    if (card.slice(8, 10) === "= ") cards[key] = card.slice(10).split("/")[0].trim();
  }
  const start = Math.ceil((offset + CARD) / BLOCK) * BLOCK;
  const bitpix = Number(cards.BITPIX);
  const naxis = Number(cards.NAXIS);
  const width = Number(cards.NAXIS1);
  const height = naxis >= 2 ? Number(cards.NAXIS2) : 1;
  const planes = naxis >= 3 ? Number(cards.NAXIS3) : 1;
  const scale = cards.BSCALE ? Number(cards.BSCALE) : 1;
  const zero = cards.BZERO ? Number(cards.BZERO) : 0;
  const size = Math.abs(bitpix) / 8;
  const view = new DataView(buffer, start);
  const read = {
    8: (i) => view.getUint8(i),
    16: (i) => view.getInt16(i),
    32: (i) => view.getInt32(i),
    "-32": (i) => view.getFloat32(i),
    "-64": (i) => view.getFloat64(i),
  }[bitpix];
  if (!read || !(width > 0)) throw new Error(`not a FITS image this table reads (BITPIX ${bitpix})`);
  return {
    width, height, planes,
    value(x0, y0, c) {
      const raw = read(((c * height + y0) * width + x0) * size);
      const value = raw * scale + zero;
      return Number.isFinite(value) ? value : null;
    },
  };
}

// The values of FITS pixels within ``half`` of the pixel containing (x, y) (1-based),
// clipped to the image: { cx, cy, x1, y1, x2, y2, valuesAt(x, y), value(x, y, c) }, or
// null outside the image or on a refusal.
export async function fetchPixelBox(image, x, y, half) {
  const cx = Math.floor(x + 0.5);
  const cy = Math.floor(y + 0.5);
  if (cx < 1 || cy < 1 || cx > image.width || cy > image.height) return null;
  const x1 = Math.max(1, cx - half);
  const y1 = Math.max(1, cy - half);
  const x2 = Math.min(image.width, cx + half);
  const y2 = Math.min(image.height, cy + half);
  const response = await fetch(`${image.url}cutout.fits?x1=${x1}&y1=${y1}&x2=${x2}&y2=${y2}`,
    { credentials: "same-origin" });
  if (!response.ok) return null;
  const fits = readFits(await response.arrayBuffer());
  const value = (px, py, c) => fits.value(px - x1, py - y1, c);
  const valuesAt = (px, py) => Array.from({ length: fits.planes }, (_, c) => value(px, py, c));
  return { cx, cy, x1, y1, x2, y2, planes: fits.planes, value, valuesAt };
}

export class PixelTable {
  constructor(container, image) {
    this.container = container;
    this.image = image;
  }

  show(box, channel = 0) {
    if (!box) {
      this.container.replaceChildren(element("p", { className: "fp-note-text" }, "Outside the image"));
      return;
    }
    const c = Math.min(channel, box.planes - 1);
    const columns = [];
    for (let px = box.x1; px <= box.x2; px++) columns.push(px);
    const head = element("tr", {}, element("th", {}, "y \\ x"), ...columns.map((px) => element("th", {}, String(px))));
    const rows = [];
    for (let py = box.y2; py >= box.y1; py--) {
      rows.push(element("tr", {}, element("th", {}, String(py)), ...columns.map((px) => element("td", {
        className: px === box.cx && py === box.cy ? "fp-centre" : "",
      }, formatNumber(box.value(px, py, c), 5)))));
    }
    const unit = this.image.header && this.image.header.BUNIT ? ` (${this.image.header.BUNIT})` : "";
    const caption = this.image.channels > 1 ? `channel ${c + 1}${unit}` : unit.trim();
    const table = element("table", { className: "fp-pixels" },
      ...(caption ? [element("caption", { className: "fp-note-text" }, caption)] : []),
      element("thead", {}, head), element("tbody", {}, ...rows));
    table.dataset.cx = String(box.cx);
    table.dataset.cy = String(box.cy);
    this.container.replaceChildren(table);
  }
}
