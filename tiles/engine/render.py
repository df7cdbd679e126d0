"""Rendering float pixels to 8-bit: cuts, stretch, contrast, brightness, gamma, colour.

The IIP definitions (mono channel ``c`` with cuts ``lo, hi``):

    f = CNT / (hi - lo)            (a huge factor when hi <= lo)
    v = clip((x - lo) * f + 0.01 * CNT * BRT, 0, 1),  NaN -> 0
    out = uint8(255.49 * v ** (1 / GAM)),  INV: 255 - out, then the colormap.

Colour mode scales every channel the same way (without the power), mixes them to RGB by
a 3 x N matrix, clips to [0, 1], then applies the power, the scale and the inversion.

Speed: ``v`` is quantised to a 16-bit index (``x * a + b`` then clip) and everything
after it (power, stretch, inversion, colormap) is one lookup table, cached per parameter
set. A mono tile is one pass (``kernels.lookup``) over its plane copied out of the
pyramid (contiguous rows: the loop is vectorised); the colour mix runs in fused loops
(``kernels``). Scratch buffers are reused per thread: page faults cost more than
arithmetic here.
"""

import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from tiles.engine import kernels
from tiles.engine.colormaps import COLORMAPS, TABLES
from tiles.engine.errors import ParameterError

STEPS = 65535  # quantisation of v before the lookup table
HUGE = np.float32(1e30)
STRETCHES = ("linear", "sqrt", "log", "asinh")
LOG_A = 1000.0
ASINH_BETA = 0.1


@dataclass(frozen=True)
class RenderParams:
    """How to turn float pixels into 8-bit ones. Channels are 0-based here.

    ``channel`` set: mono mode on that channel; None: colour mode over every channel.
    ``minmax``: (lo, hi) per channel of the image. ``mix``: per channel its (r, g, b)
    weights (the columns of the 3 x N matrix), or None for all ones.

    The defaults here are neutral (no gamma, libjpeg's usual quality of 75), for callers
    of the engine itself: what the portal serves when a parameter is left out is declared
    in ``tiles/params.py``, which always gives every field.
    """

    minmax: tuple
    channel: int | None = 0
    mix: tuple | None = None
    colormap: str = "grey"
    invert: bool = False
    contrast: float = 1.0
    brightness: float = 0.0
    gamma: float = 1.0
    stretch: str = "linear"
    quality: int = 75
    fmt: str = "jpeg"
    smooth: float = 0.0  # Gaussian sigma in full-resolution pixels, before the cuts
    _key: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        if self.colormap not in COLORMAPS:
            raise ParameterError(
                f"Unknown colormap '{self.colormap}' (one of: {', '.join(COLORMAPS)})."
            )
        if self.stretch not in STRETCHES:
            raise ParameterError(
                f"Unknown stretch '{self.stretch}' (one of: {', '.join(STRETCHES)})."
            )
        if not self.gamma > 0:
            raise ParameterError("gamma must be > 0.")
        if not self.smooth >= 0:
            raise ParameterError("smooth must be >= 0.")
        nchannels = len(self.minmax)
        if self.channel is not None and not 0 <= self.channel < nchannels:
            raise ParameterError(f"Channel {self.channel + 1} is outside 1..{nchannels}.")
        if self.mix is not None and len(self.mix) != nchannels:
            raise ParameterError(f"The mix needs one (r, g, b) per channel ({nchannels}).")

    def key(self):
        """A short canonical string of every parameter, for caches and ETags."""
        if not self._key:
            mix = "" if self.mix is None else _mix_text(self.mix)
            cuts = _cuts_text(self.minmax)
            text = (
                f"c{self.channel}|m{mix}|k{cuts}|{self.colormap}|i{int(self.invert)}|"
                f"{self.contrast:.6g}|{self.brightness:.6g}|{self.gamma:.6g}|{self.stretch}|"
                f"q{self.quality}|{self.fmt}|s{self.smooth:.6g}"
            )
            object.__setattr__(self, "_key", text)
        return self._key

    @property
    def channels_needed(self):
        """Channels the rendering reads (one in mono mode; with an all-zero mix, the
        first: its weights make the image black, and its shape gives the image's)."""
        if self.channel is not None:
            return [self.channel]
        if self.mix is None:
            return list(range(len(self.minmax)))
        return [c for c, rgb in enumerate(self.mix) if any(rgb)] or [0]


# The texts of mixes and cuts, as ``key`` writes them, remembered: a viewing session
# repeats a few. A -0.0 (written "-0") equals 0.0 as a cache key: those are not kept.
def _mix_text(mix):
    if _negative_zero(mix):
        return _write_mix(mix)
    return _remembered_mix_text(mix)


def _write_mix(mix):
    return ";".join(",".join(f"{w:.6g}" for w in rgb) for rgb in mix)


_remembered_mix_text = lru_cache(maxsize=1024)(_write_mix)


def _cuts_text(minmax):
    if _negative_zero(minmax):
        return _write_cuts(minmax)
    return _remembered_cuts_text(minmax)


def _write_cuts(minmax):
    return ";".join(f"{lo:.9g},{hi:.9g}" for lo, hi in minmax)


_remembered_cuts_text = lru_cache(maxsize=1024)(_write_cuts)


def _negative_zero(rows):
    return any(v == 0 and math.copysign(1.0, v) < 0 for row in rows for v in row)


def mix_from_iip(rows, nchannels):
    """The per-channel (r, g, b) mix of the IIP ``MIX`` rows ``{channel (0-based): rgb}``.

    Each colour is interpolated linearly across channel indices between the given
    channels (held constant beyond them) and multiplied by 3/N. No rows: None (all ones).
    """
    if not rows:
        return None
    given = tuple(sorted((c, tuple(rgb)) for c, rgb in rows.items()))
    if _negative_zero(rgb for _c, rgb in given):
        return _interpolated_mix(given, nchannels)
    return _remembered_mix(given, nchannels)


def _interpolated_mix(rows, nchannels):
    """``mix_from_iip`` of ``rows`` as sorted (channel, rgb) pairs."""
    given = [c for c, _rgb in rows]
    positions = np.array(given, float)
    values = np.array([rgb for _c, rgb in rows], float)
    channels = np.arange(nchannels, dtype=float)
    columns = [np.interp(channels, positions, values[:, k]) for k in range(3)]
    scale = 3.0 / nchannels
    return tuple(tuple(float(columns[k][c] * scale) for k in range(3)) for c in range(nchannels))


_remembered_mix = lru_cache(maxsize=256)(_interpolated_mix)


def default_mix_rows(nchannels):
    """A colour composite of ``nchannels`` channels, as ``mix_from_iip`` rows (channel:
    (r, g, b), before the 3/N): the first channel blue, the middle green, the last red,
    the others between (a cube's planes in order of wavelength, as is usual); two channels
    blue-cyan and orange. Each colour's rows add up to about N/3, so the mix (times 3/N)
    is about white where every channel is at its upper cut."""
    if nchannels == 1:
        return ((1.0, 1.0, 1.0),)
    if nchannels == 2:
        return ((0.0, 1 / 3, 2 / 3), (2 / 3, 1 / 3, 0.0))
    t = np.arange(nchannels) / (nchannels - 1)  # 0: blue .. 0.5: green .. 1: red
    red = np.clip(2 * t - 1, 0, 1)
    blue = np.clip(1 - 2 * t, 0, 1)
    green = 1 - red - blue
    return tuple((float(r), float(g), float(b)) for r, g, b in zip(red, green, blue, strict=True))


def apply_saturation(mix, saturation):
    """Fold a colour saturation into a mix: each channel's colour pushed away from grey."""
    if mix is None or saturation == 1.0:
        return mix
    result = []
    for r, g, b in mix:
        grey = (r + g + b) / 3.0
        result.append(tuple(grey + saturation * (w - grey) for w in (r, g, b)))
    return tuple(result)


# --- lookup tables -------------------------------------------------------------------


def _stretch(u, name):
    if name == "sqrt":
        return np.sqrt(u)
    if name == "log":
        return np.log10(1.0 + LOG_A * u) / np.log10(1.0 + LOG_A)
    if name == "asinh":
        return np.arcsinh(u / ASINH_BETA) / np.arcsinh(1.0 / ASINH_BETA)
    return u


@lru_cache(maxsize=256)
def _lut(stretch, contrast, brightness, gamma, invert, colormap, steps=STEPS):
    """Table from the 16-bit index to output pixels: uint8 grey, or for a colormap
    uint32 RGBX words (one gather gives whole pixels; view them as 4 bytes).

    Linear stretch: the index is already ``v``. Other stretches: the index is the cut
    fraction ``u``, and contrast/brightness apply after the stretch.
    """
    index = np.arange(steps + 1, dtype=np.float64) / steps
    if stretch == "linear":
        v = index
    else:
        v = np.clip(_stretch(index, stretch) * contrast + 0.01 * contrast * brightness, 0.0, 1.0)
    out = (255.49 * v ** (1.0 / gamma)).astype(np.uint8)
    if invert:
        out = 255 - out
    if colormap != "grey":
        rgbx = np.zeros((steps + 1, 4), np.uint8)
        rgbx[:, :3] = TABLES[colormap][out]
        out = rgbx.view(np.uint32)[:, 0]
    out.setflags(write=False)
    return out


@lru_cache(maxsize=64)
def _gamma_lut(gamma, invert, steps=STEPS):
    out = (255.49 * (np.arange(steps + 1) / steps) ** (1.0 / gamma)).astype(np.uint8)
    if invert:
        out = 255 - out
    out.setflags(write=False)
    return out


def affine(lo, hi, contrast, brightness, stretch, steps=STEPS):
    """(a, b) such that ``x * a + b`` is the table index before clipping to [0, steps]."""
    if stretch == "linear":
        f = contrast / (hi - lo) if hi > lo else float(HUGE)
        offset = 0.01 * contrast * brightness
        a = f * steps
        b = (offset - lo * f) * steps
    else:
        a = steps / (hi - lo) if hi > lo else float(HUGE)
        b = -lo * a
    with np.errstate(over="ignore"):
        a, b = np.float32(a), np.float32(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        # hi <= lo with a large |lo| (b = -lo * 1e30 * steps beyond float32 from about
        # 5200): keep the step at lo without overflowing b.
        return None
    return a, b


# --- quantisation ----------------------------------------------------------------------


def _nan_casts_to_zero():
    probe = np.array([np.nan, 1.0], np.float32)
    out = np.empty(2, np.uint16)
    with np.errstate(invalid="ignore"):
        np.copyto(out, probe, casting="unsafe")
    return out[0] == 0


# Casting NaN to an integer is undefined in C; on x86-64 it gives 0, which is what NaN
# must render as. Where it does not, NaN is zeroed explicitly (two slower passes).
_NAN_TO_ZERO_BY_CAST = _nan_casts_to_zero()


def _quantise(t, high, index):
    """``index = uint16(clip(t, 0, high))`` with NaN -> 0; ``t`` is overwritten."""
    if _NAN_TO_ZERO_BY_CAST:
        np.clip(t, np.float32(0), np.float32(high), out=t)
    else:
        np.fmax(t, np.float32(0), out=t)  # fmax turns NaN into 0
        np.fmin(t, np.float32(high), out=t)
    np.copyto(index, t, casting="unsafe")
    return index


# --- scratch buffers -------------------------------------------------------------------

_scratch = threading.local()


def _buffer(name, shape, dtype):
    """A per-thread reusable array of at least ``shape`` (returned reshaped)."""
    size = math.prod(shape)
    try:
        buffers = _scratch.buffers
    except AttributeError:
        buffers = _scratch.buffers = {}
    key = (name, dtype)  # a dtype or its type: equal ones share the buffer
    buf = buffers.get(key)
    if buf is None or buf.size < size:
        buf = buffers[key] = np.empty(max(size, 256 * 256 * 3), dtype)
    return buf[:size].reshape(shape)


def _apply_affine(x, coefficients, lo, out):
    """``out = x * a + b`` (two passes), or the hi <= lo step ``(x - lo) * HUGE``."""
    if coefficients is None:
        np.subtract(x, np.float32(lo), out=out)
        np.multiply(out, HUGE, out=out)
    else:
        a, b = coefficients
        np.multiply(x, a, out=out)
        np.add(out, b, out=out)
    return out


def _index(x, lo, hi, contrast, brightness, stretch, out_name="idx"):
    """uint16 table indices of float pixels ``x`` (any shape); NaN gives 0."""
    t = _buffer("t", x.shape, np.float32)
    _apply_affine(x, affine(lo, hi, contrast, brightness, stretch), lo, t)
    return _quantise(t, STEPS, _buffer(out_name, x.shape, np.uint16))


def render(data, params, scratch=False, grey_when_equal=False):
    """8-bit pixels of ``data``: the float32 planes of ``params.channels_needed`` in that
    order, as an (n, h, w) array or a sequence of (h, w) arrays (views are fine: tiles
    are slices of the pyramid, never copied).

    Returns (pixels, alpha): pixels uint8 (h, w) for grey mono, else (h, w, 4) RGBX (the
    4th byte is padding, ignored by the encoders); alpha is None for JPEG,
    else uint8 (h, w), 0 where every plane is NaN. With ``scratch``, the pixels are
    written to a buffer of this thread, valid until its next render (no new memory:
    for a caller that encodes them at once). With ``grey_when_equal``, a JPEG in colour
    mode whose every channel weighs red, green and blue alike (no ``mix``: all ones) is
    returned as its grey (h, w) -- the three colours are that byte, and a grey JPEG
    decodes to the same pixels for a third of the encoding.
    """
    # Overflow to +-inf is intended (it clips to 0 or 255), as is NaN (it renders as 0).
    with np.errstate(over="ignore", invalid="ignore"):
        if params.channel is not None:
            pixels = _render_mono(data[0], params, scratch)
        else:
            grey = grey_when_equal and params.fmt == "jpeg" and _equal_weights(params)
            pixels = _render_colour(data, params, scratch, grey)
    alpha = None
    if params.fmt != "jpeg":
        blank = np.isnan(data[0])
        for plane in data[1:]:
            blank &= np.isnan(plane)
        alpha = np.where(blank, 0, 255).astype(np.uint8)
    return pixels, alpha


def _equal_weights(params):
    """Whether every channel of the colour mix weighs red, green and blue alike."""
    mix = params.mix
    return mix is None or all(mix[c][0] == mix[c][1] == mix[c][2] for c in params.channels_needed)


def _one_pass(plane):
    """Whether ``kernels.lookup`` takes ``plane``: float32 (native order), (h, w)."""
    return plane.dtype == _FLOAT32 and plane.ndim == 2


_FLOAT32 = np.dtype(np.float32)


def _output(shape, dtype, scratch):
    return _buffer("out", shape, dtype) if scratch else np.empty(shape, dtype)


def _render_mono(plane, params, scratch=False):
    lo, hi = params.minmax[params.channel]
    lut = _lut(params.stretch, params.contrast, params.brightness, params.gamma,
               params.invert, params.colormap)  # fmt: skip
    coefficients = affine(lo, hi, params.contrast, params.brightness, params.stretch)
    if coefficients is not None and _one_pass(plane):
        contiguous = _buffer("plane", plane.shape, np.float32)
        np.copyto(contiguous, plane)
        pixels = _output(plane.shape, lut.dtype, scratch)
        kernels.lookup(contiguous, *coefficients, np.float32(STEPS), lut, pixels)
    else:
        index = _index(plane, lo, hi, params.contrast, params.brightness, params.stretch)
        pixels = np.take(lut, index, out=_output(index.shape, lut.dtype, scratch))
    if lut.dtype == np.uint32:  # RGBX words: (h, w, 4) bytes, X ignored by encoders
        return pixels.view(np.uint8).reshape(*plane.shape, 4)
    return pixels


def _render_colour(data, params, scratch=False, grey=False):
    """Mix every channel (scaled, unpowered) to RGB, then gamma and inversion.

    One fused pass per channel accumulates the three colours (``kernels.mix_channel``),
    one more quantises, applies the gamma table and packs RGBX words. With ``grey`` (the
    mix's colours are equal): the one colour, accumulated and looked up the same way,
    as (h, w) grey.
    """
    height, width = data[0].shape
    channels = params.channels_needed
    mix = params.mix
    weights = _weights(mix, channels)
    acc = _buffer("rgb", (1 if grey else 3, height, width), np.float32)
    for row, c in enumerate(channels):
        lo, hi = params.minmax[c]
        coefficients = None
        if params.stretch == "linear":
            coefficients = affine(lo, hi, params.contrast, params.brightness, "linear", steps=1)
        plane = _buffer("plane", (height, width), np.float32)
        if coefficients is None:  # other stretches, or the hi <= lo step: numpy first
            _scaled_plane(data[row], lo, hi, params, plane)
            coefficients = (np.float32(1), np.float32(0))
        else:
            np.copyto(plane, data[row])  # contiguous for the kernel
        if grey:
            kernels.mix_grey_channel(plane, *coefficients, weights[row, 0], acc[0], row == 0)
        else:
            kernels.mix_channel(plane, *coefficients, weights[row], acc, row == 0)
    if not channels:
        acc.fill(0)
    table = _gamma_lut(params.gamma, params.invert)
    if grey:
        pixels = _output((height, width), np.uint8, scratch)
        kernels.pack_grey(acc[0], np.float32(STEPS), table, pixels)
        return pixels
    pixels = _output((height, width), np.uint32, scratch)
    kernels.pack_rgbx(acc, np.float32(STEPS), table, _RGBX_SHIFTS, pixels)
    return pixels.view(np.uint8).reshape(height, width, 4)


def _weights(mix, channels):
    """(N, 3) float32: each channel's (r, g, b) mix weights times ``STEPS``; remembered
    per mix (a viewing session repeats a few), not to be written to."""
    try:
        return _remembered_weights(mix, tuple(channels))
    except TypeError:  # a mix given as lists
        return _channel_weights(mix, channels)


def _channel_weights(mix, channels):
    rows = [mix[c] for c in channels] if mix is not None else [(1.0, 1.0, 1.0)] * len(channels)
    weights = np.array(rows, np.float32).reshape(len(channels), 3)
    weights *= np.float32(STEPS)
    return weights


_remembered_weights = lru_cache(maxsize=256)(_channel_weights)


# Where red, green and blue go in a uint32 word whose bytes read R, G, B, X in memory.
_RGBX_SHIFTS = np.array((0, 8, 16) if np.little_endian else (24, 16, 8), np.uint32)


def _scaled_plane(plane, lo, hi, params, out):
    """``clip(v, 0, 1)`` of one channel (no power), into ``out``."""
    if params.stretch == "linear":
        coefficients = affine(lo, hi, params.contrast, params.brightness, "linear", steps=1)
        _apply_affine(plane, coefficients, lo, out)
        np.clip(out, np.float32(0), np.float32(1), out=out)
        if np.isnan(out).any():  # NaN -> 0 before the mix (rare: one cheap test)
            np.nan_to_num(out, copy=False, nan=0.0)
        return
    shifted = np.nan_to_num(plane, nan=lo) - lo
    u = np.clip(shifted / (hi - lo) if hi > lo else shifted * HUGE, 0.0, 1.0)  # hi <= lo: a step
    s = _stretch(u, params.stretch) * params.contrast + 0.01 * params.contrast * params.brightness
    np.clip(s, 0.0, 1.0, out=out, casting="unsafe")
