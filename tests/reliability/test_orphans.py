"""What interrupted work leaves behind is removed at start-up and periodically (issue
item 10), and nothing in use is: files of uploads in progress are held under an flock
by their writer, in this process or another, and stay however old they are."""

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

from portal import housekeeping

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = 3600


def orphan(folder, name, age=2 * HOUR):
    path = folder / name
    path.write_bytes(b"x" * 100)
    os.utime(path, (time.time() - age, time.time() - age))
    return path


@pytest.fixture
def incoming(settings):
    return settings.UPLOAD_ROOT / ".incoming"


@pytest.fixture
def dead_work(settings):
    """A half-built pyramid of a builder that died (no lock held, named as the engine
    names its work folders)."""
    from tiles.engine.pyramid import HOST

    folder = settings.CACHE_ROOT / "pyramids" / f".{'a' * 64}.{HOST}.999999.deadbeef"
    folder.mkdir(parents=True)
    (folder / "c0_l0.npy").write_bytes(b"\0" * 1000)
    return folder


def start_and_stop_the_server():
    from portal.asgi import application

    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(application({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_orphans_are_removed_when_the_server_starts(incoming, dead_work):
    old = [orphan(incoming, name) for name in
           ("3f2a.part", "9c1e.fits.part", "tmpab12cd.upload.fits", "tmpzz.upload.reg", "tmpq.upload")]  # fmt: skip
    # A file left by a server killed two minutes ago: registration's, locked from its
    # birth, is abandoned as soon as unlocked; another handler's may not be locked.
    killed = orphan(incoming, "5e5e.fits.part", age=120)
    unsure = orphan(incoming, "tmp5e5e.upload.reg", age=120)
    fresh = orphan(incoming, "77aa.part", age=10)
    other = orphan(incoming, "README")  # not ours: left alone
    start_and_stop_the_server()
    assert [p.exists() for p in old] == [False] * len(old)
    assert not killed.exists() and unsure.exists()
    assert fresh.exists() and other.exists()
    assert not dead_work.exists()


def test_a_live_upload_in_another_process_is_kept(incoming):
    path = orphan(incoming, "tmpslow.upload.fits")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         f"f = open({str(path)!r}, 'ab'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        assert housekeeping.remove_abandoned_incoming() == []
        assert path.exists()
    finally:
        holder.send_signal(signal.SIGKILL)  # however it dies, the kernel drops the lock
        holder.wait()
    assert housekeeping.remove_abandoned_incoming() == [str(path)]


def test_files_of_uploads_in_progress_are_locked(incoming, rf):
    from portal.registration import incoming_file
    from portal.uploads import LimitedTemporaryFileUploadHandler

    request = rf.post("/")
    handler = LimitedTemporaryFileUploadHandler(request)
    handler.new_file("file", "slow.fits", "application/fits", 10**6)
    handler.receive_data_chunk(b"SIMPLE  =", 0)
    received = handler.file.temporary_file_path()
    with incoming_file(".fits.part") as decompressing:
        for path in (received, decompressing):
            os.utime(path, (time.time() - 2 * HOUR,) * 2)
        assert housekeeping.remove_abandoned_incoming() == []
        assert os.path.exists(received) and decompressing.exists()
    handler.file.close()
    assert not os.path.exists(received) and not decompressing.exists()


def test_cleaned_periodically(incoming, dead_work, settings):
    settings.INCOMING_MAX_AGE = 0
    stop = housekeeping.start_periodic(interval=0.2)
    try:
        assert stop is not None
        late = orphan(incoming, "late.part")
        deadline = time.monotonic() + 10
        while (late.exists() or dead_work.exists()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not late.exists() and not dead_work.exists()
    finally:
        housekeeping.stop_periodic()


def test_cleaned_when_a_celery_worker_starts(incoming, dead_work, settings):
    from portal.tasks import _clean_up_at_start

    settings.HOUSEKEEPING_INTERVAL = 0  # only the clean-up at start
    path = orphan(incoming, "0bad.part")
    _clean_up_at_start()
    assert not path.exists() and not dead_work.exists()


def test_a_lock_in_this_process_counts_too(incoming):
    path = orphan(incoming, "mine.part")
    with open(path, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert housekeeping.held(path)
        assert housekeeping.remove_abandoned_incoming() == []
    assert housekeeping.remove_abandoned_incoming() == [str(path)]


def test_each_app_cleans_its_own_debris(incoming, dead_work):
    """The apps register their cleaners with housekeeping, which imports none of them:
    a stored catalog file whose catalog is gone and a dead builder's pyramid are removed
    and counted by kind with the abandoned uploads."""
    catalog_file = orphan(incoming, "catalog-987654321.import")
    upload = orphan(incoming, "1d1d.part")
    assert housekeeping.clean_up() == {"incoming": 1, "catalogs": 1, "pyramids": 1}
    assert not catalog_file.exists() and not upload.exists() and not dead_work.exists()
    assert housekeeping.clean_up() == {"incoming": 0, "catalogs": 0, "pyramids": 0}
