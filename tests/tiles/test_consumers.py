"""The progress websocket: permission check, current state, then live events."""

import pytest
from channels.db import database_sync_to_async

from portal.models import Image
from tests.sockets import open_socket
from tiles import progress

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def image(collections):
    return Image.objects.create(
        collection=collections["private"], title="t", name="t.fits", path="/nowhere/t.fits",
        checksum="c" * 64, size=1, width=10, height=10, state=Image.WARMING, progress=0.25,
    )  # fmt: skip


async def connect(image_id, user=None):
    return await open_socket(f"/ws/images/{image_id}/", user)


async def test_owner_gets_the_state_then_live_events(users, image):
    communicator = await connect(image.pk, users["owner"])
    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "state" and first["state"] == "warming" and first["progress"] == 0.25

    # A task (synchronous code, another thread) publishes: the socket receives it.
    await database_sync_to_async(progress.publish)(image.pk, {"type": "level", "level": 3})
    assert await communicator.receive_json_from(timeout=5) == {"type": "level", "level": 3}
    await communicator.disconnect()


@pytest.mark.parametrize("who", ["other", "anonymous"])
async def test_unauthorised_socket_is_closed_with_4404(users, image, who):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else users[who]
    communicator = await connect(image.pk, user)
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "error",
        "detail": "Not found.",
    }
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4404}


async def test_progress_reporter_throttles(users, image):
    communicator = await connect(image.pk, users["owner"])
    await communicator.receive_json_from(timeout=5)
    now = [0.0]
    reporter = progress.ProgressReporter(image, interval=0.25, clock=lambda: now[0])

    def run():
        for done in range(1, 11):  # ten callbacks within 0.1 s: one event, then the last
            now[0] = done * 0.01
            reporter(0, done, 10)

    await database_sync_to_async(run)()
    events = [await communicator.receive_json_from(timeout=5) for _ in range(3)]
    assert [e["type"] for e in events] == ["progress", "progress", "level"]
    assert events[0]["done"] == 1 and events[1]["done"] == 10 and events[1]["percent"] == 100.0
    assert await communicator.receive_nothing(timeout=0.2)
    await database_sync_to_async(image.refresh_from_db)()
    assert image.progress == 1.0
    await communicator.disconnect()


async def test_a_change_this_process_never_hears_of_closes_the_socket_within_a_period(
    users, image, monkeypatch
):
    """The safety net without Redis (or cut off from it): no listener hears the revoked
    grant, yet the socket checks again every period and is closed."""
    from asgiref.sync import sync_to_async
    from guardian.shortcuts import remove_perm

    from portal import invalidation
    from tiles import consumers

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.5)
    communicator = await connect(image.pk, users["granted"])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "state"
    monkeypatch.setattr(invalidation, "_listeners", [])  # the change goes unheard
    await sync_to_async(remove_perm)("contribute_collection", users["granted"], image.collection)
    assert await communicator.receive_nothing(timeout=0.1)  # nobody told the socket
    assert await communicator.receive_json_from(timeout=1) == {
        "type": "error",
        "detail": "Not found.",
    }
    assert await communicator.receive_output(timeout=1) == {
        "type": "websocket.close",
        "code": 4404,
    }


async def test_the_periodic_check_keeps_a_socket_that_keeps_its_access(users, image, monkeypatch):
    from tiles import consumers

    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.1)
    communicator = await connect(image.pk, users["owner"])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "state"
    assert await communicator.receive_nothing(timeout=0.5)  # several checks, still open
    await database_sync_to_async(progress.publish)(image.pk, {"type": "level", "level": 2})
    assert await communicator.receive_json_from(timeout=5) == {"type": "level", "level": 2}
    await communicator.disconnect()
