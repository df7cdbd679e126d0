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
"""

from django.core.signals import setting_changed
from django.dispatch import receiver

_memos = []  # every Memo, emptied together when settings change


class Memo:
    def __init__(self, size=1024):
        self.size = size
        self._answers = {}
        _memos.append(self)

    def get(self, key, produce, held=None):
        """The answer remembered for ``key`` (and the very object ``held``, if given),
        else ``produce()``'s, remembered."""
        full = (key, id(held))
        known = self._answers.get(full)
        if known is not None:
            return known[1]
        answer = produce()
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
