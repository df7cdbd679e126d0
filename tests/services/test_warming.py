"""Warming end to end: upload over HTTP, then watch the websocket until the image is
ready. Embedded: tasks run in a worker thread of this process. With REDIS_URL (CI's
second pass): a real ``celery -A portal worker`` process does the work and its events
come back through channels_redis."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.asgi import application
from portal.models import Image
from tiles.engine import pyramid_complete

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.shared_storage]


async def events_until_ready(communicator, timeout=120):
    events = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            pytest.fail(f"not ready after {timeout} s; events: {events[-5:]}")
        event = await communicator.receive_json_from(timeout=remaining)
        events.append(event)
        if event.get("type") == "state" and event["state"] in ("ready", "failed"):
            return events


async def socket_for(image_id, user):
    communicator = WebsocketCommunicator(
        application, f"/ws/images/{image_id}/", headers=[(b"origin", b"http://127.0.0.1")]
    )
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def unique_fits(fits_factory):
    seed = uuid.uuid4().int % 100000  # a new checksum: no pyramid from an earlier run
    with open(fits_factory(f"w{seed}.fits", width=700, height=600, seed=seed), "rb") as handle:
        return handle.read()


async def test_upload_then_events_until_ready(users, collections, fits_factory, settings):
    settings.WARM_ON_REGISTER = True
    client = APIClient()
    client.force_authenticate(users["owner"])
    content = unique_fits(fits_factory)
    response = await sync_to_async(client.post)(
        "/api/collections/private-survey/images/",
        {"file": SimpleUploadedFile("warm.fits", content)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    image_id = response.json()["id"]
    communicator = await socket_for(image_id, users["owner"])
    events = await events_until_ready(communicator)
    await communicator.disconnect()
    assert events[-1]["state"] == "ready", events[-1]
    image = await Image.objects.aget(pk=image_id)
    assert image.state == Image.READY and image.progress == 1.0
    assert len(image.stats) == 1 and image.stats[0]["hi"] > image.stats[0]["lo"]
    assert pyramid_complete(image.cache_dir)


async def test_live_events_of_a_warm(users, collections, fits_factory, settings):
    from portal.registration import register_upload
    from tiles.tasks import schedule_warm

    content = unique_fits(fits_factory)
    image = await sync_to_async(register_upload)(
        collections["private"], SimpleUploadedFile("live.fits", content), users["owner"]
    )
    communicator = await socket_for(image.pk, users["owner"])
    first = await communicator.receive_json_from(timeout=10)
    assert (first["type"], first["state"]) == ("state", "pending")
    await sync_to_async(schedule_warm)(image, force=True)
    events = await events_until_ready(communicator)
    await communicator.disconnect()
    kinds = [e["type"] for e in events]
    states = [e["state"] for e in events if e["type"] == "state"]
    assert states[0] == "warming" and states[-1] == "ready"
    assert "progress" in kinds and "level" in kinds
    percents = [e["percent"] for e in events if e["type"] == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100.0
