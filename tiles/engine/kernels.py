"""Fused loops of the rendering, compiled by numba.

In numpy the mix of N channels takes about 4N + 8 passes over the tile (scale, clip, NaN,
product, quantise, three gathers, two ORs), most of them through temporaries. Here a
tile is one pass: each row of the output is computed from the rows of its channels
(scale, clip, accumulate the three colours in a row buffer, quantise, look the gamma
table up, pack RGBX words) before the next row is read.

A channel is given as its 2-D view (``plane``) and a 1-D C-contiguous array over the
memory that holds it (``flat``), and its rows are read as slices of ``flat``: contiguous,
so the loops over them are vectorised (over a strided view they are not: numba does not
know its rows are contiguous). ``flat`` may be a whole level of the pyramid with the tile
inside it; the renderer passes copies (see ``render._source``). A view that is not inside
its ``flat`` (or whose columns are not adjacent) is refused: the kernel returns False
before writing anything.

Compiled once per signature (``cache=True`` keeps the machine code on disk, so later
imports take milliseconds); ``nogil`` lets tile threads run them in parallel.
"""

import numpy as np
from numba import njit, types

_OPTIONS = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")
_TABLE = types.Array(types.uint8, 1, "C", readonly=True)  # the cached gamma tables
_WORDS = types.Array(types.uint32, 1, "C", readonly=True)  # colormap tables (RGBX words)
_FLAT = types.Array(types.float32, 1, "C", readonly=True)  # the memory of a channel's plane
_VIEW = types.Array(types.float32, 2, "A", readonly=True)  # the plane, rows as in the tile


@njit(inline="always", **_OPTIONS)
def _unit(x, a, b):
    """``clip(x * a + b, 0, 1)`` in float32, NaN counting as 0: a channel's share."""
    v = x * a + b
    v = v if v > np.float32(0) else np.float32(0)  # NaN fails the test: 0
    return v if v < np.float32(1) else np.float32(1)


@njit(inline="always", **_OPTIONS)
def _key(v, high):
    """``int(clip(v, 0, high))``, NaN counting as 0: a table index."""
    v = v if v > np.float32(0) else np.float32(0)
    return np.int32(v if v < high else high)


@njit(inline="always", **_OPTIONS)
def _rows(flat, plane):
    """(start, step): the rows of ``plane`` are ``flat[start + i * step:][:width]``;
    (-1, 0) when they are not all inside ``flat`` or their columns not adjacent."""
    height, width = plane.shape
    offset = np.int64(plane.ctypes.data) - np.int64(flat.ctypes.data)
    stride = np.int64(plane.strides[0])
    if offset % 4 or stride % 4 or (width > 1 and plane.strides[1] != 4) or height == 0:
        return np.int64(-1), np.int64(0)
    start, step = offset // 4, stride // 4
    last = start + (height - 1) * step
    if min(start, last) < 0 or max(start, last) + width > flat.size:
        return np.int64(-1), np.int64(0)
    return start, step


@njit(
    [
        types.boolean(_FLAT, _VIEW, types.float32, types.float32, types.float32, _TABLE,
                      types.uint8[:, ::1]),
        types.boolean(_FLAT, _VIEW, types.float32, types.float32, types.float32, _WORDS,
                      types.uint32[:, ::1]),
    ],
    **_OPTIONS,
)  # fmt: skip
def lookup(flat, plane, a, b, high, table, out):
    """``out = table[int(clip(plane * a + b, 0, high))]``, NaN counting as 0: the mono
    rendering's quantisation (``x * a``, then ``+ b``, in float32) and its table, a row
    at a time. False (nothing written): ``plane`` is not inside ``flat``."""
    start, step = _rows(flat, plane)
    height, width = out.shape
    if start < 0 or plane.shape[0] != height or plane.shape[1] != width:
        return False
    zero = np.float32(0)
    index = np.empty(width, np.int32)
    for i in range(height):
        first = start + i * step
        row, pixels = flat[first : first + width], out[i]
        for j in range(width):  # quantise: vectorised
            v = row[j] * a
            v = v + b
            v = v if v > zero else zero  # NaN fails the test: 0
            index[j] = np.int32(v if v < high else high)
        for j in range(width):  # the gather
            pixels[j] = table[index[j]]
    return True


# A colour mix reads at most ``GROUP`` channels in one call (more arguments than a few
# arrays and numbers, or a tuple of arrays, cost more to pass than a small tile to
# render); the sums of a larger mix are carried in ``acc`` from one group to the next.
GROUP = 3
_SOURCE = (_FLAT, _VIEW, types.float32, types.float32)
_GROUP = _SOURCE * GROUP + (types.int64, types.Array(types.float32, 2, "C", readonly=True),
                            types.float32[:, :, ::1], types.boolean, types.boolean, types.float32,
                            _TABLE)  # fmt: skip


@njit(inline="always", **_OPTIONS)
def _pick(k, s0, s1, s2):
    """The ``k``-th of three sources."""
    if k == 0:
        return s0
    if k == 1:
        return s1
    return s2


@njit(inline="always", **_OPTIONS)
def _where(f0, p0, f1, p1, f2, p2, count):
    """``_rows`` of the first ``count`` sources, as (starts, steps); starts[0] < 0 when
    one of them is refused."""
    starts, steps = np.empty(3, np.int64), np.empty(3, np.int64)
    for k in range(count):
        flat, plane = _pick(k, (f0, p0), (f1, p1), (f2, p2))
        start, step = _rows(flat, plane)
        if start < 0 or plane.shape[0] != p0.shape[0] or plane.shape[1] != p0.shape[1]:
            starts[0] = -1
            return starts, steps
        starts[k], steps[k] = start, step
    return starts, steps


@njit(types.boolean(*_GROUP, types.uint32[::1], types.uint32[:, ::1]), **_OPTIONS)
def mix_rgbx(f0, p0, a0, b0, f1, p1, a1, b1, f2, p2, a2, b2, count, weights, acc, first, last,
             high, table, shifts, out):  # fmt: skip
    """RGBX words of the colour mix of ``count`` (1 to 3) channels ``k``, each the plane
    ``p_k`` inside ``f_k``: ``sum_k weights[k, c] * clip(x_k * a_k +
    b_k, 0, 1)`` for the colours ``c`` (NaN counting as 0, the channels added in order),
    then ``out`` = the words of ``table[int(clip(sum, 0, high))]``, colour ``c``'s byte
    shifted by ``shifts[c]``. The sums are those of whole planes added one after the
    other, made a row at a time (the row stays in the cache).

    A larger mix, a group of channels at a time: not ``first``, the sums start from
    ``acc`` (3, h, w); not ``last``, they are left there instead of being packed.
    False (nothing written): a plane is not inside its ``flat``.
    """
    starts, steps = _where(f0, p0, f1, p1, f2, p2, count)
    height, width = out.shape
    if starts[0] < 0 or p0.shape[0] != height or p0.shape[1] != width:
        return False
    sh0, sh1, sh2 = shifts[0], shifts[1], shifts[2]
    rows = np.empty((3, width), np.float32)
    index = np.empty((3, width), np.int32)
    kr, kg, kb = index[0], index[1], index[2]
    for i in range(height):
        if first and last:
            red, green, blue = rows[0], rows[1], rows[2]
        else:
            red, green, blue = acc[0, i], acc[1, i], acc[2, i]
        for k in range(count):
            flat, a, b = _pick(k, (f0, a0, b0), (f1, a1, b1), (f2, a2, b2))
            first_pixel = starts[k] + i * steps[k]
            row = flat[first_pixel : first_pixel + width]
            w0, w1, w2 = weights[k, 0], weights[k, 1], weights[k, 2]
            assign = first and k == 0
            if last and k == count - 1:  # the last channel: add, clip and truncate
                if assign:
                    for j in range(width):
                        v = _unit(row[j], a, b)
                        kr[j] = _key(w0 * v, high)
                        kg[j] = _key(w1 * v, high)
                        kb[j] = _key(w2 * v, high)
                else:
                    for j in range(width):
                        v = _unit(row[j], a, b)
                        kr[j] = _key(red[j] + w0 * v, high)
                        kg[j] = _key(green[j] + w1 * v, high)
                        kb[j] = _key(blue[j] + w2 * v, high)
            elif assign:
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
        if last:
            pixels = out[i]
            for j in range(width):  # the gathers
                pixels[j] = (
                    (np.uint32(table[kr[j]]) << sh0)
                    | (np.uint32(table[kg[j]]) << sh1)
                    | (np.uint32(table[kb[j]]) << sh2)
                )
    return True


@njit(types.boolean(*_GROUP, types.uint8[:, ::1]), **_OPTIONS)
def mix_grey(f0, p0, a0, b0, f1, p1, a1, b1, f2, p2, a2, b2, count, weights, acc, first, last,
             high, table, out):  # fmt: skip
    """``mix_rgbx`` of a mix whose colours are equal: the one colour all three would be,
    ``table[int(clip(sum_k weights[k, 0] * clip(x_k * a_k + b_k, 0, 1), 0, high))]``
    (``acc``: (1, h, w)). False (nothing written): a plane is not inside its ``flat``."""
    starts, steps = _where(f0, p0, f1, p1, f2, p2, count)
    height, width = out.shape
    if starts[0] < 0 or p0.shape[0] != height or p0.shape[1] != width:
        return False
    rows = np.empty(width, np.float32)
    index = np.empty(width, np.int32)
    for i in range(height):
        grey = rows if first and last else acc[0, i]
        for k in range(count):
            flat, a, b = _pick(k, (f0, a0, b0), (f1, a1, b1), (f2, a2, b2))
            first_pixel = starts[k] + i * steps[k]
            row = flat[first_pixel : first_pixel + width]
            w = weights[k, 0]
            assign = first and k == 0
            if last and k == count - 1:
                if assign:
                    for j in range(width):
                        index[j] = _key(w * _unit(row[j], a, b), high)
                else:
                    for j in range(width):
                        index[j] = _key(grey[j] + w * _unit(row[j], a, b), high)
            elif assign:
                for j in range(width):
                    grey[j] = w * _unit(row[j], a, b)
            else:
                for j in range(width):
                    grey[j] += w * _unit(row[j], a, b)
        if last:
            pixels = out[i]
            for j in range(width):  # the gather
                pixels[j] = table[index[j]]
    return True
