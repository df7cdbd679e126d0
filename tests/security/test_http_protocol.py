"""What a client can make the server hold before the application sees its request
(``portal/http_protocol.py``), against a real uvicorn server on a loopback port: heads
bounded in bytes, lines and time, bodies that stop coming end their connection, and
uvicorn's own answer to a request line of more than 64 KB stays a closed 400."""

import json
import socket
import threading
import time

import pytest
import uvicorn

from portal import http_protocol
from portal.http_protocol import BoundedHttpToolsProtocol

SECONDS = 0.6  # the head and body timeouts of these tests


class Recorder:
    """A small ASGI app: answers the length of the body it read, or notes a client gone."""

    def __init__(self):
        self.gone = threading.Event()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.gone.set()
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        answer = json.dumps({"read": len(body)}).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(answer)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(http_protocol, "HEAD_SECONDS", SECONDS)
    monkeypatch.setattr(http_protocol, "BODY_IDLE_SECONDS", SECONDS)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = Recorder()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=BoundedHttpToolsProtocol, lifespan="off",
        log_level="critical", timeout_keep_alive=30,
    )  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    app.port = port
    yield app
    running.should_exit = True
    thread.join(10)


def connect(server):
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return connection


def answer(connection):
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def one_response(connection):
    """One response (headers and a content-length body) on a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(
        line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    ))  # fmt: skip
    while len(body) < length:
        body += connection.recv(65536)
    return head, body


def request(path=b"/", headers=b"", body=b""):
    length = b"content-length: %d\r\n" % len(body) if body else b""
    return b"GET " + path + b" HTTP/1.1\r\nhost: 127.0.0.1\r\n" + headers + length + b"\r\n" + body


def test_an_ordinary_request_with_some_kilobytes_of_headers_is_answered(server):
    with connect(server) as connection:
        connection.sendall(request(headers=b"cookie: " + b"a" * 8000 + b"\r\n", body=b"xyz"))
        head, body = one_response(connection)
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body) == {"read": 3}


@pytest.mark.parametrize(
    "headers",
    [
        b"x-big: " + b"a" * (200 * 1024) + b"\r\n",
        b"".join(b"x-%d: 1\r\n" % n for n in range(http_protocol.MAX_HEADERS + 1)),
    ],
    ids=["bytes", "lines"],
)
def test_too_large_a_head_is_a_431_and_the_connection_closed(server, headers):
    with connect(server) as connection:
        connection.sendall(request(headers=headers))
        data = answer(connection)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"connection: close" in head
    assert json.loads(body)["detail"].startswith("Request headers too large")


def test_a_head_sent_too_slowly_is_a_408_and_closed(server):
    with connect(server) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
        started = time.monotonic()
        data = answer(connection)
        waited = time.monotonic() - started
    assert data.startswith(b"HTTP/1.1 408 ")
    assert SECONDS * 0.8 < waited < SECONDS + 5


def test_a_body_that_stops_coming_ends_its_connection(server):
    with connect(server) as connection:
        connection.sendall(
            b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1000\r\n\r\n12345"
        )
        assert answer(connection) == b""  # closed, nothing sent
    assert server.gone.wait(5)  # the application was told the client went


def test_a_slow_body_that_keeps_coming_is_read_whole(server):
    with connect(server) as connection:
        connection.sendall(b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 6\r\n\r\n")
        for byte in b"abcdef":  # 1.5 s in all, each byte well within the idle time
            time.sleep(SECONDS / 2.4)
            connection.sendall(bytes([byte]))
        head, body = one_response(connection)
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body) == {"read": 6}
    assert not server.gone.is_set()


def test_a_kept_alive_connection_may_wait_between_requests(server):
    with connect(server) as connection:
        connection.sendall(request())
        assert one_response(connection)[0].startswith(b"HTTP/1.1 200")
        time.sleep(SECONDS * 2)  # longer than a head may take: no head has begun
        connection.sendall(request(body=b"ab"))
        head, body = one_response(connection)
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body) == {"read": 2}


def test_a_request_line_over_64_kb_gets_uvicorn_s_closed_400(server):
    with connect(server) as connection:
        connection.sendall(request(path=b"/?" + b"a" * (70 * 1024)))
        data = answer(connection)
    assert data.startswith(b"HTTP/1.1 4")
    assert b"connection: close" in data.lower()
