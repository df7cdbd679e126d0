"""Fused loops of the colour mix, compiled by numba.

In numpy the mix of N channels takes about 4N + 8 passes over the tile (scale, clip, NaN,
product, quantise, three gathers, two ORs), most of them through temporaries. Here it
is one pass per channel (scale, clip, accumulate the three colours) and one pass to
quantise, look the gamma table up and pack RGBX words.

Compiled once per signature at import (``cache=True`` keeps the machine code on disk,
so later imports take milliseconds); ``nogil`` lets tile threads run them in parallel.
Arrays must be C-contiguous: tiles are copied out of the pyramid first (one ``memcpy``
a plane, cheaper than the strided reads it replaces).
"""

import numpy as np
from numba import njit, types

_OPTIONS = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")
_TABLE = types.Array(types.uint8, 1, "C", readonly=True)  # the cached gamma tables


@njit(inline="always", **_OPTIONS)
def _unit(x, a, b):
    """``clip(x * a + b, 0, 1)`` in float32, NaN counting as 0: a channel's share."""
    v = x * a + b
    v = v if v > np.float32(0) else np.float32(0)  # NaN fails the test: 0
    return v if v < np.float32(1) else np.float32(1)


@njit(
    "void(float32[:, ::1], float32, float32, float32[::1], float32[:, :, ::1], boolean)",
    **_OPTIONS,
)
def mix_channel(plane, a, b, weights, acc, first):
    """``acc[k] (+)= weights[k] * clip(plane * a + b, 0, 1)`` for the three colours ``k``;
    NaN counts as 0. ``first``: assign instead of adding."""
    height, width = plane.shape
    w0, w1, w2 = weights[0], weights[1], weights[2]
    for i in range(height):
        row, red, green, blue = plane[i], acc[0, i], acc[1, i], acc[2, i]
        if first:
            for j in range(width):
                v = _unit(row[j], a, b)
                red[j] = w0 * v
                green[j] = w1 * v
                blue[j] = w2 * v
        else:
            for j in range(width):
                v = _unit(row[j], a, b)
                red[j] += w0 * v
                green[j] += w1 * v
                blue[j] += w2 * v


@njit(
    types.void(types.float32[:, :, ::1], types.float32, _TABLE, types.uint32[::1],
               types.uint32[:, ::1]),
    **_OPTIONS,
)  # fmt: skip
def pack_rgbx(acc, high, table, shifts, out):
    """``out`` = RGBX words of ``table[int(clip(acc[k], 0, high))]`` for the colours ``k``,
    each byte shifted into its place by ``shifts[k]``."""
    _, height, width = acc.shape
    zero = np.float32(0)
    s0, s1, s2 = shifts[0], shifts[1], shifts[2]
    index = np.empty((3, width), np.int32)
    for i in range(height):
        for k in range(3):  # clip and truncate: vectorised
            colour, keys = acc[k, i], index[k]
            for j in range(width):
                v = colour[j] if colour[j] > zero else zero
                keys[j] = np.int32(v if v < high else high)
        red, green, blue, row = index[0], index[1], index[2], out[i]
        for j in range(width):  # the gathers
            row[j] = (
                (np.uint32(table[red[j]]) << s0)
                | (np.uint32(table[green[j]]) << s1)
                | (np.uint32(table[blue[j]]) << s2)
            )


# --- mono tiles, and colour mixes that are grey -------------------------------------------
# The planes come C-contiguous (copied out of the pyramid, as for the mix): strided rows
# keep the index loop from being vectorised, which costs more than the copy.
_PLANE = types.Array(types.float32, 2, "C")
_WORDS = types.Array(types.uint32, 1, "C", readonly=True)  # colormap tables (RGBX words)


@njit(
    [
        types.void(_PLANE, types.float32, types.float32, types.float32, _TABLE,
                   types.uint8[:, ::1]),
        types.void(_PLANE, types.float32, types.float32, types.float32, _WORDS,
                   types.uint32[:, ::1]),
    ],
    **_OPTIONS,
)  # fmt: skip
def lookup(plane, a, b, high, table, out):
    """``out = table[int(clip(plane * a + b, 0, high))]``, NaN counting as 0: the mono
    rendering's quantisation (``x * a``, then ``+ b``, in float32) and its table, a row
    at a time."""
    height, width = plane.shape
    zero = np.float32(0)
    index = np.empty(width, np.int32)
    for i in range(height):
        row, pixels = plane[i], out[i]
        for j in range(width):  # quantise: vectorised
            v = row[j] * a
            v = v + b
            v = v if v > zero else zero  # NaN fails the test: 0
            index[j] = np.int32(v if v < high else high)
        for j in range(width):  # the gather
            pixels[j] = table[index[j]]


@njit("void(float32[:, ::1], float32, float32, float32, float32[:, ::1], boolean)", **_OPTIONS)
def mix_grey_channel(plane, a, b, weight, acc, first):
    """``mix_channel`` of a mix whose colours are equal: ``acc (+)= weight * clip(plane
    * a + b, 0, 1)``, the one colour all three would be."""
    height, width = plane.shape
    for i in range(height):
        row, grey = plane[i], acc[i]
        if first:
            for j in range(width):
                grey[j] = weight * _unit(row[j], a, b)
        else:
            for j in range(width):
                grey[j] += weight * _unit(row[j], a, b)


@njit(types.void(types.float32[:, ::1], types.float32, _TABLE, types.uint8[:, ::1]), **_OPTIONS)
def pack_grey(acc, high, table, out):
    """``pack_rgbx`` of one colour: ``out = table[int(clip(acc, 0, high))]``."""
    height, width = acc.shape
    zero = np.float32(0)
    index = np.empty(width, np.int32)
    for i in range(height):
        grey = acc[i]
        for j in range(width):  # clip and truncate: vectorised
            v = grey[j] if grey[j] > zero else zero
            index[j] = np.int32(v if v < high else high)
        row = out[i]
        for j in range(width):  # the gather
            row[j] = table[index[j]]
