"""Tasks of the portal itself."""

import os
import socket
import threading

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from portal import housekeeping


@shared_task
def worker_identity():
    """Where this task ran: lets operators and tests see that a worker is alive."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "thread": threading.get_ident()}


@shared_task(ignore_result=True)
def clean_up():
    """Remove abandoned uploads and pyramid work folders (``portal.housekeeping``)."""
    return housekeeping.clean_up()


@worker_ready.connect
def _clean_up_at_start(**kwargs):
    """A worker cleans up when it starts, then every ``HOUSEKEEPING_INTERVAL`` seconds."""
    try:
        housekeeping.clean_up_safely()
        housekeeping.start_periodic()
    finally:
        connections.close_all()  # none is shared with the pool's processes
