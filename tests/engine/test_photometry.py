"""Measuring a star: a generated Gaussian star of known centre, width and flux on a known
background, and numpy on regions' exact masks for the aperture sums."""

import math

import numpy as np
import pytest
from regions import CirclePixelRegion, PixCoord

from tiles.engine.photometry import CSV_COLUMNS, GAUSSIAN_FWHM, csv_row, measure_star
from tiles.engine.regionstats import RegionError

W, H = 120, 100
SIGMA, FLUX, BACKGROUND = 2.0, 5000.0, 200.0
CENTRE = (60.3, 40.7)  # 0-based


@pytest.fixture
def star():
    yy, xx = np.mgrid[0:H, 0:W]
    image = BACKGROUND + FLUX / (2 * np.pi * SIGMA**2) * np.exp(
        -((xx - CENTRE[0]) ** 2 + (yy - CENTRE[1]) ** 2) / (2 * SIGMA**2)
    )
    return image + np.random.default_rng(2).normal(0, 0.5, image.shape)


def read_from(image):
    return lambda channel, x0, y0, x1, y1: image[y0:y1, x0:x1]


def test_centroid_fwhm_and_flux_of_a_known_star(star):
    result = measure_star(read_from(star), W, H, 62, 42)  # clicked a pixel or two away
    assert result["x"] == pytest.approx(CENTRE[0] + 1, abs=0.02)
    assert result["y"] == pytest.approx(CENTRE[1] + 1, abs=0.02)
    assert result["fwhm_gaussian"] == pytest.approx(GAUSSIAN_FWHM * SIGMA, rel=0.01)
    assert result["fwhm_moffat"] == pytest.approx(GAUSSIAN_FWHM * SIGMA, rel=0.03)
    assert result["background"] == pytest.approx(BACKGROUND, abs=0.1)
    enclosed = FLUX * (1 - math.exp(-(result["aperture"] ** 2) / (2 * SIGMA**2)))
    assert result["flux"] == pytest.approx(enclosed, rel=0.01)


def test_aperture_and_annulus_sums_are_numpy_on_exact_masks(star):
    result = measure_star(read_from(star), W, H, 61, 41, aperture=6.0, annulus=(9.0, 14.0))
    centre = PixCoord(result["x"] - 1, result["y"] - 1)
    mask = CirclePixelRegion(centre, 6.0).to_mask(mode="exact").to_image(star.shape)
    assert result["aperture_sum"] == pytest.approx((mask * star).sum(), rel=1e-12)
    assert result["aperture_area"] == pytest.approx(mask.sum(), rel=1e-12)
    ring = (CirclePixelRegion(centre, 14.0).to_mask(mode="exact").to_image(star.shape)
            - CirclePixelRegion(centre, 9.0).to_mask(mode="exact").to_image(star.shape))  # fmt: skip
    assert result["background"] == pytest.approx(np.median(star[ring > 0]), rel=1e-12)
    assert result["flux"] == pytest.approx(
        result["aperture_sum"] - result["background"] * mask.sum()
    )


def test_a_csv_row_names_every_column(star):
    text = csv_row(measure_star(read_from(star), W, H, 61, 41))
    header, row, end = text.split("\n")
    assert header.split(",") == CSV_COLUMNS and end == ""
    values = dict(zip(CSV_COLUMNS, row.split(","), strict=True))
    assert float(values["x"]) == pytest.approx(CENTRE[0] + 1, abs=0.02) and values["ra"] == ""


def test_nothing_to_measure_on_a_flat_sky():
    flat = np.full((H, W), 100.0)
    with pytest.raises(RegionError, match="no source"):
        measure_star(read_from(flat), W, H, 50, 50)


def test_radii_must_grow(star):
    with pytest.raises(RegionError, match="radii"):
        measure_star(read_from(star), W, H, 61, 41, aperture=10, annulus=(5, 8))
