"""WebSockets: ``/ws/images/<id>/``, the state of an image, then its live events;
``/ws/collections/<id>/``, the images of a collection as they arrive and change state.

A socket lives only as long as its user may view the image (the collection). Every change that can end
that (``portal/invalidation.py``: a logout, a password change, a deactivated or deleted
user, a revoked grant, a collection made private, an image moved or deleted) makes the
open sockets it concerns, in every process, check again at once: who the session is
now, and whether they may view the image. A socket that lost it is closed (4404) and
sends nothing more; and before any event goes out, the same check is made from the
caches (no query when they know the answer), should a change ever go unannounced.

A process that never hears of a change (no Redis, or cut off from it) would keep such a
socket open for ever: so every socket also checks again every ``RECHECK_SECONDS`` (the
caches' period, ``FITSPORTAL_ACCESS_CACHE_SECONDS``), from the caches -- at most one
query per socket and period, none while they know the answer. Their answers are that old
at most: an unheard change closes the socket within twice the period.
"""

import asyncio
import contextlib
import contextvars
import datetime
import math
import threading
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from portal import auth, invalidation, permissions
from portal.models import Image
from tiles import progress

# Close codes (4000-4999 are the application's): the client shows the reason.
CLOSE_NOT_FOUND = 4404
STATE_POLL_SECONDS = 2.0
RECHECK_SECONDS = max(permissions.ACCESS_CACHE_SECONDS, 1)  # never a busy loop

_open = set()  # this process's open sockets
_open_lock = threading.Lock()


def _on_change(change):
    """An access change (any thread): the sockets it may concern check again."""
    everyone = change.get("access") or change.get("everyone")
    with _open_lock:
        concerned = [c for c in _open if everyone or c.user_pk == change.get("user")]
    for consumer in concerned:
        with contextlib.suppress(RuntimeError):  # its loop has closed: the socket is gone
            # In a context of its own: not the changing thread's (asgiref would take
            # the check for a call nested in that thread's and refuse to run it).
            consumer.loop.call_soon_threadsafe(consumer.check_soon, context=contextvars.Context())


invalidation.add_listener(_on_change)


class GuardedConsumer(AsyncJsonWebsocketConsumer):
    """A socket that lives as long as its user may view its subject (an image, a
    collection): subclasses say what the subject is (``lookup``, ``peek``) and what to
    do once it is found (``start``)."""

    route_key = None  # the URL's keyword naming the subject

    def lookup(self, user):
        """The subject if ``user`` may view it, else None (may query)."""
        raise NotImplementedError

    def peek(self, user):
        """(True, subject or None) when the caches know, else (False, None): no I/O."""
        raise NotImplementedError

    async def start(self, subject):
        """The subject was found: send its first message, start its tasks."""
        raise NotImplementedError

    async def connect(self):
        await invalidation.listening()
        self.loop = asyncio.get_running_loop()
        progress.bind_loop(self.loop)
        self.group = self.watch = self.checking = self.patrol = None
        self.lost = self.recheck = False
        self.subject_id = self.scope["url_route"]["kwargs"][self.route_key]
        self.credentials = auth.credentials(self.scope.get("headers", []))
        user = await database_sync_to_async(self.current_user)()
        self.user_pk = user.pk if user.is_authenticated else None
        subject = await database_sync_to_async(self.lookup)(user)
        await self.accept()
        if subject is None:
            await self.refuse()
            return
        with _open_lock:
            _open.add(self)
        await self.start(subject)
        self.patrol = asyncio.create_task(self.check_periodically())

    # --- may this socket still see its subject? --------------------------------------
    def current_user(self):
        """Who this socket is now: its session's user, as Django would see it (the
        cookie sent at connect); without a session cookie, the user the scope names."""
        if self.credentials.session is not None:
            return auth.request_user(self.credentials, api=False)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return AnonymousUser()
        return auth.CachedModelBackend().get_user(user.pk) or AnonymousUser()

    def viewable(self):
        """The subject if this socket may still see it, else None (may block)."""
        user = self.current_user()
        if (user.pk if user.is_authenticated else None) != self.user_pk:
            return None  # signed out, or someone else now: the socket was theirs
        return self.lookup(user)

    def known_viewable(self):
        """(True, subject or None) when the caches know, else (False, None): no I/O."""
        if self.credentials.session is not None:
            found, user = auth.peek_request_user(self.credentials, api=False)
            if not found:
                return False, None
            if (user.pk if user.is_authenticated else None) != self.user_pk:
                return True, None
        else:
            user = self.scope.get("user") or AnonymousUser()
            if user.is_authenticated:
                return False, None  # a scope user (no cookie): checked through the backend
        return self.peek(user)

    def check_soon(self):
        """On this socket's loop: check again (one check at a time, repeated if asked
        meanwhile)."""
        self.recheck = True
        if self.checking is None or self.checking.done():
            self.checking = asyncio.ensure_future(self._check())

    async def _check(self):
        while self.recheck and not self.lost:
            self.recheck = False
            if await database_sync_to_async(self.viewable)() is None:
                await self.refuse()

    async def check_periodically(self):
        """The safety net for changes this process does not hear of."""
        while not self.lost:
            await asyncio.sleep(RECHECK_SECONDS)
            if not self.lost and not await self.still_viewable():
                await self.refuse()

    async def still_viewable(self):
        found, image = self.known_viewable()
        if not found:
            image = await database_sync_to_async(self.viewable)()
        return image is not None

    async def refuse(self):
        """Not found (any more): say so, close, and send nothing else."""
        if self.lost:
            return
        self.lost = True
        self.forget()
        await self.send_json({"type": "error", "detail": "Not found."})
        await self.close(code=CLOSE_NOT_FOUND)
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    def forget(self):
        with _open_lock:
            _open.discard(self)
        for task in (self.watch, self.patrol):
            if task is not None and task is not asyncio.current_task():
                task.cancel()

    async def forward(self, event):
        """Send ``event`` if the socket may still see its subject."""
        if self.lost:
            return
        if not await self.still_viewable():
            await self.refuse()
            return
        if not self.lost:
            await self.send_json(event)

    async def disconnect(self, code):
        self.lost = True
        self.forget()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)


class ImageProgressConsumer(GuardedConsumer):
    """``/ws/images/<id>/``: the image's state, then its live events."""

    route_key = "image_id"

    def lookup(self, user):
        return permissions.viewable_image_cached(user, self.subject_id)

    def peek(self, user):
        return permissions.peek_viewable_image(user, self.subject_id)

    async def start(self, image):
        self.group = progress.group_name(image.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last = progress.state_event(image)
        await self.send_json(self.last)
        self.watch = asyncio.create_task(self.watch_state(image.pk))

    # --- events -------------------------------------------------------------------
    async def watch_state(self, image_id):
        """Events can be missed (work done by a process without the channel layer, a
        restart): until the image is ready or failed, the stored state is checked too."""
        while self.last["state"] not in (Image.READY, Image.FAILED) and not self.lost:
            await asyncio.sleep(STATE_POLL_SECONDS)
            image = await Image.objects.filter(pk=image_id).afirst()
            if image is None:
                await self.refuse()
                return
            state = progress.state_event(image)
            if (state["state"], state["progress"]) != (self.last["state"], self.last["progress"]):
                self.last = state
                await self.forward(state)

    async def receive_json(self, content, **kwargs):
        """Clients only listen; a ``{"type": "state"}`` message asks for the state again."""
        if isinstance(content, dict) and content.get("type") == "state" and self.group:
            image = await database_sync_to_async(self.viewable)()
            if image is None:
                await self.refuse()
            else:
                await self.forward(progress.state_event(image))

    async def image_event(self, message):
        event = message["event"]
        if event.get("type") == "state":
            self.last = event
        await self.forward(event)


class CollectionConsumer(GuardedConsumer):
    """``/ws/collections/<id>/?since=<unix time>``: the collection's images that were
    added, moved in or changed state since then, as ``image`` events carrying what a card
    of the collection page shows; the page puts them in its grid.

    They are read from the database every ``STATE_POLL_SECONDS`` (the images whose row
    changed since the last read: a state change, a registration and a move all write
    ``updated``), whoever made the change and in whatever process.
    """

    route_key = "collection_id"
    MAX_PER_READ = 200  # the rest follows at the next read
    SINCE_MARGIN_SECONDS = 5.0  # the page's time and the rows' may differ a little

    def lookup(self, user):
        return permissions.viewable_collection_cached(user, self.subject_id)

    def peek(self, user):
        return permissions.peek_viewable_collection(user, self.subject_id)

    async def start(self, collection):
        self.since = self.asked_since()
        await self.send_json({"type": "watching", "collection": collection.pk})
        self.watch = asyncio.create_task(self.watch_images(collection.pk))

    def asked_since(self):
        """The page's time (``since``), a little earlier; now if it names none."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        now = timezone.now()
        try:
            since = float(query.get("since", [""])[0][:32])
        except ValueError:
            return now
        if not math.isfinite(since):
            return now
        since = min(
            max(since - self.SINCE_MARGIN_SECONDS, now.timestamp() - 86400), now.timestamp()
        )
        return datetime.datetime.fromtimestamp(since, tz=datetime.UTC)

    async def watch_images(self, collection_id):
        while not self.lost:
            await asyncio.sleep(STATE_POLL_SECONDS)
            changed = await database_sync_to_async(self.changed_images)(collection_id)
            for image in changed:
                await self.forward({"type": "image", "image": self.card(image)})

    def changed_images(self, collection_id):
        images = list(
            Image.objects.filter(collection_id=collection_id, updated__gt=self.since)
            .order_by("updated", "pk")
            .only(*self.CARD_FIELDS)[: self.MAX_PER_READ]
        )
        if images:
            self.since = images[-1].updated
        return images

    CARD_FIELDS = ("pk", "title", "name", "width", "height", "channels", "state",
                   "state_reason", "progress", "version", "updated")  # fmt: skip

    @staticmethod
    def card(image):
        return {
            "id": image.pk, "title": image.title, "name": image.name,
            "width": image.width, "height": image.height, "channels": image.channels,
            "state": image.state, "reason": image.state_reason,
            "progress": round(image.progress, 4), "version": image.version,
            "url": reverse("image-page", args=[image.pk]),
            "thumbnail": reverse("image-tile", args=[image.pk, 0, 0, 0, "jpg"]),
        }  # fmt: skip
