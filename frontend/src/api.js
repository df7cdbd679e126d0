// The portal's REST API, as the viewer uses it.

export { renderQuery } from "./renderstate.js";

export async function fetchImage(apiUrl) {
  const response = await fetch(apiUrl, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`Cannot load the image description (${response.status})`);
  }
  return response.json();
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
