"""WebSocket ``/ws/images/<id>/``: the state of an image, then its live events.

A socket lives only as long as its user may view the image. Every change that can end
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
import threading

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser

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


class ImageProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await invalidation.listening()
        self.loop = asyncio.get_running_loop()
        progress.bind_loop(self.loop)
        self.group = self.watch = self.checking = self.patrol = None
        self.lost = self.recheck = False
        self.image_id = self.scope["url_route"]["kwargs"]["image_id"]
        self.credentials = auth.credentials(self.scope.get("headers", []))
        user = await database_sync_to_async(self.current_user)()
        self.user_pk = user.pk if user.is_authenticated else None
        image = await database_sync_to_async(permissions.viewable_image_cached)(user, self.image_id)
        await self.accept()
        if image is None:
            await self.refuse()
            return
        with _open_lock:
            _open.add(self)
        self.group = progress.group_name(image.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last = progress.state_event(image)
        await self.send_json(self.last)
        self.watch = asyncio.create_task(self.watch_state(image.pk))
        self.patrol = asyncio.create_task(self.check_periodically())

    # --- may this socket still see the image? ----------------------------------------
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
        """The image if this socket may still see it, else None (may block)."""
        user = self.current_user()
        if (user.pk if user.is_authenticated else None) != self.user_pk:
            return None  # signed out, or someone else now: the socket was theirs
        return permissions.viewable_image_cached(user, self.image_id)

    def known_viewable(self):
        """(True, image or None) when the caches know, else (False, None): no I/O."""
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
        return permissions.peek_viewable_image(user, self.image_id)

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
        """Send ``event`` if the socket may still see the image."""
        if self.lost:
            return
        if not await self.still_viewable():
            await self.refuse()
            return
        if not self.lost:
            await self.send_json(event)

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

    async def disconnect(self, code):
        self.lost = True
        self.forget()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

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
