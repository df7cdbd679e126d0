"""Region statistics on a 6 x 6 image whose pixel (x, y) (0-based) holds 10 y + x, with
boxes on pixel edges, so every weight and statistic is worked out by hand; and ds9
features read into the astropy ``regions`` shapes they name."""

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.wcs import WCS
from regions import (
    CirclePixelRegion,
    EllipsePixelRegion,
    PixCoord,
    PolygonPixelRegion,
    RectanglePixelRegion,
)

from tiles.engine import regionstats as rs
from tiles.engine.regionstats import RegionError, Shape, region_statistics, shape_from_feature

N = 6
VALUES = np.add.outer(10.0 * np.arange(N), np.arange(N))  # [y, x] = 10 y + x


def read_from(data):
    def read(channel, x0, y0, x1, y1):
        return data[channel][y0:y1, x0:x1]

    return read


def box(cx, cy, w, h):
    return RectanglePixelRegion(PixCoord(cx, cy), w, h)


def stats(shapes, data=None, **kwargs):
    data = [VALUES] if data is None else data
    return region_statistics(read_from(data), N, N, list(range(len(data))), shapes, **kwargs)


def test_a_three_by_three_box_worked_by_hand():
    """Pixels x, y = 1..3: values 11 12 13 21 22 23 31 32 33; sum 198, mean 22, median
    22; deviations -11 -10 -9 -1 0 1 9 10 11, squares summing to 606: sigma √(606/9);
    centroid Σ v x / Σ v = (63 + 2·66 + 3·69) / 198 = 402/198, Σ v y / Σ v = 456/198,
    plus 1 (FITS)."""
    [result] = stats([Shape(box(2, 2, 3, 3))])
    assert result["channel"] == 1
    assert (result["pixels"], result["blank_pixels"], result["area_pixels"]) == (9, 0, 9.0)
    assert (result["sum"], result["mean"], result["median"]) == (198.0, 22.0, 22.0)
    assert (result["min"], result["max"]) == (11.0, 33.0)
    assert result["sigma"] == pytest.approx(math.sqrt(606 / 9), rel=1e-14)
    assert result["centroid"] == pytest.approx([402 / 198 + 1, 456 / 198 + 1], rel=1e-14)
    assert "area_arcsec2" not in result and "centroid_sky" not in result


def test_half_covered_pixels_weigh_a_half():
    """Centre x 2.5, width 3: x from 1.0 to 4.0 -- half of column 1, columns 2 and 3,
    half of column 4; one row (y = 2, height 1): values 21 22 23 24, weights .5 1 1 .5."""
    [result] = stats([Shape(box(2.5, 2, 3, 1))])
    assert result["pixels"] == 4 and result["area_pixels"] == pytest.approx(3.0, abs=1e-12)
    total = 0.5 * 21 + 22 + 23 + 0.5 * 24
    assert result["sum"] == pytest.approx(total, abs=1e-12)
    assert result["mean"] == pytest.approx(total / 3, abs=1e-12)
    spread = 0.5 * (21 - total / 3) ** 2 + (22 - total / 3) ** 2 + (23 - total / 3) ** 2
    spread += 0.5 * (24 - total / 3) ** 2
    assert result["sigma"] == pytest.approx(math.sqrt(spread / 3), rel=1e-12)
    # Unweighted: a pixel touched counts once.
    assert (result["median"], result["min"], result["max"]) == (22.5, 21.0, 24.0)
    wx = 0.5 * 21 * 1 + 22 * 2 + 23 * 3 + 0.5 * 24 * 4
    assert result["centroid"] == pytest.approx([wx / total + 1, 3.0], rel=1e-12)


def test_blank_pixels_are_counted_apart():
    data = VALUES.copy()
    data[2, 2] = np.nan
    data[1, 3] = np.inf
    data[5, 5] = np.nan  # outside the box: not counted at all
    [result] = stats([Shape(box(2, 2, 3, 3))], [data])
    assert (result["pixels"], result["blank_pixels"], result["area_pixels"]) == (7, 2, 7.0)
    assert result["sum"] == 198.0 - 22 - 13
    assert result["median"] == 23.0  # of 11 12 21 23 31 32 33: the fourth


def test_an_all_blank_region_has_no_statistics():
    data = np.full((N, N), np.nan)
    [result] = stats([Shape(box(2, 2, 3, 3))], [data])
    assert result == {"channel": 1, "pixels": 0, "blank_pixels": 9, "area_pixels": 0.0,
                      "sum": None, "mean": None, "median": None, "sigma": None, "min": None,
                      "max": None, "centroid": None}  # fmt: skip


def test_a_region_of_zero_flux_has_no_centroid():
    data = VALUES - 22.0  # the box sums to zero
    [result] = stats([Shape(box(2, 2, 3, 3))], [data])
    assert result["sum"] == 0.0 and result["centroid"] is None
    assert result["mean"] == 0.0


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    [result] = stats([Shape(box(1.5, 1, 2, 1))])  # pixels 11, 12
    assert result["median"] == 11.5
    [result] = stats([Shape(box(1.5, 1.5, 2, 2))])  # 11 12 21 22
    assert result["median"] == 16.5


def test_the_median_narrowed_by_histograms_is_exact(monkeypatch):
    monkeypatch.setattr(rs, "SELECT_AT_MOST", 2)
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", 4)
    [result] = stats([Shape(box(2, 2, 3, 3))])
    assert result["median"] == 22.0
    [result] = stats([Shape(box(2.5, 2.5, 6, 6))])  # the whole image, clipped: 36 values
    assert result["median"] == float(np.median(VALUES))
    assert result["pixels"] == 25 or result["pixels"] == 36
    ties = np.array([[1.0, 1, 1, 1, 1, 5]] * N)
    [result] = stats([Shape(box(2.5, 2.5, 6, 6))], [ties])
    assert result["median"] == 1.0


def test_exclusions_take_their_fraction_away_and_inclusions_unite():
    # The 3 x 3 box less its centre pixel (22): 8 pixels.
    [result] = stats([Shape(box(2, 2, 3, 3)), Shape(box(2, 2, 1, 1), include=False)])
    assert (result["pixels"], result["area_pixels"], result["sum"]) == (8, 8.0, 176.0)
    # The same as an annulus: outer less inner.
    [annulus] = stats([Shape(box(2, 2, 3, 3), box(2, 2, 1, 1))])
    assert (annulus["pixels"], annulus["area_pixels"], annulus["sum"]) == (8, 8.0, 176.0)
    # An excluded half pixel leaves the other half: column 3 of row 2 half excluded.
    [half] = stats([Shape(box(2, 2, 3, 1)), Shape(box(3.5, 2, 1, 1), include=False)])
    assert half["area_pixels"] == pytest.approx(2.5, abs=1e-12)
    assert half["sum"] == pytest.approx(21 + 22 + 0.5 * 23, abs=1e-12)
    # Two overlapping boxes: their union (the larger weight), not the sum.
    [union] = stats([Shape(box(1.5, 1, 2, 1)), Shape(box(2, 1, 2, 1))])
    # Row 1: box A covers columns 1, 2; box B covers half of 1, 2, half of 3.
    assert union["area_pixels"] == pytest.approx(2.5, abs=1e-12)
    assert union["sum"] == pytest.approx(11 + 12 + 0.5 * 13, abs=1e-12)


def test_the_centre_and_subpixel_modes():
    # Width 2.2 centred on pixel 2: edges at 0.9 and 3.1, columns 1..3 touched, their
    # centres 1, 2, 3 all inside: "center" counts 3 whole pixels; "exact" 0.6 + 1 + 0.6.
    region = [Shape(box(2, 2, 2.2, 1))]
    [centre] = stats(region, mode="center")
    assert (centre["pixels"], centre["area_pixels"]) == (3, 3.0)
    [exact] = stats(region, mode="exact")
    assert exact["area_pixels"] == pytest.approx(2.2, abs=1e-12)
    [sub] = stats(region, mode="subpixels")  # 5 x 5 subpixels: 0.6 of a pixel is 3 of 5
    assert sub["area_pixels"] == pytest.approx(0.6 + 1 + 0.6, abs=1e-12)
    with pytest.raises(RegionError, match=r"^mode: one of exact, center, subpixels\.$"):
        stats(region, mode="fast")


def test_other_shapes_weigh_what_regions_to_mask_gives():
    for region in (CirclePixelRegion(PixCoord(2.3, 2.6), 1.7),
                   EllipsePixelRegion(PixCoord(2.8, 2.1), 3.3, 1.9, angle=30 * u.deg),
                   RectanglePixelRegion(PixCoord(2.2, 2.9), 3.1, 1.7, angle=-25 * u.deg),
                   PolygonPixelRegion(PixCoord([0.7, 4.2, 3.1], [0.9, 1.6, 4.4]))):  # fmt: skip
        mask = region.to_mask(mode="exact").to_image((N, N))
        [result] = stats([Shape(region)])
        assert result["area_pixels"] == pytest.approx(mask.sum(), rel=1e-12)
        assert result["sum"] == pytest.approx((mask * VALUES).sum(), rel=1e-12)
        assert result["pixels"] == int((mask > 0).sum())


def test_blocks_of_a_few_rows_give_the_same_answer():
    whole = stats([Shape(box(2.5, 2.5, 4.4, 5))])
    for block_pixels in (1, 6, 7, 13):
        [blocked] = stats([Shape(box(2.5, 2.5, 4.4, 5))], block_pixels=block_pixels)
        assert blocked.keys() == whole[0].keys()
        for key, value in whole[0].items():
            assert blocked[key] == pytest.approx(value, rel=1e-13), key


def test_the_box_limit_and_the_image_edges():
    region = [Shape(box(2, 2, 3, 3))]  # its box: 3 x 3 pixels
    assert stats(region, max_pixels=9)[0]["pixels"] == 9
    with pytest.raises(RegionError, match=r"^the region's box holds more than 8 pixels\.$"):
        stats(region, max_pixels=8)
    # Partly outside: clipped to the image, 2 x 2 pixels at the corner (0, 1, 10, 11).
    [corner] = stats([Shape(box(0, 0, 3, 3))])
    assert (corner["pixels"], corner["sum"]) == (4, 22.0)
    [far] = stats([Shape(box(5, 5, 3, 3))])
    assert (far["pixels"], far["sum"]) == (4, 44 + 45 + 54 + 55)
    assert rs.bounding_box([Shape(box(5, 5, 3, 3))], N, N) == (4, 4, 6, 6)
    assert rs.bounding_box([Shape(box(0, 0, 3, 3)), Shape(box(9, 9, 1, 1), include=False)], N, N) == (
        0, 0, 2, 2,
    )  # fmt: skip
    with pytest.raises(RegionError, match=r"^the region lies outside the image\.$"):
        stats([Shape(box(7.5, 2, 1, 1))])
    with pytest.raises(RegionError, match=r"^the region lies outside the image\.$"):
        stats([Shape(box(2, -1.5, 1, 1))])
    with pytest.raises(RegionError, match=r"^at least one region must be included"):
        stats([Shape(box(2, 2, 1, 1), include=False)])


def test_several_channels_each_measured():
    first, second = stats([Shape(box(2, 2, 3, 3))], [VALUES, 2 * VALUES + 1])
    assert (first["channel"], second["channel"]) == (1, 2)
    assert (second["sum"], second["mean"], second["median"]) == (405.0, 45.0, 45.0)


def arcsec_wcs():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.crpix = [3.0, 3.0]
    wcs.wcs.cdelt = [-2 / 3600, 2 / 3600]  # 2 arcsec pixels: 4 arcsec² each
    return wcs


def test_with_a_wcs_areas_and_the_sky_centroid():
    wcs = arcsec_wcs()
    [result] = stats([Shape(box(2, 2, 3, 3))], wcs=wcs)
    assert result["area_arcsec2"] == pytest.approx(36.0, rel=1e-6)
    assert result["surface_brightness"] == pytest.approx(198 / 36, rel=1e-6)
    cx, cy = result["centroid"]
    sky = wcs.pixel_to_world(cx - 1, cy - 1)
    assert result["centroid_sky"] == pytest.approx([sky.ra.deg, sky.dec.deg], abs=1e-12)
    flat = WCS(naxis=2)  # no celestial axes: no areas
    [plain] = stats([Shape(box(2, 2, 3, 3))], wcs=flat)
    assert "area_arcsec2" not in plain and "surface_brightness" not in plain


def point(shape, x=3.0, y=4.0, frame="image", **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"shape": shape, "frame": frame, **properties}}  # fmt: skip


def test_ds9_pixel_features_are_the_regions_they_name():
    circle = shape_from_feature(point("circle", radius=2.5))
    assert isinstance(circle.outer, CirclePixelRegion) and circle.inner is None and circle.include
    assert (circle.outer.center.x, circle.outer.center.y, circle.outer.radius) == (2.0, 3.0, 2.5)
    ellipse = shape_from_feature(point("ellipse", width=4, height=2, angle=30))
    assert isinstance(ellipse.outer, EllipsePixelRegion)
    assert (ellipse.outer.width, ellipse.outer.height) == (4.0, 2.0)
    assert ellipse.outer.angle.to_value(u.deg) == 30.0
    rectangle = shape_from_feature(point("box", width=5, height=1, angle=-10))
    assert isinstance(rectangle.outer, RectanglePixelRegion)
    assert (rectangle.outer.width, rectangle.outer.height) == (5.0, 1.0)
    assert rectangle.outer.angle.to_value(u.deg) == -10.0
    unturned = shape_from_feature(point("box", width=5, height=1))
    assert unturned.outer.angle.to_value(u.deg) == 0.0


def test_ds9_annuli_are_outer_less_inner():
    ring = shape_from_feature(point("annulus", radii=[1.5, 3.0]))
    assert (ring.inner.radius, ring.outer.radius) == (1.5, 3.0)
    ellipses = shape_from_feature(point("ellipse_annulus", outer=[6, 4], inner=[3, 2], angle=15))
    assert isinstance(ellipses.outer, EllipsePixelRegion)
    assert isinstance(ellipses.inner, EllipsePixelRegion)
    assert (ellipses.outer.width, ellipses.outer.height) == (6.0, 4.0)
    assert (ellipses.inner.width, ellipses.inner.height) == (3.0, 2.0)
    assert ellipses.inner.angle.to_value(u.deg) == 15.0
    boxes = shape_from_feature(point("box_annulus", outer=[6, 4], inner=[3, 2]))
    assert isinstance(boxes.outer, RectanglePixelRegion)
    assert isinstance(boxes.inner, RectanglePixelRegion)
    assert (boxes.inner.center.x, boxes.inner.center.y) == (2.0, 3.0)


def test_ds9_exclusions_and_polygons():
    assert shape_from_feature(point("circle", radius=1, include=False)).include is False
    assert shape_from_feature(point("circle", radius=1, include=True)).include is True
    assert shape_from_feature(point("circle", radius=1, include=None)).include is True
    polygon = {"type": "Feature", "properties": {"frame": "image"},
               "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [5, 1], [3, 4], [1, 1]]]}}  # fmt: skip
    shape = shape_from_feature(polygon)
    assert isinstance(shape.outer, PolygonPixelRegion)
    assert list(shape.outer.vertices.x) == [0.0, 4.0, 2.0]
    assert list(shape.outer.vertices.y) == [0.0, 0.0, 3.0]
    polygon["geometry"]["coordinates"] = [[[1, 1], [5, 1], [1, 1]]]
    with pytest.raises(RegionError, match=r"^a polygon needs three vertices\.$"):
        shape_from_feature(polygon)


def test_ds9_features_without_an_area_or_a_frame():
    with pytest.raises(RegionError, match=r"^a point has no area to measure\.$"):
        shape_from_feature(point("point"))
    with pytest.raises(RegionError, match=r"^a text has no area to measure\.$"):
        shape_from_feature(point("text"))
    line = {"geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
            "properties": {"frame": "image", "shape": "line"}}  # fmt: skip
    with pytest.raises(RegionError, match=r"^a line has no area to measure\.$"):
        shape_from_feature(line)
    with pytest.raises(RegionError, match=r"^a sky region needs an image with a celestial WCS\.$"):
        shape_from_feature(point("circle", frame="icrs", radius=0.001))
    with pytest.raises(RegionError, match=r"^this circle is not a region: "):
        shape_from_feature(point("circle"))  # no radius
    with pytest.raises(RegionError, match=r"^this annulus is not a region: "):
        shape_from_feature(point("annulus", radii=[1]))


def test_ds9_sky_features_in_pixels_of_the_wcs():
    wcs = arcsec_wcs()
    centre = wcs.pixel_to_world(2.0, 3.0)
    circle = shape_from_feature(point("circle", centre.ra.deg, centre.dec.deg, frame="icrs",
                                      radius=4 / 3600), wcs)  # fmt: skip
    assert circle.outer.center.x == pytest.approx(2.0, abs=1e-6)
    assert circle.outer.center.y == pytest.approx(3.0, abs=1e-6)
    assert circle.outer.radius == pytest.approx(2.0, rel=1e-4)  # 4 arcsec: 2 pixels
    ellipse = shape_from_feature(point("ellipse", centre.ra.deg, centre.dec.deg, frame="icrs",
                                       width=8 / 3600, height=4 / 3600, angle=20, north=10), wcs)  # fmt: skip
    assert ellipse.outer.width == pytest.approx(4.0, rel=1e-4)
    assert ellipse.outer.height == pytest.approx(2.0, rel=1e-4)
    # The frame's angle plus north: 30 degrees on the sky, in pixels of a north-up WCS.
    assert ellipse.outer.angle.to_value(u.deg) == pytest.approx(30.0, abs=1e-3)
    pixel = shape_from_feature(point("ellipse", width=8, height=4, angle=20, north=10))
    assert pixel.outer.angle.to_value(u.deg) == 20.0  # north applies to sky frames only
    polygon = {"type": "Feature", "properties": {"frame": "icrs"},
               "geometry": {"type": "Polygon", "coordinates": [[
                   [wcs.pixel_to_world(x, y).ra.deg, wcs.pixel_to_world(x, y).dec.deg]
                   for x, y in ((0, 0), (4, 0), (2, 3), (0, 0))]]}}  # fmt: skip
    sky_polygon = shape_from_feature(polygon, wcs)
    assert list(sky_polygon.outer.vertices.x) == pytest.approx([0.0, 4.0, 2.0], abs=1e-6)
    assert list(sky_polygon.outer.vertices.y) == pytest.approx([0.0, 0.0, 3.0], abs=1e-6)


def test_every_kind_of_ds9_shape_may_be_an_exclusion():
    polygon = {"type": "Feature", "properties": {"frame": "image", "include": False},
               "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [5, 1], [3, 4], [1, 1]]]}}  # fmt: skip
    assert shape_from_feature(polygon).include is False
    for shape, sizes in (("ellipse", {"width": 4, "height": 2}), ("box", {"width": 4, "height": 2}),
                         ("annulus", {"radii": [1, 2]}),
                         ("ellipse_annulus", {"outer": [6, 4], "inner": [3, 2]}),
                         ("box_annulus", {"outer": [6, 4], "inner": [3, 2]})):  # fmt: skip
        assert shape_from_feature(point(shape, include=False, **sizes)).include is False, shape
        assert shape_from_feature(point(shape, **sizes)).include is True, shape


def test_messages_name_the_shape_or_geometry():
    bad_polygon = {"type": "Feature", "properties": {"frame": "image"},
                   "geometry": {"type": "Polygon", "coordinates": [[[1, "x"], [5, 1], [3, 4], [1, 1]]]}}  # fmt: skip
    with pytest.raises(RegionError, match=r"^this polygon is not a region: "):
        shape_from_feature(bad_polygon)
    line = {"geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
            "properties": {"frame": "image"}}  # fmt: skip
    with pytest.raises(RegionError, match=r"^a LineString has no area to measure\.$"):
        shape_from_feature(line)
    unnamed = {
        "geometry": {"type": "Point", "coordinates": [1, 2]},
        "properties": {"frame": "image"},
    }
    with pytest.raises(RegionError, match=r"^a point has no area to measure\.$"):
        shape_from_feature(unnamed)


def test_a_point_with_a_third_coordinate_is_read_by_its_first_two():
    feature = point("circle", radius=1)
    feature["geometry"]["coordinates"] = [3.0, 4.0, 0.0]
    shape = shape_from_feature(feature)
    assert (shape.outer.center.x, shape.outer.center.y) == (2.0, 3.0)


def test_a_ds9_sky_box_is_a_rectangle_in_pixels():
    wcs = arcsec_wcs()
    centre = wcs.pixel_to_world(2.0, 3.0)
    rectangle = shape_from_feature(point("box", centre.ra.deg, centre.dec.deg, frame="icrs",
                                         width=8 / 3600, height=4 / 3600, angle=0), wcs)  # fmt: skip
    assert isinstance(rectangle.outer, RectanglePixelRegion)
    assert rectangle.outer.width == pytest.approx(4.0, rel=1e-4)
    assert rectangle.outer.height == pytest.approx(2.0, rel=1e-4)
