"""A signed-in user holds at most ``MAX_SOCKETS_PER_USER`` sockets at once in a process
(each reads the database now and then): one more is told so and closed (4429); other
users are not concerned, and a socket closed frees its place."""

import pytest
from channels.db import database_sync_to_async

from portal.models import Collection
from tests.sockets import make_image, open_socket, receive
from tiles import consumers

pytestmark = pytest.mark.django_db(transaction=True)


async def test_one_socket_past_the_quota_is_refused_and_a_closed_one_frees_a_place(
    users, collections, monkeypatch
):
    monkeypatch.setattr(consumers, "MAX_SOCKETS_PER_USER", 3)
    image = await database_sync_to_async(make_image)(collections[Collection.PUBLIC], "m.fits")
    path = f"/ws/images/{image.pk}/"
    held = []
    for _ in range(3):
        held.append(await open_socket(path, users["other"]))
        await receive(held[-1], "state")
    extra = await open_socket(path, users["other"])
    refused = await receive(extra, "error")
    assert refused["detail"].startswith("Too many open sockets")
    assert (await extra.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4429}
    someone_else = await open_socket(path, users["member"])
    await receive(someone_else, "state")  # another user's quota is their own
    await held.pop().disconnect()
    again = await open_socket(path, users["other"])
    await receive(again, "state")
    for communicator in [*held, someone_else, again]:
        await communicator.disconnect()


async def test_a_refused_socket_leaves_nothing_open(users, collections, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_SOCKETS_PER_USER", 1)
    image = await database_sync_to_async(make_image)(collections[Collection.PUBLIC], "m.fits")
    first = await open_socket(f"/ws/images/{image.pk}/", users["other"])
    await receive(first, "state")
    before = len(consumers._open)
    extra = await open_socket(f"/ws/collections/{collections['public'].pk}/", users["other"])
    await receive(extra, "error")
    assert len(consumers._open) == before
    await extra.disconnect()
    await first.disconnect()
