"""What the server logs of requests it refused: one bounded line each, and not too many.

Django logs every request it refuses itself (``django.security.*``: too many fields, a
body over its limit, a bad host; ``django.request``: every 4xx, a multipart body it
cannot parse, a ``PermissionDenied``) with the exception's whole traceback, some 5 KB a
request: whoever sends such requests fills the log. ``RefusedRequestLines`` (a filter
of the log handlers, ``portal/settings.py``) turns each such record into one line --
its message, the exception's class, at most ``MAX_LINE`` characters, control characters
escaped -- and lets at most ``MAX_PER_WINDOW`` of them through in ``WINDOW_SECONDS``;
the first line after a window that dropped some says how many were dropped.

Server errors (5xx) keep their tracebacks, and so does every other logger: they are the
server's own failures, which someone must read.
"""

import logging
import threading
import time

REFUSALS = ("django.security", "django.request")
MAX_LINE = 300
MAX_PER_WINDOW = 60
WINDOW_SECONDS = 60.0


def one_line(text, limit=MAX_LINE):
    """``text`` with control characters escaped (a path's %0A is not a new log line),
    cut to ``limit`` characters with an ellipsis."""
    escaped = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def is_refusal(record):
    """A request the server refused (4xx), logged by Django's request or security
    loggers."""
    if not record.name.startswith(REFUSALS):
        return False
    if record.name.startswith("django.request"):
        status = getattr(record, "status_code", None)
        return status is not None and 400 <= status < 500
    return record.levelno < logging.CRITICAL


class RefusedRequestLines(logging.Filter):
    """Refused requests as single bounded lines, at most ``per_window`` a window."""

    def __init__(self, per_window=MAX_PER_WINDOW, window=WINDOW_SECONDS, clock=time.monotonic):
        super().__init__()
        self.per_window, self.window, self.clock = per_window, window, clock
        self.lock = threading.Lock()
        self.started, self.passed, self.dropped = None, 0, 0

    def filter(self, record):
        if not is_refusal(record):
            return True
        with self.lock:
            now = self.clock()
            dropped = 0
            if self.started is None or now - self.started >= self.window:
                self.started, self.passed, dropped, self.dropped = now, 0, self.dropped, 0
            if self.passed >= self.per_window:
                self.dropped += 1
                return False
            self.passed += 1
        self.shorten(record, dropped)
        return True

    def shorten(self, record, dropped):
        exc = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if exc is not None:
            message = f"{message} [{type(exc).__name__}]"
        if dropped:
            message = f"{message} ({dropped} more refused requests not logged)"
        record.msg, record.args = one_line(message), None
        record.exc_info = record.exc_text = record.stack_info = None
