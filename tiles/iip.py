"""The IIP / VisiOmatic query string, parsed into typed values.

This module is the one place where IIP parameter strings become numbers. It knows the
protocol (names, formats, ranges, defaults, the repeatable parameters) and nothing of
Django: it takes ``(name, value)`` pairs and raises ``ParameterError`` with a message
naming the parameter. Conventions are the protocol's: channels 1-based, ``VAL``/``PFL``
pixels FITS 1-based, ``RGN`` pixels 1-based from the top left, ``JTL`` resolution 0 =
coarsest.
"""

import math
from dataclasses import dataclass, field

from tiles.engine import ParameterError, RenderParams, mix_from_iip

MAX_VALUE_LENGTH = 1024
MAX_REPEATS = 4096

DEFAULT_COLORMAP = "grey"
DEFAULT_CONTRAST = 1.0
DEFAULT_BRIGHTNESS = 0.0
DEFAULT_GAMMA = 2.2
DEFAULT_QUALITY = 95
DEFAULT_SATURATION = 1.5
IIP_COLORMAPS = ("grey", "jet", "cold", "cool", "hot")

FLAGS = {"OBJ", "INFO", "INV"}
REPEATABLE = {"CHAN", "MINMAX", "MIX"}
SCALARS = {"FIF", "JTL", "CMP", "CNT", "BRT", "GAM", "QLT", "VAL", "PFL", "RGN", "BIN"}
# Standard IIP parameters a generic client may send; accepted and not used.
IGNORED = {"CVT", "SDS", "WID", "HEI", "CTW", "SHD", "LYR", "SPECTRA", "CNV", "DEEPZOOM"}


@dataclass
class IIPRequest:
    fif: str | None = None
    obj: bool = False
    info: bool = False
    jtl: tuple[int, int] | None = None  # (resolution, tile index)
    chan: list[int] = field(default_factory=list)  # 1-based, in order given
    minmax: dict[int, tuple[float, float]] = field(default_factory=dict)  # 1-based keys
    mix: dict[int, tuple[float, float, float]] = field(default_factory=dict)  # 1-based keys
    colormap: str = DEFAULT_COLORMAP
    invert: bool = False
    contrast: float = DEFAULT_CONTRAST
    brightness: float = DEFAULT_BRIGHTNESS
    gamma: float = DEFAULT_GAMMA
    quality: int = DEFAULT_QUALITY
    val: tuple[float, float] | None = None  # FITS pixel, 1-based
    pfl: tuple[tuple[int, int], tuple[int, int]] | None = None  # FITS pixels, 1-based
    rgn: tuple[tuple[int, int], tuple[int, int]] | None = None  # 1-based, from the top left
    binning: int = 1


def parse(pairs, colormaps=IIP_COLORMAPS):
    """An ``IIPRequest`` from ``(name, value)`` pairs (names case-insensitive)."""
    request = IIPRequest()
    counts = {}
    for raw_name, value in pairs:
        name = raw_name.upper()
        if len(value) > MAX_VALUE_LENGTH:
            raise ParameterError(
                f"{raw_name}: value too long (at most {MAX_VALUE_LENGTH} characters)."
            )
        if "\x00" in value or "\x00" in raw_name:
            raise ParameterError(f"{raw_name}: invalid character in the value.")
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > MAX_REPEATS:
            raise ParameterError(f"{raw_name}: given too many times.")
        if name in FLAGS:
            _flag(request, name, value)
        elif name in REPEATABLE or name in SCALARS:
            _PARSERS[name](request, value, colormaps)
        elif name in IGNORED or name.startswith("_"):
            continue
        else:
            raise ParameterError(f"Unknown parameter '{raw_name}'.")
    return request


def _flag(request, name, value):
    on = value.strip().lower() not in ("0", "false", "no", "off")
    setattr(request, {"OBJ": "obj", "INFO": "info", "INV": "invert"}[name], on)


def number(name, text, low=None, high=None, integer=False):
    """``text`` as a finite float (or int), within ``[low, high]`` if given."""
    text = text.strip()
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name}: '{text[:40]}' is not {kind}.") from None
    if not math.isfinite(value):
        raise ParameterError(f"{name}: '{text[:40]}' is not a finite number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"{name}: {text} is out of range [{low}, {high}].")
    return value


def numbers(name, text, count, integer=False, sep=","):
    parts = text.split(sep)
    if len(parts) != count:
        raise ParameterError(
            f"{name}: expected {count} values separated by '{sep}', got '{text[:60]}'."
        )
    return tuple(number(name, part, integer=integer) for part in parts)


def _channel_prefixed(name, text):
    channel_text, colon, rest = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'channel:values', got '{text[:60]}'.")
    return number(name, channel_text, low=1, integer=True), rest


def _point_pair(name, text, integer=True):
    first, colon, second = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'x1,y1:x2,y2', got '{text[:60]}'.")
    return numbers(name, first, 2, integer=integer), numbers(name, second, 2, integer=integer)


def _fif(request, value, colormaps):
    value = value.strip()
    if not value:
        raise ParameterError("FIF: empty image name.")
    if ".." in value.replace("\\", "/").split("/") or ".." in value:
        raise ParameterError("FIF: '..' is not allowed in an image name.")
    request.fif = value


def _jtl(request, value, colormaps):
    request.jtl = numbers("JTL", value, 2, integer=True)
    if min(request.jtl) < 0:
        raise ParameterError("JTL: resolution and tile index must be >= 0.")


def _chan(request, value, colormaps):
    request.chan.append(number("CHAN", value, low=1, integer=True))


def _minmax(request, value, colormaps):
    channel, rest = _channel_prefixed("MINMAX", value)
    request.minmax[channel] = numbers("MINMAX", rest, 2)


def _mix(request, value, colormaps):
    channel, rest = _channel_prefixed("MIX", value)
    request.mix[channel] = numbers("MIX", rest, 3)


def _cmp(request, value, colormaps):
    name = value.strip().lower()
    if name == "gray":
        name = "grey"
    if name not in colormaps:
        raise ParameterError(
            f"CMP: unknown colormap '{value[:40]}' (one of: {', '.join(colormaps)})."
        )
    request.colormap = name


def _scalar(attribute, name, low, high, integer=False):
    def parse_scalar(request, value, colormaps):
        setattr(request, attribute, number(name, value, low, high, integer=integer))

    return parse_scalar


def _val(request, value, colormaps):
    request.val = numbers("VAL", value, 2)


def _pfl(request, value, colormaps):
    request.pfl = _point_pair("PFL", value)


def _rgn(request, value, colormaps):
    request.rgn = _point_pair("RGN", value)


def _bin(request, value, colormaps):
    binning = number("BIN", value, low=1, high=65536, integer=True)
    request.binning = 1 << (binning.bit_length() - 1)  # rounded down to a power of 2


_PARSERS = {
    "FIF": _fif,
    "JTL": _jtl,
    "CHAN": _chan,
    "MINMAX": _minmax,
    "MIX": _mix,
    "CMP": _cmp,
    "CNT": _scalar("contrast", "CNT", 0.0, 1000.0),
    "BRT": _scalar("brightness", "BRT", -100.0, 100.0),
    "GAM": _scalar("gamma", "GAM", 0.2, 5.0),
    "QLT": _scalar("quality", "QLT", 0, 100, integer=True),
    "VAL": _val,
    "PFL": _pfl,
    "RGN": _rgn,
    "BIN": _bin,
}


def render_params(request, nchannels, default_cuts, fmt="jpeg"):
    """``RenderParams`` of an IIP request for an image of ``nchannels`` channels.

    ``default_cuts``: (lo, hi) per channel, the ones ``INFO`` reports. Mono mode (``CHAN``):
    only a ``MINMAX`` of that channel applies; a channel beyond N falls back to 1. Colour
    mode: every ``MINMAX`` and ``MIX`` applies, to this request only.
    """
    for name, entries in (("MINMAX", request.minmax), ("MIX", request.mix)):
        for channel in entries:
            if channel > nchannels:
                raise ParameterError(f"{name}: channel {channel} is outside 1..{nchannels}.")
    cuts = list(default_cuts)
    if request.chan:
        channel = request.chan[-1] if request.chan[-1] <= nchannels else 1
        if channel in request.minmax:
            cuts[channel - 1] = request.minmax[channel]
        mono, mix = channel - 1, None
    else:
        for channel, pair in request.minmax.items():
            cuts[channel - 1] = pair
        mono = None
        mix = mix_from_iip({c - 1: rgb for c, rgb in request.mix.items()}, nchannels)
    return RenderParams(
        minmax=tuple(tuple(pair) for pair in cuts),
        channel=mono,
        mix=mix,
        colormap=request.colormap,
        invert=request.invert,
        contrast=request.contrast,
        brightness=request.brightness,
        gamma=request.gamma,
        quality=request.quality,
        fmt=fmt,
    )
