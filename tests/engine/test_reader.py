"""Reading FITS files into channels: images, cubes, scaled integers, mosaics, channels."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tiles.engine import InvalidFitsError, inspect_fits, open_image
from tiles.engine.reader import open_source


def test_2d_image_in_fits_orientation(write_fits):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)  # row 0 = FITS y 1
    path = write_fits(data, FILTER="g")
    with open_source(path) as source:
        assert (source.width, source.height, source.channels) == (4, 3, 1)
        assert source.channel_names == ["g"]
        np.testing.assert_array_equal(source.region(0, 0, 0, 4, 3), data)
        np.testing.assert_array_equal(source.region(0, 1, 1, 3, 3), data[1:3, 1:3])
        np.testing.assert_array_equal(source.region(0, 0, 0, 4, 3, step=2), data[::2, ::2])
        assert source.region(0, 0, 0, 4, 3).dtype == np.float32


def test_int16_with_bzero_and_blank(tmp_path):
    raw = np.array([[-32768, 0], [100, 32767]], dtype=np.int16)
    hdu = fits.PrimaryHDU(raw)
    hdu.header["BZERO"] = 32768
    hdu.header["BSCALE"] = 2.0
    path = tmp_path / "int16.fits"
    hdu.writeto(path)
    with open_source(path) as source:
        values = source.region(0, 0, 0, 2, 2)
    np.testing.assert_allclose(values, raw.astype(np.float64) * 2.0 + 32768)


def test_integer_blank_becomes_nan(tmp_path):
    raw = np.array([[1, -99], [3, 4]], dtype=np.int32)
    hdu = fits.PrimaryHDU(raw)
    hdu.header["BLANK"] = -99
    path = tmp_path / "blank.fits"
    hdu.writeto(path)
    with open_source(path) as source:
        values = source.region(0, 0, 0, 2, 2)
    assert np.isnan(values[0, 1]) and values[1, 1] == 4


def test_cube_planes_are_channels(write_fits):
    cube = np.stack([np.full((5, 6), k, np.float32) for k in range(3)])
    inventory = inspect_fits(write_fits(cube))
    assert (inventory.kind, inventory.channels) == ("cube", 3)
    with open_source(write_fits(cube, name="c2.fits")) as source:
        assert [source.region(c, 0, 0, 6, 5)[0, 0] for c in range(3)] == [0, 1, 2]


def test_4d_cube_channels_and_naxis4_of_one(write_fits):
    cube = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)  # N4=2, N3=3
    with open_source(write_fits(cube)) as source:
        assert source.channels == 6
        # Channel c: NAXIS3 varies fastest.
        assert source.region(1, 0, 0, 5, 4)[0, 0] == cube[0, 1, 0, 0]
        assert source.region(3, 0, 0, 5, 4)[0, 0] == cube[1, 0, 0, 0]
    single = np.ones((1, 1, 4, 5), np.float32)
    assert inspect_fits(write_fits(single, name="one.fits")).channels == 1


def test_mosaic_placement(mef_4):
    path, layout = mef_4
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.width, inventory.height, inventory.channels) == (
        "mosaic", 100, 80, 1,
    )  # fmt: skip
    with open_source(path) as source:
        mosaic = source.region(0, 0, 0, 100, 80)
    np.testing.assert_array_equal(mosaic[0:40, 0:50], layout[0][0])
    np.testing.assert_array_equal(mosaic[0:40, 50:100], layout[1][0])
    np.testing.assert_array_equal(mosaic[40:80, 0:50], layout[2][0])
    np.testing.assert_array_equal(mosaic[40:80, 50:100], layout[3][0][:, ::-1])  # flipped
    with open_source(path) as source:  # a sub-region across all four, with a step
        np.testing.assert_array_equal(
            source.region(0, 30, 25, 77, 61, step=3), mosaic[25:61:3, 30:77:3]
        )


def test_mosaic_wcs_agrees_with_each_extension(mef_4):
    path, _layout = mef_4
    with open_source(path) as source:
        mosaic = WCS(source.fits_header)
    with fits.open(path) as hdus:
        for index, (dx, dy) in zip(range(1, 5), [(0, 0), (50, 0), (0, 40), (50, 40)], strict=True):
            own = WCS(hdus[index].header)
            for px, py in [(1, 1), (50, 40), (17, 23)]:
                flipped = index == 4
                mx = dx + (51 - px if flipped else px)
                my = dy + py
                sky_own = own.all_pix2world([[px, py]], 1)[0]
                sky_mosaic = mosaic.all_pix2world([[mx, my]], 1)[0]
                np.testing.assert_allclose(sky_own, sky_mosaic, atol=1e-9)
    assert "CD1_1" in source.fits_header and source.fits_header["NAXIS1"] == 100


def test_same_shape_extensions_become_channels(tmp_path):
    hdus = [fits.PrimaryHDU()]
    for k, band in enumerate("gri"):
        hdu = fits.ImageHDU(np.full((4, 4), k, np.float32))
        hdu.header["FILTER"] = band
        hdus.append(hdu)
    path = tmp_path / "bands.fits"
    fits.HDUList(hdus).writeto(path)
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.channels, inventory.channel_names) == (
        "channels",
        3,
        ["g", "r", "i"],
    )


def test_tile_compressed_image(tmp_path):
    data = np.random.default_rng(1).normal(0, 1, (64, 80)).astype(np.float32)
    path = tmp_path / "compressed.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, quantize_level=-0.01)]).writeto(path)
    inventory = inspect_fits(path)
    assert (inventory.width, inventory.height) == (80, 64)
    with open_source(path) as source:
        np.testing.assert_allclose(source.region(0, 0, 0, 80, 64), data, atol=0.02)


def test_gzipped_fits(tmp_path, write_fits):
    import gzip

    data = np.arange(20, dtype=np.float32).reshape(4, 5)
    plain = write_fits(data)
    gz = tmp_path / "image.fits.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    with open_source(gz) as source:
        np.testing.assert_array_equal(source.region(0, 0, 0, 5, 4), data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello world" * 300, "not a FITS file"),
    ],
)
def test_not_fits(tmp_path, content, message):
    path = tmp_path / "bad.fits"
    path.write_bytes(content)
    with pytest.raises(InvalidFitsError, match=message):
        inspect_fits(path)


def test_tables_only(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column(name="a", format="E", array=[1.0])])
    path = tmp_path / "table.fits"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    with pytest.raises(InvalidFitsError, match="only tables"):
        inspect_fits(path)


@pytest.mark.parametrize("naxis", [0, 1])
def test_no_2d_data(write_fits, naxis):
    data = None if naxis == 0 else np.arange(10, dtype=np.float32)
    with pytest.raises(InvalidFitsError, match="no 2-D image data"):
        inspect_fits(write_fits(data))


def test_truncated_and_absurd_sizes(tmp_path, write_fits):
    path = write_fits(np.zeros((100, 100), np.float32))
    content = path.read_bytes()
    truncated = tmp_path / "truncated.fits"
    truncated.write_bytes(content[: len(content) - 5000])
    with pytest.raises(InvalidFitsError, match="truncated"):
        inspect_fits(truncated)
    # A header claiming terabytes: refused from the header alone.
    header = fits.Header()
    header["SIMPLE"], header["BITPIX"], header["NAXIS"] = True, -32, 2
    header["NAXIS1"], header["NAXIS2"] = 10_000_000, 10_000_000
    absurd = tmp_path / "absurd.fits"
    absurd.write_bytes(header.tostring().encode() + b"\0" * 2880)
    with pytest.raises(InvalidFitsError, match="truncated"):
        inspect_fits(absurd)


def test_all_nan_image_opens_with_sane_cuts(write_fits):
    image = open_image(write_fits(np.full((20, 30), np.nan, np.float32)))
    stats = image.stats[0]
    assert stats.hi > stats.lo


def test_a_source_dropped_without_close_leaves_no_open_file(write_fits):
    """The open-image cache drops evicted images without closing them (a thread may
    still read them): their files must close with their last reference."""
    import contextlib
    import gc
    import os

    path = write_fits(np.ones((30, 40), np.float32))
    real = os.path.realpath(path)

    def open_on_file():  # descriptors on this file only: other threads open their own
        fds = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # closed meanwhile
                if os.readlink(f"/proc/self/fd/{fd}") == real:
                    fds.append(fd)
        return len(fds)

    sources = [open_source(path) for _ in range(3)]
    sources[0].region(0, 0, 0, 40, 30)
    assert open_on_file() >= 3  # what is counted can be seen
    del sources
    for _ in range(20):
        open_source(path).region(0, 0, 0, 40, 30)
    gc.collect()
    assert open_on_file() == 0
