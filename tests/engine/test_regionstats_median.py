"""The exact median, and every rank the histogram passes select, against numpy: small
images whose values sit on the histograms' bin edges, tie at the lowest or the highest
value, hide extremes in pixels of the box that no shape covers (weight 0) or in blank
pixels, and are read as float32. The mask comes from astropy regions' ``to_mask``; the
expected values are ``numpy.sort`` / ``numpy.median`` of the pixels it covers."""

import numpy as np
import pytest
from regions import CirclePixelRegion, PixCoord, RectanglePixelRegion

from tiles.engine import regionstats as rs
from tiles.engine.regionstats import Blocks, Shape, bounding_box, region_statistics

N = 7
# (SELECT_AT_MOST, HISTOGRAM_BINS): the default (values gathered at once) and histograms
# small enough that every pass narrows, down to bins that cannot narrow in floating point.
NARROWING = [(1 << 20, 1 << 16), (0, 2), (1, 2), (2, 3), (3, 4), (4, 8), (6, 5)]


def reader(data, dtype=np.float64):
    def read(channel, x0, y0, x1, y1):
        return data[y0:y1, x0:x1].astype(dtype)

    return read


def covered(shapes, dtype=np.float64):
    """The weight > 0 pixels of ``shapes`` (included less excluded), by regions' masks."""
    included = np.zeros((N, N))
    excluded = np.zeros((N, N))
    for shape in shapes:
        mask = shape.outer.to_mask(mode="exact").to_image((N, N))
        target = included if shape.include else excluded
        np.maximum(target, mask, out=target)
    return included * (1.0 - excluded) > 0


def expected_values(data, shapes, dtype=np.float64):
    values = data.astype(dtype).astype(np.float64)
    keep = covered(shapes) & np.isfinite(values)
    return np.sort(values[keep])


def whole():
    return RectanglePixelRegion(PixCoord(3.0, 3.0), 7.0, 7.0)  # every pixel, weight 1


def disc():
    # Radius 2.3 about (3, 3): the box is 0..6, whose corner pixels the disc does not reach.
    return CirclePixelRegion(PixCoord(3.0, 3.0), 2.3)


IMAGES = {
    # 0..48: with lo 0 and hi 48, bins of 2, 3, 4 or 8 have integer edges the values sit on.
    "on-edges": np.arange(49.0).reshape(N, N),
    # more than half the values equal the highest: the median is in the last, closed bin
    "ties-high": np.where(np.arange(49).reshape(N, N) < 15, np.arange(49.0).reshape(N, N), 60.0),
    # more than half equal the lowest
    "ties-low": np.where(np.arange(49).reshape(N, N) < 30, -4.0, np.arange(49.0).reshape(N, N)),
    # two values one float64 step apart: bins that cannot narrow any more
    "adjacent": np.where(np.arange(49).reshape(N, N) % 3 == 0, 1.0, np.nextafter(1.0, 2.0)),
    "negative": -np.arange(49.0).reshape(N, N) * 0.25 + 3.0,
}


def with_extremes_outside(data):
    """The disc's zero-weight corners and a blank pixel hold values that would move the
    median if they were counted."""
    data = data.copy()
    data[0, 0] = data[0, 6] = data[6, 0] = data[6, 6] = -1e6
    data[0, 1] = 1e6
    data[3, 3] = np.nan
    data[3, 4] = np.inf
    data[2, 3] = -np.inf
    return data


def cases():
    for name, image in IMAGES.items():
        yield name, image, [Shape(whole())]
        yield name + "+disc", with_extremes_outside(image), [Shape(disc())]
        hole = RectanglePixelRegion(PixCoord(3.0, 3.0), 3.0, 3.0)  # the centre 3 x 3 taken away
        yield name + "-hole", image, [Shape(whole()), Shape(hole, include=False)]


CASES = list(cases())


@pytest.mark.parametrize("narrowing", NARROWING, ids=str)
@pytest.mark.parametrize(("name", "data", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_the_median_is_numpys(monkeypatch, narrowing, name, data, shapes):
    monkeypatch.setattr(rs, "SELECT_AT_MOST", narrowing[0])
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", narrowing[1])
    values = expected_values(data, shapes)
    [result] = region_statistics(reader(data), N, N, [0], shapes)
    assert result["pixels"] == values.size
    assert result["median"] == float(np.median(values))
    assert (result["min"], result["max"]) == (values[0], values[-1])


@pytest.mark.parametrize("narrowing", NARROWING[3:], ids=str)
@pytest.mark.parametrize(("name", "data", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_every_rank_is_selected_exactly(monkeypatch, narrowing, name, data, shapes):
    monkeypatch.setattr(rs, "SELECT_AT_MOST", narrowing[0])
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", narrowing[1])
    values = expected_values(data, shapes)
    blocks = Blocks(shapes, bounding_box(shapes, N, N), "exact", 3 * N)  # blocks of 3 rows
    picked = [
        rs._select(reader(data), 0, blocks, rank, values[0], values[-1])
        for rank in range(values.size)
    ]
    assert picked == values.tolist()


@pytest.mark.parametrize("narrowing", NARROWING, ids=str)
def test_float32_reads_give_the_median_of_the_float32_values(monkeypatch, narrowing):
    """Values a float32 holds only roughly (0.1 steps): compared with float64 bin edges,
    they must be compared as the float64 numbers they are."""
    monkeypatch.setattr(rs, "SELECT_AT_MOST", narrowing[0])
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", narrowing[1])
    data = with_extremes_outside(np.arange(49.0).reshape(N, N) * 0.1 + 0.1)
    shapes = [Shape(disc())]
    values = expected_values(data, shapes, np.float32)
    [result] = region_statistics(reader(data, np.float32), N, N, [0], shapes)
    assert result["median"] == float(np.median(values))
    assert (result["min"], result["max"]) == (values[0], values[-1])


def test_the_hand_worked_medians():
    """A 7 x 7 image of 0..48 (pixel x, y holds 7 y + x): the whole image's median is 24;
    without the 3 x 3 about (2, 2) (8 9 10 15 16 17 22 23 24), 40 values remain: 0..7,
    11..14, 18..21 (16 of them), then 25, 26, 27, 28, 29: the 20th and 21st are 28 and
    29, so 28.5."""
    data = IMAGES["on-edges"]
    [result] = region_statistics(reader(data), N, N, [0], [Shape(whole())])
    assert result["median"] == 24.0
    hole = RectanglePixelRegion(PixCoord(2.0, 2.0), 3.0, 3.0)
    [result] = region_statistics(
        reader(data), N, N, [0], [Shape(whole()), Shape(hole, include=False)]
    )
    assert (result["pixels"], result["median"]) == (40, 28.5)


@pytest.mark.parametrize("narrowing", [(4, 8), (6, 5), (10, 2)], ids=str)
@pytest.mark.parametrize("name", ["on-edges", "ties-low", "ties-high", "negative", "adjacent"])
def test_values_are_gathered_only_when_they_fit(monkeypatch, narrowing, name):
    """Memory stays bounded: the values gathered at once are never more than
    SELECT_AT_MOST, even when more than that many pixels hold the median's value (30 of
    -4 in "ties-low": they were all gathered once the bin could not narrow any more)."""
    monkeypatch.setattr(rs, "SELECT_AT_MOST", narrowing[0])
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", narrowing[1])
    gathered = []
    values_in = rs._values_in

    def recording(*args):
        found = values_in(*args)
        gathered.append(found.size)
        return found

    monkeypatch.setattr(rs, "_values_in", recording)
    data = IMAGES[name]
    [result] = region_statistics(reader(data), N, N, [0], [Shape(whole())], block_pixels=2 * N)
    assert result["median"] == float(np.median(data))  # in blocks of 2 rows
    assert max(gathered, default=0) <= narrowing[0]


@pytest.mark.parametrize("narrowing", [(0, 2), (1, 2)], ids=str)
def test_every_rank_of_two_adjacent_floats(monkeypatch, narrowing):
    """17 pixels of 1.0 and 32 of the next float: two bins cannot split them, so they are
    counted; rank 16 is the last 1.0, rank 17 the first of the next float."""
    monkeypatch.setattr(rs, "SELECT_AT_MOST", narrowing[0])
    monkeypatch.setattr(rs, "HISTOGRAM_BINS", narrowing[1])
    data = IMAGES["adjacent"]
    shapes = [Shape(whole())]
    values = expected_values(data, shapes)
    assert (values == 1.0).sum() == 17
    blocks = Blocks(shapes, bounding_box(shapes, N, N), "exact", 3 * N)
    picked = [
        rs._select(reader(data), 0, blocks, rank, values[0], values[-1])
        for rank in range(values.size)
    ]
    assert picked == values.tolist()
