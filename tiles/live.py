"""Image changes to the live pages' sockets, through channel-layer groups.

What the domain announces about an image (``portal/events.py``: registered, state
changed) and the saves of its row (a move, an edit) and its deletion become one
``images.changed`` message naming ``[image id, collection id]`` pairs, sent when the
transaction that made them commits, to two groups:

- ``collection-<id>``: the collection page's sockets of that collection;
- ``archive-images``: every search page's socket, which reads the images again under
  its user's permission and its query (``tiles/consumers.py``).

Messages carry ids only, never what an image holds: a socket learns anything about an
image from the database, after its permission check. The changes of one transaction
(a bulk-ingest batch: hundreds of images) go as one message per group.

The senders are synchronous (requests, tasks, commands). With Redis the message reaches
every process; with the in-memory layer, only the server's own (the embedded worker
thread is one), through ``tiles/progress.py``'s sender, which hands them to the server's loop.
"""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from portal import events
from tiles.progress import send  # the one hand-off to the layer (and the tests' seam)

SEARCH_GROUP = "archive-images"
MAX_PER_MESSAGE = 500  # pairs in one message: a bigger change goes as several

_buffer = threading.local()


def collection_group(collection_id):
    return f"collection-{int(collection_id)}"


def announce(image_id, collection_id):
    """Image ``image_id`` of ``collection_id`` changed: tell the sockets once the
    transaction commits (now, outside one); never raises."""
    if image_id is None or collection_id is None:
        return
    pending = getattr(_buffer, "pending", None)
    if pending is None:
        pending = _buffer.pending = {}
    pending[int(image_id)] = int(collection_id)
    # Each time: a transaction rolled back drops its callback, not the next one's. The
    # first flush sends all; those after it find nothing (a rolled-back image's id may
    # go with the next: the sockets read it and find nothing to say).
    try:
        transaction.on_commit(_flush)
    except Exception:  # no usable connection: say it now
        _flush()


def _flush():
    pending = getattr(_buffer, "pending", None)
    _buffer.pending = None
    if not pending:
        return
    pairs = sorted(pending.items())
    by_collection = {}
    for image_id, collection_id in pairs:
        by_collection.setdefault(collection_id, []).append([image_id, collection_id])
    for collection_id, items in by_collection.items():
        _send_all(collection_group(collection_id), items)
    _send_all(SEARCH_GROUP, [[i, c] for i, c in pairs])


def _send_all(group, items):
    for start in range(0, len(items), MAX_PER_MESSAGE):
        send(group, {"type": "images.changed", "images": items[start : start + MAX_PER_MESSAGE]})


# --- receivers ------------------------------------------------------------------------


def image_event(sender, image, **kwargs):
    announce(image.pk, image.collection_id)


def image_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        announce(instance.pk, instance.collection_id)


def image_deleted(sender, instance, **kwargs):
    announce(instance.pk, instance.collection_id)


def connect():
    """Subscribe to the image's events and row changes (idempotent). Called by the
    tiles app's ``ready()``, so every process that changes images sends: the server,
    the workers, commands and the admin."""
    from portal.models import Image

    events.image_registered.connect(image_event, dispatch_uid="live-registered")
    events.image_state_changed.connect(image_event, dispatch_uid="live-state")
    post_save.connect(image_saved, sender=Image, dispatch_uid="live-saved")
    post_delete.connect(image_deleted, sender=Image, dispatch_uid="live-deleted")
