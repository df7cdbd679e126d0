"""Changes that end someone's access, applied in every process at once.

The hot path remembers who a session or token is (``portal.auth``) and what a user may
see (``portal.permissions``) per process. When that changes -- a logout, a password
change, a deactivated or deleted user, a deleted token, a grant, a group membership, a
collection's visibility, an image moved or deleted -- ``forget(change)``:

- drops the affected answers in this process at once, and again when the transaction
  commits (a request that read the old rows in between would have stored them again);
- after the commit, publishes the change on Redis (when ``REDIS_URL`` is set), where
  every server process listens (``listening``: subscribed before the first request or
  websocket it serves is answered) and drops the same answers on arrival --
  milliseconds later;
- tells this process's listeners (open websockets re-check their permission).

A process that loses its Redis subscription (or never got it) drops all its cached
answers when it gets it (it may have missed changes); while Redis is unreachable, cached answers expire
after ``portal.auth.USER_CACHE_SECONDS`` and ``portal.permissions.ACCESS_CACHE_SECONDS``.

A change is a small JSON-ready dict: ``{"user": <id>}`` (everything about that user),
``{"access": True}`` (every "may U view I" answer) or ``{"everyone": True}`` (all of it).
"""

import asyncio
import contextlib
import json
import logging
import threading

from django.conf import settings
from django.db import transaction

log = logging.getLogger("fitsportal.invalidation")

RECONNECT_SECONDS = 1.0
FIRST_ATTEMPT_SECONDS = 1.0
PING_SECONDS = 5.0
_listeners = []  # callables given each change applied in this process
_publisher = None
_publisher_lock = threading.Lock()
_listening = {}  # event loop -> its _Subscriber


def add_listener(function):
    """Call ``function(change)`` for every change applied in this process (from any
    thread: the function must hand work to its own event loop itself)."""
    _listeners.append(function)


def forget(change):
    """Apply ``change`` here now and at commit; then tell every other process."""
    apply(change)

    def committed():
        apply(change)
        publish(change)

    transaction.on_commit(committed)


def apply(change):
    """Drop this process's cached answers that ``change`` affects; tell the listeners."""
    from portal import auth, permissions

    if change.get("everyone"):
        auth.forget_everyone()
        permissions.forget_cached_access()
    if "user" in change:
        auth.forget_user(change["user"])
        permissions.forget_cached_access_of(change["user"])
    if change.get("access"):
        permissions.forget_cached_access()
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:  # a listener's failure must not stop the change
            log.exception("an invalidation listener failed")


# --- across processes: Redis publish/subscribe ------------------------------------------
def channel():
    """One channel per portal (Redis pub/sub ignores database numbers: name it by the
    database and the portal's task queue, as portals sharing a Redis are told apart)."""
    from urllib.parse import urlparse

    database = (urlparse(settings.REDIS_URL).path or "/0").strip("/") or "0"
    return f"fitsportal:forget:{database}:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def publish(change):
    """Tell every other process (never raises: they catch up when entries expire)."""
    global _publisher
    if not settings.REDIS_URL:
        return
    try:
        with _publisher_lock:
            if _publisher is None:
                import redis

                _publisher = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=1.0
                )
        _publisher.publish(channel(), json.dumps(change))
    except Exception as exc:
        log.warning("could not publish an access change (%s): other processes see it "
                    "when their cached answers expire", exc)  # fmt: skip


async def listening():
    """Start this event loop's subscriber once (a no-op without Redis), and wait (a
    second at most) for its first subscription: nothing this process answers is cached
    before it hears changes. Cheap once started: call it on every request."""
    if not settings.REDIS_URL:
        return
    loop = asyncio.get_running_loop()
    subscriber = _listening.get(loop)
    if subscriber is None or subscriber.task.done():
        for other in [other for other in _listening if other.is_closed()]:
            del _listening[other]
        subscriber = _listening[loop] = _Subscriber(loop)
    if not subscriber.first_attempt.done():
        await asyncio.wait([subscriber.first_attempt], timeout=FIRST_ATTEMPT_SECONDS)


class _Subscriber:
    """One event loop's subscription to the changes of other processes."""

    def __init__(self, loop):
        self.first_attempt = loop.create_future()  # done when subscribed, or failed once
        self.task = loop.create_task(self.run(), name="fitsportal-invalidation")

    def attempted(self):
        if not self.first_attempt.done():
            self.first_attempt.set_result(None)

    async def run(self):
        import redis.asyncio as aioredis

        missed = False  # whether changes may have been published while we were not listening
        while True:
            client = None
            try:
                client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1.0)
                pubsub = client.pubsub()
                await pubsub.subscribe(channel())
                if missed:
                    apply({"everyone": True})
                    log.warning("hearing other processes' access changes again")
                    missed = False
                self.attempted()
                await self.receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not missed:  # once per outage
                    log.warning("not hearing other processes' access changes (%s): "
                                "retrying every %s s", exc, RECONNECT_SECONDS)  # fmt: skip
                missed = True
                self.attempted()
                await asyncio.sleep(RECONNECT_SECONDS)
            finally:
                if client is not None:
                    with contextlib.suppress(Exception):
                        await client.aclose()

    async def receive(self, pubsub):
        loop = asyncio.get_running_loop()
        heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=PING_SECONDS)
            now = loop.time()
            if message is not None:
                heard = now
                if message["type"] == "message":
                    apply(json.loads(message["data"]))
            elif now - heard > 3 * PING_SECONDS:
                raise ConnectionError("no answer to pings")
            else:
                await pubsub.ping()  # its answer is a message too
