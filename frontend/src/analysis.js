// The analysis tools: a line profile between two clicked points, the star under a click
// (radial profile and FWHM, then the server's centroid, Gaussian and Moffat FWHM and
// aperture photometry, as a table and a CSV row), the statistics of a region clicked or
// a circle drawn, and, for a cube, the spectrum under the cursor. Mounted into a
// container (the panel's "analysis" tab):
//   attachAnalysis(map, image, wcs, state, panelTab("analysis"))
// Requests: one profile per line drawn, one small FITS cutout and one measurement per
// star clicked, one statistics request per region, and for the spectrum one values
// request per pause of the cursor (debounced), only while the spectrum is switched on
// and its tab is shown.
import L from "leaflet";
import { fetchValues } from "./api.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { element, link } from "./dom.js";
import { starTable, statisticsTable } from "./measuretables.js";
import { channelName, ProfilePlot, RadialPlot, SpectrumPlot } from "./plots.js";
import { SHAPES, ShapeDrawer } from "./regiondraw.js";
import { pixelOutline } from "./regions.js";
import { measureStarCsvUrl, measureStar as measureStarOnServer, regionStatistics } from "./regionsapi.js";
import { measureStar, parseFitsImage } from "./star.js";

const STAR_HALF = 12; // the cutout around a click: 25 x 25 pixels, more for a wide star
const SPECTRUM_DELAY = 250; // ms the cursor rests before its spectrum is asked
const MARK_COLOUR = "#ffcc00";
const MAX_COLUMNS = 6; // channels of a cube measured side by side

function button(label, title, name) {
  return element("button", { type: "button", title, name, className: "fp-tool" }, label);
}

// The FITS cutout of image pixels around (x, y) in channel c (0-based), parsed.
async function starCutout(image, x, y, half, c) {
  const x1 = Math.max(1, Math.round(x) - half);
  const y1 = Math.max(1, Math.round(y) - half);
  const x2 = Math.min(image.width, Math.round(x) + half);
  const y2 = Math.min(image.height, Math.round(y) + half);
  const response = await fetch(`${image.url}cutout.fits?x1=${x1}&y1=${y1}&x2=${x2}&y2=${y2}&channel=${c + 1}`,
    { credentials: "same-origin" });
  if (!response.ok) throw new Error(`The pixels around the star could not be read (${response.status}).`);
  const fits = parseFitsImage(await response.arrayBuffer());
  return { width: fits.width, height: fits.height, plane: fits.planes[0], x0: x1, y0: y1 };
}

export async function findStar(image, x, y, channel) {
  let star = measureStar(await starCutout(image, x, y, STAR_HALF, channel), x, y);
  if (star && star.fwhm > STAR_HALF / 2) { // a wide star: again, with room for its wings
    const half = Math.min(40, Math.ceil(2 * star.fwhm));
    star = measureStar(await starCutout(image, star.x, star.y, half, channel), star.x, star.y) || star;
  }
  return star;
}

const AREA_SHAPES = new Set(["circle", "ellipse", "box", "polygon", "annulus", "ellipse_annulus", "box_annulus"]);

// The region a layer of the layer list draws (overlays.js keeps its feature on it), with
// the other members of its composite: { catalog, ids } of the stored features, or the
// feature itself when no catalog layer holds it.
function storedRegion(viewer, feature) {
  for (const layer of (viewer && viewer.catalogs) || []) {
    const features = [];
    layer.group.eachLayer((shown) => { if (shown.feature) features.push(shown.feature); });
    if (!features.includes(feature)) continue;
    const composite = feature.properties && feature.properties.composite;
    // A composite's members with an area (its points, lines and text have none).
    const members = composite
      ? features.filter((f) => f.properties.composite && f.properties.composite.line === composite.line
        && AREA_SHAPES.has(f.properties.shape || (f.geometry.type === "Polygon" ? "polygon" : "")))
      : [feature];
    if (!members.length) members.push(feature);
    if (members.every((f) => f.id !== undefined)) return { catalog: layer.catalog.id, ids: members.map((f) => f.id) };
  }
  return { features: [feature] };
}

export function attachAnalysis(map, image, wcs, state, container) {
  const note = element("p", { className: "fp-note-text", role: "status" });
  const profileButton = button("Line profile", "Click two points on the image: the values between them", "plot-profile");
  const starButton = button("Star", "Click a star: its radial profile, FWHM and aperture flux", "plot-star");
  const regionButton = button("Region statistics",
    "Click a region, or click a circle's centre then its edge: the statistics of the pixels inside", "region-stats");
  const spectrumBox = element("input", { type: "checkbox", name: "plot-spectrum" });
  const tools = element("div", { className: "fp-row" }, profileButton, starButton, regionButton);
  if (image.channels > 1) {
    tools.append(element("label", { className: "fp-field", title: "The spectrum under the cursor, along the cube's third axis" },
      spectrumBox, element("span", {}, "Spectrum at the cursor")));
  }
  // The star's photometry radii (pixels); blank: from its FWHM (2, 3 and 5 times).
  const radius = (name, placeholder, title) => element("input", { type: "number", name, min: "0.1", max: "500",
    step: "any", placeholder, title, className: "fp-radius" });
  const radii = { aperture: radius("aperture", "2×FWHM", "Aperture radius, pixels"),
    inner: radius("inner", "3×FWHM", "Background annulus: inner radius, pixels"),
    outer: radius("outer", "5×FWHM", "Background annulus: outer radius, pixels") };
  const radiiRow = element("div", { className: "fp-row fp-radii", title: "Radii of the star's photometry, in pixels" },
    element("label", { className: "fp-field" }, element("span", {}, "Aperture"), radii.aperture),
    element("label", { className: "fp-field" }, element("span", {}, "Annulus"), radii.inner, "–", radii.outer,
      element("span", { className: "fp-unit" }, "px")));
  radiiRow.hidden = true; // shown with the star tool
  const shapeSelect = element("select", { name: "region-shape", title: "The shape to draw: its pixels are measured" },
    ...SHAPES.map((shape) => new Option(shape, shape)));
  const shapeRow = element("div", { className: "fp-row" },
    element("label", { className: "fp-field" }, element("span", {}, "Draw a"), shapeSelect));
  shapeRow.hidden = true; // shown with the statistics tool
  const group = element("fieldset", { className: "fp-group fp-plots" }, element("legend", {}, "Plots"), tools, radiiRow,
    shapeRow, note);
  const results = element("div", { className: "fp-measure-results" });
  results.hidden = true;
  container.append(group);
  group.append(results); // the numbers first, the plots under them
  const profilePlot = new ProfilePlot(group);
  const radialPlot = new RadialPlot(group);
  const spectrumPlot = image.channels > 1 ? new SpectrumPlot(group) : null;
  const channel = () => state.channel ?? 0;
  const arcsec = wcs && wcs.isCelestial ? wcs.pixelScale() : null;
  const unit = image.header && image.header.BUNIT ? String(image.header.BUNIT).trim() : "";
  const viewer = map.getContainer().fitsportal || document.getElementById("viewer")?.fitsportal;

  let mode = null;
  let start = null;
  const marks = L.layerGroup().addTo(map);
  // A shape drawn (regiondraw.js), drawn again once done, and measured.
  const drawer = new ShapeDrawer(map, image, { color: MARK_COLOUR, weight: 1.5, fill: false }, (feature, title) => {
    marks.clearLayers();
    const outline = pixelOutline(feature, null);
    for (const ring of outline.rings) {
      L.polygon(ring.map(([x, y]) => fitsToLatLng(x, y, image.height)),
        { color: MARK_COLOUR, weight: 1.5, fill: false, interactive: false }).addTo(marks);
    }
    showStatistics({ features: [feature] }, title);
  }, (text) => { note.textContent = text; });
  shapeSelect.addEventListener("change", () => drawer.setShape(shapeSelect.value));
  map.on("mousemove", (event) => { if (mode === "region") drawer.move(event.latlng); });
  map.on("dblclick", () => { if (mode === "region") drawer.dblclick(); });

  const setMode = (next) => {
    mode = mode === next ? null : next;
    start = null;
    drawer.cancel();
    for (const [b, m] of [[profileButton, "profile"], [starButton, "star"], [regionButton, "region"]]) {
      b.classList.toggle("active", mode === m);
      b.setAttribute("aria-pressed", String(mode === m));
    }
    map.getContainer().classList.toggle("fp-picking", mode !== null);
    radiiRow.hidden = mode !== "star";
    shapeRow.hidden = mode !== "region";
    note.textContent = mode === "profile" ? "Click the line's first point on the image."
      : mode === "star" ? "Click a star on the image."
        : mode === "region" ? "Click a region, or draw a shape on the image." : "";
  };
  profileButton.addEventListener("click", () => setMode("profile"));
  starButton.addEventListener("click", () => setMode("star"));
  regionButton.addEventListener("click", () => setMode("region"));

  // What was measured last: a caption, a table and, for a star, its CSV row's link.
  const showResult = (title, table, download = null) => {
    const caption = element("p", { className: "fp-measure-title" }, title);
    results.replaceChildren(caption, table, ...(download ? [download] : []));
    results.hidden = false;
  };

  const showProfile = async (a, b) => {
    const url = `${image.url}profile/?x1=${Math.round(a.x)}&y1=${Math.round(a.y)}&x2=${Math.round(b.x)}&y2=${Math.round(b.y)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      note.textContent = `No profile: the server answered ${response.status}.`;
      return;
    }
    profilePlot.show((await response.json()).profile, image, wcs);
    note.textContent = "";
  };

  const markStar = (star) => {
    const at = fitsToLatLng(star.x, star.y, image.height);
    const ring = { color: MARK_COLOUR, weight: 1.5, fill: false, interactive: false };
    L.circle(at, { ...ring, radius: star.aperture }).addTo(marks);
    for (const radius of [star.annulus_inner, star.annulus_outer]) {
      L.circle(at, { ...ring, radius, dashArray: "4 3", weight: 1 }).addTo(marks);
    }
  };

  // The server's measurement of the star at (x, y): table, aperture and annulus drawn,
  // and a link to the same measurement as a CSV row.
  const photometry = async (x, y) => {
    const options = { channel: channel() + 1 };
    if (radii.aperture.value) options.aperture = radii.aperture.value;
    if (radii.inner.value || radii.outer.value) Object.assign(options, { inner: radii.inner.value, outer: radii.outer.value });
    const star = await measureStarOnServer(image, x, y, options);
    marks.clearLayers();
    markStar(star);
    const download = link(measureStarCsvUrl(image, x, y, options), "Download this measurement (CSV)");
    download.download = `star-${image.id}-${star.x.toFixed(1)}-${star.y.toFixed(1)}.csv`;
    download.className = "fp-measure-csv";
    showResult(`Star at (${star.x.toFixed(2)}, ${star.y.toFixed(2)}), ${channelName(image, star.channel - 1)}`,
      starTable(star, arcsec, unit), download);
    return star;
  };

  const showStar = async (point) => {
    note.textContent = "Measuring…";
    try {
      const star = await findStar(image, point.x, point.y, channel());
      marks.clearLayers();
      if (!star) {
        note.textContent = "No star stands out there: click nearer its centre.";
        radialPlot.hide();
        return;
      }
      L.circle(fitsToLatLng(star.x, star.y, image.height), { radius: star.fwhm / 2, color: MARK_COLOUR, weight: 1.5,
        fill: false, interactive: false }).addTo(marks);
      radialPlot.show(star, image, wcs);
      await photometry(star.x, star.y);
      note.textContent = "";
    } catch (error) {
      note.textContent = error.message;
    }
  };

  // Every channel side by side, up to a table's width; else the channel shown.
  const measuredChannels = () => (image.channels <= MAX_COLUMNS
    ? Array.from({ length: image.channels }, (_, c) => c + 1) : [channel() + 1]);

  // Statistics of regions ({ catalog, ids } or { features }), titled.
  const showStatistics = async (regions, title) => {
    note.textContent = "Measuring…";
    try {
      const answer = await regionStatistics(image, regions, { channel: measuredChannels() });
      showResult(title, statisticsTable(answer, image));
      note.textContent = "";
      return answer;
    } catch (error) {
      note.textContent = `No statistics: ${error.message}`;
      return null;
    }
  };

  // A click on a region of the layer list: the layer is clicked before the map, and
  // measured rather than shown in its popup (opened before or after this handler).
  let regionClick = null;
  map.on("popupopen", ({ popup }) => { if (mode === "region") map.closePopup(popup); });
  map.on("layeradd", ({ layer }) => {
    if (!layer.feature || layer.getLayers) return;
    layer.on("click", (event) => {
      if (mode !== "region") return;
      regionClick = event.originalEvent;
      map.closePopup();
      marks.clearLayers();
      const props = layer.feature.properties || {};
      const name = props.text || (props.tag && props.tag[0]) || props.name || "";
      const what = props.composite ? "composite" : props.shape || layer.feature.geometry.type.toLowerCase();
      showStatistics(storedRegion(viewer, layer.feature), `Region: ${what}${name ? ` “${name}”` : ""}`);
    });
  });

  map.on("click", (event) => {
    if (!mode) return;
    const point = latLngToFits(event.latlng, image.height);
    if (mode === "star") {
      showStar(point);
      return;
    }
    if (mode === "region") {
      if (event.originalEvent !== regionClick) drawer.click(event.latlng);
      return;
    }
    if (!start) {
      start = { point, latlng: event.latlng };
      note.textContent = "Click the line's last point.";
      return;
    }
    marks.clearLayers();
    L.polyline([start.latlng, event.latlng], { color: MARK_COLOUR, weight: 2, interactive: false }).addTo(marks);
    const a = start.point;
    start = null;
    note.textContent = "Click the first point of another line, or Line profile to stop.";
    showProfile(a, point);
  });

  // The spectrum follows the cursor, one request per pause, while its tab is shown.
  let pending = null;
  let asked = 0;
  const visible = () => !container.closest("[hidden]") && container.offsetParent !== null;
  map.on("mousemove", (event) => {
    if (!spectrumPlot || !spectrumBox.checked || !visible()) return;
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const { x, y } = latLngToFits(event.latlng, image.height);
      if (x < 0.5 || y < 0.5 || x > image.width + 0.5 || y > image.height + 0.5) return;
      const ticket = ++asked;
      const values = await fetchValues(image, x, y);
      if (values && ticket === asked) spectrumPlot.show(values, image, x, y);
    }, SPECTRUM_DELAY);
  });

  return { profilePlot, radialPlot, spectrumPlot, setMode, showProfile, showStar, showStatistics, results };
}
