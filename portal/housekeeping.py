"""Removing what interrupted work left behind: at start-up and periodically.

A killed or restarted server or worker can leave, under ``UPLOAD_ROOT/.incoming``,
uploads half received (Django's ``tmp*.upload*`` files) or half registered (``*.part``),
catalog files whose import will never run (``catalogs.uploads.abandoned_files``), and
half-built pyramids in the cache (``tiles.tasks.clean_abandoned_work``).

A file under ``.incoming`` is abandoned when it is older than ``INCOMING_MAX_AGE``
seconds (by its modification time: a file being received is written to all the time)
and nobody holds its ``flock``: the upload handler and registration hold one on every
file they write while their request lives (``portal.uploads``, ``portal.registration``),
and the kernel drops it when their process dies, however it dies. So this is safe at
any time, from any process, beside uploads in progress in other processes.

``clean_up`` runs at server start (ASGI lifespan), at Celery worker start, and every
``HOUSEKEEPING_INTERVAL`` seconds in both (``start_periodic``: a daemon thread, so no
``celery beat`` is needed).
"""

import contextlib
import fcntl
import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger("fitsportal.housekeeping")

# Django's temporary upload files and registration's files in progress.
INCOMING_SUFFIXES = (".part",)
INCOMING_MARK = ".upload"


def incoming_root():
    return settings.UPLOAD_ROOT / ".incoming"


def _ours(name):
    return name.endswith(INCOMING_SUFFIXES) or (name.startswith("tmp") and INCOMING_MARK in name)


def held(path):
    """Whether a live process holds the ``flock`` of ``path`` (False if it is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases a lock taken here


def remove_abandoned_incoming(older_than=None, now=None):
    """Delete the abandoned files of ``.incoming`` (see the module); their paths."""
    older_than = settings.INCOMING_MAX_AGE if older_than is None else older_than
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(incoming_root()))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not _ours(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < older_than:
                continue
        except FileNotFoundError:
            continue
        if held(entry.path):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(entry.path)
    return removed


def remove_abandoned_catalog_files():
    from catalogs import uploads

    finder = getattr(uploads, "abandoned_files", None)
    if finder is None:
        return []
    removed = []
    for path in finder(older_than=settings.INCOMING_MAX_AGE):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed.append(path)
    return removed


def clean_up():
    """Remove every abandoned file and work folder now; how many of each."""
    from tiles.tasks import clean_abandoned_work

    try:
        incoming = remove_abandoned_incoming()
        catalogs = remove_abandoned_catalog_files()
        pyramids = clean_abandoned_work()
    finally:
        close_old_connections()
    for path in incoming + catalogs:
        log.warning("removed the abandoned upload %s", os.path.basename(path))
    return {"incoming": len(incoming), "catalogs": len(catalogs), "pyramids": pyramids}


def clean_up_safely():
    """``clean_up`` that logs instead of raising: serving and working go on regardless."""
    try:
        return clean_up()
    except Exception:
        log.exception("could not clean up abandoned files")
        return None


_timer_lock = threading.Lock()
_timer = None


def start_periodic(interval=None):
    """Run ``clean_up`` every ``interval`` seconds (``HOUSEKEEPING_INTERVAL``; 0: never)
    in a daemon thread of this process; once per process. Returns the stop event."""
    global _timer
    interval = settings.HOUSEKEEPING_INTERVAL if interval is None else interval
    with _timer_lock:
        if _timer is not None or interval <= 0:
            return _timer
        _timer = threading.Event()
        stop = _timer

    def loop():
        while not stop.wait(interval):
            clean_up_safely()

    threading.Thread(target=loop, name="fitsportal-housekeeping", daemon=True).start()
    return stop


def stop_periodic():
    global _timer
    with _timer_lock:
        if _timer is not None:
            _timer.set()
        _timer = None
