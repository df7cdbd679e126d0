"""A search page's socket while an upload warms, end to end. Embedded: the warm runs in a
worker thread of this process and reaches the in-memory layer. With REDIS_URL (CI's
second pass): a real ``celery -A portal worker`` process warms it, and its events come
back through channels_redis to the search socket of this process."""

import asyncio
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.models import Collection, Image
from tests.sockets import collection_socket, receive, search_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.shared_storage]


async def upload(user, name, seed, fits_factory, slug="private-survey"):
    """``user`` uploads a new 600 x 500 FITS file to collection ``slug``: its id."""
    with open(fits_factory(name, width=600, height=500, seed=seed), "rb") as handle:
        content = handle.read()
    client = APIClient()
    client.force_authenticate(user)
    response = await sync_to_async(client.post)(
        f"/api/collections/{slug}/images/",
        {"file": SimpleUploadedFile(name, content)}, format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    return response.json()["id"]


async def warm_and_watch(page, image_id, state, timeout=120):
    """Asks for the image's warm; the states the search ``page`` is sent of it until it
    is ready or failed (after ``state``, the one it was sent first), and nothing else but
    its progress."""
    image = await Image.objects.aget(pk=image_id)
    await sync_to_async(image.warm)()
    states = [state]
    deadline = asyncio.get_running_loop().time() + timeout
    while states[-1] not in ("ready", "failed"):
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            pytest.fail(f"not ready after {timeout} s: {states}")
        event = await page.receive_json_from(timeout=remaining)
        if event["type"] == "result":
            assert event["image"]["id"] == image_id
            states.append(event["image"]["state"])
        else:
            assert event == {"type": "progress", "id": image_id, "percent": event["percent"]}
    return states


async def test_an_upload_appears_then_turns_ready_on_its_searchers_page_only(
    users, collections, fits_factory, settings
):
    # The warm is asked for once the upload's row has been seen pending: a live page
    # shows an image's latest state, so a warm quicker than the socket's next read would
    # otherwise show it ready at once.
    settings.WARM_ON_REGISTER = False
    word = f"live{uuid.uuid4().hex[:8]}"
    owner = await search_socket(users["owner"], f"q={word}", timeout=10)
    stranger = await search_socket(users["other"], f"q={word}", timeout=10)
    seed = uuid.uuid4().int % 100000  # a new checksum: no pyramid from an earlier run
    image_id = await upload(users["owner"], f"{word}.fits", seed, fits_factory)
    first = await owner.receive_json_from(timeout=30)
    assert first["type"] == "result" and first["image"]["id"] == image_id, first
    assert first["image"]["state"] == "pending", first
    states = await warm_and_watch(owner, image_id, first["image"]["state"])
    assert states[-1] == "ready", states
    assert await stranger.receive_nothing(timeout=0.5)  # never a word of it
    await owner.disconnect()
    await stranger.disconnect()


async def test_the_collection_page_hears_the_warm_from_where_it_runs(
    users, collections, fits_factory, settings, monkeypatch
):
    """No read by time during the test: the cards come from the events of the process
    that warms (a worker thread here, or the Celery worker)."""
    from tiles import consumers

    monkeypatch.setattr(consumers, "SAFETY_READ_SECONDS", 3600.0)
    settings.WARM_ON_REGISTER = True
    private = collections["private"]
    communicator = await collection_socket(private, users["member"], since=time.time())
    await receive(communicator, "watching", timeout=10)
    seed = uuid.uuid4().int % 100000
    image_id = await upload(users["owner"], f"c{seed}.fits", seed, fits_factory)
    states = []
    while not states or states[-1] not in ("ready", "failed"):
        event = await communicator.receive_json_from(timeout=120)
        assert event["type"] == "image" and event["image"]["id"] == image_id
        states.append(event["image"]["state"])
    assert states[-1] == "ready", states
    await communicator.disconnect()


async def test_an_image_shared_while_the_page_is_open_appears_then_warms_there(
    users, collections, fits_factory, settings
):
    """The owner shares a collection the grantee could not see, through the portal, while
    its image warms (a worker thread here, or the Celery worker): the grantee's page is
    sent the row, then its states; a stranger's, nothing; the grant revoked, it goes."""
    settings.WARM_ON_REGISTER = False
    word = f"shared{uuid.uuid4().hex[:8]}"
    late = await Collection.objects.acreate(name="Late", slug=f"late-{word}", owner=users["owner"])
    seed = uuid.uuid4().int % 100000
    image_id = await upload(users["owner"], f"{word}.fits", seed, fits_factory, late.slug)
    grantee = await search_socket(users["other"], f"q={word}", timeout=10)
    stranger = await search_socket(users["member"], f"q={word}", timeout=10)
    client = APIClient()
    client.force_authenticate(users["owner"])
    response = await sync_to_async(client.post)(
        f"/api/collections/{late.slug}/grants/", {"user": "other", "level": "view"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    first = await receive(grantee, "result", timeout=30)
    assert (first["image"]["id"], first["image"]["state"]) == (image_id, "pending")
    states = await warm_and_watch(grantee, image_id, first["image"]["state"])
    assert states[-1] == "ready", states
    response = await sync_to_async(client.delete)(
        f"/api/collections/{late.slug}/grants/user/{users['other'].pk}/"
    )
    assert response.status_code == 200, response.json()
    assert await receive(grantee, "gone", timeout=30) == {"type": "gone", "id": image_id}
    assert await stranger.receive_nothing(timeout=0.5)  # never a word of it
    await grantee.disconnect()
    await stranger.disconnect()
