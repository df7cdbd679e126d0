"""The IIP / VisiOmatic query string, parsed into typed values.

This module is the one place where IIP parameter strings become numbers. It knows the
protocol (names, formats, ranges, defaults, the repeatable parameters) and nothing of
requests: it takes ``(name, value)`` pairs and raises ``ParameterError`` with a message
naming the parameter; of Django it only reads the caps in settings. Conventions are the protocol's: channels 1-based, ``VAL``/``PFL``
pixels FITS 1-based, ``RGN`` pixels 1-based from the top left, ``JTL`` resolution 0 =
coarsest.

Numbers are ASCII decimal only (no ``nan``, ``inf``, ``0x``, ``_`` or other scripts'
digits), at most ``MAX_NUMBER_LENGTH`` characters; every size-like value is capped by a
setting, read when the parameter is given: the profile length (``MAX_PROFILE_POINTS``,
shared with the REST profile) and values (``MAX_PROFILE_VALUES``), the channels one
request may name or mix (``MAX_REQUEST_CHANNELS``); a region's size
(``MAX_REGION_PIXELS``) is checked by the engine once clipped to the image.
"""

import math
from dataclasses import dataclass, field

from django.conf import settings

from tiles.engine import ParameterError, RenderParams, mix_from_iip

MAX_VALUE_LENGTH = 1024
MAX_REPEATS = 4096
MAX_NUMBER_LENGTH = 64
# Pixel coordinates beyond any image, still small enough for every computation on them.
COORDINATE_LIMIT = 2**40

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
    """``text`` as a finite float (or int), within ``[low, high]`` if given.

    Only ASCII decimal notation is accepted (``12``, ``-1.5``, ``2e-3``), at most
    ``MAX_NUMBER_LENGTH`` characters: whatever Python's ``int``/``float`` would also take
    (``nan``, ``inf``, ``1_000``, other scripts' digits, a 400-digit integer that no float
    holds) is a ``ParameterError`` naming the parameter.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH:
        kind = "an integer" if integer else "a number"
        raise ParameterError(
            f"{name}: '{text[:40]}...' is not {kind} (at most {MAX_NUMBER_LENGTH} characters)."
        )
    # Of ASCII text without "_", int() and float() take exactly the decimal notation,
    # plus nan and inf for float(), refused below (cheaper than a regular expression).
    try:
        if not text.isascii() or "_" in text:
            raise ValueError
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name}: '{text[:40]}' is not {kind}.") from None
    if not integer and not math.isfinite(value):
        raise ParameterError(f"{name}: '{text}' is not a finite number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"{name}: {text} is out of range [{low}, {high}].")
    return value


def coordinate(name, text, integer=False):
    """A pixel coordinate: a number within +-``COORDINATE_LIMIT`` (beyond any image)."""
    return number(name, text, -COORDINATE_LIMIT, COORDINATE_LIMIT, integer=integer)


def numbers(name, text, count, integer=False, sep=",", parse=None):
    parts = text.split(sep)
    if len(parts) != count:
        raise ParameterError(
            f"{name}: expected {count} values separated by '{sep}', got '{text[:60]}'."
        )
    if parse is None:
        return tuple(number(name, part, integer=integer) for part in parts)
    return tuple(parse(name, part, integer=integer) for part in parts)


def profile_points(name, x1, y1, x2, y2):
    """Points of the digital line between two pixels (ends included), within the
    ``MAX_PROFILE_POINTS`` setting (the one cap of IIP ``PFL`` and the REST profile)."""
    points = max(abs(x2 - x1), abs(y2 - y1)) + 1
    if points > settings.MAX_PROFILE_POINTS:
        raise ParameterError(
            f"{name}: the profile is {points:,} pixels long, more than the limit of "
            f"{settings.MAX_PROFILE_POINTS:,}."
        )
    return points


def check_profile_values(name, points, nchannels):
    """A profile's values (points x channels) within the ``MAX_PROFILE_VALUES`` setting."""
    values = points * nchannels
    if values > settings.MAX_PROFILE_VALUES:
        raise ParameterError(
            f"{name}: the profile would give {values:,} values ({points:,} pixels x "
            f"{nchannels} channels), more than the limit of {settings.MAX_PROFILE_VALUES:,}: "
            "shorten it or name fewer channels."
        )


def check_mixed_channels(nchannels, mono_parameter):
    """Colour mode reads every channel: at most ``MAX_REQUEST_CHANNELS`` of them."""
    if nchannels > settings.MAX_REQUEST_CHANNELS:
        raise ParameterError(
            f"Colour mode mixes at most {settings.MAX_REQUEST_CHANNELS} channels and this "
            f"image has {nchannels}: choose one with {mono_parameter}."
        )


def check_channel_count(name, count):
    """At most ``MAX_REQUEST_CHANNELS`` channels named (or mixed) by one request."""
    if count > settings.MAX_REQUEST_CHANNELS:
        raise ParameterError(
            f"{name}: at most {settings.MAX_REQUEST_CHANNELS} channels per request ({count} given)."
        )


def _channel_prefixed(name, text):
    channel_text, colon, rest = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'channel:values', got '{text[:60]}'.")
    return number(name, channel_text, low=1, integer=True), rest


def _point_pair(name, text, integer=True):
    first, colon, second = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'x1,y1:x2,y2', got '{text[:60]}'.")
    return (
        numbers(name, first, 2, integer=integer, parse=coordinate),
        numbers(name, second, 2, integer=integer, parse=coordinate),
    )


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
    check_channel_count("CHAN", len(request.chan) + 1)
    request.chan.append(number("CHAN", value, low=1, integer=True))


def _minmax(request, value, colormaps):
    channel, rest = _channel_prefixed("MINMAX", value)
    request.minmax[channel] = numbers("MINMAX", rest, 2)
    check_channel_count("MINMAX", len(request.minmax))


def _mix(request, value, colormaps):
    channel, rest = _channel_prefixed("MIX", value)
    request.mix[channel] = numbers("MIX", rest, 3)
    check_channel_count("MIX", len(request.mix))


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
    request.val = numbers("VAL", value, 2, parse=coordinate)


def _pfl(request, value, colormaps):
    (x1, y1), (x2, y2) = request.pfl = _point_pair("PFL", value)
    profile_points("PFL", x1, y1, x2, y2)


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
        check_mixed_channels(nchannels, "CHAN")
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


def value_channels(request, nchannels):
    """Channels of VAL/PFL (0-based): every CHAN given, else all; beyond N is an error."""
    if not request.chan:
        return None
    for channel in request.chan:
        if channel > nchannels:
            raise ParameterError(f"CHAN: {channel} is outside 1..{nchannels}.")
    return [c - 1 for c in request.chan]


def profile_request(request, nchannels):
    """((x1, y1, x2, y2), channels) of a ``PFL`` request, within the profile caps."""
    (x1, y1), (x2, y2) = request.pfl
    channels = value_channels(request, nchannels)
    points = profile_points("PFL", x1, y1, x2, y2)
    check_profile_values("PFL", points, nchannels if channels is None else len(channels))
    return (x1, y1, x2, y2), channels


def region_box(request, grid):
    """(level, (x0, y0, x1, y1)) of an ``RGN`` request in level pixels, top-down; its size
    is checked against ``MAX_REGION_PIXELS`` once clipped to the image (the engine)."""
    (x1, y1), (x2, y2) = request.rgn
    level = min(int(math.log2(request.binning)), grid.levels - 1)
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    box = ((x1 - 1) >> level, (y1 - 1) >> level, (x2 - 1) >> level, (y2 - 1) >> level)
    if box[2] <= box[0] or box[3] <= box[1]:
        raise ParameterError("RGN: the region is empty at this binning.")
    return level, box
