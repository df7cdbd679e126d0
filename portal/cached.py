"""A small process-local cache with expiry, for answers on the tile hot path.

Used for "who is this session's user" and "may user U view image I": a stream of tile
requests then costs no database query. Entries live ``ttl`` seconds at most; changes (a
revoked grant, a logout, a deactivated user) drop the entries they affect through
``forget``, ``forget_where`` or ``clear`` -- in this process at once, in the others when
the change is broadcast to them (``portal/invalidation.py``).

An answer computed while a forget happened is returned but not stored: it may have been
read before the change, and storing it would keep the old answer alive for ``ttl``.

Caches nest (the session's user is computed from the user cached by id): an answer
computed from another cache's entry expires no later than that entry, so nothing is
older than ``ttl`` however the caches are chained.
"""

import contextvars
import threading
import time

# While an answer is computed: [when it must expire at the latest], lowered by every
# cached entry it reads.
_reading = contextvars.ContextVar("expiring_cache_reading", default=None)


def _read_until(expiry):
    outer = _reading.get()
    if outer is not None and expiry < outer[0]:
        outer[0] = expiry


class ExpiringCache:
    def __init__(self, ttl, max_entries=50_000, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._data = {}
        self._lock = threading.Lock()
        self._generation = 0  # counts forgets: an answer computed across one is not kept

    def get(self, key, compute, keep=lambda value: True):
        """The cached value of ``key``, or ``compute()``, stored for ``ttl`` seconds when
        ``keep(value)`` and nothing was forgotten meanwhile."""
        now = self.clock()
        entry = self._data.get(key)
        if entry is not None and entry[0] > now:
            _read_until(entry[0])
            return entry[1]
        generation = self._generation
        until = [now + self.ttl]
        token = _reading.set(until)
        try:
            value = compute()
        finally:
            _reading.reset(token)
        _read_until(until[0])
        if not keep(value):
            return value
        with self._lock:
            if generation != self._generation:
                return value
            if len(self._data) >= self.max_entries:
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
                if len(self._data) >= self.max_entries:
                    self._data.clear()
            self._data[key] = (until[0], value)
        return value

    def peek(self, key):
        """(True, value) if ``key`` is cached and fresh, else (False, None). Never computes."""
        entry = self._data.get(key)
        if entry is not None and entry[0] > self.clock():
            return True, entry[1]
        return False, None

    def forget(self, key):
        with self._lock:
            self._generation += 1
            self._data.pop(key, None)

    def forget_where(self, predicate):
        """Drop every entry whose ``predicate(key, value)`` is true."""
        with self._lock:
            self._generation += 1
            self._data = {k: v for k, v in self._data.items() if not predicate(k, v[1])}

    def clear(self):
        with self._lock:
            self._generation += 1
            self._data = {}
