import assert from "node:assert/strict";
import { test } from "node:test";
import { cssColour } from "../src/regions.js";

test("ds9 colours are X11's: names whose CSS namesake differs are translated", () => {
  // X11 rgb.txt: green 0 255 0, gray 190 190 190, maroon 176 48 96, purple 160 32 240.
  assert.equal(cssColour("green"), "#00ff00");
  assert.equal(cssColour("Green"), "#00ff00");
  assert.equal(cssColour("grey"), "#bebebe");
  assert.equal(cssColour("maroon"), "#b03060");
  assert.equal(cssColour("purple"), "#a020f0");
  assert.equal(cssColour("red"), "red");
  assert.equal(cssColour("cyan"), "cyan");
  assert.equal(cssColour("#ff0000"), "#ff0000");
  assert.equal(cssColour("#ffff00000000"), "#ff0000");
  assert.equal(cssColour("#fff0f0000"), "#ff0f00");
  assert.equal(cssColour("url(x)", "lime"), "lime");
  assert.equal(cssColour(undefined, "lime"), "lime");
});
