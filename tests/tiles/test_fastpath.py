"""The ASGI tile fast path gives exactly what the Django views give, faster."""

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.test import Client

from portal import permissions
from portal.asgi import application
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid
from tiles.fastpath import TileFastPath

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "fast.fits"
    rng = np.random.default_rng(3)
    fits.PrimaryHDU(rng.normal(100, 10, (600, 700)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()
    return image


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client, {"cookie": f"sessionid={client.cookies['sessionid'].value}"}


async def asgi_get(url, headers=None):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(url, headers=headers or {})


URLS = [
    "/api/images/{pk}/tiles/1/1/1.jpg",
    "/api/images/{pk}/tiles/1/0/0.png?colormap=viridis&gamma=1.5",
    "/api/images/{pk}/tiles/0/0/0.webp?invert=1",
    "/iip/?FIF={pk}&JTL=1,2&CMP=hot",
    "/iip/?FIF=private-survey/fast.fits&JTL=0,0&CHAN=1&MINMAX=1:50,150",
    "/api/images/{pk}/tiles/9/0/0.jpg",
    "/api/images/{pk}/tiles/1/0/0.jpg?gamma=abc",
    "/iip/?FIF={pk}&JTL=1,99",
]


@pytest.mark.parametrize("template", URLS)
async def test_same_answer_as_the_views(users, image, template):
    url = template.format(pk=image.pk)
    django_client, headers = await sync_to_async(session_cookie)(users["owner"])
    expected = await sync_to_async(django_client.get)(url)
    for _attempt in range(2):  # first through a thread, then inline
        response = await asgi_get(url, headers)
        assert response.status_code == expected.status_code, response.text[:200]
        assert response.content == expected.content
        sent = {
            k.lower(): v for k, v in response.headers.items() if k.lower() not in ("date", "server")
        }
        assert sent == {k.lower(): v for k, v in expected.headers.items()}


async def test_warm_known_requests_do_not_leave_the_event_loop(users, image, monkeypatch):
    _client, headers = await sync_to_async(session_cookie)(users["owner"])
    calls = []
    original = TileFastPath.answer_sync
    monkeypatch.setattr(
        TileFastPath, "answer_sync", lambda self, *a: calls.append(1) or original(self, *a)
    )
    url = f"/api/images/{image.pk}/tiles/1/0/1.jpg"
    assert (await asgi_get(url, headers)).status_code == 200
    assert len(calls) == 1
    for x in range(2):
        assert (
            await asgi_get(f"/api/images/{image.pk}/tiles/1/{x}/0.jpg", headers)
        ).status_code == 200
    assert len(calls) == 1


async def test_iip_tiles_of_images_named_by_file_stay_on_the_event_loop(users, image, monkeypatch):
    """As VisiOmatic clients name images (a file name): after the first tile, no thread."""
    _client, headers = await sync_to_async(session_cookie)(users["owner"])
    calls = []
    original = TileFastPath.answer_sync
    monkeypatch.setattr(
        TileFastPath, "answer_sync", lambda self, *a: calls.append(1) or original(self, *a)
    )
    assert (await asgi_get("/iip/?FIF=fast.fits&JTL=1,0", headers)).status_code == 200
    assert len(calls) == 1
    for query in ("JTL=1,1", "JTL=1,2&GAM=1.5", "JTL=0,0&CHAN=1&MINMAX=1:90,110"):
        assert (await asgi_get(f"/iip/?FIF=fast.fits&{query}", headers)).status_code == 200
    assert len(calls) == 1
    # INFO reads more than a tile: a thread, the same answer as Django's.
    info = await asgi_get("/iip/?FIF=fast.fits&INFO", headers)
    assert info.status_code == 200 and info.json()["full_size"] == [700, 600]
    assert len(calls) == 2


@pytest.mark.parametrize("who", ["anonymous", "other"])
async def test_invisible_is_404(users, image, who):
    headers = {}
    if who == "other":
        _client, headers = await sync_to_async(session_cookie)(users["other"])
    for url in (f"/api/images/{image.pk}/tiles/0/0/0.jpg", f"/iip/?FIF={image.pk}&JTL=0,0"):
        response = await asgi_get(url, headers)
        assert response.status_code == 404 and response.json() == {"detail": "No such image."}


async def test_304_on_matching_etag(users, image):
    _client, headers = await sync_to_async(session_cookie)(users["owner"])
    url = f"/api/images/{image.pk}/tiles/0/0/0.jpg"
    first = await asgi_get(url, headers)
    again = await asgi_get(url, {**headers, "if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_cross_origin_requests_go_to_django(users, image, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://viewer.example.org"]
    image.collection.visibility = Collection.PUBLIC
    await sync_to_async(image.collection.save)()
    url = f"/api/images/{image.pk}/tiles/0/0/0.jpg"
    allowed = await asgi_get(url, {"origin": "https://viewer.example.org"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://viewer.example.org"
    other = await asgi_get(url, {"origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    iip = await asgi_get(f"/iip/?FIF={image.pk}&INFO", {"origin": "https://viewer.example.org"})
    assert iip.headers["access-control-allow-origin"] == "https://viewer.example.org"
