"""Region statistics against numpy on the same mask, the mask from astropy regions'
``to_mask`` ("exact" for circles, ellipses and boxes), on generated images."""

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from regions import (
    CirclePixelRegion,
    EllipsePixelRegion,
    EllipseSkyRegion,
    PixCoord,
    PolygonPixelRegion,
    RectanglePixelRegion,
)

from portal.demo import star_field_wcs
from tiles.engine.regionstats import RegionError, Shape, region_statistics, shape_from_feature

W, H = 240, 180


@pytest.fixture
def cube():
    rng = np.random.default_rng(3)
    data = rng.normal(100.0, 7.0, (2, H, W))
    data[1] = 3 * data[1] - 50  # a second channel, different values
    data[0, 60, 70] = np.nan  # a blank inside the circle
    return data


def reader(data, reads=None):
    def read(channel, x0, y0, x1, y1):
        if reads is not None:
            reads.append((y1 - y0) * (x1 - x0))
        return data[channel, y0:y1, x0:x1].astype(np.float32).astype(np.float64)

    return read


def full_mask(region, mode="exact"):
    mask = region.to_mask(mode=mode)
    out = np.zeros((H, W))
    out += mask.to_image((H, W))
    return out


def reference(values, weight):
    """The statistics of ``values`` under ``weight``, with numpy."""
    values = values.astype(np.float32).astype(np.float64)
    keep = (weight > 0) & np.isfinite(values)
    v, w = values[keep], weight[keep]
    mean = (w * v).sum() / w.sum()
    rows, cols = np.nonzero(keep)
    total = (w * v).sum()
    return {"pixels": int(keep.sum()), "area_pixels": w.sum(), "sum": total, "mean": mean,
            "sigma": np.sqrt((w * (v - mean) ** 2).sum() / w.sum()), "median": np.median(v),
            "min": v.min(), "max": v.max(),
            "centroid": [(w * v * cols).sum() / total + 1, (w * v * rows).sum() / total + 1]}  # fmt: skip


def assert_matches(result, expected):
    assert result["pixels"] == expected["pixels"]
    for key in ("area_pixels", "sum", "mean", "sigma", "median", "min", "max"):
        assert result[key] == pytest.approx(expected[key], rel=1e-10, abs=1e-9), key
    assert result["centroid"] == pytest.approx(expected["centroid"], rel=1e-10)


REGIONS = [
    CirclePixelRegion(PixCoord(70.3, 61.8), 22.7),
    EllipsePixelRegion(PixCoord(150.2, 90.6), 60.5, 25.25, angle=33 * u.deg),
    RectanglePixelRegion(PixCoord(120.0, 40.4), 50.3, 20.7, angle=-20 * u.deg),
    PolygonPixelRegion(PixCoord([10.2, 60.7, 55.1, 12.9], [120.3, 130.6, 170.2, 160.8])),
]


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: type(r).__name__)
@pytest.mark.parametrize("block_pixels", [1 << 22, 500])
def test_one_region_matches_numpy_on_its_exact_mask(cube, region, block_pixels):
    results = region_statistics(
        reader(cube), W, H, [0, 1], [Shape(region)], block_pixels=block_pixels
    )
    for channel, result in enumerate(results):
        assert result["channel"] == channel + 1
        assert_matches(result, reference(cube[channel], full_mask(region)))
    assert results[0]["blank_pixels"] == (1 if isinstance(region, CirclePixelRegion) else 0)


def test_an_annulus_is_its_outer_shape_less_its_inner_one(cube):
    outer, inner = (CirclePixelRegion(PixCoord(120.4, 88.9), r) for r in (40.0, 15.5))
    (result,) = region_statistics(reader(cube), W, H, [0], [Shape(outer, inner)], block_pixels=777)
    assert_matches(result, reference(cube[0], full_mask(outer) - full_mask(inner)))


def test_included_union_less_exclusions(cube):
    a, b = REGIONS[0], CirclePixelRegion(PixCoord(95.0, 70.0), 20.0)
    hole = EllipsePixelRegion(PixCoord(80.0, 65.0), 18.0, 9.0, angle=10 * u.deg)
    shapes = [Shape(a), Shape(b), Shape(hole, include=False)]
    (result,) = region_statistics(reader(cube), W, H, [1], shapes, block_pixels=1000)
    weight = np.maximum(full_mask(a), full_mask(b)) * (1 - full_mask(hole))
    assert_matches(result, reference(cube[1], weight))


@pytest.mark.parametrize("mode", ["center", "subpixels"])
def test_other_mask_modes(cube, mode):
    region = REGIONS[1]
    (result,) = region_statistics(reader(cube), W, H, [0], [Shape(region)], mode=mode)
    assert_matches(result, reference(cube[0], full_mask(region, mode)))


def test_large_regions_stream_in_blocks_of_bounded_size(cube):
    reads = []
    region = CirclePixelRegion(PixCoord(120, 90), 200.0)  # the whole image and more
    (result,) = region_statistics(
        reader(cube, reads), W, H, [0], [Shape(region)], block_pixels=W * 10
    )
    assert max(reads) <= W * 10 and result["pixels"] == W * H - 1
    assert result["median"] == pytest.approx(np.nanmedian(cube[0].astype(np.float32)))


def test_the_median_is_exact_when_the_values_do_not_fit_at_once(cube, monkeypatch):
    from tiles.engine import regionstats

    monkeypatch.setattr(regionstats, "SELECT_AT_MOST", 50)
    monkeypatch.setattr(regionstats, "HISTOGRAM_BINS", 8)
    data = cube.copy()
    data[0, :, :100] = 42.0  # many equal values
    region = REGIONS[1]
    (result,) = region_statistics(reader(data), W, H, [0], [Shape(region)], block_pixels=900)
    assert_matches(result, reference(data[0], full_mask(region)))


def test_sky_regions_areas_and_sky_centroid(cube):
    wcs = star_field_wcs(W, H)
    centre = wcs.pixel_to_world(100.0, 80.0)
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [centre.ra.deg, centre.dec.deg]},
               "properties": {"shape": "ellipse", "width": 20 / 3600, "height": 8 / 3600, "angle": 30.0}}  # fmt: skip
    shape = shape_from_feature(feature, wcs)
    region = EllipseSkyRegion(centre, 20 * u.arcsec, 8 * u.arcsec, angle=30 * u.deg).to_pixel(wcs)
    (result,) = region_statistics(reader(cube), W, H, [1], [shape], wcs=wcs)
    expected = reference(cube[1], full_mask(region))
    assert_matches(result, expected)
    pixel_area = 0.4**2  # the field's 0.4" pixels
    assert result["area_arcsec2"] == pytest.approx(expected["area_pixels"] * pixel_area, rel=1e-9)
    assert result["surface_brightness"] == pytest.approx(
        expected["sum"] / (expected["area_pixels"] * pixel_area)
    )
    sky = wcs.pixel_to_world(expected["centroid"][0] - 1, expected["centroid"][1] - 1)
    assert SkyCoord(*result["centroid_sky"], unit="deg").separation(sky).arcsec < 1e-6


def test_pixel_features_are_fits_one_based():
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 20.0]},
               "properties": {"shape": "box", "frame": "image", "width": 4, "height": 2, "angle": 0}}  # fmt: skip
    shape = shape_from_feature(feature)
    assert (shape.outer.center.x, shape.outer.center.y) == (9.0, 19.0)


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        ({"geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"shape": "point", "frame": "image"}},
         "no area"),
        ({"geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}, "properties": {"frame": "image"}},
         "no area"),
        ({"geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"shape": "circle"}}, "WCS"),
        ({"geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"shape": "circle", "frame": "image"}},
         "not a region"),
    ],
)  # fmt: skip
def test_shapes_that_cannot_be_measured(feature, message):
    with pytest.raises(RegionError, match=message):
        shape_from_feature(feature)


def test_only_exclusions_or_outside_the_image_is_an_error(cube):
    with pytest.raises(RegionError, match="included"):
        region_statistics(reader(cube), W, H, [0], [Shape(REGIONS[0], include=False)])
    with pytest.raises(RegionError, match="outside"):
        region_statistics(
            reader(cube), W, H, [0], [Shape(CirclePixelRegion(PixCoord(-100, -100), 5))]
        )
