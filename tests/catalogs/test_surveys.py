"""Survey catalogs from VizieR for an image's field: the server's astroquery client asks
a local HTTP server started here, which answers VizieR's cone queries with a VOTable
(astropy.io.votable) of its own sources; no internet."""

import io
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import from_table, writeto
from astropy.table import Table
from rest_framework.test import APIClient

from catalogs.geometry import angular_distance
from portal.demo import star_field_wcs
from portal.registration import register_path

pytestmark = pytest.mark.django_db

CENTRE = (150.1, 2.2)


def sky_sources(count=60, spread=0.2, seed=3):
    """Sources around CENTRE: (ra, dec, Source, Gmag) columns."""
    rng = np.random.default_rng(seed)
    ra = CENTRE[0] + rng.uniform(-spread, spread, count) / np.cos(np.radians(CENTRE[1]))
    dec = CENTRE[1] + rng.uniform(-spread, spread, count)
    ids = 3_000_000_000_000_000_000 + np.arange(count, dtype=np.int64)
    return Table({"_RAJ2000": ra, "_DEJ2000": dec, "Source": ids,
                  "Gmag": rng.uniform(10.0, 20.0, count).round(3),
                  "BPmag": rng.uniform(10.0, 20.0, count).round(3),
                  "RPmag": rng.uniform(10.0, 20.0, count).round(3)})  # fmt: skip


class VizieRStub(ThreadingHTTPServer):
    """VizieR's ``viz-bin/votable`` for a cone (``-c``, ``-c.rd``): the sources of
    ``table`` in the cone, sorted by ``-sort``, at most ``-out.max``, the columns of
    ``-out.add`` and ``-out``."""

    daemon_threads = True

    def __init__(self, table):
        super().__init__(("127.0.0.1", 0), VizieRHandler)
        self.table, self.asked, self.delay, self.status = table, [], 0.0, 200

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/viz-bin/votable"

    def handle_error(self, request, client_address):
        pass  # a client gone before the answer (the timeout test)

    def answer(self, form):
        ra, dec = (float(v) for v in re.fullmatch(r"([\d.]+)\s*([+-][\d.]+)", form["-c"]).groups())
        radius = float(form["-c.rd"])
        table = self.table
        inside = angular_distance(ra, dec, table["_RAJ2000"], table["_DEJ2000"]) <= radius
        table = table[inside]
        if "-sort" in form:
            table.sort(form["-sort"].lstrip("-"), reverse=form["-sort"].startswith("-"))
        table = table[: int(form.get("-out.max", "50"))]
        wanted = form.get("-out.add", "").split(",") + form.get("-out", "").split(",")
        table = table[[c for c in dict.fromkeys(wanted) if c in table.colnames]]
        votable = from_table(table)
        votable.resources[0].tables[0].name = form["-source"]
        out = io.BytesIO()
        writeto(votable, out)
        return out.getvalue()


class VizieRHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        # VizieR's ASU query: one ``-key=value`` a line.
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
        self.server.asked.append(form)
        time.sleep(self.server.delay)
        if self.server.status != 200:
            self.send_error(self.server.status)
            return
        body = self.server.answer(form)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def vizier(settings):
    server = VizieRStub(sky_sources())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.VIZIER_URL = server.url
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def enabled(settings, vizier):
    settings.SURVEY_CATALOGS_ENABLED = True
    return vizier


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "field.fits"
    header = star_field_wcs(900, 900, *CENTRE, scale_arcsec=0.4).to_header()  # 6 arcmin
    fits.PrimaryHDU(np.zeros((900, 900), np.float32), header).writeto(path)
    return register_path(collections["private"], path, title="field")


def client_for(users, who):
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(users[who])
    return client


def cone(client, image, ra=CENTRE[0], dec=CENTRE[1], radius=0.05, survey="gaia-dr3"):
    return client.get(f"/api/images/{image.pk}/surveys/{survey}/",
                      {"ra": ra, "dec": dec, "radius": radius})  # fmt: skip


def test_off_unless_the_deployment_enables_it(users, image, vizier, settings):
    assert settings.SURVEY_CATALOGS_ENABLED is False
    client = client_for(users, "owner")
    assert client.get(f"/api/images/{image.pk}/surveys/").json()["surveys"] == []
    assert cone(client, image).status_code == 404
    assert vizier.asked == []


def test_the_sources_of_the_cone_brightest_first(users, image, enabled, settings):
    client = client_for(users, "owner")
    offered = client.get(f"/api/images/{image.pk}/surveys/").json()["surveys"]
    assert {"gaia-dr3", "2mass", "allwise", "sdss-dr12", "panstarrs1"} <= {
        s["key"] for s in offered
    }
    body = cone(client, image, radius=0.05).json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    (form,) = enabled.asked
    assert form["-source"] == "I/355/gaiadr3"
    assert form["-out.max"] == str(settings.SURVEY_MAX_ROWS)
    table = enabled.table
    near = angular_distance(*CENTRE, table["_RAJ2000"], table["_DEJ2000"]) <= 0.05
    got = {f["properties"]["Source"]: f for f in body["features"]}
    assert set(table["Source"][near]) <= set(got)  # the whole requested cone is there
    assert body["count"] == len(got) < len(table)  # and not the whole table
    for row in table[near]:
        feature = got[int(row["Source"])]
        assert feature["geometry"] == {"type": "Point",
                                       "coordinates": [row["_RAJ2000"], row["_DEJ2000"]]}  # fmt: skip
        assert feature["properties"]["Gmag"] == row["Gmag"]
        assert feature["properties"]["name"] == f"Gaia DR3 {row['Source']}"
    magnitudes = [f["properties"]["Gmag"] for f in body["features"]]
    assert magnitudes == sorted(magnitudes)


def test_a_field_is_asked_once_then_kept(users, image, enabled):
    client = client_for(users, "owner")
    first = cone(client, image, radius=0.05).json()
    # A small pan and a small zoom stay in the same cached field.
    assert cone(client, image, ra=CENTRE[0] + 0.002, radius=0.045).json() == first
    assert len(enabled.asked) == 1
    # Another survey, or the field of another part of the sky, is asked of VizieR.
    cone(client, image, radius=0.05, survey="2mass")
    cone(client, image, dec=CENTRE[1] + 0.06, radius=0.05)
    assert [f["-source"] for f in enabled.asked[1:]] == ["II/246/out", "I/355/gaiadr3"]


def test_radius_and_rows_are_capped(users, image, enabled, settings):
    settings.SURVEY_MAX_RADIUS = 0.1
    settings.SURVEY_MAX_ROWS = 5
    body = cone(client_for(users, "owner"), image, radius=30.0).json()
    (form,) = enabled.asked
    assert float(form["-c.rd"]) <= 0.1
    assert body["count"] == 5 and body["truncated"] is True
    table = enabled.table
    inside = angular_distance(*CENTRE, table["_RAJ2000"], table["_DEJ2000"]) <= float(form["-c.rd"])
    brightest = sorted(table[inside]["Gmag"])[:5]
    assert [f["properties"]["Gmag"] for f in body["features"]] == list(brightest)


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_only_for_images_one_may_see(users, image, enabled, who):
    client = client_for(users, who)
    assert client.get(f"/api/images/{image.pk}/surveys/").status_code == 404
    answer = cone(client, image)
    assert answer.status_code == 404 and "field" not in answer.content.decode()
    assert enabled.asked == []


@pytest.mark.parametrize(
    "query",
    [{"ra": 10.0, "dec": -40.0, "radius": 0.1}, {"ra": "x", "dec": 2.2, "radius": 0.1},
     {"ra": 150.1, "dec": 95, "radius": 0.1}, {"ra": 150.1, "dec": 2.2}, {}],
)  # fmt: skip
def test_bad_cones_are_400(users, image, enabled, query):
    answer = client_for(users, "owner").get(f"/api/images/{image.pk}/surveys/gaia-dr3/", query)
    assert answer.status_code == 400 and answer.json()["detail"]
    assert enabled.asked == []


def test_an_unknown_survey_is_404(users, image, enabled):
    assert cone(client_for(users, "owner"), image, survey="nosuch").status_code == 404


def test_vizier_slow_or_down_is_503_and_not_kept(users, image, enabled, settings):
    settings.SURVEY_TIMEOUT = 0.3
    enabled.delay = 1.5
    client = client_for(users, "owner")
    started = time.monotonic()
    answer = cone(client, image)
    assert answer.status_code == 503 and answer.json()["detail"]
    assert time.monotonic() - started < 1.2
    enabled.delay, enabled.status = 0.0, 500
    assert cone(client, image).status_code == 503
    enabled.status = 200
    assert cone(client, image).status_code == 200


def test_the_endpoints_are_in_the_schema(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    operation = paths["/api/images/{image_id}/surveys/{survey}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"ra", "dec", "radius", "survey"}
    assert "/api/images/{image_id}/surveys/" in paths


def test_a_galactic_image_has_its_field_in_icrs(users, collections, settings, enabled):
    from astropy.coordinates import SkyCoord
    from astropy.wcs import WCS

    galactic = SkyCoord(*CENTRE, unit="deg").galactic
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["GLON-TAN", "GLAT-TAN"]
    wcs.wcs.crval = [galactic.l.deg, galactic.b.deg]
    wcs.wcs.crpix = [200.5, 150.5]
    wcs.wcs.cdelt = [-1.0 / 3600, 1.0 / 3600]
    path = settings.UPLOAD_ROOT / "galactic.fits"
    fits.PrimaryHDU(np.zeros((300, 400), np.float32), wcs.to_header()).writeto(path)
    image = register_path(collections["private"], path, title="galactic")
    client = client_for(users, "owner")
    assert cone(client, image, radius=0.05).status_code == 200
    # The image's own longitude and latitude are not RA/Dec.
    answer = cone(client, image, ra=galactic.l.deg, dec=galactic.b.deg, radius=0.05)
    assert answer.status_code == 400
