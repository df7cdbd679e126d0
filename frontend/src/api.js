// The portal's REST API, as the viewer uses it.

export async function fetchImage(apiUrl) {
  const response = await fetch(apiUrl, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`Cannot load the image description (${response.status})`);
  }
  return response.json();
}

// Query string of the rendering state, leaving out everything equal to the defaults
// the server reports, so tile URLs stay short and cacheable.
export function renderQuery(image, state) {
  const params = new URLSearchParams();
  if (state.channel !== null && image.channels > 1) params.set("channel", state.channel + 1);
  const cuts = image.default_cuts;
  state.cuts.forEach(([lo, hi], c) => {
    const [dlo, dhi] = cuts[c] || [];
    if (lo !== dlo || hi !== dhi) params.append("minmax", `${c + 1}:${lo},${hi}`);
  });
  if (state.channel === null && state.mixChanged) {
    state.mix.forEach(({ on, colour }, c) => {
      const rgb = [1, 3, 5].map((i) => (on ? parseInt(colour.slice(i, i + 2), 16) / 255 : 0));
      params.append("mix", `${c + 1}:${rgb.map((v) => v.toFixed(3)).join(",")}`);
    });
  }
  if (state.colormap !== "grey") params.set("colormap", state.colormap);
  if (state.invert) params.set("invert", "1");
  if (state.gamma !== 2.2) params.set("gamma", state.gamma);
  if (state.contrast !== 1) params.set("contrast", state.contrast);
  if (state.brightness) params.set("brightness", state.brightness);
  if (state.quality !== 90) params.set("quality", state.quality);
  if (state.stretch !== "linear") params.set("stretch", state.stretch);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export async function fetchValues(image, xFits, yFits) {
  const url = `${image.url}values/?x=${xFits.toFixed(2)}&y=${yFits.toFixed(2)}`;
  const response = await fetch(url, { credentials: "same-origin" });
  return response.ok ? (await response.json()).values : null;
}

// The IIP description of an image: for a mosaic, each extension's header and place.
export async function fetchIipInfo(image) {
  const response = await fetch(`${image.iip_url}&INFO`, { credentials: "same-origin" });
  return response.ok ? response.json() : null;
}
