"""Gzip bombs and headers that claim more than the limits (issue items 3 and 7).

The limits are settings: each test sets small ones, so a bomb of a few MB decompressed
stands for the 2.4 MB gzip of 25000² zeros (2.5 GB) of the report. A refusal is a 413
with a JSON reason, before the claimed data are read; it leaves no row and no file. An
accepted gzip'd file is stored decompressed, so the engine reads it at any offset
(instead of decompressing it whole into memory, or from its start for every tile).
"""

import gzip
import io
import tracemalloc

import numpy as np
import pytest
from astropy.io import fits
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from portal.models import Image
from tiles.engine.claims import Limits, TooLargeError, decompress_fits, is_gzip, scan

pytestmark = pytest.mark.django_db(transaction=True)


def header_only(naxis1, naxis2, bitpix=-32):
    cards = ["SIMPLE  =                    T", f"BITPIX  = {bitpix:>20}", "NAXIS   =                    2",
             f"NAXIS1  = {naxis1:>20}", f"NAXIS2  = {naxis2:>20}", "END"]  # fmt: skip
    text = "".join(f"{c:<80}" for c in cards)
    return (text + " " * (-len(text) % 2880)).encode()


def zeros_gz(side):
    """A gzip'd FITS file of ``side`` x ``side`` float32 zeros: a few KB."""
    buffer = io.BytesIO()
    fits.PrimaryHDU(np.zeros((side, side), np.float32)).writeto(buffer)
    return gzip.compress(buffer.getvalue(), compresslevel=9)


@pytest.fixture
def limits(settings):
    settings.MAX_DECOMPRESSED_BYTES = 8 * 1024**2
    settings.MAX_IMAGE_BYTES = 64 * 1024**2
    settings.MAX_HEADER_BYTES = 1024**2
    settings.MAX_HDUS = 10
    return settings


@pytest.fixture
def owner(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


def upload(client, name, content):
    return client.post("/api/collections/team-survey/images/",
                       {"file": SimpleUploadedFile(name, content)}, format="multipart")  # fmt: skip


def assert_refused(response, fragment):
    assert response.status_code == 413, (response.status_code, response.content[:300])
    assert fragment in response.json()["detail"], response.json()


CASES = {
    # name: (bytes, fragment of the refusal)
    "claims.fits.gz": (gzip.compress(header_only(10**6, 10**6)), "3.6 TiB: more than the limit"),
    "bomb.fits.gz": (zeros_gz(2000), "limit of 8.0 MiB"),  # 16 MB of zeros in ~16 KB
    "endless-header.fits.gz": (
        gzip.compress(b"SIMPLE  =                    T" + b" " * 4 * 1024**2),
        "header of HDU 0 is longer than the limit",
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", list(CASES))
def test_upload_refused_before_the_data(name, owner, collections, limits, snapshot):
    content, fragment = CASES[name]
    before = snapshot(limits.UPLOAD_ROOT)
    assert_refused(upload(owner, name, content), fragment)
    assert Image.objects.count() == 0
    assert snapshot(limits.UPLOAD_ROOT) == before


@pytest.mark.parametrize("name", list(CASES))
def test_register_images_refused(name, collections, limits, tmp_path, snapshot, capsys):
    content, fragment = CASES[name]
    root = tmp_path / "archive"
    root.mkdir()
    limits.DATA_ROOTS = [*limits.DATA_ROOTS, root]
    (root / name).write_bytes(content)
    before = snapshot(limits.UPLOAD_ROOT)
    with pytest.raises(CommandError):
        call_command("register_images", "team-survey", str(root / name))
    assert fragment in capsys.readouterr().err
    assert Image.objects.count() == 0 and snapshot(limits.UPLOAD_ROOT) == before
    assert (root / name).read_bytes() == content


def test_plain_header_claiming_too_much_is_refused(owner, collections, limits):
    # Honest sizes pass the truncation check; the limit still holds: 4200² float32, 70 MB.
    content = header_only(4200, 4200) + b"\0" * (4200 * 4200 * 4)
    assert_refused(upload(owner, "big.fits", content), "limit of 64.0 MiB")


def test_too_many_hdus(owner, collections, limits):
    hdus = [fits.PrimaryHDU()] + [fits.ImageHDU(np.zeros((4, 4), np.float32)) for _ in range(11)]
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    assert_refused(upload(owner, "many.fits", buffer.getvalue()), "more than 10 HDUs")


def test_mosaic_spread_far_apart(owner, collections, limits):
    # Two 10 x 10 detectors a million pixels apart: a 10⁶ x 10⁶ canvas from 800 bytes.
    hdus = [fits.PrimaryHDU()]
    for x in (1, 999_991):
        hdu = fits.ImageHDU(np.ones((10, 10), np.float32))
        hdu.header["DETSEC"] = f"[{x}:{x + 9},{x}:{x + 9}]"
        hdu.header["DATASEC"] = "[1:10,1:10]"
        hdus.append(hdu)
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    assert_refused(upload(owner, "spread.fits", buffer.getvalue()), "as float32")


def test_accepted_gzip_is_stored_plain_and_memory_mapped(collections, limits, tmp_path, capsys):
    root = tmp_path / "archive"
    root.mkdir()
    limits.DATA_ROOTS = [*limits.DATA_ROOTS, root]
    source = root / "zeros.fits.gz"
    limits.MAX_DECOMPRESSED_BYTES = 80 * 1024**2
    source.write_bytes(zeros_gz(4000))  # 64 MB decompressed: under the limit
    call_command("register_images", "team-survey", str(source))
    image = Image.objects.get()
    assert f"decompressed to {image.path}" in capsys.readouterr().out
    assert image.name == "zeros.fits.gz" and image.source_path == str(source)
    assert image.owns_file and image.path == str(limits.UPLOAD_ROOT / "team-survey" / "zeros.fits")
    assert not is_gzip(image.path) and image.size == 2880 + 22223 * 2880  # header, padded data
    assert read_peak(image.path) < 16 * 1024**2  # memory-mapped: a tile and the headers
    call_command("warm_images", "--wait", "--image", str(image.pk))
    image.refresh_from_db()
    assert image.state == Image.READY, image.state_reason


def read_peak(path):
    """Peak memory of opening ``path`` with the engine's reader and reading a tile."""
    from tiles.engine.reader import FitsSource

    tracemalloc.start()
    try:
        source = FitsSource(path)
        source.region(0, 0, 0, 256, 256)
        source.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_decompression_copies_only_what_the_headers_declare(tmp_path):
    hdu = io.BytesIO()
    fits.PrimaryHDU(np.ones((10, 10), np.float32)).writeto(hdu)
    source = tmp_path / "trailing.fits.gz"
    source.write_bytes(gzip.compress(hdu.getvalue() + b"\0" * 50_000_000))  # junk after the end
    target = tmp_path / "plain.fits"
    spans = decompress_fits(source, target, Limits(max_decompressed_bytes=10**6))
    assert [s.end for s in spans] == [5760] and target.read_bytes() == hdu.getvalue()


def test_scan_refuses_before_reading_the_data():
    class Stream(io.BytesIO):
        def seek(self, *args):
            raise AssertionError("the data were reached")

    with pytest.raises(TooLargeError, match="limit"):
        scan(Stream(header_only(10**6, 10**6)), Limits(max_data_bytes=10**9))
