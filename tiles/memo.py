"""Small remembered answers of the tile request path: what a viewing session asks again
and again (the same rendering text for many tiles), worked out once per process.

``Memo`` keeps at most ``size`` answers (all dropped when it is full: the keys a session
uses come back at once) and forgets them all when settings change (the caps of numbers
and channels are settings). A failure is never remembered: the next request raises it
again, worked out anew.

An answer that depends on an object the key cannot hold by value (an image's statistics,
a list of dicts) is remembered by that object's identity, and the object is kept with
the answer: an identity is never reused while its object is held, so a new object (a
re-warm's new statistics) is a new answer at once.

A key is request text, and a query may hold a thousand pairs: an answer whose key would
hold more than ``MAX_KEY_BYTES`` (``key_size``) is given but not remembered, so that a
memo holds at most ``size`` small keys whatever its callers are sent (24 MB for the
three memos of the tile path at the worst, instead of hundreds).
"""

from django.core.signals import setting_changed
from django.dispatch import receiver

_memos = []  # every Memo, emptied together when settings change

# The most a remembered key may hold: a viewing session's rendering is a few pairs (under
# 1 KB), a mix of 16 channels with their cuts about 5 KB.
MAX_KEY_BYTES = 8192
PAIR_BYTES = 128  # what a pair's tuple and strings hold besides their characters


class Memo:
    def __init__(self, size=1024):
        self.size = size
        self._answers = {}
        _memos.append(self)

    def get(self, key, produce, held=None, pairs=()):
        """The answer remembered for ``key`` (and the very object ``held``, if given),
        else ``produce()``'s, remembered unless the request text the key holds,
        ``pairs``, is over ``MAX_KEY_BYTES`` (``key_size``: weighed on a miss only, so a
        viewing session's tiles pay nothing for it)."""
        full = (key, id(held))
        known = self._answers.get(full)
        if known is not None:
            return known[1]
        answer = produce()
        if key_size(pairs) > MAX_KEY_BYTES:
            return answer
        if len(self._answers) >= self.size:
            self._answers.clear()
        self._answers[full] = (held, answer)
        return answer

    def clear(self):
        self._answers.clear()

    def __len__(self):
        return len(self._answers)


@receiver(setting_changed)
def _settings_changed(**kwargs):
    for memo in _memos:
        memo.clear()


def key_size(pairs):
    """About the bytes a key of the (name, value) text ``pairs`` holds (a value may be a
    tuple of texts): their characters and ``PAIR_BYTES`` for each pair and value."""
    size = 0
    for name, value in pairs:
        if type(value) is str:
            size += len(name) + len(value) + PAIR_BYTES
        else:
            size += len(name) + sum(map(len, value)) + PAIR_BYTES * (1 + len(value))
    return size
