// The image controls panel: channel or colour mode, cuts, colormap, gamma, contrast.

const COLORMAPS = ["grey", "jet", "cold", "cool", "hot", "viridis", "magma"];
const STRETCHES = ["linear", "sqrt", "log", "asinh"];

function field(label, input) {
  const wrapper = document.createElement("label");
  wrapper.textContent = label;
  wrapper.append(input);
  return wrapper;
}

function select(name, options, value) {
  const element = document.createElement("select");
  element.name = name;
  for (const [optionValue, text] of options) {
    const option = new Option(text, optionValue, false, String(optionValue) === String(value));
    element.append(option);
  }
  return element;
}

function numberInput(name, value, step) {
  const element = document.createElement("input");
  element.type = "number";
  element.name = name;
  element.step = step;
  element.value = value;
  return element;
}

export function buildControls(container, image, state, onChange) {
  const form = document.createElement("form");
  form.className = "fp-controls";
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
  const invert = document.createElement("input");
  invert.type = "checkbox";
  invert.name = "invert";
  invert.checked = state.invert;
  const reset = document.createElement("button");
  reset.type = "button";
  reset.textContent = "Reset";
  form.append(
    field("Channel ", channel), field("Colormap ", colormap), field("Stretch ", stretch),
    field("Min ", lo), field("Max ", hi), field("Gamma ", gamma), field("Contrast ", contrast),
    field("Invert ", invert), reset,
  );
  form.addEventListener("change", () => {
    state.channel = channel.value === "" ? null : Number(channel.value);
    const c = state.channel ?? 0;
    state.cuts[c] = [Number(lo.value), Number(hi.value)];
    state.colormap = colormap.value;
    state.stretch = stretch.value;
    state.gamma = Number(gamma.value);
    state.contrast = Number(contrast.value);
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

export function initialState(image) {
  return {
    channel: image.channels > 1 ? null : 0,
    cuts: image.default_cuts.map(([lo, hi]) => [lo, hi]),
    colormap: "grey",
    stretch: "linear",
    gamma: 2.2,
    contrast: 1,
    invert: false,
  };
}
