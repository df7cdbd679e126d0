"""The fused kernels (``kernels.lookup``, ``mix_grey``, ``mix_rgbx``) against float64 numpy.

The expected pixels are worked out here from the documented definitions, not by the
renderer: per channel ``v = clip((x - lo) * CNT / (hi - lo) + 0.01 * CNT * BRT, 0, 1)``
(NaN: 0), mixed by the weights, clipped, quantised to ``floor(65535 * v)``, then
``uint8(255.49 * q ** (1 / GAM))``, inverted, and (mono) the colormap's entry.

The planes are tiles as the pyramid holds them (views with their rows reversed inside a
read-only memory-mapped level, copied first), and C-contiguous planes read in place. Cuts 64 apart, integer pixels and
weights of a few bits make every float32 step of the kernels exact, so the pixels must be
equal, not close.
"""

import importlib

import numpy as np
import pytest

from tiles.engine import RenderParams, kernels, render
from tiles.engine.colormaps import TABLES

render_module = importlib.import_module("tiles.engine.render")
STEPS = 65535
SHAPE = (40, 56)


def uncopied(monkeypatch):
    """Renderings from here on fail if a plane is copied instead of read in place."""

    def copied(plane, number):
        raise AssertionError("a plane was copied")

    monkeypatch.setattr(render_module, "_copied", copied)


def level(tmp_path, rng, name, shape=(100, 90)):
    """A read-only mapped float32 level (as the pyramid's): integers from -40 to 110,
    some NaN and infinities, the cuts being 0..64 (beyond them on both sides)."""
    data = rng.integers(-40, 111, shape).astype(np.float32)
    data[rng.random(shape) < 0.03] = np.nan
    data[3, 5:9] = [np.inf, -np.inf, 3e38, -3e38]
    np.save(tmp_path / f"{name}.npy", data)
    return np.load(tmp_path / f"{name}.npy", mmap_mode="r").view(np.ndarray)


def tile(levels, y0=2, x0=7):
    """Views of ``SHAPE`` inside each level, rows reversed (a tile of FITS rows)."""
    return [lv[y0 : y0 + SHAPE[0], x0 : x0 + SHAPE[1]][::-1] for lv in levels]


def scaled(plane, lo, hi, contrast, brightness):
    x = np.asarray(plane, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        v = (x - lo) * (contrast / (hi - lo)) + 0.01 * contrast * brightness
    return np.nan_to_num(np.clip(v, 0.0, 1.0), nan=0.0)


def to_bytes(sums, gamma, invert):
    q = np.floor(np.clip(sums, 0.0, 1.0) * STEPS) / STEPS
    out = (255.49 * q ** (1.0 / gamma)).astype(np.uint8)
    return 255 - out if invert else out


def expected_colour(planes, cuts, weights, contrast=1.0, brightness=0.0, gamma=1.0,
                    invert=False):  # fmt: skip
    """(h, w, 3) bytes of the mix: ``weights`` (N, 3), the sums made in float64."""
    sums = np.zeros((*np.shape(planes[0]), 3))
    for plane, (lo, hi), rgb in zip(planes, cuts, weights, strict=True):
        sums += scaled(plane, lo, hi, contrast, brightness)[..., None] * np.array(rgb)
    return to_bytes(sums, gamma, invert)


MIXES = {
    "grey, one channel (the IIP default: 3 / N)": [(3.0, 3.0, 3.0)],
    "tinted, one channel": [(1.0, 0.75, 0.5)],
    "grey, two": [(0.5, 0.5, 0.5), (1.0, 1.0, 1.0)],
    "colour, three": [(0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0)],
    "grey, four (two groups)": [(0.25, 0.25, 0.25)] * 4,
    "colour, four": [(0.5, 0.25, 0.0), (0.0, 0.5, 0.25), (0.25, 0.0, 0.5), (0.5, 0.5, 0.5)],
    "colour, seven (three groups)": [(0.25, 0.125, 0.5)] * 3 + [(0.5, 0.25, 0.0)] * 4,
    "grey, seven": [(0.125, 0.125, 0.125)] * 7,
}
SCALES = [
    {},
    {"gamma": 2.2},
    {"gamma": 0.5, "invert": True},
    {"contrast": 2.0, "brightness": -25.0, "gamma": 1.7},
    {"contrast": 0.5, "brightness": 12.5, "invert": True},
]


@pytest.mark.parametrize("kw", SCALES)
@pytest.mark.parametrize("mix", list(MIXES.values()), ids=list(MIXES))
def test_a_colour_mix_is_the_float64_formula(tmp_path, monkeypatch, kw, mix):
    rng = np.random.default_rng(len(mix) * 10 + len(kw))
    levels = [level(tmp_path, rng, f"c{c}") for c in range(len(mix))]
    planes = tile(levels)
    cuts = tuple((-16.0 * (c % 2), 64.0 - 16.0 * (c % 2)) for c in range(len(mix)))
    params = RenderParams(minmax=cuts, channel=None, mix=tuple(mix), **kw)
    expected = expected_colour(planes, cuts, mix, **kw)
    assert len(np.unique(expected)) > 8  # a real image, not a blank one
    rgbx, _ = render(planes, params)
    np.testing.assert_array_equal(rgbx[..., :3], expected)
    grey = all(r == g == b for r, g, b in mix)
    pixels, _ = render(planes, params, grey_when_equal=True, scratch=True)
    if grey:
        assert pixels.shape == SHAPE
        np.testing.assert_array_equal(pixels, expected[..., 0])
    else:
        np.testing.assert_array_equal(pixels[..., :3], expected)
    # The same planes copied first (as any other layout is) give the same pixels.
    # C-contiguous planes are read in place, and give the same pixels.
    copies = [np.ascontiguousarray(p) for p in planes]
    uncopied(monkeypatch)
    np.testing.assert_array_equal(render(copies, params)[0], rgbx)


@pytest.mark.parametrize("colormap", ["grey", "jet", "cold", "cool", "hot"])
@pytest.mark.parametrize("kw", SCALES)
def test_a_mono_tile_is_the_float64_formula(tmp_path, monkeypatch, colormap, kw):
    rng = np.random.default_rng(7)
    (plane,) = tile([level(tmp_path, rng, "mono")])
    params = RenderParams(minmax=((-8.0, 56.0),), channel=0, colormap=colormap, **kw)
    pixels, _ = render([plane], params, scratch=True)
    copy = np.ascontiguousarray(plane)
    uncopied(monkeypatch)
    np.testing.assert_array_equal(render([copy], params)[0], pixels)
    contrast, brightness = kw.get("contrast", 1.0), kw.get("brightness", 0.0)
    grey = to_bytes(scaled(plane, -8.0, 56.0, contrast, brightness), kw.get("gamma", 1.0),
                    kw.get("invert", False))  # fmt: skip
    if colormap == "grey":
        np.testing.assert_array_equal(pixels, grey)
    else:
        assert pixels.shape == (*SHAPE, 4)
        np.testing.assert_array_equal(pixels[..., :3], TABLES[colormap][grey])


@pytest.mark.parametrize("lo", [20.0, -3.5])
def test_equal_cuts_in_a_fused_mix_are_a_step_at_the_cut(tmp_path, lo):
    """hi == lo: 0 up to the cut, the full weight above it (NaN: 0)."""
    rng = np.random.default_rng(5)
    planes = tile([level(tmp_path, rng, "a"), level(tmp_path, rng, "b")])
    mix = ((0.5, 0.0, 0.25), (0.25, 0.5, 0.25))
    params = RenderParams(minmax=((lo, lo), (0.0, 64.0)), channel=None, mix=mix, gamma=2.0)
    step = np.where(np.asarray(planes[0], np.float64) > lo, 1.0, 0.0)
    sums = step[..., None] * np.array(mix[0]) + scaled(planes[1], 0.0, 64.0, 1.0, 0.0)[
        ..., None
    ] * np.array(mix[1])
    np.testing.assert_array_equal(render(planes, params)[0][..., :3], to_bytes(sums, 2.0, False))


@pytest.mark.parametrize("stretch", ["sqrt", "log", "asinh"])
def test_other_stretches_in_a_fused_mix_are_scaled_first(tmp_path, stretch):
    """The stretches are scaled by numpy (float32 planes, of this thread for the first
    channels, allocated for the others) and mixed by the kernel: five channels."""
    functions = {
        "sqrt": np.sqrt,
        "log": lambda u: np.log10(1.0 + 1000.0 * u) / np.log10(1001.0),
        "asinh": lambda u: np.arcsinh(u / 0.1) / np.arcsinh(10.0),
    }
    rng = np.random.default_rng(3)
    planes = tile([level(tmp_path, rng, f"s{c}") for c in range(5)])
    mix = ((0.25, 0.0, 0.5), (0.0, 0.25, 0.25), (0.5, 0.25, 0.0), (0.0, 0.25, 0.0), (0.25,) * 3)
    params = RenderParams(minmax=((0.0, 64.0),) * 5, channel=None, mix=mix, stretch=stretch)
    sums = np.zeros((*SHAPE, 3))
    for plane, rgb in zip(planes, mix, strict=True):
        u = np.nan_to_num(np.clip(np.asarray(plane, np.float64) / 64.0, 0.0, 1.0), nan=0.0)
        sums += np.clip(functions[stretch](u), 0.0, 1.0)[..., None] * np.array(rgb)
    diff = np.abs(render(planes, params)[0][..., :3].astype(int) - to_bytes(sums, 1.0, False))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99  # float32 stretch values


def odd_layouts(plane):
    """The same pixels in layouts the kernels do not read in place."""
    c = np.ascontiguousarray(plane)
    wide = np.zeros((c.shape[0], 2 * c.shape[1]), np.float32)
    wide[:, ::2] = c
    raw = np.zeros(c.size + 1, np.float32).view(np.uint8)[2 : 2 + 4 * c.size]
    misaligned = raw.view(np.float32).reshape(c.shape)  # its owner is float32 and C
    misaligned[...] = c
    return {
        "columns apart": wide[:, ::2],
        "Fortran order": np.asfortranarray(c),
        "float64": c.astype(np.float64),
        "big-endian": c.astype(">f4"),
        "misaligned in its array": misaligned,
        "columns reversed": c[:, ::-1][:, ::-1],
        "a cube's plane": np.stack([c, c + 1])[0],
    }


@pytest.mark.parametrize("layout", list(odd_layouts(np.zeros((2, 2), np.float32))))
def test_every_layout_renders_the_same(tmp_path, layout):
    rng = np.random.default_rng(11)
    planes = tile([level(tmp_path, rng, "x"), level(tmp_path, rng, "y")])
    others = [odd_layouts(p)[layout] for p in planes]
    if layout == "misaligned in its array":
        assert others[0].ctypes.data % 4 and others[0].base.dtype == np.float32
    cuts = ((0.0, 64.0), (-16.0, 48.0))
    for params in (
        RenderParams(minmax=cuts, channel=None, mix=((1.0, 0.5, 0.0), (0.0, 0.5, 1.0))),
        RenderParams(minmax=cuts, channel=None, gamma=2.2),
        RenderParams(minmax=cuts, channel=1, colormap="jet"),
        RenderParams(minmax=cuts, channel=0, gamma=2.2),
    ):
        planes_needed = [planes[c] for c in params.channels_needed]
        others_needed = [others[c] for c in params.channels_needed]
        for grey in (False, True):
            expected, _ = render(planes_needed, params, grey_when_equal=grey)
            got, _ = render(others_needed, params, grey_when_equal=grey)
            np.testing.assert_array_equal(got, expected)


def test_the_kernels_refuse_a_plane_outside_its_array():
    inside = np.arange(64 * 8, dtype=np.float32).reshape(64, 8)
    elsewhere = np.zeros(64 * 8, np.float32)
    table = np.arange(STEPS + 1, dtype=np.uint32).astype(np.uint8)
    table.setflags(write=False)
    one, zero, high = np.float32(1), np.float32(0), np.float32(STEPS)
    out = np.full((4, 8), 7, np.uint8)
    plane = inside[10:14][::-1]
    assert not kernels.lookup(elsewhere, plane, one, zero, high, table, out)
    assert not kernels.lookup(inside[:12].reshape(-1), plane, one, zero, high, table, out)
    assert (out == 7).all()  # nothing written
    assert kernels.lookup(inside.reshape(-1), plane, one, zero, high, table, out)
    np.testing.assert_array_equal(out, table[inside[10:14][::-1].astype(int)])
    weights = np.full((3, 3), STEPS / 128, np.float32)
    acc = np.zeros((1, 1, 1), np.float32)
    sources = [inside.reshape(-1), plane, one, zero] * 2 + [elsewhere, plane, one, zero]
    out[...] = 7
    assert not kernels.mix_grey(*sources, 3, weights, acc, True, True, high, table, out)
    assert (out == 7).all()
    # Two sources given, the third (refusable) not read.
    assert kernels.mix_grey(*sources, 2, weights, acc, True, True, high, table, out)
    # Every pixel of rows 10..13 is above 1: 2 * 65535 / 128 = 1023.98, the index 1023.
    assert (out == table[1023]).all()


def test_planes_of_another_shape_are_refused():
    a, b = np.zeros((4, 5), np.float32), np.zeros((4, 6), np.float32)
    with pytest.raises(ValueError):
        render([a, b], RenderParams(minmax=((0.0, 1.0),) * 2, channel=None))
