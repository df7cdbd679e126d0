// The analysis tools: a line profile between two clicked points, the star under a click
// (radial profile and FWHM) and, for a cube, the spectrum under the cursor. Mounted
// into a container (the panel's "analysis" tab):
//   attachAnalysis(map, image, wcs, state, panelTab("analysis"))
// Requests: one profile per line drawn, one small FITS cutout per star clicked, and for
// the spectrum one values request per pause of the cursor (debounced), only while the
// spectrum is switched on and its tab is shown.
import L from "leaflet";
import { fetchValues } from "./api.js";
import { fitsToLatLng, latLngToFits } from "./crs.js";
import { element } from "./dom.js";
import { ProfilePlot, RadialPlot, SpectrumPlot } from "./plots.js";
import { measureStar, parseFitsImage } from "./star.js";

const STAR_HALF = 12; // the cutout around a click: 25 x 25 pixels, more for a wide star
const SPECTRUM_DELAY = 250; // ms the cursor rests before its spectrum is asked

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

export function attachAnalysis(map, image, wcs, state, container) {
  const note = element("p", { className: "fp-note-text", role: "status" });
  const profileButton = button("Line profile", "Click two points on the image: the values between them", "plot-profile");
  const starButton = button("Star", "Click a star: its radial profile and FWHM", "plot-star");
  const spectrumBox = element("input", { type: "checkbox", name: "plot-spectrum" });
  const tools = element("div", { className: "fp-row" }, profileButton, starButton);
  if (image.channels > 1) {
    tools.append(element("label", { className: "fp-field", title: "The spectrum under the cursor, along the cube's third axis" },
      spectrumBox, element("span", {}, "Spectrum at the cursor")));
  }
  const group = element("fieldset", { className: "fp-group fp-plots" }, element("legend", {}, "Plots"), tools, note);
  container.append(group);
  const profilePlot = new ProfilePlot(group);
  const radialPlot = new RadialPlot(group);
  const spectrumPlot = image.channels > 1 ? new SpectrumPlot(group) : null;
  const channel = () => state.channel ?? 0;

  let mode = null;
  let start = null;
  const marks = L.layerGroup().addTo(map);
  const setMode = (next) => {
    mode = mode === next ? null : next;
    start = null;
    for (const [b, m] of [[profileButton, "profile"], [starButton, "star"]]) {
      b.classList.toggle("active", mode === m);
      b.setAttribute("aria-pressed", String(mode === m));
    }
    map.getContainer().classList.toggle("fp-picking", mode !== null);
    note.textContent = mode === "profile" ? "Click the line's first point on the image."
      : mode === "star" ? "Click a star on the image." : "";
  };
  profileButton.addEventListener("click", () => setMode("profile"));
  starButton.addEventListener("click", () => setMode("star"));

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
      L.circle(fitsToLatLng(star.x, star.y, image.height), { radius: star.fwhm / 2, color: "#ffcc00", weight: 1.5,
        fill: false, interactive: false }).addTo(marks);
      radialPlot.show(star, image, wcs);
      note.textContent = "";
    } catch (error) {
      note.textContent = error.message;
    }
  };

  map.on("click", (event) => {
    if (!mode) return;
    const point = latLngToFits(event.latlng, image.height);
    if (mode === "star") {
      showStar(point);
      return;
    }
    if (!start) {
      start = { point, latlng: event.latlng };
      note.textContent = "Click the line's last point.";
      return;
    }
    marks.clearLayers();
    L.polyline([start.latlng, event.latlng], { color: "#ffcc00", weight: 2, interactive: false }).addTo(marks);
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

  return { profilePlot, radialPlot, spectrumPlot, setMode, showProfile, showStar };
}
