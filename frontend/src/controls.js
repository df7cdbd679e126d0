// The image controls panel: channel or colour mode, cuts, colormap, gamma, contrast.

const COLORMAPS = ["grey", "jet", "cold", "cool", "hot", "viridis", "magma"];
const STRETCHES = ["linear", "sqrt", "log", "asinh"];

import { element } from "./dom.js";
import { CutsHistogram } from "./histogram.js";

function field(label, input) {
  return element("label", {}, label, input);
}

// Channel names come from FITS headers: options are built as text.
function select(name, options, value) {
  return element("select", { name }, ...options.map(([optionValue, text]) =>
    new Option(text, optionValue, false, String(optionValue) === String(value))));
}

function numberInput(name, value, step) {
  return element("input", { type: "number", name, step, value });
}

export function buildControls(container, image, state, onChange) {
  const form = element("form", { className: "fp-controls" });
  const channels = [["", image.channels > 1 ? "colour" : "channel 1"]];
  if (image.channels > 1) {
    image.channel_names.forEach((name, c) => channels.push([c, `${c + 1}: ${name}`]));
  }
  const channel = select("channel", channels, state.channel ?? "");
  const colormap = select("colormap", COLORMAPS.map((n) => [n, n]), state.colormap);
  const stretch = select("stretch", STRETCHES.map((n) => [n, n]), state.stretch);
  const current = state.channel ?? 0;
  const lo = numberInput("lo", state.cuts[current][0], "any");
  const hi = numberInput("hi", state.cuts[current][1], "any");
  const gamma = numberInput("gamma", state.gamma, "0.1");
  const contrast = numberInput("contrast", state.contrast, "0.1");
  const brightness = numberInput("brightness", state.brightness, "1");
  const quality = numberInput("quality", state.quality, "5");
  const invert = element("input", { type: "checkbox", name: "invert", checked: state.invert });
  const reset = element("button", { type: "button" }, "Reset");
  const animation = image.channels > 1 ? animate(image, state, channel, form) : [];
  const colours = image.channels > 1 ? channelColours(image, state, form) : [];
  form.append(
    field("Channel ", channel), ...animation, field("Colormap ", colormap), field("Stretch ", stretch),
    field("Min ", lo), field("Max ", hi), field("Gamma ", gamma), field("Contrast ", contrast),
    field("Brightness ", brightness), field("Quality ", quality),
    field("Invert ", invert), reset, ...colours,
  );
  const histogram = new CutsHistogram(form, image, (cuts) => {
    [lo.value, hi.value] = cuts;
    form.dispatchEvent(new Event("change"));
  });
  let shown = state.channel ?? 0;
  histogram.load(shown, state.cuts[shown]);
  form.addEventListener("change", () => {
    state.channel = channel.value === "" ? null : Number(channel.value);
    const c = state.channel ?? 0;
    if (c !== shown) {  // another channel: its own cuts and histogram
      shown = c;
      [lo.value, hi.value] = state.cuts[c];
      histogram.load(c, state.cuts[c]);
    }
    state.cuts[c] = [Number(lo.value), Number(hi.value)];
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
    onChange();
  });
  reset.addEventListener("click", () => {
    Object.assign(state, initialState(image));
    container.replaceChildren();
    buildControls(container, image, state, onChange);
    onChange();
  });
  container.append(form);
  return form;
}

const DEFAULT_COLOURS = ["#0000ff", "#00ff00", "#ff0000", "#ff00ff", "#00ffff", "#ffff00"];

// Colour composite: a colour and an on/off switch per channel (sent as MIX rows).
function channelColours(image, state, form) {
  const fieldset = element("fieldset", { className: "fp-colours" }, element("legend", {}, "Colour mix"));
  image.channel_names.forEach((name, c) => {
    const on = element("input", { type: "checkbox", name: `on${c + 1}`, checked: state.mix[c].on });
    const colour = element("input", { type: "color", name: `colour${c + 1}`, value: state.mix[c].colour });
    const update = () => {
      state.mix[c] = { on: on.checked, colour: colour.value };
      state.mixChanged = true;
      form.dispatchEvent(new Event("change"));
    };
    on.addEventListener("change", update);
    colour.addEventListener("input", update);
    fieldset.append(field(` ${name} `, on), colour);
  });
  return [fieldset];
}

// Play through the planes of a cube: mono mode, one channel after the other.
function animate(image, state, channel, form) {
  const play = element("button", { type: "button", name: "play" }, "▶ Play");
  const rate = numberInput("fps", 2, "0.5");
  rate.min = 0.2;
  rate.max = 20;
  rate.title = "frames per second";
  let timer = null;
  const step = () => {
    const next = state.channel === null ? 0 : (state.channel + 1) % image.channels;
    channel.value = String(next);
    form.dispatchEvent(new Event("change"));
  };
  play.addEventListener("click", () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
      play.textContent = "▶ Play";
    } else {
      step();
      timer = setInterval(step, 1000 / Math.max(0.2, Number(rate.value) || 2));
      play.textContent = "❚❚ Pause";
    }
  });
  return [play, field(" fps ", rate)];
}

export function initialState(image) {
  const count = image.channels;
  return {
    // Until a colour is changed, the server's default mix (every entry 1) applies.
    mix: Array.from({ length: count }, (_, c) => ({
      on: true, colour: DEFAULT_COLOURS[count <= 3 ? c : Math.round((2 * c) / (count - 1))],
    })),
    mixChanged: false,
    channel: image.channels > 1 ? null : 0,
    cuts: image.default_cuts.map(([lo, hi]) => [lo, hi]),
    colormap: "grey",
    stretch: "linear",
    gamma: 2.2,
    contrast: 1,
    brightness: 0,
    quality: 90,
    invert: false,
  };
}
