import assert from "node:assert/strict";
import { test } from "node:test";
import { arrowheads, drawnFeature, pixelOutline, regionColour, strokeStyle, textTransform } from "../src/regions.js";

const close = (actual, expected) => {
  assert.equal(actual.length, expected.length);
  actual.flat().forEach((v, k) => assert.ok(Math.abs(v - expected.flat()[k]) < 1e-9, `${actual} != ${expected}`));
};

test("ds9 line=a b: an arrowhead at the first point for a, at the last for b", () => {
  const line = [[0, 0], [60, 0]];
  assert.deepEqual(arrowheads(line, "0 0"), []);
  assert.deepEqual(arrowheads(line, undefined), []);
  // 60 px long: heads 10 px long, 30 degrees off the line (cos 30 = 0.866, sin 30 = 0.5).
  const s = Math.sqrt(3) / 2;
  close(arrowheads(line, "0 1")[0], [[60 - 10 * s, -5], [60, 0], [60 - 10 * s, 5]]);
  close(arrowheads(line, "1 0")[0], [[10 * s, 5], [0, 0], [10 * s, -5]]);
  assert.equal(arrowheads(line, "1 1").length, 2);
  // Short and long lines: 2 to 12 px heads.
  const [short] = arrowheads([[0, 0], [3, 0]], "0 1");
  assert.ok(Math.abs(Math.hypot(short[0][0] - 3, short[0][1]) - 2) < 1e-9);
  const [long] = arrowheads([[0, 0], [0, 600]], "0 1");
  assert.ok(Math.abs(Math.hypot(long[0][0], long[0][1] - 600) - 12) < 1e-9);
});

test("a pixel line's outline holds the line, then its arrowheads", () => {
  const feature = { type: "Feature", geometry: { type: "LineString", coordinates: [[10, 10], [10, 70]] },
    properties: { shape: "line", frame: "image", line: "1 1" } };
  const outline = pixelOutline(feature, null);
  assert.equal(outline.open, true);
  assert.deepEqual(outline.rings[0], [[10, 10], [10, 70]]);
  assert.equal(outline.rings.length, 3);
  assert.deepEqual(outline.rings[1][1], [10, 10]);
  assert.deepEqual(outline.rings[2][1], [10, 70]);
});

test("ds9 textangle turns a label counter-clockwise", () => {
  assert.equal(textTransform({ textangle: 30 }), "translate(-50%, -50%) rotate(-30deg)");
  assert.equal(textTransform({ textangle: 0 }, "none"), "none");
  assert.equal(textTransform({}, "translate(-50%, -110%)"), "translate(-50%, -110%)");
  assert.equal(textTransform({ textangle: "x" }), "translate(-50%, -50%)");
});

test("members of a global ds9 composite take its colour and width; others keep theirs", () => {
  const member = { color: "pink", linewidth: 3, composite: { line: 4, global: true, color: "green", linewidth: 1 } };
  assert.equal(regionColour(member, "#fff"), "#00ff00"); // X11 green
  assert.deepEqual(strokeStyle(member, "#fff"), { color: "#00ff00", weight: 1 });
  const own = { ...member, composite: { ...member.composite, global: false } };
  assert.equal(regionColour(own, "#fff"), "pink");
  assert.deepEqual(strokeStyle(own, "#fff"), { color: "pink", weight: 3 });
  assert.deepEqual(strokeStyle({ color: "red" }, "#fff"), { color: "red", weight: 1.5 });
  // A global composite that names no colour: the default one, not its members'.
  const plain = { color: "pink", linewidth: 3, composite: { line: 4, global: true, color: null, linewidth: null } };
  assert.deepEqual(strokeStyle(plain, "#fff"), { color: "#fff", weight: 1.5 });
});

test("a shape drawn becomes a feature in the image's pixels", () => {
  const circle = drawnFeature("circle", [[10, 20], [13, 24]]).feature;
  assert.deepEqual(circle.geometry, { type: "Point", coordinates: [10, 20] });
  assert.deepEqual(circle.properties, { shape: "circle", frame: "image", radius: 5 });
  const box = drawnFeature("box", [[30, 10], [20, 16]]);
  assert.deepEqual(box.feature.geometry.coordinates, [25, 13]);
  assert.deepEqual([box.feature.properties.width, box.feature.properties.height, box.feature.properties.angle], [10, 6, 0]);
  assert.equal(box.title, "Box at (25.0, 13.0), 10.0 × 6.0 px");
  const polygon = drawnFeature("polygon", [[1, 1], [5, 1], [5, 4]]).feature;
  assert.deepEqual(polygon.geometry.coordinates, [[[1, 1], [5, 1], [5, 4], [1, 1]]]);
});

test("a shape without an area is not measured", () => {
  assert.equal(drawnFeature("circle", [[10, 20], [10, 20]]), null);
  assert.equal(drawnFeature("box", [[10, 20], [10, 25]]), null);
  assert.equal(drawnFeature("polygon", [[1, 1], [5, 1]]), null);
});
