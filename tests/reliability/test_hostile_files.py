"""A corpus of hostile FITS files through every way in (REST upload, admin upload,
register_images): each is either ingested and rendered, or refused with a reason;
nothing is left behind and other images are unaffected."""

import gzip
import io
import time

import numpy as np
import pytest
from astropy.io import fits
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from portal import jobs, permissions
from portal.models import Image

pytestmark = pytest.mark.django_db(transaction=True)


def to_bytes(hdus):
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


def raw_header(cards, data=b""):
    text = "".join(f"{c:<80}" for c in [*cards, "END"])
    text += " " * (-len(text) % 2880)
    return text.encode("ascii", "replace") + data + b"\0" * (-len(data) % 2880)


def spread_mosaic():
    """Two 10 x 10 detectors a million pixels apart: a 10⁶ x 10⁶ canvas."""
    hdus = [fits.PrimaryHDU()]
    for x in (1, 999_991):
        hdu = fits.ImageHDU(np.ones((10, 10), np.float32))
        hdu.header["DETSEC"], hdu.header["DATASEC"] = f"[{x}:{x + 9},{x}:{x + 9}]", "[1:10,1:10]"
        hdus.append(hdu)
    return to_bytes(hdus)


def corpus():
    image = np.random.default_rng(0).normal(0, 1, (64, 80)).astype(np.float32)
    good = to_bytes([fits.PrimaryHDU(image)])
    huge_header = fits.Header()
    for n in range(3000):
        huge_header[f"K{n:06d}"] = n
    broken_wcs = fits.Header()
    broken_wcs["CTYPE1"], broken_wcs["CTYPE2"] = "RA---XYZ", "DEC--XYZ"
    broken_wcs["CD1_1"], broken_wcs["CD2_2"] = 0.0, 0.0
    four_d = np.arange(2 * 3 * 20 * 30, dtype=np.float32).reshape(2, 3, 20, 30)
    return {
        # name: (bytes, expected: "ok" or a fragment of the refusal)
        "truncated.fits": (good[: len(good) - 3000], "truncated"),
        "bitpix.fits": (
            raw_header(
                [
                    "SIMPLE  =                    T",
                    "BITPIX  =                   12",
                    "NAXIS   =                    2",
                    "NAXIS1  =                    4",
                    "NAXIS2  =                    4",
                ],
                b"\0" * 64,
            ),
            "not a FITS data type",
        ),
        "naxis0.fits": (to_bytes([fits.PrimaryHDU()]), "no 2-D image data"),
        "oned.fits": (
            to_bytes([fits.PrimaryHDU(np.arange(50, dtype=np.float32))]),
            "no 2-D image data",
        ),
        "fourd.fits": (to_bytes([fits.PrimaryHDU(four_d)]), "ok"),
        "absurd.fits": (
            raw_header(
                [
                    "SIMPLE  =                    T",
                    "BITPIX  =                  -64",
                    "NAXIS   =                    2",
                    "NAXIS1  =           1000000000",
                    "NAXIS2  =           1000000000",
                ]
            ),
            "truncated",
        ),
        "hugeheader.fits": (to_bytes([fits.PrimaryHDU(image, huge_header)]), "ok"),
        "nonascii.fits": (
            good[:160] + "OBJECT  = 'Ω Centauri é'".ljust(80).encode("utf-8")[:80] + good[240:],
            "ok|unreadable",
        ),
        "brokenwcs.fits": (to_bytes([fits.PrimaryHDU(image, broken_wcs)]), "ok"),
        "allnan.fits": (to_bytes([fits.PrimaryHDU(np.full((40, 50), np.nan, np.float32))]), "ok"),
        "gzipped.fits.gz": (gzip.compress(good), "ok"),
        "compressed.fits": (to_bytes([fits.PrimaryHDU(), fits.CompImageHDU(image)]), "ok"),
        "tables.fits": (
            to_bytes(
                [
                    fits.PrimaryHDU(),
                    fits.BinTableHDU.from_columns([fits.Column(name="a", format="E", array=[1.0])]),
                ]
            ),
            "only tables",
        ),  # fmt: skip
        "text.fits": (b"hello " * 1000, "not a FITS file"),
        # Under the limits of ``_small_limits``: claims and bombs refused before the data.
        "claims.fits.gz": (gzip.compress(raw_header([
            "SIMPLE  =                    T", "BITPIX  =                  -32",
            "NAXIS   =                    2", "NAXIS1  =              1000000",
            "NAXIS2  =              1000000"])), "more than the limit"),
        "bomb.fits.gz": (gzip.compress(to_bytes([fits.PrimaryHDU(np.zeros((2000, 2000), np.float32))])),
                         "more than the limit"),
        "endless-header.fits": (b"SIMPLE  =                    T" + b" " * (2 * 1024**2), "longer than the limit"),
        "spread.fits": (spread_mosaic(), "as float32"),
    }  # fmt: skip


CORPUS = corpus()


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.MAX_DECOMPRESSED_BYTES = 8 * 1024**2
    settings.MAX_IMAGE_BYTES = 64 * 1024**2
    settings.MAX_HEADER_BYTES = 1024**2


@pytest.fixture
def control(collections, fits_factory, settings):
    from portal.registration import register_path

    path = fits_factory("control.fits", folder=settings.UPLOAD_ROOT, seed=42)
    image = register_path(collections["team"], path)
    permissions.forget_cached_access()
    return image


def rendered(client, image):
    tile = client.get(f"/api/images/{image.pk}/tiles/0/0/0.jpg")
    info = client.get(f"/iip/?FIF={image.pk}&INFO")
    detail = client.get(f"/api/images/{image.pk}/")
    return tile.status_code, info.status_code, detail.status_code


@pytest.fixture(autouse=True)
def _worker_idle():
    """With a worker process, work a test set going may still run when it ends, and the
    database is emptied after each test here: wait (at most 30 s) for the worker to be
    idle first, so that the two do not lock each other."""
    yield
    if jobs.embedded():
        return
    from portal import celery_app

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inspect = celery_app.control.inspect(timeout=0.5)
        busy = [*((inspect.active() or {}).values()), *((inspect.reserved() or {}).values())]
        if not any(busy):
            return
        time.sleep(0.1)


@pytest.mark.parametrize("name", list(CORPUS))
def test_rest_upload(name, users, collections, control, snapshot, settings):
    content, expected = CORPUS[name]
    client = APIClient()
    client.force_login(users["owner"])
    before = snapshot(settings.UPLOAD_ROOT)
    response = client.post("/api/collections/team-survey/images/",
                           {"file": SimpleUploadedFile(name, content)}, format="multipart")  # fmt: skip
    if response.status_code == 201:
        assert "ok" in expected, (name, response.json())
        image = Image.objects.get(pk=response.json()["id"])
        call_command("warm_images", "--wait", "--image", str(image.pk))
        image.refresh_from_db()
        assert image.state == Image.READY, image.state_reason
        assert rendered(client, image) == (200, 200, 200)
    else:
        assert response.status_code in (400, 413), (name, response.status_code)
        detail = response.json()["detail"]
        assert any(part in detail for part in expected.split("|")), (name, detail)
        assert snapshot(settings.UPLOAD_ROOT) == before
        assert Image.objects.count() == 1
    assert rendered(client, control) == (200, 200, 200)  # others unaffected


@pytest.mark.parametrize(
    "name", ["truncated.fits", "absurd.fits", "fourd.fits", "allnan.fits", "text.fits",
             "claims.fits.gz", "bomb.fits.gz", "gzipped.fits.gz", "spread.fits"]
)  # fmt: skip
def test_register_images(name, collections, control, tmp_path, settings, capsys, snapshot):
    content, expected = CORPUS[name]
    root = tmp_path / "archive"
    root.mkdir()
    settings.DATA_ROOTS = [*settings.DATA_ROOTS, root]
    (root / name).write_bytes(content)
    before = snapshot(settings.UPLOAD_ROOT)
    if expected == "ok":
        call_command("register_images", "team-survey", str(root / name))
        assert Image.objects.filter(name=name).exists()
    else:
        with pytest.raises(CommandError):
            call_command("register_images", "team-survey", str(root / name))
        assert expected.split("|")[0] in capsys.readouterr().err
        assert not Image.objects.filter(name=name).exists()
        assert snapshot(settings.UPLOAD_ROOT) == before
    assert (root / name).read_bytes() == content


@pytest.mark.parametrize("name", ["absurd.fits", "tables.fits", "gzipped.fits.gz", "bomb.fits.gz"])
def test_admin_upload(name, collections, control, django_user_model, client):
    content, expected = CORPUS[name]
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    response = client.post("/admin/portal/image/add/", {
        "collection": collections["public"].pk, "title": "", "upload": SimpleUploadedFile(name, content),
    })  # fmt: skip
    if expected == "ok":
        assert response.status_code == 302
    else:
        assert response.status_code == 200 and expected in response.content.decode()
        assert Image.objects.count() == 1
