// ds9 shapes as outlines in FITS pixels (1-based), placed as astropy regions' to_pixel
// places them: sky shapes through the local Jacobian of the image's WCS at their centre
// (pixels per arcsec along east and north), pixel shapes as given, angles from the image
// x-axis. A shape's outline is a list of rings, each a list of [x, y].

const RAD = Math.PI / 180;
const STEPS = 72; // vertices of an ellipse's outline

// Great-circle separation (radians) and position angle (east of north, radians) of
// (ra2, dec2) seen from (ra1, dec1), all in degrees.
function separationAngle(ra1, dec1, ra2, dec2) {
  const [a1, d1, a2, d2] = [ra1 * RAD, dec1 * RAD, ra2 * RAD, dec2 * RAD];
  const da = a2 - a1;
  const num = Math.hypot(Math.cos(d2) * Math.sin(da), Math.cos(d1) * Math.sin(d2) - Math.sin(d1) * Math.cos(d2) * Math.cos(da));
  const den = Math.sin(d1) * Math.sin(d2) + Math.cos(d1) * Math.cos(d2) * Math.cos(da);
  const pa = Math.atan2(Math.sin(da) * Math.cos(d2), Math.cos(d1) * Math.sin(d2) - Math.sin(d1) * Math.cos(d2) * Math.cos(da));
  return [Math.atan2(num, den), pa];
}

// The pixel centre and the 2x2 matrix d(pixel)/d(arcsec east, arcsec north) at a sky
// position (ICRS degrees); ``north`` (degrees) turns a frame's axes into ICRS ones.
export function skyJacobian(wcs, ra, dec, north = 0) {
  const [x0, y0] = wcs.worldToPixel(ra, dec);
  const sky0 = wcs.pixelToWorld(x0, y0);
  const arcsec = 3600 / RAD;
  const columns = [[x0 + 1, y0], [x0, y0 + 1]].map(([x, y]) => {
    const [sep, pa] = separationAngle(sky0[0], sky0[1], ...wcs.pixelToWorld(x, y));
    return [sep * Math.sin(pa) * arcsec, sep * Math.cos(pa) * arcsec];
  });
  // F = d(sky)/d(pixel): rows (east, north), columns (x, y); J = F^-1.
  const [[a, c], [b, d]] = columns;
  const det = a * d - b * c;
  let J = [[d / det, -b / det], [-c / det, a / det]];
  if (north) {
    // A frame's east/north are the ICRS ones turned by ``north`` (position angles add).
    const n = north * RAD;
    const R = [[Math.cos(n), Math.sin(n)], [-Math.sin(n), Math.cos(n)]];
    J = [[J[0][0] * R[0][0] + J[0][1] * R[1][0], J[0][0] * R[0][1] + J[0][1] * R[1][1]],
      [J[1][0] * R[0][0] + J[1][1] * R[1][0], J[1][0] * R[0][1] + J[1][1] * R[1][1]]];
  }
  return { x: x0, y: y0, J };
}

// The placement of one shape: its centre in pixels and a map from the shape's own axes
// (width along u, height along v, in the shape's units) to pixel offsets.
function placement(props, coordinates, wcs) {
  const angle = (props.angle || 0) * RAD;
  if (props.frame === "image") {
    const [x, y] = coordinates;
    const u = [Math.cos(angle), Math.sin(angle)];
    const v = [-Math.sin(angle), Math.cos(angle)];
    return { x, y, map: (p, q) => [x + p * u[0] + q * v[0], y + p * u[1] + q * v[1]], scale: 1 };
  }
  const { x, y, J } = skyJacobian(wcs, coordinates[0], coordinates[1], props.north || 0);
  // regions: the width axis lies at position angle (angle - 90) in the frame.
  const pa = angle - Math.PI / 2;
  const u = [Math.sin(pa), Math.cos(pa)];
  const v = [Math.cos(pa), -Math.sin(pa)];
  const toPixel = (e, n) => [J[0][0] * e + J[0][1] * n, J[1][0] * e + J[1][1] * n];
  return {
    x, y,
    map: (p, q) => {
      const [dx, dy] = toPixel((p * u[0] + q * v[0]) * 3600, (p * u[1] + q * v[1]) * 3600);
      return [x + dx, y + dy];
    },
  };
}

function ellipseRing(place, width, height) {
  const ring = [];
  for (let k = 0; k < STEPS; k++) {
    const t = (2 * Math.PI * k) / STEPS;
    ring.push(place.map((width / 2) * Math.cos(t), (height / 2) * Math.sin(t)));
  }
  return ring;
}

function boxRing(place, width, height) {
  const [a, b] = [width / 2, height / 2];
  return [place.map(-a, -b), place.map(a, -b), place.map(a, b), place.map(-a, b)];
}

// The outline of a feature in FITS pixels: { centre: [x, y], rings: [[[x, y], ...], ...],
// open: true for a line }; null when a sky feature meets an image without a celestial WCS.
export function pixelOutline(feature, wcs) {
  const props = feature.properties || {};
  const geometry = feature.geometry;
  const image = props.frame === "image";
  if (!image && !(wcs && wcs.isCelestial)) return null;
  const toPixel = (p) => (image ? [p[0], p[1]] : wcs.worldToPixel(p[0], p[1]));
  if (geometry.type === "Polygon") {
    const ring = geometry.coordinates[0].slice(0, -1).map(toPixel);
    return { centre: mean(ring), rings: [ring] };
  }
  if (geometry.type === "LineString") {
    const line = geometry.coordinates.map(toPixel);
    return { centre: mean(line), rings: [line, ...arrowheads(line, props.line)], open: true };
  }
  if (geometry.type !== "Point") return null;
  const place = placement(props, geometry.coordinates, wcs);
  const centre = [place.x, place.y];
  const pair = (values) => (Array.isArray(values) && values.length >= 2 ? values : [0, 0]);
  switch (props.shape) {
    case "circle":
      return { centre, rings: [ellipseRing(place, 2 * props.radius, 2 * props.radius)] };
    case "ellipse":
      return { centre, rings: [ellipseRing(place, props.width, props.height)] };
    case "box":
      return { centre, rings: [boxRing(place, props.width, props.height)] };
    case "annulus":
      return { centre, rings: pair(props.radii).map((r) => ellipseRing(place, 2 * r, 2 * r)) };
    case "ellipse_annulus":
      return { centre, rings: [pair(props.inner), pair(props.outer)].map(([w, h]) => ellipseRing(place, w, h)) };
    case "box_annulus":
      return { centre, rings: [pair(props.inner), pair(props.outer)].map(([w, h]) => boxRing(place, w, h)) };
    default:
      return { centre, rings: [] }; // points and text: drawn at their centre
  }
}

// ds9's ``line=a b``: an arrowhead at the line's first point when a is 1, at its last
// when b is 1, each an open V of two strokes 30 degrees off the line, a sixth of the
// line long (2 to 12 pixels).
export function arrowheads(line, flags) {
  const [first, last] = String(flags || "0 0").trim().split(/\s+/).map((f) => f === "1");
  const heads = [];
  const head = (tip, from) => {
    const dx = from[0] - tip[0];
    const dy = from[1] - tip[1];
    const length = Math.hypot(dx, dy);
    if (!length) return;
    const size = Math.min(12, Math.max(2, length / 6));
    const wing = (turn) => {
      const c = Math.cos(turn);
      const n = Math.sin(turn);
      return [tip[0] + ((dx * c - dy * n) * size) / length, tip[1] + ((dx * n + dy * c) * size) / length];
    };
    heads.push([wing(Math.PI / 6), tip, wing(-Math.PI / 6)]);
  };
  if (line.length >= 2 && first) head(line[0], line[1]);
  if (line.length >= 2 && last) head(line[line.length - 1], line[line.length - 2]);
  return heads;
}

// The CSS transform of a text label: ``base`` (its placement), then ds9's ``textangle``
// (degrees counter-clockwise from the image's x-axis; CSS turns clockwise, y down).
export function textTransform(props, base = "translate(-50%, -50%)") {
  const angle = Number(props && props.textangle);
  return Number.isFinite(angle) && angle ? `${base} rotate(${-angle}deg)` : base;
}

function mean(points) {
  const n = points.length || 1;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}

// X11 colour names (ds9's) whose CSS namesakes are other colours: ds9's "green" is
// X11's #00ff00, CSS's "green" a dark #008000.
const X11_NOT_CSS = { green: "#00ff00", gray: "#bebebe", grey: "#bebebe", maroon: "#b03060",
  purple: "#a020f0" };

// A ds9 colour as CSS: names as X11 means them, X11's #rrrrggggbbbb shortened to #rrggbb.
export function cssColour(colour, fallback) {
  if (typeof colour !== "string") return fallback;
  const named = X11_NOT_CSS[colour.toLowerCase()];
  if (named) return named;
  if (/^[A-Za-z]{1,30}$/.test(colour) || /^#([0-9A-Fa-f]{3}){1,2}$/.test(colour)) return colour;
  const long = /^#([0-9A-Fa-f]{9}|[0-9A-Fa-f]{12})$/.exec(colour);
  if (!long) return fallback;
  const digits = long[1];
  const size = digits.length / 3;
  return `#${[0, 1, 2].map((k) => digits.slice(k * size, k * size + 2)).join("")}`;
}

// The composite a feature belongs to when it is ds9's global one (composite=1): its
// members are drawn in its colour and width, whatever their own.
function globalComposite(props) {
  const composite = props && props.composite;
  return composite && typeof composite === "object" && composite.global === true ? composite : null;
}

// The colour of a feature as ds9 draws it (CSS); ``fallback`` for one that names none.
export function regionColour(props, fallback) {
  const composite = globalComposite(props);
  return cssColour(composite ? composite.color : props && props.color, fallback);
}

// The stroke of a feature as ds9 draws it: colour, width, dashes for dash=1, for
// background regions and for exclusions.
export function strokeStyle(props, fallback) {
  const composite = globalComposite(props);
  const width = composite ? composite.linewidth : props.linewidth;
  const style = { color: regionColour(props, fallback), weight: Number(width) || 1.5 };
  if (props.dash || props.include === false || props.source === false) {
    style.dashArray = typeof props.dashlist === "string" && /^[0-9 ]+$/.test(props.dashlist) ? props.dashlist : "8 3";
  }
  return style;
}

const SVG = "http://www.w3.org/2000/svg";

// A ds9 point symbol (circle, box, diamond, cross, x, arrow, boxcircle) as an SVG
// element of ``size`` px: built node by node, nothing parsed.
export function pointSymbol(symbol, size, colour, width) {
  const h = size / 2;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(size + 2 * width));
  svg.setAttribute("height", String(size + 2 * width));
  svg.setAttribute("viewBox", `${-h - width} ${-h - width} ${size + 2 * width} ${size + 2 * width}`);
  svg.setAttribute("class", `fp-point fp-point-${symbol}`);
  const add = (tag, attributes) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    node.setAttribute("stroke", colour);
    node.setAttribute("stroke-width", String(width));
    node.setAttribute("fill", "none");
    svg.append(node);
  };
  const circle = () => add("circle", { cx: 0, cy: 0, r: h });
  const box = () => add("rect", { x: -h, y: -h, width: size, height: size });
  if (symbol === "circle") circle();
  else if (symbol === "box") box();
  else if (symbol === "diamond") add("polygon", { points: `0,${-h} ${h},0 0,${h} ${-h},0` });
  else if (symbol === "cross") add("path", { d: `M${-h},0H${h}M0,${-h}V${h}` });
  else if (symbol === "x") add("path", { d: `M${-h},${-h}L${h},${h}M${-h},${h}L${h},${-h}` });
  else if (symbol === "arrow") add("path", { d: `M0,0L${-h},${h}M0,0H${-h / 2}M0,0V${h / 2}` });
  else {
    box();
    add("circle", { cx: 0, cy: 0, r: h * 0.7 });
  }
  return svg;
}

// The feature (and a title) of a shape drawn (circle: centre and edge; box: two
// corners; polygon: its vertices), FITS pixels, as the catalogs store a pixel region;
// null for one without an area.
export function drawnFeature(shape, points) {
  const properties = { shape, frame: "image" };
  const at = ([x, y]) => `(${x.toFixed(1)}, ${y.toFixed(1)})`;
  if (shape === "polygon") {
    if (points.length < 3) return null;
    return { feature: { type: "Feature", geometry: { type: "Polygon", coordinates: [[...points, points[0]]] }, properties },
      title: `Polygon of ${points.length} vertices` };
  }
  const [[x0, y0], [x1, y1]] = points;
  if (shape === "circle") {
    properties.radius = Math.hypot(x1 - x0, y1 - y0);
    if (!(properties.radius > 0)) return null;
    return { feature: { type: "Feature", geometry: { type: "Point", coordinates: [x0, y0] }, properties },
      title: `Circle at ${at([x0, y0])}, radius ${properties.radius.toFixed(2)} px` };
  }
  Object.assign(properties, { width: Math.abs(x1 - x0), height: Math.abs(y1 - y0), angle: 0 });
  if (!(properties.width > 0 && properties.height > 0)) return null;
  const centre = [(x0 + x1) / 2, (y0 + y1) / 2];
  return { feature: { type: "Feature", geometry: { type: "Point", coordinates: centre }, properties },
    title: `Box at ${at(centre)}, ${properties.width.toFixed(1)} × ${properties.height.toFixed(1)} px` };
}
