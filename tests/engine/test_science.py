"""Pixel values, profiles and cutouts, in FITS conventions."""

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from portal.demo import star_field_wcs
from tiles.engine import ParameterError, open_image
from tiles.engine.image import bresenham


@pytest.fixture
def ramp(write_fits):
    rows, cols = np.mgrid[0:50, 0:60]
    data = (rows * 1000 + cols).astype(np.float32)  # value = 1000 * (y - 1) + (x - 1)
    data[10, 20] = np.nan
    return data, write_fits(data, header=star_field_wcs(60, 50).to_header())


def test_pixel_values_are_1_based(ramp):
    _data, path = ramp
    image = open_image(path)
    assert image.pixel_values(1, 1) == [0.0]
    assert image.pixel_values(60, 50) == [49059.0]
    assert image.pixel_values(5.4, 2.6) == [2004.0]  # nearest pixel
    assert image.pixel_values(21, 11) == [None]  # NaN
    assert image.pixel_values(0, 1) == [None] and image.pixel_values(61, 1) == [None]


def test_profile_is_a_digital_line_with_ends(ramp):
    _data, path = ramp
    profile = open_image(path).profile(1, 1, 6, 3)
    assert len(profile) == 6  # max(|dx|, |dy|) + 1
    assert (profile[0]["x"], profile[0]["y"]) == (0, 0)
    assert (profile[-1]["x"], profile[-1]["y"]) == (5, 2)
    for point in profile:
        assert point["values"] == [1000.0 * point["y"] + point["x"]]
    outside = open_image(path).profile(59, 1, 62, 1)
    assert [p["values"] for p in outside] == [[58.0], [59.0], [None], [None]]


def test_bresenham_symmetry():
    assert bresenham(0, 0, 3, 0) == [(0, 0), (1, 0), (2, 0), (3, 0)]
    assert bresenham(2, 2, 2, 2) == [(2, 2)]
    assert len(bresenham(0, 0, -4, 7)) == 8


def test_cutout_has_the_right_pixels_and_wcs(ramp):
    data, path = ramp
    blob = open_image(path).cutout_fits(11, 21, 30, 40)
    with fits.open(io.BytesIO(blob)) as hdus:
        cut = hdus[0].data
        np.testing.assert_array_equal(cut, data[20:40, 10:30])
        cut_wcs = WCS(hdus[0].header)
    full_wcs = WCS(fits.getheader(path))
    for x, y in [(1, 1), (20, 20), (7, 13)]:
        np.testing.assert_allclose(
            cut_wcs.all_pix2world([[x, y]], 1),
            full_wcs.all_pix2world([[x + 10, y + 20]], 1),
            atol=1e-10,
        )


def test_cutout_outside_the_image_is_refused(ramp):
    with pytest.raises(ParameterError):
        open_image(ramp[1]).cutout_fits(100, 100, 120, 120)


def test_unknown_channel_is_refused(ramp):
    with pytest.raises(ParameterError, match="Channel 2"):
        open_image(ramp[1]).pixel_values(1, 1, channels=[1])
