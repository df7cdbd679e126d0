"""The viewer's geometry, looked at in a real browser on a laptop (1400 x 900) and a phone
(390 x 844): the map fills its box, the fit view shows the whole image centred, go-to
puts its target under the reticle, the phone's bottom sheet leaves the map 70 % of the
screen, pixels beyond native resolution are square and sharp, links pasted into the tab
and back/forward apply, the overview holds the whole image and the view's frame.

Positions on the screen are measured from the drawn tiles (their bounding boxes and
their URLs' tile numbers), not from the client's own coordinate conversions.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import pyvips
from astropy.coordinates import SkyCoord

from portal.demo import star_field_wcs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
WIDTH, HEIGHT = 1500, 1100  # the seeded field

# True once every tile of the main layer is drawn: the time since the page was opened (ms).
TILES_DRAWN = """() => {
  const v = document.getElementById('viewer');
  const f = v && v.fitsportal;
  if (!f || !f.layer || f.layer.isLoading()) return false;
  const tiles = [...v.querySelectorAll(':scope > .leaflet-map-pane .fp-pyramid img.leaflet-tile')];
  const level = Math.max(0, Math.min(Math.round(f.map.getZoom()), f.image.levels - 1));
  const current = tiles.filter((t) => t.src.includes(`/tiles/${level}/`));
  return current.length > 0 && current.every((t) => t.classList.contains('leaflet-tile-loaded')
    && t.complete && t.naturalWidth > 0) ? performance.now() : false;
}"""

# The screen box of a tile's image: its element's, less what its clip path hides (a
# tile drawn one pixel larger than its box and clipped to it).
VISIBLE = """(tile) => {
  const q = tile.getBoundingClientRect();
  const inset = /inset\\(([^)]*)\\)/.exec(tile.style.clipPath);
  const v = inset ? inset[1].trim().split(/\\s+/).map(parseFloat) : [0];
  const [t, r, b, l] = [v[0], v[1] ?? v[0], v[2] ?? v[0], v[3] ?? v[1] ?? v[0]];
  return { left: q.left + l, top: q.top + t, right: q.right - r, bottom: q.bottom - b };
}"""

# Where the image is drawn: the screen position of its top left corner (from the tile
# of the current level nearest the image's corner: its box less its tile number times
# the displayed tile step), the screen pixels per image pixel, the union of the tiles'
# boxes, and the map's box. At a fractional zoom, the tiles are those of the nearest
# level (Leaflet rounds the zoom), each shown 2^(zoom - level) times its size, its edges
# on whole screen pixels (so within half a pixel of where the step puts them).
DRAWN = """() => {
  const visible = VISIBLE;
  const v = document.getElementById('viewer');
  const f = v.fitsportal;
  const m = f.map;
  const native = f.image.levels - 1;
  const z = m.getZoom();
  const scale = 2 ** (z - native);
  const level = Math.max(0, Math.min(Math.round(z), native));
  const step = f.image.tile_size * 2 ** (z - level);
  let [l, t, r, b] = [Infinity, Infinity, -Infinity, -Infinity];
  let origin = null;
  let nearest = Infinity;
  for (const tile of v.querySelectorAll(':scope > .leaflet-map-pane .fp-pyramid img.leaflet-tile-loaded')) {
    const g = /\\/tiles\\/(\\d+)\\/(\\d+)\\/(\\d+)\\./.exec(tile.src);
    if (!g || Number(g[1]) !== level) continue;
    const q = visible(tile);
    [l, t, r, b] = [Math.min(l, q.left), Math.min(t, q.top), Math.max(r, q.right), Math.max(b, q.bottom)];
    if (Number(g[2]) + Number(g[3]) < nearest) {
      nearest = Number(g[2]) + Number(g[3]);
      origin = [q.left - Number(g[2]) * step, q.top - Number(g[3]) * step];
    }
  }
  const box = v.getBoundingClientRect();
  const size = m.getSize();
  return { origin, scale, union: [l, t, r, b], box: [box.left, box.top, box.width, box.height],
           size: [size.x, size.y], client: [v.clientWidth, v.clientHeight], zoom: z, native };
}""".replace("VISIBLE", VISIBLE)

RETICLE = """() => { const q = document.querySelector('#viewer .fp-reticle').getBoundingClientRect();
  return [q.left + q.width / 2, q.top + q.height / 2]; }"""

CENTRE = """() => { const v = document.getElementById('viewer').fitsportal; const c = v.map.getCenter();
  return [c.lng + 0.5, v.image.height - c.lat + 0.5, v.map.getZoom()]; }"""


def open_field(screen, server, login, query=""):
    page = screen.page
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/{query}")
    drawn = page.wait_for_function(TILES_DRAWN, timeout=30000).json_value()
    page.wait_for_timeout(300)  # Leaflet's fade-in of the last tiles
    return drawn


def wait_drawn(page):
    page.wait_for_timeout(400)  # past Leaflet's zoom animation (250 ms)
    page.wait_for_function(TILES_DRAWN, timeout=30000)
    page.wait_for_timeout(300)
    return page.evaluate(DRAWN)


def assert_map_fills_its_box(geometry):
    assert geometry["size"] == geometry["client"], geometry
    assert geometry["box"][2:] == geometry["client"], geometry


def assert_whole_image_centred(geometry, tolerance=2):
    left, t, r, b = geometry["union"]
    x, y, w, h = geometry["box"]
    s = geometry["scale"]
    assert abs((r - left) - WIDTH * s) <= 1 and abs((b - t) - HEIGHT * s) <= 1, (
        geometry
    )  # all drawn
    assert left >= x - 0.5 and t >= y - 0.5 and r <= x + w + 0.5 and b <= y + h + 0.5, geometry
    assert abs((left + r) / 2 - (x + w / 2)) <= tolerance, geometry
    assert abs((t + b) / 2 - (y + h / 2)) <= tolerance, geometry


def assert_fit_fills_the_box(geometry, fill=0.95):
    """The fit view is as large as the box allows: the image fills at least ``fill`` of
    the box in the dimension that limits it (ds9's and Aladin's zoom to fit)."""
    left, t, r, b = geometry["union"]
    _, _, w, h = geometry["box"]
    assert max((r - left) / w, (b - t) / h) >= fill, geometry


def record_timing(screen, what, ms):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[f"{what} ({screen.name})"] = round(ms)
    path.write_text(json.dumps(timings, indent=1))


def test_the_map_fills_its_box_and_the_fit_view_is_centred(screen, server, login):
    page = screen.page
    drawn_ms = open_field(screen, server, login)
    record_timing(screen, "page opened to all tiles drawn, ms", drawn_ms)
    screen.shot("fit")
    geometry = page.evaluate(DRAWN)
    assert_map_fills_its_box(geometry)
    assert_whole_image_centred(geometry)
    assert_fit_fills_the_box(geometry)
    viewport = page.viewport_size
    if screen.name == "desktop":
        # The panel beside the map; closed, the map takes the width and the fit follows.
        assert geometry["box"][2] < viewport["width"] - 300
        page.click("#panel-toggle")
        closed = wait_drawn(page)
        screen.shot("panel-closed")
        assert_map_fills_its_box(closed)
        assert closed["box"][2] == viewport["width"]
        assert_whole_image_centred(closed)
        assert_fit_fills_the_box(closed)
        page.click("#panel-toggle")
        assert_map_fills_its_box(wait_drawn(page))
    else:
        # The sheet starts folded (tabs only); open, it leaves the map 70 % of the screen.
        assert geometry["box"][3] >= 0.85 * viewport["height"]
        page.tap("#panel [role=tab][data-tab=image]")
        opened = wait_drawn(page)
        screen.shot("sheet-open")
        assert page.locator("#tab-image").is_visible()
        assert page.locator("#tab-image").bounding_box()["height"] > 100
        assert_map_fills_its_box(opened)
        assert opened["box"][3] >= 0.7 * viewport["height"], opened
        assert_whole_image_centred(opened)
        assert_fit_fills_the_box(opened)
        panel = page.locator("#panel").bounding_box()
        assert panel["y"] + panel["height"] <= viewport["height"] + 0.5  # on the screen
    # No control is left unlabelled and no number is shown with float noise.
    detail = page.evaluate(
        "fetch(location.pathname.replace('/images/', '/api/images/')).then(r => r.json())"
    )
    low = detail["default_cuts"][0][0]
    assert page.input_value("input[name=lo]") == f"{low:.6g}" != f"{low:.9g}"
    assert page.locator("label:has(input[name=lo])").inner_text().startswith("Min")


def test_go_to_puts_the_target_under_the_reticle(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    page.click("#panel [role=tab][data-tab=overlays]")
    page.check("input[name=reticle]")
    wcs = star_field_wcs(WIDTH, HEIGHT)
    x, y = 300.3, 200.7
    ra, dec = wcs.all_pix2world([[x, y]], 1)[0]
    sexagesimal = SkyCoord(ra, dec, unit="deg").to_string("hmsdms", sep=":", precision=4)
    # Two bare numbers are RA/Dec, with or without a comma; pixels need "px".
    for text, target in ((f"{ra:.7f}, {dec:.7f}", (x, y)), (f"{ra:.7f} {dec:.7f}", (x, y)),
                         (sexagesimal, (x, y)), ("px 1200 900", (1200, 900))):  # fmt: skip
        page.evaluate(
            "() => document.getElementById('viewer').fitsportal.map.setView([0, 0], 1, { animate: false })"
        )
        page.fill("#goto", text)
        page.press("#goto", "Enter")
        geometry = wait_drawn(page)
        s = geometry["scale"]
        assert geometry["zoom"] >= geometry["native"]
        ox, oy = geometry["origin"]
        drawn = (ox + (target[0] - 0.5) * s, oy + (HEIGHT - target[1] + 0.5) * s)
        reticle = page.evaluate(RETICLE)
        assert abs(drawn[0] - reticle[0]) <= 1 and abs(drawn[1] - reticle[1]) <= 1, (
            text,
            drawn,
            reticle,
        )
        assert_map_fills_its_box(geometry)
    screen.shot("go-to")
    page.fill("#goto", "M31 somewhere")
    page.press("#goto", "Enter")
    assert page.evaluate("() => document.getElementById('goto').validationMessage")


def decode_png(png):
    picture = pyvips.Image.new_from_buffer(png, "")
    return np.ndarray(buffer=picture.write_to_memory(), dtype=np.uint8,
                      shape=[picture.height, picture.width, picture.bands])  # fmt: skip


def test_pixels_beyond_native_resolution_are_square_and_sharp(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    native = page.evaluate("() => document.getElementById('viewer').fitsportal.image.levels - 1")
    assert (
        page.evaluate("() => document.getElementById('viewer').fitsportal.map.getMaxZoom()")
        >= native + 4
    )
    # 8x native, centred on the corner of four tiles (array pixel 256, 256): seams in view.
    page.evaluate(
        f"() => document.getElementById('viewer').fitsportal.map.setView([256, 256], {native + 3},"
        " { animate: false })"
    )
    geometry = wait_drawn(page)
    screen.shot("zoom-8x")
    assert geometry["scale"] == 8
    ox, oy = geometry["origin"]
    assert ox == round(ox) and oy == round(oy), geometry  # tiles on whole screen pixels
    x, y, w, h = geometry["box"]
    clip = {"x": x + w / 2 - 96, "y": y + h / 2 - 96, "width": 192, "height": 192}
    screen_pixels = decode_png(page.screenshot(clip=clip))[..., :3].astype(int)
    blocks, values = 0, set()
    # Every image pixel wholly in the clip: its 8 x 8 screen pixels are one colour.
    first_col = int(np.ceil((clip["x"] - ox) / 8))
    first_row = int(np.ceil((clip["y"] - oy) / 8))
    for row in range(first_row, first_row + 24):
        for col in range(first_col, first_col + 24):
            left, top = int(ox + col * 8 - clip["x"]), int(oy + row * 8 - clip["y"])
            if left < 0 or top < 0 or left + 8 > clip["width"] or top + 8 > clip["height"]:
                continue
            block = screen_pixels[top : top + 8, left : left + 8]
            assert (block == block[0, 0]).all(), (row, col, block[..., 0])
            blocks += 1
            values.add(tuple(block[0, 0]))
    assert blocks >= 400 and len(values) >= 10  # a real image, not a flat field
    assert (
        page.evaluate(
            "() => getComputedStyle(document.querySelector('#viewer .fp-pyramid img.leaflet-tile'))"
            ".imageRendering"
        )
        == "pixelated"
    )


# The tiles of the current level of the map in the box ``selector`` (its own layer):
# their screen boxes, and the box's.
TILE_BOXES = """(selector) => {
  const visible = VISIBLE;
  const box = document.querySelector(selector);
  const f = box.fitsportal;
  const level = Math.max(0, Math.min(Math.round(f.map.getZoom()), f.image.levels - 1));
  const tiles = [];
  for (const tile of f.layer.getContainer().querySelectorAll('img.leaflet-tile-loaded')) {
    const g = /\\/tiles\\/(\\d+)\\//.exec(tile.src);
    if (!g || Number(g[1]) !== level) continue;
    const q = visible(tile);
    tiles.push([q.left, q.top, q.right, q.bottom]);
  }
  const b = box.getBoundingClientRect();
  return { tiles, box: [b.left, b.top, b.right, b.bottom], zoom: f.map.getZoom() };
}""".replace("VISIBLE", VISIBLE)


def seam_depth(pixels, drawn):
    """How much darker than their surroundings the screen lines along the tiles' shared
    edges are, on an image drawn flat: for each edge between two tiles, each of the two
    screen lines beside it (the one an edge inside a screen pixel falls in, and its
    neighbour) against the mean of the lines two away on either side, the median along
    the edge (overlays crossing it do not count); the largest, in grey levels."""
    grey = pixels[..., :3].astype(float).mean(axis=2)
    bl, bt, br, bb = drawn["box"]
    depths = [0.0]
    for left, top, right, bottom in drawn["tiles"]:
        for ol, ot, _, _ in drawn["tiles"]:
            if abs(ol - right) < 1 and abs(ot - top) < 1:  # the tile on the right
                edge, low, high, span = right, max(top, bt), min(bottom, bb), (bl, br)
                columns = True
            elif abs(ot - bottom) < 1 and abs(ol - left) < 1:  # the tile below
                edge, low, high, span = bottom, max(left, bl), min(right, br), (bt, bb)
                columns = False
            else:
                continue
            k = int(np.floor(edge))
            if high - low < 8 or not span[0] + 3 <= k <= span[1] - 3:
                continue  # off the map's box
            cut = slice(int(low) + 1, int(high) - 1)

            def line(index, cut=cut, columns=columns):
                return grey[cut, index] if columns else grey[index, cut]

            around = (line(k - 3) + line(k + 2)) / 2
            for beside in (k - 1, k):
                depths.append(float(np.median(around - line(beside))))
    return max(depths)


# The controls and marks over a map hidden, for a screenshot of the tiles alone.
BARE = (
    "() => { const s = document.createElement('style'); s.id = 'bare';"
    " s.textContent = '.leaflet-control-container, .fp-reticle, .leaflet-overlay-pane"
    " { visibility: hidden !important; }'; document.head.append(s); }"
)


def assert_no_seams(page, selector, name, tolerance=2):
    drawn = page.evaluate(TILE_BOXES, selector)
    page.evaluate(BARE)
    pixels = decode_png(page.screenshot())
    page.evaluate("() => document.getElementById('bare').remove()")
    depth = seam_depth(pixels, drawn)
    assert len(drawn["tiles"]) >= 2, drawn
    assert depth <= tolerance, (name, depth, drawn)
    return depth


def test_tile_edges_show_no_seam_at_any_zoom(screen, server, login):
    """An image drawn flat (every value above the cuts: white) shows no line where its
    tiles meet, at the fit view (a fractional zoom), between levels below and beyond
    native resolution, and at whole levels."""
    page = screen.page
    open_field(screen, server, login, "#minmax=1%3A0%2C1")
    native = page.evaluate("() => document.getElementById('viewer').fitsportal.image.levels - 1")
    geometry = page.evaluate(DRAWN)
    assert_whole_image_centred(geometry)
    assert native - 2 < geometry["zoom"] < native and geometry["zoom"] != round(geometry["zoom"])
    depths = {"fit": assert_no_seams(page, "#viewer", "fit")}
    screen.shot("flat-fit")
    for zoom in (native - 0.4, native + 0.55, native + 1.3, native - 1):
        page.evaluate(
            "(z) => document.getElementById('viewer').fitsportal.show([550, 750], z)", zoom
        )
        wait_drawn(page)
        depths[zoom] = assert_no_seams(page, "#viewer", f"zoom {zoom}")
    screen.shot("flat-zoomed")
    record_timing(screen, "deepest seam, grey levels", max(depths.values()))


def test_a_pasted_link_applies_and_back_forward_move_between_views(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    fit = page.evaluate(CENTRE)
    native = page.evaluate("() => document.getElementById('viewer').fitsportal.image.levels - 1")
    for x, y, zoom in ((300, 200, native), (1200, 900, native + 1)):
        page.evaluate(
            "([x, y, z]) => { const v = document.getElementById('viewer').fitsportal;"
            " v.map.setView([v.image.height - y + 0.5, x - 0.5], z, { animate: false }); }",
            [x, y, zoom],
        )
        page.wait_for_timeout(1200)  # a settled view (the history groups quicker moves)
    assert "x=1200.0" in page.url and f"zoom={native + 1}" in page.url

    # (A fit's fractional zoom comes back with the link's four decimals.)
    def centre_is(x, y, zoom):
        page.wait_for_function(
            f"() => {{ const c = ({CENTRE})(); return Math.abs(c[0] - {x}) <= 0.5"
            f" && Math.abs(c[1] - {y}) <= 0.5 && Math.abs(c[2] - {zoom}) <= 1e-4; }}",
            timeout=5000,
        )

    page.go_back()
    centre_is(300, 200, native)
    page.go_back()
    centre_is(round(fit[0], 1), round(fit[1], 1), fit[2])
    page.go_forward()
    centre_is(300, 200, native)
    # A link pasted into the address bar of the same tab: view and display.
    page.evaluate(
        f"() => {{ location.hash = 'x=700&y=500&zoom={native}&channel=1&colormap=hot'; }}"
    )
    centre_is(700, 500, native)
    page.wait_for_function(
        "() => { const t = [...document.querySelectorAll('#viewer > .leaflet-map-pane .fp-pyramid"
        " img.leaflet-tile-loaded')]; return t.length > 0 && t.every((i) => i.src.includes('colormap=hot')); }",
        timeout=15000,
    )
    assert page.input_value("select[name=colormap]") == "hot"
    screen.shot("pasted-link")


def test_the_readout_shows_the_value_first_and_the_pixel_table_costs_one_request(
    screen, server, login
):
    page = screen.page
    open_field(screen, server, login)
    asked = []
    page.on(
        "request",
        lambda r: asked.append(r.url) if re.search(r"/(values|cutout\.fits)", r.url) else None,
    )
    box = page.locator("#viewer").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.4
    if screen.name == "phone":
        # A touch screen has no hover: a tap reads the pixel and marks it.
        page.touchscreen.tap(cx, cy)
        page.wait_for_function(
            "document.querySelector('#readout .fp-value').textContent.startsWith('value')"
        )
        assert page.locator("#viewer .fp-tap").count() == 1
    else:
        page.click("#panel [role=tab][data-tab=analysis]")
        page.check("input[name=pixel-table]")
        asked.clear()
        page.mouse.move(cx - 40, cy - 30)
        page.mouse.move(cx, cy, steps=15)  # one sweep, then a pause: one request
        page.wait_for_selector(".fp-pixels td.fp-centre")
        page.wait_for_timeout(500)
        assert len(asked) == 1 and "cutout.fits" in asked[0], asked
        cells = page.locator(".fp-pixels td").all_inner_texts()
        assert len(cells) == 25
        centre_x = int(page.get_attribute(".fp-pixels", "data-cx"))
        centre_y = int(page.get_attribute(".fp-pixels", "data-cy"))
        expected = page.request.get(
            f"{server.url}/api/images/{server.seed['image']}/values/?x={centre_x}&y={centre_y}"
        ).json()["values"][0]
        assert float(page.inner_text(".fp-pixels td.fp-centre")) == pytest.approx(
            expected, rel=1e-4
        )
        left = page.request.get(
            f"{server.url}/api/images/{server.seed['image']}/values/?x={centre_x - 2}&y={centre_y + 2}"
        ).json()["values"][0]
        assert float(cells[0]) == pytest.approx(left, rel=1e-4)  # top left: x - 2, y + 2
    readout = page.locator("#readout")
    first = readout.locator("span").first
    assert first.get_attribute("class") == "fp-value"
    text = first.inner_text()
    assert text.startswith("value ") and "ADU" in text and "−bg" in text
    value = json.loads(readout.get_attribute("data-values"))[0]
    x, y = float(readout.get_attribute("data-x")), float(readout.get_attribute("data-y"))
    expected = page.request.get(
        f"{server.url}/api/images/{server.seed['image']}/values/?x={x}&y={y}"
    ).json()["values"][0]
    assert value == pytest.approx(expected, rel=1e-6)
    assert "α" in readout.inner_text() and "δ" in readout.inner_text()
    # and on the screen: every line of each part (value, x y, sky) within the readout's
    # box, none cut off by it (on a phone, the sky coordinates take the second line)
    boxes = page.evaluate(
        """() => {
          const r = document.getElementById('readout').getBoundingClientRect();
          return { readout: [r.left, r.top, r.right, r.bottom],
                   parts: [...document.querySelectorAll('#readout > span')].map((span) => {
                     const range = document.createRange();
                     range.selectNodeContents(span);
                     return [...range.getClientRects()].map((b) => [b.left, b.top, b.right, b.bottom]);
                   }) };
        }"""
    )
    left, top, right, bottom = boxes["readout"]
    for rects in boxes["parts"]:
        assert rects
        for l_, t_, r_, b_ in rects:
            assert left - 0.5 <= l_ and r_ <= right + 0.5 and top - 0.5 <= t_ and b_ <= bottom + 1, (
                rects, boxes["readout"])  # fmt: skip
    screen.shot("readout")


def test_the_overview_holds_the_whole_image_and_the_views_frame(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    overview = page.locator(".fp-overview")
    if screen.name == "phone":
        # Out of the way on a phone: folded to a button until asked for.
        assert overview.get_attribute("data-open") == "false"
        assert overview.bounding_box()["height"] < 40
        page.tap(".fp-overview-toggle")
    page.wait_for_selector(".fp-overview .leaflet-tile-loaded")
    native = page.evaluate("() => document.getElementById('viewer').fitsportal.image.levels - 1")
    page.evaluate(
        f"() => document.getElementById('viewer').fitsportal.map.setView([300, 400], {native}, {{animate: false}})"
    )
    geometry = wait_drawn(page)
    page.wait_for_timeout(300)
    mini = page.evaluate(
        """() => {
          const rect = (e) => { const q = e.getBoundingClientRect(); return [q.left, q.top, q.right, q.bottom]; };
          const box = document.querySelector('.fp-overview-map');
          const tiles = [...box.querySelectorAll('img.leaflet-tile-loaded')].map(rect);
          const union = tiles.reduce((u, r) => [Math.min(u[0], r[0]), Math.min(u[1], r[1]),
            Math.max(u[2], r[2]), Math.max(u[3], r[3])], [Infinity, Infinity, -Infinity, -Infinity]);
          return { box: rect(box), union, frame: rect(box.querySelector('path')) };
        }"""
    )
    screen.shot("overview")
    # The whole image, filling the box (of the image's shape) within a pixel.
    for a, b in zip(mini["union"], mini["box"], strict=True):
        assert abs(a - b) <= 1.5, mini
    # The frame is the map's box on the image: same fractions of the image.
    ul, ut, ur, ub = mini["union"]
    ox, oy = geometry["origin"]
    s = geometry["scale"]
    x, y, w, h = geometry["box"]
    expected = [ul + (x - ox) / s / WIDTH * (ur - ul), ut + (y - oy) / s / HEIGHT * (ub - ut),
                ul + (x + w - ox) / s / WIDTH * (ur - ul), ut + (y + h - oy) / s / HEIGHT * (ub - ut)]  # fmt: skip
    for a, b in zip(mini["frame"], expected, strict=True):
        assert abs(a - b) <= 2, (mini["frame"], expected)  # the path's stroke: 1.5 px


def relative_luminance(colour):
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3])
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


STYLES = """() => {
  const s = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
  return { panel: s('#panel', 'backgroundColor'), panelText: s('#panel', 'color'),
    tab: s('#panel [role=tab]', 'color'), field: s('input[name=lo]', 'backgroundColor'),
    zoom: s('.leaflet-control-zoom-in', 'backgroundColor'), layers: s('.leaflet-control-layers', 'backgroundColor'),
    bar: s('#bar', 'backgroundColor'), readout: s('#readout', 'color'),
    scaleText: s('.fp-scalebar', 'color'), scaleBack: s('.fp-scalebar', 'backgroundColor'),
    overview: s('.fp-overview', 'backgroundColor') };
}"""


def test_the_theme_restyles_every_control(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    dark = page.evaluate(STYLES)
    screen.shot("dark")
    page.keyboard.press("t")
    page.wait_for_timeout(200)
    light = page.evaluate(STYLES)
    screen.shot("light")
    changed = [key for key in dark if dark[key] != light[key]]
    assert sorted(changed) == sorted(dark), {
        k: (dark[k], light[k]) for k in dark if k not in changed
    }
    for styles in (dark, light):
        assert contrast(styles["scaleText"], styles["scaleBack"]) >= 7
        assert contrast(styles["panelText"], styles["panel"]) >= 7
    # The choice is kept for the next page.
    page.reload()
    page.wait_for_function(TILES_DRAWN, timeout=30000)
    assert page.evaluate("document.documentElement.classList.contains('fp-light')")


def test_full_screen_keeps_the_readout_and_the_panel_toggle(screen, server, login):
    page = screen.page
    open_field(screen, server, login)
    page.click("button[name=fullscreen]")
    page.wait_for_function(
        "document.fullscreenElement && document.fullscreenElement.id === 'stage'"
    )
    geometry = wait_drawn(page)
    screen.shot("full-screen")
    assert page.locator("#readout").is_visible() and page.locator("#panel-toggle").is_visible()
    assert_map_fills_its_box(geometry)
    box = page.locator("#viewer").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    if screen.name == "phone":
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "document.querySelector('#readout .fp-value').textContent.startsWith('value')"
    )
    page.click("#panel-toggle")
    assert_map_fills_its_box(wait_drawn(page))


def test_the_visible_area_downloads_hold_what_is_seen(screen, server, login):
    import simplejpeg

    page = screen.page
    open_field(screen, server, login)
    page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal;"
        " v.map.setView([550, 750], v.image.levels - 1, { animate: false }); }"
    )
    geometry = wait_drawn(page)
    width, height = geometry["client"]
    page.click("#panel [role=tab][data-tab=share]")
    if screen.name == "phone":
        geometry = wait_drawn(page)  # the sheet opened: a smaller map
        width, height = geometry["client"]
    with page.expect_download() as snapshot:
        page.click("button[name=snapshot]")
    rows, columns, _, _ = simplejpeg.decode_jpeg_header(Path(snapshot.value.path()).read_bytes())
    # At native resolution, one image pixel per screen pixel: the map's box, no more.
    assert abs(columns - width) <= 1 and abs(rows - height) <= 1, (columns, rows, width, height)
    with page.expect_download() as cutout:
        page.click("button[name=cutout]")
    header = Path(cutout.value.path()).read_bytes()[:2880].decode("ascii")
    naxis = {
        k: int(header[i + 10 : i + 30]) for k in ("NAXIS1", "NAXIS2") for i in [header.index(k)]
    }
    assert abs(naxis["NAXIS1"] - width) <= 1 and abs(naxis["NAXIS2"] - height) <= 1, naxis
