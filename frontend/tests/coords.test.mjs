import assert from "node:assert/strict";
import { test } from "node:test";
import {
  equatorialToEcliptic, equatorialToGalactic, formatDec, formatRA, parseCoordinates,
} from "../src/coords.js";

const close = (a, b, tolerance = 1e-6) => assert.ok(Math.abs(a - b) < tolerance, `${a} vs ${b}`);

test("sexagesimal formatting", () => {
  assert.equal(formatRA(188.73625), "12:34:56.70");
  assert.equal(formatRA(359.99999999), "00:00:00.00");
  assert.equal(formatDec(-5.10194444), "-05:06:07.0");
  assert.equal(formatDec(41.2622), "+41:15:43.9");
});

test("parsing what people type", () => {
  const a = parseCoordinates("12:34:56.7 -05:06:07");
  close(a.ra, 188.73625);
  close(a.dec, -(5 + 6 / 60 + 7 / 3600));
  const b = parseCoordinates("12h34m56.7s -5d06m07s");
  close(b.ra, a.ra);
  close(b.dec, a.dec);
  assert.deepEqual(parseCoordinates("188.736 -5.102"), { ra: 188.736, dec: -5.102 });
  // Two bare numbers are RA/Dec (an image with a WCS); pixels need a prefix or the switch.
  assert.deepEqual(parseCoordinates("210.8, 54.35"), { ra: 210.8, dec: 54.35 });
  assert.deepEqual(parseCoordinates("210.8 54.35"), { ra: 210.8, dec: 54.35 });
  assert.equal(parseCoordinates("120,340"), null);
  assert.deepEqual(parseCoordinates("120,340", { pixels: true }), { x: 120, y: 340 });
  assert.deepEqual(parseCoordinates("120 340", { pixels: true }), { x: 120, y: 340 });
  assert.deepEqual(parseCoordinates("px 120 80"), { x: 120, y: 80 });
  assert.deepEqual(parseCoordinates("pixel 12.5, 7"), { x: 12.5, y: 7 });
  assert.deepEqual(parseCoordinates("14 03 12.6 +54 20 56", { pixels: true }).ra.toFixed(4), "210.8025");
  assert.equal(parseCoordinates("M31"), null);
  assert.equal(parseCoordinates("400 10"), null);
});

test("galactic and ecliptic frames", () => {
  // The galactic centre and the north galactic pole (ICRS values from astropy).
  const [l, b] = equatorialToGalactic(266.40498829, -28.93617776);
  close(((l + 180) % 360) - 180, 0, 1e-4);
  close(b, 0, 1e-4);
  const [, bPole] = equatorialToGalactic(192.85948121, 27.12825118);
  close(bPole, 90, 1e-4);
  const [lambda, beta] = equatorialToEcliptic(0, 90);
  close(beta, 90 - 23.4392911111, 1e-6);
  close(lambda, 90, 1e-6);
});
