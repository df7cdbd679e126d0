"""The IIP / VisiOmatic query string, parsed into typed values.

This module is the IIP protocol's side of the render parameters: the IIP names, formats
and defaults of the entries ``tiles/params.py`` declares (``GAM`` is ``gamma``, ``QLT``
``quality``, ``CMP`` ``colormap``, ``CHAN``/``MINMAX``/``MIX`` the channel, cuts and mix),
plus the protocol's own requests (``obj``, ``INFO``, ``JTL``, ``VAL``, ``PFL``, ``RGN``).
fitsportal adds ``SMO=sigma``: Gaussian smoothing, sigma in full-resolution pixels,
0 .. 10 (no IIP or VisiOmatic parameter has that name; standard IIP's ``CNV`` is
accepted and ignored). Defaults are the protocol's: quality 95 and VisiOmatic's cuts.
It takes ``(name, value)`` pairs and raises ``ParameterError`` with a message naming the
parameter; of Django it only reads the caps in settings (``tiles/numbers.py``).
Conventions are the protocol's: channels 1-based, ``VAL``/``PFL`` pixels FITS 1-based,
``RGN`` pixels 1-based from the top left, ``JTL`` resolution 0 = coarsest.

Numbers are ASCII decimal only, at most ``MAX_NUMBER_LENGTH`` characters; size-like
values are capped by settings (``tiles/numbers.py``); a region's size
(``MAX_REGION_PIXELS``) is checked by the engine once clipped to the image.
"""

import math
from dataclasses import dataclass, field

from tiles import params
from tiles.engine import ParameterError, mix_from_iip
from tiles.memo import Memo
from tiles.numbers import (  # noqa: F401 (number and its limits are used from here too)
    COORDINATE_LIMIT,
    MAX_NUMBER_LENGTH,
    channel_prefixed,
    check_channel_count,
    check_mixed_channels,
    check_profile_values,
    coordinate,
    number,
    numbers,
    profile_points,
)

MAX_VALUE_LENGTH = 1024
MAX_REPEATS = 4096

# Render parameters IIP names: the declared scalars with an IIP name, by that name.
RENDER_SCALARS = {p.iip: p for p in params.SCALARS if p.iip}
IIP_COLORMAPS = params.BY_NAME["colormap"].iip_choices
DEFAULT_COLORMAP = params.BY_NAME["colormap"].iip_value
DEFAULT_CONTRAST = params.BY_NAME["contrast"].iip_value
DEFAULT_BRIGHTNESS = params.BY_NAME["brightness"].iip_value
DEFAULT_GAMMA = params.BY_NAME["gamma"].iip_value
DEFAULT_QUALITY = params.BY_NAME["quality"].iip_value
# What IIP applies for each declared scalar left out, by REST name.
IIP_VALUES = {p.name: p.iip_value for p in params.SCALARS}
# The colour saturation VisiOmatic's client starts from: it folds it into the MIX values
# it sends (the server never applies it), so it is a hint of INFO, not a parameter.
DEFAULT_SATURATION = 1.5

FLAGS = {"OBJ", "INFO"} | {n for n, p in RENDER_SCALARS.items() if p.kind == "flag"}
REPEATABLE = {"CHAN", "MINMAX", "MIX"}
SCALARS = {"FIF", "JTL", "VAL", "PFL", "RGN", "BIN"} | (set(RENDER_SCALARS) - FLAGS)
# The parameters ``render_params`` reads.
RENDERING = {"CHAN", "MINMAX", "MIX"} | set(RENDER_SCALARS)
# A tile's own parameters: what changes from one tile of a viewing session to the next.
PER_TILE = {"FIF", "JTL"}
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
    rendering: dict = field(default_factory=dict)  # declared scalars given, by REST name
    val: tuple[float, float] | None = None  # FITS pixel, 1-based
    pfl: tuple[tuple[int, int], tuple[int, int]] | None = None  # FITS pixels, 1-based
    rgn: tuple[tuple[int, int], tuple[int, int]] | None = None  # 1-based, from the top left
    binning: int = 1
    # What decides the rendering, as given: the (name, text) pairs of CHAN, MINMAX, MIX
    # and the render scalars, in order (``parse`` sets it; None: not known).
    rendering_text: tuple | None = field(default=None, compare=False, repr=False)


def info_defaults():
    """The rendering defaults ``INFO`` reports, under VisiOmatic's names: exactly what
    the server applies when the parameter is missing (the client leaves those out)."""
    return {
        "brightness": DEFAULT_BRIGHTNESS,
        "contrast": DEFAULT_CONTRAST,
        "color_saturation": DEFAULT_SATURATION,
        "gamma": DEFAULT_GAMMA,
        "quality": DEFAULT_QUALITY,
    }


def default_cuts(stats):
    """(lo, hi) per channel that IIP applies (and ``INFO`` and ``obj`` report) from the
    per-channel statistics (``ChannelStats`` or their dicts): VisiOmatic's own defaults,
    background - 2 MAD .. background + 400 MAD, as its client expects."""
    return params.preset_cuts(stats, params.BY_NAME["cuts"].iip_value)


def parse(pairs, colormaps=IIP_COLORMAPS):
    """An ``IIPRequest`` from ``(name, value)`` pairs (names case-insensitive).

    A viewing session sends the same parameters for many tiles, only ``FIF`` and ``JTL``
    changing: the rest is read once (``_common``, by its pairs as given) and the tile's
    own pairs are read onto a copy, with the same checks in the same order. A request
    the rest of which is refused is read again whole: the first error in the order
    given is the one raised."""
    if colormaps is not IIP_COLORMAPS:
        return _parse(pairs, colormaps)
    pairs = pairs if type(pairs) is list else list(pairs)
    rest, own = [], []
    for name, value in pairs:
        (own if name.upper() in PER_TILE else rest).append((name, value))
    rest = tuple(rest)
    try:
        common = _common.get(rest, lambda: _parse(rest, colormaps), pairs=rest)
    except ParameterError:
        return _parse(pairs, colormaps)
    request = object.__new__(IIPRequest)  # a copy, the common fields shared: never
    request.__dict__.update(common.__dict__)  # changed once parsed
    counts = {}
    for raw_name, value in own:
        name = raw_name.upper()
        _checked(raw_name, name, value, counts)
        _PARSERS[name](request, value)
    return request


_common = Memo()  # the pairs of a request but its PER_TILE ones -> IIPRequest


def _parse(pairs, colormaps):
    request = IIPRequest()
    counts = {}
    rendering_text = []
    for raw_name, value in pairs:
        name = raw_name.upper()
        _checked(raw_name, name, value, counts)
        if name in RENDERING:
            rendering_text.append((name, value))
        if name in FLAGS:
            _flag(request, name, value)
        elif name in RENDER_SCALARS:
            declared = RENDER_SCALARS[name]
            choices = colormaps if declared.name == "colormap" else declared.iip_choices
            request.rendering[declared.name] = declared.value(value, name, choices)
        elif name in _PARSERS:
            _PARSERS[name](request, value)
        elif name in IGNORED or name.startswith("_"):
            continue
        else:
            raise ParameterError(f"Unknown parameter '{raw_name}'.")
    request.rendering_text = tuple(rendering_text)
    return request


def _checked(raw_name, name, value, counts):
    """Every pair's checks: its value's length and characters, its name's repeats."""
    if len(value) > MAX_VALUE_LENGTH:
        raise ParameterError(f"{raw_name}: value too long (at most {MAX_VALUE_LENGTH} characters).")
    if "\x00" in value or "\x00" in raw_name:
        raise ParameterError(f"{raw_name}: invalid character in the value.")
    counts[name] = counts.get(name, 0) + 1
    if counts[name] > MAX_REPEATS:
        raise ParameterError(f"{raw_name}: given too many times.")


def _flag(request, name, value):
    on = value.strip().lower() not in ("0", "false", "no", "off")
    if name in RENDER_SCALARS:
        request.rendering[RENDER_SCALARS[name].name] = on
    else:
        setattr(request, name.lower(), on)


def _point_pair(name, text, integer=True):
    first, colon, second = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'x1,y1:x2,y2', got '{text[:60]}'.")
    return (
        numbers(name, first, 2, integer=integer, parse=coordinate),
        numbers(name, second, 2, integer=integer, parse=coordinate),
    )


def _fif(request, value):
    value = value.strip()
    if not value:
        raise ParameterError("FIF: empty image name.")
    if ".." in value.replace("\\", "/").split("/") or ".." in value:
        raise ParameterError("FIF: '..' is not allowed in an image name.")
    request.fif = value


def _jtl(request, value):
    request.jtl = numbers("JTL", value, 2, integer=True)
    if min(request.jtl) < 0:
        raise ParameterError("JTL: resolution and tile index must be >= 0.")


def _chan(request, value):
    check_channel_count("CHAN", len(request.chan) + 1)
    request.chan.append(number("CHAN", value, low=1, integer=True))


def _minmax(request, value):
    channel, rest = channel_prefixed("MINMAX", value)
    request.minmax[channel] = numbers("MINMAX", rest, 2)
    check_channel_count("MINMAX", len(request.minmax))


def _mix(request, value):
    channel, rest = channel_prefixed("MIX", value)
    request.mix[channel] = numbers("MIX", rest, 3)
    check_channel_count("MIX", len(request.mix))


def _val(request, value):
    request.val = numbers("VAL", value, 2, parse=coordinate)


def _pfl(request, value):
    (x1, y1), (x2, y2) = request.pfl = _point_pair("PFL", value)
    profile_points("PFL", x1, y1, x2, y2)


def _rgn(request, value):
    request.rgn = _point_pair("RGN", value)


def _bin(request, value):
    binning = number("BIN", value, low=1, high=65536, integer=True)
    request.binning = 1 << (binning.bit_length() - 1)  # rounded down to a power of 2


_PARSERS = {
    "FIF": _fif,
    "JTL": _jtl,
    "CHAN": _chan,
    "MINMAX": _minmax,
    "MIX": _mix,
    "VAL": _val,
    "PFL": _pfl,
    "RGN": _rgn,
    "BIN": _bin,
}


def render_params(request, nchannels, default_cuts, fmt="jpeg"):
    """``RenderParams`` of an IIP request for an image of ``nchannels`` channels.

    ``default_cuts``: the per-channel statistics (``ChannelStats`` or their dicts), or
    (lo, hi) per channel; either way the ones ``INFO`` reports. Mono mode (``CHAN``):
    only a ``MINMAX`` of that channel applies; a channel beyond N falls back to 1. Colour
    mode: every ``MINMAX`` and ``MIX`` applies, to this request only. Other parameters
    left out take their IIP defaults (``tiles/params.py``).

    A viewing session asks for many tiles of one rendering: the answer is remembered by
    the request's ``rendering_text``, the image's channels, the format and the very
    ``default_cuts`` object (held with the answer, so its identity is never reused).
    """
    if request.rendering_text is None:
        return _render_params(request, nchannels, default_cuts, fmt)
    key = (request.rendering_text, nchannels, fmt)
    produce = lambda: _render_params(request, nchannels, default_cuts, fmt)  # noqa: E731
    return _rendered.get(key, produce, default_cuts, request.rendering_text)


_rendered = Memo()  # (rendering_text, nchannels, fmt) and default_cuts -> RenderParams


def _render_params(request, nchannels, default_cuts, fmt):
    for name, entries in (("MINMAX", request.minmax), ("MIX", request.mix)):
        for channel in entries:
            if channel > nchannels:
                raise ParameterError(f"{name}: channel {channel} is outside 1..{nchannels}.")
    cuts = params.preset_cuts(default_cuts, params.BY_NAME["cuts"].iip_value)
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
    values = {**IIP_VALUES, **request.rendering}
    return params.render_params(values, cuts, mono, mix, fmt)


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
