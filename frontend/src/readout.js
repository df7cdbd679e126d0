// What is under the cursor: pixel, sky coordinates (computed here), pixel values
// (asked from the server, throttled); and the "go to" box.
import { fetchValues } from "./api.js";
import { equatorialToGalactic, formatDec, formatRA, parseCoordinates } from "./coords.js";
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
      parts.push(sexagesimal ? `α ${formatRA(ra)}  δ ${formatDec(dec)}`
        : `α ${ra.toFixed(6)}°  δ ${dec.toFixed(6)}°`);
      parts.push(`l ${l.toFixed(4)}°  b ${b.toFixed(4)}°`);
    }
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
        element.textContent = `${text}   value ${shown}${unit}`;
      }
    }, options.delay ?? 120);
  });
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
