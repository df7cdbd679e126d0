"""Redis unreachable: warm images are still served, sign-in still works (sessions fall
back to the database), and an upload is registered with a clear reason instead of failing."""

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.demo import write_star_field

ROOT = Path(__file__).resolve().parents[2]
SEED = """
import django, sys
django.setup()
from django.contrib.auth.models import User
from portal.models import Collection
from portal.registration import register_path
user = User.objects.create_user("alice", password="alice-password-1")
collection = Collection.objects.create(name="c", slug="c", owner=user)
print(register_path(collection, sys.argv[1]).pk)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def portal_without_redis(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(var), FITSPORTAL_INSECURE_DEV_KEY="1", DJANGO_SETTINGS_MODULE="portal.settings",
               PYTHONPATH=str(ROOT), FITSPORTAL_WARM_ON_REGISTER="0")  # fmt: skip
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    image = write_star_field(tmp_path / "field.fits", 800, 600, nstars=100, seed=4)
    env["FITSPORTAL_DATA_ROOTS"] = str(tmp_path)
    pk = subprocess.run([python, "-c", SEED, str(image)], cwd=ROOT, env=env, check=True, capture_output=True,
                        text=True).stdout.strip()  # fmt: skip
    subprocess.run([python, "manage.py", "warm_images", "--wait"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    # Now Redis "goes away": nothing listens on port 1.
    env.update(REDIS_URL="redis://127.0.0.1:1/0", FITSPORTAL_WARM_ON_REGISTER="1")
    port = free_port()
    server = subprocess.Popen([python, "-m", "uvicorn", "portal.asgi:application", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/iip/", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.2)
    yield base, pk
    server.terminate()
    server.wait(timeout=20)


def test_serving_goes_on_without_redis(portal_without_redis, tmp_path):
    base, pk = portal_without_redis
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/accounts/login/", timeout=10)
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": "alice", "password": "alice-password-1",
                                   "csrfmiddlewaretoken": csrf}).encode()  # fmt: skip
    request = urllib.request.Request(
        base + "/accounts/login/", data=form, headers={"Referer": base + "/accounts/login/"}
    )
    opener.open(request, timeout=10)
    assert any(c.name == "sessionid" for c in jar), "signed in"
    csrf = next(c.value for c in jar if c.name == "csrftoken")  # rotated at sign-in
    started = time.monotonic()
    for z in range(3):
        tile = opener.open(f"{base}/api/images/{pk}/tiles/{z}/0/0.jpg", timeout=10)
        assert tile.status == 200 and tile.headers["Content-Type"] == "image/jpeg"
    assert time.monotonic() - started < 10
    # An upload is registered; its warm could not be queued, and it says so.
    content = write_star_field(tmp_path / "new.fits", 300, 200, nstars=10, seed=5).read_bytes()
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"new.fits\"\r\n\r\n").encode() \
        + content + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    upload = urllib.request.Request(
        f"{base}/api/collections/c/images/", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": csrf,
                 "Referer": base + "/"},
    )  # fmt: skip
    response = opener.open(upload, timeout=30)
    assert response.status == 201
    created = json.loads(response.read())
    time.sleep(0.5)
    state = json.loads(opener.open(f"{base}/api/images/{created['id']}/", timeout=10).read())
    assert state["state"] == "pending" and "task queue is unavailable" in state["state_reason"]
