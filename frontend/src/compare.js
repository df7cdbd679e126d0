// The comparison page: two or more images side by side, or blinked in one box, their
// views locked on the sky. Every map shows the same sky position at its centre and the
// same angular scale (arcseconds per screen pixel), whatever each image's pixel scale;
// Leaflet does not rotate, so each image keeps its own orientation, which its compass
// and its label say. Cuts may be locked: the same preset computed on each image, or the
// same values applied to each.
//
// The URL shares it: the query names the images, the mode, the blink rate and the cuts
// (?images=1,2&mode=blink&rate=1&cuts=same&min=..&max=..), the hash the view
// (#ra=..&dec=..&scale=.. in degrees and arcseconds per screen pixel).
import { fetchImage } from "./api.js";
import { Compass, compassDirections } from "./compass.js";
import { latLngToFits } from "./crs.js";
import { element } from "./dom.js";
import { FitControl } from "./navigation.js";
import { cutPresets, initialState } from "./renderstate.js";
import { ScaleBar } from "./scalebar.js";
import { createViewer, setSkyView, skyCoordinates, skyView } from "./viewer.js";

const UNAVAILABLE = "is not available: it does not exist, or you may not see it.";

// Screen angle (degrees clockwise from up) of north, and whether east lies clockwise
// of it (a mirrored sky), at the centre of a viewer's map.
function orientation(viewer) {
  const { x, y } = latLngToFits(viewer.map.getCenter(), viewer.image.height);
  const directions = compassDirections(viewer.wcs, x, y);
  if (!directions) return null;
  const angle = ([dx, dy]) => (((Math.atan2(dx, -dy) * 180) / Math.PI) + 360) % 360;
  const north = angle(directions.north);
  const turn = (angle(directions.east) - north + 360) % 360;
  return { north, mirrored: turn < 180 };
}

// Whether two sky views differ by less than a tenth of a screen pixel.
function sameView(a, b) {
  if (!a || !b || Math.abs(a.scale / b.scale - 1) > 1e-4) return false;
  const dra = (((a.ra - b.ra + 540) % 360) - 180) * Math.cos((b.dec * Math.PI) / 180);
  return Math.hypot(dra, a.dec - b.dec) * 3600 < 0.1 * b.scale;
}

function formatScale(arcsec) {
  if (arcsec >= 3600) return `${(arcsec / 3600).toPrecision(3)}°/px`;
  if (arcsec >= 60) return `${(arcsec / 60).toPrecision(3)}′/px`;
  return `${arcsec.toPrecision(3)}″/px`;
}

// The maps' boxes on whole screen pixels (a box that starts between pixels has its
// tiles drawn with faint seams): the grid's tracks sized in whole pixels, the few left
// over given to the first ones. Side by side, the cells are columns (rows on a phone);
// blinking, one box.
function wholePixelTracks(grid, count) {
  grid.style.gridTemplateColumns = "";
  grid.style.gridTemplateRows = "";
  grid.style.gridAutoColumns = "";
  grid.style.gridAutoRows = "";
  const cells = [...grid.children].filter((cell) => cell.classList.contains("fp-compare-cell"));
  if (count < 2 || cells.length < 2 || cells[0].offsetTop === cells[1].offsetTop && cells[0].offsetLeft === cells[1].offsetLeft) return;
  const across = cells[0].offsetTop === cells[1].offsetTop;
  const gap = parseFloat(getComputedStyle(grid)[across ? "columnGap" : "rowGap"]) || 0;
  const total = (across ? grid.clientWidth : grid.clientHeight) - gap * (cells.length - 1);
  const each = Math.floor(total / cells.length);
  const extra = Math.round(total - each * cells.length);
  const tracks = cells.map((_, k) => `${each + (k < extra ? 1 : 0)}px`).join(" ");
  if (across) grid.style.gridTemplateColumns = tracks;
  else grid.style.gridTemplateRows = tracks;
}

// Loads one cell's image and builds its map, or says why it cannot.
async function openCell(cell) {
  const box = cell.querySelector(".fp-compare-map");
  const note = cell.querySelector(".fp-compare-note");
  let image;
  try {
    image = await fetchImage(cell.dataset.api);
  } catch {
    box.textContent = `Image ${cell.dataset.imageId} ${UNAVAILABLE}`;
    return null;
  }
  if (image.state === "failed" && !image.default_cuts.length) {
    box.textContent = `This image cannot be shown: ${image.state_reason}`;
    return null;
  }
  const viewer = createViewer(box, image, { zoomSnap: 0, options: { zoomAnimation: false } });
  viewer.cell = cell;
  viewer.note = note;
  viewer.wcs = await skyCoordinates(image);
  box.append(element("div", { className: "fp-reticle", title: "The centre: the same sky position in every image" }));
  if (viewer.wcs.isCelestial) {
    new Compass(viewer.wcs, image).addTo(viewer.map);
    new ScaleBar(viewer.wcs.pixelScale(), image.levels - 1).addTo(viewer.map);
  }
  return viewer;
}

function start(root) {
  const cells = [...root.querySelectorAll(".fp-compare-cell")];
  const grid = document.getElementById("compare-maps");
  const bar = document.getElementById("compare-bar");
  const field = (name) => bar.querySelector(`[name="${name}"]`);
  const query = new URLSearchParams(window.location.search);
  const settings = {
    mode: root.dataset.mode,
    rate: Number(root.dataset.rate) || 1,
    cuts: query.get("cuts") || "",
    min: Number(query.get("min")),
    max: Number(query.get("max")),
  };
  let viewers = [];
  let reference = null; // the first image with sky coordinates: its fit is the common one

  // The URL: setup in the query, view in the hash; the link field shows it.
  let written = "";
  const writeUrl = () => {
    const params = new URLSearchParams();
    params.set("images", root.dataset.images);
    params.set("mode", settings.mode);
    params.set("rate", String(settings.rate));
    if (settings.cuts) params.set("cuts", settings.cuts);
    if (settings.cuts === "same") {
      params.set("min", String(settings.min));
      params.set("max", String(settings.max));
    }
    const view = reference && skyView(reference);
    const hash = new URLSearchParams();
    if (view) {
      hash.set("ra", view.ra.toFixed(7));
      hash.set("dec", view.dec.toFixed(7));
      hash.set("scale", view.scale.toPrecision(6));
    }
    written = hash.toString() ? `#${hash}` : "";
    window.history.replaceState(null, "", `${window.location.pathname}?${params}${written}`);
    const link = field("compare-link");
    if (link) link.value = window.location.href;
  };

  // Linked views: a move of any map moves the others to the same sky view, the one
  // `wanted` (a map at the end of its zoom range says it cannot follow).
  let syncing = false;
  let wanted = null;
  const notes = () => {
    const base = reference && orientation(reference);
    for (const viewer of viewers) {
      const parts = [];
      if (!viewer.wcs.isCelestial) parts.push("no sky coordinates: not linked");
      else {
        parts.push(formatScale(viewer.wcs.pixelScale()));
        const own = orientation(viewer);
        if (own) {
          parts.push(`north ${Math.round(own.north)}° from up`);
          if (base && viewer !== reference) {
            const turn = ((own.north - base.north + 540) % 360) - 180;
            if (Math.abs(turn) >= 1) {
              parts.push(`turned ${Math.abs(Math.round(turn))}° ${turn > 0 ? "clockwise" : "anticlockwise"} from the first`);
            }
            if (own.mirrored !== base.mirrored) parts.push("mirrored");
          }
        }
        const got = skyView(viewer);
        if (wanted && got && Math.abs(got.scale / wanted.scale - 1) > 0.01) parts.push("cannot zoom to this scale");
      }
      viewer.note.textContent = parts.join(" · ");
      viewer.note.title = viewer.note.textContent;
    }
  };
  const follow = (source) => {
    if (syncing || !source.wcs || !source.wcs.isCelestial) return;
    const view = skyView(source);
    if (!view) return;
    wanted = view;
    syncing = true;
    try {
      for (const viewer of viewers) {
        if (viewer === source || !viewer.wcs.isCelestial || sameView(skyView(viewer), view)) continue;
        setSkyView(viewer, view);
      }
    } finally {
      syncing = false;
    }
  };
  const applyHash = (hash) => {
    const params = new URLSearchParams(hash.slice(1));
    const view = ["ra", "dec", "scale"].map((name) => Number(params.get(name)));
    const [ra, dec, scale] = view;
    if (reference && params.has("ra") && view.every(Number.isFinite) && scale > 0 && setSkyView(reference, { ra, dec, scale })) {
      follow(reference);
    } else if (reference) {
      reference.fit();
      follow(reference);
    }
    notes();
  };

  // Cuts: each image's own, one preset computed on each, or the same values for all.
  const cutsSelect = field("cuts");
  const values = bar.querySelector(".fp-compare-values");
  const applyCuts = () => {
    for (const viewer of viewers) {
      const { image, state } = viewer;
      const preset = cutPresets(image)[settings.cuts];
      if (settings.cuts === "same") state.cuts = image.default_cuts.map(() => [settings.min, settings.max]);
      else if (preset) state.cuts = preset.map(([lo, hi]) => [lo, hi]);
      else state.cuts = initialState(image).cuts;
      viewer.rerender();
    }
    values.hidden = settings.cuts !== "same";
    writeUrl();
  };
  const fillCuts = () => {
    const presets = viewers.map((viewer) => Object.keys(cutPresets(viewer.image)));
    const shared = (presets[0] || []).filter((name) => presets.every((names) => names.includes(name)));
    for (const name of shared) cutsSelect.append(element("option", { value: name }, `${name}, each image`));
    cutsSelect.append(element("option", { value: "same" }, "the same values"));
    if (![...cutsSelect.options].some((option) => option.value === settings.cuts)) settings.cuts = "";
    cutsSelect.value = settings.cuts;
    const first = viewers[0] && viewers[0].image.default_cuts[0];
    if (!Number.isFinite(settings.min) || !Number.isFinite(settings.max) || !query.has("min")) {
      [settings.min, settings.max] = first || [0, 1];
    }
    field("min").value = settings.min;
    field("max").value = settings.max;
    cutsSelect.addEventListener("change", () => { settings.cuts = cutsSelect.value; applyCuts(); });
    for (const name of ["min", "max"]) {
      field(name).addEventListener("change", () => {
        const value = Number(field(name).value);
        if (field(name).value.trim() === "" || !Number.isFinite(value)) return;
        settings[name] = value;
        applyCuts();
      });
    }
    if (settings.cuts) applyCuts();
  };

  // Blink: one image at a time in the same box, the next every 1/rate seconds.
  let shown = 0;
  let timer = null;
  let paused = false;
  const show = (index) => {
    shown = viewers.length ? (index + viewers.length) % viewers.length : 0;
    viewers.forEach((viewer, k) => { viewer.cell.dataset.shown = String(k === shown); });
    root.dataset.shown = String(shown);
  };
  const schedule = () => {
    window.clearInterval(timer);
    timer = null;
    if (settings.mode === "blink" && !paused && viewers.length > 1) {
      timer = window.setInterval(() => show(shown + 1), 1000 / settings.rate);
    }
  };
  const setMode = (mode) => {
    settings.mode = mode;
    root.dataset.mode = mode;
    for (const button of bar.querySelectorAll("[name=mode]")) button.setAttribute("aria-pressed", String(button.value === mode));
    show(shown);
    schedule();
    writeUrl();
    wholePixelTracks(grid, mode === "side" ? cells.length : 1);
  };
  const pause = (value) => {
    paused = value;
    field("pause").setAttribute("aria-pressed", String(paused));
    field("pause").textContent = paused ? "Play" : "Pause";
    schedule();
  };
  for (const button of bar.querySelectorAll("[name=mode]")) button.addEventListener("click", () => setMode(button.value));
  field("rate").addEventListener("change", () => { settings.rate = Number(field("rate").value) || 1; schedule(); writeUrl(); });
  field("pause").addEventListener("click", () => pause(!paused));
  field("next").addEventListener("click", () => { pause(true); show(shown + 1); });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea, button")) return;
    if (event.key === "b") setMode(settings.mode === "blink" ? "side" : "blink");
    else if (event.key === "n" && settings.mode === "blink") { pause(true); show(shown + 1); }
    else if (event.key === " " && settings.mode === "blink") { event.preventDefault(); pause(!paused); }
    else if (event.key === "0" && reference) { reference.fit(); follow(reference); }
  });
  // Taking an image out keeps the view and the cuts.
  for (const remove of root.querySelectorAll(".fp-compare-remove")) {
    remove.addEventListener("click", (event) => {
      event.preventDefault();
      const params = new URLSearchParams(window.location.search);
      params.set("images", new URL(remove.href).searchParams.get("images"));
      window.location.assign(`${window.location.pathname}?${params}${window.location.hash}`);
    });
  }
  // "Add" keeps the view: the hash goes along.
  const add = bar.querySelector(".fp-compare-add");
  if (add) {
    add.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams(window.location.search);
      const ids = [...root.dataset.images.split(",").filter(Boolean), add.querySelector("[name=add]").value];
      params.set("images", ids.join(","));
      window.location.assign(`${window.location.pathname}?${params}${window.location.hash}`);
    });
  }

  Promise.all(cells.map(openCell)).then((opened) => {
    viewers = opened.filter(Boolean);
    reference = viewers.find((viewer) => viewer.wcs.isCelestial) || null;
    for (const viewer of viewers) {
      new FitControl(() => { viewer.fit(); follow(viewer); notes(); }).addTo(viewer.map);
      viewer.map.on("move", () => follow(viewer));
      viewer.map.on("moveend", () => { if (!syncing) { notes(); writeUrl(); } });
      // A fitted map that follows its box (the window resized, the mode changed) takes the others along.
      viewer.map.on("resize", () => { if (viewer.isFitted()) follow(viewer); });
    }
    const opening = window.location.hash; // before the cuts rewrite the URL
    fillCuts();
    applyHash(opening);
    setMode(settings.mode);
    window.addEventListener("hashchange", () => { if (window.location.hash !== written) applyHash(window.location.hash); });
    new ResizeObserver(() => wholePixelTracks(grid, settings.mode === "side" ? cells.length : 1)).observe(grid);
    root.dataset.ready = "true";
  });
}

const root = document.getElementById("compare");
if (root && root.querySelector(".fp-compare-cell")) start(root);
else if (root) root.dataset.ready = "true";
