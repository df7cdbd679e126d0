"""WebSockets: ``/ws/images/<id>/``, the state of an image, then its live events;
``/ws/collections/<id>/``, the images of a collection as they arrive and change state;
``/ws/search/?<query>``, a search's results as they arrive, change and go.

The collection and search sockets hear of changes through channel-layer groups
(``tiles/live.py``: ids only), then read the images under their user's permission.

A socket lives only as long as its user may view the image (the collection; a search
socket, as long as its session is the same user's, each result checked on its own).
Every change that can end that (``portal/invalidation.py``: a logout, a password change,
a deactivated or deleted user, a revoked grant, a collection made private, an image
moved or deleted) makes the
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
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from archive import search
from archive.serializers import SearchResultSerializer
from portal import auth, invalidation, permissions
from portal.api import parsers
from portal.models import Collection, Image
from tiles import live, progress

# Close codes (4000-4999 are the application's): the client shows the reason.
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_QUERY = 4400
CLOSE_TOO_MANY = 4429
# Each socket reads the database now and then (its checks, its safety reads, a pending
# image's state): a signed-in user holds this many at once in one process, a page and
# its tabs need a few. (Anonymous sockets share their proxy's address: not counted.)
MAX_SOCKETS_PER_USER = 64
TOO_MANY_SOCKETS = f"Too many open sockets: at most {MAX_SOCKETS_PER_USER} for one user."
STATE_POLL_SECONDS = 2.0
# A live socket reads at most once per this period, however many changes it hears of.
LIVE_READ_SECONDS = 0.25
# And once per this one it reads what changed since its last read, events or not: the
# changes made where its channel layer does not reach (a command of another process
# with the in-memory layer) appear within it.
SAFETY_READ_SECONDS = 30.0
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
    # Clients send little (a ``showing`` list of ids at most): a longer message, or one
    # that is not JSON or nested deeper than any of them, is dropped unread.
    MAX_MESSAGE_CHARS = 64 * 1024
    MAX_MESSAGE_DEPTH = 8

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
        self.groups = set()  # groups joined besides ``group``
        self.lost = self.recheck = False
        self.subject_id = self.scope["url_route"]["kwargs"].get(self.route_key)
        self.credentials = auth.credentials(self.scope.get("headers", []))
        user = await database_sync_to_async(self.current_user)()
        self.user_pk = user.pk if user.is_authenticated else None
        subject = await database_sync_to_async(self.lookup)(user)
        await self.accept()
        if subject is None:
            await self.refuse()
            return
        with _open_lock:
            crowded = self.user_pk is not None and (
                sum(1 for c in _open if c.user_pk == self.user_pk) >= MAX_SOCKETS_PER_USER
            )
            if not crowded:
                _open.add(self)
        if crowded:
            self.lost = True
            await self.send_json({"type": "error", "detail": TOO_MANY_SOCKETS})
            await self.close(code=CLOSE_TOO_MANY)
            return
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
            elif not self.lost:
                await self.access_changed()

    async def check_periodically(self):
        """The safety net for changes this process does not hear of."""
        while not self.lost:
            await asyncio.sleep(RECHECK_SECONDS)
            if not self.lost and not await self.still_viewable():
                await self.refuse()
            elif not self.lost:
                await self.access_changed()

    async def access_changed(self):
        """Someone's access may have changed, and this socket keeps its subject: what
        it shows of other objects may need checking again (the search's results)."""

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
        await self.leave_groups()

    async def leave_groups(self):
        for group in {self.group, *self.groups} - {None}:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups.clear()

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

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A client's message, read only if it is short, JSON, and shallow."""
        if not text_data or len(text_data) > self.MAX_MESSAGE_CHARS:
            return
        raw = text_data.encode("utf-8", "surrogatepass")
        if parsers.nesting_depth(raw, self.MAX_MESSAGE_DEPTH) > self.MAX_MESSAGE_DEPTH:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def disconnect(self, code):
        self.lost = True
        self.forget()
        await self.leave_groups()

    async def images_changed(self, message):
        """``tiles/live.py``: images changed (ids only); sockets that show images say."""


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


def asked_since(scope, margin):
    """The page's time (``since``, Unix seconds), ``margin`` earlier, at most a day ago;
    now if it names none."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    now = timezone.now()
    try:
        since = float(query.get("since", [""])[0][:32])
    except ValueError:
        return now
    if not math.isfinite(since):
        return now
    since = min(max(since - margin, now.timestamp() - 86400), now.timestamp())
    return datetime.datetime.fromtimestamp(since, tz=datetime.UTC)


class LiveReads:
    """What a live socket (collection, search) keeps between its reads: the images it
    heard changed (``changed``, bounded) and whether it must read by time (``catch_up``:
    at start, from ``since``; when too many changed at once; every
    ``SAFETY_READ_SECONDS``). ``read_changes`` (subclasses) reads and sends them."""

    MAX_CHANGED = 2000  # images remembered between two reads; more: read by time
    SINCE_MARGIN_SECONDS = 5.0  # the page's time and the rows' may differ a little

    def start_reads(self):
        self.since = asked_since(self.scope, self.SINCE_MARGIN_SECONDS)
        self.changed = set()
        self.catch_up = True  # what changed between the page and the socket
        self.wake = asyncio.Event()

    def more_to_read(self):
        """Whether a read is due besides what was heard (subclasses)."""
        return False

    def heard(self, image_ids):
        for image_id in image_ids:
            if len(self.changed) >= self.MAX_CHANGED:
                self.catch_up = True
                break
            self.changed.add(int(image_id))
        self.wake.set()

    async def watch_changes(self):
        """Reads when told (at most once per ``LIVE_READ_SECONDS``), and by time every
        ``SAFETY_READ_SECONDS`` whatever it heard."""
        safety = self.loop.time() + SAFETY_READ_SECONDS
        while not self.lost:
            if not (self.changed or self.catch_up or self.more_to_read()):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), max(0.0, safety - self.loop.time()))
            self.wake.clear()
            if self.loop.time() >= safety:
                self.catch_up = True
            if self.catch_up:
                safety = self.loop.time() + SAFETY_READ_SECONDS
            ids, self.changed = self.changed, set()
            catch_up, self.catch_up = self.catch_up, False
            if self.lost:
                return
            await self.read_changes(ids, catch_up)
            await asyncio.sleep(LIVE_READ_SECONDS)


class CollectionConsumer(LiveReads, GuardedConsumer):
    """``/ws/collections/<id>/?since=<unix time>``: the collection's images that were
    added, moved in or changed state since then, as ``image`` events carrying what a card
    of the collection page shows; the page puts them in its grid.

    The socket joins the collection's group (``tiles/live.py``) and reads the images it
    hears of, by id and in this collection only (an image moved out is not sent); at
    start, it reads those whose row changed since the page's time, and again every
    ``SAFETY_READ_SECONDS``. A card is sent once for each change it shows.
    """

    route_key = "collection_id"
    MAX_PER_READ = 200  # the rest follows at the next read
    MAX_REMEMBERED = 5000  # cards remembered to send each change once

    def lookup(self, user):
        return permissions.viewable_collection_cached(user, self.subject_id)

    def peek(self, user):
        return permissions.peek_viewable_collection(user, self.subject_id)

    async def start(self, collection):
        self.start_reads()
        self.sent = {}
        self.group = live.collection_group(collection.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "watching", "collection": collection.pk})
        self.watch = asyncio.create_task(self.watch_changes())

    async def images_changed(self, message):
        self.heard(image_id for image_id, _ in message.get("images", []))

    async def read_changes(self, ids, catch_up):
        images = await database_sync_to_async(self.changed_images)(ids, catch_up)
        for image in images:
            card = self.card(image)
            if self.sent.get(image.pk) == card:
                continue  # heard twice (the catch-up and an event)
            if len(self.sent) >= self.MAX_REMEMBERED:
                self.sent.clear()
            self.sent[image.pk] = card
            await self.forward({"type": "image", "image": card})
            if self.lost:
                return

    def changed_images(self, ids, catch_up):
        rows = Image.objects.filter(collection_id=self.subject_id).only(*self.CARD_FIELDS)
        images = {}
        if catch_up:
            found = list(
                rows.filter(updated__gt=self.since).order_by("updated", "pk")[: self.MAX_PER_READ]
            )
            if found:
                self.since = found[-1].updated
            if len(found) == self.MAX_PER_READ:
                self.catch_up = True  # more at the next read
            images.update((image.pk, image) for image in found)
        ids = sorted(set(ids) - set(images))
        if len(ids) > self.MAX_PER_READ:
            self.changed.update(ids[self.MAX_PER_READ :])
            ids = ids[: self.MAX_PER_READ]
        if ids:
            images.update((image.pk, image) for image in rows.filter(pk__in=ids))
        return sorted(images.values(), key=lambda image: (image.updated, image.pk))

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


class _Searcher:
    """The subject of a search socket: its user's right to search (everyone's)."""

    def __init__(self, user):
        self.user = user


class SearchConsumer(LiveReads, GuardedConsumer):
    """``/ws/search/?<the search's parameters>&since=<unix time>``: the images of a
    search (``archive/search.py``, the same parameters as ``GET /api/images/``) as they
    change, appear and go, for the search page's result table and sky map.

    Sent: ``{"type": "result", "image": row}`` (the API's search row) for an image that
    matches and changed, or that the page shows (``{"type": "showing", "ids": [...]}``
    from the page) and matches; ``{"type": "gone", "id": n}`` for an image of a result
    sent that no longer matches, was deleted, or that the user may no longer see;
    ``{"type": "progress", "id": n, "percent": p}`` while one of them is warming.
    Nothing is ever sent of an image the user may not see: every row is read through
    ``visible_to`` (a socket whose user is a stranger to an image never names it), and
    progress is forwarded after the image's permission check.

    A collection the user comes to see while the socket is open (a grant to them or to
    one of their groups, a visibility changed) is read too: its images that match are
    sent as ``result`` rows, as new uploads are (the page counts them in its bar),
    ``MAX_PER_READ`` at a read until all are sent. The socket notices it when it checks
    its permission again (an access change, ``portal/invalidation.py``, or the periodic
    check): the collections it sees then, less those it saw. A user who sees more than
    ``MAX_COLLECTIONS`` is not told of them (the page's next search shows them).

    Bounded per socket: one read per ``LIVE_READ_SECONDS`` of at most ``MAX_PER_READ``
    images; ``MAX_KNOWN`` images followed; ``MAX_FOLLOWED`` warming images whose
    progress is forwarded. Changes of collections the user cannot see are dropped
    without a query.
    """

    MAX_PER_READ = 500
    MAX_KNOWN = 2000
    MAX_FOLLOWED = 100
    MAX_COLLECTIONS = 20000  # visible collections kept to drop others' changes unread
    REVEAL_CHUNK = 500  # newly visible collections read in one query, at most
    IGNORED = ("since", "cursor", "page_size")

    def lookup(self, user):
        return _Searcher(user)

    def peek(self, user):
        return True, _Searcher(user)

    async def start(self, searcher):
        params = QueryDict(self.scope.get("query_string", b""), mutable=True)
        for name in self.IGNORED:
            params.pop(name, None)
        try:
            self.query = await database_sync_to_async(search.SearchQuery.parse)(params)
        except search.QueryError as exc:
            self.lost = True
            self.forget()
            await self.send_json({"type": "error", "detail": str(exc)})
            await self.close(code=CLOSE_BAD_QUERY)
            return
        self.start_reads()
        self.known = set()  # images the page was told of (or shows), that matched
        self.sent = {}  # id -> the row last sent, to send each change once
        self.followed = set()  # warming images whose progress group the socket joined
        self.collections = await database_sync_to_async(self.visible_collections)()
        self.revealed = []  # newly visible collections whose matches are still to be read
        self.revealed_after = 0  # the last image read of the first REVEAL_CHUNK of them
        self.revealed_lock = threading.Lock()  # changed on the loop and by the reads
        self.group = live.SEARCH_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "watching"})
        self.watch = asyncio.create_task(self.watch_changes())

    def visible_collections(self):
        """The ids of the collections the user may see now, or None when there are too
        many to keep (then every change is read)."""
        ids = Collection.objects.visible_to(self.current_user()).values_list("pk", flat=True)
        ids = set(ids[: self.MAX_COLLECTIONS + 1])
        return ids if len(ids) <= self.MAX_COLLECTIONS else None

    # --- what the socket hears -----------------------------------------------------------
    async def images_changed(self, message):
        if self.lost:
            return
        collections = self.collections
        self.heard(
            image_id
            for image_id, collection_id in message.get("images", [])
            if collections is None or collection_id in collections or image_id in self.known
        )

    async def receive_json(self, content, **kwargs):
        """``{"type": "showing", "ids": [...]}``: the images the page shows."""
        if self.lost or not isinstance(content, dict) or content.get("type") != "showing":
            return
        ids = content.get("ids")
        if not isinstance(ids, list):
            return
        # Read, and followed if they match: an id that does not (or that the user may not
        # see, or that names nothing) is dropped without a word.
        wanted = {i for i in ids[: self.MAX_PER_READ] if isinstance(i, int) and 0 < i < 2**63}
        self.heard(sorted(wanted - self.known))

    async def image_event(self, message):
        """A followed image's progress (``tiles/progress.py``, group ``image-<id>``)."""
        event = message["event"]
        image_id = event.get("image")
        if self.lost or image_id not in self.followed:
            return
        if event.get("type") == "state":
            self.heard([image_id])
        elif event.get("type") == "progress" and event.get("percent") is not None:
            if await self.may_see(image_id):
                await self.forward({"type": "progress", "id": image_id,
                                    "percent": event["percent"]})  # fmt: skip
            else:
                self.heard([image_id])  # read again: it goes

    async def may_see(self, image_id):
        found, user = (
            auth.peek_request_user(self.credentials, api=False)
            if self.credentials.session is not None
            else (False, None)
        )
        if found:
            known, image = permissions.peek_viewable_image(user, image_id)
            if known:
                return image is not None
        return await database_sync_to_async(self.viewable_image)(image_id)

    def viewable_image(self, image_id):
        return permissions.viewable_image_cached(self.current_user(), image_id) is not None

    async def access_changed(self):
        before = self.collections
        self.collections = await database_sync_to_async(self.visible_collections)()
        if before is not None and self.collections is not None:
            with self.revealed_lock:
                kept = [pk for pk in self.revealed if pk in self.collections]
                revealed = kept + sorted(self.collections - before - set(kept))
                if revealed[: self.REVEAL_CHUNK] != self.revealed[: self.REVEAL_CHUNK]:
                    self.revealed_after = 0  # the chunk being read changed: read it anew
                self.revealed = revealed
        self.heard(self.known)

    def more_to_read(self):
        return bool(self.revealed)

    # --- reading -----------------------------------------------------------------------
    async def read_changes(self, ids, catch_up):
        rows, gone = await database_sync_to_async(self.changed_results)(ids, catch_up)
        for image_id in gone:
            self.sent.pop(image_id, None)
            await self.unfollow(image_id)
            await self.forward({"type": "gone", "id": image_id})
        for row in rows:
            if self.lost:
                return
            if self.sent.get(row["id"]) == row:
                continue  # heard twice (the catch-up and an event)
            if len(self.sent) >= self.MAX_KNOWN:
                self.sent.clear()
            self.sent[row["id"]] = row
            if row["state"] in (Image.PENDING, Image.WARMING):
                await self.follow(row["id"])
            else:
                await self.unfollow(row["id"])
            await self.forward({"type": "result", "image": row})

    async def follow(self, image_id):
        if image_id not in self.followed and len(self.followed) < self.MAX_FOLLOWED:
            self.followed.add(image_id)
            self.groups.add(progress.group_name(image_id))
            await self.channel_layer.group_add(progress.group_name(image_id), self.channel_name)

    async def unfollow(self, image_id):
        if image_id in self.followed:
            self.followed.discard(image_id)
            self.groups.discard(progress.group_name(image_id))
            await self.channel_layer.group_discard(progress.group_name(image_id), self.channel_name)

    def changed_results(self, ids, catch_up):
        """(rows of the matching images among ``ids`` and, on a catch-up, those changed
        since the last, ids the page knows that no longer match), read now."""
        user = self.current_user()
        if (user.pk if user.is_authenticated else None) != self.user_pk:
            return [], []  # the check that follows closes the socket
        matches = {}
        if catch_up:
            found = self.matching(
                search.base_queryset(user, self.query)
                .filter(image__updated__gt=self.since)
                .order_by("image__updated", "pk")[: self.MAX_PER_READ]
            )
            if found:
                self.since = max(meta.image.updated for meta in found)
            matches.update((meta.pk, meta) for meta in found)
        matches.update((meta.pk, meta) for meta in self.revealed_matches(user))
        ids = sorted(set(ids) - set(matches))
        if len(ids) > self.MAX_PER_READ:
            self.changed.update(ids[self.MAX_PER_READ :])
            ids = ids[: self.MAX_PER_READ]
        if ids:
            queryset = search.base_queryset(user, self.query).filter(pk__in=ids)
            matches.update((meta.pk, meta) for meta in self.matching(queryset))
        gone = sorted(set(ids) & self.known - set(matches))
        self.known -= set(gone)
        for image_id in matches:
            if len(self.known) < self.MAX_KNOWN:
                self.known.add(image_id)
        images = []
        for meta in sorted(matches.values(), key=lambda m: (m.image.updated, m.pk)):
            meta.image.meta = meta
            images.append(meta.image)
        return list(SearchResultSerializer(images, many=True).data), gone

    def revealed_matches(self, user):
        """The next ``MAX_PER_READ`` candidates (by id) of the collections that became
        visible, that match."""
        with self.revealed_lock:
            chunk, after = self.revealed[: self.REVEAL_CHUNK], self.revealed_after
        if not chunk:
            return []
        found = list(
            search.base_queryset(user, self.query)
            .filter(image__collection_id__in=chunk, pk__gt=after)
            .order_by("pk")[: self.MAX_PER_READ]
        )
        with self.revealed_lock:
            if self.revealed[: self.REVEAL_CHUNK] == chunk and self.revealed_after == after:
                if len(found) == self.MAX_PER_READ:
                    self.revealed_after = found[-1].pk  # more at the next read
                else:
                    del self.revealed[: len(chunk)]
                    self.revealed_after = 0
            # else: changed meanwhile, and read again (rows sent are not sent twice)
        return self.matching(found)

    def matching(self, queryset):
        rows = list(queryset)
        if self.query.spatial is not None:
            hits = search.matching_rows(self.query.spatial, rows)
            rows = [meta for meta, hit in zip(rows, hits, strict=True) if hit]
        return rows
