"""Pixels of files as instruments and archives write them, against astropy's own reading
of the same file (its scaled ``data``) or values known from how the file was made."""

import gzip
import shutil

import numpy as np
import pytest
from astropy.io import fits

from tests.engine.instruments import decam_mef, hst_flt, radio_cube
from tiles.engine import inspect_fits
from tiles.engine.image import ImageData
from tiles.engine.reader import FitsSource


def pixels(path, channel=0):
    with FitsSource(path) as source:
        return source.region(channel, 0, 0, source.width, source.height)


def astropy_pixels(path, ext):
    """The physical values astropy reads (BSCALE/BZERO applied, BLANK as NaN)."""
    with fits.open(path) as hdulist:
        hdu = hdulist[ext]
        data = hdu.data.astype(np.float64)
        blank = hdu.header.get("BLANK")
        if blank is not None and hdu._orig_bitpix > 0:
            raw = fits.getdata(path, ext, do_not_scale_image_data=True)
            data[raw == blank] = np.nan
        return data


RNG = np.random.default_rng(7)
RAW = {
    8: RNG.integers(0, 256, (30, 40)).astype(np.uint8),
    16: RNG.integers(-32768, 32767, (30, 40)).astype(np.int16),
    32: RNG.integers(-(2**31), 2**31 - 1, (30, 40)).astype(np.int32),
    -32: RNG.normal(0, 100, (30, 40)).astype(np.float32),
    -64: RNG.normal(0, 100, (30, 40)),
}


@pytest.mark.parametrize("bitpix", list(RAW))
@pytest.mark.parametrize("scale, zero", [(1.0, 0.0), (0.25, 1000.0), (2.5, -7.0)])
def test_every_bitpix_with_bscale_and_bzero(tmp_path, bitpix, scale, zero):
    path = tmp_path / "s.fits"
    hdu = fits.PrimaryHDU(RAW[bitpix])
    hdu.header["BSCALE"], hdu.header["BZERO"] = scale, zero
    hdu.writeto(path)
    assert fits.getheader(path)["BITPIX"] == bitpix
    expected = RAW[bitpix].astype(np.float64) * scale + zero  # physical = raw * BSCALE + BZERO
    assert np.allclose(pixels(path), expected, rtol=1e-6, atol=1e-3 * scale)
    assert np.allclose(pixels(path), astropy_pixels(path, 0), rtol=1e-6, atol=1e-3 * scale)


def test_unsigned_16_bit_through_bzero_plain_and_compressed(tmp_path):
    counts = np.array([[0, 1, 32767], [32768, 50000, 65535]], np.uint16)
    plain, packed = tmp_path / "u16.fits", tmp_path / "u16.fits.fz"
    fits.PrimaryHDU(counts).writeto(plain)
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(counts, compression_type="RICE_1")]).writeto(
        packed
    )
    assert fits.getheader(plain)["BZERO"] == 32768
    assert fits.getheader(packed, 1)["BZERO"] == 32768
    for path in (plain, packed):
        assert pixels(path).tolist() == counts.astype(np.float32).tolist()


@pytest.mark.parametrize("compression", [None, "RICE_1", "GZIP_1", "GZIP_2", "PLIO_1"])
def test_integer_blank_is_nan(tmp_path, compression):
    """Raw 9 is blank; the others read raw * 2 + 1 (astropy, given physical values,
    writes (value - BZERO) / BSCALE)."""
    raw = np.arange(20, dtype=np.int32).reshape(4, 5) * 3
    physical = raw * 2.0 + 1.0
    path = tmp_path / "blank.fits"
    if compression is None:
        hdu = fits.PrimaryHDU(raw)
        hdu.header.update(BLANK=9, BSCALE=2.0, BZERO=1.0)  # raw values are written as given
        hdu.writeto(path)
    else:
        hdu = fits.CompImageHDU(physical.copy(), compression_type=compression)
        hdu.scale("int32", bscale=2.0, bzero=1.0)  # stores (data - 1) / 2, the raw values
        hdu.header["BLANK"] = 9
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    assert fits.getdata(path, 0 if compression is None else 1,
                        do_not_scale_image_data=True)[0, 3] == 9  # fmt: skip
    got = pixels(path)
    expected = physical.copy()
    expected[raw == 9] = np.nan
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got[0, 3]) and np.isnan(got).sum() == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_infinite_floats_are_blanks(tmp_path, dtype):
    data = np.arange(12, dtype=dtype).reshape(3, 4)
    data[0, 1], data[1, 2], data[2, 3] = np.nan, np.inf, -np.inf
    path = tmp_path / "f.fits"
    fits.PrimaryHDU(data).writeto(path)
    got = pixels(path)
    assert np.isnan(got).sum() == 3 and not np.isinf(got).any()
    assert got[2, 2] == 10.0
    image = ImageData(path)  # statistics and cuts from the finite pixels only
    try:
        stats = image.stats[0]
        assert (stats.min, stats.max) == (0.0, 10.0)
        assert all(np.isfinite(pair).all() for pair in stats.cuts.values())
    finally:
        image.close()


def test_an_all_nan_extension_beside_an_empty_primary(tmp_path):
    path = tmp_path / "nan.fits"
    fits.HDUList([fits.PrimaryHDU(),
                  fits.ImageHDU(np.full((20, 30), np.nan, np.float32), name="SCI")]).writeto(path)  # fmt: skip
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.width, inventory.height) == ("image", 30, 20)
    assert np.isnan(pixels(path)).all()
    image = ImageData(path)
    try:
        tile = image.tile_data(image.grid.levels - 1, 0, 0)
        assert tile.shape == (1, 20, 30) and np.isnan(tile).all()
        assert all(np.isfinite(pair).all() for pair in image.stats[0].cuts.values())
    finally:
        image.close()


@pytest.mark.parametrize(
    "compression, quantize",
    [("RICE_1", 16), ("GZIP_1", 0), ("GZIP_2", 0), ("HCOMPRESS_1", 16), ("RICE_1", 4)],
)
def test_tile_compressed_floats_read_as_astropy_decompresses_them(tmp_path, compression, quantize):
    data = RNG.normal(0, 10, (64, 48)).astype(np.float32)
    data[5, 7] = np.nan
    path = tmp_path / "c.fits.fz"
    hdu = fits.CompImageHDU(data, compression_type=compression, quantize_level=quantize)
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    expected = fits.getdata(path, 1)
    got = pixels(path)
    assert np.array_equal(got, expected.astype(np.float32), equal_nan=True)
    if quantize == 0:  # lossless
        assert np.array_equal(got, data, equal_nan=True)


def test_a_gzipped_file_reads_as_the_plain_one(tmp_path):
    plain = tmp_path / "a.fits"
    hdu = fits.PrimaryHDU(RAW[16])
    hdu.header["BZERO"] = 5.0
    hdu.writeto(plain)
    zipped = tmp_path / "a.fits.gz"
    with open(plain, "rb") as source, gzip.open(zipped, "wb") as target:
        shutil.copyfileobj(source, target)
    assert np.array_equal(pixels(zipped), pixels(plain))
    assert np.array_equal(pixels(zipped), RAW[16] + 5.0)


def test_tables_and_dataless_extensions_are_passed_over(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column(name="flux", format="E", array=[1.0])])
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = tmp_path / "mixed.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="MASK_INFO"), table,
                  fits.ImageHDU(image, name="SCI")]).writeto(path)  # fmt: skip
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.channels) == ("image", 1)
    assert [h["kind"] for h in inventory.hdus] == [
        "PrimaryHDU",
        "ImageHDU",
        "BinTableHDU",
        "ImageHDU",
    ]
    assert np.array_equal(pixels(path), image)


def test_hst_flt_chips_and_their_planes_are_channels(tmp_path):
    path = hst_flt(tmp_path / "j8pu0ha2q_flt.fits")
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.channels) == ("channels", 6)
    assert (inventory.width, inventory.height) == (128, 64)
    image = ImageData(path)
    try:
        assert image.channel_labels == ["SCI 1", "ERR 1", "DQ 1", "SCI 2", "ERR 2", "DQ 2"]
    finally:
        image.close()
    assert np.all(pixels(path, 0) == 1.0) and np.all(pixels(path, 3) == 2.0)
    assert inventory.header["EXTNAME"] == "SCI"  # the first channel's header


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "fpack'd"])
def test_decam_exposure_of_62_ccds_is_one_mosaic(tmp_path, compressed):
    path = decam_mef(tmp_path / "c4d.fits.fz", compressed=compressed)
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.width, inventory.height) == ("mosaic", 512, 1024)
    assert len(inventory.hdus) == 63
    got = pixels(path)
    # CCD k (extension k) holds 1000 k + its row; the grid's first and last are missing.
    places = [(r, c) for r in range(8) for c in range(8)][1:-1]
    for k, (row, col) in enumerate(places, start=1):
        block = got[row * 128 : (row + 1) * 128, col * 64 : (col + 1) * 64]
        assert np.array_equal(block[:, 0], 1000.0 * k + np.arange(128)), k
    assert np.isnan(got[:128, :64]).all() and np.isnan(got[-128:, -64:]).all()
    assert np.isnan(got).sum() == 2 * 128 * 64


def test_a_radio_cube_with_one_frequency_and_one_stokes_is_one_plane(tmp_path):
    path = radio_cube(tmp_path / "vla.fits")
    inventory = inspect_fits(path)
    assert (inventory.kind, inventory.channels, inventory.width) == ("cube", 1, 100)
    expected = np.arange(10000, dtype=np.float32).reshape(100, 100) * np.float32(1e-4)
    assert np.array_equal(pixels(path), expected)


def test_a_cube_of_planes(tmp_path):
    cube = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    path = tmp_path / "cube.fits"
    hdu = fits.PrimaryHDU(cube)
    hdu.header["BZERO"] = 100.0
    hdu.writeto(path)
    assert inspect_fits(path).channels == 3
    for plane in range(3):
        assert np.array_equal(pixels(path, plane), cube[plane] + 100.0)
