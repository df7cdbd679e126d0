"""Sending work to the background.

With a broker (``REDIS_URL``), a Celery signature goes to ``celery -A portal worker``
processes. Without one (the embedded default), it runs in a single worker thread of
this process, so ``make run`` needs no server and progress events still reach the
in-memory channel layer of the same process.
"""

import contextlib
import fcntl
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger("fitsportal.jobs")

# What publishing to an unreachable broker raises.
QUEUE_ERRORS = (BrokerError, OSError)

_lock = threading.Lock()
_executor = None
_pending = set()


def embedded():
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def _run(signature):
    try:
        result = signature.apply()
        if result.failed():
            log.warning("background task %s failed: %s", signature, result.result)
            return None
        return result.result
    except Exception:  # a worker thread must survive any task
        log.exception("background task %s crashed", signature)
        return None
    finally:
        close_old_connections()


def submit(signature):
    """Run a Celery signature in the background (worker process or embedded thread).

    Returns Celery's ``AsyncResult``, or in embedded mode a ``Future`` of the result.
    """
    global _executor
    if not embedded():
        return signature.apply_async()
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fitsportal-jobs")
        future = _executor.submit(_run, signature)
        _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def wait_idle(timeout=60):
    """Block until the embedded worker has nothing left to do (tests, management)."""
    with _lock:
        futures = list(_pending)
    for future in futures:
        future.result(timeout=timeout)


@contextlib.contextmanager
def work_lock(path):
    """Hold the ``flock`` of ``path`` (created if needed) for the ``with`` block; yields
    False, holding nothing, if another process holds it. The kernel releases the lock
    when its process dies, however it dies: a task that finds it free may take the work
    up again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # also releases the lock
