// Measurements the analysis tab asks of the server, and region files added from the
// viewer. Every answer is data; the caller shows it with dom.js (never as HTML).

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function answer(response) {
  let body = {};
  try { body = await response.json(); } catch { body = {}; }
  if (!response.ok) throw new Error(body.detail || `refused (${response.status})`);
  return body;
}

// Statistics of the image's pixels inside regions: ``regions`` is either
// { catalog: id, ids: [feature ids] } (stored regions) or { features: [GeoJSON] }
// (shapes drawn: FITS pixels with properties.frame = "image", or ICRS degrees), or both.
// Options: channel (1-based list), mode ("exact", "center", "subpixels").
// Resolves to { unit, surface_brightness_unit, channels: [{ pixels, sum, mean, median,
// sigma, min, max, area_pixels, area_arcsec2, surface_brightness, centroid, centroid_sky }] }.
export async function regionStatistics(image, regions, options = {}) {
  const response = await fetch("/api/catalogs/statistics/", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({ image: image.id, ...regions, ...options }),
  });
  return answer(response);
}

function measureQuery(image, xFits, yFits, options) {
  const query = new URLSearchParams({ image: String(image.id), x: xFits.toFixed(2), y: yFits.toFixed(2) });
  for (const key of ["channel", "aperture", "inner", "outer"]) {
    if (options[key] !== undefined) query.set(key, String(options[key]));
  }
  return query;
}

// The star nearest FITS pixel (xFits, yFits): { x, y, ra, dec, fwhm_gaussian,
// fwhm_moffat, background, aperture, flux, ... }. Options: channel, aperture, inner, outer
// (radii in pixels).
export async function measureStar(image, xFits, yFits, options = {}) {
  const response = await fetch(`/api/catalogs/measure/?${measureQuery(image, xFits, yFits, options)}`,
    { credentials: "same-origin" });
  return answer(response);
}

// The same measurement as a CSV row (header and row), to download.
export function measureStarCsvUrl(image, xFits, yFits, options = {}) {
  const query = measureQuery(image, xFits, yFits, options);
  query.set("as", "csv");
  return `/api/catalogs/measure/?${query}`;
}

// Uploads a region or catalog file linked to this image (pixel-frame regions need it);
// resolves to the catalog once its import has ended (ready or failed).
export async function addRegionFile(image, file, onProgress = () => {}) {
  const data = new FormData();
  data.append("collection", image.collection);
  data.append("name", file.name);
  data.append("images", String(image.id));
  data.append("file", file);
  const response = await fetch(`/api/catalogs/?collection=${encodeURIComponent(image.collection)}`, {
    method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }, body: data,
  });
  let catalog = await answer(response);
  while (catalog.state === "pending" || catalog.state === "importing") {
    onProgress(catalog);
    await new Promise((resolve) => setTimeout(resolve, 500));
    catalog = await answer(await fetch(`/api/catalogs/${Number(catalog.id)}/`, { credentials: "same-origin" }));
  }
  return catalog;
}
