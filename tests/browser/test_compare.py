"""The comparison page in a real browser, on a laptop (1400 x 900) and a phone (390 x 844):
two images of the same sky with different pixel scales and orientations, side by side
with their views locked on the sky, blinked at a chosen rate, and reopened from the
comparison's URL.

Where each map's centre lies on the sky is measured from the drawn tiles (their boxes,
natural sizes and URLs' tile numbers) and converted with astropy from the FITS headers
the images were written with, never with the client's own coordinate code.
"""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

ROOT = Path(__file__).resolve().parents[2]

# Two views of one patch of sky: the wide one at 0.4"/px turned 12 degrees, the other at
# 0.7"/px turned 57 degrees and mirrored (east to the right when north is up), its
# centre 25" away. The same stars are drawn in each at their sky positions.
SEED = r"""
import sys
import django
django.setup()
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from django.conf import settings
from portal.models import Collection
from portal.registration import register_path

def header(width, height, ra, dec, scale, rotation, mirrored):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(width + 1) / 2, (height + 1) / 2]
    t = np.deg2rad(rotation)
    flip = -1 if mirrored else 1
    wcs.wcs.cd = scale / 3600 * np.array([[-np.cos(t) * flip, np.sin(t)], [np.sin(t) * flip, np.cos(t)]])
    wcs.wcs.radesys = "ICRS"
    return wcs

rng = np.random.default_rng(11)
stars = np.column_stack([150.1 + rng.uniform(-0.06, 0.06, 250), 2.2 + rng.uniform(-0.06, 0.06, 250)])
fluxes = 3e3 * (rng.pareto(1.3, 250) + 1)
folder = settings.UPLOAD_ROOT / "compare"
folder.mkdir(parents=True, exist_ok=True)
collection = Collection.objects.get(slug="alice-survey")
made = []
for name, (width, height, ra, dec, scale, rotation, mirrored) in [
    ("wide", (900, 700, 150.1, 2.2, 0.4, 12.0, False)),
    ("turned", (520, 440, 150.1 + 25 / 3600, 2.2 - 10 / 3600, 0.7, 57.0, True)),
]:
    wcs = header(width, height, ra, dec, scale, rotation, mirrored)
    yy, xx = np.mgrid[0:height, 0:width]
    data = 500 + rng.normal(0, 8, (height, width))
    sigma = 1.2 / scale  # a 1.2" seeing, the same on the sky in both
    for (x, y), flux in zip(wcs.all_world2pix(stars, 0), fluxes):
        if -20 < x < width + 20 and -20 < y < height + 20:
            x0, x1 = max(int(x) - 15, 0), min(int(x) + 16, width)
            y0, y1 = max(int(y) - 15, 0), min(int(y) + 16, height)
            if x0 < x1 and y0 < y1:
                r2 = (xx[y0:y1, x0:x1] - x) ** 2 + (yy[y0:y1, x0:x1] - y) ** 2
                data[y0:y1, x0:x1] += flux / (2 * np.pi * sigma**2) * np.exp(-r2 / (2 * sigma**2))
    path = folder / f"{name}.fits"
    fits.PrimaryHDU(data.astype(np.float32), wcs.to_header()).writeto(path, overwrite=True)
    image = register_path(collection, path, title=f"Compare {name}")
    made.append(f"{name}={image.pk}:{path}")
print(" ".join(made))
"""


@pytest.fixture(scope="module")
def pair(server):
    """The two images, registered in Alice's collection of the running server:
    {name: (id, WCS from the written FITS header, (width, height))}."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(server.var), FITSPORTAL_INSECURE_DEV_KEY="1",
               DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    images = {}
    for item in done.stdout.split():
        name, rest = item.split("=", 1)
        pk, path = rest.split(":", 1)
        header = fits.getheader(path)
        images[name] = (int(pk), WCS(header), (header["NAXIS1"], header["NAXIS2"]))
    return images


# True once every tile of the current level of every map is drawn.
ALL_DRAWN = """() => {
  const root = document.getElementById('compare');
  if (!root || root.dataset.ready !== 'true') return false;
  const maps = [...document.querySelectorAll('.fp-compare-map')];
  return maps.length > 0 && maps.every((box) => {
    const f = box.fitsportal;
    if (!f || !f.layer || f.layer.isLoading()) return false;
    const level = Math.min(Math.round(f.map.getZoom()), f.image.levels - 1);
    const tiles = [...box.querySelectorAll('.fp-pyramid img.leaflet-tile')]
      .filter((t) => t.src.includes(`/tiles/${level}/`));
    return tiles.length > 0 && tiles.every((t) => t.classList.contains('leaflet-tile-loaded') && t.naturalWidth > 0);
  });
}"""

# The image point under the centre of map `index`, from its drawn tiles: [x, y] in
# pixels from the image's top left corner (x right, y down), and the screen pixels per
# image pixel. The tiles are those of the level nearest the zoom, shown 2^(zoom - level)
# times their size, their edges on whole screen pixels (within half a pixel of where
# that scale puts them): the tile nearest the image's corner places it.
CENTRE = """(index) => {
  const box = document.querySelectorAll('.fp-compare-map')[index];
  const f = box.fitsportal;
  const native = f.image.levels - 1;
  const size = f.image.tile_size;
  const zoom = f.map.getZoom();
  const level = Math.max(0, Math.min(Math.round(zoom), native));
  const perTilePixel = 2 ** (zoom - level);  // screen pixels per pixel of the tile
  let corner = null;
  for (const tile of box.querySelectorAll('.fp-pyramid img.leaflet-tile-loaded')) {
    const g = /\\/tiles\\/(\\d+)\\/(\\d+)\\/(\\d+)\\./.exec(tile.src);
    if (!g || Number(g[1]) !== level) continue;
    const [i, j] = [Number(g[2]), Number(g[3])];
    if (!corner || i + j < corner[0] + corner[1]) corner = [i, j, tile.getBoundingClientRect()];
  }
  if (!corner) return null;
  const [i, j, q] = corner;
  const left = q.left - i * size * perTilePixel;
  const top = q.top - j * size * perTilePixel;
  const b = box.getBoundingClientRect();
  const reduce = 2 ** (native - level);
  return [((b.left + b.width / 2 - left) / perTilePixel) * reduce,
          ((b.top + b.height / 2 - top) / perTilePixel) * reduce, perTilePixel / reduce];
}"""


def wait_drawn(page):
    page.wait_for_timeout(300)
    page.wait_for_function(ALL_DRAWN, timeout=60000)
    page.wait_for_timeout(300)  # Leaflet's fade-in of the last tiles


def sky_under_centres(page, pair, names=("wide", "turned")):
    """The sky position (astropy) under each map's centre, and arcseconds per screen pixel
    (the maps showing the images ``names`` in that order)."""
    found = []
    for index, name in enumerate(names):
        x, y, zoom = page.evaluate(CENTRE, index)
        _, wcs, (_, height) = pair[name]
        fits_x, fits_y = x + 0.5, height - y + 0.5
        sky = wcs.pixel_to_world(fits_x - 1, fits_y - 1)
        scale = np.sqrt(abs(np.linalg.det(wcs.pixel_scale_matrix))) * 3600 / zoom
        found.append((sky, scale))
    return found


def open_pair(screen, server, login, pair, query="", hash_=""):
    page = screen.page
    login(page, server, "alice", "alice-password")
    ids = f"{pair['wide'][0]},{pair['turned'][0]}"
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/compare/?images={ids}{query}{hash_}")
    try:
        wait_drawn(page)
    except Exception:
        pytest.fail(f"the comparison was not drawn; errors: {errors}")
    return page


def assert_linked(page, pair, tolerance, names=("wide", "turned")):
    """The same sky position under both centres (within ``tolerance`` arcseconds) at the
    same angular scale (1 %); returns arcseconds per screen pixel."""
    (wide, wide_scale), (turned, turned_scale) = sky_under_centres(page, pair, names)
    assert wide.separation(turned).arcsec < tolerance, wide.separation(turned).arcsec
    assert abs(wide_scale / turned_scale - 1) < 0.01, (wide_scale, turned_scale)
    return wide_scale


def zoom_and_drag(page, index, dx, dy, times=2):
    """Zooms map ``index`` in ``times`` about a point off its centre, then drags it."""
    box = page.locator(".fp-compare-map").nth(index).bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for _ in range(times):
        page.mouse.dblclick(cx + box["width"] / 6, cy - box["height"] / 8)
        page.wait_for_timeout(300)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + dx, cy + dy, steps=8)
    page.mouse.up()
    wait_drawn(page)


def test_linked_views_show_the_same_sky_at_both_centres(screen, server, login, pair):
    page = open_pair(screen, server, login, pair)
    screen.shot("fit")
    cells = [page.locator(".fp-compare-cell").nth(k).bounding_box() for k in range(2)]
    if screen.name == "phone":  # one above the other, each the screen's width
        assert cells[1]["y"] >= cells[0]["y"] + cells[0]["height"] - 1
        assert cells[0]["width"] >= 380 and min(c["height"] for c in cells) >= 200, cells
    else:
        assert cells[1]["x"] >= cells[0]["x"] + cells[0]["width"] - 1
        assert cells[0]["height"] >= 700, cells
    # The fit view of the first image: a screen pixel spans about an arcsecond or more,
    # and each map's centre falls on a whole screen pixel.
    fit_scale = assert_linked(page, pair, 2.0)
    # Moving the second image moves the first, and the other way round.
    zoom_and_drag(page, 1, -70, 40)
    scale = assert_linked(page, pair, 0.5)
    assert scale < fit_scale / 3, (scale, fit_scale)  # zoomed in twice
    screen.shot("zoomed")
    zoom_and_drag(page, 0, 50, -60, times=1)
    assert assert_linked(page, pair, 0.5) < scale / 1.5
    # The labels say how each image is turned relative to the first.
    note = page.locator(".fp-compare-note").nth(1).inner_text()
    assert "turned" in note and "mirrored" in note, note


def test_tile_edges_show_no_seam_between_zoom_levels(screen, server, login, pair):
    """Both images drawn flat (the same cuts below every value: white): no line where
    tiles meet, at the fit and at zooms between levels below and beyond native
    resolution, in each map (each at its own fractional zoom, the views linked)."""
    from tests.browser.test_layout import assert_no_seams

    page = open_pair(screen, server, login, pair, "&cuts=same&min=0&max=1")
    maps = [
        f"#compare-maps > .fp-compare-cell:nth-of-type({k + 1}) .fp-compare-map" for k in range(2)
    ]
    depths = {}
    # Each map's box starts on a whole screen pixel (its tiles' edges can then be too).
    corners = page.evaluate(
        "() => [...document.querySelectorAll('.fp-compare-map')].map((b) => {"
        " const q = b.getBoundingClientRect(); return [q.left, q.top, q.width, q.height]; })"
    )
    assert all(v == round(v) for corner in corners for v in corner), corners
    for step in ("fit", -0.45, 0.3, 0.62, 1.4, 0):
        if step != "fit":
            page.evaluate(
                "(step) => { const f = document.querySelector('.fp-compare-map').fitsportal;"
                " f.map.setView(f.map.getCenter(), f.image.levels - 1 + step, { animate: false }); }",
                step,
            )
            wait_drawn(page)
        zooms = page.evaluate(
            "() => [...document.querySelectorAll('.fp-compare-map')].map((b) => b.fitsportal.map.getZoom())"
        )
        assert step == 0 or all(z != round(z) for z in zooms), zooms  # between levels
        for k, selector in enumerate(maps):
            depths[(step, k)] = assert_no_seams(page, selector, f"map {k} at {step}: {zooms[k]}")
    screen.shot("flat")
    assert max(depths.values()) <= 2, depths


def shown_cell(page):
    """The index of the cell drawn at the centre of the maps' box."""
    return page.evaluate("""() => {
      const b = document.getElementById('compare-maps').getBoundingClientRect();
      const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
      return [...document.querySelectorAll('.fp-compare-cell')].indexOf(hit.closest('.fp-compare-cell'));
    }""")


def test_blink_shows_one_image_at_a_time_at_the_chosen_rate(screen, server, login, pair):
    page = open_pair(screen, server, login, pair, "&mode=blink&rate=4")
    cells = [page.locator(".fp-compare-cell").nth(k).bounding_box() for k in range(2)]
    assert cells[0] == cells[1]  # one box
    # Record each change of the image drawn at the centre for two seconds.
    page.evaluate("""() => {
      window.seen = [];
      const b = document.getElementById('compare-maps').getBoundingClientRect();
      const cells = [...document.querySelectorAll('.fp-compare-cell')];
      const look = () => {
        const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
        const index = cells.indexOf(hit.closest('.fp-compare-cell'));
        const last = window.seen[window.seen.length - 1];
        if (!last || last[0] !== index) window.seen.push([index, performance.now()]);
        requestAnimationFrame(look);
      };
      look();
    }""")
    page.wait_for_timeout(2200)
    seen = page.evaluate("window.seen")
    order = [index for index, _ in seen]
    assert -1 not in order and len(order) >= 7, seen  # 4 per second: about 8 in 2 s
    assert all(a != b for a, b in zip(order, order[1:], strict=False)), order
    intervals = np.diff([t for _, t in seen[1:]])
    assert abs(np.median(intervals) - 250) < 60, intervals
    screen.shot(f"blink-{order[-1]}")
    # Pausing stops it on one image; "next" shows the other.
    page.click("button[name=pause]")
    first = shown_cell(page)
    page.wait_for_timeout(600)
    assert shown_cell(page) == first
    page.click("button[name=next]")
    assert shown_cell(page) == 1 - first
    screen.shot("blink-next")


# Samples, at every frame, how much of the shown map's image area (the part of the image
# inside its box) is covered by drawn tiles (loaded, of any level), on a 16 x 16 grid;
# window.frames holds [shown index, covered fraction, time] per frame.
COVERAGE = """() => {
  window.frames = [];
  const cells = [...document.querySelectorAll('.fp-compare-cell')];
  const look = () => {
    const k = cells.findIndex((c) => c.dataset.shown === 'true');
    const box = cells[k].querySelector('.fp-compare-map');
    const f = box.fitsportal;
    const b = box.getBoundingClientRect();
    const a = f.map.latLngToContainerPoint(f.bounds.getSouthWest());
    const c = f.map.latLngToContainerPoint(f.bounds.getNorthEast());
    const [x0, x1] = [Math.max(0, Math.min(a.x, c.x)), Math.min(b.width, Math.max(a.x, c.x))];
    const [y0, y1] = [Math.max(0, Math.min(a.y, c.y)), Math.min(b.height, Math.max(a.y, c.y))];
    const drawn = [...f.layer.getContainer().querySelectorAll('img.leaflet-tile-loaded')]
      .filter((t) => t.complete && t.naturalWidth > 0).map((t) => t.getBoundingClientRect());
    let covered = 0;
    let total = 0;
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        const x = b.left + x0 + ((i + 0.5) * (x1 - x0)) / 16;
        const y = b.top + y0 + ((j + 0.5) * (y1 - y0)) / 16;
        total += 1;
        if (drawn.some((q) => q.left <= x && x < q.right && q.top <= y && y < q.bottom)) covered += 1;
      }
    }
    window.frames.push([k, total ? covered / total : 1, performance.now()]);
    if (!window.stopFrames) requestAnimationFrame(look);
  };
  look();
}"""


def test_blink_at_a_high_rate_shows_each_image_whole_while_the_view_changes(
    screen, server, login, pair
):
    """Blinking at the fastest rate offered (4 a second) while the view zooms in by steps about its centre (each
    view inside the last, a new level's tiles at some): every frame shown is a whole
    image (the last drawn tiles, placed for the new view, until the new ones are drawn;
    never an empty or half-drawn map), and the images still alternate at the rate."""
    page = open_pair(screen, server, login, pair, "&mode=blink&rate=4")
    page.evaluate(COVERAGE)
    page.evaluate("""() => new Promise((resolve) => {
      const f = document.querySelector('.fp-compare-map').fitsportal;
      const start = f.map.getZoom();
      let n = 0;
      const next = () => {
        if (n === 8) { resolve(); return; }
        n += 1;
        f.map.setView(f.map.getCenter(), start + 0.35 * n, { animate: false });
        setTimeout(next, 350);
      };
      next();
    })""")
    page.wait_for_timeout(300)
    frames = page.evaluate("() => { window.stopFrames = true; return window.frames; }")
    screen.shot("blink-zoomed")
    shown = [k for k, _, _ in frames]
    assert set(shown) == {0, 1}, shown  # both images were shown
    partial = [(k, round(c, 3), round(t)) for k, c, t in frames if c < 1]
    assert not partial, (len(partial), len(frames), partial[:10])
    changes = [
        t for (k, _, t), (before, _, _) in zip(frames[1:], frames, strict=False) if k != before
    ]
    assert len(changes) >= 10, len(changes)  # 4 a second for about 3 s
    assert abs(np.median(np.diff(changes)) - 250) < 60, np.diff(changes)


def test_the_comparison_url_reopens_the_same_view_and_cuts(screen, server, login, pair):
    page = open_pair(screen, server, login, pair)
    box = page.locator(".fp-compare-map").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.dblclick(cx - 30, cy + 20)
    page.wait_for_timeout(300)
    page.mouse.dblclick(cx - 30, cy + 20)
    wait_drawn(page)
    # The same cut values on both images.
    page.select_option("select[name=cuts]", "same")
    page.fill("input[name=min]", "480")
    page.fill("input[name=max]", "900")
    page.press("input[name=max]", "Enter")
    page.locator("button[name=mode][value=blink]").click()
    page.wait_for_function(
        "location.search.includes('max=900') && location.search.includes('mode=blink')"
    )
    before = sky_under_centres(page, pair)
    url = page.locator("input[name=compare-link]").input_value()
    assert url == page.url and "cuts=same" in url and "#ra=" in url, url

    fresh = page.context.new_page()
    tiles = []
    fresh.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    fresh.goto(url)
    wait_drawn(fresh)
    after = sky_under_centres(fresh, pair)
    for (sky, scale), (again, again_scale) in zip(before, after, strict=True):
        assert sky.separation(again).arcsec < 0.5, sky.separation(again).arcsec
        assert abs(again_scale / scale - 1) < 0.01
    for image_id in (pair["wide"][0], pair["turned"][0]):
        mine = [u for u in tiles if f"/images/{image_id}/tiles/" in u]
        assert mine and all("minmax=1%3A480%2C900" in u for u in mine[-3:]), mine[-3:]
    assert fresh.locator("#compare").get_attribute("data-mode") == "blink"
    fresh.close()


# A collection of five images for choosing: the pair's two files again, and three small
# fields.
PICKS = r"""
import django
django.setup()
from django.conf import settings
from django.contrib.auth.models import User
from portal.demo import write_star_field
from portal.models import Collection
from portal.registration import register_path

alice = User.objects.get(username="alice")
picks, _ = Collection.objects.get_or_create(slug="compare-picks", defaults={"name": "Compare picks", "owner": alice})
folder = settings.UPLOAD_ROOT / "compare"
made = []
for name in ("wide", "turned"):
    made.append(f"{name}={register_path(picks, folder / f'{name}.fits', title=f'Pick {name}').pk}")
for k in range(3):
    register_path(picks, write_star_field(folder / f"small{k}.fits", 200, 150, nstars=20, seed=30 + k))
print(" ".join(made))
"""


@pytest.fixture(scope="module")
def picks(server, pair):
    """The ids of the pair's images in the collection "compare-picks" (of five)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(server.var), FITSPORTAL_INSECURE_DEV_KEY="1",
               DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PICKS], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return {name: int(pk) for name, pk in (item.split("=") for item in done.stdout.split())}


def test_compare_selected_on_the_collection_page(screen, server, login, pair, picks):
    """Two to four images chosen on their cards open side by side; one is not enough, and
    a fifth cannot be chosen."""
    page = screen.page
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/c/compare-picks/")
    button = page.locator("button[name=compare-selected]")
    boxes = page.locator(".fp-images input[name=compare]")
    assert boxes.count() == page.locator(".fp-images .fp-card").count() == 5
    assert button.is_disabled()
    ids = [picks["wide"], picks["turned"]]
    pick = page.locator(f".fp-card[data-image-id='{ids[0]}'] input[name=compare]")
    pick.check()
    # Switched on, not followed: the card is a link.
    assert button.is_disabled() and page.url.endswith("/c/compare-picks/")
    page.locator(f".fp-card[data-image-id='{ids[1]}'] input[name=compare]").check()
    assert button.is_enabled()
    # Four chosen: the others cannot be; one taken away, they can again.
    others = [box for box in boxes.all() if int(box.get_attribute("value")) not in ids]
    for box in others[:2]:
        box.check()
    assert button.is_enabled() and "4 selected" in page.inner_text(".fp-compare-count")
    assert len(others[2:]) == 1 and others[2].is_disabled()
    screen.shot("collection-four")
    for box in others[:2]:
        box.uncheck()
    assert all(box.is_enabled() for box in others)
    screen.shot("collection-selected")
    button.click()
    page.wait_for_url("**/compare/?images=*")
    shown = page.evaluate("() => new URLSearchParams(location.search).get('images')")
    by_id = {picks[name]: name for name in ("wide", "turned")}
    names = [by_id[int(pk)] for pk in shown.split(",")]  # in the grid's order
    assert sorted(names) == ["turned", "wide"], shown
    wait_drawn(page)
    assert page.locator(".fp-compare-map").count() == 2
    assert_linked(page, pair, 2.0, names)
    screen.shot("compare-from-collection")


def test_an_image_one_may_not_see_is_named_like_a_missing_one(page, server, login, pair):
    login(page, server, "alice", "alice-password")
    hidden, missing = server.seed["hidden"], 987654
    page.goto(f"{server.url}/compare/?images={pair['wide'][0]},{hidden},{missing}")
    page.wait_for_function(
        "document.getElementById('compare').dataset.ready === 'true'", timeout=60000
    )
    messages = page.locator(".fp-compare-message[role=alert]").all_inner_texts()
    assert len(messages) == 2, messages
    assert messages[0].replace(str(hidden), "N") == messages[1].replace(str(missing), "N"), messages
    assert page.locator(".fp-compare-cell").count() == 1
    assert "Bob secret" not in page.content()
    # Bad lists are refused with a message.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.url}/compare/?images=1,x")
    assert refused.value.code == 400
