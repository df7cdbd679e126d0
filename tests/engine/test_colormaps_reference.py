"""Colormaps against independent references: matplotlib's tables where the engine's map
is matplotlib's (grey, cool, viridis, magma), the perceptual property
viridis and magma were designed for (CIELAB lightness rising from end to end, for
viridis at a steady rate; worked out here from sRGB by the CIE formulas), and for the
IIP maps (hot, cold, jet: the ones VisiOmatic's clients offer) their classic formulas worked out by hand at their knees --
hot three equal ramps, red then green then blue; cold the same with blue and red
exchanged; jet MATLAB's, from dark blue through cyan and yellow to dark red. Also through
the renderer: a ramp rendered with a colormap shows the reference colours, value by value.

matplotlib's own ``hot`` and ``jet`` are not the IIP ones (``hot`` has its knees at
0.365 and 0.746 and starts at dark red; ``jet`` is a piecewise version with other knots):
they are not used as references for those.
"""

import matplotlib
import numpy as np
import pytest

from tiles.engine import RenderParams, render
from tiles.engine.colormaps import COLORMAPS, FINGERPRINT, TABLES, fingerprint

X = np.linspace(0.0, 1.0, 256)


def reference(name):
    return np.round(matplotlib.colormaps[name](X)[:, :3] * 255.0).astype(int)


def test_every_colormap_has_a_reference_here():
    assert set(COLORMAPS) == {"grey", "cool", "viridis", "magma", "hot", "cold", "jet"}
    for table in TABLES.values():
        assert table.shape == (256, 3) and table.dtype == np.uint8


@pytest.mark.parametrize(("ours", "theirs"), [("grey", "gray"), ("cool", "cool")])
def test_tables_equal_matplotlibs(ours, theirs):
    assert np.abs(TABLES[ours].astype(int) - reference(theirs)).max() <= 1


@pytest.mark.parametrize("name", ["viridis", "magma"])
def test_perceptual_maps_equal_matplotlibs(name):
    assert np.abs(TABLES[name].astype(int) - reference(name)).max() <= 1


def lightness(rgb8):
    """CIELAB L* of sRGB colours (0-255), D65 white: the sRGB transfer function undone,
    Y from the linear channels (Rec. 709 primaries), then L* = 116 f(Y) - 16."""
    c = np.asarray(rgb8, float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    f = np.where(y > (6 / 29) ** 3, np.cbrt(y), y / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116.0 * f - 16.0


@pytest.mark.parametrize("name", ["viridis", "magma"])
def test_perceptual_maps_rise_in_lightness(name):
    """viridis and magma were designed to get lighter from end to end: every fourth entry
    is lighter than the one before (single steps of 1/255 can dip by rounding)."""
    assert (np.diff(lightness(TABLES[name])[::4]) > 0).all(), name


def test_viridis_rises_in_lightness_at_a_steady_rate():
    """viridis' lightness rises at a nearly constant rate (in CIELAB within 14 % of its
    mean over steps of 16 entries; the map of 9 linear anchors it replaces had kinks of
    26 %). magma is uniform in CAM02-UCS, not CIELAB, and is left out here."""
    rates = np.diff(lightness(TABLES["viridis"])[::16])
    assert np.abs(rates / rates.mean() - 1).max() < 0.2, rates / rates.mean()


def test_perceptual_maps_start_and_end_on_matplotlibs_colours():
    for name in ("viridis", "magma"):
        ref = reference(name)
        assert np.abs(TABLES[name][[0, 255]].astype(int) - ref[[0, 255]]).max() <= 1, name


def test_the_fingerprint_follows_every_table():
    """FINGERPRINT (for ETags of rendered tiles) is that of the tables, and changes when
    any one entry of any table does."""
    assert fingerprint(TABLES) == FINGERPRINT and len(FINGERPRINT) == 12
    seen = {FINGERPRINT}
    for name in COLORMAPS:
        for index, channel in ((0, 0), (128, 1), (255, 2)):
            changed = {n: t.copy() for n, t in TABLES.items()}
            changed[name][index, channel] ^= 1
            seen.add(fingerprint(changed))
    assert len(seen) == 1 + 3 * len(COLORMAPS)


def level(fraction):
    return int(round(fraction * 255))


# (x, (r, g, b) as fractions): hot is three ramps of a third each (red, then
# green, then blue), cold the same with blue and red exchanged, jet the classic
# clip(1.5 - |4x - k|) for k = 3, 2, 1 (dark blue at 0, dark red at 1).
KNEES = {
    "hot": [(0, (0, 0, 0)), (1 / 6, (0.5, 0, 0)), (1 / 3, (1, 0, 0)), (0.5, (1, 0.5, 0)),
            (2 / 3, (1, 1, 0)), (5 / 6, (1, 1, 0.5)), (1, (1, 1, 1))],
    "cold": [(0, (0, 0, 0)), (1 / 6, (0, 0, 0.5)), (1 / 3, (0, 0, 1)), (0.5, (0, 0.5, 1)),
             (2 / 3, (0, 1, 1)), (5 / 6, (0.5, 1, 1)), (1, (1, 1, 1))],
    "jet": [(0, (0, 0, 0.5)), (0.125, (0, 0, 1)), (0.375, (0, 1, 1)), (0.5, (0.5, 1, 0.5)),
            (0.625, (1, 1, 0)), (0.875, (1, 0, 0)), (1, (0.5, 0, 0))],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(KNEES))
def test_iip_maps_at_their_knees(name):
    """At the table entry nearest each knee, the colour worked out by hand, within the
    half step of 1/255 that the entry is away from the knee (at most 3 levels of a
    ramp of slope 3 or 4)."""
    table = TABLES[name].astype(int)
    for x, rgb in KNEES[name]:
        index = int(round(x * 255))
        expected = [level(c) for c in rgb]
        assert np.abs(table[index] - expected).max() <= 3, (name, x, table[index], expected)


def test_iip_maps_are_monotonic_ramps():
    """hot and cold: each channel never decreases; jet: red rises then falls only at the
    end, blue the reverse."""
    for name in ("hot", "cold"):
        assert (np.diff(TABLES[name].astype(int), axis=0) >= 0).all(), name
    red, _green, blue = TABLES["jet"].astype(int).T
    assert (np.diff(red[: level(0.875) + 1]) >= 0).all() and (
        np.diff(blue[level(0.125) :]) <= 0
    ).all()


@pytest.mark.parametrize(("ours", "theirs"), [("grey", "gray"), ("cool", "cool")])
def test_a_rendered_ramp_shows_the_reference_colours(ours, theirs):
    """Values 0..255 cut at (0, 255), linear, no gamma: pixel v has colour v of the
    reference table."""
    ramp = np.arange(256, dtype=np.float32)[None, None, :]
    params = RenderParams(minmax=((0.0, 255.0),), channel=0, colormap=ours, gamma=1.0,
                          contrast=1.0, brightness=0.0, stretch="linear", fmt="png")  # fmt: skip
    pixels, _alpha = render(ramp, params)
    rgb = pixels[0, :, :3].astype(int) if pixels.ndim == 3 else np.stack([pixels[0]] * 3, 1)
    assert np.abs(rgb - reference(theirs)).max() <= 1
