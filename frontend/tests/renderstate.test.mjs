import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeState, encodeState, initialState, renderQuery } from "../src/renderstate.js";

// An image description as the server sends it (portal/api/serializers.py).
const image = {
  channels: 3,
  default_cuts: [[0, 10], [1, 11], [2, 12]],
  render_parameters: [
    { name: "channel", kind: "channel", type: "integer", minimum: 1 },
    { name: "minmax", kind: "rows", type: "string", many: true },
    { name: "mix", kind: "rows", type: "string", many: true },
    { name: "gamma", kind: "number", type: "number", minimum: 0.2, maximum: 5, default: 2.2 },
    { name: "quality", kind: "integer", type: "integer", minimum: 0, maximum: 100, default: 90 },
    { name: "colormap", kind: "choice", type: "string", enum: ["grey", "hot"], default: "grey" },
    { name: "invert", kind: "flag", type: "boolean", default: false },
    { name: "cuts", kind: "preset", type: "string", enum: ["zscale", "minmax"], default: "zscale" },
  ],
  render_defaults: { channel: null, gamma: 2.2, quality: 90, colormap: "grey", invert: false,
    mix: [[0, 0, 1], [0, 1, 0], [1, 0, 0]] },
};

test("the initial state is the server's defaults, and encodes to nothing", () => {
  const state = initialState(image);
  assert.equal(state.gamma, 2.2);
  assert.equal(state.quality, 90);
  assert.equal(state.channel, null);
  assert.deepEqual(state.mix.map((m) => m.colour), ["#0000ff", "#00ff00", "#ff0000"]);
  assert.deepEqual(state.cuts, [[0, 10], [1, 11], [2, 12]]);  // not the preset's name
  assert.equal(renderQuery(image, state), "");
});

test("what differs from the defaults is encoded under the REST names", () => {
  const state = initialState(image);
  state.gamma = 1.5;
  state.invert = true;
  state.cuts[1] = [3, 4];
  const params = encodeState(image, state);
  assert.equal(params.get("gamma"), "1.5");
  assert.equal(params.get("invert"), "1");
  assert.deepEqual(params.getAll("minmax"), ["2:3,4"]);
  assert.equal(params.has("quality"), false);
  assert.equal(params.has("channel"), false);  // colour: the default of a cube
  state.channel = 2;
  assert.equal(encodeState(image, state).get("channel"), "3");
});

test("a changed mix sends every row; the default mix none", () => {
  const state = initialState(image);
  state.mix[0] = { on: false, colour: "#0000ff" };
  state.mix[2] = { on: true, colour: "#ff8000" };
  assert.deepEqual(encodeState(image, state).getAll("mix"), ["1:0.000,0.000,0.000", "2:0.000,1.000,0.000", "3:1.000,0.502,0.000"]);
  state.channel = 0;  // mono: no mix
  assert.deepEqual(encodeState(image, state).getAll("mix"), []);
});

test("decoding what was encoded gives the same state", () => {
  const state = initialState(image);
  Object.assign(state, { gamma: 0.8, quality: 70, colormap: "hot", channel: 1 });
  state.cuts[0] = [-1.5, 2e5];
  const params = encodeState(image, state);
  const decoded = decodeState(image, params, initialState(image));
  assert.deepEqual(decoded, state);
});

test("values out of the declared ranges or choices are ignored", () => {
  const params = new URLSearchParams("gamma=9&quality=12.5&colormap=rainbow&channel=7&minmax=1:a,b");
  const decoded = decodeState(image, params, initialState(image));
  assert.deepEqual(decoded, initialState(image));
});
