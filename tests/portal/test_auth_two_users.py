"""Ending one user's identity while another user's is cached, in both directions.

Both users' identities are warmed (by session and by API token) on every way to ask for
a private image's pixels -- REST tile, IIP by id, IIP by FIF name, through Django and
through the ASGI fast path -- without clearing any cache. Then one of them loses their
token (deleted) or their session (a real logout request): in this process, that user is
refused at the very next request (delay zero) and the other user's answers are the same
as before. Which of the two loses it is a parameter: the image's owner, or the user
holding a grant on it.

Complements ``tests/security/test_two_users.py`` (the owner's logout, grants) and
``test_session_end.py`` (one user's deleted token); other processes:
``test_session_end_across_processes.py``.
"""

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.test import Client
from rest_framework.authtoken.models import Token

from portal import permissions
from portal.asgi import application
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "ending.fits"


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / NAME
    rng = np.random.default_rng(3)
    fits.PrimaryHDU(rng.normal(100, 10, (300, 400)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()  # once, before both users: never between them
    return image


def urls(image):
    return {
        "rest tile": f"/api/images/{image.pk}/tiles/1/0/0.jpg",
        "iip tile": f"/iip/?FIF={image.pk}&JTL=1,0",
        "iip by name": f"/iip/?FIF={image.collection.slug}/{NAME}&JTL=1,0",
    }


def identities(user):
    """Headers of a signed-in session and of an API token of ``user``, and the client
    that signed in (to log out with) and the token (to delete)."""
    client = Client()
    client.force_login(user)
    token = Token.objects.create(user=user)
    return {
        "client": client,
        "token": token,
        "session": {"cookie": f"sessionid={client.cookies['sessionid'].value}"},
        "by token": {"authorization": f"Token {token.key}"},
    }


async def status(kind, url, headers):
    if kind == "django":
        client = Client()
        django_headers = {}
        if "cookie" in headers:
            client.cookies["sessionid"] = headers["cookie"].split("=", 1)[1]
        if "authorization" in headers:
            django_headers["HTTP_AUTHORIZATION"] = headers["authorization"]
        response = await sync_to_async(client.get)(url, **django_headers)
        return response.status_code
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return (await c.get(url, headers=headers)).status_code


async def statuses(kind, image, headers):
    """Each URL twice (the second from warm caches): {url name: set of statuses}."""
    seen = {}
    for name, url in urls(image).items():
        seen[name] = {await status(kind, url, headers) for _ in range(2)}
    return seen


def everywhere(image, code):
    return {name: {code} for name in urls(image)}


async def warmed(kind, image, users):
    known = {}
    for name in ("owner", "granted"):
        known[name] = await sync_to_async(identities)(users[name])
        for how in ("session", "by token"):
            assert await statuses(kind, image, known[name][how]) == everywhere(image, 200)
    return known


@pytest.mark.parametrize("kind", ["django", "asgi"])
@pytest.mark.parametrize("losing", ["owner", "granted"])
async def test_a_deleted_token_ends_that_token_at_once_and_no_one_elses(users, image, kind, losing):
    known = await warmed(kind, image, users)
    staying = "granted" if losing == "owner" else "owner"
    await sync_to_async(known[losing]["token"].delete)()
    # DRF's answer to an unknown token, on REST and IIP alike: 403 "Invalid token."
    assert await statuses(kind, image, known[losing]["by token"]) == everywhere(image, 403)
    assert await statuses(kind, image, known[losing]["session"]) == everywhere(image, 200)
    for how in ("session", "by token"):
        assert await statuses(kind, image, known[staying][how]) == everywhere(image, 200)


@pytest.mark.parametrize("kind", ["django", "asgi"])
@pytest.mark.parametrize("losing", ["owner", "granted"])
async def test_a_logout_ends_that_session_at_once_and_no_one_elses(users, image, kind, losing):
    known = await warmed(kind, image, users)
    staying = "granted" if losing == "owner" else "owner"
    response = await sync_to_async(known[losing]["client"].post)("/accounts/logout/")
    assert response.status_code == 302
    assert await statuses(kind, image, known[losing]["session"]) == everywhere(image, 404)
    assert await statuses(kind, image, known[losing]["by token"]) == everywhere(image, 200)
    for how in ("session", "by token"):
        assert await statuses(kind, image, known[staying][how]) == everywhere(image, 200)
