"""A Celery worker killed mid-warm (SIGKILL, pool and all): the next worker to start
takes the warm up again and the image ends ready with a correct pyramid.

Runs against Redis: the configured ``REDIS_URL``, or on CI the usual address even in the
embedded pass. Its workers consume a queue of their own, apart from any other worker.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest
from astropy.io import fits

from portal.models import Collection, Image
from portal.registration import register_path
from tiles.engine import build_pyramid, pyramid_complete
from tiles.engine.pyramid import level_path, read_manifest
from tiles.tasks import image_busy

from .conftest import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

ON_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def broker_env(subprocess_env):
    url = os.environ.get("REDIS_URL") or ("redis://127.0.0.1:6379/0" if ON_CI else "")
    if not url:
        pytest.skip("REDIS_URL is not set (not on CI)")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    queue = f"fitsportal-test-{uuid.uuid4().hex[:12]}"
    env = dict(subprocess_env, REDIS_URL=url, FITSPORTAL_TASK_QUEUE=queue)
    yield env
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "portal", "purge", "-f", "-Q", queue],
        cwd=ROOT, env=env, capture_output=True, timeout=60,
    )  # fmt: skip


class Worker:
    """``celery -A portal worker`` in a process group of its own (main process + pool)."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        with open(log_path, "ab") as log:  # the worker keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency=1",
                 "--loglevel=INFO", "--without-gossip", "--without-mingle",
                 f"--hostname=kill-test-{uuid.uuid4().hex[:8]}@%h"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited: {self.tail()}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.05)
        pytest.fail(f"the worker did not start: {self.tail()}")

    def tail(self):
        return self.log_path.read_bytes().decode(errors="replace")[-2000:]

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def workers(broker_env, tmp_path):
    started = []

    def start(wait=True):
        worker = Worker(broker_env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.kill(signal.SIGTERM)


def wait_for(condition, timeout, what, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.001)
    pytest.fail(f"timed out waiting for {what}; worker log: {worker.tail()}")


def test_a_killed_worker_is_replaced_and_the_warm_completes(
    collections, settings, broker_env, workers, tmp_path
):
    path = settings.UPLOAD_ROOT / "kill.fits"
    rng = np.random.default_rng(3)
    hdu = fits.PrimaryHDU(rng.normal(0, 300, (6000, 6000)).astype(np.int16))
    hdu.header["BZERO"] = 1000.0  # scaled integers: a warm of a few tenths of a second
    hdu.writeto(path)
    image = register_path(collections[Collection.TEAM], path)
    # Queued before any worker runs, so the watch below starts before the work does.
    queued = subprocess.run(
        [sys.executable, "manage.py", "warm_images", "--image", str(image.pk)],
        cwd=ROOT, env=broker_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert queued.returncode == 0 and "1 image(s) queued" in queued.stdout, queued.stderr
    first = workers(wait=False)
    warming = Image.objects.filter(pk=image.pk, state=Image.WARMING)
    wait_for(warming.exists, 90, "the warm to start", first)
    first.kill()  # SIGKILL to the main process and its pool: nothing is acknowledged
    # The pool process holding the image's lock is gone a moment later, and its lock with it.
    wait_for(lambda: not image_busy(image.pk), 10, "the lock to be released", first)
    image.refresh_from_db()
    assert image.state == Image.WARMING and not pyramid_complete(image.cache_dir)

    second = workers()  # finds the warm interrupted and queues it again
    wait_for(
        lambda: Image.objects.get(pk=image.pk).state in (Image.READY, Image.FAILED),
        120, "the resumed warm", second,
    )  # fmt: skip
    image.refresh_from_db()
    assert image.state == Image.READY, image.state_reason
    assert "resuming the interrupted warm" in second.tail()
    assert pyramid_complete(image.cache_dir)
    assert list(image.cache_dir.parent.glob(f".{image.checksum}.*")) == []  # no litter
    reference = tmp_path / "reference"  # the same pyramid, built here without a fault
    info = build_pyramid(image.path, reference)
    assert read_manifest(image.cache_dir).levels == info.levels
    for level in range(info.levels):
        np.testing.assert_array_equal(
            np.load(level_path(image.cache_dir, 0, level), mmap_mode="r"),
            np.load(level_path(reference, 0, level), mmap_mode="r"),
        )
