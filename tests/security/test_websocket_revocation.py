"""An open progress websocket is closed (4404) the moment its user may no longer view
the image -- grant revoked, group left, collection made private, image moved or
deleted, user deactivated, that session logged out -- and receives no event after."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from guardian.shortcuts import remove_perm

from portal import permissions
from portal.asgi import application
from portal.models import Collection, Image
from tiles import progress

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED = {"type": "websocket.close", "code": 4404}
NOT_FOUND = {"type": "error", "detail": "Not found."}


@pytest.fixture
def image(collections):
    return Image.objects.create(
        collection=collections[Collection.PRIVATE], title="t", name="t.fits",
        path="/nowhere/t.fits", checksum="d" * 64, size=1, width=10, height=10,
        state=Image.WARMING, progress=0.5,
    )  # fmt: skip


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


async def connect(image_id, client):
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, f"/ws/images/{image_id}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie)],
    )  # fmt: skip
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "state" and first["image"] == image_id
    return communicator


async def event_reaches(communicator, image_id, level):
    await database_sync_to_async(progress.publish)(image_id, {"type": "level", "level": level})
    return await communicator.receive_json_from(timeout=5) == {"type": "level", "level": level}


LATER = {"type": "level", "level": 9}


async def assert_closed_at_once(communicator, image_id):
    """Closed within a second, and the next event (``LATER``) is not sent to it."""
    assert await communicator.receive_json_from(timeout=1) == NOT_FOUND
    assert await communicator.receive_output(timeout=1) == CLOSED
    await database_sync_to_async(progress.publish)(image_id, LATER)
    assert await communicator.receive_nothing(timeout=0.3)


async def test_revoked_grant_closes_the_socket(users, image):
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["granted"]))
    assert await event_reaches(socket, image.pk, 1)
    await sync_to_async(remove_perm)("contribute_collection", users["granted"], image.collection)
    await assert_closed_at_once(socket, image.pk)


async def test_leaving_the_group_closes_the_socket(users, image):
    member = users["member"]
    socket = await connect(image.pk, await sync_to_async(signed_in)(member))
    owner_socket = await connect(image.pk, await sync_to_async(signed_in)(users["owner"]))
    await sync_to_async(lambda: member.groups.remove(users["group"]))()
    await assert_closed_at_once(socket, image.pk)
    assert await owner_socket.receive_json_from(timeout=5) == LATER  # others' stay open
    await owner_socket.disconnect()


async def test_a_collection_made_private_closes_the_socket(users, collections, image):
    image.collection = collections[Collection.TEAM]
    await sync_to_async(image.save)()
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["other"]))
    assert await event_reaches(socket, image.pk, 1)
    team = collections[Collection.TEAM]
    team.visibility = Collection.PRIVATE
    await sync_to_async(team.save)()
    await assert_closed_at_once(socket, image.pk)


async def test_an_image_moved_away_closes_the_socket(users, image):
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["granted"]))
    hidden = await sync_to_async(Collection.objects.create)(
        name="Hidden", slug="hidden", owner=users["owner"], visibility=Collection.PRIVATE
    )
    image.collection = hidden
    await sync_to_async(image.save)()
    await assert_closed_at_once(socket, image.pk)


async def test_a_deleted_image_closes_the_socket(users, image):
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["owner"]))
    await sync_to_async(image.delete)()
    await assert_closed_at_once(socket, image.pk)


async def test_a_deactivated_user_loses_the_socket(users, image):
    granted = users["granted"]
    socket = await connect(image.pk, await sync_to_async(signed_in)(granted))
    granted.is_active = False
    await sync_to_async(granted.save)()
    await assert_closed_at_once(socket, image.pk)


async def test_logout_closes_that_sessions_sockets_only(users, image):
    leaving = await sync_to_async(signed_in)(users["granted"])
    socket = await connect(image.pk, leaving)
    staying = await connect(image.pk, await sync_to_async(signed_in)(users["granted"]))
    await sync_to_async(leaving.post)("/accounts/logout/")
    await assert_closed_at_once(socket, image.pk)
    assert await staying.receive_json_from(timeout=5) == LATER
    await staying.disconnect()


async def test_a_change_nobody_announced_still_stops_the_events(users, image):
    """The safety net: a change made without signals (a queryset update) and caches
    that have since forgotten the old answer: the next event is not sent."""
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["granted"]))
    assert await event_reaches(socket, image.pk, 1)
    await sync_to_async(
        lambda: image.collection.collectionuserpermission_set.all()._raw_delete("default")
    )()
    permissions.forget_cached_access()  # as an expired entry would
    await database_sync_to_async(progress.publish)(image.pk, {"type": "level", "level": 2})
    assert await socket.receive_json_from(timeout=1) == NOT_FOUND
    assert await socket.receive_output(timeout=1) == CLOSED


async def test_a_socket_that_keeps_its_access_keeps_its_events(users, image):
    socket = await connect(image.pk, await sync_to_async(signed_in)(users["owner"]))
    other = await sync_to_async(Collection.objects.create)(
        name="Unrelated", slug="unrelated", owner=users["owner"]
    )
    await sync_to_async(other.delete)()  # an access change, not about this image
    assert await event_reaches(socket, image.pk, 4)
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()
