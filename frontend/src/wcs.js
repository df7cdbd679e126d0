// FITS celestial WCS in the browser (Greisen & Calabretta 2002, "paper I", and Calabretta
// & Greisen 2002, "paper II"), so the viewer converts pixels and sky coordinates with no
// server round trip.
//
// Pixels are FITS pixels: 1-based, x right, y up. Angles are degrees. Every projection of
// paper II and HEALPix (projections.js), with their PVi_m parameters, PV1_1..4 (phi_0,
// theta_0, LONPOLE, LATPOLE); CD or PC + CDELT or CDELT + CROTA2 matrices; SIP
// distortions (A/B forward, AP/BP or iterations inverse); TPV (TAN with the PVi_k
// polynomial of SCAMP-calibrated images, iterated inverse); the old NCP and GLS codes as
// SIN and SFL. A header it cannot use gets a WCS whose isCelestial is false and whose
// problem says why (also wcsProblem(header)). World coordinates are in the header's own
// frame (frame: "equatorial", "galactic", "ecliptic", ...).
import { ProjectionError, makeProjection } from "./projections.js";

export { PROJECTIONS } from "./projections.js";

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

const sind = (a) => Math.sin(a * D2R);
const cosd = (a) => Math.cos(a * D2R);
const atan2d = (y, x) => Math.atan2(y, x) * R2D;
const asind = (v) => Math.asin(Math.max(-1, Math.min(1, v))) * R2D;

// Longitude/latitude pairs of CTYPE (the first four characters) and the frame they name.
const FRAMES = { RA: ["DEC", "equatorial"], GLON: ["GLAT", "galactic"], ELON: ["ELAT", "ecliptic"],
  SLON: ["SLAT", "supergalactic"], HLON: ["HLAT", "helioecliptic"] };
const UNIT_DEGREES = { "": 1, deg: 1, arcmin: 1 / 60, arcsec: 1 / 3600, mas: 1 / 3.6e6, rad: R2D };

function number(header, key, fallback) {
  const value = header[key];
  return value === undefined || value === null || value === "" ? fallback : Number(value);
}

function sipTerms(header, prefix) {
  const order = number(header, `${prefix}_ORDER`, 0);
  const terms = [];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const c = number(header, `${prefix}_${p}_${q}`, 0);
      if (c) terms.push([p, q, c]);
    }
  }
  return order ? terms : null;
}

// TPV: the 40 terms of degree <= 7 in (x, y), each odd degree followed by r^degree.
const TPV_TERMS = [];
for (let degree = 0; degree <= 7; degree++) {
  for (let j = 0; j <= degree; j++) TPV_TERMS.push([degree - j, j, 0]);
  if (degree % 2 === 1) TPV_TERMS.push([0, 0, degree]);
}

function tpvCoefficients(header, axis) {
  const coefficients = TPV_TERMS.map((_, k) => number(header, `PV${axis}_${k}`, 0));
  if (header[`PV${axis}_1`] === undefined) coefficients[1] = 1; // the identity by default
  return coefficients;
}

function tpvPolynomial(coefficients, x, y) {
  const r = Math.hypot(x, y);
  let sum = 0;
  TPV_TERMS.forEach(([px, py, pr], k) => {
    const c = coefficients[k];
    if (c) sum += c * x ** px * y ** py * r ** pr;
  });
  return sum;
}

function polynomial(terms, u, v) {
  let sum = 0;
  for (const [p, q, c] of terms) sum += c * u ** p * v ** q;
  return sum;
}

class HeaderError extends Error {}

// The celestial axes of a header: its frame and projection code, or HeaderError.
function celestialAxes(header) {
  const ctype1 = String(header.CTYPE1 ?? "").trim().toUpperCase();
  const ctype2 = String(header.CTYPE2 ?? "").trim().toUpperCase();
  if (!ctype1 && !ctype2) throw new HeaderError("the header has no WCS (no CTYPE1, CTYPE2)");
  const lon = ctype1.slice(0, 4).replace(/-+$/, "");
  const lat = ctype2.slice(0, 4).replace(/-+$/, "");
  const pair = FRAMES[lon];
  if (FRAMES[lat] || Object.values(FRAMES).some(([l]) => l === lon)) {
    throw new HeaderError(`its axes are latitude first (CTYPE1 ${ctype1}, CTYPE2 ${ctype2}), which the viewer does not read`);
  }
  if (!pair || pair[0] !== lat) {
    throw new HeaderError(`CTYPE1 ${ctype1 || "(blank)"} and CTYPE2 ${ctype2 || "(blank)"} are not a sky longitude and latitude`);
  }
  const code1 = ctype1.slice(5, 8);
  const code2 = ctype2.slice(5, 8);
  if (ctype1[4] !== "-" || ctype2[4] !== "-" || code1 !== code2) {
    throw new HeaderError(`CTYPE1 ${ctype1} and CTYPE2 ${ctype2} do not name one projection`);
  }
  const suffix1 = ctype1.slice(8);
  if (suffix1 !== ctype2.slice(8) || !["", "-SIP"].includes(suffix1)) {
    throw new HeaderError(`the distortion ${suffix1 || ctype2.slice(8)} is not one the viewer knows`);
  }
  if (["TNX", "ZPX", "TPD"].includes(code1)) {
    throw new HeaderError(`the ${code1} distortion is not one the viewer knows`);
  }
  for (const axis of [1, 2]) {
    const unit = String(header[`CUNIT${axis}`] ?? "").trim();
    if (!(unit in UNIT_DEGREES)) throw new HeaderError(`CUNIT${axis} '${unit}' is not an angle`);
  }
  return { frame: pair[1], code: code1, sip: suffix1 === "-SIP", ctype: [ctype1, ctype2] };
}

// Why a header's celestial WCS cannot be used, or null when it can.
export function wcsProblem(header) {
  return new WCS(header).problem;
}

export class WCS {
  constructor(header) {
    this.isCelestial = false;
    this.problem = null;
    try {
      this.read(header || {});
      this.isCelestial = true;
    } catch (error) {
      if (!(error instanceof HeaderError || error instanceof ProjectionError)) throw error;
      this.problem = `The sky coordinates cannot be shown: ${error.message}.`;
    }
  }

  read(header) {
    const axes = celestialAxes(header);
    this.frame = axes.frame;
    let code = axes.code;
    const pv = (m, fallback) => number(header, `PV2_${m}`, fallback);
    let parameters = pv;
    if (code === "NCP") { // the old AIPS code: SIN with eta = cot(delta_0)
      const delta0 = number(header, "CRVAL2", 0);
      if (delta0 === 0) throw new HeaderError("NCP at the equator is not a projection");
      code = "SIN";
      parameters = (m, fallback) => (m === 1 ? 0 : m === 2 ? cosd(delta0) / sind(delta0) : fallback);
    } else if (code === "GLS") code = "SFL";
    this.projection = code;
    // TPV is TAN with a polynomial on the intermediate world coordinates (axis 2's
    // polynomial takes (y, x)).
    this.tpv = code === "TPV" ? [tpvCoefficients(header, 1), tpvCoefficients(header, 2)] : null;
    if (this.tpv) {
      this.projection = "TAN";
      parameters = (m, fallback) => fallback;
    }
    this.projector = makeProjection(this.projection, parameters);
    const units = [1, 2].map((axis) => UNIT_DEGREES[String(header[`CUNIT${axis}`] ?? "").trim()]);
    this.crpix = [number(header, "CRPIX1", 0), number(header, "CRPIX2", 0)];
    this.crval = [number(header, "CRVAL1", 0) * units[0], number(header, "CRVAL2", 0) * units[1]];
    this.cd = matrix(header).map((row, i) => row.map((value) => value * units[i]));
    const det = this.cd[0][0] * this.cd[1][1] - this.cd[0][1] * this.cd[1][0];
    if (!Number.isFinite(det) || det === 0) throw new HeaderError("its CD (or PC, CDELT) matrix is singular");
    if (![...this.crpix, ...this.crval].every(Number.isFinite)) throw new HeaderError("CRPIX or CRVAL is not a number");
    this.cdInverse = [
      [this.cd[1][1] / det, -this.cd[0][1] / det],
      [-this.cd[1][0] / det, this.cd[0][0] / det],
    ];
    this.sip = axes.sip ? { a: sipTerms(header, "A"), b: sipTerms(header, "B"),
      ap: sipTerms(header, "AP"), bp: sipTerms(header, "BP") } : null;
    if (this.sip && !(this.sip.a && this.sip.b)) this.sip = null;
    this.setReference(header);
    this.setPole(header);
  }

  // The native coordinates of the reference point, (phi_0, theta_0): the projection's
  // own unless PV1_1, PV1_2 move it, in which case the plane is offset to keep it at
  // (x, y) = (0, 0).
  setReference(header) {
    const theta0Default = this.projector.theta0;
    // TPV's PV1_k are its polynomial.
    this.phi0 = this.tpv ? 0 : number(header, "PV1_1", 0);
    this.theta0 = this.tpv ? theta0Default : number(header, "PV1_2", theta0Default);
    this.offset = [0, 0];
    if (this.phi0 !== 0 || this.theta0 !== theta0Default) {
      this.offset = this.projector.project(this.phi0, this.theta0);
      if (!this.offset.every(Number.isFinite)) {
        throw new HeaderError("its reference point (PV1_1, PV1_2) is off the projection");
      }
    }
  }

  // The native longitude of the celestial pole and the pole's celestial coordinates.
  setPole(header) {
    const { phi0, theta0 } = this;
    const [alpha0, delta0] = this.crval;
    const pv1 = (m, fallback) => (this.tpv ? fallback : number(header, `PV1_${m}`, fallback));
    const phiP = number(header, "LONPOLE", pv1(3, phi0 + (delta0 >= theta0 ? 0 : 180)));
    this.phiP = phiP;
    if (theta0 === 90) {
      this.pole = [alpha0, delta0];
      return;
    }
    const latpole = number(header, "LATPOLE", pv1(4, 90));
    const dphi = phiP - phi0;
    const base = atan2d(sind(theta0), cosd(theta0) * cosd(dphi));
    const ratio = sind(delta0) / Math.sqrt(1 - (cosd(theta0) * sind(dphi)) ** 2);
    if (Math.abs(ratio) > 1 + 1e-12) throw new HeaderError("no celestial pole fits its CRVAL, LONPOLE and projection");
    const span = Math.acos(Math.max(-1, Math.min(1, ratio))) * R2D;
    const candidates = [base + span, base - span].map(normalise180)
      .filter((d) => d >= -90 - 1e-10 && d <= 90 + 1e-10).map((d) => Math.max(-90, Math.min(90, d)));
    if (!candidates.length) throw new HeaderError("no celestial pole fits its CRVAL, LONPOLE and projection");
    const deltaP = candidates.reduce((a, b) => (Math.abs(a - latpole) <= Math.abs(b - latpole) ? a : b));
    let alphaP;
    if (Math.abs(deltaP) > 90 - 1e-12) {
      // The celestial pole is the native pole: only the longitudes' origin remains.
      alphaP = deltaP > 0 ? alpha0 + phiP - phi0 - 180 : alpha0 - phiP + phi0;
    } else if (Math.abs(delta0) > 90 - 1e-12) {
      alphaP = alpha0; // the reference point at a pole: any alpha_p, this one (as WCSLIB)
    } else {
      alphaP = alpha0 - atan2d(sind(dphi) * cosd(theta0) / cosd(delta0),
        (sind(theta0) - sind(deltaP) * sind(delta0)) / (cosd(deltaP) * cosd(delta0)));
    }
    this.pole = [alphaP, deltaP];
  }

  // World coordinates (degrees, the header's frame) of FITS pixel (x, y); [NaN, NaN]
  // off the projected sphere or for a header it cannot use.
  pixelToWorld(x, y) {
    if (!this.isCelestial) return [NaN, NaN];
    let u = x - this.crpix[0];
    let v = y - this.crpix[1];
    if (this.sip && this.sip.a) {
      const du = polynomial(this.sip.a, u, v);
      const dv = polynomial(this.sip.b, u, v);
      u += du;
      v += dv;
    }
    let ix = this.cd[0][0] * u + this.cd[0][1] * v;
    let iy = this.cd[1][0] * u + this.cd[1][1] * v;
    if (this.tpv) {
      [ix, iy] = [tpvPolynomial(this.tpv[0], ix, iy), tpvPolynomial(this.tpv[1], iy, ix)];
    }
    const [phi, theta] = this.projector.deproject(ix + this.offset[0], iy + this.offset[1]);
    if (!Number.isFinite(phi) || !Number.isFinite(theta)) return [NaN, NaN];
    return this.nativeToCelestial(phi, theta);
  }

  // The FITS pixel of world coordinates (ra, dec); [NaN, NaN] where the projection cannot
  // show them.
  worldToPixel(ra, dec) {
    if (!this.isCelestial) return [NaN, NaN];
    const [phi, theta] = this.celestialToNative(ra, dec);
    let [ix, iy] = this.projector.project(phi, theta);
    if (!Number.isFinite(ix) || !Number.isFinite(iy)) return [NaN, NaN];
    ix -= this.offset[0];
    iy -= this.offset[1];
    if (this.tpv) [ix, iy] = this.tpvInverse(ix, iy);
    let u = this.cdInverse[0][0] * ix + this.cdInverse[0][1] * iy;
    let v = this.cdInverse[1][0] * ix + this.cdInverse[1][1] * iy;
    if (this.sip && this.sip.a) [u, v] = this.undistort(u, v);
    return [u + this.crpix[0], v + this.crpix[1]];
  }
  // The (x, y) whose TPV polynomials give (xi, eta): Newton's method, the Jacobian by
  // finite differences (the polynomials are close to the identity).
  tpvInverse(xi, eta) {
    const [c1, c2] = this.tpv;
    const f = (x, y) => [tpvPolynomial(c1, x, y) - xi, tpvPolynomial(c2, y, x) - eta];
    let x = xi;
    let y = eta;
    for (let i = 0; i < 50; i++) {
      const [fx, fy] = f(x, y);
      const h = 1e-7;
      const [ax, ay] = f(x + h, y);
      const [bx, by] = f(x, y + h);
      const j11 = (ax - fx) / h;
      const j21 = (ay - fy) / h;
      const j12 = (bx - fx) / h;
      const j22 = (by - fy) / h;
      const det = j11 * j22 - j12 * j21;
      if (!det) break;
      const dx = (fx * j22 - fy * j12) / det;
      const dy = (fy * j11 - fx * j21) / det;
      x -= dx;
      y -= dy;
      if (Math.abs(dx) < 1e-13 && Math.abs(dy) < 1e-13) break;
    }
    return [x, y];
  }

  // SIP inverse: AP/BP when given, refined by fixed-point iterations on A/B.
  undistort(uu, vv) {
    let u = uu;
    let v = vv;
    if (this.sip.ap) {
      u = uu + polynomial(this.sip.ap, uu, vv);
      v = vv + polynomial(this.sip.bp || [], uu, vv);
    }
    for (let i = 0; i < 50; i++) {
      const nu = uu - polynomial(this.sip.a, u, v);
      const nv = vv - polynomial(this.sip.b, u, v);
      const done = Math.abs(nu - u) < 1e-10 && Math.abs(nv - v) < 1e-10;
      u = nu;
      v = nv;
      if (done) break;
    }
    return [u, v];
  }

  nativeToCelestial(phi, theta) {
    const [alphaP, deltaP] = this.pole;
    const dphi = phi - this.phiP;
    const alpha = alphaP + atan2d(-cosd(theta) * sind(dphi),
      sind(theta) * cosd(deltaP) - cosd(theta) * sind(deltaP) * cosd(dphi));
    const delta = asind(sind(theta) * sind(deltaP) + cosd(theta) * cosd(deltaP) * cosd(dphi));
    return [((alpha % 360) + 360) % 360, delta];
  }

  celestialToNative(alpha, delta) {
    const [alphaP, deltaP] = this.pole;
    const da = alpha - alphaP;
    const phi = this.phiP + atan2d(-cosd(delta) * sind(da),
      sind(delta) * cosd(deltaP) - cosd(delta) * sind(deltaP) * cosd(da));
    const theta = asind(sind(delta) * sind(deltaP) + cosd(delta) * cosd(deltaP) * cosd(da));
    return [normalise180(phi), theta];
  }

  // Arcseconds per pixel at the reference point (geometric mean of the axes).
  pixelScale() {
    if (!this.isCelestial) return NaN;
    const det = Math.abs(this.cd[0][0] * this.cd[1][1] - this.cd[0][1] * this.cd[1][0]);
    return Math.sqrt(det) * 3600;
  }
}

function normalise180(angle) {
  return ((((angle + 180) % 360) + 360) % 360) - 180;
}

function matrix(header) {
  if (header.CD1_1 !== undefined || header.CD2_2 !== undefined) {
    return [
      [number(header, "CD1_1", 0), number(header, "CD1_2", 0)],
      [number(header, "CD2_1", 0), number(header, "CD2_2", 0)],
    ];
  }
  const cdelt1 = number(header, "CDELT1", 1);
  const cdelt2 = number(header, "CDELT2", 1);
  if (header.PC1_1 !== undefined || header.PC1_2 !== undefined || header.PC2_1 !== undefined) {
    return [
      [cdelt1 * number(header, "PC1_1", 1), cdelt1 * number(header, "PC1_2", 0)],
      [cdelt2 * number(header, "PC2_1", 0), cdelt2 * number(header, "PC2_2", 1)],
    ];
  }
  const rho = number(header, "CROTA2", 0);
  return [
    [cdelt1 * cosd(rho), -cdelt2 * sind(rho)],
    [cdelt1 * sind(rho), cdelt2 * cosd(rho)],
  ];
}

// A mosaic's sky coordinates: each extension's own WCS over the mosaic pixels its data
// land on ("images" of the IIP INFO: header, dataslice, detslice), so extensions with
// their own astrometric solutions (a CCD each) are placed exactly; pixels in the gaps
// between extensions take the nearest one's. The mosaic header's WCS is the fallback.
export class MosaicWCS {
  constructor(header, images) {
    this.global = new WCS(header);
    this.parts = images.map((image) => ({
      wcs: new WCS(image.header || {}),
      data: image.dataslice,
      det: image.detslice,
      box: image.detslice.map(([a, b]) => [Math.min(a, b) - 0.5, Math.max(a, b) + 0.5]),
    })).filter((part) => part.wcs.isCelestial && part.data && part.det);
    this.isCelestial = this.global.isCelestial || this.parts.length > 0;
  }

  pixelToWorld(x, y) {
    const part = this.nearest(x, y);
    if (!part) return this.global.pixelToWorld(x, y);
    return part.wcs.pixelToWorld(along(x, part.det[0], part.data[0]),
      along(y, part.det[1], part.data[1]));
  }

  // The extension whose pixels the sky position falls on: first the one the mosaic
  // header points at, then the others.
  worldToPixel(ra, dec) {
    const [gx, gy] = this.global.isCelestial ? this.global.worldToPixel(ra, dec) : [NaN, NaN];
    const guess = Number.isFinite(gx) ? this.nearest(gx, gy) : null;
    let best = null;
    for (const part of guess ? [guess, ...this.parts.filter((p) => p !== guess)] : this.parts) {
      const [p, q] = part.wcs.worldToPixel(ra, dec);
      const x = along(p, part.data[0], part.det[0]);
      const y = along(q, part.data[1], part.det[1]);
      const distance = outside(part, x, y);
      if (distance === 0) return [x, y];
      if (Number.isFinite(distance) && (!best || distance < best.distance)) best = { x, y, distance };
    }
    return best ? [best.x, best.y] : [gx, gy];
  }

  nearest(x, y) {
    let best = null;
    let bestDistance = Infinity;
    for (const part of this.parts) {
      const distance = outside(part, x, y);
      if (distance < bestDistance) [best, bestDistance] = [part, distance];
      if (distance === 0) break;
    }
    return best;
  }

  pixelScale() {
    return (this.global.isCelestial ? this.global : this.parts[0].wcs).pixelScale();
  }
}

// v on the axis [from1, from2] taken to the matching place on [to1, to2] (1-based pixel
// ranges of equal length, either of them descending).
function along(v, [from1, from2], [to1, to2]) {
  return from1 === from2 ? to1 : to1 + ((v - from1) * (to2 - to1)) / (from2 - from1);
}

function outside(part, x, y) {
  const [[x1, x2], [y1, y2]] = part.box;
  return Math.hypot(Math.max(x1 - x, 0, x - x2), Math.max(y1 - y, 0, y - y2));
}
