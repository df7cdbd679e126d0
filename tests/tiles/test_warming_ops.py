"""Operations on warming: warm_images (with --rehash), re-warm from the admin, cleanup."""

import os
import time

import numpy as np
import pytest
from astropy.io import fits
from django.core.management import call_command

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


def test_changed_file_gets_a_new_pyramid_with_rehash(registered):
    call_command("warm_images", "--wait")
    old = Image.objects.get(pk=registered.pk)
    data = np.full((300, 400), 7.0, np.float32)
    fits.PrimaryHDU(data).writeto(old.path, overwrite=True)
    call_command("warm_images", "--wait", "--rehash")
    new = Image.objects.get(pk=registered.pk)
    assert new.checksum != old.checksum and new.version > old.version
    assert new.state == Image.READY and pyramid_complete(new.cache_dir)


def test_unreadable_file_fails_with_a_reason(registered, capsys):
    os.truncate(registered.path, 3000)
    with pytest.raises(Exception, match="failed"):
        call_command("warm_images", "--wait")
    image = Image.objects.get(pk=registered.pk)
    assert image.state == Image.FAILED and "Cannot read the file" in image.state_reason
    assert "truncated" in image.state_reason
    fits.PrimaryHDU(np.zeros((300, 400), np.float32)).writeto(image.path, overwrite=True)
    call_command("warm_images", "--wait", "--retry-failed")
    assert Image.objects.get(pk=registered.pk).state == Image.READY


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


def test_an_image_deleted_during_its_warm_ends_quietly(registered, monkeypatch):
    from tiles import engine, tasks

    def build_then_vanish(path, cache_dir, progress=None, tile_size=256):
        Image.objects.filter(pk=registered.pk).delete()
        progress(0, 1, 1)

    monkeypatch.setattr(engine, "build_pyramid", build_then_vanish)
    result = tasks.warm_pyramid.apply(args=[registered.pk])
    assert result.successful() and result.result is None
    assert not Image.objects.filter(pk=registered.pk).exists()
