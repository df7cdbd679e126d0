"""Background work on images (tiles/tasks.py, tiles/storage.py): warm_images (with --rehash),
re-warm from the admin, derived files removed with their image, clean-up."""

import os
import time

import numpy as np
import pytest
from astropy.io import fits
from django.core.management import CommandError, call_command

from portal.models import Image
from portal.registration import register_path
from tiles.engine import pyramid_complete

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registered(collections, settings):
    path = settings.UPLOAD_ROOT / "field.fits"
    fits.PrimaryHDU(np.random.default_rng(0).normal(0, 1, (300, 400)).astype(np.float32)).writeto(
        path
    )
    return register_path(collections["team"], path)


def test_warm_images_waits_and_reports(registered, capsys):
    call_command("warm_images", "--wait")
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.READY and image.progress == 1.0 and image.last_run
    assert image.version == 2  # a new pyramid: new ETags
    assert pyramid_complete(image.cache_dir)
    assert "1 image(s) warmed" in capsys.readouterr().out
    call_command("warm_images", "--wait")
    assert "Nothing to warm" in capsys.readouterr().out


def test_warm_images_says_when_the_queue_refuses(registered, monkeypatch, capsys):
    from portal import jobs

    def refuse(signature):
        raise OSError("connection refused")

    monkeypatch.setattr(jobs, "submit", refuse)
    with pytest.raises(CommandError, match="1 image"):
        call_command("warm_images")
    assert "task queue is unavailable" in capsys.readouterr().err
    assert Image.objects.get(pk=registered.pk).state == Image.PENDING


def test_changed_file_gets_a_new_pyramid_with_rehash(registered):
    call_command("warm_images", "--wait")
    old = Image.objects.get(pk=registered.pk)
    data = np.full((300, 400), 7.0, np.float32)
    fits.PrimaryHDU(data).writeto(old.path, overwrite=True)
    call_command("warm_images", "--wait", "--rehash")
    new = Image.objects.get(pk=registered.pk)
    assert new.checksum != old.checksum and new.version > old.version
    assert new.state == Image.READY and pyramid_complete(new.cache_dir)


def test_a_file_cut_short_after_registration_fails_with_the_change(registered, capsys):
    size = registered.size
    os.truncate(registered.path, 3000)
    with pytest.raises(Exception, match="failed"):
        call_command("warm_images", "--wait")
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.FAILED
    assert image.state_reason == (
        f"The file changed on disk after registration: size {size:,} → 3,000 bytes."
    )
    assert not pyramid_complete(image.cache_dir)
    # New content of the same size is still not the registered file ...
    fits.PrimaryHDU(np.zeros((300, 400), np.float32)).writeto(image.path, overwrite=True)
    with pytest.raises(Exception, match="failed"):
        call_command("warm_images", "--wait", "--retry-failed")
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.FAILED and "other content" in image.state_reason
    # ... until it is accepted as a new version.
    call_command("warm_images", "--wait", "--retry-failed", "--rehash")
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.READY and image.checksum != registered.checksum
    assert image.size == os.path.getsize(image.path)
    assert image.mtime_ns == os.stat(image.path).st_mtime_ns


def test_a_touched_file_stays_ready(registered, client, users):
    from tiles import file_check

    call_command("warm_images", "--wait")
    image = Image.objects.get(pk=registered.pk)
    mtime = os.stat(image.path).st_mtime_ns
    assert image.mtime_ns == mtime  # recorded at registration
    os.utime(image.path, ns=(mtime + 10**9, mtime + 10**9))
    file_check.forget()
    client.force_login(users["owner"])
    url = f"/api/images/{image.pk}/tiles/0/0/0.jpg"
    assert client.get(url).status_code == 200
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.READY and image.mtime_ns == mtime + 10**9
    # The pyramid follows the touch: still used, no re-warm needed.
    from tiles.engine import pyramid_matches

    assert pyramid_matches(image.path, image.cache_dir)


def test_deleting_an_uploaded_image_removes_its_files(users, collections, fits_factory, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.registration import register_upload

    with open(fits_factory("del.fits"), "rb") as handle:
        image = register_upload(
            collections["private"], SimpleUploadedFile("del.fits", handle.read())
        )
    call_command("warm_images", "--wait")
    image.refresh_from_db()
    path, cache = image.path, image.cache_dir
    assert os.path.exists(path) and pyramid_complete(cache)
    image.delete()
    assert not os.path.exists(path) and not cache.exists()


def test_admin_rewarm_action(registered, django_user_model, client):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    response = client.post(
        "/admin/portal/image/", {"action": "rewarm", "_selected_action": [registered.pk]}
    )
    assert response.status_code == 302
    # Embedded: a thread of this process; with a broker: the worker process.
    from portal import jobs

    jobs.wait_idle()
    deadline = time.monotonic() + 60
    while Image.objects.get(pk=registered.pk).state != Image.READY and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Image.objects.get(pk=registered.pk).state == Image.READY


def test_admin_rewarm_says_when_the_queue_refuses(
    registered, django_user_model, client, monkeypatch
):
    from portal import jobs

    def refuse(signature):
        raise OSError("connection refused")

    monkeypatch.setattr(jobs, "submit", refuse)
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    response = client.post(
        "/admin/portal/image/",
        {"action": "rewarm", "_selected_action": [registered.pk]},
        follow=True,
    )
    said = [str(message) for message in response.context["messages"]]
    assert said == [
        "1 image(s) not queued: The task queue is unavailable: the image will be warmed "
        "later (manage.py warm_images).",
        "0 image(s) queued for warming.",
    ]


def test_an_image_deleted_during_its_warm_ends_quietly(registered, monkeypatch):
    from tiles import engine, tasks

    def build_then_vanish(path, cache_dir, progress=None, tile_size=256):
        Image.objects.filter(pk=registered.pk).delete()
        progress(0, 1, 1)

    monkeypatch.setattr(engine, "build_pyramid", build_then_vanish)
    result = tasks.warm_pyramid.apply(args=[registered.pk])
    assert result.successful() and result.result is None
    assert not Image.objects.filter(pk=registered.pk).exists()


def test_a_task_leaves_an_image_alone_while_another_holds_its_lock(registered):
    from tiles import tasks

    with tasks.image_lock(registered.pk) as acquired:
        assert acquired and tasks.image_busy(registered.pk)
        tasks.warm_signature(registered.pk).apply()
        assert Image.objects.get(pk=registered.pk).state == Image.PENDING  # untouched
    assert not tasks.image_busy(registered.pk)  # released with its holder
    tasks.warm_signature(registered.pk).apply()
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.READY and image.stats and pyramid_complete(image.cache_dir)


def test_a_second_copy_of_a_finished_warm_changes_nothing(registered, monkeypatch):
    from tiles import engine, tasks

    tasks.warm_signature(registered.pk).apply()
    before = Image.objects.get(pk=registered.pk)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the work was done already")

    monkeypatch.setattr(engine, "build_pyramid", must_not_run)
    monkeypatch.setattr(engine, "open_image", must_not_run)
    tasks.warm_signature(registered.pk).apply()
    after = Image.objects.get(pk=registered.pk)
    assert (after.state, after.version, after.last_run) == (
        Image.READY, before.version, before.last_run
    )  # fmt: skip


def test_interrupted_warms_are_queued_again(collections, settings, monkeypatch):
    from tiles import tasks

    images = {}
    for n, state in enumerate([Image.WARMING, Image.WARMING, Image.PENDING, Image.READY]):
        path = settings.UPLOAD_ROOT / f"f{n}.fits"
        fits.PrimaryHDU(np.full((20, 30), n, np.float32)).writeto(path)
        image = register_path(collections["team"], path)
        Image.objects.filter(pk=image.pk).update(state=state)
        images[n] = image.pk
    queued = []
    monkeypatch.setattr(tasks.jobs, "submit", lambda signature: queued.append(signature))
    with tasks.image_lock(images[1]):  # a live worker is on this one
        assert tasks.resume_interrupted() == [images[0]]
        assert sorted(tasks.resume_interrupted(include_pending=True)) == [images[0], images[2]]
    assert sorted(s.tasks[0].args for s in queued) == [(images[0],), (images[0],), (images[2],)]
    assert sorted(tasks.resume_interrupted()) == [images[0], images[1]]


def test_deleting_an_image_removes_its_lock_file(registered):
    from tiles import storage, tasks

    tasks.warm_signature(registered.pk).apply()
    assert storage.lock_path(registered.pk).exists()
    Image.objects.get(pk=registered.pk).delete()
    assert not storage.lock_path(registered.pk).exists()


def test_a_pyramid_shared_by_two_images_stays_until_the_last_goes(registered, collections):
    from tiles import tasks

    twin = register_path(collections["public"], registered.path)  # the same content
    tasks.warm_signature(registered.pk).apply()
    assert twin.cache_dir == registered.cache_dir and pyramid_complete(twin.cache_dir)
    Image.objects.get(pk=registered.pk).delete()
    assert pyramid_complete(twin.cache_dir)
    Image.objects.get(pk=twin.pk).delete()
    assert not twin.cache_dir.exists()


def test_rehash_removes_the_pyramid_of_the_old_content(registered):
    call_command("warm_images", "--wait")
    old = Image.objects.get(pk=registered.pk)
    assert pyramid_complete(old.cache_dir)
    fits.PrimaryHDU(np.full((300, 400), 3.0, np.float32)).writeto(old.path, overwrite=True)
    call_command("warm_images", "--wait", "--rehash")
    new = Image.objects.get(pk=registered.pk)
    assert new.cache_dir != old.cache_dir and pyramid_complete(new.cache_dir)
    assert not old.cache_dir.exists()  # no one's any more


async def test_the_embedded_server_takes_up_unfinished_warms_when_it_starts(registered, settings):
    """Embedded, the queue lived in the server's memory: a restart queues its work again."""
    from asgiref.sync import sync_to_async

    from portal import jobs
    from portal.asgi import application

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded queue, whatever the pass
    await sync_to_async(Image.objects.filter(pk=registered.pk).update)(state=Image.WARMING)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    await application({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    await sync_to_async(jobs.wait_idle)()
    image = await sync_to_async(Image.objects.get)(pk=registered.pk)
    assert image.state == Image.READY and pyramid_complete(image.cache_dir)


def test_a_changed_file_is_refused_at_once_and_its_failure_published(
    registered, client, users, monkeypatch
):
    from tiles import file_check, progress

    call_command("warm_images", "--wait")
    client.force_login(users["owner"])
    url = f"/api/images/{registered.pk}/tiles/0/0/0.jpg"
    assert client.get(url).status_code == 200
    events = []
    monkeypatch.setattr(progress, "publish", lambda image_id, event: events.append(event))
    os.truncate(registered.path, 5760)
    response = client.get(url)
    assert response.status_code == 422
    assert "changed on disk after registration" in response.json()["detail"]
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.FAILED and image.state_reason.startswith("The file changed")
    # Announced by the image (portal/events.py); tiles/file_check.py still publishes it
    # a second time itself: the same event.
    assert {(e["type"], e["state"], e["reason"]) for e in events} == {
        ("state", Image.FAILED, image.state_reason)
    }
    announced = len(events)
    for path in ("values/?x=1&y=1", "histogram/", "profile/?x1=1&y1=1&x2=5&y2=5"):
        assert client.get(f"/api/images/{image.pk}/{path}").status_code == 422, path
    assert client.get(f"/iip/?FIF={image.pk}&obj=IIP").status_code == 422
    assert client.get(f"/api/images/{image.pk}/").json()["state"] == Image.FAILED
    assert len(events) == announced  # failed once, not once a request
    file_check.forget()  # another process: its own look at the file, the same answer
    assert client.get(url).status_code == 422 and len(events) == announced


def test_rows_without_a_recorded_mtime_are_trusted_after_their_warm(registered, client, users):
    from tiles import file_check

    call_command("warm_images", "--wait")
    Image.objects.filter(pk=registered.pk).update(mtime_ns=None)  # registered before
    file_check.forget()
    client.force_login(users["owner"])
    assert client.get(f"/api/images/{registered.pk}/tiles/0/0/0.jpg").status_code == 200
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.READY and image.mtime_ns == os.stat(image.path).st_mtime_ns
