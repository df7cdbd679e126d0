"""A per-process limit on concurrent heavy operations: region snapshots, FITS cutouts,
profiles, histograms.

Each kind has a number of slots (the ``HEAVY_SLOTS`` setting). ``slot(kind)`` takes one
without waiting or raises ``Busy`` at once: under ASGI, Django views run in threads, and a
request waiting for a slot would hold its thread (and the memory it has already read)
while telling the client nothing. The view answers ``Busy`` with 503 and ``Retry-After``.

Why 503 for everyone rather than 429 for one client over its share: the slots bound the
cost of this process, whoever asks; "one client" cannot be told apart reliably here
(anonymous users behind one proxy share an address), so per-client rates belong to the
front proxy or to the login limits. Tiles never take a slot: they are cheap and bounded.
"""

import threading
from contextlib import contextmanager

from django.conf import settings

_lock = threading.Lock()
_busy = {}  # kind -> slots taken now


class Busy(Exception):
    """Every slot of a kind is taken: try again after ``retry_after`` seconds."""

    def __init__(self, kind, retry_after):
        self.kind, self.retry_after = kind, retry_after
        super().__init__(
            f"The server is busy with other {kind} requests: try again in {retry_after} s."
        )


def capacity(kind):
    """The number of slots of ``kind`` (a setting, read each time: tests change it)."""
    return settings.HEAVY_SLOTS[kind]


class Slot:
    """One slot of ``kind``, held until ``release()`` (once; later calls do nothing)."""

    def __init__(self, kind):
        self.kind = kind
        with _lock:
            taken = _busy.get(kind, 0)
            if taken >= capacity(kind):
                raise Busy(kind, max(1, settings.HEAVY_RETRY_AFTER))
            _busy[kind] = taken + 1
        self._held = True

    def release(self):
        with _lock:
            if self._held:
                self._held = False
                _busy[self.kind] -= 1


def hold(kind):
    """Take one slot of ``kind`` or raise ``Busy`` at once; for work that outlives a
    ``with`` block (a response streamed after the view returned)."""
    return Slot(kind)


@contextmanager
def slot(kind):
    """Hold one slot of ``kind`` for the ``with`` block, or raise ``Busy`` at once."""
    taken = Slot(kind)
    try:
        yield
    finally:
        taken.release()


def in_use(kind):
    """Slots of ``kind`` taken now (for tests and diagnostics)."""
    return _busy.get(kind, 0)
