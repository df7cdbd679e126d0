"""Requests the server refuses are logged as one bounded line each, and only so many a
window (``portal/logfilters.py``): a stranger sending thousands of parameters, broken
multipart bodies or paths with line breaks cannot fill the log or forge lines in it.
Server errors keep their tracebacks."""

import io
import logging
import sys

import pytest

from portal import logfilters
from portal.logfilters import RefusedRequestLines

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_log():
    """What the console handler (the one ``LOGGING`` configures) writes, with a fresh
    filter: its window is not the one earlier tests used."""
    handler = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, RefusedRequestLines) for f in h.filters)
    )  # fmt: skip
    fresh = RefusedRequestLines()
    old_filters = list(handler.filters)
    handler.filters = [f for f in old_filters if not isinstance(f, RefusedRequestLines)] + [fresh]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)
        handler.filters = old_filters


def too_many_fields(n=1200):
    return "&".join(f"a{i}=1" for i in range(n))


def test_too_many_fields_is_one_short_line_without_traceback(client, server_log):
    response = client.get("/api/images/?" + too_many_fields())
    assert response.status_code == 400
    lines = server_log.getvalue().splitlines()
    security = [line for line in lines if "TooManyFieldsSent" in line]
    assert len(security) == 1, lines
    assert "Traceback" not in server_log.getvalue()
    assert all(len(line) <= logfilters.MAX_LINE for line in lines)


def test_a_broken_multipart_body_is_one_line(client, server_log):
    body = b'--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nx'
    response = client.post("/accounts/login/", body, content_type="multipart/form-data")
    assert response.status_code == 400
    text = server_log.getvalue()
    assert "[MultiPartParserError]" in text, text
    assert "Traceback" not in text
    assert all(len(line) <= logfilters.MAX_LINE for line in text.splitlines())


def test_a_line_break_in_a_path_does_not_start_a_log_line(client, server_log):
    client.get("/nothing%0aERROR forged line/" + "y" * 5000)
    lines = server_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Not Found: /nothing")
    assert "\\n" in lines[0] and len(lines[0]) == logfilters.MAX_LINE


def test_past_the_window_s_quota_lines_are_dropped_then_counted(client, server_log):
    now = [1000.0]
    handler_filter = RefusedRequestLines(per_window=3, window=60.0, clock=lambda: now[0])
    handler = next(h for h in logging.getLogger().handlers if h.stream is server_log)
    handler.filters = [f for f in handler.filters if not isinstance(f, RefusedRequestLines)]
    handler.addFilter(handler_filter)
    for _ in range(10):
        assert client.get("/api/images/?" + too_many_fields()).status_code == 400
    assert server_log.getvalue().count("TooManyFieldsSent") == 3
    now[0] += 61.0
    client.get("/api/images/?" + too_many_fields())
    last = server_log.getvalue().splitlines()[-1]
    assert "TooManyFieldsSent" in last and "(7 more refused requests not logged)" in last


def record(name, level=logging.ERROR, status=None, exc=None, msg="Bad Request: %s", args=("/x",)):
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except type(exc):
            exc_info = sys.exc_info()
    made = logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)
    if status is not None:
        made.status_code = status
    return made


def test_server_errors_and_other_loggers_keep_their_tracebacks():
    lines = RefusedRequestLines()
    error = record("django.request", status=500, exc=ValueError("boom"))
    assert lines.filter(error) and error.exc_info is not None and error.args == ("/x",)
    own = record("fitsportal.server", exc=ValueError("boom"))
    assert lines.filter(own) and own.exc_info is not None
    refused = record("django.request", logging.WARNING, status=404, exc=ValueError("x"))
    assert lines.filter(refused) and refused.exc_info is None
    assert refused.getMessage() == "Bad Request: /x [ValueError]"


def test_a_security_record_is_shortened_and_quota_counts_only_refusals():
    lines = RefusedRequestLines(per_window=1, clock=lambda: 5.0)
    first = record("django.security.DisallowedHost", msg="Invalid host %r", args=("é\x1b" * 400,))
    assert lines.filter(first)
    assert first.exc_info is None and len(first.getMessage()) == logfilters.MAX_LINE
    assert "\\x1b" in first.getMessage() and "\x1b" not in first.getMessage()
    assert not lines.filter(record("django.security.SuspiciousFileOperation"))
    assert lines.filter(record("django.request", status=503))  # not a refusal: kept
    assert lines.filter(record("portal", logging.WARNING))
