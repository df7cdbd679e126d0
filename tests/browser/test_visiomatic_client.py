"""The real VisiOmatic 3 web client, served by another site, pointed at our /iip/.

The client comes from its PyPI package (requirements/reference-client.txt); a page on
another origin (allowed by the portal's CORS list) loads it as VisiOmatic's own template
does, for a public image of an odd size, without an account.
"""

import functools
import importlib.util
import json
import shutil
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
import simplejpeg
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from portal.demo import star_field_wcs

from .conftest import ROOT

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="leaflet.css">
<link rel="stylesheet" href="client/css/visiomatic.css">
<script src="client/dist/visiomatic.js"></script>
<style>html, body, #map {{ width: 100%; height: 100%; margin: 0; }}</style>
</head><body><div id="map" style="background: black"></div>
<script>
  const map = L.map("map", {{zoom: 1}});
  window.vlayer = V.layer.vTileLayer("{iip}", {{mixingMode: "{mode}", defaultChannel: 0}});
  window.vlayer.addTo(map);
  V.control.coords({{position: "topright"}}).addTo(map);
  window.map = map;
</script></body></html>
"""


def client_files():
    spec = importlib.util.find_spec("visiomatic")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            "The VisiOmatic client is missing: make install (requirements/reference-client.txt)"
        )
    return Path(spec.submodule_search_locations[0]) / "client"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def visiomatic_page(server, external_origin, tmp_path_factory):
    """URL of the page on the other site; the site runs for the module's tests."""
    site = tmp_path_factory.mktemp("external-site")
    shutil.copytree(client_files(), site / "client")
    shutil.copy(ROOT / "frontend/node_modules/leaflet/dist/leaflet.css", site / "leaflet.css")
    pages = (("index.html", "public", "mono"), ("mosaic.html", "mosaic", "mono"),
             ("cube.html", "public_cube", "color"))  # fmt: skip
    for name, image, mode in pages:
        iip = f"{server.url}/iip/?FIF={server.seed[image]}"
        (site / name).write_text(PAGE.format(iip=iip, mode=mode))
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", urlparse(external_origin).port),
        functools.partial(QuietHandler, directory=str(site)),
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"{external_origin}/index.html"
    httpd.shutdown()
    httpd.server_close()


def open_client(page, url, server):
    errors, answers = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: answers.append(r) if r.url.startswith(server.url) else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length >= 1",
                           timeout=30000)  # fmt: skip
    return errors, answers


def test_the_visiomatic_client_shows_our_tiles(page, server, visiomatic_page, external_origin):
    errors, answers = open_client(page, visiomatic_page, server)
    page.wait_for_load_state("networkidle")
    info = [r for r in answers if "INFO" in r.url]
    assert info and info[0].status == 200 and info[0].json()["type"] == "visiomatic"
    assert info[0].headers["access-control-allow-origin"] == external_origin
    tiles = [r for r in answers if "JTL=" in r.url]
    assert tiles and all(r.status == 200 for r in tiles), [(r.url, r.status) for r in tiles]
    assert all(r.headers["content-type"] == "image/jpeg" for r in tiles)
    # The whole image at the client's opening zoom: a star field, not a blank tile.
    pixels = simplejpeg.decode_jpeg(tiles[0].body(), colorspace="GRAY")
    assert pixels.std() > 1.0
    # Zoom to full resolution (the client's native zoom): every tile it asks for exists.
    levels = info[0].json()["tile_levels"]
    answers.clear()
    page.evaluate(f"map.setView(map.unproject([491, 530], {levels - 1}), {levels - 1})")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length >= 4")
    native = [r for r in answers if f"JTL={levels - 1}," in r.url]
    assert native and all(r.status == 200 for r in native), [(r.url, r.status) for r in native]
    # Its coordinates, from the WCS our INFO gave it, agree with astropy's (to a pixel or
    # two: the client's and FITS' pixel centres differ by a half).
    shown = page.input_value(".leaflet-control-coords-input")
    header = fits.getheader(Path(server.var) / "data/seed/odd.fits")
    ra, dec = WCS(header).all_pix2world([[491.5, 1061 - 530 + 0.5]], 1)[0]
    centre = SkyCoord(*shown.split(), unit=("hourangle", "deg"))
    assert centre.separation(SkyCoord(ra, dec, unit="deg")).arcsec < 1.0, shown
    # And exactly, through its CRS: FITS pixel (x, y) is Leaflet point (x - 0.5, H - y + 0.5).
    for x, y in ((1, 1), (983, 1061), (100.25, 900.75)):
        sky = page.evaluate(f"map.unproject([{x - 0.5}, {1061 - y + 0.5}], {levels - 1})")
        ra, dec = WCS(header).all_pix2world([[x, y]], 1)[0]
        seen = SkyCoord(sky["lng"], sky["lat"], unit="deg")
        assert seen.separation(SkyCoord(ra, dec, unit="deg")).arcsec < 0.05, (x, y, sky)
    assert errors == []


def test_the_visiomatic_client_reads_pixel_values(page, server, visiomatic_page):
    """VAL and PFL as the client sends them, cross-origin, against the FITS pixels."""
    errors, _answers = open_client(page, visiomatic_page, server)
    data = fits.getdata(Path(server.var) / "data/seed/odd.fits").astype(np.float64)
    values = page.evaluate("async () => (await fetch(vlayer._url + '&CHAN=1&VAL=101,201')).json()")
    assert values["values"][0] == pytest.approx(data[200, 100], rel=1e-6)
    profile = page.evaluate(
        "async () => (await fetch(vlayer._url + '&CHAN=1&PFL=10,20:15,20')).json()"
    )["profile"]
    assert [p["x"] for p in profile] == list(range(9, 15))
    np.testing.assert_allclose([p["values"][0] for p in profile], data[19, 9:15], rtol=1e-6)
    assert errors == []


def test_a_private_image_is_refused_to_the_client(server):
    """Without an account the IIP endpoint does not even admit the image exists."""
    url = f"{server.url}/iip/?FIF={server.seed['image']}&INFO"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 404
    assert "detail" in json.loads(refused.value.read())


def test_the_visiomatic_client_places_a_mosaic(page, server, visiomatic_page):
    """A 2 x 2 mosaic with a flipped amplifier: the client's per-extension WCS (from our
    INFO) gives the mosaic's sky coordinates in every amplifier."""
    url = visiomatic_page.replace("index.html", "mosaic.html")
    errors, answers = open_client(page, url, server)
    page.wait_for_load_state("networkidle")
    info = next(r for r in answers if "INFO" in r.url).json()
    assert info["full_size"] == [600, 800] and len(info["images"]) == 4
    assert info["images"][3]["detslice"] == [[600, 301, -1], [401, 800, 1]]
    wcs = star_field_wcs(600, 800)
    zoom = info["tile_levels"] - 1
    for x, y in ((150, 200), (450, 200), (150, 600), (450, 600)):  # FITS pixels, 1-based
        # The sky position the client's own WCS gives the view centre, that pixel.
        centre = page.evaluate(f"map.unproject([{x - 0.5}, {800 - y + 0.5}], {zoom})")
        ra, dec = wcs.all_pix2world([[x, y]], 1)[0]
        seen = SkyCoord(centre["lng"], centre["lat"], unit="deg")
        assert seen.separation(SkyCoord(ra, dec, unit="deg")).arcsec < 0.05, (x, y, centre)
    assert errors == []


def test_the_visiomatic_client_mixes_the_planes_of_a_cube(page, server, visiomatic_page):
    """Colour mode: the client's MIX and MINMAX rows, rendered as a colour composite."""
    url = visiomatic_page.replace("index.html", "cube.html")
    errors, answers = open_client(page, url, server)
    page.wait_for_load_state("networkidle")
    tiles = [r for r in answers if "JTL=" in r.url]
    assert tiles and all(r.status == 200 for r in tiles), [(r.url, r.status) for r in tiles]
    assert all("MIX=" in r.url for r in tiles)
    rgb = simplejpeg.decode_jpeg(tiles[0].body()).reshape(-1, 3).astype(int)
    # Three planes of independent noise, one per colour: colour noise, not grey.
    assert (rgb.max(axis=1) - rgb.min(axis=1)).mean() > 5
    assert errors == []
