"""Gaussian smoothing before the cuts: tiles are crops of the level smoothed whole."""

import numpy as np
import pytest
from astropy.convolution import Gaussian2DKernel, convolve

from tiles.engine import RenderParams, open_image
from tiles.engine.image import rendered_planes


def reference(level_pixels, sigma):
    """astropy's NaN-interpolating convolution of a whole level (top-down), NaN kept,
    the outside of the image ignored (filled with NaN)."""
    kernel = Gaussian2DKernel(x_stddev=sigma)
    out = convolve(level_pixels, kernel, boundary="fill", fill_value=np.nan,
                   nan_treatment="interpolate", normalize_kernel=True, preserve_nan=True)  # fmt: skip
    return out.astype(np.float32)


@pytest.fixture
def field(write_fits):
    rng = np.random.default_rng(11)
    data = rng.normal(100.0, 10.0, (300, 420)).astype(np.float32)
    data[150, 200] += 5000.0  # a star on a tile corner's neighbourhood
    data[40:44, 250:253] = np.nan
    return data, open_image(write_fits(data), tile_size=64)


def stitched(image, level, params):
    width, height = image.grid.level_size(level)
    out = np.empty((height, width), np.float32)
    for y0 in range(0, height, image.tile_size):
        for x0 in range(0, width, image.tile_size):
            x1, y1 = min(x0 + image.tile_size, width), min(y0 + image.tile_size, height)
            out[y0:y1, x0:x1] = rendered_planes(image, level, x0, y0, x1, y1, params)[0]
    return out


@pytest.mark.parametrize("level, smooth", [(0, 1.5), (0, 3.0), (1, 3.0), (2, 10.0)])
def test_tiles_stitch_to_the_whole_level_smoothed(field, level, smooth):
    _data, image = field
    params = RenderParams(minmax=((0.0, 1.0),), channel=0, smooth=smooth)
    width, height = image.grid.level_size(level)
    whole = image.region_planes(level, 0, 0, width, height, [0])[0]
    expected = reference(np.array(whole, np.float64), smooth / 2**level)
    tiles = stitched(image, level, params)
    np.testing.assert_array_equal(np.isnan(tiles), np.isnan(expected))
    np.testing.assert_allclose(tiles, expected, rtol=2e-6, atol=1e-3, equal_nan=True)
    # the seams: across every tile edge, as smooth as inside a tile
    jumps = np.abs(np.diff(tiles, axis=1))
    edges = jumps[:, image.tile_size - 1 :: image.tile_size]
    assert np.nanmax(edges) < 2 * np.nanmax(jumps) and np.nanmedian(edges) < 3 * np.nanmedian(jumps)


def test_a_point_source_gets_the_discrete_gaussian_peak(write_fits):
    """Worked by hand: the centre of a smoothed delta of flux A is A / (sum of the
    kernel's samples), the kernel exp(-(i^2 + j^2) / (2 sigma^2)) for |i|, |j| <= 4 sigma."""
    data = np.zeros((64, 64), np.float32)
    data[31, 31] = 1000.0
    image = open_image(write_fits(data), tile_size=16)
    i = np.arange(-8, 9)
    samples = np.exp(-(i**2) / 8.0)  # sigma = 2
    peak = 1000.0 / samples.sum() ** 2
    plane = rendered_planes(image, 0, 0, 0, 64, 64, RenderParams(minmax=((0, 1),), smooth=2.0))[0]
    top_down_row = 63 - 31
    assert plane[top_down_row, 31] == pytest.approx(peak, rel=1e-5)
    assert peak == pytest.approx(1000.0 / (2 * np.pi * 4), rel=1e-3)
    assert plane.sum() == pytest.approx(1000.0, rel=1e-5)  # flux kept
    # Level 1 bins 2 x 2 (the delta becomes 250 in one pixel) and smooths by sigma / 2 = 1.
    coarse = rendered_planes(image, 1, 0, 0, 32, 32, RenderParams(minmax=((0, 1),), smooth=2.0))[0]
    j = np.arange(-4, 5)
    assert coarse.max() == pytest.approx(250.0 / np.exp(-(j**2) / 2.0).sum() ** 2, rel=1e-5)


def test_zero_is_off_and_nan_stays_blank(field):
    data, image = field
    off = rendered_planes(image, 0, 0, 0, 64, 64, RenderParams(minmax=((0, 1),), smooth=0.0))[0]
    np.testing.assert_array_equal(off, data[::-1][:64, :64])
    box = (240, 240, 300, 300)  # holds the NaN block (FITS rows 40..43 are 256..259 top-down)
    smooth = rendered_planes(image, 0, *box, RenderParams(minmax=((0, 1),), smooth=2.0))[0]
    raw = image.region_planes(0, *box, [0])[0]
    np.testing.assert_array_equal(np.isnan(smooth), np.isnan(raw))
    assert np.isnan(raw).sum() == 12 and np.isfinite(smooth[~np.isnan(raw)]).all()


def test_the_key_names_the_smoothing():
    a = RenderParams(minmax=((0, 1),), smooth=0.0)
    b = RenderParams(minmax=((0, 1),), smooth=1.5)
    assert a.key() != b.key()
    with pytest.raises(Exception, match="smooth"):
        RenderParams(minmax=((0, 1),), smooth=-1.0)
