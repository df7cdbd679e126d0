"""Faults: a warm killed half-way is repaired by the next run; nothing half-built is read."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from portal.models import Collection, Image
from portal.registration import register_path
from tiles.engine import open_image, pyramid_complete

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def big_image(collections, settings):
    path = settings.UPLOAD_ROOT / "big.fits"
    rng = np.random.default_rng(2)
    fits.PrimaryHDU(rng.normal(0, 1, (3000, 3000)).astype(np.float32)).writeto(path)
    return register_path(collections[Collection.TEAM], path)


def warm_in_subprocess(image, env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "warm_images", "--wait", "--image", str(image.pk)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_a_warm_killed_half_way_is_repaired(big_image, subprocess_env):
    process = warm_in_subprocess(big_image, subprocess_env)
    deadline = time.monotonic() + 60
    # Kill it once the pyramid is being written (a work directory next to the cache).
    while time.monotonic() < deadline:
        parent = big_image.cache_dir.parent
        partial = list(parent.glob(f".{big_image.checksum}.*")) if parent.exists() else []
        if partial and any(p.iterdir() for p in partial):
            break
        if process.poll() is not None:
            pytest.fail(
                "the warm ended before it could be killed: " + process.stdout.read().decode()[-500:]
            )
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    image = Image.objects.get(pk=big_image.pk)
    assert image.state in (Image.PENDING, Image.WARMING)
    assert not pyramid_complete(image.cache_dir)  # nothing half-built is published
    assert not open_image(image.path, image.cache_dir).has_pyramid
    # The next run (default: every image that is not ready) repairs it.
    repair = warm_in_subprocess(image, subprocess_env)
    assert repair.wait(timeout=120) == 0, repair.stdout.read().decode()[-1000:]
    image.refresh_from_db()
    assert image.state == Image.READY and pyramid_complete(image.cache_dir)
    litter = list(image.cache_dir.parent.glob(f".{image.checksum}.*"))
    assert litter == []  # the killed run's half-built pyramid was removed
    warm = open_image(image.path, image.cache_dir)
    cold = open_image(image.path)
    np.testing.assert_allclose(warm.tile_data(2, 1, 1), cold.tile_data(2, 1, 1), rtol=1e-6)
