"""tiles/engine/stats.py at its edges, with values worked out by hand: the subsample of
a large channel, the whole channel's range when the caller saw it, a background that
overflows, the presets' functions on their own (NaN, nothing finite), the statistics
read back from their dicts."""

import numpy as np
import pytest
from astropy.visualization import ZScaleInterval

from tiles.engine import stats as st
from tiles.engine.stats import ChannelStats, channel_stats


def test_the_presets_and_their_order():
    assert st.CUT_PRESETS == ("zscale", "minmax", "99.5", "99", "98", "95", "visiomatic")
    assert st.DEFAULT_PRESET == "zscale"
    assert list(channel_stats(np.arange(10.0)).cuts) == list(st.CUT_PRESETS)


def test_at_most_a_million_values_are_read_every_kth_one():
    # 0 at even positions, 1 at odd ones: one value in two read (positions 0, 2, 4, ...)
    # sees only zeros; all of them read sees both.
    n = 1 << 20
    assert n == st.SAMPLE_PIXELS
    alternating = np.tile([0.0, 1.0], n // 2 + 1)
    exactly = channel_stats(alternating[:n])  # a million values: all read
    assert (exactly.min, exactly.max) == (0.0, 1.0)
    over = channel_stats(alternating[: n + 1])  # one more: every second one
    assert (over.min, over.max) == (0.0, 0.0)
    # n + 1 values of 0 1 2 0 1 2 ...: every second one (0 2 1 0 2 1 ...) still sees 0..2,
    # every third one would see only zeros.
    thirds = np.tile([0.0, 1.0, 2.0], n // 3 + 2)[: n + 1]
    assert (channel_stats(thirds).min, channel_stats(thirds).max) == (0.0, 2.0)
    # 3n + 1 values: every fourth one (3n + 1) // n + 1 = 4: of 0 1 2 3 0 1 2 3, the zeros.
    quarters = np.tile([0.0, 1.0, 2.0, 3.0], 3 * n // 4 + 1)[: 3 * n + 1]
    assert channel_stats(quarters).max == 0.0


def test_the_whole_channels_range_widens_the_samples():
    sample = np.array([0, 0, 0, 0, 1, 1, 2, 3, 4, 10], np.float64)
    wider = channel_stats(sample, data_range=(-5.0, 50.0))
    assert (wider.min, wider.max) == (-5.0, 50.0)
    assert wider.cuts["minmax"] == [-5.0, 50.0]
    # The sample's statistics are its own: background 4/9, MAD 1 (the worked example).
    assert wider.background == pytest.approx(4 / 9, abs=1e-12) and wider.mad == 1.0
    narrower = channel_stats(sample, data_range=(2.0, 3.0))  # never narrower than seen
    assert (narrower.min, narrower.max) == (0.0, 10.0)
    one_side = channel_stats(sample, data_range=(1.0, 99.0))
    assert (one_side.min, one_side.max) == (0.0, 99.0)
    for unknown in ((np.nan, 50.0), (-5.0, np.inf)):
        assert (channel_stats(sample, data_range=unknown).min,
                channel_stats(sample, data_range=unknown).max) == (0.0, 10.0)  # fmt: skip


def test_a_flat_channel_with_a_wider_true_range_is_cut_to_that_range():
    # Every sampled value 5 (MAD 0, every preset of zero width): the range of the whole
    # channel, -1 .. 9, is the cut of every preset.
    flat = channel_stats(np.full(20, 5.0), data_range=(-1.0, 9.0))
    assert all(pair == [-1.0, 9.0] for pair in flat.cuts.values())
    assert (flat.lo, flat.hi) == (-1.0, 9.0)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_background_that_overflows_is_the_median():
    # 3.5 x 1e308 overflows to inf: the background is then the median itself.
    huge = channel_stats(np.full(3, 1e308))
    assert huge.background == 1e308 and huge.mad == 0.0


def test_the_mode_formula_on_unclipped_values():
    """``2 4 4 6 9``: median 4, |v - 4| = 2 0 0 2 5, MAD 2; 5 <= 6: nothing clipped;
    mean 5; background 3.5 x 4 - 2.5 x 5 = 1.5; cuts 1.5 - 4 = -2.5 .. 1.5 + 800 = 801.5,
    beyond the data (VisiOmatic's cuts may pass the range)."""
    stats = channel_stats(np.array([2, 4, 4, 6, 9], np.float64))
    assert (stats.background, stats.mad) == (1.5, 2.0)
    assert (stats.lo, stats.hi) == (-2.5, 801.5)
    assert stats.cuts["visiomatic"] == [-2.5, 801.5]
    assert stats.cuts["minmax"] == [2.0, 9.0]


def test_the_clipped_values_are_the_ones_the_mode_is_taken_of():
    """``0 1 1 1 1 2 9``: median 1, MAD 0 -- no clip at MAD 0. ``0 2 2 3 3 4 30``:
    median 3, MAD 1, 30 is clipped; left ``0 2 2 3 3 4``: median 2.5, |v - 2.5| =
    2.5 .5 .5 .5 .5 1.5, MAD 0.5, mean 14/6; background 3.5 x 2.5 - 2.5 x 14/6 = 2.916..."""
    stats = channel_stats(np.array([0, 2, 2, 3, 3, 4, 30], np.float64))
    assert stats.mad == 0.5
    assert stats.background == pytest.approx(3.5 * 2.5 - 2.5 * 14 / 6, abs=1e-12)
    no_clip = channel_stats(np.array([0, 1, 1, 1, 1, 2, 9], np.float64))
    assert no_clip.mad == 0.0
    assert no_clip.background == pytest.approx(3.5 * 1 - 2.5 * 15 / 7, abs=1e-12)


def test_background_and_noise_directly():
    assert st.background_and_noise(np.array([2.0, 4, 4, 6, 9])) == (1.5, 2.0)
    background, mad = st.background_and_noise(np.array([7.0]))
    assert (background, mad) == (7.0, 0.0)
    assert isinstance(background, float) and isinstance(mad, float)


def test_zscale_cuts_are_astropys_with_irafs_defaults_on_the_finite_values():
    rng = np.random.default_rng(11)
    sky = rng.normal(50.0, 4.0, 5000)
    sky[::50] += 500.0
    iraf = ZScaleInterval(n_samples=1000, contrast=0.25, max_reject=0.5, min_npixels=5,
                          krej=2.5, max_iterations=5)  # fmt: skip
    expected = [float(v) for v in iraf.get_limits(sky)]
    with_nan = np.concatenate([sky, [np.nan, np.inf, -np.inf]]).reshape(-1, 1)
    assert st.zscale_cuts(with_nan) == expected
    assert all(isinstance(v, float) for v in st.zscale_cuts(sky))
    assert st.zscale_cuts(np.array([np.nan, np.inf])) == [0.0, 1.0]
    assert st.zscale_cuts([]) == [0.0, 1.0]


def test_percentile_cuts_on_the_finite_values():
    values = np.concatenate([np.arange(1001.0), [np.nan, -np.inf]])
    assert st.percentile_cuts(values) == [2.5, 997.5]  # the default: 99.5 %
    assert st.percentile_cuts(values, 90) == [50.0, 950.0]
    assert st.percentile_cuts(values.reshape(-1, 3) if values.size % 3 == 0 else values, 50) == [
        250.0, 750.0,
    ]  # fmt: skip
    assert st.percentile_cuts(np.array([np.nan]), 99) == [0.0, 1.0]
    assert st.percentile_cuts([], 99) == [0.0, 1.0]


def test_statistics_read_back_from_their_dicts_are_floats():
    text = {"background": "1.5", "mad": 2, "lo": "-2.5", "hi": 801, "min": "2", "max": 9,
            "cuts": {"zscale": ["2", 9], "99": [2.5, "8.5"]}}  # fmt: skip
    stats = ChannelStats.from_dict(text)
    assert stats == ChannelStats(1.5, 2.0, -2.5, 801.0, 2.0, 9.0,
                                 {"zscale": [2.0, 9.0], "99": [2.5, 8.5]})  # fmt: skip
    assert all(isinstance(v, float) for v in (stats.background, stats.mad, stats.lo, stats.hi,
                                             stats.min, stats.max))  # fmt: skip
    assert all(isinstance(v, float) for pair in stats.cuts.values() for v in pair)
    assert ChannelStats.from_dict(stats.as_dict()) == stats
    assert stats.as_dict() == {"background": 1.5, "mad": 2.0, "lo": -2.5, "hi": 801.0,
                               "min": 2.0, "max": 9.0,
                               "cuts": {"zscale": [2.0, 9.0], "99": [2.5, 8.5]}}  # fmt: skip


def test_no_finite_value_gives_the_unit_range_for_every_preset():
    empty = channel_stats(np.array([np.nan, -np.inf]))
    assert empty == ChannelStats(0.0, 0.0, 0.0, 1.0, 0.0, 1.0,
                                 {name: [0.0, 1.0] for name in st.CUT_PRESETS})  # fmt: skip


def test_a_constant_is_cut_one_unit_around_it():
    flat = channel_stats(np.full(9, -3.0))
    assert flat.cuts == {name: [-3.5, -2.5] for name in st.CUT_PRESETS}
    assert (flat.lo, flat.hi, flat.min, flat.max) == (-3.5, -2.5, -3.0, -3.0)


def test_sample_rows_of_a_tall_image():
    rows = st.sample_rows(257)  # one more than the sample: 256 of the 257 rows
    assert len(rows) == 256 and rows[0] == 0 and rows[-1] == 256
    assert list(st.sample_rows(3, rows=3)) == [0, 1, 2]
    assert list(st.sample_rows(4, rows=3)) == [0, 2, 3]  # 0, 1.5, 3 rounded half to even
    assert st.SAMPLE_ROWS == 256
