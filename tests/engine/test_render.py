"""Rendering against the IIP formulas, computed here in float64."""

import numpy as np
import pytest
import simplejpeg

from tiles.engine import (
    ParameterError,
    RenderParams,
    apply_saturation,
    encode,
    mix_from_iip,
    render,
)
from tiles.engine.colormaps import TABLES


def iip_mono(x, lo, hi, contrast=1.0, brightness=0.0, gamma=1.0, invert=False):
    f = contrast / (hi - lo) if hi > lo else 1e30
    v = np.clip((x.astype(np.float64) - lo) * f + 0.01 * contrast * brightness, 0, 1)
    v[np.isnan(v)] = 0
    out = (255.49 * v ** (1 / gamma)).astype(np.uint8)
    return 255 - out if invert else out


@pytest.fixture
def plane():
    rng = np.random.default_rng(7)
    x = rng.uniform(-50, 1050, (64, 96)).astype(np.float32)
    x[3, 4] = np.nan
    return x


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"gamma": 2.2},
        {"contrast": 2.5, "brightness": -10.0},
        {"contrast": 0.5, "brightness": 30.0, "gamma": 0.5},
        {"invert": True},
    ],
)
def test_mono_follows_the_iip_formula(plane, kw):
    params = RenderParams(minmax=((0.0, 1000.0),), channel=0, **kw)
    pixels, alpha = render(plane[None], params)
    expected = iip_mono(plane, 0.0, 1000.0, **kw)
    assert pixels.shape == plane.shape and pixels.dtype == np.uint8 and alpha is None
    diff = np.abs(pixels.astype(int) - expected.astype(int))
    assert diff.max() <= 1  # 16-bit quantisation before the table
    assert (diff == 0).mean() > 0.99
    assert pixels[3, 4] == expected[3, 4]  # NaN renders as 0 (255 inverted)


def test_hi_equal_lo_is_a_step(plane):
    params = RenderParams(minmax=((500.0, 500.0),), channel=0)
    pixels, _ = render(plane[None], params)
    assert set(np.unique(pixels[plane > 500.5])) == {255}
    assert set(np.unique(pixels[plane < 499.5])) == {0}


def test_colormap_is_the_grey_value_through_the_table(plane):
    grey, _ = render(plane[None], RenderParams(minmax=((0.0, 1000.0),), channel=0))
    hot, _ = render(plane[None], RenderParams(minmax=((0.0, 1000.0),), channel=0, colormap="hot"))
    assert hot.shape == (*plane.shape, 4)  # RGBX
    np.testing.assert_array_equal(hot[..., :3], TABLES["hot"][grey])


def test_stretches_are_monotonic_and_span_the_range():
    ramp = np.linspace(0, 1000, 1001, dtype=np.float32)[None, None, :]
    for stretch in ("linear", "sqrt", "log", "asinh"):
        params = RenderParams(minmax=((0.0, 1000.0),), channel=0, stretch=stretch, gamma=1.0)
        pixels, _ = render(ramp, params)
        values = pixels[0].astype(int)
        assert values[0] == 0 and values[-1] == 255, stretch
        assert (np.diff(values) >= 0).all(), stretch
    sqrt, _ = render(
        ramp, RenderParams(minmax=((0.0, 1000.0),), channel=0, stretch="sqrt", gamma=1.0)
    )
    assert sqrt[0, 250] == int(255.49 * 0.5)


def test_mix_from_iip_interpolates_and_scales():
    mix = mix_from_iip({0: (1.0, 0.0, 0.0), 2: (0.0, 0.0, 1.0)}, 4)
    assert mix[0] == (0.75, 0.0, 0.0)
    assert mix[1] == pytest.approx((0.375, 0.0, 0.375))
    assert mix[2] == (0.0, 0.0, 0.75) and mix[3] == (0.0, 0.0, 0.75)  # held beyond
    assert mix_from_iip({}, 3) is None


def test_colour_mode_follows_the_iip_formula():
    rng = np.random.default_rng(2)
    data = rng.uniform(0, 100, (3, 16, 20)).astype(np.float32)
    cuts = ((0.0, 100.0), (10.0, 90.0), (20.0, 80.0))
    mix = mix_from_iip({0: (1, 0, 0), 1: (0, 1, 0), 2: (0, 0, 1)}, 3)
    pixels, _ = render(data, RenderParams(minmax=cuts, channel=None, mix=mix, gamma=2.0))
    assert pixels.shape == (16, 20, 4)  # RGBX
    pixels = pixels[..., :3]
    scaled = np.stack(
        [np.clip((data[c] - lo) / (hi - lo), 0, 1) for c, (lo, hi) in enumerate(cuts)]
    )
    rgb = np.clip(np.einsum("chw,ck->hwk", scaled, np.array(mix)), 0, 1)
    expected = (255.49 * rgb**0.5).astype(np.uint8)
    assert np.abs(pixels.astype(int) - expected).max() <= 1
    # Without MIX every entry is 1: the channels add up in every colour.
    pixels, _ = render(data, RenderParams(minmax=cuts, channel=None, gamma=1.0))
    pixels = pixels[..., :3]
    total = np.clip(scaled.sum(axis=0), 0, 1)
    assert np.abs(pixels[..., 0].astype(int) - (255.49 * total).astype(np.uint8)).max() <= 1
    assert (pixels[..., 0] == pixels[..., 2]).all()


def test_colour_mode_on_pyramid_views_and_with_nan_in_one_channel():
    rng = np.random.default_rng(5)
    levels = [rng.uniform(0, 100, (300, 400)).astype(np.float32) for _ in range(3)]
    levels[1][200:260, 100:150] = np.nan  # one channel blank: the others still count
    views = [level[180:280, 90:290][::-1] for level in levels]  # as tiles are cut
    cuts = ((0.0, 100.0), (10.0, 90.0), (20.0, 80.0))
    mix = mix_from_iip({0: (1, 0, 0), 1: (0, 1, 0), 2: (0, 0, 1)}, 3)
    for stretch in ("linear", "asinh"):
        params = RenderParams(minmax=cuts, channel=None, mix=mix, gamma=1.0, stretch=stretch)
        pixels, _ = render(views, params)
        contiguous, _ = render(np.stack([np.ascontiguousarray(v) for v in views]), params)
        np.testing.assert_array_equal(pixels, contiguous)
        blank = np.isnan(views[1])
        assert blank.any() and (pixels[..., 1][blank] == 0).all()
    expected_red = (255.49 * np.clip(views[0] / 100.0, 0, 1)).astype(np.uint8)
    linear, _ = render(views, RenderParams(minmax=cuts, channel=None, mix=mix, gamma=1.0))
    assert np.abs(linear[..., 0].astype(int) - expected_red).max() <= 1
    assert (linear[..., 0][blank] > 0).mean() > 0.9  # red is not blanked by green's NaN


def test_saturation_zero_makes_grey():
    mix = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    grey = apply_saturation(mix, 0.0)
    assert all(r == g == b for r, g, b in grey)
    assert apply_saturation(mix, 1.0) == mix


def test_nan_is_transparent_in_png():
    data = np.ones((1, 4, 4), np.float32)
    data[0, 0, 0] = np.nan
    pixels, alpha = render(data, RenderParams(minmax=((0.0, 2.0),), channel=0, fmt="png"))
    assert alpha[0, 0] == 0 and alpha[1, 1] == 255
    import pyvips

    decoded = pyvips.Image.new_from_buffer(encode(pixels, "png", 90, alpha), "")
    assert decoded.bands == 2 and decoded.getpoint(0, 0)[1] == 0


def test_jpeg_round_trip_grey_and_rgb():
    grey = np.tile(np.arange(256, dtype=np.uint8), (64, 1))
    decoded = simplejpeg.decode_jpeg(encode(grey, "jpeg", 95), colorspace="GRAY")
    assert decoded.shape == (64, 256, 1)
    assert np.abs(decoded[..., 0].astype(int) - grey).max() <= 3
    rgb = np.stack([grey, grey[:, ::-1], np.full_like(grey, 128)], axis=2)
    decoded = simplejpeg.decode_jpeg(encode(rgb, "jpeg", 95))
    assert np.abs(decoded.astype(int) - rgb).max() <= 6


def test_colour_jpeg_keeps_full_chroma_only_at_high_quality():
    rng = np.random.default_rng(4)
    rgbx = rng.integers(0, 256, (256, 256, 4), dtype=np.uint8)
    for quality, subsampling in ((90, "420"), (94, "420"), (95, "444"), (100, "444")):
        header = simplejpeg.decode_jpeg_header(encode(rgbx, "jpeg", quality))
        assert header[2:] == ("YCbCr", subsampling), quality


def test_webp_round_trip():
    import pyvips

    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[..., 1] = 200
    image = pyvips.Image.new_from_buffer(encode(rgb, "webp", 100), "")
    assert (image.width, image.height) == (12, 10)
    assert abs(image.getpoint(5, 5)[1] - 200) <= 3


@pytest.mark.parametrize(
    "kw", [{"colormap": "rainbow"}, {"stretch": "cubic"}, {"gamma": 0.0}, {"channel": 3}]
)
def test_bad_parameters_raise(kw):
    with pytest.raises(ParameterError):
        RenderParams(minmax=((0.0, 1.0),), **kw)


def test_key_is_canonical():
    a = RenderParams(minmax=((0.0, 1.0),), channel=0, gamma=2.2)
    b = RenderParams(minmax=((0.0, 1.0),), channel=0, gamma=2.2000000001)
    c = RenderParams(minmax=((0.0, 1.0),), channel=0, gamma=2.0)
    assert a.key() == b.key() != c.key()


def test_hostile_data_renders():
    huge = np.array([[1e-30, 1e30], [-1e38, np.inf]], np.float32)[None]
    pixels, _ = render(huge, RenderParams(minmax=((0.0, 1.0),), channel=0))
    assert pixels.tolist() == [[0, 255], [0, 255]]
    line = np.arange(7, dtype=np.float32)[None, None, :]
    pixels, _ = render(line, RenderParams(minmax=((0.0, 6.0),), channel=0, gamma=1.0))
    assert pixels.shape == (1, 7) and pixels[0, -1] == 255
