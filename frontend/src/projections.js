// The spherical projections of FITS WCS paper II (Calabretta & Greisen 2002, with
// HEALPix from Calabretta & Roukema 2007): each turns native spherical coordinates
// (phi, theta) into projection-plane coordinates (x, y) and back. All angles and plane
// coordinates are degrees (the paper's R0 = 180/pi). A point the projection cannot show,
// or a plane point off the projected sphere, gives [NaN, NaN].
//
// makeProjection(code, pv) takes the three-letter code and pv(m, fallback), the latitude
// axis's PVi_m parameters; it throws ProjectionError for a code or parameters it cannot use.

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;
const R0 = R2D;
const OFF = [NaN, NaN];

const sind = (a) => Math.sin(a * D2R);
const cosd = (a) => Math.cos(a * D2R);
const tand = (a) => Math.tan(a * D2R);
const atan2d = (y, x) => Math.atan2(y, x) * R2D;
const atand = (v) => Math.atan(v) * R2D;
// Inverse sine and cosine that forgive rounding just past +-1 but not a real overshoot.
const asind = (v) => (Math.abs(v) > 1 + 1e-12 ? NaN : Math.asin(Math.max(-1, Math.min(1, v))) * R2D);
const acosd = (v) => (Math.abs(v) > 1 + 1e-12 ? NaN : Math.acos(Math.max(-1, Math.min(1, v))) * R2D);

export class ProjectionError extends Error {}

export const ZENITHAL = ["AZP", "SZP", "TAN", "STG", "SIN", "ARC", "ZPN", "ZEA", "AIR"];
export const CYLINDRICAL = ["CYP", "CEA", "CAR", "MER"];
export const PSEUDOCYLINDRICAL = ["SFL", "PAR", "MOL", "AIT"];
export const CONIC = ["COP", "COE", "COD", "COO"];
export const POLYCONIC = ["BON", "PCO"];
export const QUADCUBE = ["TSC", "CSC", "QSC"];
export const HEALPIX = ["HPX"];
export const PROJECTIONS = [...ZENITHAL, ...CYLINDRICAL, ...PSEUDOCYLINDRICAL, ...CONIC,
  ...POLYCONIC, ...QUADCUBE, ...HEALPIX];

// Zenithal projections: a radius R(theta) around the native pole, phi the azimuth.
function zenithal(radius, colatitude) {
  return {
    theta0: 90,
    project(phi, theta) {
      const r = radius(theta, phi);
      return Number.isFinite(r) ? [r * sind(phi), -r * cosd(phi)] : OFF;
    },
    deproject(x, y) {
      const r = Math.hypot(x, y);
      const theta = colatitude(r);
      return Number.isFinite(theta) ? [r === 0 ? 0 : atan2d(x, -y), theta] : OFF;
    },
  };
}

function azp(mu, gamma) {
  if (mu === -1) throw new ProjectionError("AZP with mu = -1 is not a projection");
  const cg = cosd(gamma);
  const tg = tand(gamma);
  const sg = sind(gamma);
  if (cg === 0) throw new ProjectionError("AZP with gamma = 90 degrees is not a projection");
  return {
    theta0: 90,
    project(phi, theta) {
      const denominator = mu + sind(theta) + cosd(theta) * cosd(phi) * tg;
      if (denominator <= 0) return OFF; // behind the point of projection
      // The far side of the sphere, which the near side hides (|mu| > 1 only).
      if (Math.abs(mu) > 1 && sind(theta) < -1 / mu) return OFF;
      const r = (R0 * (mu + 1) * cosd(theta)) / denominator;
      return [r * sind(phi), (-r * cosd(phi)) / cg];
    },
    deproject(x, y) {
      const yc = y * cg;
      const r = Math.hypot(x, yc);
      const phi = r === 0 ? 0 : atan2d(x, -yc);
      if (r === 0) return [0, 90];
      const rho = r / (R0 * (mu + 1) + y * sg);
      const s = (rho * mu) / Math.sqrt(rho * rho + 1);
      const base = atan2d(1, rho);
      const first = base - asind(s);
      const second = base + asind(s) - 180;
      const theta = first >= -90 - 1e-12 && first <= 90 + 1e-12 ? first
        : second >= -90 - 1e-12 && second <= 90 + 1e-12 ? second : NaN;
      return Number.isFinite(theta) ? [phi, Math.min(90, theta)] : OFF;
    },
  };
}

// Slant zenithal perspective: the point of projection at (mu, phi_c, theta_c).
function szp(mu, phiC, thetaC) {
  const xp = -mu * cosd(thetaC) * sind(phiC);
  const yp = mu * cosd(thetaC) * cosd(phiC);
  const zp = mu * sind(thetaC) + 1;
  if (zp === 0) throw new ProjectionError("SZP with its point of projection at the centre");
  return {
    theta0: 90,
    project(phi, theta) {
      const s = 1 - sind(theta);
      const denominator = zp - s;
      if (denominator === 0 || (zp > 0 && denominator < 0)) return OFF;
      return [(R0 * (zp * cosd(theta) * sind(phi) - xp * s)) / denominator,
        (-R0 * (zp * cosd(theta) * cosd(phi) + yp * s)) / denominator];
    },
    deproject(x, y) {
      const X = x / R0;
      const Y = y / R0;
      const s = slantSolution(X, Y, (X - xp) / zp, (Y - yp) / zp);
      if (!Number.isFinite(s)) return OFF;
      const cx = X - s * ((X - xp) / zp);
      const cy = -(Y - s * ((Y - yp) / zp));
      return [cx === 0 && cy === 0 ? 0 : atan2d(cx, cy), asind(1 - s)];
    },
  };
}

// s = 1 - sin(theta) from (X - s X')^2 + (Y - s Y')^2 = 2 s - s^2, the root nearest the
// native pole (SZP and the slant SIN projection).
function slantSolution(X, Y, Xp, Yp) {
  const a = Xp * Xp + Yp * Yp + 1;
  const b = X * Xp + Y * Yp + 1;
  const c = X * X + Y * Y;
  const discriminant = b * b - a * c;
  if (discriminant < 0) return NaN;
  const s = c / (b + Math.sqrt(discriminant)); // (b - sqrt(d)) / a, without cancelling
  return s >= -1e-12 && s <= 2 + 1e-12 ? s : NaN;
}

function sin(xi, eta) {
  if (xi === 0 && eta === 0) {
    return zenithal((theta) => (theta < 0 ? NaN : R0 * cosd(theta)), (r) => acosd(r / R0));
  }
  return {
    theta0: 90,
    project(phi, theta) {
      const s = 1 - sind(theta);
      return [R0 * (cosd(theta) * sind(phi) + xi * s), -R0 * (cosd(theta) * cosd(phi) - eta * s)];
    },
    deproject(x, y) {
      const X = x / R0;
      const Y = y / R0;
      const s = slantSolution(X, Y, xi, -eta);
      if (!Number.isFinite(s)) return OFF;
      const cx = X - xi * s;
      const cy = -(Y + eta * s);
      return [cx === 0 && cy === 0 ? 0 : atan2d(cx, cy), asind(1 - s)];
    },
  };
}

// Zenithal polynomial: R = R0 sum_m P_m (90 - theta)^m, theta in radians.
function zpn(coefficients) {
  let degree = coefficients.length - 1;
  while (degree > 0 && coefficients[degree] === 0) degree--;
  const p = coefficients.slice(0, degree + 1);
  const value = (z) => p.reduceRight((sum, c) => sum * z + c, 0);
  const slope = (z) => p.reduceRight((sum, c, m) => (m === 0 ? sum : sum * z + m * c), 0);
  if (degree < 1) throw new ProjectionError("ZPN needs a non-constant polynomial (PV2_1 ...)");
  // The usable range of zenith distance: up to the first turn of the polynomial.
  let zMax = Math.PI;
  const step = Math.PI / 720;
  for (let z = step; z <= Math.PI; z += step) {
    if (slope(z - step) * slope(z) <= 0 || slope(z) <= 0) {
      zMax = bisect(slope, z - step, z);
      break;
    }
  }
  if (slope(0) <= 0 && degree > 1) zMax = 0;
  const rMax = value(zMax);
  return {
    theta0: 90,
    project(phi, theta) {
      const z = (90 - theta) * D2R;
      if (z > zMax + 1e-12) return OFF;
      const r = R0 * value(z);
      return [r * sind(phi), -r * cosd(phi)];
    },
    deproject(x, y) {
      const r = Math.hypot(x, y) / R0;
      const phi = r === 0 ? 0 : atan2d(x, -y);
      if (r < p[0]) return r === 0 && p[0] === 0 ? [0, 90] : OFF;
      if (r > rMax + 1e-12) return OFF;
      const z = degree === 1 ? (r - p[0]) / p[1] : bisect((t) => value(t) - r, 0, zMax);
      return [phi, 90 - z * R2D];
    },
  };
}

function air(thetaB) {
  const xiB = ((90 - thetaB) / 2) * D2R;
  // ln(cos xi_b) / tan^2 xi_b, which tends to -1/2 as theta_b tends to 90 degrees.
  const b = Math.abs(xiB) < 1e-8 ? -0.5 : Math.log(Math.cos(xiB)) / Math.tan(xiB) ** 2;
  const radius = (xi) => (xi === 0 ? 0 : -2 * R0 * (Math.log(Math.cos(xi)) / Math.tan(xi) + b * Math.tan(xi)));
  return zenithal(
    (theta) => (theta <= -90 ? NaN : radius(((90 - theta) / 2) * D2R)),
    (r) => {
      if (r === 0) return 90;
      const xi = bisect((t) => radius(t) - r, 0, Math.PI / 2 - 1e-12);
      return Number.isFinite(xi) ? 90 - 2 * xi * R2D : NaN;
    },
  );
}

function cylindrical(toY, fromY, toX = (phi) => phi, fromX = (x) => x) {
  return {
    theta0: 0,
    project(phi, theta) {
      const y = toY(theta);
      return Number.isFinite(y) ? [toX(phi), y] : OFF;
    },
    deproject(x, y) {
      const phi = fromX(x);
      const theta = fromY(y);
      return Number.isFinite(theta) && Math.abs(phi) <= 180 + 1e-9 ? [phi, theta] : OFF;
    },
  };
}

function cyp(mu, lambda) {
  if (lambda === 0) throw new ProjectionError("CYP with lambda = 0 is not a projection");
  if (mu + lambda === 0) throw new ProjectionError("CYP with mu = -lambda is not a projection");
  return cylindrical(
    (theta) => (mu + cosd(theta) === 0 ? NaN : (R0 * (mu + lambda) * sind(theta)) / (mu + cosd(theta))),
    (y) => {
      const eta = y / (R0 * (mu + lambda));
      return atand(eta) + asind((eta * mu) / Math.sqrt(eta * eta + 1));
    },
    (phi) => lambda * phi,
    (x) => x / lambda,
  );
}

function cea(lambda) {
  if (!(lambda > 0 && lambda <= 1)) throw new ProjectionError("CEA needs 0 < lambda (PV2_1) <= 1");
  return cylindrical((theta) => (R0 * sind(theta)) / lambda, (y) => asind((lambda * y) / R0));
}

const car = () => cylindrical((theta) => theta, (y) => (Math.abs(y) <= 90 + 1e-12 ? y : NaN));

const mer = () => cylindrical(
  (theta) => (Math.abs(theta) >= 90 ? NaN : R0 * Math.log(tand((90 + theta) / 2))),
  (y) => 2 * atand(Math.exp(y / R0)) - 90,
);

function sfl() {
  return {
    theta0: 0,
    project: (phi, theta) => [phi * cosd(theta), theta],
    deproject(x, y) {
      if (Math.abs(y) > 90 + 1e-12) return OFF;
      const c = cosd(y);
      if (c === 0) return x === 0 ? [0, y] : OFF;
      const phi = x / c;
      return Math.abs(phi) <= 180 + 1e-9 ? [phi, y] : OFF;
    },
  };
}

function par() {
  return {
    theta0: 0,
    project: (phi, theta) => [phi * (2 * cosd((2 * theta) / 3) - 1), 180 * sind(theta / 3)],
    deproject(x, y) {
      const s = y / 180;
      const theta = 3 * asind(s);
      const factor = 1 - 4 * s * s;
      if (!Number.isFinite(theta)) return OFF;
      if (factor === 0) return x === 0 ? [0, theta] : OFF;
      const phi = x / factor;
      return Math.abs(phi) <= 180 + 1e-9 ? [phi, theta] : OFF;
    },
  };
}

function mol() {
  const width = (2 * Math.SQRT2) / Math.PI;
  return {
    theta0: 0,
    project(phi, theta) {
      // pi sin(theta) = 2 gamma + sin(2 gamma), solved by Newton's method.
      const target = Math.PI * sind(theta);
      let g = theta * D2R;
      if (Math.abs(theta) < 90) {
        for (let i = 0; i < 100; i++) {
          const dg = (2 * g + Math.sin(2 * g) - target) / (2 + 2 * Math.cos(2 * g));
          g -= dg;
          if (Math.abs(dg) < 1e-15) break;
        }
      }
      return [width * phi * Math.cos(g), Math.SQRT2 * R0 * Math.sin(g)];
    },
    deproject(x, y) {
      const s = y / (Math.SQRT2 * R0);
      if (Math.abs(s) > 1 + 1e-12) return OFF;
      const g = Math.asin(Math.max(-1, Math.min(1, s)));
      const c = Math.cos(g);
      const phi = c === 0 ? 0 : x / (width * c);
      if (Math.abs(phi) > 180 + 1e-9) return OFF;
      return [phi, asind((2 * g + Math.sin(2 * g)) / Math.PI)];
    },
  };
}

function ait() {
  return {
    theta0: 0,
    project(phi, theta) {
      const gamma = R0 * Math.sqrt(2 / (1 + cosd(theta) * cosd(phi / 2)));
      return [2 * gamma * cosd(theta) * sind(phi / 2), gamma * sind(theta)];
    },
    deproject(x, y) {
      const u = (Math.PI * x) / 720;
      const v = (Math.PI * y) / 360;
      const z2 = 1 - u * u - v * v;
      if (z2 < 0.5 - 1e-12) return OFF;
      const z = Math.sqrt(Math.max(z2, 0.5));
      return [2 * atan2d((Math.PI * z * x) / 360, 2 * z * z - 1), asind((Math.PI * y * z) / 180)];
    },
  };
}

// Conics: radius R(theta) around the cone's apex at (0, Y0), phi scaled by C.
function conic(code, thetaA, eta) {
  if (thetaA === undefined) throw new ProjectionError(`${code} needs theta_a (PV2_1)`);
  const theta1 = thetaA - eta;
  const theta2 = thetaA + eta;
  let c;
  let radius;
  let inverse;
  if (code === "COP") {
    if (thetaA === 0) throw new ProjectionError("COP with theta_a = 0 is not a projection");
    c = sind(thetaA);
    const k = R0 * cosd(eta);
    const cot = 1 / tand(thetaA);
    radius = (theta) => (Math.abs(theta - thetaA) >= 90 ? NaN : k * (cot - tand(theta - thetaA)));
    inverse = (r) => thetaA + atand(cot - r / k);
  } else if (code === "COE") {
    const gamma = sind(theta1) + sind(theta2);
    if (gamma === 0) throw new ProjectionError("COE with theta_1 = -theta_2 is not a projection");
    c = gamma / 2;
    const base = 1 + sind(theta1) * sind(theta2);
    radius = (theta) => ((R0 * 2) / gamma) * Math.sqrt(Math.max(0, base - gamma * sind(theta)));
    inverse = (r) => asind((base - ((r * gamma) / (2 * R0)) ** 2) / gamma);
  } else if (code === "COD") {
    if (thetaA === 0) throw new ProjectionError("COD with theta_a = 0 is not a projection");
    const cot = 1 / tand(thetaA);
    const k = eta === 0 ? R0 * cot : (eta / tand(eta)) * cot;
    c = eta === 0 ? sind(thetaA) : (sind(thetaA) * sind(eta)) / (eta * D2R);
    radius = (theta) => thetaA - theta + k;
    inverse = (r) => thetaA + k - r;
  } else {
    if (Math.abs(theta1) === 90 || Math.abs(theta2) === 90) {
      throw new ProjectionError("COO with a standard parallel at a pole is not a projection");
    }
    const t = (theta) => tand((90 - theta) / 2);
    c = theta1 === theta2 ? sind(theta1) : Math.log(cosd(theta2) / cosd(theta1)) / Math.log(t(theta2) / t(theta1));
    if (c === 0) throw new ProjectionError("COO with C = 0 is not a projection");
    const psi = (R0 * cosd(theta1)) / (c * t(theta1) ** c);
    radius = (theta) => (theta === -90 && c > 0 ? NaN : psi * t(theta) ** c);
    inverse = (r) => (r === 0 ? (c > 0 ? 90 : -90) : 90 - 2 * atand((r / psi) ** (1 / c)));
  }
  const y0 = radius(thetaA);
  const sign = thetaA < 0 ? -1 : 1;
  return {
    theta0: thetaA,
    project(phi, theta) {
      const r = radius(theta);
      return Number.isFinite(r) ? [r * sind(c * phi), -r * cosd(c * phi) + y0] : OFF;
    },
    deproject(x, y) {
      const dy = y0 - y;
      const r = sign * Math.hypot(x, dy);
      const phi = r === 0 ? 0 : atan2d(x / r, dy / r) / c;
      const theta = inverse(r);
      return Number.isFinite(theta) && Math.abs(phi) <= 180 + 1e-9 ? [phi, theta] : OFF;
    },
  };
}

function bon(theta1) {
  if (theta1 === undefined) throw new ProjectionError("BON needs theta_1 (PV2_1)");
  if (theta1 === 0) return sfl(); // Bonne's projection with theta_1 = 0 is Sanson-Flamsteed's
  const y0 = R0 / tand(theta1) + theta1;
  const sign = theta1 < 0 ? -1 : 1;
  return {
    theta0: 0,
    project(phi, theta) {
      const r = y0 - theta;
      const a = r === 0 ? 0 : (R0 * phi * cosd(theta)) / r;
      return [r * sind(a), -r * cosd(a) + y0];
    },
    deproject(x, y) {
      const dy = y0 - y;
      const r = sign * Math.hypot(x, dy);
      const theta = y0 - r;
      if (Math.abs(theta) > 90 + 1e-12) return OFF;
      const a = r === 0 ? 0 : atan2d(x / r, dy / r);
      const c = cosd(theta);
      const phi = c === 0 ? 0 : (a * r) / (R0 * c);
      return Math.abs(phi) <= 180 + 1e-9 ? [phi, theta] : OFF;
    },
  };
}

function pco() {
  return {
    theta0: 0,
    project(phi, theta) {
      if (theta === 0) return [phi, 0];
      const a = phi * sind(theta);
      const cot = R0 / tand(theta);
      return [cot * sind(a), theta + cot * (1 - cosd(a))];
    },
    deproject(x, y) {
      if (Math.abs(y) < 1e-12) return Math.abs(x) <= 180 + 1e-9 ? [x, 0] : OFF;
      // x^2 + (y - theta)^2 - 2 (y - theta) R0 cot(theta) = 0, times tan(theta), has one
      // root between 0 and y (or the pole).
      const g = (theta) => (x * x + (y - theta) ** 2) * tand(theta) - 2 * R0 * (y - theta);
      const end = Math.sign(y) * Math.min(Math.abs(y), 90);
      const theta = Math.abs(end) === 90 && g(end * (1 - 1e-15)) < 0 ? NaN : bisect(g, 0, end * (1 - 1e-15));
      if (!Number.isFinite(theta)) return OFF;
      const cot = R0 / tand(theta);
      const a = atan2d(x / cot, 1 - (y - theta) / cot);
      const phi = a / sind(theta);
      return Math.abs(phi) <= 180 + 1e-9 ? [phi, theta] : OFF;
    },
  };
}

// Quadrilateralized spherical cubes: six faces, (xi, eta) on the face, zeta towards it.
const FACE_CENTRES = [[0, 90], [0, 0], [90, 0], [180, 0], [270, 0], [0, -90]];

function faceOf(l, m, n) {
  const candidates = [n, l, m, -l, -m, -n];
  let face = 0;
  for (let k = 1; k < 6; k++) if (candidates[k] > candidates[face]) face = k;
  const [xi, eta] = [[m, -l], [m, n], [-l, n], [-m, n], [l, n], [m, l]][face];
  return { face, xi, eta, zeta: candidates[face] };
}

function fromFace(face, xi, eta, zeta) {
  const [l, m, n] = [[-eta, xi, zeta], [zeta, xi, eta], [-xi, zeta, eta], [-zeta, -xi, eta],
    [xi, -zeta, eta], [eta, xi, -zeta]][face];
  return [atan2d(m, l), asind(n)];
}

// The face of plane point (x, y), and (u, v) on it in units of 45 degrees, in [-1, 1].
function planeFace(x, y) {
  const wrapped = ((((x + 45) % 360) + 360) % 360) - 45;
  let face;
  if (y > 45) face = 0;
  else if (y < -45) face = 5;
  else face = 1 + Math.min(3, Math.floor((wrapped + 45) / 90));
  const [xc, yc] = FACE_CENTRES[face];
  const u = (face === 0 || face === 5 ? x : wrapped - xc) / 45;
  const v = (y - yc) / 45;
  return Math.abs(u) > 1 + 1e-12 || Math.abs(v) > 1 + 1e-12 ? null : { face, u, v };
}

function quadcube(forward, inverse) {
  return {
    theta0: 0,
    project(phi, theta) {
      const l = cosd(theta) * cosd(phi);
      const m = cosd(theta) * sind(phi);
      const n = sind(theta);
      const { face, xi, eta, zeta } = faceOf(l, m, n);
      const [u, v] = forward(xi, eta, zeta);
      const [xc, yc] = FACE_CENTRES[face];
      // Faces 3 and 4 also appear left of face 1; x is on their right-hand copy.
      return [xc + 45 * u, yc + 45 * v];
    },
    deproject(x, y) {
      const place = planeFace(x, y);
      if (!place) return OFF;
      const [xi, eta, zeta] = inverse(place.u, place.v);
      return fromFace(place.face, xi, eta, zeta);
    },
  };
}

const tsc = () => quadcube(
  (xi, eta, zeta) => [xi / zeta, eta / zeta],
  (u, v) => {
    const norm = Math.sqrt(1 + u * u + v * v);
    return [u / norm, v / norm, 1 / norm];
  },
);

// COBE's CSC: Chan & O'Neill's polynomials, as paper II gives them (5.6.2): forward from
// the face's gnomonic coordinates, and their separate inverse, which is not its exact
// inverse (they disagree by up to 0.01 degree, as in WCSLIB, which astropy uses).
const CSC = { gstar: 1.37484847732, mm: 0.004869491981, gamma: -0.13161671474,
  omega1: -0.159596235474, d0: 0.0759196200467, d1: -0.0217762490699, c00: 0.141189631152,
  c10: 0.0809701286525, c01: -0.281528535557, c11: 0.15384112876, c20: -0.178251207466,
  c02: 0.106959469314 };
// P[j][i], the coefficient of X^2i Y^2j.
const CSC_INVERSE = [
  [-0.27292696, -0.07629969, -0.22797056, 0.54852384, -0.62930065, 0.25795794, 0.02584375],
  [-0.02819452, -0.01471565, 0.48051509, -1.74114454, 1.71547508, -0.53022337],
  [0.27058160, -0.56800938, 0.30803317, 0.98938102, -0.83180469],
  [-0.60441560, 1.50880086, -0.93678576, 0.08693841],
  [0.93412077, -1.41601920, 0.33887446],
  [-0.63915306, 0.52032238],
  [0.14381585],
];

function cscAxis(a, b) {
  const k = CSC;
  const a2 = a * a;
  const b2 = b * b;
  const a2co = 1 - a2;
  const b2co = 1 - b2;
  return a * (a2 + a2co * (k.gstar + b2 * (k.gamma * a2co + k.mm * a2 + b2co * (k.c00 + k.c10 * a2
    + k.c01 * b2 + k.c11 * a2 * b2 + k.c20 * a2 * a2 + k.c02 * b2 * b2)) + a2 * (k.omega1 - a2co
    * (k.d0 + k.d1 * a2))));
}

function cscInverseAxis(a, b) {
  const a2 = a * a;
  const b2 = b * b;
  const sum = CSC_INVERSE.reduceRight((outer, row) => outer * b2
    + row.reduceRight((inner, p) => inner * a2 + p, 0), 0);
  return a + a * (1 - a2) * sum;
}

const csc = () => quadcube(
  (xi, eta, zeta) => {
    const chi = xi / zeta;
    const psi = eta / zeta;
    return [cscAxis(chi, psi), cscAxis(psi, chi)];
  },
  (u, v) => {
    const chi = cscInverseAxis(u, v);
    const psi = cscInverseAxis(v, u);
    const norm = Math.sqrt(1 + chi * chi + psi * psi);
    return [chi / norm, psi / norm, 1 / norm];
  },
);

// The quadrilateralized spherical cube (equal area), both ways exact (paper II, 5.6.3).
const qsc = () => quadcube(
  (xi, eta, zeta) => {
    if (xi === 0 && eta === 0) return [0, 0];
    const flip = Math.abs(xi) < Math.abs(eta);
    const [a, b] = flip ? [eta, xi] : [xi, eta];
    const omega = b / a;
    const big = Math.sign(a) * Math.sqrt((1 - zeta) / (1 - 1 / Math.sqrt(2 + omega * omega)));
    const small = (big / 15) * (atand(omega) - asind(omega / Math.sqrt(2 * (1 + omega * omega))));
    return flip ? [small, big] : [big, small];
  },
  (u, v) => {
    if (u === 0 && v === 0) return [0, 0, 1];
    const flip = Math.abs(u) < Math.abs(v);
    const [big, small] = flip ? [v, u] : [u, v];
    const t = (15 * small) / big; // degrees
    const omega = sind(t) / (cosd(t) - Math.SQRT1_2);
    const zeta = 1 - big * big * (1 - 1 / Math.sqrt(2 + omega * omega));
    const a = Math.sign(big) * Math.sqrt(Math.max(0, (1 - zeta * zeta) / (1 + omega * omega)));
    const b = omega * a;
    return flip ? [b, a, zeta] : [a, b, zeta];
  },
);

// HEALPix (Calabretta & Roukema 2007): H facets in longitude, K in latitude; odd K only
// (even K shifts the polar facets, which no header we know of uses).
function hpx(h, k) {
  if (!(h > 0 && k > 0 && Number.isInteger(h) && Number.isInteger(k) && k % 2 === 1)) {
    throw new ProjectionError("HPX needs whole H > 0 and odd K > 0 (PV2_1, PV2_2)");
  }
  const thetaX = asind((k - 1) / k);
  const yX = (90 * (k - 1)) / h; // where the polar caps begin
  const width = 360 / h;
  const centre = (phi) => -180 + (Math.min(h - 1, Math.floor((phi + 180) / width)) + 0.5) * width;
  return {
    theta0: 0,
    project(phi, theta) {
      if (Math.abs(theta) <= thetaX) return [phi, ((90 * k) / h) * sind(theta)];
      const sigma = Math.sqrt(k * (1 - Math.abs(sind(theta))));
      const phiC = centre(phi);
      return [phiC + (phi - phiC) * sigma, Math.sign(theta) * (180 / h) * ((k + 1) / 2 - sigma)];
    },
    deproject(x, y) {
      if (Math.abs(x) > 180 + 1e-9) return OFF;
      if (Math.abs(y) <= yX) return [x, asind((y * h) / (90 * k))];
      const sigma = (k + 1) / 2 - (Math.abs(y) * h) / 180;
      if (sigma < -1e-12) return OFF;
      const theta = Math.sign(y) * asind(1 - (sigma * sigma) / k);
      const phiC = centre(x);
      if (sigma <= 1e-12) return Math.abs(x - phiC) < 1e-9 ? [phiC, theta] : OFF;
      return Math.abs(x - phiC) <= (width / 2) * sigma + 1e-9 ? [phiC + (x - phiC) / sigma, theta] : OFF;
    },
  };
}

// A root of f between a and b (f(a), f(b) of opposite signs), or NaN.
function bisect(f, a, b) {
  let fa = f(a);
  const fb = f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (!(fa * fb < 0)) return NaN;
  let lo = a;
  let hi = b;
  for (let i = 0; i < 200 && hi !== lo; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    const fm = f(mid);
    if (fm === 0) return mid;
    if (fm * fa < 0) hi = mid;
    else {
      lo = mid;
      fa = fm;
    }
  }
  return (lo + hi) / 2;
}

export function makeProjection(code, pv) {
  switch (code) {
    case "AZP": return azp(pv(1, 0), pv(2, 0));
    case "SZP": return szp(pv(1, 0), pv(2, 0), pv(3, 90));
    case "TAN": return zenithal((theta) => (theta <= 0 ? NaN : (R0 * cosd(theta)) / sind(theta)),
      (r) => atan2d(R0, r));
    case "STG": return zenithal((theta) => (theta <= -90 ? NaN : 2 * R0 * tand((90 - theta) / 2)),
      (r) => 90 - 2 * atand(r / (2 * R0)));
    case "SIN": return sin(pv(1, 0), pv(2, 0));
    case "ARC": return zenithal((theta) => 90 - theta, (r) => (r > 180 ? NaN : 90 - r));
    case "ZPN": return zpn(Array.from({ length: 21 }, (_, m) => pv(m, 0)));
    case "ZEA": return zenithal((theta) => 2 * R0 * sind((90 - theta) / 2),
      (r) => 90 - 2 * asind(r / (2 * R0)));
    case "AIR": return air(pv(1, 90));
    case "CYP": return cyp(pv(1, 1), pv(2, 1));
    case "CEA": return cea(pv(1, 1));
    case "CAR": return car();
    case "MER": return mer();
    case "SFL": return sfl();
    case "PAR": return par();
    case "MOL": return mol();
    case "AIT": return ait();
    case "COP": case "COE": case "COD": case "COO":
      return conic(code, pv(1, undefined), pv(2, 0));
    case "BON": return bon(pv(1, undefined));
    case "PCO": return pco();
    case "TSC": return tsc();
    case "CSC": return csc();
    case "QSC": return qsc();
    case "HPX": return hpx(pv(1, 4), pv(2, 3));
    default: throw new ProjectionError(`the ${code || "(blank)"} projection is not one the viewer knows`);
  }
}
