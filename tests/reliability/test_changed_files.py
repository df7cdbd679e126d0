"""Files registered in place that change under a running server (issue items 4 and 17).

A real server (uvicorn, embedded worker) over its own SQLite database and ``var/``; the
images are registered in place under ``FITSPORTAL_DATA_ROOTS`` and warmed by the server
at start. Truncating a file while it warms and while its tiles are read must not end the
server (SIGBUS from a memory map did); it fails the image with the reason, and leaves no
work folder. A file truncated after warming answers 422 at once, everywhere, in this
server and in another one over the same database; a ``touch`` alone changes nothing.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

ROOT = Path(__file__).resolve().parents[2]
SEED = """
import django, sys
django.setup()
from django.contrib.auth.models import User
from portal.models import Collection
from portal.registration import register_path
user = User.objects.create_user("alice", password="alice-password-1")
collection = Collection.objects.create(name="c", slug="c", owner=user, visibility="public")
print(" ".join(str(register_path(collection, path).pk) for path in sys.argv[1:]))
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """A var/ folder, its database, a data root, and the servers started over them."""

    def __init__(self, tmp_path):
        self.var, self.data = tmp_path / "var", tmp_path / "data"
        self.data.mkdir()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(
            FITSPORTAL_VAR_DIR=str(self.var), FITSPORTAL_INSECURE_DEV_KEY="1", DEBUG="0",
            DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT),
            FITSPORTAL_DATA_ROOTS=str(self.data), FITSPORTAL_WARM_ON_REGISTER="0",
        )  # fmt: skip
        self.servers = []
        self.logs = []
        self.run("manage.py", "migrate", "-v", "0")

    def run(self, *args):
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True, timeout=300).stdout  # fmt: skip

    def register(self, *paths):
        """Images registered in place, ``pending``: a server warms them when it starts."""
        return [int(pk) for pk in self.run("-c", SEED, *map(str, paths)).split()]

    def start_server(self):
        port = free_port()
        log = open(self.var / f"server-{port}.log", "wb")  # noqa: SIM115 (closed in stop)
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--port", str(port)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.servers.append(server)
        self.logs.append(log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/iip/", timeout=2)
                return server, base
            except OSError:
                assert server.poll() is None, f"the server exited: {self.tail(port)}"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

    def tail(self, port):
        return (self.var / f"server-{port}.log").read_text(errors="replace")[-3000:]

    def row(self, pk):
        with sqlite3.connect(self.var / "fitsportal.sqlite3", timeout=10) as db:
            query = "SELECT state, state_reason, progress, mtime_ns FROM portal_image WHERE id = ?"
            return db.execute(query, (pk,)).fetchone()

    def wait_for(self, pk, predicate, timeout=120, what="state"):
        deadline = time.monotonic() + timeout
        while not predicate(self.row(pk)):
            assert time.monotonic() < deadline, f"{what}: still {self.row(pk)}"
            time.sleep(0.005)
        return self.row(pk)

    def work_folders(self):
        store = self.var / "cache" / "pyramids"
        return (
            sorted(p.name for p in store.iterdir() if p.name.startswith("."))
            if store.exists()
            else []
        )

    def stop(self):
        for server in self.servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
        for log in self.logs:
            log.close()


@pytest.fixture
def portal(tmp_path):
    portal = Portal(tmp_path)
    yield portal
    portal.stop()


def get(url):
    """(status, content type, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()
    except OSError as error:  # nobody answers: the server is gone
        return None, None, str(error).encode()


def write_image(path, width, height, value=1.0):
    data = np.full((height, width), value, np.float32)
    data[:, : width // 2] += np.arange(height, dtype=np.float32)[:, None] / height
    fits.PrimaryHDU(data).writeto(path)
    return path


def data_start(path):
    with fits.open(path) as hdulist:
        return hdulist.fileinfo(0)["datLoc"]


def assert_changed_422(status, content_type, body):
    assert status == 422, (status, body[:200])
    assert content_type == "application/json"
    assert "changed on disk after registration" in json.loads(body)["detail"]


def test_a_file_cut_short_while_it_warms_fails_its_image_not_the_server(portal):
    big = write_image(portal.data / "big.fits", 8192, 8192)
    small = write_image(portal.data / "small.fits", 600, 400)
    size = big.stat().st_size
    big_id, small_id = portal.register(big, small)
    server, base = portal.start_server()  # it warms both, in order
    assert get(f"{base}/api/images/{big_id}/tiles/0/0/0.jpg")[0] == 200  # open, unwarmed
    # The warm has read its first rows: cut the file short under it (and under the
    # open image of the tile above).
    portal.wait_for(big_id, lambda row: row[2] > 0, what="the warm to start")
    keep = data_start(big) + 600 * 8192 * 4
    os.truncate(big, keep)
    levels = 6  # 8192 / 256 = 32 tiles a side: z = 5 is full resolution
    status, content_type, body = get(f"{base}/api/images/{big_id}/tiles/{levels - 1}/3/0.jpg")
    time.sleep(0.5)  # the warm reaches the rows that are gone
    assert server.poll() is None, f"the server died: exit code {server.returncode}"
    assert_changed_422(status, content_type, body)
    status, _type, body = get(f"{base}/api/images/{big_id}/values/?x=10&y=8000")
    assert status == 422
    state, reason, _progress, _mtime = portal.wait_for(
        big_id, lambda row: row[0] == "failed", what="the image to fail"
    )
    assert reason == f"The file changed on disk after registration: size {size:,} → {keep:,} bytes."
    assert server.poll() is None, "the server died"
    # It goes on serving: the other image warms and its tiles come.
    portal.wait_for(small_id, lambda row: row[0] == "ready", what="the other image")
    status, content_type, _body = get(f"{base}/api/images/{small_id}/tiles/1/0/0.jpg")
    assert (status, content_type) == (200, "image/jpeg")
    assert portal.work_folders() == []  # the failed warm removed its own
    assert server.poll() is None


def test_a_file_cut_short_after_warming_is_never_served_again(portal):
    path = write_image(portal.data / "field.fits", 1024, 768)
    size = path.stat().st_size
    (pk,) = portal.register(path)
    server, base = portal.start_server()
    portal.wait_for(pk, lambda row: row[0] == "ready", what="the warm")
    other, other_base = portal.start_server()  # a second server over the same database
    tile = f"/api/images/{pk}/tiles/2/1/1.jpg"
    iip = f"/iip/?FIF={pk}&JTL=2,5"
    for where in (base, other_base):
        assert get(where + tile)[0] == 200 and get(where + iip)[0] == 200  # both warm
    # A touch leaves the content as it was: still served, still ready.
    mtime = path.stat().st_mtime_ns
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    for where in (base, other_base):
        assert get(where + tile)[0] == 200
    state, _reason, _progress, recorded = portal.row(pk)
    assert state == "ready" and recorded == mtime + 10**9
    # Cut short: the next tile is refused at once, and the image is failed, with why.
    keep = data_start(path) + 100 * 1024 * 4
    os.truncate(path, keep)
    assert_changed_422(*get(base + tile))
    state, reason, _progress, _mtime = portal.row(pk)
    assert state == "failed"
    assert reason == f"The file changed on disk after registration: size {size:,} → {keep:,} bytes."
    assert_changed_422(*get(base + iip))
    assert get(f"{base}/api/images/{pk}/values/?x=1&y=1")[0] == 422
    detail = json.loads(get(f"{base}/api/images/{pk}/")[2])
    assert (detail["state"], detail["state_reason"]) == ("failed", reason)
    # The other server sees it on its own next look at the file.
    assert_changed_422(*get(other_base + tile))
    assert_changed_422(*get(other_base + iip))
    assert server.poll() is None and other.poll() is None
