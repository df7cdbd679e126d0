// The rendering controls, in the panel's "image" tab (cuts, stretch, gamma, contrast)
// and "colour" tab (channel or colour mode, colormap, colour mix, playing a cube).
// Every control is labelled; numbers show significant digits, cuts with BUNIT.
import { element } from "./dom.js";
import { formatNumber } from "./format.js";
import { CutsHistogram } from "./histogram.js";
import { panelTab } from "./panel.js";
import { cutPresets, initialState } from "./renderstate.js";

export { initialState };

// The choices of a declared parameter (the server's), else these.
const COLORMAPS = ["grey", "jet", "cold", "cool", "hot", "viridis", "magma"];
const STRETCHES = ["linear", "sqrt", "log", "asinh"];
const PRESET_LABELS = { zscale: "zscale", minmax: "min/max", "99.5": "99.5 %", 99: "99 %", 98: "98 %", 95: "95 %",
  visiomatic: "VisiOmatic" };

function choices(image, name, fallback) {
  const declared = (image.render_parameters || []).find((p) => p.name === name);
  return declared && declared.enum ? declared.enum : fallback;
}

function field(label, input, unit = "", title = "") {
  const made = element("label", { className: "fp-field", title }, element("span", {}, label), input);
  if (unit) made.append(element("span", { className: "fp-unit" }, unit));
  return made;
}

function group(legend, ...children) {
  return element("fieldset", { className: "fp-group" }, element("legend", {}, legend), ...children);
}

function row(...children) {
  return element("div", { className: "fp-row" }, ...children);
}

// Channel names come from FITS headers: options are built as text.
function select(name, options, value) {
  return element("select", { name }, ...options.map(([optionValue, text]) =>
    new Option(text, optionValue, false, String(optionValue) === String(value))));
}

function numberInput(name, value, step, title = "") {
  return element("input", { type: "number", name, step, value, title });
}

// A cut shown rounded; what the user did not edit keeps its exact value (so the
// server's default cuts stay defaults, and tile URLs short).
function cutInput(name, value) {
  const input = numberInput(name, formatNumber(value), "any");
  input.dataset.shown = input.value;
  return input;
}

function showCut(input, value) {
  input.value = formatNumber(value);
  input.dataset.shown = input.value;
}

function readCut(input, exact) {
  return input.value === input.dataset.shown ? exact : Number(input.value);
}

export function channelLabel(image, c) {
  const name = image.channel_names && image.channel_names[c];
  return name ? `${c + 1}: ${name}` : `channel ${c + 1}`;
}

// Builds (or rebuilds, after a reset or a pasted permalink) the controls of ``state``
// into the "image" and "colour" tabs; ``onChange`` is called after each change.
export function buildControls(image, state, onChange) {
  for (const old of document.querySelectorAll("form.fp-controls")) old.remove();
  const unit = image.header && image.header.BUNIT ? String(image.header.BUNIT) : "";
  const imageForm = element("form", { className: "fp-controls", name: "image" });
  const colourForm = element("form", { className: "fp-controls", name: "colour" });
  for (const form of [imageForm, colourForm]) form.addEventListener("submit", (event) => event.preventDefault());

  // A one-channel image has one mode, mono on channel 1 (never null, the colour mode).
  const channels = [image.channels > 1 ? ["", "colour composite"] : [0, channelLabel(image, 0)]];
  if (image.channels > 1) image.channel_names.forEach((_, c) => channels.push([c, channelLabel(image, c)]));
  const channel = select("channel", channels, state.channel ?? "");
  const colormap = select("colormap", choices(image, "colormap", COLORMAPS).map((n) => [n, n]), state.colormap);
  const stretch = select("stretch", choices(image, "stretch", STRETCHES).map((n) => [n, n]), state.stretch);
  let shown = state.channel ?? 0;
  const lo = cutInput("lo", state.cuts[shown][0]);
  const hi = cutInput("hi", state.cuts[shown][1]);
  const cutsOf = element("span", { className: "fp-note-text" });
  const describeCuts = () => {
    cutsOf.textContent = image.channels > 1 ? `cuts of ${channelLabel(image, shown)}` : "";
  };
  describeCuts();
  const gamma = numberInput("gamma", state.gamma, "0.1", "Display gamma (2.2: a linear response on a usual screen)");
  const contrast = numberInput("contrast", state.contrast, "0.1", "Contrast factor (1: none)");
  const brightness = numberInput("brightness", state.brightness, "1", "Brightness offset (0: none)");
  const quality = numberInput("quality", state.quality, "5", "JPEG quality of the tiles (1–100)");
  const invert = element("input", { type: "checkbox", name: "invert", checked: state.invert });
  const reset = element("button", { type: "button", name: "reset", title: "Back to the image's default display" },
    "Reset");
  const presets = element("div", { className: "fp-presets", role: "group", ariaLabel: "Cut presets" });
  // In the order the server declares them (zscale first), not the object's key order.
  const available = cutPresets(image);
  const order = choices(image, "cuts", []).filter((name) => name in available);
  const names = [...order, ...Object.keys(available).filter((name) => !order.includes(name))];
  const presetButtons = names.map((name) => [name, available[name]]).map(([name, cuts]) => {
    const made = element("button", { type: "button", name: `preset-${name}`,
      title: `Cuts of every channel: ${PRESET_LABELS[name] || name} (from the image's statistics)` },
    PRESET_LABELS[name] || name);
    made.addEventListener("click", () => {
      cuts.forEach(([a, b], c) => { if (state.cuts[c]) state.cuts[c] = [a, b]; });
      showCut(lo, state.cuts[shown][0]);
      showCut(hi, state.cuts[shown][1]);
      update(true);
    });
    made.dataset.cuts = JSON.stringify(cuts);
    return made;
  });
  presets.append(...presetButtons);
  const markPreset = () => {
    for (const made of presetButtons) {
      const cuts = JSON.parse(made.dataset.cuts);
      made.setAttribute("aria-pressed", String(cuts.every(([a, b], c) => !state.cuts[c]
        || (state.cuts[c][0] === a && state.cuts[c][1] === b))));
    }
  };
  const histogramBox = element("div", { className: "fp-histogram-box" });

  imageForm.append(
    group("Cuts", presets, row(field("Min", lo, unit), field("Max", hi, unit)), cutsOf, histogramBox),
    group("Stretch",
      row(field("Stretch", stretch), field("Gamma", gamma)),
      row(field("Contrast", contrast), field("Brightness", brightness)),
      row(field("Invert", invert, "", "Invert the grey levels (i)"))),
    row(field("Quality", quality, "", "JPEG quality"), reset),
  );
  const animation = image.channels > 1 ? animate(image, state, channel, colourForm) : [];
  const colours = image.channels > 1 ? channelColours(image, state, colourForm) : [];
  colourForm.append(
    group("Channel", row(field("Show", channel)), ...(animation.length ? [row(...animation)] : [])),
    group("Colour", row(field("Colormap", colormap, "", "For a single channel"))),
    ...colours,
  );
  panelTab("image").prepend(imageForm);
  panelTab("colour").prepend(colourForm);

  const histogram = new CutsHistogram(histogramBox, image, (cuts) => {
    showCut(lo, cuts[0]);
    showCut(hi, cuts[1]);
    state.cuts[shown] = [cuts[0], cuts[1]];
    update(true);
  });
  histogram.load(shown, state.cuts[shown]);

  const update = (cutsSet = false) => {
    state.channel = channel.value === "" ? null : Number(channel.value);
    const c = state.channel ?? 0;
    if (c !== shown) { // another channel: its own cuts and histogram
      shown = c;
      showCut(lo, state.cuts[c][0]);
      showCut(hi, state.cuts[c][1]);
      describeCuts();
      histogram.load(c, state.cuts[c]);
    } else if (!cutsSet) {
      state.cuts[c] = [readCut(lo, state.cuts[c][0]), readCut(hi, state.cuts[c][1])];
    }
    if (histogram.data) {
      histogram.cuts = [...state.cuts[c]];
      histogram.draw();
    }
    state.colormap = colormap.value;
    state.stretch = stretch.value;
    state.gamma = Number(gamma.value);
    state.contrast = Number(contrast.value);
    state.brightness = Number(brightness.value);
    state.quality = Number(quality.value);
    state.invert = invert.checked;
    markPreset();
    onChange();
  };
  markPreset();
  for (const form of [imageForm, colourForm]) form.addEventListener("change", () => update());
  reset.addEventListener("click", () => {
    Object.assign(state, initialState(image));
    buildControls(image, state, onChange);
    onChange();
  });
  return { imageForm, colourForm, presets };
}

// Colour composite: a colour and an on/off switch per channel (sent as MIX rows).
function channelColours(image, state, form) {
  const fieldset = group("Colour mix");
  image.channel_names.forEach((name, c) => {
    const on = element("input", { type: "checkbox", name: `on${c + 1}`, checked: state.mix[c].on });
    const colour = element("input", { type: "color", name: `colour${c + 1}`, value: state.mix[c].colour,
      title: `Colour of ${channelLabel(image, c)}` });
    const update = () => {
      state.mix[c] = { on: on.checked, colour: colour.value };
      state.mixChanged = true;
      form.dispatchEvent(new Event("change"));
    };
    on.addEventListener("change", update);
    colour.addEventListener("input", update);
    fieldset.append(row(element("label", { className: "fp-field" }, on, element("span", {}, channelLabel(image, c))),
      colour));
  });
  return [fieldset];
}

// Play through the planes of a cube: mono mode, one channel after the other, at the
// rate asked for (read at every frame). The rate is not a render parameter: changing it
// renders nothing. Controls rebuilt (a reset, a pasted link) replace this form, and the
// playing stops with it.
function animate(image, state, channel, form) {
  const play = element("button", { type: "button", name: "play" }, "▶ Play");
  const rate = numberInput("fps", 2, "0.5", "frames per second");
  rate.min = 0.2;
  rate.max = 20;
  rate.addEventListener("change", (event) => event.stopPropagation());
  let timer = null;
  const period = () => 1000 / Math.min(20, Math.max(0.2, Number(rate.value) || 2));
  const stop = () => {
    clearTimeout(timer);
    timer = null;
    play.textContent = "▶ Play";
  };
  const step = () => {
    if (!form.isConnected) {
      stop();
      return;
    }
    const next = state.channel === null ? 0 : (state.channel + 1) % image.channels;
    channel.value = String(next);
    form.dispatchEvent(new Event("change"));
    timer = setTimeout(step, period());
  };
  play.addEventListener("click", () => {
    if (timer) stop();
    else {
      play.textContent = "❚❚ Pause";
      step();
    }
  });
  return [play, field("Rate", rate, "frames/s")];
}
