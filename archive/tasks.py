"""Background work of the archive: a batch of a bulk registration, run by a Celery
worker when ``register_images`` spreads a directory tree over the workers.

A batch is never left waiting for a worker that does not exist. Before it is queued,
the workers are asked to answer (``control.ping``, at most every
``WORKER_ASK_SECONDS``): when none does, queuing it raises ``NoWorkerError`` (a broker
error), and ``register_images`` says so and registers in its own process. A batch
queued while workers answered, whose workers then all went away, waits
``WORKER_WAIT_SECONDS`` more at most: then it is revoked and its result is that
error, so the command refuses its files with the reason (run again, it registers
them: what is registered is skipped).
"""

import contextlib
import threading
import time

from celery import Task, shared_task
from celery.result import AsyncResult
from django.contrib.auth import get_user_model
from kombu.exceptions import OperationalError

from archive import ingest
from portal import jobs
from portal.models import Collection

WORKER_PING_SECONDS = 2.0  # how long workers have to answer
WORKER_ASK_SECONDS = 5.0  # how often they are asked, at most
WORKER_WAIT_SECONDS = 60.0  # a queued batch waits this long at most with no worker


class NoWorkerError(OperationalError):
    """No Celery worker answers: a queued batch would wait for ever."""


_seen = {"asked": float("-inf"), "answered": float("-inf")}
_seen_lock = threading.Lock()


def workers_answer(app):
    """Whether a worker answered lately (asks again when the last question is older
    than ``WORKER_ASK_SECONDS``; the first answer ends the question)."""
    with _seen_lock:
        now = time.monotonic()
        if now - _seen["asked"] >= WORKER_ASK_SECONDS:
            _seen["asked"] = now
            try:
                replies = app.control.ping(timeout=WORKER_PING_SECONDS, limit=1)
            except Exception:  # the broker is unreachable: no worker is either
                replies = []
            if replies:
                _seen["answered"] = time.monotonic()
        return time.monotonic() - _seen["answered"] <= WORKER_ASK_SECONDS + WORKER_PING_SECONDS


def no_worker_message(waited=None):
    when = f"for {waited:.0f} s" if waited else f"within {WORKER_PING_SECONDS:.0f} s"
    return (
        f"no Celery worker answered {when}: start one (celery -A portal worker), "
        "or register here with --in-process"
    )


class BatchResult(AsyncResult):
    """A batch's result that stops waiting when no worker has answered for
    ``WORKER_WAIT_SECONDS``: it is then ready, failed with ``NoWorkerError``."""

    abandoned = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queued = time.monotonic()

    def ready(self):
        if self.abandoned is not None:
            return True
        if super().ready():
            return True
        if workers_answer(self.app):
            self.queued = time.monotonic()  # workers are there, busy: wait on
        elif time.monotonic() - self.queued > WORKER_WAIT_SECONDS:
            self.abandoned = NoWorkerError(no_worker_message(WORKER_WAIT_SECONDS))
            with contextlib.suppress(Exception):  # the broker is gone too: nothing to revoke
                self.revoke()
            return True
        return False

    def successful(self):
        return self.abandoned is None and super().successful()

    def failed(self):
        return self.abandoned is not None or super().failed()

    @property
    def result(self):
        return self.abandoned if self.abandoned is not None else super().result


class NeedsWorker(Task):
    """A task queued only when a worker answers; its result waits for them boundedly."""

    def apply_async(self, args=None, kwargs=None, **options):
        if not jobs.embedded() and not workers_answer(self.app):
            raise NoWorkerError(no_worker_message())
        return super().apply_async(args, kwargs, **options)

    def AsyncResult(self, task_id, **kwargs):  # noqa: N802 (Celery's name)
        return BatchResult(task_id, backend=self.backend, app=self._get_app(), **kwargs)


# A worker killed in the middle of a batch loses its transaction; the broker hands the
# task out again (acks late) and the batch, run again, skips what is registered.
@shared_task(base=NeedsWorker, acks_late=True, reject_on_worker_lost=True)
def register_files(collection_id, paths, user_id=None, resume=True, warm=None):
    """``ingest.register_batch`` of ``paths``; its outcome as JSON."""
    collection = Collection.objects.get(pk=collection_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    outcome = ingest.register_batch(collection, paths, user=user, resume=resume, warm=warm)
    return outcome.as_json()
