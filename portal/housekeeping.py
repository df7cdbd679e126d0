"""Removing what interrupted work left behind: at start-up and periodically.

A killed or restarted server or worker can leave, under ``UPLOAD_ROOT/.incoming``,
uploads half received (Django's ``tmp*.upload*`` files) or half registered (``*.part``);
the apps leave their own kinds of debris (catalog files whose import will never run,
half-built pyramids), which they clean themselves: each registers a cleaner here when
it is ready (``register``), so this module imports no app.

A file under ``.incoming`` is abandoned when nobody holds its ``flock`` and it is old
enough (by its modification time: a file being received is written to all the time).
Registration holds a lock on every ``*.part`` file from the moment it creates it, and
the image upload handler on its temporary file (``portal.registration``,
``portal.uploads``), until their request ends; the kernel drops a lock when its process
dies, however it dies. So an unlocked ``*.part`` is abandoned after a minute's grace,
while temporary files of other upload handlers, which may not lock theirs, must also be
``INCOMING_MAX_AGE`` seconds old. Safe at any time, from any process, beside uploads in
progress in other processes.

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

# Registration's files in progress (locked from birth), Django's temporary upload files.
LOCKED_SUFFIX = ".part"
LOCKED_GRACE = 60  # seconds between creating a file and locking it, many times over
UPLOAD_MARK = ".upload"


def incoming_root():
    return settings.UPLOAD_ROOT / ".incoming"


def _age_to_remove(name, older_than):
    """How old an unlocked file of that name must be to be removed; None if not ours."""
    if name.endswith(LOCKED_SUFFIX):
        return min(LOCKED_GRACE, older_than)
    if name.startswith("tmp") and UPLOAD_MARK in name:
        return older_than
    return None


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
        age = _age_to_remove(entry.name, older_than)
        if age is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < age:
                continue
        except FileNotFoundError:
            continue
        if held(entry.path):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(entry.path)
    return removed


# What the apps clean, by name: functions of no argument that remove their abandoned
# work and return how many things they removed.
_cleaners = {}


def register(name, cleaner):
    """Have ``clean_up`` call ``cleaner()`` too and count what it removed as ``name``
    (registering a name again replaces its cleaner)."""
    _cleaners[name] = cleaner


def remove_files(paths):
    """Delete ``paths`` (those already gone are skipped); the paths removed, logged."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            removed.append(path)
            log.warning("removed the abandoned upload %s", os.path.basename(path))
    return removed


def clean_up():
    """Remove every abandoned file and work folder now; how many of each kind."""
    try:
        incoming = remove_abandoned_incoming()
        for path in incoming:
            log.warning("removed the abandoned upload %s", os.path.basename(path))
        counts = {"incoming": len(incoming)}
        for name, cleaner in list(_cleaners.items()):
            counts[name] = cleaner()
    finally:
        close_old_connections()
    return counts


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
