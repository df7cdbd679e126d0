"""uvicorn's HTTP protocol with bounds on what a client may make it hold before the
application sees a request.

uvicorn (its httptools protocol) keeps every header line it is sent, however many and
however long, until the blank line: one connection sending 200 MB of headers grew the
server by 150 MB, and one that sends a header byte now and then, or a body byte now and
then, holds its connection, its buffers and its request's task for ever (uvicorn has no
timeout but the one between two requests). The portal's own limits (``BodyLimit``, the
fast path) come after that. ``BoundedHttpToolsProtocol``, given to uvicorn as
``--http portal.http_protocol:BoundedHttpToolsProtocol``:

- answers 431 (JSON) and closes when the request line and headers pass
  ``MAX_HEAD_BYTES`` or ``MAX_HEADERS`` lines;
- answers 408 and closes when they are not complete ``HEAD_SECONDS`` after the request's
  first byte;
- closes the connection when its body stops coming for ``BODY_IDLE_SECONDS`` (the
  application sees the client gone); time while uvicorn itself stopped reading, the
  application being slow to take the body, does not count.

uvicorn's own refusals stay as they are: a request line of more than about 64 KB, or
bytes that are not HTTP, get its plain-text ``400 Invalid HTTP request received.`` and
the connection closed before any application code runs. Nothing of the portal reads
such a URL (the longest queries it answers are IIP's, a few KB), the answer costs
nothing, and a JSON one would need a parser of our own in front of uvicorn's: it is
left so (``tests/security/test_http_protocol.py`` holds that it stays a closed 400).
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024  # request line and headers; browsers send a few KB
MAX_HEADERS = 100
HEAD_SECONDS = 30.0
BODY_IDLE_SECONDS = 60.0


class HeadTooLarge(Exception):
    """Raised in a parser callback: httptools stops, uvicorn answers, we say what."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport):
        self._head_bytes = self._head_lines = 0
        self._head_timer = self._body_timer = None
        self._reading_body = False
        self._refusal = None
        super().connection_made(transport)

    # --- the head: bounded in bytes, lines and time ----------------------------------------
    def data_received(self, data):
        if self._reading_body:
            self._arm_body_timer()
        elif self._head_timer is None and data:
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)
        super().data_received(data)

    def on_message_begin(self):
        self._head_bytes = self._head_lines = 0
        if self._head_timer is None:  # a request that came after another in one packet
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)
        super().on_message_begin()

    def on_url(self, url):
        self._count(len(url), 0)
        super().on_url(url)

    def on_header(self, name, value):
        self._count(len(name) + len(value) + 4, 1)
        super().on_header(name, value)

    def _count(self, nbytes, lines):
        self._head_bytes += nbytes
        self._head_lines += lines
        if self._head_bytes > MAX_HEAD_BYTES or self._head_lines > MAX_HEADERS:
            self._refusal = (
                431,
                f"Request headers too large: at most {MAX_HEAD_BYTES // 1024} KiB"
                f" and {MAX_HEADERS} lines.",
            )
            raise HeadTooLarge

    def send_400_response(self, msg):
        """uvicorn's answer to a request its parser refused: ours when we refused it."""
        if self._refusal is None:
            return super().send_400_response(msg)
        self._cancel_timers()
        status, detail = self._refusal
        self._send_and_close(status, detail)

    def on_headers_complete(self):
        self._cancel_head_timer()
        self._reading_body = True
        super().on_headers_complete()
        self._arm_body_timer()

    def _head_too_slow(self):
        self._head_timer = None
        if not self._reading_body and not self.transport.is_closing():
            self._send_and_close(408, f"Request headers not received within {HEAD_SECONDS:g} s.")

    def _send_and_close(self, status, detail):
        body = json.dumps({"detail": detail}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()

    # --- the body: it keeps coming, or the connection goes -------------------------------
    def _arm_body_timer(self):
        if self._body_timer is not None:
            self._body_timer.cancel()
        self._body_timer = self.loop.call_later(BODY_IDLE_SECONDS, self._body_stalled)

    def _body_stalled(self):
        self._body_timer = None
        if not self._reading_body or self.transport.is_closing():
            return
        if self.flow.read_paused:  # uvicorn waits for the application, not the client
            self._arm_body_timer()
            return
        self.transport.close()  # the application's receive() says the client is gone

    def on_message_complete(self):
        self._reading_body = False
        self._cancel_timers()
        super().on_message_complete()

    # --- the end ---------------------------------------------------------------------------
    def handle_websocket_upgrade(self):
        self._reading_body = False
        self._cancel_timers()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc):
        self._cancel_timers()
        super().connection_lost(exc)

    def _cancel_head_timer(self):
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_timers(self):
        self._cancel_head_timer()
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
