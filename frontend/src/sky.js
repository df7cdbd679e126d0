// Sky context over the map: the labelled coordinate grid (grid.js), the N/E compass
// (compass.js) and the colour bar with the cuts (colorbar.js); the grid's switch goes
// into a container (the panel's "overlays" tab):
//   attachSky(map, image, wcs, state, panelTab("overlays"))
// A header whose sky coordinates cannot be used gets no grid or compass, and the
// switch says why (wcs.problem).
import { ColourBar } from "./colorbar.js";
import { Compass } from "./compass.js";
import { element } from "./dom.js";
import { CoordinateGrid, gridFrames } from "./grid.js";

const FRAME_NAMES = { equatorial: "RA / Dec", galactic: "galactic l / b", ecliptic: "ecliptic λ / β",
  supergalactic: "supergalactic", helioecliptic: "helioecliptic" };

export function attachSky(map, image, wcs, state, container) {
  const colourBar = new ColourBar(image, state).addTo(map);
  const attached = { colourBar, grid: null, compass: null };
  const group = element("fieldset", { className: "fp-group fp-sky" }, element("legend", {}, "Sky"));
  if (container) container.append(group);
  if (!wcs || !wcs.isCelestial) {
    group.append(element("p", { className: "fp-note-text", role: "note" },
      (wcs && wcs.problem) || "This image has no sky coordinates: no grid or compass."));
    return attached;
  }
  attached.compass = new Compass(wcs, image).addTo(map);
  const native = wcs.frame || (wcs.global && wcs.global.frame) || "equatorial";
  const frames = gridFrames(native);
  const select = element("select", { name: "grid" },
    new Option("off", ""), ...frames.map((f) => new Option(FRAME_NAMES[f] || f, f)));
  const grid = new CoordinateGrid(wcs, image, { frame: native });
  attached.grid = grid;
  select.addEventListener("change", () => {
    if (!select.value) map.removeLayer(grid);
    else {
      grid.setFrame(select.value);
      if (!map.hasLayer(grid)) grid.addTo(map);
    }
  });
  const compassBox = element("input", { type: "checkbox", name: "compass", checked: true });
  compassBox.addEventListener("change", () => {
    if (compassBox.checked) attached.compass.addTo(map);
    else attached.compass.remove();
  });
  const barBox = element("input", { type: "checkbox", name: "colorbar", checked: true });
  barBox.addEventListener("change", () => {
    if (barBox.checked) colourBar.addTo(map);
    else colourBar.remove();
  });
  group.append(element("div", { className: "fp-row" },
    element("label", { className: "fp-field", title: "A labelled grid of sky coordinates (g)" },
      element("span", {}, "Grid"), select),
    element("label", { className: "fp-field" }, compassBox, element("span", {}, "Compass")),
    element("label", { className: "fp-field" }, barBox, element("span", {}, "Colour bar"))));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "g" || event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey
      || event.altKey) return;
    select.value = select.value ? "" : native;
    select.dispatchEvent(new Event("change"));
  });
  attached.gridSelect = select;
  return attached;
}
