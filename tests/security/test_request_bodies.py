"""Request bodies refused from their headers, before they are read (issue item 5).

Driven at the ASGI level through the whole application (fast path, body limit, Django),
with a client whose body is produced only as the server asks for it: ``consumed`` is
what the server read. Before the fix, Django read every byte (2 GB written to disk
before the 404, 200 MB before the 413).
"""

import asyncio
import io
import json

import numpy as np
import pytest
from astropy.io import fits
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.authtoken.models import Token

from portal.models import Image

pytestmark = pytest.mark.django_db(transaction=True)
CHUNK = 64 * 1024


class Exchange:
    """One request: what the server read of the body and what it answered."""

    def __init__(self, method, path, headers=(), body=None, chunks=0, query=b""):
        self.scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"127.0.0.1"), *headers],
        }  # fmt: skip
        self.pieces = [body] if body is not None else [b"\0" * CHUNK] * chunks
        self.consumed, self.sent = 0, []

    async def receive(self):
        if self.pieces:
            piece = self.pieces.pop(0)
            self.consumed += len(piece)
            return {"type": "http.request", "body": piece, "more_body": bool(self.pieces)}
        await asyncio.sleep(3600)  # the client waits for the answer (the server cancels this)
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)

    def run(self):
        from portal.asgi import application

        asyncio.run(application(self.scope, self.receive, self.send))
        starts = [m for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.sent
        self.status = starts[0]["status"]
        self.headers = dict(starts[0]["headers"])
        self.body = b"".join(m.get("body", b"") for m in self.sent[1:])
        return self

    @property
    def detail(self):
        return json.loads(self.body)["detail"]


def length(n):
    return (b"content-length", str(n).encode())


CHUNKED = (b"transfer-encoding", b"chunked")
MULTIPART = (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())


@pytest.fixture
def tokens(users):
    return {
        name: Token.objects.create(user=users[name]).key for name in ("granted", "member", "other")
    }


def token(key):
    return (b"authorization", f"Token {key}".encode())


def session(user):
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


GIB2 = 2 * 1024**3


def test_anonymous_upload_is_refused_before_its_body(collections):
    real = Exchange("POST", "/api/collections/team-survey/images/", [length(GIB2), MULTIPART],
                    chunks=GIB2 // CHUNK).run()  # fmt: skip
    made_up = Exchange("POST", "/api/collections/no-such/images/", [length(GIB2), MULTIPART],
                       chunks=GIB2 // CHUNK).run()  # fmt: skip
    assert (
        (real.status, real.body)
        == (made_up.status, made_up.body)
        == (404, b'{"detail":"Not found."}')
    )
    assert real.consumed == made_up.consumed == 0
    assert real.headers[b"connection"] == b"close"


@pytest.mark.parametrize("who", ["member", "other"])
def test_who_may_not_contribute_is_refused_before_the_body(who, collections, tokens, users):
    # member may view the private collection, other may view the team one: neither may add.
    slug = "private-survey" if who == "member" else "team-survey"
    for credentials in (token(tokens[who]), session(users[who])):
        exchange = Exchange("POST", f"/api/collections/{slug}/images/",
                            [length(GIB2), MULTIPART, credentials], chunks=1000).run()  # fmt: skip
        assert (exchange.status, exchange.detail, exchange.consumed) == (404, "Not found.", 0)


def test_a_bad_token_is_refused_before_the_body(collections):
    exchange = Exchange("POST", "/api/collections/team-survey/images/",
                        [length(GIB2), MULTIPART, token("nope")], chunks=1000).run()  # fmt: skip
    assert (exchange.status, exchange.detail, exchange.consumed) == (403, "Invalid token.", 0)


def test_a_length_over_the_limit_is_refused_at_once(collections, tokens, settings):
    settings.MAX_UPLOAD_BYTES = 10 * 1024**2
    exchange = Exchange("POST", "/api/collections/team-survey/images/",
                        [length(200 * 1024**2), MULTIPART, token(tokens["granted"])],
                        chunks=200 * 16).run()  # fmt: skip
    assert exchange.status == 413 and "the upload limit is 10.0 MiB" in exchange.detail
    assert exchange.consumed == 0


def test_a_chunked_body_is_stopped_at_the_limit(collections, tokens, settings, snapshot):
    settings.MAX_UPLOAD_BYTES = 1024**2
    limit = settings.MAX_UPLOAD_BYTES + 64 * 1024
    exchange = Exchange("POST", "/api/collections/team-survey/images/",
                        [CHUNKED, MULTIPART, token(tokens["granted"])], chunks=400).run()  # fmt: skip
    assert exchange.status == 413 and "too large" in exchange.detail
    assert limit < exchange.consumed <= limit + CHUNK  # 25 MB offered
    assert Image.objects.count() == 0 and not snapshot(settings.UPLOAD_ROOT / ".incoming")


def test_other_routes_have_a_small_limit(users, tokens, settings):
    exchange = Exchange("POST", "/api/collections/", [length(10 * 1024**2), token(tokens["other"]),
                        (b"content-type", b"application/json")], chunks=160).run()  # fmt: skip
    assert exchange.status == 413 and exchange.consumed == 0
    assert exchange.detail == "Request body too large: the limit is 2.5 MiB."


def test_catalog_uploads(collections, tokens, users, settings):
    def post(*headers, query=b""):
        return Exchange("POST", "/api/catalogs/", [length(100 * 1024**2), MULTIPART, *headers],
                        chunks=1600, query=query).run()  # fmt: skip

    anonymous = post()
    assert (anonymous.status, anonymous.consumed) == (403, 0)
    assert anonymous.detail == "Authentication credentials were not provided."
    nowhere = post(token(tokens["other"]))  # contributes to no collection
    assert (nowhere.status, nowhere.consumed) == (403, 0) and "any collection" in nowhere.detail
    named = post(token(tokens["member"]), query=b"collection=private-survey")
    assert (named.status, named.detail, named.consumed) == (404, "Not found.", 0)
    settings.MAX_CATALOG_BYTES = 1024**2
    allowed = post(token(tokens["granted"]), query=b"collection=private-survey")
    assert (allowed.status, allowed.consumed) == (413, 0)


def test_admin_upload_form_needs_staff_before_the_body(collections, users):
    exchange = Exchange("POST", "/admin/portal/image/add/",
                        [length(GIB2), MULTIPART, session(users["owner"])], chunks=1000).run()  # fmt: skip
    assert (exchange.status, exchange.consumed) == (404, 0)


def test_an_allowed_upload_goes_through(collections, tokens):
    buffer = io.BytesIO()
    fits.PrimaryHDU(np.ones((20, 30), np.float32)).writeto(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "ok.fits"
    body = encode_multipart(BOUNDARY, {"file": upload})
    exchange = Exchange("POST", "/api/collections/private-survey/images/",
                        [length(len(body)), (b"content-type", MULTIPART_CONTENT.encode()),
                         token(tokens["granted"])], body=body).run()  # fmt: skip
    assert exchange.status == 201, exchange.body
    assert Image.objects.get().name == "ok.fits" and exchange.consumed == len(body)


def test_a_real_server_answers_at_once_and_closes_the_connection(tmp_path):
    """Through uvicorn: the refusal arrives while the client has sent no body, and the
    server closes the connection instead of reading the 2 GB it was promised."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(tmp_path / "var"), FITSPORTAL_INSECURE_DEV_KEY="1")
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--port", str(port)],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/iip/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(
                b"POST /api/collections/team-survey/images/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n"
                b"Content-Length: 2147483648\r\n\r\n"
            )
            answer = b""
            while piece := client.recv(65536):  # until the server closes
                answer += piece
        assert answer.startswith(b"HTTP/1.1 404 ") and answer.endswith(b'{"detail":"Not found."}')
    finally:
        server.terminate()
        server.wait(timeout=30)
