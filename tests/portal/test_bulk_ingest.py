"""``register_images --recursive`` over a tree: batches, resuming after an interruption,
the summary of refusals, the archive rows of every image, and when warms are queued."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from django.core.management import call_command

from archive import ingest
from archive.models import ImageMetadata, SearchWord, SkyCell
from archive.tasks import register_files
from portal import jobs
from portal.models import Image

pytestmark = pytest.mark.django_db(transaction=True)

BANDS = ["g", "r", "i"]


def exposure(path, seed):
    """A 40 x 30 exposure with a TAN WCS at (10 + seed, -20 + seed / 2) degrees."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [10.0 + seed, -20.0 + seed / 2]
    wcs.wcs.crpix = [20.5, 15.5]
    wcs.wcs.cdelt = [-1e-3, 1e-3]
    header = wcs.to_header()
    header["OBJECT"] = f"Field {seed}"
    header["FILTER"] = BANDS[seed % 3]
    header["EXPTIME"] = 10.0 * (seed + 1)
    header["DATE-OBS"] = f"2024-05-{seed % 28 + 1:02d}T03:04:05.25"
    data = np.random.default_rng(seed).normal(100, 5, (30, 40)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.PrimaryHDU(data, header).writeto(path)
    return wcs


@pytest.fixture
def tree(tmp_path, settings):
    """12 exposures in three night folders, the same file names in each."""
    root = tmp_path / "archive"
    settings.DATA_ROOTS = [*settings.DATA_ROOTS, root]
    wcs = {}
    for seed in range(12):
        path = root / f"night{seed // 4}" / f"exp{seed % 4}.fits"
        wcs[str(path)] = (seed, exposure(path, seed))
    return root, wcs


def register(root, *options):
    call_command("register_images", "team-survey", str(root), "--recursive", "--in-process",
                 "--no-warm", *options)  # fmt: skip


def test_a_tree_is_registered_once_each_with_its_archive_rows(collections, tree, capsys):
    root, made = tree
    register(root, "--batch-size", "5")
    assert "12 registered, 0 refused, 0 already registered" in capsys.readouterr().out
    images = list(Image.objects.filter(collection=collections["team"]))
    assert sorted(image.path for image in images) == sorted(made)
    names = sorted(image.name for image in images)
    assert names == sorted(f"exp{n}{suffix}.fits" for n in range(4) for suffix in ("", "-2", "-3"))
    for image in images:
        seed, wcs = made[image.path]
        meta = ImageMetadata.objects.get(image=image)
        assert (meta.object, meta.band, meta.exptime) == (f"Field {seed}", BANDS[seed % 3],
                                                          10.0 * (seed + 1))  # fmt: skip
        assert meta.date_obs == datetime(2024, 5, seed % 28 + 1, 3, 4, 5, 250000, tzinfo=UTC)
        corners = wcs.calc_footprint(axes=(40, 30), center=False)
        assert np.allclose(meta.polygons[0], corners, atol=1e-7)
        assert meta.pixel_scale == pytest.approx(3.6)
        assert SkyCell.objects.filter(image=image).exists()
        assert set(SearchWord.objects.filter(image=image).values_list("word", flat=True)) >= {
            "field",
            str(seed),
            f"exp{seed % 4}",
        }
        assert image.mtime_ns == Path(image.path).stat().st_mtime_ns


class Interrupted(BaseException):
    """What a kill looks like to the code that runs: it never returns."""


def test_an_interrupted_run_resumed_registers_the_rest_and_nothing_twice(
    collections, tree, capsys, monkeypatch
):
    root, made = tree
    store, calls = ingest._store, []

    def dies_in_the_third_batch(images, descriptions):
        calls.append(len(images))
        store(images, descriptions)  # written, then lost with the transaction
        if len(calls) == 3:
            raise Interrupted

    monkeypatch.setattr(ingest, "_store", dies_in_the_third_batch)
    with pytest.raises(Interrupted):
        register(root, "--batch-size", "4")
    assert Image.objects.count() == 8  # two whole batches, not a row of the third
    assert ImageMetadata.objects.count() == 8
    monkeypatch.setattr(ingest, "_store", store)
    capsys.readouterr()
    register(root, "--batch-size", "4")
    assert "4 registered, 0 refused, 8 already registered (skipped)" in capsys.readouterr().out
    paths = list(Image.objects.values_list("path", flat=True))
    assert sorted(paths) == sorted(made)  # each once
    assert ImageMetadata.objects.count() == SkyCell.objects.values("image").distinct().count() == 12


def test_a_file_changed_since_its_registration_is_refused_not_registered_again(
    collections, tree, capsys
):
    root, made = tree
    register(root)
    changed = root / "night1" / "exp2.fits"
    changed.write_bytes(changed.read_bytes() + b"\0" * 2880)
    capsys.readouterr()
    register(root)
    captured = capsys.readouterr()
    assert "0 registered, 1 refused, 11 already registered" in captured.out
    assert f"{changed}: already registered as 'exp2-2.fits'" in captured.err
    assert "the file changed since" in captured.err
    assert Image.objects.count() == 12


def test_refusals_are_summarised_file_by_file(collections, tree, capsys, tmp_path):
    root, made = tree
    (root / "night0" / "notes.fits").write_bytes(b"not a FITS file\n" * 300)
    good = (root / "night1" / "exp0.fits").read_bytes()
    (root / "night2" / "cut.fits").write_bytes(good[:4000])
    outside = tmp_path / "elsewhere.fits"
    outside.write_bytes(good)
    (root / "night2" / "link.fits").symlink_to(outside)
    register(root)
    captured = capsys.readouterr()
    assert "12 registered, 3 refused, 0 already registered" in captured.out
    assert "Refused (3):" in captured.err
    lines = [line.strip() for line in captured.err.splitlines() if line.startswith("  ")]
    assert len(lines) == 3
    assert lines[0].startswith(f"{root / 'night0' / 'notes.fits'}: not a FITS file")
    assert lines[1].startswith(f"{root / 'night2' / 'cut.fits'}: truncated")
    assert lines[2].startswith(f"{root / 'night2' / 'link.fits'}: ")
    assert "not under a data root" in lines[2]
    assert Image.objects.count() == 12


def test_a_duplicate_inside_the_tree_is_refused_with_the_image_it_repeats(
    collections, tree, capsys
):
    root, made = tree
    (root / "night9").mkdir()
    (root / "night9" / "copy.fits").write_bytes((root / "night0" / "exp1.fits").read_bytes())
    register(root, "--batch-size", "100")
    captured = capsys.readouterr()
    assert "12 registered, 1 refused" in captured.out
    assert "copy.fits: this file is already in collection 'team-survey' as 'exp1" in captured.err


@pytest.fixture
def submitted(monkeypatch):
    """The signatures given to the task queue, not run."""
    calls = []
    monkeypatch.setattr(jobs, "submit", calls.append)
    return calls


@pytest.mark.parametrize("setting", [True, False])
def test_no_warm_queues_none_whatever_the_setting(collections, tree, submitted, setting, settings):
    settings.WARM_ON_REGISTER = setting
    register(tree[0])
    assert Image.objects.count() == 12 and not submitted
    assert set(Image.objects.values_list("state", flat=True)) == {Image.PENDING}
    assert settings.WARM_ON_REGISTER is setting  # as it was


def test_warm_queues_one_warm_per_image(collections, tree, submitted, settings):
    settings.WARM_ON_REGISTER = False
    call_command("register_images", "team-survey", str(tree[0]), "-r", "--in-process", "--warm")
    assert len(submitted) == 12
    assert settings.WARM_ON_REGISTER is False


@pytest.mark.parametrize("setting", [True, False])
def test_by_default_the_setting_decides(collections, tree, submitted, setting, settings):
    settings.WARM_ON_REGISTER = setting
    call_command("register_images", "team-survey", str(tree[0]), "-r", "--in-process")
    assert len(submitted) == (12 if setting else 0)


def test_with_workers_each_batch_is_a_task(collections, tree, capsys, monkeypatch):
    tasks = []

    def run_now(signature):
        tasks.append(signature)
        return signature.apply()  # what a worker would do, here

    monkeypatch.setattr(jobs, "embedded", lambda: False)
    monkeypatch.setattr(jobs, "submit", run_now)
    call_command("register_images", "team-survey", str(tree[0]), "-r", "--no-warm",
                 "--batch-size", "5")  # fmt: skip
    assert [task.task for task in tasks] == [register_files.name] * 3
    assert [len(task.args[1]) for task in tasks] == [5, 5, 2]
    assert "12 registered, 0 refused" in capsys.readouterr().out
    assert ImageMetadata.objects.count() == 12


def test_a_batch_that_clashes_with_another_registration_goes_one_by_one(
    collections, tree, capsys, monkeypatch
):
    root, made = tree
    names = ingest._names

    def stale_names(collection, candidates):  # as computed before another run committed
        chosen = names(collection, candidates)
        if not Image.objects.filter(name="exp0.fits").exists():
            Image.objects.create(collection=collection, title="meanwhile", name=chosen[0],
                                 path="/elsewhere", checksum="0" * 64, size=1, width=1,
                                 height=1)  # fmt: skip
        return chosen

    monkeypatch.setattr(ingest, "_names", stale_names)
    register(root, "--batch-size", "100")
    assert "12 registered, 0 refused" in capsys.readouterr().out
    assert Image.objects.count() == 13
    assert Image.objects.filter(name="exp0-4.fits").exists()  # the name taken meanwhile
    assert ImageMetadata.objects.count() == 13


def test_an_image_registered_without_its_warm_is_warmed_when_first_opened(
    collections, tree, submitted, users
):
    from rest_framework.test import APIClient

    register(tree[0])
    first, second = Image.objects.order_by("pk")[:2]
    client = APIClient()
    client.force_authenticate(users["owner"])
    assert client.get(f"/api/images/{first.pk}/").status_code == 200
    assert len(submitted) == 1  # this image's warm, queued
    assert client.get(f"/api/images/{first.pk}/").status_code == 200
    assert len(submitted) == 1  # asked once, not at every opening
    first.refresh_from_db()
    assert first.state == Image.PENDING and first.last_run is not None
    second.refresh_from_db()
    assert second.last_run is None  # others wait for their own first view
    # A request of someone who may not see it warms nothing (it is answered 404 first).
    assert APIClient().get(f"/api/images/{second.pk}/").status_code == 404
    assert len(submitted) == 1


def test_one_batch_is_registered_here_even_with_workers(collections, tree, capsys, monkeypatch):
    tasks = []
    monkeypatch.setattr(jobs, "embedded", lambda: False)
    monkeypatch.setattr(jobs, "submit", tasks.append)  # a worker would never answer
    call_command("register_images", "team-survey", str(tree[0]), "-r", "--no-warm")
    assert tasks == []
    assert "12 registered, 0 refused" in capsys.readouterr().out


@pytest.fixture
def broker_mode(monkeypatch):
    """As with a broker: batches are queued with ``apply_async``; ``answers`` says
    whether a worker answers a ping (and how often one was asked)."""
    from archive import tasks

    answers = {"replies": [], "asked": 0}

    def ping(timeout=None, limit=None):
        answers["asked"] += 1
        return list(answers["replies"])

    monkeypatch.setattr(jobs, "embedded", lambda: False)
    monkeypatch.setattr(register_files.app.control, "ping", ping)
    monkeypatch.setattr(tasks, "_seen", {"asked": float("-inf"), "answered": float("-inf")})
    return answers


def test_with_no_worker_the_batches_are_registered_here_and_the_command_says_why(
    collections, tree, capsys, broker_mode, monkeypatch
):
    from celery.app.task import Task

    queued = []
    monkeypatch.setattr(Task, "apply_async", lambda *a, **k: queued.append(a))
    call_command("register_images", "team-survey", str(tree[0]), "-r", "--no-warm",
                 "--batch-size", "5")  # fmt: skip
    out = capsys.readouterr()
    assert queued == []  # nothing left in a queue no one reads
    assert "no Celery worker answered within 2 s" in out.err
    assert "registering here" in out.err
    assert "12 registered, 0 refused" in out.out
    assert broker_mode["asked"] == 1


def test_a_batch_whose_workers_went_away_is_given_up_after_a_bounded_wait(
    collections, tree, capsys, broker_mode, monkeypatch
):
    from celery.app.task import Task
    from celery.result import AsyncResult

    from archive import tasks

    clock = [1000.0]
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(tasks, "WORKER_WAIT_SECONDS", 30.0)
    broker_mode["replies"] = [{"worker@host": {"ok": "pong"}}]
    ids = iter(range(100))
    monkeypatch.setattr(
        Task, "apply_async",
        lambda self, *a, **k: self.AsyncResult(f"batch-{next(ids)}"),
    )  # fmt: skip
    revoked = []
    monkeypatch.setattr(AsyncResult, "ready", lambda self: False)  # never done
    monkeypatch.setattr(AsyncResult, "revoke", lambda self, **k: revoked.append(self.id))

    def later(seconds):  # the command's pause between two looks: time goes by
        clock[0] += 10.0
        broker_mode["replies"] = []  # the workers are gone

    monkeypatch.setattr("portal.management.commands.register_images.time.sleep", later)
    with pytest.raises(Exception, match="No file was registered"):
        call_command("register_images", "team-survey", str(tree[0]), "-r", "--no-warm",
                     "--batch-size", "5")  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("no Celery worker answered for 30 s") == 12  # each file, its reason
    assert sorted(revoked) == ["batch-0", "batch-1", "batch-2"]
    # Given up between 30 and 30 + one ping period after the last answer, not before.
    assert 1030.0 <= clock[0] <= 1030.0 + tasks.WORKER_ASK_SECONDS + tasks.WORKER_PING_SECONDS + 10
