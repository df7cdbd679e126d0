"""Logout, a password change, a deactivated or deleted user, a deleted token, a revoked
grant: the very next tile request is refused, on the fast path as in Django, although
the identity and access caches had the old answer (the requests before warmed them).

A cookie that Python's ``SimpleCookie`` cannot parse beside the session cookie changes
nothing: the user stays signed in, for the fast path as for Django."""

import asyncio
import threading

import httpx
import numpy as np
import pytest
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.authtoken.models import Token

from portal import permissions
from portal.asgi import application
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "end.fits"
    rng = np.random.default_rng(7)
    fits.PrimaryHDU(rng.normal(100, 10, (300, 300)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()
    return image


async def asgi_get(url, headers):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(url, headers=headers)


def signed_in(user, password=None):
    client = Client()
    if password:
        assert client.login(username=user.username, password=password)
    else:
        client.force_login(user)
    return client, {"cookie": f"sessionid={client.cookies['sessionid'].value}"}


def tile_urls(image):
    return [f"/api/images/{image.pk}/tiles/1/0/0.jpg", f"/iip/?FIF={image.pk}&JTL=1,0"]


async def served(image, headers):
    """Each tile URL, twice (the second inline, from the caches): their statuses."""
    statuses = set()
    for url in tile_urls(image):
        for _ in range(2):
            statuses.add((await asgi_get(url, headers)).status_code)
    return statuses


async def test_logout_ends_tiles_at_once(users, image):
    client, headers = await sync_to_async(signed_in)(users["owner"])
    assert await served(image, headers) == {200}
    response = await sync_to_async(client.post)("/accounts/logout/")
    assert response.status_code == 302
    assert await served(image, headers) == {404}


async def test_logout_of_one_session_keeps_the_others(users, image):
    client, headers = await sync_to_async(signed_in)(users["owner"])
    _other_client, other_headers = await sync_to_async(signed_in)(users["owner"])
    assert await served(image, headers) == await served(image, other_headers) == {200}
    await sync_to_async(client.post)("/accounts/logout/")
    assert await served(image, headers) == {404}
    assert await served(image, other_headers) == {200}


async def test_a_password_change_ends_the_other_sessions_at_once(users, image):
    owner = users["owner"]
    changer, changer_headers = await sync_to_async(signed_in)(owner, "pw-owner")
    _elsewhere, elsewhere_headers = await sync_to_async(signed_in)(owner, "pw-owner")
    assert await served(image, elsewhere_headers) == {200}
    response = await sync_to_async(changer.post)(
        "/accounts/password_change/",
        {"old_password": "pw-owner", "new_password1": "N3w-pw-0wner!", "new_password2": "N3w-pw-0wner!"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:300]
    assert await served(image, elsewhere_headers) == {404}
    # The session that changed it goes on, under its new key (Django cycles it).
    new_headers = {"cookie": f"sessionid={changer.cookies['sessionid'].value}"}
    assert new_headers != changer_headers
    assert await served(image, new_headers) == {200}


async def test_a_password_set_elsewhere_ends_every_session_at_once(users, image):
    owner = users["owner"]
    _client, headers = await sync_to_async(signed_in)(owner, "pw-owner")
    assert await served(image, headers) == {200}
    owner.set_password("changed-by-an-admin")
    await sync_to_async(owner.save)()
    assert await served(image, headers) == {404}


async def test_a_deactivated_user_loses_sessions_and_tokens_at_once(users, image):
    owner = users["owner"]
    _client, headers = await sync_to_async(signed_in)(owner)
    token = await sync_to_async(Token.objects.create)(user=owner)
    token_headers = {"authorization": f"Token {token.key}"}
    assert await served(image, headers) == {200}
    rest = tile_urls(image)[0]
    assert (await asgi_get(rest, token_headers)).status_code == 200
    assert (await asgi_get(rest, token_headers)).status_code == 200
    owner.is_active = False
    await sync_to_async(owner.save)()
    assert await served(image, headers) == {404}
    refused = await asgi_get(rest, token_headers)
    assert refused.status_code == 403 and refused.json() == {"detail": "User inactive or deleted."}


async def test_a_deleted_user_loses_sessions_at_once(users, image):
    other = users["other"]
    await sync_to_async(assign_perm)("view_collection", other, image.collection)
    _client, headers = await sync_to_async(signed_in)(other)
    assert await served(image, headers) == {200}
    await sync_to_async(other.delete)()
    assert await served(image, headers) == {404}


async def test_a_deleted_token_is_refused_at_once(users, image):
    token = await sync_to_async(Token.objects.create)(user=users["owner"])
    headers = {"authorization": f"Token {token.key}"}
    rest = tile_urls(image)[0]
    for _ in range(2):
        assert (await asgi_get(rest, headers)).status_code == 200
    await sync_to_async(token.delete)()
    refused = await asgi_get(rest, headers)
    assert refused.status_code == 403 and refused.json() == {"detail": "Invalid token."}


async def test_a_revoked_grant_ends_tiles_at_once(users, image):
    granted = users["granted"]
    _client, headers = await sync_to_async(signed_in)(granted)
    assert await served(image, headers) == {200}
    await sync_to_async(remove_perm)("contribute_collection", granted, image.collection)
    assert await served(image, headers) == {404}


async def test_a_grant_revoked_in_a_transaction_ends_tiles_when_it_commits(users, image):
    granted = users["granted"]
    _client, headers = await sync_to_async(signed_in)(granted)
    assert await served(image, headers) == {200}

    def revoke_while_someone_reads():
        with transaction.atomic():
            remove_perm("contribute_collection", granted, image.collection)
            # Meanwhile a request reads the grant still committed: the cache that was
            # emptied at the change holds the old answer again.
            seen = []
            reader = threading.Thread(
                target=lambda: seen.append(asyncio.run(served(image, headers)))
            )
            reader.start()
            reader.join()
        return seen[0]

    assert await sync_to_async(revoke_while_someone_reads)() == {200}
    assert await served(image, headers) == {404}  # emptied again at the commit


async def test_leaving_a_group_ends_tiles_at_once(users, image):
    member = users["member"]
    _client, headers = await sync_to_async(signed_in)(member)
    assert await served(image, headers) == {200}
    await sync_to_async(lambda: member.groups.remove(users["group"]))()
    assert await served(image, headers) == {404}


async def test_a_deleted_group_ends_tiles_at_once(users, image):
    _client, headers = await sync_to_async(signed_in)(users["member"])
    assert await served(image, headers) == {200}
    await sync_to_async(Group.objects.filter(name="observers").delete)()
    assert await served(image, headers) == {404}


async def test_a_collection_made_private_ends_tiles_at_once(users, collections, image):
    image.collection = collections[Collection.TEAM]
    await sync_to_async(image.save)()
    _client, headers = await sync_to_async(signed_in)(users["other"])
    assert await served(image, headers) == {200}
    collection = collections[Collection.TEAM]
    collection.visibility = Collection.PRIVATE
    await sync_to_async(collection.save)()
    assert await served(image, headers) == {404}


async def test_an_image_moved_away_ends_tiles_at_once(users, collections, image):
    _client, headers = await sync_to_async(signed_in)(users["granted"])
    assert await served(image, headers) == {200}
    hidden = await sync_to_async(Collection.objects.create)(
        name="Hidden", slug="hidden", owner=users["owner"], visibility=Collection.PRIVATE
    )
    image.collection = hidden
    await sync_to_async(image.save)()
    assert await served(image, headers) == {404}


GARBAGE = ["x[y]=1", 'prefs={"a": [1, 2]}', 'b="', "c=d;e", "\x7f=1", "a b=c"]


@pytest.mark.parametrize("garbage", GARBAGE)
async def test_a_cookie_simplecookie_refuses_keeps_the_user_signed_in(users, image, garbage):
    client, headers = await sync_to_async(signed_in)(users["owner"])
    cookie = f"{garbage}; {headers['cookie']}; {garbage}"
    assert await served(image, {"cookie": cookie}) == {200}
    # Django agrees: a view the fast path never answers sees the same user.
    values = await asgi_get(f"/api/images/{image.pk}/values/?x=1&y=1", {"cookie": cookie})
    assert values.status_code == 200
    assert (
        await asgi_get("/api/collections/private-survey/", {"cookie": cookie})
    ).status_code == 200


RAW_HEADERS = [
    [(b"cookie", b"a=1"), (b"cookie", b"sessionid=abcdefgh12345678")],  # HTTP/2: repeated
    [(b"cookie", b'sessionid="abcdefgh\\054xyz"')],  # quoted, as SimpleCookie quotes
    [(b"cookie", b"sessionid=first123; sessionid=second12")],
    [(b"cookie", b"x[y]=1; sessionid=abcdefgh12345678; j={}")],
    [(b"cookie", b"sessionid=")],
    [(b"session_id", b"x"), (b"cookie", b"other=1")],
    [(b"authorization", b"Token  abc123")],
    [(b"authorization", b"token\tabc123")],
    [(b"authorization", b"Token a1"), (b"authorization", b"Token b2")],
    [(b"authorization", b"Token")],
    [(b"authorization", b"Token a b")],
    [(b"authorization", "Token ké".encode("latin-1"))],
    [(b"authorization", b"Bearer abc")],
    [(b"x_authorization", b"Token abc")],  # names with "_" are dropped by Django
    [(b"authorization", b"Token abc"), (b"cookie", b"sessionid=abcdefgh12345678")],
]


@pytest.mark.parametrize("raw", RAW_HEADERS)
def test_credentials_are_read_as_django_and_drf_read_them(raw):
    """What ``portal.auth.credentials`` reads from ASGI headers is what Django's request
    (cookies) and DRF's token authentication (the key, or a refusal) read."""
    import io

    from django.core.handlers.asgi import ASGIRequest
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework.request import Request

    from portal import auth

    scope = {"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""}
    request = ASGIRequest(scope, io.BytesIO())

    class KeyOnly(TokenAuthentication):
        def authenticate_credentials(self, key):
            return key, None

    try:
        found = KeyOnly().authenticate(Request(request))
        token = found[0] if found else None
    except AuthenticationFailed:
        token = auth.BAD_TOKEN
    creds = auth.credentials(raw)
    assert creds.session == request.COOKIES.get("sessionid")
    assert creds.token == token
