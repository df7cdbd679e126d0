"""Go-to by object name and survey catalogs in the viewer, on a laptop and a phone.

A portal of its own for this module: survey catalogs enabled, with VizieR a local HTTP
server started here that answers cone queries with a VOTable of sources placed at known
pixels of the seeded images. One image in RA/Dec, one in galactic coordinates (read and
entered as l, b; catalogs placed on it through RA/Dec).

Run as a script (``python test_names.py``, Django set up), the module seeds that portal.
"""

import io
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from astropy.wcs import WCS

ROOT = Path(__file__).resolve().parents[2]
NAMED = (800, 600)  # the RA/Dec image's width, height
GALACTIC = (400, 300)
TARGET = (123.4, 345.6)  # the FITS pixel of the catalog source "Target One"
SURVEY_PIXELS = [(200.0, 150.0), (600.0, 450.0), (400.5, 300.5), (95.0, 520.0)]
GALACTIC_PIXELS = [(100.0, 100.0), (300.0, 200.0), (200.5, 150.5)]

CENTRE = """() => { const v = document.getElementById('viewer').fitsportal; const c = v.map.getCenter();
  return [c.lng + 0.5, v.image.height - c.lat + 0.5]; }"""
READY = "() => { const v = document.getElementById('viewer'); return Boolean(v && v.fitsportal && v.fitsportal.catalogs); }"
# The FITS pixels of a survey layer's markers, and where each is drawn on the screen.
MARKERS = """(n) => { const v = document.getElementById('viewer').fitsportal;
  const box = v.map.getContainer().getBoundingClientRect();
  return v.catalogs.surveys[n].group.getLayers().map((m) => { const p = m.getLatLng();
    const q = v.map.latLngToContainerPoint(p);
    return { x: p.lng + 0.5, y: v.image.height - p.lat + 0.5, sx: box.left + q.x, sy: box.top + q.y,
             name: m.feature.properties.name, colour: v.catalogs.surveys[n].colour }; }); }"""


def named_wcs():
    from portal.demo import star_field_wcs

    return star_field_wcs(*NAMED)


def galactic_wcs():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["GLON-TAN", "GLAT-TAN"]
    wcs.wcs.crval = [120.0, 10.0]
    wcs.wcs.crpix = [GALACTIC[0] / 2 + 0.5, GALACTIC[1] / 2 + 0.5]
    wcs.wcs.cdelt = [-1.0 / 3600, 1.0 / 3600]
    return wcs


def survey_sources():
    """(ra, dec) ICRS of the survey's sources: at SURVEY_PIXELS of the RA/Dec image and
    GALACTIC_PIXELS of the galactic one, brightest first in that order."""
    radec = named_wcs().pixel_to_world_values(*np.array(SURVEY_PIXELS).T - 1)
    sky = galactic_wcs().pixel_to_world(*np.array(GALACTIC_PIXELS).T - 1).icrs
    ras = np.concatenate([radec[0], sky.ra.deg])
    decs = np.concatenate([radec[1], sky.dec.deg])
    return ras, decs


class VizieR(ThreadingHTTPServer):
    """VizieR's VOTable query for a cone: the sources of ``survey_sources`` inside it."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), VizieRHandler)
        self.asked = []

    def answer(self, form):
        from astropy.io.votable import from_table, writeto
        from astropy.table import Table

        from catalogs.geometry import angular_distance

        ra, dec = (float(v) for v in re.fullmatch(r"([\d.]+)\s*([+-][\d.]+)", form["-c"]).groups())
        ras, decs = survey_sources()
        table = Table({"_RAJ2000": ras, "_DEJ2000": decs, "Source": np.arange(len(ras)) + 1,
                       "Gmag": 10.0 + np.arange(len(ras))})  # fmt: skip
        table = table[angular_distance(ra, dec, ras, decs) <= float(form["-c.rd"])]
        out = io.BytesIO()
        writeto(from_table(table), out)
        return out.getvalue()


class VizieRHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
        self.server.asked.append(form)
        answer = self.server.answer(form)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def vizier():
    server = VizieR()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def names_portal(tmp_path_factory, vizier):
    """A seeded portal offering survey catalogs from the local VizieR."""
    var = tmp_path_factory.mktemp("names-var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(var), FITSPORTAL_INSECURE_DEV_KEY="1", DEBUG="0",
               DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT),
               FITSPORTAL_SURVEY_CATALOGS="1",
               FITSPORTAL_VIZIER_URL=f"http://127.0.0.1:{vizier.server_address[1]}/viz-bin/votable")  # fmt: skip
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    seeded = subprocess.run([python, __file__], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)  # fmt: skip
    port = _free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(
                    "The server did not start:\n" + (var / "server.log").read_text()[-3000:]
                )
            time.sleep(0.2)
    info = dict(line.split("=", 1) for line in seeded.stdout.split() if "=" in line)
    yield type("Portal", (), {"url": base, "seed": info})
    process.terminate()
    process.wait(timeout=20)
    log.close()


def open_image(screen, portal, login, key):
    page = screen.page
    login(page, portal, "alice", "alice-password")
    page.goto(f"{portal.url}/images/{portal.seed[key]}/")
    page.wait_for_function(READY, timeout=60000)
    return page


def go_to(page, text, state="found"):
    page.evaluate(
        "() => document.getElementById('viewer').fitsportal.map.setView([0, 0], 0, { animate: false })"
    )
    page.fill("#goto", text)
    page.press("#goto", "Enter")
    page.wait_for_function(
        f"() => document.getElementById('goto').dataset.state === '{state}'", timeout=30000
    )
    page.wait_for_timeout(400)  # past Leaflet's zoom animation


def show_survey(page, name):
    if page.locator(".leaflet-control-layers-toggle").is_visible():  # folded on a phone
        page.click(".leaflet-control-layers-toggle")
    page.evaluate("() => { window.fpLoaded = []; document.getElementById('viewer').fitsportal.map"
                  ".on('fp:catalogloaded', (e) => window.fpLoaded.push(e.count)); }")  # fmt: skip
    page.locator(".leaflet-control-layers label", has_text=name).locator("input").check()
    page.wait_for_function("() => window.fpLoaded.length > 0", timeout=30000)


def assert_ring_drawn(png, x, y, colour):
    """Pixels of the marker's colour on its 5 px ring around screen point (x, y)."""
    import pyvips

    picture = pyvips.Image.new_from_buffer(png, "")
    pixels = np.ndarray(buffer=picture.write_to_memory(), dtype=np.uint8,
                        shape=(picture.height, picture.width, picture.bands))  # fmt: skip
    yy, xx = np.mgrid[-8:9, -8:9]
    ring = np.abs(np.hypot(xx, yy) - 5) <= 1
    near = pixels[int(round(y)) - 8 : int(round(y)) + 9, int(round(x)) - 8 : int(round(x)) + 9, :3]
    rgb = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]  # "#rrggbb"
    close = np.all(np.abs(near.astype(int) - rgb) <= 60, axis=2)
    assert close[ring].sum() >= 10, (x, y, close[ring].sum())
    assert close[~ring & (np.hypot(xx, yy) < 2.5)].sum() == 0  # a ring, not a disk


def test_go_to_an_object_name(screen, names_portal, login):
    page = open_image(screen, names_portal, login, "named")
    # A source of the portal's own catalog, case and spaces aside.
    go_to(page, "target one")
    x, y = page.evaluate(CENTRE)
    assert abs(x - TARGET[0]) <= 0.5 and abs(y - TARGET[1]) <= 0.5, (x, y)
    screen.shot("go-to-name")
    # An image's OBJECT: the centre of its field.
    go_to(page, "NGC 4567")
    x, y = page.evaluate(CENTRE)
    assert abs(x - (NAMED[0] + 1) / 2) <= 1 and abs(y - (NAMED[1] + 1) / 2) <= 1, (x, y)
    # A name found nowhere (Sesame is off): said, and the view stays.
    before = page.evaluate(CENTRE)
    page.fill("#goto", "Nothing Such 42")
    page.press("#goto", "Enter")
    page.wait_for_function("() => document.getElementById('goto').dataset.state === 'unknown'")
    assert "No object" in page.evaluate("() => document.getElementById('goto').validationMessage")
    assert page.evaluate(CENTRE) == before
    screen.shot("unknown-name")


def test_a_survey_catalog_is_drawn_at_its_sources_pixels(screen, names_portal, login, vizier):
    page = open_image(screen, names_portal, login, "named")
    show_survey(page, "Gaia DR3 (VizieR)")
    page.wait_for_timeout(500)
    markers = page.evaluate(MARKERS, 0)
    assert len(markers) == len(SURVEY_PIXELS), markers  # the galactic image's are elsewhere
    for x, y in SURVEY_PIXELS:
        (marker,) = [m for m in markers if abs(m["x"] - x) < 0.05 and abs(m["y"] - y) < 0.05]
        assert marker["name"].startswith("Gaia DR3 ")
    assert vizier.asked and vizier.asked[-1]["-source"] == "I/355/gaiadr3"
    if page.locator(".leaflet-control-layers-toggle").is_visible():
        page.click("#readout")  # fold the list away again on the phone
    page.wait_for_timeout(300)
    png = page.screenshot()
    for marker in markers:
        assert_ring_drawn(png, marker["sx"], marker["sy"], marker["colour"])
    screen.shot("survey")


def test_a_link_reopens_the_same_survey_and_catalog_layers(screen, names_portal, login, vizier):
    """A shared view shows the survey catalogs and the portal's catalogs it was shown with."""
    page = open_image(screen, names_portal, login, "named")
    image = names_portal.seed["named"]
    offered = page.request.get(f"{names_portal.url}/api/images/{image}/surveys/").json()
    (gaia,) = [s["key"] for s in offered["surveys"] if s["name"] == "Gaia DR3"]
    catalogs = page.request.get(f"{names_portal.url}/api/catalogs/").json()["results"]
    (targets,) = [c["id"] for c in catalogs if c["name"] == "Targets"]
    show_survey(page, "Gaia DR3 (VizieR)")
    page.locator(".leaflet-control-layers label", has_text="Targets").locator("input").check()
    page.wait_for_function(
        "([gaia, targets]) => { const h = new URLSearchParams(location.hash.slice(1));"
        " return h.get('surveys') === gaia && h.get('layers') === String(targets); }",
        arg=[gaia, targets],
    )
    link = page.url
    shown = """() => { const v = document.getElementById('viewer').fitsportal;
      return { surveys: v.catalogs.surveys.filter((l) => v.map.hasLayer(l.group)).map((l) => l.survey.key),
               catalogs: v.catalogs.filter((l) => v.map.hasLayer(l.group)).map((l) => l.catalog.id),
               markers: v.catalogs.surveys.map((l) => l.group.getLayers().length) }; }"""
    fresh = page.context.new_page()
    fresh.goto(link)
    fresh.wait_for_function(READY, timeout=60000)
    fresh.wait_for_function(
        f"() => ({shown})().markers.some((n) => n === {len(SURVEY_PIXELS)})", timeout=30000
    )
    again = fresh.evaluate(shown)
    assert again["surveys"] == [gaia] and again["catalogs"] == [targets], again
    if fresh.locator(".leaflet-control-layers-toggle").is_visible():
        fresh.click(".leaflet-control-layers-toggle")
    assert (
        fresh.locator(".leaflet-control-layers label", has_text="Gaia DR3")
        .locator("input")
        .is_checked()
    )
    fresh.screenshot(
        path=str(ROOT / "test-artifacts" / "browser" / f"survey-link-{screen.name}.png")
    )
    # Switched off, the survey leaves the link; pasted into the same tab, it comes back.
    fresh.locator(".leaflet-control-layers label", has_text="Gaia DR3").locator("input").uncheck()
    fresh.wait_for_function("() => !location.hash.includes('surveys=')")
    fresh.evaluate("(link) => { location.hash = new URL(link).hash; }", link)
    fresh.wait_for_function(f"() => ({shown})().surveys.length === 1", timeout=10000)
    assert fresh.evaluate(shown)["surveys"] == [gaia]
    fresh.close()


def test_a_galactic_image_reads_and_goes_to_l_b(screen, names_portal, login):
    page = open_image(screen, names_portal, login, "galactic")
    wcs = galactic_wcs()
    x, y = 250.3, 80.7
    lon, lat = wcs.all_pix2world([[x, y]], 1)[0]
    go_to(page, f"{lon:.7f} {lat:.7f}")
    cx, cy = page.evaluate(CENTRE)
    assert abs(cx - x) <= 0.5 and abs(cy - y) <= 0.5, (cx, cy)
    box = page.locator("#viewer").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    if screen.name == "phone":
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('#readout .fp-sky')", timeout=30000)
    text = page.locator("#readout .fp-sky").inner_text()
    assert text.startswith("l ") and " b " in text and "α" not in text, text
    shown_l = float(re.search(r"l ([\d.]+)°", text).group(1))
    assert abs(shown_l - lon) < 0.001, (text, lon)
    show_survey(page, "Gaia DR3 (VizieR)")
    page.wait_for_timeout(500)
    page.evaluate("() => document.getElementById('viewer').fitsportal.fit()")
    page.wait_for_timeout(600)
    markers = page.evaluate(MARKERS, 0)
    for px, py in GALACTIC_PIXELS:
        assert [m for m in markers if abs(m["x"] - px) < 0.05 and abs(m["y"] - py) < 0.05], (
            px,
            py,
            markers,
        )
    screen.shot("galactic")


def seed():
    import django

    django.setup()
    from astropy.io import fits
    from django.conf import settings
    from django.contrib.auth.models import User

    from catalogs import storage
    from portal.demo import star_field, write_star_field
    from portal.models import Collection
    from portal.registration import register_path

    alice = User.objects.create_user("alice", "alice@example.org", "alice-password")
    collection = Collection.objects.create(name="Named fields", slug="named", owner=alice)
    folder = settings.UPLOAD_ROOT / "names"
    folder.mkdir(parents=True, exist_ok=True)
    named = register_path(collection, write_star_field(folder / "named.fits", *NAMED, nstars=150,
                                                       seed=11, obj="NGC 4567"), user=alice)  # fmt: skip
    ra, dec = named_wcs().all_pix2world([TARGET], 1)[0]
    storage.create_catalog(collection, [{"type": "Feature", "properties": {"name": "Target One"},
                           "geometry": {"type": "Point", "coordinates": [float(ra), float(dec)]}}],
                           name="Targets", owner=alice)  # fmt: skip
    header = galactic_wcs().to_header()
    header["OBJECT"] = "Galactic field"
    fits.PrimaryHDU(star_field(*GALACTIC, nstars=60, seed=12), header).writeto(folder / "gal.fits")
    galactic = register_path(collection, folder / "gal.fits", user=alice, title="Galactic field")
    print(f"named={named.pk} galactic={galactic.pk}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    seed()
