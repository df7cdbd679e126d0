"""The identity and access caches as they are used: two users in one process, one after
the other, without clearing any cache between them.

Every way to ask for a private image's pixels -- REST tiles and values through Django,
IIP by id and by FIF name through Django, the same through the ASGI fast path -- is asked
by the owner then by a stranger (signed in, by API token, or anonymous), and the other
way round. The owner always gets the pixels, the stranger never does, whatever the
caches remember from the request before.

Then the changes, each with its decided delay in the process that made it: zero. A
revoked grant and a logout end that user's access at the very next request and leave
the other user's untouched; a file changed in place and warmed again is served with its
new pixels and a new ETag at the very next request, and the old ETag gets no 304.
(Other processes: ``test_session_end_across_processes.py``, within
``FITSPORTAL_ACCESS_CACHE_SECONDS``.)
"""

import io
import json

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.core.management import call_command
from django.test import Client
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.authtoken.models import Token

from portal import permissions
from portal.asgi import application
from portal.demo import star_field_wcs
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "two-users.fits"


def pixels(seed):
    return np.random.default_rng(seed).normal(100, 10, (300, 400)).astype(np.float32)


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / NAME
    fits.PrimaryHDU(pixels(1), star_field_wcs(400, 300).to_header()).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()  # once, before both users: never between them
    return image


def urls(image):
    """Each way to ask for the private image's pixels, by name."""
    pk, slug = image.pk, image.collection.slug
    return {
        "rest tile": f"/api/images/{pk}/tiles/1/0/0.png",
        "rest values": f"/api/images/{pk}/values/?x=3&y=4",
        "iip tile": f"/iip/?FIF={pk}&JTL=1,0",
        "iip by collection/name": f"/iip/?FIF={slug}/{NAME}&JTL=1,0",
        "iip by file name": f"/iip/?FIF=/some/where/{NAME}&JTL=1,0",
        "iip info": f"/iip/?FIF={pk}&INFO",
        "iip values": f"/iip/?FIF={pk}&VAL=3,4",
    }


class Django:
    """Asks through Django's own handler (the views, not the fast path)."""

    def __init__(self, user=None, token=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

    async def get(self, url, **headers):
        response = await sync_to_async(self.client.get)(url, headers=headers, **self.headers)
        return response.status_code, response.content, response.headers.get("ETag")


class Asgi:
    """Asks through the ASGI application: tiles take the fast path."""

    def __init__(self, user=None, token=None):
        self.headers = {}
        if user is not None:
            client = Client()
            client.force_login(user)
            self.headers["cookie"] = f"sessionid={client.cookies['sessionid'].value}"
        if token is not None:
            self.headers["authorization"] = f"Token {token}"

    async def get(self, url, **headers):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            response = await c.get(url, headers={**self.headers, **headers})
        return response.status_code, response.content, response.headers.get("etag")


def token_of(user):
    return Token.objects.get_or_create(user=user)[0].key


def asker(kind, users, who, how):
    """``who``'s client (owner, other, anonymous) over ``kind`` (django, asgi), signed in
    by ``how`` (session, token)."""
    user = users.get(who)
    client_class = Django if kind == "django" else Asgi
    if user is None:
        return client_class()
    if how == "token":
        return client_class(token=token_of(user))
    return client_class(user=user)


def stranger_refused(status, body):
    return status == 404 and b"two-users" not in body.lower()


@pytest.mark.parametrize("kind", ["django", "asgi"])
@pytest.mark.parametrize(
    ("stranger", "how"), [("other", "session"), ("other", "token"), ("anonymous", "session")]
)
@pytest.mark.parametrize("owner_first", [True, False], ids=["owner-first", "stranger-first"])
async def test_two_users_one_process(users, image, kind, stranger, how, owner_first):
    owner = await sync_to_async(asker)(kind, users, "owner", how)
    other = await sync_to_async(asker)(kind, users, stranger, how)
    order = [("owner", owner), ("stranger", other)]
    if not owner_first:
        order.reverse()
    for name, url in urls(image).items():
        for _round in range(2):  # the second round is answered from warm caches
            for who, client in order:
                status, body, _etag = await client.get(url)
                if who == "owner":
                    assert status == 200, (name, who, status, body[:200])
                else:
                    assert stranger_refused(status, body), (name, who, status, body[:200])


@pytest.mark.parametrize("kind", ["django", "asgi"])
async def test_a_revoked_grant_ends_that_user_at_once_and_no_one_else(users, image, kind):
    granted = await sync_to_async(asker)(kind, users, "granted", "session")
    owner = await sync_to_async(asker)(kind, users, "owner", "session")
    tiles = [urls(image)["rest tile"], urls(image)["iip by collection/name"]]
    for url in tiles:
        assert (await granted.get(url))[0] == 200 and (await owner.get(url))[0] == 200
    await sync_to_async(remove_perm)("contribute_collection", users["granted"], image.collection)
    for url in tiles:
        assert (await granted.get(url))[0] == 404, url
        assert (await owner.get(url))[0] == 200, url
    await sync_to_async(assign_perm)("view_collection", users["granted"], image.collection)
    for url in tiles:  # a new grant works at once too
        assert (await granted.get(url))[0] == 200, url


@pytest.mark.parametrize("kind", ["django", "asgi"])
async def test_a_logout_ends_that_session_at_once_and_no_one_else(users, image, kind):
    """The owner signs out in Django (a real logout request); the granted user's session
    and the owner's own token go on."""
    owner_session = await sync_to_async(asker)(kind, users, "owner", "session")
    owner_token = await sync_to_async(asker)(kind, users, "owner", "token")
    granted = await sync_to_async(asker)(kind, users, "granted", "session")
    url = urls(image)["rest tile"]
    for client in (owner_session, owner_token, granted):
        assert (await client.get(url))[0] == 200
    if kind == "django":
        logout_client = owner_session.client
    else:
        logout_client = Client()
        logout_client.cookies["sessionid"] = owner_session.headers["cookie"].split("=", 1)[1]
    await sync_to_async(logout_client.post)("/accounts/logout/")
    assert (await owner_session.get(url))[0] == 404
    assert (await granted.get(url))[0] == 200
    assert (await owner_token.get(url))[0] == 200  # a logout ends the session, not the token


@pytest.mark.parametrize("kind", ["django", "asgi"])
async def test_a_file_rewarmed_in_place_is_served_new_at_once(users, image, kind):
    """The file changes in place and ``warm_images --rehash --wait`` accepts it here, in
    this process: the very next tile has the new pixels and a new ETag, and the old ETag
    gets the new tile, not a 304."""
    owner = await sync_to_async(asker)(kind, users, "owner", "session")
    url = urls(image)["iip values"]
    tile = urls(image)["rest tile"]
    status, before, _ = await owner.get(url)
    assert status == 200
    status, old_tile, old_etag = await owner.get(tile)
    assert status == 200 and old_etag

    new = pixels(2)
    await sync_to_async(fits.PrimaryHDU(new).writeto)(image.path, overwrite=True)
    await sync_to_async(call_command)("warm_images", "--rehash", "--wait", stdout=None)

    status, after, _ = await owner.get(url)
    assert status == 200, after[:200]
    # VAL=3,4 is FITS pixel (3, 4): row 3, column 2 of the array.
    assert json.loads(before)["values"][0] == pytest.approx(float(pixels(1)[3, 2]), rel=1e-6)
    assert json.loads(after)["values"][0] == pytest.approx(float(new[3, 2]), rel=1e-6)
    status, new_tile, new_etag = await owner.get(tile, **{"If-None-Match": old_etag})
    assert status == 200 and new_etag != old_etag and new_tile != old_tile


async def test_every_cutout_in_the_process_has_the_wcs_of_its_pixels(users, image):
    """The owner, then the granted user, then the owner again ask for the same cutout:
    each one's CRPIX is the image's minus the cutout's origin (x1 - 1 = 10)."""
    url = f"/api/images/{image.pk}/cutout.fits?x1=11&y1=21&x2=20&y2=25"
    crpix = star_field_wcs(400, 300).wcs.crpix
    seen = []
    for who in ("owner", "granted", "owner"):
        client = await sync_to_async(asker)("asgi", users, who, "session")
        status, body, _ = await client.get(url)
        assert status == 200
        with fits.open(io.BytesIO(body)) as hdus:
            seen.append((hdus[0].header["CRPIX1"], hdus[0].header["CRPIX2"]))
    assert seen == [(crpix[0] - 10, crpix[1] - 20)] * 3
