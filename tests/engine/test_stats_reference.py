"""The default cuts (background and MAD, VisiOmatic's) against values worked out by hand
on small arrays, and on the image the engine opens from a FITS file.

The worked example, ``0 0 0 0 1 1 2 3 4 10``:
  median 1; |v - 1| = 1 1 1 1 0 0 1 2 3 9, whose median (the MAD) is 1;
  one 3-MAD clip (|v - 1| <= 3) drops the 10; of the nine left, median 1, MAD 1, mean 11/9;
  background = 3.5 * 1 - 2.5 * 11/9 = 4/9; cuts 4/9 - 2 = -14/9 and 4/9 + 400 = 3604/9;
  min 0, max 10 (of all values, before the clip).
"""

import numpy as np
import pytest

from tiles.engine import open_image
from tiles.engine.stats import channel_stats, sample_rows

WORKED = [0, 0, 0, 0, 1, 1, 2, 3, 4, 10]


def test_the_worked_example():
    stats = channel_stats(np.array(WORKED, dtype=np.float32))
    assert stats.background == pytest.approx(4 / 9, abs=1e-12)
    assert stats.mad == 1.0
    assert stats.lo == pytest.approx(-14 / 9, abs=1e-12)
    assert stats.hi == pytest.approx(3604 / 9, abs=1e-9)
    assert (stats.min, stats.max) == (0.0, 10.0)


def test_nan_and_infinity_are_ignored_and_the_shape_does_not_matter():
    with_bad = np.array([*WORKED, np.nan, np.inf, -np.inf, np.nan], dtype=np.float32)
    stats = channel_stats(with_bad)
    assert stats == channel_stats(np.array(WORKED, dtype=np.float64).reshape(2, 5))
    assert stats.hi == pytest.approx(3604 / 9, abs=1e-9)


def test_a_skewed_background_is_below_its_median():
    """Sky with a faint tail: ``1 1 1 2 2 3`` -- median 1.5, MAD 0.5, nothing clipped
    (|v - 1.5| <= 1.5 for all); mean 10/6; background 3.5 * 1.5 - 2.5 * 10/6 = 1.0833..."""
    stats = channel_stats(np.array([1, 1, 1, 2, 2, 3], dtype=np.float64))
    assert stats.mad == 0.5
    assert stats.background == pytest.approx(3.5 * 1.5 - 2.5 * 10 / 6, abs=1e-12)
    assert stats.lo == pytest.approx(stats.background - 1.0, abs=1e-12)
    assert stats.hi == pytest.approx(stats.background + 200.0, abs=1e-12)


def test_constant_data_gets_a_unit_range_around_its_value():
    stats = channel_stats(np.full((4, 4), 7.0))
    assert (stats.lo, stats.hi) == (6.5, 7.5)
    assert (stats.background, stats.mad, stats.min, stats.max) == (7.0, 0.0, 7.0, 7.0)


def test_a_single_spike_on_a_flat_field_falls_back_to_the_full_range():
    """``5 5 5 5 100``: MAD 0 (no clip), background 3.5 * 5 - 2.5 * 24 = -42.5, so
    lo = hi: the cuts are the data's range."""
    stats = channel_stats(np.array([5, 5, 5, 5, 100], dtype=np.float64))
    assert stats.background == -42.5 and stats.mad == 0.0
    assert (stats.lo, stats.hi) == (5.0, 100.0)


def test_no_finite_value_gives_the_unit_range():
    stats = channel_stats(np.array([np.nan, np.inf]))
    assert (stats.background, stats.mad, stats.lo, stats.hi, stats.min, stats.max) == (
        0.0, 0.0, 0.0, 1.0, 0.0, 1.0,
    )  # fmt: skip


def test_sample_rows_spread_over_the_image():
    assert list(sample_rows(5)) == [0, 1, 2, 3, 4]
    assert list(sample_rows(256)) == list(range(256))
    rows = sample_rows(1000)
    assert len(rows) == 256 and rows[0] == 0 and rows[-1] == 999
    assert list(rows[:3]) == [0, 4, 8]  # 999 / 255 = 3.92 apart, rounded
    assert list(sample_rows(10, rows=4)) == [0, 3, 6, 9]


def test_the_engine_reports_the_hand_worked_cuts_of_a_fits_file(write_fits):
    """The worked example as a 2 x 5 image, and a second channel of it plus 100."""
    plane = np.array(WORKED, dtype=np.float32).reshape(2, 5)
    path = write_fits(np.stack([plane, plane + 100]))
    data = open_image(path)
    try:
        first, second = data.stats
    finally:
        data.close()
    assert first.lo == pytest.approx(-14 / 9, abs=1e-6)
    assert first.hi == pytest.approx(3604 / 9, abs=1e-5)
    assert second.background == pytest.approx(100 + 4 / 9, abs=1e-5)
    assert second.hi == pytest.approx(100 + 3604 / 9, abs=1e-4)


def test_the_clip_is_three_mads_wide():
    """``0 1 1 1 2 2.75``: median 1, MAD 0.5; 2.75 is 3.5 MADs away: clipped (a 4-MAD
    clip would keep it). Left ``0 1 1 1 2``: median 1, MAD 0, mean 1, background 1;
    MAD 0 gives lo = hi: the cuts fall back to the range of all values, 0 .. 2.75."""
    stats = channel_stats(np.array([0, 1, 1, 1, 2, 2.75]))
    assert (stats.background, stats.mad) == (1.0, 0.0)
    assert (stats.lo, stats.hi) == (0.0, 2.75)
