"""Registration: uploads (REST, admin) and in-place registration, good and bad input.

Every refusal must say why, and leave the database and the data directory as before.
"""

import gzip
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from portal.models import Image

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner_client(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


@pytest.fixture
def bad_files(fits_factory, tmp_path):
    """name -> (bytes, expected message fragment)."""
    good = Path(fits_factory("good.fits")).read_bytes()
    return {
        "text.fits": (b"SIMPLE? no, just some text\n" * 200, "not a FITS file"),
        "empty.fits": (b"", "empty"),
        "tables.fits": (Path(fits_factory("t.fits", kind="table")).read_bytes(), "no 2-D image"),
        "truncated.fits": (good[: len(good) // 2], "truncated"),
        "gzipped-text.fits.gz": (gzip.compress(b"hello" * 100), "not a FITS file"),
    }


def upload(client, slug, name, content, **extra):
    return client.post(
        f"/api/collections/{slug}/images/",
        {"file": SimpleUploadedFile(name, content), **extra},
        format="multipart",
    )


def test_upload_registers_the_image(owner_client, collections, fits_factory, snapshot):
    content = Path(fits_factory("m31.fits", width=320, height=240)).read_bytes()
    response = upload(owner_client, "private-survey", "m31.fits", content, title="M31 deep")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["name"], body["width"], body["height"]) == (
        "M31 deep",
        "m31.fits",
        320,
        240,
    )
    image = Image.objects.get(pk=body["id"])
    assert image.owns_file and os.path.getsize(image.path) == len(content)
    assert image.header["OBJECT"] == "Field 0"
    assert image.path == str(settings.UPLOAD_ROOT / "private-survey" / "m31.fits")
    assert not snapshot(settings.UPLOAD_ROOT / ".incoming")


def test_same_name_gets_a_new_name_same_content_is_refused(owner_client, collections, fits_factory):
    first = Path(fits_factory("a.fits", seed=1)).read_bytes()
    second = Path(fits_factory("b.fits", seed=2)).read_bytes()
    assert upload(owner_client, "team-survey", "field.fits", first).status_code == 201
    response = upload(owner_client, "team-survey", "field.fits", second)
    assert response.status_code == 201
    assert response.json()["name"] == "field-2.fits"
    before = Image.objects.count()
    response = upload(owner_client, "team-survey", "again.fits", first)
    assert response.status_code == 409
    assert "already in collection 'team-survey' as 'field.fits'" in response.json()["detail"]
    assert Image.objects.count() == before


@pytest.mark.parametrize(
    "name", ["text.fits", "empty.fits", "tables.fits", "truncated.fits", "gzipped-text.fits.gz"]
)
def test_bad_upload_is_refused_and_leaves_nothing(
    owner_client, collections, bad_files, snapshot, name
):
    content, message = bad_files[name]
    before = snapshot(settings.UPLOAD_ROOT)
    response = upload(owner_client, "public-survey", name, content)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert name.split(".")[0] in response.json()["detail"]
    assert Image.objects.count() == 0
    assert snapshot(settings.UPLOAD_ROOT) == before


def test_upload_over_the_size_limit(owner_client, collections, fits_factory, snapshot, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    content = Path(fits_factory("big.fits")).read_bytes()
    assert len(content) > 10_000
    before = snapshot(settings.UPLOAD_ROOT)
    response = upload(owner_client, "public-survey", "big.fits", content)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert Image.objects.count() == 0 and snapshot(settings.UPLOAD_ROOT) == before


def test_upload_without_a_file(owner_client, collections):
    response = owner_client.post("/api/collections/public-survey/images/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["detail"]


# --- register_images: files in place under a data root ---------------------------------


def test_register_images_in_place(collections, fits_factory, data_root, capsys):
    fits_factory("one.fits", folder=data_root, seed=1)
    fits_factory("two.fits", folder=data_root, seed=2, kind="cube")
    call_command("register_images", "team-survey", str(data_root))
    images = {image.name: image for image in Image.objects.all()}
    assert set(images) == {"one.fits", "two.fits"}
    assert images["two.fits"].channels == 3
    assert images["one.fits"].path == str(data_root / "one.fits")
    assert not images["one.fits"].owns_file
    assert "2 registered, 0 refused" in capsys.readouterr().out


def test_register_images_refuses_paths_outside_the_roots(
    collections, fits_factory, tmp_path, data_root
):
    outside = fits_factory("outside.fits", folder=tmp_path)
    with pytest.raises(CommandError, match="No file was registered"):
        call_command("register_images", "team-survey", outside)
    # A symbolic link inside a root that points outside is refused too.
    os.symlink(outside, data_root / "link.fits")
    with pytest.raises(CommandError):
        call_command("register_images", "team-survey", str(data_root / "link.fits"))
    assert Image.objects.count() == 0


@pytest.mark.parametrize("name", ["text.fits", "empty.fits", "tables.fits", "truncated.fits"])
def test_register_images_refuses_bad_files(collections, bad_files, data_root, capsys, name):
    content, message = bad_files[name]
    (data_root / name).write_bytes(content)
    with pytest.raises(CommandError):
        call_command("register_images", "team-survey", str(data_root / name))
    assert message in capsys.readouterr().err
    assert Image.objects.count() == 0
    assert (data_root / name).read_bytes() == content  # never touched


def test_register_images_duplicate(collections, fits_factory, data_root, capsys):
    path = fits_factory("one.fits", folder=data_root)
    call_command("register_images", "team-survey", path)
    with pytest.raises(CommandError):
        call_command("register_images", "team-survey", path)
    assert "already in collection" in capsys.readouterr().err
    assert Image.objects.count() == 1


def test_register_images_unknown_collection():
    with pytest.raises(CommandError, match="No collection with slug 'nope'"):
        call_command("register_images", "nope", "/tmp")


# --- admin upload -----------------------------------------------------------------------


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    return client


def test_admin_upload(admin_client, collections, fits_factory):
    with open(fits_factory("admin.fits"), "rb") as handle:
        response = admin_client.post(
            "/admin/portal/image/add/",
            {"collection": collections["public"].pk, "title": "", "upload": handle},
        )
    assert response.status_code == 302, response.content[:2000]
    image = Image.objects.get()
    assert image.name == "admin.fits" and image.title == "Field 0"


def test_admin_upload_of_a_bad_file_shows_the_reason(
    admin_client, collections, bad_files, snapshot
):
    before = snapshot(settings.UPLOAD_ROOT)
    content, message = bad_files["tables.fits"]
    response = admin_client.post(
        "/admin/portal/image/add/",
        {"collection": collections["public"].pk, "upload": SimpleUploadedFile("t.fits", content)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Image.objects.count() == 0 and snapshot(settings.UPLOAD_ROOT) == before


def test_gzipped_upload_is_stored_decompressed(owner_client, collections, fits_factory, snapshot):
    plain = Path(fits_factory("m33.fits", width=64, height=48)).read_bytes()
    response = upload(owner_client, "team-survey", "m33.fits.gz", gzip.compress(plain))
    assert response.status_code == 201, response.json()
    image = Image.objects.get(pk=response.json()["id"])
    assert image.name == "m33.fits.gz" and image.owns_file and not image.source_path
    assert image.path == str(settings.UPLOAD_ROOT / "team-survey" / "m33.fits")
    assert Path(image.path).read_bytes() == plain
    assert not snapshot(settings.UPLOAD_ROOT / ".incoming")
    # The same pixels, gzip'd or not, are one image.
    response = upload(owner_client, "team-survey", "again.fits", plain)
    assert response.status_code == 409 and "as 'm33.fits.gz'" in response.json()["detail"]
