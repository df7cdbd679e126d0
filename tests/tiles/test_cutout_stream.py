"""FITS cutouts larger than one strip are streamed under ASGI: many body messages of
bounded size, the same file as the engine's whole cutout, the slot given back."""

import asyncio
import io

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.test import Client

from portal import permissions
from portal.asgi import application
from portal.demo import star_field_wcs
from portal.models import Collection
from portal.registration import register_path
from tiles import heavy, views
from tiles.engine import cutout as engine_cutout
from tiles.engine import open_image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cube(collections, settings):
    rng = np.random.default_rng(8)
    data = rng.normal(100, 10, (2, 300, 420)).astype(np.float32)
    header = star_field_wcs(420, 300).to_header()
    path = settings.UPLOAD_ROOT / "cube.fits"
    fits.PrimaryHDU(data, header).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    permissions.forget_cached_access()
    return image, data


@pytest.fixture
def small_strips(monkeypatch):
    monkeypatch.setattr(engine_cutout, "STRIP_BYTES", 20_000)  # a few rows at a time
    monkeypatch.setattr(views, "STREAM_ABOVE", 20_000)


def owner_cookie(user):
    client = Client()
    client.force_login(user)
    return {"cookie": f"sessionid={client.cookies['sessionid'].value}"}


async def test_a_large_cutout_is_streamed_in_strips(users, cube, small_strips):
    image, data = cube
    headers = await sync_to_async(owner_cookie)(users["owner"])
    url = f"/api/images/{image.pk}/cutout.fits?x1=11&y1=21&x2=410&y2=290"
    messages, requested = [], []

    async def receive():
        if not requested:
            requested.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays until the answer is sent

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": url.split("?")[0],
             "query_string": url.split("?")[1].encode(), "headers": [(b"host", b"testserver"),
             *((k.encode(), v.encode()) for k, v in headers.items())], "scheme": "http",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1), "asgi": {"version": "3.0"},
             "http_version": "1.1", "root_path": ""}  # fmt: skip
    await application(scope, receive, send)
    start, *bodies = messages
    assert start["status"] == 200
    pieces = [m["body"] for m in bodies if m.get("body")]
    assert len(pieces) > 10 and max(map(len, pieces)) <= 2**16  # never the whole file at once
    content = b"".join(pieces)
    sent = {name.lower(): value for name, value in start["headers"]}
    assert int(sent[b"content-length"]) == len(content)
    with fits.open(io.BytesIO(content)) as hdus:
        np.testing.assert_array_equal(hdus[0].data, data[:, 20:290, 10:410])
        assert hdus[0].header["CRPIX1"] == pytest.approx(image.header["CRPIX1"] - 10)
    # The same pixels and WCS as the engine's cutout of the same box, read whole.
    whole = open_image(image.path).cutout_fits(11, 21, 410, 290)
    with fits.open(io.BytesIO(whole)) as a, fits.open(io.BytesIO(content)) as b:
        np.testing.assert_array_equal(a[0].data, b[0].data)
        for key in ("CRPIX1", "CRPIX2", "CRVAL1", "CD1_1", "CTYPE1", "NAXIS3"):
            assert a[0].header.get(key) == b[0].header.get(key), key
    assert heavy.in_use("cutout") == 0


async def test_a_streamed_cutout_holds_its_slot_until_sent(users, cube, small_strips, settings):
    image, _data = cube
    settings.HEAVY_SLOTS = {**settings.HEAVY_SLOTS, "cutout": 1}
    headers = await sync_to_async(owner_cookie)(users["owner"])
    url = f"/api/images/{image.pk}/cutout.fits?x1=1&y1=1&x2=420&y2=300"
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await client.get(url, headers=headers)
        assert first.status_code == 200 and len(first.content) % 2880 == 0
        assert heavy.in_use("cutout") == 0  # sent: given back
        assert (await client.get(url, headers=headers)).status_code == 200
