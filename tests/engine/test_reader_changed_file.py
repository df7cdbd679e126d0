"""A FITS file that shrinks while it is open: every read of the lost pixels is an
``InvalidFitsError``, never a SIGBUS (which would end the whole server process).

Each case runs in a child process, so a regression fails the test instead of killing
the test run.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import os, sys
    from tiles.engine import InvalidFitsError, open_image
    from tiles.engine.reader import open_source

    path, keep = sys.argv[1], int(sys.argv[2])
    with open_source(path) as source:
        width, height = source.width, source.height
        source.region(0, 0, 0, width, 8)  # the file is read while it is whole
        with open(path, "r+b") as handle:
            handle.truncate(keep)
        failures = []
        try:  # what remains still reads (where it is stored apart)
            first_row = source.region(0, 0, 0, width, 1).sum()
        except InvalidFitsError:
            first_row = -1
        for c in range(source.channels):
            for box, step in (((0, 0, width, height), 1), ((0, height - 9, 7, height), 1),
                              ((0, 0, width, height), 8), ((3, height - 1, 4, height), 1)):
                try:
                    source.region(c, *box, step)
                except InvalidFitsError as exc:
                    failures.append(str(exc))
    try:  # the tile path over the changed file: refused at open, or at the read
        image = open_image(path)
        image.tile_data(image.grid.levels - 1, 0, 0)
    except InvalidFitsError as exc:
        failures.append(str(exc))
    print(len(failures))
    print(failures[0] if failures else "")
    print(float(first_row))
    """
)


def run_child(path, keep):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(keep)],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def data_start(path, hdu=0):
    with fits.open(path) as hdulist:
        return hdulist.fileinfo(hdu)["datLoc"]


def image_file(tmp_path):
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(np.ones((512, 640), np.float32)).writeto(path)
    return path


def scaled_file(tmp_path):
    path = tmp_path / "scaled.fits"
    hdu = fits.PrimaryHDU(np.arange(512 * 640, dtype=np.int32).reshape(512, 640) % 30000)
    hdu.scale("int16", bzero=32768)
    hdu.writeto(path)
    return path


def cube_file(tmp_path):
    path = tmp_path / "cube.fits"
    fits.PrimaryHDU(np.ones((3, 256, 320), np.float32)).writeto(path)
    return path


def mosaic_file(tmp_path):
    path = tmp_path / "mosaic.fits"
    hdus = [fits.PrimaryHDU()]
    for k, detsec in enumerate(["[1:320,1:256]", "[321:640,1:256]"]):
        hdu = fits.ImageHDU(np.full((256, 320), k, np.float32))
        hdu.header["DETSEC"] = detsec
        hdus.append(hdu)
    fits.HDUList(hdus).writeto(path)
    return path


def compressed_file(tmp_path):
    path = tmp_path / "compressed.fits"
    noise = np.random.default_rng(1).normal(0, 1, (512, 640)).astype(np.float32)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(noise)]).writeto(path)
    return path


def gzipped_file(tmp_path):
    import gzip

    plain = image_file(tmp_path)
    path = tmp_path / "image.fits.gz"
    path.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=1))
    return path


def test_a_gzipped_file_cut_short_is_no_crash_either(tmp_path):
    result = run_child(gzipped_file(tmp_path), 2000)
    assert result.returncode == 0, result.stderr[-2000:]  # read whole, or errors: no signal


@pytest.mark.parametrize(
    "make", [image_file, scaled_file, cube_file, mosaic_file, compressed_file],
    ids=["float32", "scaled-int16", "cube", "mosaic", "tile-compressed"],
)  # fmt: skip
def test_pixels_lost_under_an_open_file_are_an_error_not_a_signal(tmp_path, make):
    path = make(tmp_path)
    first_data = data_start(path, 1 if make in (mosaic_file, compressed_file) else 0)
    result = run_child(path, first_data + 4096)
    assert result.returncode != -signal.SIGBUS, "the reader died of SIGBUS"
    assert result.returncode == 0, result.stderr[-2000:]
    count, message, first_row_sum = result.stdout.splitlines()[:3]
    assert int(count) >= 4, result.stdout  # each read of lost pixels, and the tile
    assert "the file changed" in message or "cannot read" in message, message
    if make is image_file:
        assert "the file changed" in message
        assert float(first_row_sum) == 640.0
