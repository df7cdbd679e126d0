"""Tasks of the portal itself."""

import os
import socket
import threading

from celery import shared_task


@shared_task
def worker_identity():
    """Where this task ran: lets operators and tests see that a worker is alive."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "thread": threading.get_ident()}
