"""GET /api/resolve/: object names from the portal's own catalogs and image OBJECTs,
among what the user may see, then Sesame (a local HTTP server here) when enabled."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from django.core.cache import cache
from rest_framework.test import APIClient

from catalogs import resolve, storage
from portal.demo import star_field_wcs
from portal.registration import register_path

pytestmark = pytest.mark.django_db


def client_for(users, who):
    client = APIClient()
    if who != "anonymous":
        client.force_authenticate(users[who])
    return client


def point(ra, dec, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
            "properties": properties}  # fmt: skip


@pytest.fixture
def sesame(settings):
    """A Sesame stand-in: ``answers`` maps a name (as asked) to its text answer; every
    path asked is kept in ``asked``; ``delay`` seconds before each answer."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            server.asked.append(self.path)
            time.sleep(server.delay)
            from urllib.parse import unquote

            name = unquote(self.path.partition("?")[2])
            if server.status != 200:
                self.send_error(server.status)
                return
            body = server.answers.get(name, f"# {name}\n#=S=Simbad: *** Nothing found ***\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a client gone before the answer (the timeout test)

    server = Server(("127.0.0.1", 0), Handler)
    server.asked, server.answers, server.delay, server.status = [], {}, 0.0, 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SESAME_URL = f"http://127.0.0.1:{server.server_address[1]}/nph-sesame/"
    yield server
    server.shutdown()
    server.server_close()


def forget(*names):
    for name in names:
        cache.delete(resolve._cache_key(name))


def test_a_catalog_source_by_name_for_those_who_see_it(users, collections):
    private = collections["private"]
    storage.create_catalog(private, [point(202.4696, 47.1952, name="M51"),
                                     point(10.0, 20.0, name="M5")], name="targets")  # fmt: skip
    for asked in ("M51", "m 51", "  M51 ", "m51"):
        answer = client_for(users, "owner").get("/api/resolve/", {"name": asked})
        assert answer.status_code == 200, asked
        body = answer.json()
        assert (body["ra"], body["dec"], body["source"]) == (202.4696, 47.1952, "catalog")
        assert body["detail"] == "targets"
    for who in ("other", "anonymous"):
        answer = client_for(users, who).get("/api/resolve/", {"name": "M51"})
        assert answer.status_code == 404
        assert "202.4" not in answer.content.decode() and "targets" not in answer.content.decode()
        assert answer.json()["detail"]


def test_an_image_object_is_the_centre_of_its_field(users, collections, settings):
    header = star_field_wcs(400, 300, ra=202.47, dec=47.2).to_header()
    header["OBJECT"] = "NGC 5194"
    path = settings.UPLOAD_ROOT / "ngc5194.fits"
    fits.PrimaryHDU(np.zeros((300, 400), np.float32), header).writeto(path)
    register_path(collections["team"], path, title="Whirlpool")
    expected = WCS(header).pixel_to_world_values(199.5, 149.5)  # the middle (0-based)
    for asked in ("NGC 5194", "ngc5194", "NGC5194"):
        body = client_for(users, "other").get("/api/resolve/", {"name": asked}).json()
        assert body["source"] == "image" and body["detail"] == "Whirlpool"
        assert abs(body["ra"] - expected[0]) < 1e-4 and abs(body["dec"] - expected[1]) < 1e-4
    assert (
        client_for(users, "anonymous").get("/api/resolve/", {"name": "NGC 5194"}).status_code == 404
    )


def test_the_viewed_images_catalogs_come_first(users, collections, fits_factory, settings):
    storage.create_catalog(collections["public"], [point(1.0, 2.0, label="Target A")], name="a")
    storage.create_catalog(collections["team"], [point(3.0, 4.0, label="Target A")], name="b")
    image = register_path(
        collections["team"], fits_factory("t.fits", folder=settings.UPLOAD_ROOT), title="t"
    )
    client = client_for(users, "owner")
    assert client.get("/api/resolve/", {"name": "target a", "image": image.pk}).json()["ra"] == 3.0
    public = register_path(
        collections["public"],
        fits_factory("p.fits", seed=1, folder=settings.UPLOAD_ROOT),
        title="p",
    )
    assert client.get("/api/resolve/", {"name": "target a", "image": public.pk}).json()["ra"] == 1.0
    # An image one may not see is not a way in.
    private = register_path(
        collections["private"],
        fits_factory("q.fits", seed=2, folder=settings.UPLOAD_ROOT),
        title="q",
    )
    answer = client_for(users, "other").get("/api/resolve/", {"name": "x", "image": private.pk})
    assert answer.status_code == 404


def test_pixel_regions_and_unready_catalogs_are_not_positions(users, collections):
    catalog = storage.create_catalog(
        collections["public"], [point(5.0, 6.0, name="Ghost")], name="g"
    )
    catalog.state = catalog.IMPORTING
    catalog.save()
    assert client_for(users, "owner").get("/api/resolve/", {"name": "Ghost"}).status_code == 404


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "M51\x00", "a\x1bb"])
def test_names_that_cannot_be_asked_are_400(users, name):
    answer = client_for(users, "owner").get("/api/resolve/", {"name": name})
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("name:")


def test_sesame_is_not_asked_unless_enabled(users, sesame, settings):
    assert settings.SESAME_ENABLED is False
    sesame.answers["M 101"] = "%J 210.80242 +54.34875 = 14 03 12.58 +54 20 55.5\n"
    assert client_for(users, "owner").get("/api/resolve/", {"name": "M 101"}).status_code == 404
    assert sesame.asked == []


def test_sesame_when_enabled_and_its_answers_kept(users, sesame, settings):
    settings.SESAME_ENABLED = True
    forget("M 101", "Nowhere 9")
    sesame.answers["M 101"] = "# M 101\n%J 210.80242 +54.34875 = 14 03 12.58 +54 20 55.5\n"
    client = client_for(users, "anonymous")
    for _ in range(3):
        body = client.get("/api/resolve/", {"name": "M 101"}).json()
        assert body == {"name": "M 101", "ra": 210.80242, "dec": 54.34875, "source": "sesame",
                        "detail": "Sesame (CDS)"}  # fmt: skip
    assert sesame.asked == ["/nph-sesame/SNV?M%20101"]  # asked once, then the cache
    assert client.get("/api/resolve/", {"name": "Nowhere 9"}).status_code == 404
    assert client.get("/api/resolve/", {"name": "Nowhere 9"}).status_code == 404
    assert len(sesame.asked) == 2  # "not known" is kept too
    forget("M 101", "Nowhere 9")


def test_sesame_down_or_slow_is_503_within_the_timeout(users, sesame, settings):
    settings.SESAME_ENABLED = True
    settings.SESAME_TIMEOUT = 0.3
    forget("Slow 1", "Down 1")
    sesame.delay = 1.5
    started = time.monotonic()
    answer = client_for(users, "owner").get("/api/resolve/", {"name": "Slow 1"})
    assert answer.status_code == 503 and answer.json()["detail"]
    assert time.monotonic() - started < 1.2
    sesame.delay, sesame.status = 0.0, 500
    assert client_for(users, "owner").get("/api/resolve/", {"name": "Down 1"}).status_code == 503
    sesame.status = 200  # a failure is not kept: the next question is asked again
    sesame.answers["Down 1"] = "%J 1.5 -2.5\n"
    assert client_for(users, "owner").get("/api/resolve/", {"name": "Down 1"}).json()["ra"] == 1.5
    forget("Slow 1", "Down 1")


def test_the_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/resolve/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"name", "image"}
    assert {"200", "400", "404", "503"} <= set(operation["responses"])
