"""Whether an image's file is still the file that was registered.

A file registered in place is not the portal's: it may be truncated, rewritten or merely
touched at any time. The ``Image`` row records its size, mtime and checksum; every open
of the image's data compares the file's ``stat`` with them (a ``stat``: cheap enough for
every tile). A different size is a changed file; a different mtime alone is verified
with the checksum, once per process: a ``touch`` keeps the image as it was (the recorded
mtime follows, and the pyramid's manifest too), new content fails it.

A changed file fails its image at once, for good: state ``failed`` with the reason (in
the database, so every process and page sees it), the state event published; its data
and pyramid are never served again (``FileChangedError``, a 422 everywhere). Other
processes notice on their own next ``stat``. ``manage.py warm_images --rehash`` accepts
the new content as a new image version.
"""

import logging
import os
import threading
from dataclasses import dataclass

from django.conf import settings

from tiles.engine import InvalidFitsError, file_checksum
from tiles.engine.pyramid import pyramid_matches, refresh_source

log = logging.getLogger("fitsportal.files")


class FileChangedError(InvalidFitsError):
    """The image's file is no longer the one registered (the message says how)."""


@dataclass(frozen=True)
class Verdict:
    """What this process found the file at ``identity`` to be, for the row's checksum."""

    checksum: str
    identity: tuple  # (size, mtime_ns) of the file as seen
    reason: str | None  # why it changed; None: it holds the registered content


_verdicts = {}  # image id -> Verdict
_locks = {}
_locks_guard = threading.Lock()


def file_identity(path):
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def quick_check(image):
    """The answer a ``stat`` gives, without the database or reading the file: True if the
    file is as registered; ``FileChangedError`` if it is known to have changed; None if
    that needs ``check`` (which may read the whole file)."""
    try:
        stat = os.stat(image.path)
    except OSError:
        return None
    if stat.st_mtime_ns == image.mtime_ns and stat.st_size == image.size:
        return True  # the usual answer, first: this runs for every tile
    verdict = _verdicts.get(image.pk)
    if (
        verdict is not None
        and verdict.checksum == image.checksum
        and verdict.identity == (stat.st_size, stat.st_mtime_ns)
    ):
        if verdict.reason:
            raise FileChangedError(verdict.reason)
        return True
    return None


def check(image):
    """Raise ``FileChangedError`` (having failed the image) if its file changed since
    registration; return if it holds the registered content. May read the whole file
    (an mtime change alone) and write the row: call it where blocking is allowed."""
    if quick_check(image):
        return
    with _lock_of(image.pk):  # one checksum at a time per image, whoever asks
        if quick_check(image):
            return
        try:
            seen = file_identity(image.path)
        except OSError as exc:  # gone, or its file system away for a while: not failed
            raise InvalidFitsError(f"cannot read the file: {exc.strerror or exc}.") from exc
        size, mtime_ns = seen
        if size != image.size:
            _changed(image, seen, f"the file changed on disk after registration: size "
                     f"{image.size:,} → {size:,} bytes.")  # fmt: skip
        try:
            same = _unchanged_since_warm(image) or file_checksum(image.path) == image.checksum
        except OSError as exc:
            raise InvalidFitsError(f"cannot read the file: {exc}") from exc
        if not same:
            _changed(image, seen, "the file changed on disk after registration: same size "
                     f"({size:,} bytes), other content (its checksum differs).")  # fmt: skip
        _verdicts[image.pk] = Verdict(image.checksum, seen, None)
        if image.record_mtime(mtime_ns):  # a touch: the same content, a new mtime
            refresh_source(image.cache_dir, image.path)
            log.info("image %s: file touched, content unchanged", image.pk)


def _unchanged_since_warm(image):
    """A row from before mtimes were recorded, whose pyramid was built from the file as
    it is (same size and mtime): no need to read it all again."""
    return image.mtime_ns is None and pyramid_matches(
        image.path, image.cache_dir, settings.TILE_SIZE
    )


def _changed(image, seen, reason):
    if image.fail_for_changed_file(reason[:1].upper() + reason[1:]):  # publishes the state
        log.warning("image %s failed: %s", image.pk, reason)
    _verdicts[image.pk] = Verdict(image.checksum, seen, reason)
    raise FileChangedError(reason)


def _lock_of(image_id):
    with _locks_guard:
        return _locks.setdefault(image_id, threading.Lock())


def forget():
    """Drop every verdict (tests; a process that wants to look again)."""
    _verdicts.clear()
