"""The collection page's websocket: the images added, moved in or changed since the page
was made, to those who may view the collection only, and closed when they no longer may."""

import time

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import remove_perm

from portal.models import Collection, Image
from tests.sockets import collection_socket, make_image, receive
from tiles import consumers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_reads(monkeypatch):
    monkeypatch.setattr(consumers, "STATE_POLL_SECONDS", 0.05)


async def next_image(communicator):
    return (await receive(communicator, "image"))["image"]


async def test_new_images_and_their_states_arrive(users, collections):
    private = collections[Collection.PRIVATE]
    communicator = await collection_socket(private, users["member"], since=time.time())
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "watching", "collection": private.pk,
    }  # fmt: skip
    image = await database_sync_to_async(make_image)(private, "m42.fits")
    card = await next_image(communicator)
    assert card == {
        "id": image.pk, "title": "M42.FITS", "name": "m42.fits", "width": 30, "height": 20,
        "channels": 1, "state": "pending", "reason": "", "progress": 0.0, "version": 1,
        "url": f"/images/{image.pk}/", "thumbnail": f"/api/images/{image.pk}/tiles/0/0/0.jpg",
    }  # fmt: skip
    await database_sync_to_async(image.set_state)(Image.READY, progress=1.0)
    card = await next_image(communicator)
    assert (card["id"], card["state"], card["progress"]) == (image.pk, "ready", 1.0)
    assert await communicator.receive_nothing(timeout=0.3)  # each change once
    await communicator.disconnect()


async def test_only_what_changed_since_the_page_was_made(users, collections):
    private = collections[Collection.PRIVATE]
    await database_sync_to_async(make_image)(private, "old.fits")
    later = time.time() + 10  # the margin taken off "since" is 5 s
    communicator = await collection_socket(private, users["owner"], since=later)
    await communicator.receive_json_from(timeout=5)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()
    communicator = await collection_socket(private, users["owner"], since="nonsense")  # now
    await communicator.receive_json_from(timeout=5)
    assert await communicator.receive_nothing(timeout=0.3)
    fresh = await database_sync_to_async(make_image)(private, "new.fits")
    assert (await next_image(communicator))["id"] == fresh.pk
    await communicator.disconnect()


async def test_images_of_other_collections_are_not_sent(users, collections):
    communicator = await collection_socket(
        collections[Collection.PRIVATE], users["owner"], time.time()
    )
    await communicator.receive_json_from(timeout=5)
    await database_sync_to_async(make_image)(collections[Collection.TEAM], "t.fits")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.parametrize("who", ["other", "anonymous"])
async def test_a_collection_one_may_not_see_closes_the_socket(users, collections, who):
    user = AnonymousUser() if who == "anonymous" else users[who]
    communicator = await collection_socket(collections[Collection.PRIVATE], user)
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "error", "detail": "Not found.",
    }  # fmt: skip
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close", "code": 4404,
    }  # fmt: skip


async def test_a_revoked_grant_closes_the_socket(users, collections):
    private = collections[Collection.PRIVATE]
    communicator = await collection_socket(private, users["granted"], time.time())
    await communicator.receive_json_from(timeout=5)
    await database_sync_to_async(remove_perm)("contribute_collection", users["granted"], private)
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4404}
    await database_sync_to_async(make_image)(private, "after.fits")
    assert await communicator.receive_nothing(timeout=0.3)
