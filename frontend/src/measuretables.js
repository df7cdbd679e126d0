// The analysis tab's measurements as tables: a region's statistics (a row per quantity,
// a column per channel) and a star's photometry. Every cell is text (dom.js), numbers
// with significant digits (format.js), sky positions sexagesimal; rows carry their
// quantity's name in data-key, the table its kind in data-name.
import { formatDec, formatRA } from "./coords.js";
import { element } from "./dom.js";
import { formatNumber } from "./format.js";
import { channelName } from "./plots.js";

// A table of quantities (rows) by columns, every cell text: rows are [label, ...cells],
// ``key`` names the row for whoever reads it back.
function quantityTable(name, columns, rows) {
  const head = columns.length
    ? [element("thead", {}, element("tr", {}, element("th", { scope: "col" }, "quantity"),
      ...columns.map((c) => element("th", { scope: "col" }, c))))]
    : [];
  const body = element("tbody", {}, ...rows.map(([key, label, ...cells]) => {
    const row = element("tr", {}, element("th", { scope: "row" }, label), ...cells.map((c) => element("td", {}, c)));
    row.dataset.key = key;
    return row;
  }));
  const table = element("table", { className: "fp-measure" }, ...head, body);
  table.dataset.name = name;
  return element("div", { className: "fp-measure-scroll" }, table);
}

const number = (value, digits = 6) => formatNumber(value, digits);
const unitLabel = (label, unit) => (unit ? `${label} (${unit})` : label);
// RA and Dec on rows of their own (sexagesimal, ICRS): short enough for a phone.
const skyRows = (values, columns = [values]) => [
  ["centroid_ra", "centroid RA", ...columns.map((v) => (v ? formatRA(v[0], 3) : "—"))],
  ["centroid_dec", "centroid Dec", ...columns.map((v) => (v ? formatDec(v[1], 2) : "—"))],
];

// The statistics answer (regionsapi.regionStatistics) as a table: a row per quantity, a
// column per channel.
export function statisticsTable(answer, image) {
  const { unit } = answer;
  const channels = answer.channels;
  const cells = (read) => channels.map((c) => read(c));
  const rows = [
    ["pixels", "pixels", ...cells((c) => String(c.pixels) + (c.blank_pixels ? ` (+${c.blank_pixels} blank)` : ""))],
    ["sum", unitLabel("flux, sum", unit), ...cells((c) => number(c.sum))],
    ["mean", unitLabel("mean", unit), ...cells((c) => number(c.mean))],
    ["median", unitLabel("median", unit), ...cells((c) => number(c.median))],
    ["sigma", unitLabel("σ", unit), ...cells((c) => number(c.sigma))],
    ["min", unitLabel("min", unit), ...cells((c) => number(c.min))],
    ["max", unitLabel("max", unit), ...cells((c) => number(c.max))],
    ["area_pixels", "area (px)", ...cells((c) => number(c.area_pixels))],
  ];
  const celestial = channels.some((c) => c.area_arcsec2 !== undefined);
  if (celestial) {
    rows.push(["area_arcsec2", "area (arcsec²)", ...cells((c) => number(c.area_arcsec2))]);
    rows.push(["surface_brightness", `surface brightness (${answer.surface_brightness_unit.replace("arcsec2", "arcsec²")})`,
      ...cells((c) => number(c.surface_brightness))]);
  }
  rows.push(["centroid_x", "centroid x", ...cells((c) => number(c.centroid && c.centroid[0], 7))],
    ["centroid_y", "centroid y", ...cells((c) => number(c.centroid && c.centroid[1], 7))]);
  if (celestial) rows.push(...skyRows(null, channels.map((c) => c.centroid_sky)));
  const columns = image.channels > 1 ? channels.map((c) => channelName(image, c.channel - 1)) : [];
  return quantityTable("region-statistics", columns, rows);
}

// A star measurement (regionsapi.measureStar) as a table; sizes also in arcseconds when
// the image has a pixel scale, values in ``unit`` (BUNIT).
export function starTable(star, arcsec, unit) {
  const length = (pixels) => `${number(pixels, 4)} px` + (arcsec ? ` = ${number(pixels * arcsec, 3)}″` : "");
  const rows = [["centroid_x", "centroid x", number(star.x, 7)], ["centroid_y", "centroid y", number(star.y, 7)]];
  if (star.ra !== undefined) rows.push(...skyRows([star.ra, star.dec]));
  rows.push(
    ["fwhm_gaussian", "FWHM, Gaussian", length(star.fwhm_gaussian)],
    ["fwhm_moffat", "FWHM, Moffat", length(star.fwhm_moffat)],
    ["moffat_beta", "Moffat β", number(star.moffat_alpha, 3)],
    ["peak", unitLabel("peak", unit), number(star.peak)],
    ["aperture", "aperture radius", length(star.aperture)],
    ["annulus", "annulus radii", `${number(star.annulus_inner, 4)} – ${number(star.annulus_outer, 4)} px`],
    ["background", unitLabel("background/px", unit), number(star.background)],
    ["aperture_sum", unitLabel("aperture sum", unit), number(star.aperture_sum)],
    ["aperture_area", "aperture area (px)", number(star.aperture_area)],
    ["flux", unitLabel("flux", unit), number(star.flux)],
  );
  return quantityTable("star-measurement", [], rows);
}
