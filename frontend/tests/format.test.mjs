import assert from "node:assert/strict";
import { test } from "node:test";
import { formatNumber } from "../src/format.js";

test("significant digits without float noise", () => {
  assert.equal(formatNumber(1008.2431261101), "1008.24");
  assert.equal(formatNumber(1008.2431261101, 4), "1008");
  assert.equal(formatNumber(-0.000123456), "-0.000123456");
  assert.equal(formatNumber(0.1 + 0.2), "0.3");
  assert.equal(formatNumber(75), "75");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(3.2e-7), "3.2e-7");
  assert.equal(formatNumber(123456789), "1.23457e+8");
  assert.equal(formatNumber(null), "—");
  assert.equal(formatNumber(Number.NaN), "—");
});
