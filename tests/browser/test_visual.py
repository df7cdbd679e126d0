"""What the viewer shows, checked on the screen at 1400 x 900 and 390 x 844: the readout
gives the FITS pixel under the cursor; the pixels at a catalog's stars take the colours
of the chosen colormap; playing a cube shows each plane's level in turn; and whole
screenshots match stored references, so a visual regression fails.

Expected values never come from the client: screen positions are worked out from the
drawn tiles (their boxes and the tile numbers in their URLs), pixel values are read from
the FITS file with astropy, colours from matplotlib's colormaps and the IIP rendering
definition (``out = uint8(255.49 * v ** (1 / GAM))``, ``v`` the fraction of the cuts).

References: ``tests/browser/references/<test>-<screen>.png``, screenshots at half size
(2 x 2 means). A screenshot matches when its mean difference from the reference is at
most ``MEAN_TOLERANCE`` levels and at most ``CHANGED_TOLERANCE`` of its pixels differ by
more than ``PIXEL_TOLERANCE`` in any colour (a tint over a wide area fails, and so does a
small sharp change: a marker, a label); a failure saves the screenshot and a difference
image beside the other artefacts. After an intended change of what the
viewer looks like, regenerate the references and look at them before committing:

    FITSPORTAL_UPDATE_REFERENCES=1 .venv/bin/python -m pytest tests/browser/test_visual.py \
        -k reference -p no:asyncio
"""

import json
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import pyvips
from astropy.io import fits
from astropy.wcs import WCS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
REFERENCES = Path(__file__).with_name("references")
UPDATE_REFERENCES = bool(os.environ.get("FITSPORTAL_UPDATE_REFERENCES"))
MEAN_TOLERANCE = 0.5
PIXEL_TOLERANCE = 24
CHANGED_TOLERANCE = 20

# True once the viewer shows one tile layer, all of its tiles of the current level
# loaded and faded in, every one of them asked for with ``wanted`` in its URL.
DRAWN = """(wanted) => {
  const v = document.getElementById('viewer');
  const f = v && v.fitsportal;
  if (!f || !f.layer || f.layer.isLoading()) return false;
  if (v.querySelectorAll(':scope > .leaflet-map-pane .fp-pyramid').length !== 1) return false;
  const level = Math.max(0, Math.min(Math.round(f.map.getZoom()), f.image.levels - 1));
  const tiles = [...f.layer.getContainer().querySelectorAll('img.leaflet-tile')]
    .filter((t) => t.src.includes(`/tiles/${level}/`));
  return tiles.length > 0 && tiles.every((t) => t.classList.contains('leaflet-tile-loaded')
    && t.complete && t.naturalWidth > 0 && getComputedStyle(t).opacity === '1'
    && t.src.includes(wanted));
}"""

# Where the image lies on the screen: the top left corner of its first pixel (from a
# tile's box less its tile number times the tile's size on the screen), the screen
# pixels per image pixel, the image's box on the screen and the map's.
GEOMETRY = """() => {
  const v = document.getElementById('viewer');
  const f = v.fitsportal;
  const native = f.image.levels - 1;
  const zoom = f.map.getZoom();
  const scale = 2 ** (zoom - native);
  // The level nearest the zoom (Leaflet rounds it), its tiles 2^(zoom - level) times
  // their size, their edges on whole screen pixels: the tile nearest the corner places it.
  const level = Math.max(0, Math.min(Math.round(zoom), native));
  const size = f.image.tile_size * 2 ** (zoom - level);
  let origin = null;
  let nearest = Infinity;
  for (const tile of f.layer.getContainer().querySelectorAll('img.leaflet-tile-loaded')) {
    const g = /\\/tiles\\/(\\d+)\\/(\\d+)\\/(\\d+)\\./.exec(tile.src);
    if (!g || Number(g[1]) !== level || Number(g[2]) + Number(g[3]) >= nearest) continue;
    nearest = Number(g[2]) + Number(g[3]);
    const box = tile.getBoundingClientRect();
    origin = [box.left - Number(g[2]) * size, box.top - Number(g[3]) * size];
  }
  const box = v.getBoundingClientRect();
  return { origin, scale, zoom, native, width: f.image.width, height: f.image.height,
           map: [box.left, box.top, box.right, box.bottom] };
}"""


def wait_drawn(page, wanted=""):
    page.wait_for_function(DRAWN, arg=wanted, timeout=30000, polling=100)
    return page.evaluate(GEOMETRY)


def open_image(screen, server, login, image, hash_=""):
    page = screen.page
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed[image]}/{'#' + hash_ if hash_ else ''}")
    return wait_drawn(page)


def show_tab(page, name):
    if (
        page.get_attribute("#panel", "data-open") != "true"
        or page.get_attribute("#panel", "data-tab") != name
    ):
        page.click(f"#panel [role=tab][data-tab={name}]")


def fold_sheet(screen):
    """On a phone, fold the bottom sheet (the fit view takes the whole map again)."""
    if screen.name == "phone" and screen.page.get_attribute("#panel", "data-open") == "true":
        screen.page.click(
            "#panel [role=tab][data-tab=" + screen.page.get_attribute("#panel", "data-tab") + "]"
        )


def shot_if_steady(page, wanted="", **options):
    """A screenshot and the geometry of one drawn rendering, or None when another one
    came (or began to load) while it was taken: the viewer replaces a rendering by a
    new layer, which fades in."""
    geometry = wait_drawn(page, wanted)
    page.evaluate(
        "() => { window.shotLayer = document.getElementById('viewer').fitsportal.layer; }"
    )
    png = page.screenshot(**options)
    steady = page.evaluate(
        "(wanted) => document.getElementById('viewer').fitsportal.layer === window.shotLayer"
        f" && ({DRAWN})(wanted)",
        wanted,
    )
    return (geometry, decode_png(png)) if steady and page.evaluate(GEOMETRY) == geometry else None


def steady_shot(page, wanted="", **options):
    for _ in range(5):
        shot = shot_if_steady(page, wanted, **options)
        if shot:
            return shot
    pytest.fail("The rendering kept changing")


def decode_png(png):
    picture = pyvips.Image.new_from_buffer(png, "")
    pixels = np.ndarray(buffer=picture.write_to_memory(), dtype=np.uint8,
                        shape=[picture.height, picture.width, picture.bands])  # fmt: skip
    return pixels[..., :3]


def encode_png(pixels, path):
    height, width, bands = pixels.shape
    picture = pyvips.Image.new_from_memory(np.ascontiguousarray(pixels).data, width, height,
                                           bands, "uchar")  # fmt: skip
    picture.pngsave(str(path), compression=9)


def screen_of(geometry, x, y):
    """The screen point at the centre of FITS pixel (x, y)."""
    ox, oy = geometry["origin"]
    s = geometry["scale"]
    return ox + (x - 0.5) * s, oy + (geometry["height"] - y + 0.5) * s


def sample(pixels, point, half=1):
    """The median colour of the (2 half + 1)^2 screen pixels around ``point``."""
    col, row = int(point[0]), int(point[1])
    block = pixels[row - half : row + half + 1, col - half : col + half + 1].reshape(-1, 3)
    return np.median(block, axis=0)


def fits_data(server, name):
    with fits.open(server.var / "data" / "seed" / name) as hdus:
        return hdus[0].data.astype(np.float64), WCS(hdus[0].header)


# -- the readout ------------------------------------------------------------------------


def test_the_readout_gives_the_fits_pixel_under_the_cursor(screen, server, login):
    page = screen.page
    open_image(screen, server, login, "image")
    data, _ = fits_data(server, "field.fits")
    # Four screen pixels per image pixel, the view centred on the middle of the field.
    page.evaluate(
        "() => { const f = document.getElementById('viewer').fitsportal;"
        " f.map.setView([550, 750], f.image.levels + 1, { animate: false }); }"
    )
    checked = 0
    for fx, fy in ((0.5, 0.5), (0.2, 0.3), (0.8, 0.25), (0.3, 0.8), (0.75, 0.7)):
        # Measured before each reading: a first reading may change the map's box (the
        # readout bar takes its text), and the map keeps its centre.
        geometry = wait_drawn(page)
        assert geometry["scale"] == 4, (fx, fy, geometry)
        ox, oy = geometry["origin"]
        assert ox == round(ox) and oy == round(oy), geometry  # tiles on whole screen pixels
        left, top, right, bottom = geometry["map"]
        # A screen pixel inside an image pixel, away from its edges: the third of four.
        sx = left + fx * (right - left)
        sy = top + fy * (bottom - top)
        col, row = int((sx - ox) // 4), int((sy - oy) // 4)
        sx, sy = ox + 4 * col + 2, oy + 4 * row + 2
        x, y = col + 1, geometry["height"] - row
        if screen.name == "phone":
            # Two taps within Leaflet's double-tap delay (200 ms), wherever they are, zoom.
            page.wait_for_timeout(250)
            page.touchscreen.tap(sx, sy)
        else:
            page.mouse.move(sx, sy)
        page.wait_for_function(
            "([x, y]) => { const r = document.getElementById('readout');"
            " return Math.round(Number(r.dataset.x)) === x && Math.round(Number(r.dataset.y)) === y"
            " && r.querySelector('.fp-value').textContent.startsWith('value '); }",
            arg=[x, y],
            timeout=10000,
        )
        readout = page.locator("#readout")
        assert abs(float(readout.get_attribute("data-x")) - x) < 0.5
        assert abs(float(readout.get_attribute("data-y")) - y) < 0.5
        expected = data[y - 1, x - 1]
        neighbours = data[y - 2 : y + 1, x - 2 : x + 1].ravel()
        assert sum(v == pytest.approx(expected, rel=1e-6) for v in neighbours) == 1  # telling
        value = json.loads(readout.get_attribute("data-values"))[0]
        assert value == pytest.approx(expected, rel=1e-6), (x, y)
        shown = page.inner_text("#readout .fp-value").split()[1]
        assert float(shown) == pytest.approx(expected, rel=5e-6), (shown, expected)
        checked += 1
    assert checked == 5
    screen.shot("readout")


# -- colours at the catalog's stars -----------------------------------------------------

LO, HI = 100.0, 900.0  # the cuts the pattern is shown with


def expected_index(level):
    """The 8-bit index of ``level`` under the cuts LO..HI, linear, gamma 1."""
    v = min(max((level - LO) / (HI - LO), 0.0), 1.0)
    return int(255.49 * v)


def star_pixels(page, server):
    catalog = server.seed["stars_catalog"]
    features = page.request.get(f"{server.url}/api/catalogs/{catalog}/features/").json()
    _, wcs = fits_data(server, "stars.fits")
    stars = []
    for feature in features["features"]:
        ra, dec = feature["geometry"]["coordinates"]
        x, y = wcs.all_world2pix([[ra, dec]], 1)[0]
        stars.append((float(x), float(y), feature["properties"]["level"]))
    assert len(stars) == 5
    return stars


def test_the_pixels_at_catalog_stars_take_the_colormaps_colours(screen, server, login):
    page = screen.page
    catalog = server.seed["stars_catalog"]
    # At native resolution (one screen pixel per image pixel, the stars 13 pixels wide):
    # smaller, JPEG's colour subsampling would blend the stars into the sky.
    geometry = open_image(screen, server, login, "stars",
                          f"x=256.5&y=192.5&zoom=1&minmax=1:{LO},{HI}&gamma=1&quality=100&layers={catalog}")  # fmt: skip
    assert geometry["scale"] == 1, geometry
    page.wait_for_function(
        "() => { const c = document.getElementById('viewer').fitsportal.catalogs;"
        " return c && c.length === 1 && c[0].loaded === 5; }",
        timeout=10000,
    )
    stars = star_pixels(page, server)
    geometry, grey = steady_shot(page)
    points = [screen_of(geometry, x, y) for x, y, _ in stars]
    screen.shot("grey")
    for (x, y, level), point in zip(stars, points, strict=True):
        index = expected_index(level)
        assert np.abs(sample(grey, point) - index).max() <= 3, (x, y, sample(grey, point), index)
    # The catalog's markers (rings of 5 px in its colour, #ffcc00) are centred on the stars.
    for point in points:
        col, row = int(point[0]), int(point[1])
        window = grey[row - 9 : row + 10, col - 9 : col + 10].astype(int)
        ring = (window[..., 0] > 200) & (window[..., 1] > 150) & (window[..., 2] < 90)
        rows, cols = np.nonzero(ring)
        assert len(rows) >= 8, point
        assert abs(cols.mean() - 9 - (point[0] - col - 0.5)) <= 1, (point, cols.mean())
        assert abs(rows.mean() - 9 - (point[1] - row - 0.5)) <= 1, (point, rows.mean())

    show_tab(page, "colour")
    page.select_option("select[name=colormap]", "viridis")
    fold_sheet(screen)  # on a phone, the map takes its box back: the same view
    now, viridis = steady_shot(page, "colormap=viridis")
    assert now == geometry
    screen.shot("viridis")
    table = matplotlib.colormaps["viridis"]
    for (x, y, level), point in zip(stars, points, strict=True):
        expected = np.round(np.array(table(expected_index(level) / 255)[:3]) * 255)
        seen = sample(viridis, point)
        assert np.abs(seen - expected).max() <= 6, (x, y, seen, expected)
        assert np.abs(seen - sample(grey, point)).max() > 30  # the colour did change


def test_single_pixels_show_the_data_without_compression_artefacts(screen, server, login):
    """Zoomed to 16 screen pixels per image pixel around a star of the test pattern (a
    flat disk of 300 ADU on a sky of about 115): each pixel outside the disk is drawn at
    the grey its value maps to (one grey for one value, the map increasing), as ds9 shows
    it; JPEG tiles ring around the disk's edge by several levels."""
    page = screen.page
    geometry = open_image(screen, server, login, "stars", "x=256&y=192&zoom=5")
    assert geometry["scale"] == 16, geometry
    native = geometry["native"]
    sources = page.evaluate(
        "(level) => [...document.querySelectorAll('#viewer .fp-pyramid img.leaflet-tile-loaded')]"
        ".map(t => t.src).filter(s => s.includes(`/tiles/${level}/`))",
        native,
    )
    assert sources and all(".png?" in source for source in sources), sources
    geometry, pixels = steady_shot(page)
    screen.shot("pixels")
    data, _ = fits_data(server, "stars.fits")
    left, top, right, bottom = geometry["map"]
    values, greys = [], []
    for y in range(182, 203):
        for x in range(246, 267):
            r2 = (x - 256) ** 2 + (y - 192) ** 2
            if r2 <= 36 or r2 > 100:
                continue  # the disk itself, or too far from its edge to ring
            col, row = screen_of(geometry, x, y)
            if not (left + 4 < col < right - 4 and top + 4 < row < bottom - 4):
                continue
            values.append(data[y - 1, x - 1])
            greys.append(sample(pixels, (col, row), half=2).mean())
    assert len(values) > 100, len(values)  # the ring is in view on both screens
    values, greys = np.array(values), np.array(greys)
    slope, offset = np.polyfit(values, greys, 1)
    assert slope > 0  # brighter sky, lighter grey
    residual = np.abs(greys - (slope * values + offset))
    assert residual.max() <= 2.5, (residual.max(), int((residual > 2.5).sum()))


# -- playing a cube ---------------------------------------------------------------------

# The seeded cube's planes are 100, 200 and 300 (noise 1); with cuts 0..400 on each and
# gamma 1, plane k is grey level int(255.49 * k / 4).
CUBE_VIEW = "channel=&minmax=1:0,400&minmax=2:0,400&minmax=3:0,400&gamma=1&quality=100"
PLANE_LEVELS = {1: 63, 2: 127, 3: 191}


def level_at_centre(page, wanted="", steady=True):
    """The median colour of 21 x 21 screen pixels at the centre of the cube's image (None
    when the rendering changed while it was looked at, unless ``steady``)."""
    geometry = wait_drawn(page, wanted)
    cx, cy = screen_of(geometry, 200.5, 150.5)
    clip = {"x": int(cx) - 10, "y": int(cy) - 10, "width": 21, "height": 21}
    shot = (steady_shot if steady else shot_if_steady)(page, wanted, clip=clip)
    return None if shot is None else np.median(shot[1].reshape(-1, 3), axis=0)


def shown_channel(page):
    """The channel every drawn tile shows (0: the colour composite), or None."""
    return page.evaluate(
        f"() => {{ for (const c of ['channel=1', 'channel=2', 'channel=3', '']) {{"
        f" if (({DRAWN})(c)) return c ? Number(c.slice(-1)) : 0; }} return null; }}"
    )


def test_playing_a_cube_shows_each_planes_level_in_turn(screen, server, login):
    page = screen.page
    open_image(screen, server, login, "cube", CUBE_VIEW)
    # First, the colour composite: the first plane blue, the second green, the third red.
    assert shown_channel(page) == 0
    composite = level_at_centre(page)
    assert np.abs(composite - [191, 127, 63]).max() <= 3, composite
    screen.shot("composite")
    show_tab(page, "colour")
    page.fill("input[name=fps]", "1")
    page.click("button[name=play]")
    assert page.inner_text("button[name=play]") == "❚❚ Pause"
    fold_sheet(screen)
    # Each frame as it is drawn (one a second): its level is its plane's; a frame that
    # changed while its screenshot was taken is looked at again on the next round.
    shown = []
    while len(shown) < 4:
        expected = 1 + len(shown) % 3
        level = level_at_centre(page, f"channel={expected}", steady=False)
        if level is None:
            continue
        assert np.abs(level - PLANE_LEVELS[expected]).max() <= 2, (expected, level)
        shown.append(expected)
        screen.shot(f"plane-{len(shown)}")
    show_tab(page, "colour")
    page.click("button[name=play]")
    assert page.inner_text("button[name=play]") == "▶ Play"
    # The rate is no render parameter: changing it draws nothing new.
    page.evaluate(
        "() => { window.shownLayer = document.getElementById('viewer').fitsportal.layer; }"
    )
    page.fill("input[name=fps]", "4")
    page.press("input[name=fps]", "Tab")
    assert page.evaluate(
        "() => document.getElementById('viewer').fitsportal.layer === window.shownLayer"
        " && document.querySelectorAll('#viewer > .leaflet-map-pane .fp-pyramid').length === 1"
    )
    # A reset while playing stops the playing: the default display stays.
    page.click("button[name=play]")
    wait_drawn(page, "channel=")
    show_tab(page, "image")
    page.click("button[name=reset]")
    fold_sheet(screen)
    wait_drawn(page)
    page.wait_for_timeout(1000)  # four frames at 4 a second, if it still played
    assert shown_channel(page) == 0
    assert page.inner_text("button[name=play]") == "▶ Play"


# -- references -------------------------------------------------------------------------


def half_size(pixels):
    """2 x 2 means: a screenshot at half size (what the references hold)."""
    height, width = (pixels.shape[0] // 2) * 2, (pixels.shape[1] // 2) * 2
    blocks = pixels[:height, :width].astype(np.uint16).reshape(height // 2, 2, width // 2, 2, 3)
    return ((blocks.sum(axis=(1, 3)) + 2) // 4).astype(np.uint8)


def compare_with_reference(pixels, name):
    """Fails when the screenshot ``pixels`` differs from ``references/<name>.png`` beyond
    the tolerances (or writes it there, with FITSPORTAL_UPDATE_REFERENCES set)."""
    seen = half_size(pixels)
    path = REFERENCES / f"{name}.png"
    if UPDATE_REFERENCES:
        REFERENCES.mkdir(exist_ok=True)
        encode_png(seen, path)
        return
    assert path.exists(), f"No reference {path.name}: run with FITSPORTAL_UPDATE_REFERENCES=1"
    reference = decode_png(path.read_bytes())
    assert seen.shape == reference.shape, (seen.shape, reference.shape)
    difference = np.abs(seen.astype(int) - reference).max(axis=2)
    mean = difference.mean()
    changed = int((difference > PIXEL_TOLERANCE).sum())
    if mean > MEAN_TOLERANCE or changed > CHANGED_TOLERANCE:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        encode_png(seen, ARTIFACTS / f"{name}-seen.png")
        encode_png(np.repeat(np.minimum(255, 4 * difference)[..., None], 3, axis=2).astype(np.uint8),
                   ARTIFACTS / f"{name}-difference.png")  # fmt: skip
    assert mean <= MEAN_TOLERANCE and changed <= CHANGED_TOLERANCE, (
        f"{name}: mean difference {mean:.2f} (at most {MEAN_TOLERANCE}), "
        f"{changed} pixels differ by more than {PIXEL_TOLERANCE} "
        f"(at most {CHANGED_TOLERANCE}); see {name}-seen.png and {name}-difference.png"
    )


def test_the_viewer_looks_like_its_references(screen, server, login):
    """The test pattern with its catalog, in the default display (zscale, grey, gamma
    2.2), the panel and the overview as each screen opens them."""
    page = screen.page
    catalog = server.seed["stars_catalog"]
    open_image(screen, server, login, "stars", f"layers={catalog}")
    page.wait_for_function(
        "() => { const c = document.getElementById('viewer').fitsportal.catalogs;"
        " return c && c.length === 1 && c[0].loaded === 5; }",
        timeout=10000,
    )
    if screen.name == "desktop":  # the overview's tiles and the histogram are in view
        page.wait_for_selector(".fp-overview .leaflet-tile-loaded")
        page.wait_for_selector(".fp-histogram-box canvas")
    page.wait_for_load_state("networkidle")
    _, pixels = steady_shot(page)
    screen.shot("reference")
    compare_with_reference(pixels, f"pattern-{screen.name}")
