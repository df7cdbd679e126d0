"""A small process-local cache with expiry, for answers on the tile hot path.

Used for "who is this session's user" and "may user U view image I": a stream of tile
requests then costs no database query. Entries live ``ttl`` seconds, so a change (a
revoked grant, a deactivated user) takes effect within that time in every process;
the process that makes the change also drops what it can at once.
"""

import threading
import time


class ExpiringCache:
    def __init__(self, ttl, max_entries=50_000, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._data = {}
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The cached value of ``key``, or ``compute()`` stored for ``ttl`` seconds."""
        now = self.clock()
        entry = self._data.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = compute()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data = {k: v for k, v in self._data.items() if v[0] > now}
                if len(self._data) >= self.max_entries:
                    self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

    def peek(self, key):
        """(True, value) if ``key`` is cached and fresh, else (False, None). Never computes."""
        entry = self._data.get(key)
        if entry is not None and entry[0] > self.clock():
            return True, entry[1]
        return False, None

    def forget(self, key):
        with self._lock:
            self._data.pop(key, None)

    def clear(self):
        with self._lock:
            self._data = {}
