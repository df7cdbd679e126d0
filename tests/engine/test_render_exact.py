"""The renderer's numbers, value by value, against the formulas it documents.

Every expected value here is worked out independently of ``tiles/engine/render.py``: by
hand on a few pixels, or by numpy in float64 from the documented definitions (the module
docstring and ``_lut``'s):

    mono, linear:   v = clip((x - lo) * CNT / (hi - lo) + 0.01 * CNT * BRT, 0, 1)
    mono, stretch:  u = clip((x - lo) / (hi - lo), 0, 1)
                    v = clip(stretch(u) * CNT + 0.01 * CNT * BRT, 0, 1)
    v (mono: u for the stretches) is quantised to floor(v * 65535) / 65535 first;
    out = uint8(255.49 * v ** (1 / GAM)), INV: 255 - out, then the colormap's entry.
    colour: each channel's v unpowered, mixed by the 3 x N matrix, clipped to [0, 1],
    quantised, then the power, the scale and the inversion.
    sqrt: sqrt(u); log: log10(1 + 1000 u) / log10(1001); asinh: asinh(10 u) / asinh(10).

The cuts are chosen so that the renderer's float32 ``x * a + b`` is exact (a power of
two for ``a``, integers or halves for ``b``): the quantised index is then the formula's,
and the pixels must be equal, not close. Colormaps are matplotlib's tables.
"""

import importlib
import math

import matplotlib
import numpy as np
import pytest

from tiles.engine import ParameterError, RenderParams, apply_saturation, mix_from_iip, render
from tiles.engine.render import default_mix_rows

render_module = importlib.import_module("tiles.engine.render")

STEPS = 65535
STRETCH = {
    "linear": lambda u: u,
    "sqrt": np.sqrt,
    "log": lambda u: np.log10(1.0 + 1000.0 * u) / np.log10(1001.0),
    "asinh": lambda u: np.arcsinh(u / 0.1) / np.arcsinh(10.0),
}


def quantised(v):
    """floor(v * 65535) / 65535 of v in [0, 1]; NaN -> 0 (1e-9: float64 noise of v)."""
    v = np.nan_to_num(np.clip(v, 0.0, 1.0), nan=0.0)
    return np.floor(v * STEPS + 1e-9) / STEPS


def to_byte(v, gamma=1.0, invert=False):
    out = (255.49 * v ** (1.0 / gamma)).astype(np.uint8)
    return 255 - out if invert else out


def expected_mono(x, lo, hi, contrast=1.0, brightness=0.0, gamma=1.0, invert=False,
                  stretch="linear"):  # fmt: skip
    x = np.asarray(x, np.float64)
    offset = 0.01 * contrast * brightness
    with np.errstate(invalid="ignore", over="ignore"):
        if stretch == "linear":
            f = contrast / (hi - lo) if hi > lo else 1e30
            v = quantised((x - lo) * f + offset)
        else:
            u = quantised((x - lo) / (hi - lo) if hi > lo else (x - lo) * 1e30)
            v = np.clip(STRETCH[stretch](u) * contrast + offset, 0.0, 1.0)
    return to_byte(v, gamma, invert)


def expected_colour(planes, cuts, mix, contrast=1.0, brightness=0.0, gamma=1.0,
                    invert=False, stretch="linear"):  # fmt: skip
    """(h, w, 3) bytes; ``mix`` per channel (r, g, b), None for all ones."""
    offset = 0.01 * contrast * brightness
    scaled = []
    for plane, (lo, hi) in zip(planes, cuts, strict=True):
        x = np.asarray(plane, np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            if stretch == "linear":
                f = contrast / (hi - lo) if hi > lo else 1e30
                v = (x - lo) * f + offset
            else:  # the stretches: NaN is u = 0 (mono: the index 0), as -inf
                u = np.clip((x - lo) / (hi - lo) if hi > lo else (x - lo) * 1e30, 0, 1)
                v = STRETCH[stretch](np.nan_to_num(u, nan=0.0)) * contrast + offset
        scaled.append(np.nan_to_num(np.clip(v, 0.0, 1.0), nan=0.0))
    weights = np.ones((len(planes), 3)) if mix is None else np.array(mix, np.float64)
    rgb = np.einsum("chw,ck->hwk", np.array(scaled), weights)
    return to_byte(quantised(rgb), gamma, invert)


def mono(x, lo, hi, **kw):
    plane = np.asarray(x, np.float32)
    if plane.ndim == 1:
        plane = plane[None, :]
    return render([plane], RenderParams(minmax=((lo, hi),), channel=0, **kw))[0]


# --- mono: hand-worked pixels ---------------------------------------------------------------


def test_linear_pixels_worked_by_hand():
    # lo 0, hi 65535: the index is x itself. v = x / 65535; out = int(255.49 v).
    x = [0, 1, 16384, 32768, 49151, 65534, 65535, 70000, -5, np.nan]
    # 255.49 * 16384/65535 = 63.87..; * 32768/65535 = 127.75..; * 49151/65535 = 191.61..;
    # * 65534/65535 = 255.486..
    assert mono(x, 0.0, 65535.0).tolist() == [[0, 0, 63, 127, 191, 255, 255, 255, 0, 0]]
    inverted = mono(x, 0.0, 65535.0, invert=True).tolist()
    assert inverted == [[255, 255, 192, 128, 64, 0, 0, 0, 255, 255]]


def test_gamma_contrast_and_brightness_worked_by_hand():
    x = [16384, 32768, 1000]
    # gamma 2: sqrt(0.25) = 0.5 -> 127.7; sqrt(0.5) = 0.7071 -> 180.6; sqrt(0.01526) -> 31.5
    assert mono(x, 0.0, 65535.0, gamma=2.0).tolist() == [[127, 180, 31]]
    # gamma 0.5: v squared: 0.0625 -> 15.97; 0.25 -> 63.87; 0.000233 -> 0.06
    assert mono(x, 0.0, 65535.0, gamma=0.5).tolist() == [[15, 63, 0]]
    # contrast 2, brightness -10: v = 2 x / 65535 - 0.2: 0.3 -> 76.6; 0.8 -> 204.4; <0 -> 0
    assert mono(x, 0.0, 65535.0, contrast=2.0, brightness=-10.0).tolist() == [[76, 204, 0]]
    # contrast 0.5, brightness 40: v = x / 131070 + 0.2: 0.325 -> 83.0; 0.45 -> 114.97;
    # 0.2076 -> 53.05
    assert mono(x, 0.0, 65535.0, contrast=0.5, brightness=40.0).tolist() == [[83, 114, 53]]


def test_the_cuts_move_and_scale_the_ramp():
    # lo 1000, hi 1256: v = (x - 1000) / 256
    x = [999, 1000, 1064, 1128, 1192, 1256, 1300]
    # 255.49 * 64/256 = 63.87; 128/256 -> 127.7; 192/256 -> 191.6
    assert mono(x, 1000.0, 1256.0).tolist() == [[0, 0, 63, 127, 191, 255, 255]]
    # negative cuts: lo -512, hi -256
    assert mono([-600, -448, -384, -320, -256], -512.0, -256.0).tolist() == [[0, 63, 127, 191, 255]]


@pytest.mark.parametrize(
    ("stretch", "expected"),
    [
        # u = 0.25, 0.5, 0.75 (indices 16383.75 -> 16383 etc.: u a hair under)
        ("sqrt", [0, 127, 180, 221, 255]),  # 255.49 sqrt(u): 127.74, 180.65, 221.26
        ("log", [0, 204, 229, 244, 255]),  # log10(1 + 1000 u)/3.0004: .800, .8998, .958
        ("asinh", [0, 140, 197, 231, 255]),  # asinh(10 u)/asinh(10): .5494, .7713, .9043
    ],
)
def test_stretches_worked_by_hand(stretch, expected):
    x = [0, 16384, 32768, 49152, 65535]
    assert mono(x, 0.0, 65536.0, stretch=stretch).tolist() == [expected]


def test_a_stretch_takes_contrast_and_brightness_after_it():
    # sqrt, u = 0.25: sqrt = 0.5; contrast 1.5, brightness -20: 0.75 - 0.3 = 0.45 -> 114.97
    assert mono([16384], 0.0, 65536.0, stretch="sqrt", contrast=1.5, brightness=-20.0).tolist() == [
        [114]
    ]
    # the same with gamma 2: sqrt(0.45) = 0.6708 -> 171.4; inverted: 255 - 171 = 84
    assert mono([16384], 0.0, 65536.0, stretch="sqrt", contrast=1.5, brightness=-20.0,
                gamma=2.0, invert=True).tolist() == [[84]]  # fmt: skip


# --- mono: the documented formula over many pixels -------------------------------------------

RAMP = np.concatenate([np.arange(-300, 66000, 7), [np.nan, np.inf, -np.inf]]).astype(np.float32)

MONO_CASES = [
    {},
    {"gamma": 2.2},
    {"gamma": 0.45, "invert": True},
    {"contrast": 2.0, "brightness": -10.0},
    {"contrast": 0.5, "brightness": 30.0, "gamma": 1.7},
    {"stretch": "sqrt"},
    {"stretch": "log", "gamma": 2.0},
    {"stretch": "asinh", "contrast": 1.25, "brightness": 5.0},
    {"stretch": "log", "contrast": 0.75, "brightness": -5.0, "invert": True},
]


@pytest.mark.parametrize("kw", MONO_CASES)
@pytest.mark.parametrize("cuts", [(0.0, 65535.0), (-200.0, 65335.0)])
def test_mono_pixels_are_the_formulas(kw, cuts):
    lo, hi = cuts
    if kw.get("stretch", "linear") != "linear":
        hi = lo + 65535.0  # a = 1 in the stretch's index too
    got = mono(RAMP, lo, hi, **kw)[0]
    np.testing.assert_array_equal(got, expected_mono(RAMP, lo, hi, **kw))


@pytest.mark.parametrize("kw", [{}, {"gamma": 2.2}, {"stretch": "asinh", "invert": True}])
def test_mono_of_other_dtypes_and_shapes_is_the_same_formula(kw):
    """Data the one-pass loop does not take (float64, big-endian, 1-D) goes through the
    quantise-then-look-up path: the same pixels."""
    lo, hi = 0.0, 65535.0
    expected = expected_mono(RAMP, lo, hi, **kw)
    params = RenderParams(minmax=((lo, hi),), channel=0, **kw)
    for plane in (RAMP.astype(np.float64)[None], RAMP.astype(">f4")[None], RAMP):
        got, _ = render([plane], params)
        np.testing.assert_array_equal(np.asarray(got).reshape(-1), expected)


def test_the_quantisation_without_the_nan_cast(monkeypatch):
    """Where casting NaN to an integer does not give 0, it is zeroed explicitly: the
    same pixels (NaN 0, below 0, above 255)."""
    expected = expected_mono(RAMP, 0.0, 65535.0, gamma=2.2)
    plane = RAMP.astype(np.float64)[None]  # the quantise-then-take path
    monkeypatch.setattr(render_module, "_NAN_TO_ZERO_BY_CAST", False)
    got, _ = render([plane], RenderParams(minmax=((0.0, 65535.0),), channel=0, gamma=2.2))
    np.testing.assert_array_equal(got[0], expected)


def test_the_nan_cast_probe_says_what_this_machine_does():
    with np.errstate(invalid="ignore"):
        cast = np.array([np.nan, 1.0], np.float32).astype(np.uint16)
    assert bool(render_module._nan_casts_to_zero()) == (cast[0] == 0)


# Equal cuts at a large |lo| (a float32 overflow of the offset, which rendered black in
# mono from about 5200) and equal cuts with a stretch in colour (the huge factor was a
# divisor: black) were bugs these tests found.
LOS = [0.0, 100.0, -3000.0, 5000.0, 1e4, -1e5, 1e6, 3e8, -1e9]
STEP_KWS = [
    {},
    {"stretch": "sqrt"},
    {"contrast": 2.0, "gamma": 2.0},
    {"stretch": "asinh", "invert": False},
    {"brightness": -20.0},  # linear: the step still goes to 1 (the factor is huge)
    {"stretch": "sqrt", "brightness": -20.0},  # a stretch: to clip(sqrt(1) - 0.2) = 0.8
    {"stretch": "log", "brightness": 20.0},  # from clip(0 + 0.2): at and below lo too
]


def step_levels(kw):
    """(below and at lo, above lo, NaN) bytes: a stretch's u is 0 or 1 (NaN: 0), then
    stretch(u) * CNT + 0.01 CNT BRT; linear: the huge factor takes v to 0 or 1."""
    if "stretch" not in kw:
        return 0, 255, 0
    contrast, gamma = kw.get("contrast", 1.0), kw.get("gamma", 1.0)
    offset = 0.01 * contrast * kw.get("brightness", 0.0)
    bottom = int(to_byte(np.clip(offset, 0.0, 1.0), gamma))
    return bottom, int(to_byte(np.clip(contrast + offset, 0.0, 1.0), gamma)), bottom


def step_cases():
    for kw in STEP_KWS:
        for lo in LOS:
            yield pytest.param(lo, kw, id=f"{lo:g}-{kw.get('stretch', 'linear')}-{len(kw)}")


def step_pixels(lo):
    """Far below, just below, at, just above, far above lo (float32 apart: the affine
    step x * a + b is float32, so a few ulps from lo are blurred); NaN."""
    near, far = max(1.0, abs(lo) * 1e-5), 1e3 * (1 + abs(lo))
    return np.array([lo - far, lo - near, lo, lo + near, lo + far, np.nan], np.float32)


@pytest.mark.parametrize(("lo", "kw"), list(step_cases()))
def test_equal_cuts_are_a_step_at_the_cut(lo, kw):
    """hi <= lo: a huge factor, so 0 at and below lo, the top above it, whatever lo is."""
    x = step_pixels(lo)
    bottom, top, blank = step_levels(kw)
    assert mono(x, lo, lo, **kw).tolist() == [[bottom] * 3 + [top] * 2 + [blank]]
    assert mono(x, lo, lo - 10, **kw).tolist() == [[bottom] * 3 + [top] * 2 + [blank]]  # hi < lo
    np.testing.assert_array_equal(mono(x, lo, lo, **kw)[0], expected_mono(x, lo, lo, **kw))


@pytest.mark.parametrize(("lo", "kw"), list(step_cases()))
def test_equal_cuts_are_a_step_at_the_cut_in_colour(lo, kw):
    x = step_pixels(lo)[None]
    mix = ((1.0, 0.0, 0.5), (0.0, 0.0, 0.0))
    bottom, top, blank = step_levels(kw)
    for hi in (lo, lo - 10):  # hi < lo: the same
        params = RenderParams(minmax=((lo, hi), (lo, hi)), channel=None, mix=mix, **kw)
        colour, _ = render([x], params)
        assert colour[0, :, 0].tolist() == [bottom] * 3 + [top] * 2 + [blank]
        assert colour[0, :, 1].tolist() == [0] * 6
        expected = expected_colour([x, x], ((lo, hi), (lo, hi)), mix, **kw)
        np.testing.assert_array_equal(colour[..., :3], expected)  # blue: half the step


@pytest.mark.parametrize("lo", [0.0, 1e4, -1e9, 5e9])
@pytest.mark.parametrize("stretch", ["linear", "log"])
def test_a_step_below_its_cut_adds_nothing_to_another_channel(lo, stretch):
    """Two channels cut at lo (hi <= lo): one below its cut (0), one above (1); their
    sum in red is the second's weight, never less than it."""
    below = np.full((1, 2), lo - 1e3 * (1 + abs(lo)), np.float32)
    above = np.full((1, 2), lo + 1e3 * (1 + abs(lo)), np.float32)
    mix = ((1.0, 0.0, 0.0), (0.5, 0.0, 0.0))
    params = RenderParams(minmax=((lo, lo), (lo, lo)), channel=None, mix=mix, stretch=stretch)
    pixels, _ = render([below, above], params)
    assert pixels[0, :, 0].tolist() == [127, 127]  # 255.49 * 0.5
    pixels, _ = render([above, below], params)
    assert pixels[0, :, 0].tolist() == [255, 255]


def test_a_plane_in_any_dtype_or_byte_order_renders_the_same():
    """The same float32 values, native (the one-pass loop), big-endian and float64 (the
    quantise-then-look-up path): the same pixels, with cuts that make ``x * a + b``
    inexact (so a float64 sum where float32 is documented would show)."""
    rng = np.random.default_rng(11)
    plane = rng.normal(120.0, 40.0, (200, 300)).astype(np.float32)
    for kw in ({"contrast": 1.3, "brightness": 7.0}, {"stretch": "asinh"}):
        params = RenderParams(minmax=((60.3, 180.7),), channel=0, **kw)
        native, _ = render([plane], params)
        assert len(np.unique(native)) > 200
        for other in (plane.astype(">f4"), plane.astype(np.float64)):
            np.testing.assert_array_equal(render([other], params)[0], native)


def test_a_colormap_is_matplotlibs_table_at_the_grey_value():
    x = np.arange(0, 65536, 257, dtype=np.float32)  # grey k/255 * 255.49 -> k (k = 0..255)
    grey = mono(x, 0.0, 65535.0)[0]
    assert grey.tolist() == list(range(256))
    rgbx = mono(x, 0.0, 65535.0, colormap="cool")
    assert rgbx.shape == (1, 256, 4) and rgbx.dtype == np.uint8
    cool = np.round(matplotlib.colormaps["cool"](np.arange(256) / 255.0)[:, :3] * 255)
    assert np.abs(rgbx[0, :, :3].astype(int) - cool).max() <= 1
    assert rgbx[0, 0, :3].tolist() == [0, 255, 255] and rgbx[0, 255, :3].tolist() == [255, 0, 255]
    inverted = mono(x, 0.0, 65535.0, colormap="cool", invert=True)
    assert np.abs(inverted[0, :, :3].astype(int) - cool[::-1]).max() <= 1
    gray = np.round(matplotlib.colormaps["gray"](np.arange(256) / 255.0)[:, :3] * 255)
    assert (gray[:, 0] == np.arange(256)).all()  # grey is the identity: no table needed


# --- colour mixes ----------------------------------------------------------------------------


def planes_with_nan(n, seed=1, shape=(24, 40)):
    rng = np.random.default_rng(seed)
    planes = [rng.uniform(-30.0, 290.0, shape).astype(np.float32) for _ in range(n)]
    planes[0][0, :4] = [np.nan, np.inf, -np.inf, 1e38]
    if n > 1:
        planes[1][1, :5] = np.nan
    return planes


COLOUR_CASES = [
    ({}, None),
    ({"gamma": 2.2}, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))),
    ({"gamma": 0.7, "invert": True}, ((0.5, 0.25, 0.0), (0.25, 0.5, 0.25), (0.0, 0.25, 0.75))),
    ({"contrast": 2.0, "brightness": -25.0}, ((1.0, 0.5, 0.0), (0.0, 0.5, 1.0), (0.5, 0.0, 0.5))),
    ({"stretch": "sqrt"}, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))),
    ({"stretch": "log", "contrast": 1.5, "brightness": -20.0}, ((0.7, 0.2, 0.1),) * 3),
    (
        {"stretch": "asinh", "gamma": 2.0, "invert": True},
        ((0.5, 0.5, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5)),
    ),
    ({"stretch": "asinh", "contrast": 0.5, "brightness": 30.0}, None),
]


@pytest.mark.parametrize(("kw", "mix"), COLOUR_CASES)
def test_colour_pixels_are_the_formulas(kw, mix):
    planes = planes_with_nan(3)
    cuts = ((0.0, 256.0), (-16.0, 240.0), (32.0, 288.0))
    params = RenderParams(minmax=cuts, channel=None, mix=mix, **kw)
    pixels, alpha = render(planes, params)
    assert pixels.shape == (24, 40, 4) and alpha is None
    expected = expected_colour(planes, cuts, mix, **kw)
    diff = np.abs(pixels[..., :3].astype(int) - expected)
    assert diff.max() <= 1  # float32 sums of the mix: an index may land one step off
    assert (diff == 0).mean() > 0.995


def test_colour_pixels_worked_by_hand():
    # Two channels, cuts 0..100 and 0..200: v = 0.5 and 0.25 at x = 50 and 50.
    planes = [np.full((1, 2), 50.0, np.float32), np.full((1, 2), 50.0, np.float32)]
    planes[1][0, 1] = np.nan  # counts as 0 in its channel only
    mix = ((1.0, 0.0, 0.5), (0.0, 1.0, 1.0))
    params = RenderParams(minmax=((0.0, 100.0), (0.0, 200.0)), channel=None, mix=mix)
    pixels, _ = render(planes, params)
    # red 0.5 -> 127.7; green 0.25 -> 63.9 (NaN: 0); blue 0.25 + 0.25 = 0.5 -> 127 (0.25: 63)
    assert pixels[0, :, :3].tolist() == [[127, 63, 127], [127, 0, 63]]
    # gamma 2 and inverted: sqrt(0.5) = 0.7071 -> 180.6 -> 75; sqrt(0.25) -> 127.7 -> 128
    params = RenderParams(minmax=((0.0, 100.0), (0.0, 200.0)), channel=None, mix=mix,
                          gamma=2.0, invert=True)  # fmt: skip
    pixels, _ = render(planes, params)
    assert pixels[0, :, :3].tolist() == [[75, 128, 75], [75, 255, 128]]
    # Above the cuts every channel is 1, and the sum is clipped: white.
    hot = [np.full((1, 1), 500.0, np.float32)] * 2
    assert (
        render(hot, RenderParams(minmax=((0.0, 100.0),) * 2, channel=None))[0][0, 0, :3].tolist()
        == [255] * 3
    )


def test_colour_without_a_mix_adds_the_channels_in_every_colour():
    planes = [
        np.array([[20.0, 40.0, 80.0]], np.float32),
        np.array([[10.0, 30.0, 60.0]], np.float32),
    ]
    pixels, _ = render(planes, RenderParams(minmax=((0.0, 200.0), (0.0, 200.0)), channel=None))
    # 0.15 -> 38.3; 0.35 -> 89.4; 0.7 -> 178.8
    assert pixels[0, :, :3].tolist() == [[38] * 3, [89] * 3, [178] * 3]
    grey, _ = render(planes, RenderParams(minmax=((0.0, 200.0), (0.0, 200.0)), channel=None),
                     grey_when_equal=True)  # fmt: skip
    assert grey.tolist() == [[38, 89, 178]]


def test_a_channel_with_no_weight_is_not_read():
    params = RenderParams(minmax=((0.0, 1.0),) * 3, channel=None,
                          mix=((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 0.0)))  # fmt: skip
    assert params.channels_needed == [1]
    pixels, _ = render([np.array([[0.5, 2.0]], np.float32)], params)
    assert pixels[0, :, :3].tolist() == [[127, 0, 0], [255, 0, 0]]
    black = RenderParams(minmax=((0.0, 1.0),) * 2, channel=None, mix=((0.0,) * 3,) * 2)
    assert black.channels_needed == [0]
    assert render([np.ones((2, 3), np.float32)], black)[0][..., :3].max() == 0
    assert RenderParams(minmax=((0.0, 1.0),) * 3, channel=None).channels_needed == [0, 1, 2]
    assert RenderParams(minmax=((0.0, 1.0),) * 3, channel=2).channels_needed == [2]


@pytest.mark.parametrize(
    ("mix", "grey"),
    [
        (None, True),
        (((0.5, 0.5, 0.5), (2.0, 2.0, 2.0)), True),
        (((0.5, 0.5, 0.5), (0.0, 0.0, 0.0)), True),  # the unread channel does not count
        (((1.0, 1.0, 1.0), (1.0, 1.0, 0.5)), False),
        (((1.0, 1.0, 1.0), (1.0, 0.5, 1.0)), False),
        (((1.0, 1.0, 1.0), (0.5, 1.0, 1.0)), False),
        (((0.0, 0.0, 1.0), (0.0, 0.0, 0.0)), False),
    ],
)
def test_only_equal_colours_render_grey(mix, grey):
    params = RenderParams(minmax=((0.0, 100.0), (0.0, 100.0)), channel=None, mix=mix)
    planes = [np.full((3, 4), 30.0, np.float32), np.full((3, 4), 10.0, np.float32)]
    planes = [planes[c] for c in params.channels_needed]
    pixels, _ = render(planes, params, grey_when_equal=True)
    assert pixels.shape == ((3, 4) if grey else (3, 4, 4))
    colour, _ = render(planes, params)
    if grey:
        np.testing.assert_array_equal(pixels, colour[..., 0])


def test_alpha_is_zero_where_every_plane_is_blank():
    a = np.array([[np.nan, np.nan, 1.0, 1.0]], np.float32)
    b = np.array([[np.nan, 1.0, np.nan, 1.0]], np.float32)
    for fmt in ("png", "webp"):
        _, alpha = render([a, b], RenderParams(minmax=((0.0, 1.0),) * 2, channel=None, fmt=fmt))
        assert alpha.tolist() == [[0, 255, 255, 255]] and alpha.dtype == np.uint8
        _, alpha = render([a], RenderParams(minmax=((0.0, 1.0),), channel=0, fmt=fmt))
        assert alpha.tolist() == [[0, 0, 255, 255]]
    assert render([a], RenderParams(minmax=((0.0, 1.0),), channel=0))[1] is None


def test_a_colour_tile_larger_than_the_scratch_buffers_is_the_formula():
    """512 x 512 (more pixels than the thread's first buffers hold), three channels."""
    planes = planes_with_nan(3, seed=9, shape=(512, 512))
    cuts = ((0.0, 256.0), (-16.0, 240.0), (32.0, 288.0))
    mix = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    pixels, _ = render(planes, RenderParams(minmax=cuts, channel=None, mix=mix))
    diff = np.abs(pixels[..., :3].astype(int) - expected_colour(planes, cuts, mix))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.995


def test_colour_scratch_pixels_are_the_same_and_reused():
    planes = planes_with_nan(2, seed=4)
    cuts = ((0.0, 256.0), (0.0, 256.0))
    for mix in (None, ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0))):
        params = RenderParams(minmax=cuts, channel=None, mix=mix)
        fresh, _ = render(planes, params, grey_when_equal=True)
        first, _ = render(planes, params, scratch=True, grey_when_equal=True)
        np.testing.assert_array_equal(first, fresh)
        second, _ = render(planes, params, scratch=True, grey_when_equal=True)
        assert np.shares_memory(first, second)


def test_scratch_pixels_are_the_same_and_reused():
    x = np.array([[0.0, 0.5, 1.0]], np.float32)
    params = RenderParams(minmax=((0.0, 1.0),), channel=0)
    fresh, _ = render([x], params)
    first, _ = render([x], params, scratch=True)
    assert first.tolist() == fresh.tolist() == [[0, 127, 255]]
    second, _ = render([x * 0], params, scratch=True)
    assert np.shares_memory(first, second) and second.tolist() == [[0, 0, 0]]
    # The same through the quantise-then-take path (equal cuts at a huge value, a 1-D row).
    for data, cuts in (([x[0]], (0.0, 1.0)), ([x * 1e10], (1e9, 1e9))):
        step = RenderParams(minmax=(cuts,), channel=0)
        first, _ = render(data, step, scratch=True)
        assert np.asarray(first).reshape(-1).tolist() == render(data, step)[0].reshape(-1).tolist()
        assert np.shares_memory(first, render(data, step, scratch=True)[0])
    assert not np.shares_memory(render([x], params)[0], render([x], params)[0])


# --- mixes ------------------------------------------------------------------------------------


def flat(rows):
    assert all(len(row) == 3 for row in rows)
    return [w for row in rows for w in row]


def test_default_mix_rows_worked_by_hand():
    assert default_mix_rows(1) == ((1.0, 1.0, 1.0),)
    assert default_mix_rows(2) == ((0.0, 1 / 3, 2 / 3), (2 / 3, 1 / 3, 0.0))
    assert default_mix_rows(3) == ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))
    five = default_mix_rows(5)  # t = 0, .25, .5, .75, 1
    assert flat(five) == pytest.approx(
        flat([(0.0, 0.0, 1.0), (0.0, 0.5, 0.5), (0.0, 1.0, 0.0), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0)])
    )
    assert all(isinstance(w, float) for row in five for w in row)


def test_mix_from_iip_worked_by_hand():
    # channels 0 and 4 given on 5: each colour linear between, times 3/5.
    mix = mix_from_iip({4: (1.0, 0.0, 0.0), 0: (0.0, 0.0, 1.0)}, 5)
    assert len(mix) == 5 and flat(mix) == pytest.approx(
        flat(
            [
                (0.0, 0.0, 0.6),
                (0.15, 0.0, 0.45),
                (0.3, 0.0, 0.3),
                (0.45, 0.0, 0.15),
                (0.6, 0.0, 0.0),
            ]
        )
    )
    # three rows, held beyond the first and the last given channel
    mix = mix_from_iip({1: (0.0, 1.0, 0.0), 3: (1.0, 1.0, 0.0), 5: (1.0, 0.0, 1.0)}, 7)
    s = 3 / 7
    assert len(mix) == 7 and flat(mix) == pytest.approx(
        flat(
            [
                (0, s, 0),
                (0, s, 0),
                (s / 2, s, 0),
                (s, s, 0),
                (s, s / 2, s / 2),
                (s, 0, s),
                (s, 0, s),
            ]
        )
    )
    assert mix_from_iip({0: (0.0, 0.0, 2.0)}, 1) == ((0.0, 0.0, 6.0),)
    assert mix_from_iip(None, 3) is None
    signed = mix_from_iip({0: (-0.0, 0.0, 1.0), 1: (-0.0, 1.0, 0.0)}, 2)
    assert signed == ((-0.0, 0.0, 1.5), (-0.0, 1.5, 0.0))


def test_saturation_worked_by_hand():
    mix = ((1.0, 0.0, 0.0), (0.0, 0.5, 1.0))
    # grey of (1, 0, 0) is 1/3: 1/3 + s (w - 1/3); of (0, .5, 1): 0.5
    assert flat(apply_saturation(mix, 0.5)) == pytest.approx([2 / 3, 1 / 6, 1 / 6, 0.25, 0.5, 0.75])
    assert flat(apply_saturation(mix, 2.0)) == pytest.approx(
        [5 / 3, -1 / 3, -1 / 3, -0.5, 0.5, 1.5]
    )
    assert flat(apply_saturation(mix, 0.0)) == pytest.approx([1 / 3] * 3 + [0.5] * 3)
    assert apply_saturation(mix, 1.0) is mix
    assert apply_saturation(None, 0.5) is None


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"colormap": "rainbow"},
            "Unknown colormap 'rainbow' (one of: grey, jet, cold, cool, hot, viridis, magma).",
        ),
        ({"stretch": "cubic"}, "Unknown stretch 'cubic' (one of: linear, sqrt, log, asinh)."),
        ({"gamma": 0.0}, "gamma must be > 0."),
        ({"gamma": -1.0}, "gamma must be > 0."),
        ({"gamma": float("nan")}, "gamma must be > 0."),
        ({"smooth": -0.5}, "smooth must be >= 0."),
        ({"smooth": float("nan")}, "smooth must be >= 0."),
        ({"channel": 2}, "Channel 3 is outside 1..2."),
        ({"channel": -1}, "Channel 0 is outside 1..2."),
        (
            {"channel": None, "mix": ((1.0, 1.0, 1.0),)},
            "The mix needs one (r, g, b) per channel (2).",
        ),
    ],
)
def test_bad_parameters_are_refused_by_name(kw, message):
    with pytest.raises(ParameterError) as refused:
        RenderParams(minmax=((0.0, 1.0), (0.0, 2.0)), **kw)
    assert str(refused.value) == message


def test_good_parameters_at_their_edges_are_taken():
    RenderParams(minmax=((0.0, 1.0), (0.0, 2.0)), channel=1, smooth=0.0, gamma=1e-3)
    RenderParams(minmax=((0.0, 1.0), (0.0, 2.0)), channel=0)
    RenderParams(minmax=((0.0, 1.0), (0.0, 2.0)), channel=None, mix=((1, 1, 1), (0, 0, 0)))


def test_the_key_writes_every_parameter():
    params = RenderParams(
        minmax=((0.5, 100.25), (-3.0, 1e10)),
        channel=None,
        mix=((1.0, 0.5, 0.0), (0.125, 0.0, 2.0)),
        colormap="hot",
        invert=True,
        contrast=1.5,
        brightness=-20.0,
        gamma=2.2,
        stretch="asinh",
        quality=90,
        fmt="png",
        smooth=1.25,
    )
    assert params.key() == (
        "cNone|m1,0.5,0;0.125,0,2|k0.5,100.25;-3,1e+10|hot|i1|1.5|-20|2.2|asinh|q90|png|s1.25"
    )
    assert params.key() is params.key()  # written once
    plain = RenderParams(minmax=((0.0, 1.0),))
    assert plain.key() == "c0|m|k0,1|grey|i0|1|0|1|linear|q75|jpeg|s0"
    signed = RenderParams(minmax=((-0.0, 1.0),), channel=None, mix=((-0.0, 1.0, 1.0),))
    assert signed.key() == "cNone|m-0,1,1|k-0,1|grey|i0|1|0|1|linear|q75|jpeg|s0"


def test_the_neutral_defaults():
    params = RenderParams(minmax=((0.0, 1.0),))
    assert (params.channel, params.mix, params.colormap, params.invert) == (0, None, "grey", False)
    assert (params.contrast, params.brightness, params.gamma, params.stretch) == (
        1.0,
        0.0,
        1.0,
        "linear",
    )
    assert (params.quality, params.fmt, params.smooth) == (75, "jpeg", 0.0)
    assert math.isclose(render_module.ASINH_BETA, 0.1) and render_module.STEPS == 65535


def test_hostile_pixels_render_without_a_warning():
    """Overflow to +-inf and NaN are intended (they clip, or render as 0): a tile of such
    pixels must not write a RuntimeWarning to the server's log for every request."""
    import warnings

    plane = np.array([[np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-38, 5.0]], np.float32)
    cases = [
        RenderParams(minmax=((0.0, 10.0),), channel=0),
        RenderParams(minmax=((1e5, 1e5),), channel=0, stretch="log"),
        RenderParams(minmax=((1e5, 1e5),), channel=0),
        RenderParams(minmax=((0.0, 10.0), (1e9, 1e9)), channel=None, stretch="asinh"),
        RenderParams(minmax=((0.0, 10.0), (1e9, 1e9)), channel=None, fmt="png"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for params in cases:
            planes = [plane] * len(params.channels_needed)
            render(planes, params)
            render([plane.astype(np.float64)] * len(planes), params)


def test_a_mix_given_as_lists_renders_as_the_same_mix_in_tuples():
    planes = planes_with_nan(2, seed=6)
    cuts = ((0.0, 256.0), (-16.0, 240.0))
    rows = ((1.0, 0.5, 0.0), (0.0, 0.5, 1.0))
    expected = expected_colour(planes, cuts, rows, gamma=2.0)
    for mix in (rows, [list(row) for row in rows]):
        pixels, _ = render(planes, RenderParams(minmax=cuts, channel=None, mix=mix, gamma=2.0))
        diff = np.abs(pixels[..., :3].astype(int) - expected)
        assert diff.max() <= 1 and (diff == 0).mean() > 0.99
