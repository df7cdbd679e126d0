// Sky coordinates for people: sexagesimal text both ways, galactic and ecliptic frames.

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

// ICRS (J2000) to galactic: the rotation matrix of the IAU 1958 system in J2000.
const TO_GALACTIC = [
  [-0.0548755604162154, -0.8734370902348850, -0.4838350155487132],
  [0.4941094278755837, -0.4448296299600112, 0.7469822444972189],
  [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
];
const OBLIQUITY = 23.4392911111; // J2000 mean obliquity of the ecliptic, degrees

function toVector(lon, lat) {
  const cl = Math.cos(lat * D2R);
  return [cl * Math.cos(lon * D2R), cl * Math.sin(lon * D2R), Math.sin(lat * D2R)];
}

function fromVector([x, y, z]) {
  const lon = Math.atan2(y, x) * R2D;
  return [((lon % 360) + 360) % 360, Math.asin(Math.max(-1, Math.min(1, z))) * R2D];
}

function rotate(m, v) {
  return m.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]);
}

export function equatorialToGalactic(ra, dec) {
  return fromVector(rotate(TO_GALACTIC, toVector(ra, dec)));
}

export function equatorialToEcliptic(ra, dec) {
  return fromVector(rotate(TO_ECLIPTIC, toVector(ra, dec)));
}

const TO_ECLIPTIC = (() => {
  const e = OBLIQUITY * D2R;
  return [[1, 0, 0], [0, Math.cos(e), Math.sin(e)], [0, -Math.sin(e), Math.cos(e)]];
})();
const transpose = (m) => m[0].map((_, j) => m.map((row) => row[j]));
const FROM_GALACTIC = transpose(TO_GALACTIC);
const FROM_ECLIPTIC = transpose(TO_ECLIPTIC);

export function galacticToEquatorial(l, b) {
  return fromVector(rotate(FROM_GALACTIC, toVector(l, b)));
}

export function eclipticToEquatorial(lambda, beta) {
  return fromVector(rotate(FROM_ECLIPTIC, toVector(lambda, beta)));
}

// A frame's longitude and latitude (a WCS's ``frame``) to RA/Dec and back; the identity
// for "equatorial", null for a frame the viewer cannot convert (supergalactic...).
const TO_EQUATORIAL = { equatorial: (a, b) => [a, b], galactic: galacticToEquatorial, ecliptic: eclipticToEquatorial };
const FROM_EQUATORIAL = { equatorial: (a, b) => [a, b], galactic: equatorialToGalactic, ecliptic: equatorialToEcliptic };

export function toEquatorial(frame, lon, lat) {
  const convert = TO_EQUATORIAL[frame || "equatorial"];
  return convert && Number.isFinite(lon) && Number.isFinite(lat) ? convert(lon, lat) : [NaN, NaN];
}

export function fromEquatorial(frame, ra, dec) {
  const convert = FROM_EQUATORIAL[frame || "equatorial"];
  return convert && Number.isFinite(ra) && Number.isFinite(dec) ? convert(ra, dec) : [NaN, NaN];
}

// ``wcs`` seen in RA/Dec whatever its own frame: what catalogs (always ICRS) are placed
// with. Everything else (scale, frame, isCelestial...) is the WCS's own.
export function equatorialWCS(wcs) {
  if (!wcs || !wcs.isCelestial || (wcs.frame || "equatorial") === "equatorial") return wcs;
  const view = Object.create(wcs);
  view.pixelToWorld = (x, y) => {
    const [lon, lat] = wcs.pixelToWorld(x, y);
    return toEquatorial(wcs.frame, lon, lat);
  };
  view.worldToPixel = (ra, dec) => {
    const [lon, lat] = fromEquatorial(wcs.frame, ra, dec);
    return Number.isFinite(lon) ? wcs.worldToPixel(lon, lat) : [NaN, NaN];
  };
  return view;
}

function sexagesimal(value, decimals, width) {
  const sign = value < 0 ? "-" : "";
  let rest = Math.abs(value);
  let a = Math.floor(rest);
  rest = (rest - a) * 60;
  let b = Math.floor(rest);
  let c = Number(((rest - b) * 60).toFixed(decimals));
  if (c >= 60) { c -= 60; b += 1; }
  if (b >= 60) { b -= 60; a += 1; }
  const seconds = c.toFixed(decimals).padStart(decimals ? decimals + 3 : 2, "0");
  return `${sign}${String(a).padStart(width, "0")}:${String(b).padStart(2, "0")}:${seconds}`;
}

export function formatRA(degrees, decimals = 2) {
  const hours = (((degrees % 360) + 360) % 360) / 15;
  const text = sexagesimal(hours, decimals, 2);
  return text.startsWith("24") ? sexagesimal(0, decimals, 2) : text;
}

export function formatDec(degrees, decimals = 1) {
  const text = sexagesimal(degrees, decimals, 2);
  return degrees < 0 ? text : `+${text}`;
}

const NUMBER = "[+-]?\\d+(?:\\.\\d*)?";
const SEXA = new RegExp(`^([+-]?)(\\d+)[h:\\s]+(\\d+)[m:'\\s]+(${NUMBER})s?"?$`, "i");
const SEXA_DEC = new RegExp(`^([+-]?)(\\d+)[d°:\\s]+(\\d+)[m:'\\s]+(${NUMBER})s?"?$`, "i");

function parseAngle(text, hours) {
  const value = text.trim();
  if (new RegExp(`^${NUMBER}$`).test(value)) return Number(value);
  const match = (hours ? SEXA : SEXA_DEC).exec(value);
  if (!match) return null;
  const [, sign, a, b, c] = match;
  const magnitude = Number(a) + Number(b) / 60 + Number(c) / 3600;
  const signed = sign === "-" ? -magnitude : magnitude;
  return hours ? signed * 15 : signed;
}

// "12:34:56.7 -05:06:07", "12h34m56.7s -5d06m07s", "210.8 54.35", "210.8, 54.35" ->
// {ra, dec} (degrees); "px 120 80", "pixel 120, 80" -> {x, y} (FITS pixels); with
// ``pixels`` (an image without sky coordinates, or the pixel switch), bare numbers
// are pixels too. null if not understood.
export function parseCoordinates(text, { pixels = false } = {}) {
  const value = text.trim();
  const pair = `(${NUMBER})\\s*(?:,\\s*|\\s+)(${NUMBER})`;
  const prefixed = new RegExp(`^(?:pixels?|px|xy)\\s*[:=]?\\s*${pair}$`, "i").exec(value);
  const bare = pixels ? new RegExp(`^${pair}$`).exec(value) : null;
  const pixel = prefixed || bare;
  if (pixel) return { x: Number(pixel[1]), y: Number(pixel[2]) };
  const parts = value.replace(/,/g, " ").split(/\s+/).filter(Boolean);
  let raText;
  let decText;
  if (parts.length === 2) [raText, decText] = parts;
  else if (parts.length === 6) {
    raText = parts.slice(0, 3).join(":");
    decText = parts.slice(3).join(":");
  } else return null;
  const sexagesimalRA = !new RegExp(`^${NUMBER}$`).test(raText);
  const ra = parseAngle(raText, sexagesimalRA);
  const dec = parseAngle(decText, false);
  if (ra === null || dec === null || ra < 0 || ra >= 360 || dec < -90 || dec > 90) return null;
  return { ra, dec };
}
