// What is under the cursor: pixel, sky coordinates (computed here), pixel values
// (asked from the server, throttled); and the "go to" box.
import { fetchValues } from "./api.js";
import { equatorialToEcliptic, equatorialToGalactic, formatDec, formatRA, parseCoordinates } from "./coords.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";

export function attachReadout(map, image, wcs, element, options = {}) {
  let pending = null;
  let sexagesimal = true;
  element.title = "Click to switch between sexagesimal and degrees";
  element.addEventListener("click", () => { sexagesimal = !sexagesimal; });

  const describe = (x, y) => {
    const parts = [`x ${x.toFixed(1)}  y ${y.toFixed(1)}`];
    if (wcs && wcs.isCelestial) {
      const [ra, dec] = wcs.pixelToWorld(x, y);
      element.dataset.ra = ra.toFixed(8);
      element.dataset.dec = dec.toFixed(8);
      const [l, b] = equatorialToGalactic(ra, dec);
      const [lambda, beta] = equatorialToEcliptic(ra, dec);
      parts.push(sexagesimal ? `α ${formatRA(ra)}  δ ${formatDec(dec)}`
        : `α ${ra.toFixed(6)}°  δ ${dec.toFixed(6)}°`);
      parts.push(`l ${l.toFixed(4)}°  b ${b.toFixed(4)}°`);
      parts.push(`λ ${lambda.toFixed(4)}°  β ${beta.toFixed(4)}°`);
    }
    const detector = detectorAt(image, x, y);
    element.dataset.detector = detector || "";
    if (detector) parts.push(`on ${detector}`);
    return parts.join("   ");
  };

  map.on("mousemove", (event) => {
    const { x, y } = latLngToFits(event.latlng, image.height);
    element.dataset.x = x.toFixed(2);
    element.dataset.y = y.toFixed(2);
    const text = describe(x, y);
    element.textContent = text;
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const values = await fetchValues(image, x, y);
      if (values) {
        const unit = image.header.BUNIT ? ` ${image.header.BUNIT}` : "";
        const shown = values.map((v) => (v === null ? "—" : v.toPrecision(6))).join(", ");
        const above = values.map((v, c) => (v === null || !image.stats[c] ? "—"
          : (v - image.stats[c].background).toPrecision(4))).join(", ");
        element.textContent = `${text}   value ${shown}${unit}  (above background ${above})`;
      }
    }, options.delay ?? 120);
  });
}

// The extension (amplifier, CCD) of a mosaic under FITS pixel (x, y), from DETSEC.
function detectorAt(image, x, y) {
  if (image.kind !== "mosaic") return null;
  const sections = image.hdus.filter((h) => h.detsec);
  const ranges = sections.map((h) => h.detsec.replace(/[[\]\s]/g, "").split(",").map((r) => r.split(":").map(Number)));
  const xmin = Math.min(...ranges.map(([rx]) => Math.min(...rx)));
  const ymin = Math.min(...ranges.map(([, ry]) => Math.min(...ry)));
  for (let i = 0; i < sections.length; i++) {
    const [[x1, x2], [y1, y2]] = ranges[i];
    const mx = x + xmin - 1;
    const my = y + ymin - 1;
    if (mx >= Math.min(x1, x2) - 0.5 && mx <= Math.max(x1, x2) + 0.5 && my >= Math.min(y1, y2) - 0.5
      && my <= Math.max(y1, y2) + 0.5) return sections[i].name || `HDU ${sections[i].index}`;
  }
  return null;
}

export function attachGoTo(map, image, wcs, input) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const target = parseCoordinates(input.value);
    let latlng = null;
    if (target && "x" in target) latlng = fitsToLatLng(target.x, target.y, image.height);
    else if (target && wcs && wcs.isCelestial) {
      const [x, y] = wcs.worldToPixel(target.ra, target.dec);
      latlng = fitsToLatLng(x, y, image.height);
    }
    input.setCustomValidity(latlng ? "" : "Coordinates not understood (RA Dec, or x,y)");
    input.reportValidity();
    if (latlng) map.setView(latlng, Math.max(map.getZoom(), image.levels - 1));
  });
}
