"""What the socket tests share: images made without a file, and the live pages' sockets
opened as a browser of the portal's own origin would, for a given user."""

import time

from channels.testing import WebsocketCommunicator

from portal.asgi import application
from portal.models import Image

ORIGIN = (b"origin", b"http://127.0.0.1")


def make_image(collection, name, **fields):
    """A pending image row of ``collection`` (no file behind it: nothing is warmed)."""
    return Image.objects.create(
        collection=collection, title=name.upper(), name=name, path=f"/nowhere/{name}",
        checksum=name.ljust(64, "0"), size=1, width=30, height=20, **fields,
    )  # fmt: skip


async def open_socket(path, user=None):
    """A connected socket of ``path``, ``user``'s (none: the scope's default)."""
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator, kind, timeout=5):
    """The next message, which must be of type ``kind``."""
    event = await communicator.receive_json_from(timeout=timeout)
    assert event["type"] == kind, event
    return event


async def search_socket(user, query="", since=None, timeout=5):
    """The search page's socket of ``query``, once it says it is watching."""
    since = time.time() if since is None else since
    communicator = await open_socket(f"/ws/search/?{query}&since={since}", user)
    assert await communicator.receive_json_from(timeout=timeout) == {"type": "watching"}
    return communicator


async def collection_socket(collection, user, since=None):
    """The collection page's socket (``since``: the page's time, as given; none: now)."""
    query = "" if since is None else f"?since={since}"
    return await open_socket(f"/ws/collections/{collection.pk}/{query}", user)
