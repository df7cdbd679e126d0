"""Cut presets against independent references: astropy's ZScaleInterval called here,
numpy's percentiles, and values worked out by hand on small arrays."""

import numpy as np
import pytest
from astropy.visualization import ZScaleInterval

from tiles.engine import build_pyramid, open_image
from tiles.engine.stats import CUT_PRESETS, ChannelStats, channel_stats


def test_an_int16_image_of_75_to_124_gets_cuts_inside_its_values(write_fits):
    """The image that showed black: every preset but VisiOmatic's stays within 75..124."""
    rng = np.random.default_rng(1)
    data = rng.integers(75, 125, (200, 300)).astype(np.int16)
    data[0, 0], data[-1, -1] = 75, 124
    image = open_image(write_fits(data))
    (stats,) = image.stats
    assert set(stats.cuts) == set(CUT_PRESETS)
    for name, (lo, hi) in stats.cuts.items():
        if name != "visiomatic":
            assert 75 <= lo < hi <= 124, name
    assert stats.cuts["minmax"] == [75.0, 124.0]
    # astropy directly, on the same sample: every row (200 < 256), in FITS order
    assert stats.cuts["zscale"] == list(ZScaleInterval().get_limits(data.astype(float)))


def test_zscale_is_astropys_on_the_sample():
    rng = np.random.default_rng(2)
    sky = rng.normal(1000.0, 20.0, 50_000)
    sky[::97] += rng.exponential(3000.0, sky[::97].size)  # stars
    stats = channel_stats(sky)
    assert stats.cuts["zscale"] == pytest.approx(list(ZScaleInterval().get_limits(sky)), rel=1e-12)
    lo, hi = stats.cuts["zscale"]
    assert 850 < lo < 1000 < hi < 1150  # around the sky (sigma 20), not the stars


def test_percentiles_are_numpys_central_ranges():
    values = np.arange(1001, dtype=np.float64)  # 0..1000: percentile p is the value 10 p
    stats = channel_stats(values)
    for name, half in (("99.5", 0.25), ("99", 0.5), ("98", 1.0), ("95", 2.5)):
        lo, hi = stats.cuts[name]
        assert (lo, hi) == (10 * half, 1000 - 10 * half), name
        np.testing.assert_allclose([lo, hi], np.percentile(values, [half, 100 - half]))


def test_worked_by_hand_on_ten_values():
    """``0 0 0 0 1 1 2 3 4 10``: minmax 0..10; numpy's linear 2.5 / 97.5 % of ten values
    are at positions 0.225 and 8.775: 0 and 4 + 0.775 * 6 = 8.65; VisiOmatic's cuts
    (background 4/9, MAD 1) are -14/9 .. 3604/9, the preset of that name and lo/hi."""
    stats = channel_stats(np.array([0, 0, 0, 0, 1, 1, 2, 3, 4, 10], np.float32))
    assert stats.cuts["minmax"] == [0.0, 10.0]
    assert stats.cuts["95"] == pytest.approx([0.0, 8.65])
    assert stats.cuts["visiomatic"] == pytest.approx([-14 / 9, 3604 / 9])
    assert (stats.lo, stats.hi) == pytest.approx((-14 / 9, 3604 / 9))
    assert 0 <= stats.cuts["zscale"][0] < stats.cuts["zscale"][1] <= 10


def test_an_arange_image_is_cut_within_its_range():
    """``arange`` data of max 769: VisiOmatic's upper cut went to 11054; zscale and
    minmax do not pass 769."""
    stats = channel_stats(np.arange(770, dtype=np.float32).reshape(10, 77))
    assert stats.cuts["minmax"] == [0.0, 769.0]
    assert 0 <= stats.cuts["zscale"][0] < stats.cuts["zscale"][1] <= 769


def test_constant_and_empty_data_get_a_usable_range():
    flat = channel_stats(np.full(100, 5.0))
    assert all(pair == [4.5, 5.5] for pair in flat.cuts.values())
    empty = channel_stats(np.array([np.nan]))
    assert all(pair == [0.0, 1.0] for pair in empty.cuts.values())


def test_the_pyramid_stores_the_presets_and_the_true_extremes(write_fits, tmp_path):
    """The builder sees every pixel: minmax is the image's, not the sample rows'."""
    data = np.zeros((1000, 40), np.float32)
    data[1, 3] = 99.0  # a row the 256 sample rows skip (0, 4, 8, ...)
    data[5, 7] = -7.0
    path = write_fits(data)
    assert open_image(path).stats[0].max == 0.0  # the sample rows missed both
    info = build_pyramid(path, tmp_path / "cache", tile_size=64)
    assert info.stats[0].cuts["minmax"] == [-7.0, 99.0]
    reopened = open_image(path, tmp_path / "cache", tile_size=64).stats[0]
    assert reopened.cuts == info.stats[0].cuts


def test_statistics_from_before_the_presets_still_load():
    old = {"background": 1.0, "mad": 0.5, "lo": 0.0, "hi": 201.0, "min": 0.0, "max": 9.0}
    stats = ChannelStats.from_dict(old)
    assert stats.cuts == {} and stats.hi == 201.0
    assert ChannelStats.from_dict(channel_stats(np.arange(9.0)).as_dict()).cuts["99"]
