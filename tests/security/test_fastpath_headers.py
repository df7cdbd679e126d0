"""The ASGI tile fast path answers exactly as Django would: every header (security
headers, ``Vary``, HSTS, redirects to HTTPS, refused hosts) and every byte, on a matrix
of requests -- REST tiles and every IIP operation, each kind of caller (anonymous,
session, API token, another user, cookies Django deletes), 200, 304, 400, 404 and 422.

Django's answer for the same request comes from the application behind the fast path
(``TileFastPath.app``), so a header any middleware adds one day (a Content-Security-Policy,
say) and the fast path forgets makes these tests fail by themselves."""

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.core.handlers.asgi import ASGIHandler
from django.test import Client
from rest_framework.authtoken.models import Token

from portal import permissions
from portal.asgi import application
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid
from tiles.fastpath import TileFastPath

pytestmark = pytest.mark.django_db(transaction=True)

IGNORED = {"date", "server"}


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "headers.fits"
    rng = np.random.default_rng(5)
    fits.PrimaryHDU(rng.normal(100, 10, (300, 400)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()
    return image


@pytest.fixture
def identities(users):
    """Request headers of each kind of caller."""

    def make():
        client = Client()
        client.force_login(users["owner"])
        token = Token.objects.create(user=users["owner"])
        other = Client()
        other.force_login(users["other"])
        ended = Client()
        ended.force_login(users["owner"])
        ended_key = ended.cookies["sessionid"].value
        ended.logout()
        key = client.cookies["sessionid"].value
        return {
            "anonymous": {},
            "session": {"cookie": f"sessionid={key}"},
            "token": {"authorization": f"Token {token.key}"},
            "other": {"cookie": f"sessionid={other.cookies['sessionid'].value}"},
            # Cookies Python's SimpleCookie refuses, beside the session's.
            "garbage": {"cookie": f'prefs={{"a": [1, 2]}}; x[y]=1; sessionid={key}; b="'},
            "ended": {"cookie": f"sessionid={ended_key}"},  # Django deletes the cookie
            "empty": {"cookie": "sessionid="},
            "token-ended": {
                "authorization": f"Token {token.key}",
                "cookie": f"sessionid={ended_key}",
            },
        }

    return make


def fast_path_app():
    return application.application_mapping["http"]


async def get(app, url, headers, base_url="http://testserver"):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        return await client.get(url, headers=headers)


def all_headers(response):
    return sorted((k.lower(), v) for k, v in response.headers.multi_items() if k not in IGNORED)


async def same_answers(fast, url, headers, calls, base_url="http://testserver"):
    """The fast path's answer equals Django's, headers and all, first through a
    thread and then inline; returns it. ``calls`` counts the fast path's own answers."""
    expected = await get(fast.app, url, headers, base_url)
    for _attempt in range(2):
        before = len(calls)
        response = await get(fast, url, headers, base_url)
        assert response.status_code == expected.status_code, (url, response.text[:200])
        assert all_headers(response) == all_headers(expected), url
        assert response.content == expected.content
        answered_by_fast_path = len(calls) > before
    return response, answered_by_fast_path


@pytest.fixture
def counted(monkeypatch):
    """Counts the requests the fast path answers itself (not handed to Django)."""
    calls = []
    original = TileFastPath.answer

    async def answer(self, scope, request):
        reply = await original(self, scope, request)
        if reply is not None:
            calls.append(scope["path"])
        return reply

    monkeypatch.setattr(TileFastPath, "answer", answer)
    return calls


# name -> (URL, the status the image's owner gets). Every /iip/ request and every REST
# tile is the fast path's; other REST requests (regions) are Django's alone.
REQUESTS = {
    "rest-200": ("/api/images/{pk}/tiles/1/1/0.jpg", 200),
    "rest-200-png": ("/api/images/{pk}/tiles/0/0/0.png?colormap=viridis&gamma=1.5", 200),
    "rest-400": ("/api/images/{pk}/tiles/1/0/0.jpg?gamma=abc", 400),
    "rest-400-z": ("/api/images/{pk}/tiles/9/0/0.jpg", 400),
    "rest-400-tile": ("/api/images/{pk}/tiles/1/5/0.jpg", 400),
    "rest-404": ("/api/images/987654321/tiles/0/0/0.jpg", 404),
    "rest-422": ("/api/images/{broken}/tiles/0/0/0.jpg", 422),
    "iip-200": ("/iip/?FIF={pk}&JTL=1,1&CMP=hot", 200),
    "iip-200-named": ("/iip/?FIF=private-survey/headers.fits&JTL=0,0", 200),
    "iip-200-info": ("/iip/?FIF={pk}&INFO", 200),
    "iip-200-obj": ("/iip/?FIF=headers.fits&obj", 200),
    "iip-200-val": ("/iip/?FIF={pk}&VAL=3,4", 200),
    "iip-200-pfl": ("/iip/?FIF={pk}&PFL=1,1:9,5", 200),
    "iip-200-rgn": ("/iip/?FIF={pk}&RGN=1,1:120,80&BIN=2", 200),
    "iip-200-banner": ("/iip/", 200),
    "iip-400": ("/iip/?FIF={pk}&JTL=1,99", 400),
    "iip-400-parse": ("/iip/?FIF={pk}&JTL=1,0&GAM=abc", 400),
    "iip-400-nothing": ("/iip/?FIF={pk}", 400),
    "iip-404": ("/iip/?FIF=nothing.fits&JTL=0,0", 404),
    "iip-422": ("/iip/?FIF={broken}&JTL=0,0", 422),
    "rest-region": ("/api/images/{pk}/region.png?x1=1&y1=1&x2=100&y2=60", 200),
}
DJANGO_ONLY = {"rest-region"}
WITH_ETAG = {"rest-200", "rest-200-png", "iip-200", "iip-200-named", "iip-200-rgn", "rest-region"}
OWNERS = {"session", "token", "garbage"}  # the owner's requests, however authenticated


@pytest.fixture
def broken(collections, settings):
    """An image whose file changed after its pyramid was built: 422 everywhere."""
    path = settings.UPLOAD_ROOT / "broken.fits"
    fits.PrimaryHDU(np.ones((40, 50), np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    with open(path, "ab") as file:
        file.write(b"\0" * 2880)
    return image


WHO = ["anonymous", "session", "token", "other", "garbage", "ended", "empty", "token-ended"]
HANDED_TO_DJANGO = {"ended", "empty", "token-ended"}  # Django's answer deletes the cookie


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_every_header_as_django_gives_it(image, broken, identities, counted, who, name):
    headers = (await sync_to_async(identities)())[who]
    template, owner_status = REQUESTS[name]
    url = template.format(pk=image.pk, broken=broken.pk)
    response, answered = await same_answers(fast_path_app(), url, headers, counted)
    assert answered == (who not in HANDED_TO_DJANGO and name not in DJANGO_ONLY), "who answered"
    if who in OWNERS:
        assert response.status_code == owner_status, response.content[:200]
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]
    if response.status_code == 200:
        assert response.headers["x-frame-options"] == "DENY"  # asserted, not only compared
    if response.status_code == 200 and name in WITH_ETAG:
        assert response.headers["cache-control"] == "private, no-cache"
        # The etag's 304, through both.
        revalidate = {**headers, "if-none-match": response.headers["etag"]}
        again, _answered = await same_answers(fast_path_app(), url, revalidate, counted)
        assert again.status_code == 304 and again.content == b""


async def test_a_public_image_answers_the_same_to_everyone(image, identities, counted):
    image.collection.visibility = Collection.PUBLIC
    await sync_to_async(image.collection.save)()
    for who, headers in (await sync_to_async(identities)()).items():
        for name in ("rest-200", "iip-200", "iip-200-info"):
            url = REQUESTS[name][0].format(pk=image.pk)
            response, answered = await same_answers(fast_path_app(), url, headers, counted)
            assert response.status_code == 200
            assert answered == (who not in HANDED_TO_DJANGO)
            if name != "iip-200-info":
                assert response.headers["cache-control"].startswith("public, max-age=")


async def test_a_host_django_refuses_is_refused(image, identities, counted):
    headers = {**(await sync_to_async(identities)())["session"], "host": "evil.example.com"}
    for name in ("rest-200", "iip-200"):
        url = REQUESTS[name][0].format(pk=image.pk)
        response, _answered = await same_answers(fast_path_app(), url, headers, counted)
        assert response.status_code == 400


@pytest.fixture
def https_stack(settings):
    """Both sides built with FITSPORTAL_HTTPS=1's settings, as the server would be."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return TileFastPath(ASGIHandler())


@pytest.mark.parametrize("name", ["rest-200", "iip-200", "rest-400"])
async def test_plain_http_is_redirected_like_django(image, identities, counted, https_stack, name):
    headers = (await sync_to_async(identities)())["session"]
    url = REQUESTS[name][0].format(pk=image.pk)
    response, _answered = await same_answers(https_stack, url, headers, counted)
    assert response.status_code == 301
    assert response.headers["location"] == f"https://testserver{url}"
    # A proxy that says anything but "https" is plain HTTP too.
    spoofed = {**headers, "x-forwarded-proto": "http"}
    response, _answered = await same_answers(https_stack, url, spoofed, counted)
    assert response.status_code == 301


@pytest.mark.parametrize("name", ["rest-200", "iip-200", "rest-400"])
async def test_https_answers_carry_hsts_like_django(image, identities, counted, https_stack, name):
    headers = (await sync_to_async(identities)())["session"]
    url = REQUESTS[name][0].format(pk=image.pk)
    for secure in ({"x-forwarded-proto": "https"}, {"x-forwarded-proto": "https, http"}):
        response, answered = await same_answers(https_stack, url, {**headers, **secure}, counted)
        assert answered
        assert response.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response.headers["x-frame-options"] == "DENY"


async def test_https_scheme_from_the_server_counts_as_secure(
    image, identities, counted, https_stack
):
    headers = (await sync_to_async(identities)())["session"]
    url = REQUESTS["rest-200"][0].format(pk=image.pk)
    # Without the proxy header Django falls back to the scheme the ASGI server gives.
    response, _answered = await same_answers(
        https_stack, url, headers, counted, base_url="https://testserver"
    )
    assert response.status_code == 200
    assert "strict-transport-security" in response.headers
