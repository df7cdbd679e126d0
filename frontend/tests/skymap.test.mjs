import assert from "node:assert/strict";
import { test } from "node:test";
import { decLabel, fitView, hammer, outlines, raLabel, unhammer } from "../src/skymap.js";

const close = (a, b, tolerance = 1e-6) => assert.ok(Math.abs(a - b) < tolerance, `${a} vs ${b}`);

test("Hammer–Aitoff: RA grows to the left, north is up, the edge at 12h", () => {
  assert.deepEqual(hammer(0, 0).map((v) => v + 0), [0, 0]);
  // lon 90: x = -2√2 sin 45° / √(1 + cos 45°), in map units of 100
  close(hammer(90, 0)[0], -153.073372, 1e-5);
  close(hammer(270, 0)[0], 153.073372, 1e-5);
  close(hammer(0, 90)[1], -141.421356, 1e-5);
  close(hammer(179.9999, 0)[0], -282.842712, 1e-3);
  // centred on 180, 12h is in the middle
  close(hammer(180, 0, 180)[0], 0);
});

test("the inverse projection gives the position back", () => {
  for (const [ra, dec, ra0] of [[10, 20, 0], [350, -45, 0], [150.1, 2.2, 150], [200, 80, 180]]) {
    const [r, d] = unhammer(...hammer(ra, dec, ra0), ra0);
    close(r, ra, 1e-7);
    close(d, dec, 1e-7);
  }
  assert.equal(unhammer(290, 0), null); // beyond the ellipse
});

const square = (ra, dec, half) => [[ra - half, dec - half], [ra + half, dec - half], [ra + half, dec + half], [ra - half, dec + half]];

test("a footprint across 0h is one outline, around the map's centre", () => {
  const pieces = outlines(square(0, 10, 2));
  assert.equal(pieces.length, 1);
  const xs = pieces[0].map((p) => p[0]);
  assert.ok(Math.min(...xs) < -3 && Math.max(...xs) > 3, xs.join());
});

test("a footprint across 12h is cut along the edge, a piece at each side", () => {
  const pieces = outlines(square(180, -20, 2));
  assert.equal(pieces.length, 2);
  const [a, b] = pieces.map((points) => points.map((p) => p[0]));
  assert.ok(a.every((x) => x < -250), a.join()); // east of 12h: the left edge
  assert.ok(b.every((x) => x > 250), b.join()); // west of 12h: the right edge
  // each piece reaches the edge: x of the edge at its latitudes
  const edge = (points) => Math.max(...points.map(([x]) => Math.abs(x)));
  close(edge(pieces[0]), Math.abs(hammer(179.9999, -18)[0]), 3);
  close(edge(pieces[1]), Math.abs(hammer(180.0001, -18)[0]), 3);
  // centred elsewhere it is whole again
  assert.equal(outlines(square(180, -20, 2), 180).length, 1);
});

test("close results are zoomed onto, spread ones shown on the whole sky", () => {
  const view = fitView([[150.0, 2.0], [150.2, 2.3], [150.1, 2.1]]);
  assert.ok(view);
  close(view.ra0, 150.1, 0.05);
  const [x, y, w, h] = view.box;
  close(w / h, 580 / 300, 1e-9);
  for (const p of [[150.0, 2.0], [150.2, 2.3]]) {
    const [px, py] = hammer(...p, view.ra0);
    assert.ok(px > x && px < x + w && py > y && py < y + h);
  }
  assert.ok(w < 5, `${w}`); // a fraction of a degree, not the sky's 580
  assert.equal(fitView([[10, 0], [100, 0]]), null);
  assert.equal(fitView([]), null);
  // one tiny image: at least two arcminutes high
  const one = fitView([[83.82, -5.39]]);
  assert.ok(one.box[3] >= (2 / 60) * (Math.PI / 180) * 100);
});

test("grid labels as sexagesimal as their step", () => {
  assert.equal(raLabel(150, 15), "10h");
  assert.equal(raLabel(150.25, 1.25), "10h01m");
  assert.equal(raLabel(150.1, 5 / 240), "10h00m24s");
  assert.equal(decLabel(30, 10), "+30°");
  assert.equal(decLabel(2.5, 0.5), "+02°30′");
  assert.equal(decLabel(-5.5, 1 / 60), "-05°30′");
  assert.equal(decLabel(-5.5 - 10 / 3600, 10 / 3600), "-05°30′10″");
});
