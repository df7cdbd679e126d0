"""An answer of the fast path is written to the socket once: uvicorn's own HTTP protocol
(the pinned version) over a transport that records what it is asked to write."""

import asyncio

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from tiles.fastpath import send_once

BODY = b"\xff\xd8" + bytes(range(256)) * 40


class RecordingTransport(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.writes = []  # one entry per call: the bytes of write, or joined writelines
        self.closed = False

    def write(self, data):
        self.writes.append(bytes(data))

    def writelines(self, chunks):
        self.writes.append(b"".join(chunks))

    def close(self):
        self.closed = True

    def is_closing(self):
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


async def exchange(app, request):
    """What uvicorn writes for ``request`` (raw bytes) answered by ``app``."""
    config = Config(app=app, lifespan="off", access_log=False, log_config=None)
    protocol = HttpToolsProtocol(config, ServerState(), {}, asyncio.get_running_loop())
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(100):
        await asyncio.sleep(0)
        if protocol.cycle is not None and protocol.cycle.response_complete:
            break
    return transport


def answering(status, body, headers=()):
    async def app(scope, receive, send):
        start = {"type": "http.response.start", "status": status,
                 "headers": [*headers, (b"content-length", str(len(body)).encode())]}  # fmt: skip
        await send_once(send, start, {"type": "http.response.body", "body": body})

    return app


GET = b"GET /iip/?FIF=1&JTL=0,0 HTTP/1.1\r\nHost: testserver\r\n\r\n"


async def test_the_head_and_body_of_an_answer_are_one_write():
    transport = await exchange(answering(200, BODY, [(b"content-type", b"image/jpeg")]), GET)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\ncontent-type: image/jpeg" in head
    assert body == BODY and not transport.closed


async def test_an_answer_without_a_body_is_its_head_written_once():
    transport = await exchange(answering(304, b"", [(b"etag", b'"x"')]), GET)
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 304 Not Modified\r\n")
    assert transport.writes[0].endswith(b'etag: "x"\r\ncontent-length: 0\r\n\r\n')


async def test_a_connection_asked_to_close_is_closed_after_its_one_write():
    request = GET.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    transport = await exchange(answering(200, BODY), request)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(BODY)
    assert b"\r\nconnection: close\r\n" in transport.writes[0] and transport.closed


async def test_the_connection_writes_as_before_once_the_answer_is_sent():
    seen = {}

    async def app(scope, receive, send):
        await answering(200, BODY)(scope, receive, send)
        seen["transport"] = send.__self__.transport

    transport = await exchange(app, GET)
    assert seen["transport"] is transport  # its own transport again, nothing held


async def test_another_servers_send_gets_the_two_messages():
    sent = []

    async def send(message):
        sent.append(message)

    start = {"type": "http.response.start", "status": 200, "headers": []}
    body = {"type": "http.response.body", "body": b"x"}
    await send_once(send, start, body)
    assert sent == [start, body]
