"""Region statistics around the sums: each shape's overlap (integer vertices, shapes with
no overlap function), annuli in every mode, the box at the image's edge and its pixel
limit, the blocks of rows and the weights kept for a box of one block, and the passes
over the pixels (blank blocks, float32 values, huge values of weight 0). Expected values
from ``regions``' ``to_mask``, numpy on the masked pixels, or worked by hand on a 6 x 6
image whose pixel (x, y) (0-based) holds 10 y + x."""

import numpy as np
import pytest
from astropy.wcs import WCS
from astropy.wcs.wcsapi import HighLevelWCSWrapper
from regions import (
    CircleAnnulusPixelRegion,
    CirclePixelRegion,
    PixCoord,
    PointPixelRegion,
    PolygonPixelRegion,
    RectanglePixelRegion,
)

from tiles.engine import regionstats as rs
from tiles.engine.regionstats import RegionError, Shape, region_statistics, shape_from_feature

N = 6
VALUES = np.add.outer(10.0 * np.arange(N), np.arange(N))  # [y, x] = 10 y + x


def read_from(data, reads=None):
    def read(channel, x0, y0, x1, y1):
        if reads is not None:
            reads.append((x0, y0, x1, y1))
        return data[y0:y1, x0:x1]

    return read


def stats(shapes, data=VALUES, reads=None, **kwargs):
    (result,) = region_statistics(read_from(data, reads), N, N, [0], shapes, **kwargs)
    return result


def box(cx, cy, w, h):
    return RectanglePixelRegion(PixCoord(cx, cy), w, h)


def mask(region, mode="exact"):
    # 5 x 5 subpixels, as regionstats counts them (regions' own default is 1 for circles).
    return region.to_mask(mode=mode, subpixels=5).to_image((N, N))


@pytest.mark.parametrize("mode", ["exact", "center", "subpixels"])
def test_a_polygon_of_integer_vertices_weighs_what_to_mask_gives(mode):
    region = PolygonPixelRegion(PixCoord([1, 5, 3], [0, 2, 5]))
    assert region.vertices.x.dtype.kind == "i"
    weight = mask(region, mode)
    result = stats([Shape(region)], mode=mode)
    assert result["pixels"] == int((weight > 0).sum())
    assert result["area_pixels"] == pytest.approx(weight.sum(), rel=1e-12)
    assert result["sum"] == pytest.approx((weight * VALUES).sum(), rel=1e-12)


@pytest.mark.parametrize(
    "region", [PointPixelRegion(PixCoord(2, 2)), CircleAnnulusPixelRegion(PixCoord(2, 2), 1, 2)]
)
def test_a_shape_without_an_overlap_function_is_a_region_error(region):
    message = rf"^cannot measure a {type(region).__name__}\.$"
    with pytest.raises(RegionError, match=message):
        rs.overlap(region, 0, 0, N, N)
    with pytest.raises(RegionError, match=message):
        stats([Shape(region)])


@pytest.mark.parametrize("mode", ["center", "subpixels"])
def test_an_annulus_in_every_mode_is_outer_less_inner_in_that_mode(mode):
    outer = CirclePixelRegion(PixCoord(2.3, 2.6), 2.6)
    inner = CirclePixelRegion(PixCoord(2.3, 2.6), 1.2)
    weight = mask(outer, mode) - mask(inner, mode)
    assert not np.allclose(weight, mask(outer, mode) - mask(inner))  # the modes differ here
    result = stats([Shape(outer, inner)], mode=mode)
    assert result["pixels"] == int((weight > 0).sum())
    assert result["area_pixels"] == pytest.approx(weight.sum(), rel=1e-12)
    assert result["sum"] == pytest.approx((weight * VALUES).sum(), rel=1e-12)


@pytest.mark.parametrize("centre", [(6.0, 2.0), (-1.0, 2.0), (2.0, 6.0), (2.0, -1.0)])
def test_a_region_touching_the_image_from_outside_lies_outside(centre):
    # A pixel-sized box centred one pixel beyond the edge: it touches the image's border.
    with pytest.raises(RegionError, match=r"^the region lies outside the image\.$"):
        stats([Shape(box(*centre, 1, 1))])


def test_the_pixel_limit_counts_the_box_width_times_its_height():
    region = [Shape(box(1.0, 3.5, 3, 4))]  # columns 0..2, rows 2..5: 3 x 4 pixels
    assert rs.bounding_box(region, N, N) == (0, 2, 3, 6)
    assert stats(region, max_pixels=12)["pixels"] == 12
    with pytest.raises(RegionError, match=r"^the region's box holds more than 11 pixels\.$"):
        stats(region, max_pixels=11)


# Columns 2..4 (x 1.5 to 4.5), rows 1..4 (y 0.5 to 4.5): a box of 3 x 4 pixels at (2, 1).
BOX = box(3.0, 2.5, 3, 4)


@pytest.mark.parametrize(
    ("block_pixels", "rows"), [(1, 1), (2, 1), (3, 1), (6, 2), (8, 2), (9, 3), (12, 4), (99, 4)]
)
def test_blocks_hold_as_many_whole_rows_of_the_box_as_fit(block_pixels, rows):
    assert rs.bounding_box([Shape(BOX)], N, N) == (2, 1, 5, 5)
    reads = []
    result = stats([Shape(BOX)], reads=reads, block_pixels=block_pixels)
    assert (result["pixels"], result["sum"]) == (12, 3 * (10 + 20 + 30 + 40) + 4 * (2 + 3 + 4))
    blocks = [(2, y, 5, min(y + rows, 5)) for y in range(1, 5, rows)]
    assert reads[: len(blocks)] == blocks  # the first pass, in order
    assert set(reads) == set(blocks)


def test_the_weights_of_a_box_of_one_block_are_computed_once(monkeypatch):
    calls = []
    weights = rs.weights

    def counted(shapes, x0, y0, nx, ny, mode="exact"):
        calls.append((x0, y0, nx, ny))
        return weights(shapes, x0, y0, nx, ny, mode)

    monkeypatch.setattr(rs, "weights", counted)
    # Median of 12 13 14 22 23 24 32 33 34 42 43 44: (24 + 32) / 2. Blocks of the
    # box's 12 pixels exactly (4 rows: its height), a little more, many more.
    for block_pixels in (12, 14, rs.BLOCK_PIXELS):
        calls.clear()
        assert stats([Shape(BOX)], block_pixels=block_pixels)["median"] == 28.0
        assert calls == [(2, 1, 3, 4)], block_pixels
    # Two blocks of two rows: not kept, computed again at each pass over the pixels.
    calls.clear()
    assert stats([Shape(BOX)], block_pixels=6)["median"] == 28.0
    assert set(calls) == {(2, 1, 3, 2), (2, 3, 3, 2)} and len(calls) >= 2 * 3


def arcsec_wcs():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [150.0, 2.0]
    wcs.wcs.crpix = [3.0, 3.0]
    wcs.wcs.cdelt = [-2 / 3600, 2 / 3600]
    return wcs


def test_a_wcs_that_does_not_say_it_has_celestial_axes_gives_no_sky_values():
    wcs = HighLevelWCSWrapper(arcsec_wcs())  # no has_celestial
    result = stats([Shape(box(2, 2, 3, 3))], wcs=wcs)
    assert (result["pixels"], result["sum"]) == (9, 198.0)
    assert not {"area_arcsec2", "surface_brightness", "centroid_sky"} & result.keys()


def test_a_block_of_blank_pixels_does_not_end_the_sums():
    data = VALUES.copy()
    data[1, :] = np.nan  # the first block (one row a block) of the box, rows 1..3
    result = stats([Shape(box(2, 2, 3, 3))], data, block_pixels=3)
    # Rows 2, 3: 21 22 23 31 32 33.
    assert (result["pixels"], result["blank_pixels"], result["sum"]) == (6, 3, 162.0)
    assert (result["min"], result["max"], result["median"]) == (21.0, 33.0, 27.0)


def test_float32_pixels_deviate_from_the_mean_in_float64():
    data = np.full((N, N), 2.0**24, np.float32)
    data[2, 3] = 2.0**24 + 2  # the next float32 after 2^24
    result = stats([Shape(box(2.5, 2, 2, 1))], data)  # pixels (2, 2) and (3, 2)
    assert result["mean"] == 2.0**24 + 1  # no float32 holds it
    assert result["sigma"] == 1.0


def test_a_huge_value_of_weight_zero_in_the_box_stays_out_of_the_spread():
    region = CirclePixelRegion(PixCoord(2.0, 2.0), 0.6)
    weight = mask(region)
    assert rs.bounding_box([Shape(region)], N, N) == (1, 1, 4, 4) and weight[1, 1] == 0.0
    data = VALUES.copy()
    data[1, 1] = 1e300  # in the box, not in the circle: its square is infinite
    result = stats([Shape(region)], data)
    keep = weight > 0
    v, w = data[keep], weight[keep]
    mean = (w * v).sum() / w.sum()
    assert result["mean"] == pytest.approx(mean, rel=1e-12)
    assert result["sigma"] == pytest.approx(
        np.sqrt((w * (v - mean) ** 2).sum() / w.sum()), rel=1e-12
    )


def test_a_feature_without_a_shape_or_coordinates_is_named_a_shape():
    feature = {"geometry": {"type": "Point"}, "properties": {"frame": "image"}}
    with pytest.raises(RegionError, match=r"^this shape is not a region: 'coordinates'$"):
        shape_from_feature(feature)
