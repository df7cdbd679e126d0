"""With Redis, a change made in one process ends access in another server process
within a second (README, "Speed and caching"): a logout, a revoked grant, a deactivated
user, a deleted token -- tiles and open websockets alike -- although that server had
the old answers cached (ten seconds' worth) when the change was made.

The other process is a real server (uvicorn) on the test's database and storage."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import websockets
from astropy.io import fits
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from guardian.shortcuts import remove_perm
from rest_framework.authtoken.models import Token

from portal import permissions
from portal.models import Collection
from portal.registration import register_path
from tiles.engine import build_pyramid

ROOT = Path(__file__).resolve().parents[2]
PROMISE_SECONDS = 1.0  # the README's promise, across processes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL"),
]


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, host, port = db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "far.fits"
    rng = np.random.default_rng(11)
    fits.PrimaryHDU(rng.normal(100, 10, (300, 300)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()
    return image


@pytest.fixture
def server(settings, tmp_path):
    """Another server process: its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(
        DATABASE_URL=database_url(), DATABASE_CONN_MAX_AGE="0", REDIS_URL=settings.REDIS_URL,
        FITSPORTAL_INSECURE_DEV_KEY="1", FITSPORTAL_VAR_DIR=str(tmp_path / "server"),
        FITSPORTAL_UPLOAD_ROOT=str(settings.UPLOAD_ROOT),
        FITSPORTAL_CACHE_ROOT=str(settings.CACHE_ROOT), FITSPORTAL_WARM_ON_REGISTER="0",
        FITSPORTAL_TASK_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE, PYTHONPATH=str(ROOT),
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/iip/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client, {"cookie": f"sessionid={client.cookies['sessionid'].value}"}


def tile_statuses(base, image, headers):
    with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
        return {
            client.get(url).status_code
            for url in (f"/api/images/{image.pk}/tiles/1/0/0.jpg", f"/iip/?FIF={image.pk}&JTL=1,0")
            for _ in range(2)  # the second from the server's caches
        }


def refused_within(base, image, headers, refused=frozenset({404})):
    """Seconds until the other server refuses every tile (or fails after 3 s)."""
    start = time.monotonic()
    while time.monotonic() - start < 3:
        if tile_statuses(base, image, headers) <= refused:
            return time.monotonic() - start
        time.sleep(0.02)
    pytest.fail("the other process still serves the tiles")


def test_logout_here_ends_tiles_there(server, users, image):
    client, headers = signed_in(users["owner"])
    assert tile_statuses(server, image, headers) == {200}
    time.sleep(0.2)  # the server subscribed; its caches hold the session
    assert tile_statuses(server, image, headers) == {200}
    client.post("/accounts/logout/")
    assert refused_within(server, image, headers) < PROMISE_SECONDS


def test_a_grant_revoked_here_ends_tiles_there(server, users, image):
    _client, headers = signed_in(users["granted"])
    assert tile_statuses(server, image, headers) == {200}
    time.sleep(0.2)
    remove_perm("contribute_collection", users["granted"], image.collection)
    assert refused_within(server, image, headers) < PROMISE_SECONDS


def test_a_user_deactivated_here_loses_sessions_and_tokens_there(server, users, image):
    granted = users["granted"]
    _client, headers = signed_in(granted)
    token = Token.objects.create(user=granted)
    token_headers = {"authorization": f"Token {token.key}"}
    rest = f"{server}/api/images/{image.pk}/tiles/1/0/0.jpg"
    assert tile_statuses(server, image, headers) == {200}
    assert httpx.get(rest, headers=token_headers).status_code == 200
    time.sleep(0.2)
    granted.is_active = False
    granted.save()
    assert refused_within(server, image, headers) < PROMISE_SECONDS
    assert httpx.get(rest, headers=token_headers).status_code == 403


def test_a_websocket_there_closes_when_the_grant_is_revoked_here(server, users, image):
    _client, headers = signed_in(users["granted"])
    url = server.replace("http", "ws") + f"/ws/images/{image.pk}/"

    async def watch():
        async with websockets.connect(
            url, additional_headers={**headers, "origin": server}
        ) as socket_:
            assert json.loads(await asyncio.wait_for(socket_.recv(), 5))["type"] == "state"
            await asyncio.sleep(0.2)
            start = time.monotonic()
            await asyncio.to_thread(
                remove_perm, "contribute_collection", users["granted"], image.collection
            )
            message = json.loads(await asyncio.wait_for(socket_.recv(), 3))
            assert message == {"type": "error", "detail": "Not found."}
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket_.recv(), 3)
            assert closed.value.rcvd.code == 4404
            return time.monotonic() - start

    assert asyncio.run(watch()) < PROMISE_SECONDS
