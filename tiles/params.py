"""Parameters of the REST pixel endpoints, from a query string: the one place where they
become typed values and meet their caps.

Rendering (tiles, region snapshots), all optional: ``channel`` (1-based: mono mode;
absent: colour mode for a multi-channel image), ``min``/``max`` (cuts of the mono
channel), ``minmax=c:lo,hi`` and ``mix=c:r,g,b`` (repeatable), ``saturation``,
``stretch``, ``contrast``, ``brightness``, ``gamma``, ``colormap``, ``invert``,
``quality``. Science access: ``x1, y1, x2, y2`` pixel boxes and lines, ``x, y`` points,
``channel`` lists, histogram ``bins``. Numbers are parsed by ``tiles/iip.py`` (ASCII
decimal only); caps are settings: ``MAX_PROFILE_POINTS`` and ``MAX_PROFILE_VALUES``
(shared with IIP ``PFL``), ``MAX_REQUEST_CHANNELS``, ``MAX_HISTOGRAM_BINS``; region and
cutout sizes are checked by the engine once clipped to the image (``MAX_REGION_PIXELS``,
``MAX_CUTOUT_PIXELS``).
"""

from django.conf import settings

from tiles.engine import (
    COLORMAPS,
    STRETCHES,
    ParameterError,
    RenderParams,
    apply_saturation,
    mix_from_iip,
)
from tiles.iip import (
    _channel_prefixed,
    check_channel_count,
    check_mixed_channels,
    check_profile_values,
    coordinate,
    number,
    numbers,
    profile_points,
)

DEFAULT_QUALITY = 90
DEFAULT_GAMMA = 2.2
# "v" carries the image version in client URLs (a new pyramid means new URLs): ignored here.
KNOWN = {"channel", "min", "max", "minmax", "mix", "saturation", "stretch", "contrast",
         "brightness", "gamma", "colormap", "invert", "quality", "v"}  # fmt: skip
TRUE, FALSE = ("1", "true", "yes", "on", ""), ("0", "false", "no", "off")


def parse(query, nchannels, default_cuts, fmt):
    """``RenderParams`` from a Django ``QueryDict`` (or a dict of lists)."""
    unknown = sorted(set(query) - KNOWN)
    if unknown:
        raise ParameterError(
            f"Unknown parameter '{unknown[0]}' (known: {', '.join(sorted(KNOWN))})."
        )

    def last(name):
        return _last(query, name)

    def every(name):
        return _every(query, name)

    check_channel_count("minmax", len(every("minmax")))
    check_channel_count("mix", len(every("mix")))
    cuts = list(default_cuts)
    for text in every("minmax"):
        channel, rest = _channel_prefixed("minmax", text)
        if channel > nchannels:
            raise ParameterError(f"minmax: channel {channel} is outside 1..{nchannels}.")
        cuts[channel - 1] = numbers("minmax", rest, 2)
    channel = last("channel")
    mono = None
    if channel is not None:
        mono = number("channel", channel, 1, nchannels, integer=True) - 1
    elif nchannels == 1:
        mono = 0
    if mono is not None:
        lo, hi = cuts[mono]
        if last("min") is not None:
            lo = number("min", last("min"))
        if last("max") is not None:
            hi = number("max", last("max"))
        cuts[mono] = (lo, hi)
    rows = {}
    for text in every("mix"):
        index, rest = _channel_prefixed("mix", text)
        if index > nchannels:
            raise ParameterError(f"mix: channel {index} is outside 1..{nchannels}.")
        rows[index - 1] = numbers("mix", rest, 3)
    if mono is None:
        check_mixed_channels(nchannels, "channel")
    mix = mix_from_iip(rows, nchannels) if mono is None else None
    saturation = last("saturation")
    if saturation is not None and mix is not None:
        mix = apply_saturation(mix, number("saturation", saturation, 0.0, 10.0))
    invert = (last("invert") or "0").strip().lower()
    if invert not in TRUE + FALSE:
        raise ParameterError("invert: expected true or false.")
    stretch = last("stretch") or "linear"
    if stretch not in STRETCHES:
        raise ParameterError(f"stretch: '{stretch[:40]}' is not one of {', '.join(STRETCHES)}.")
    colormap = (last("colormap") or "grey").lower()
    if colormap not in COLORMAPS:
        raise ParameterError(f"colormap: '{colormap[:40]}' is not one of {', '.join(COLORMAPS)}.")
    return RenderParams(
        minmax=tuple(tuple(pair) for pair in cuts),
        channel=mono,
        mix=mix,
        colormap=colormap,
        invert=invert in TRUE,
        contrast=number("contrast", last("contrast") or "1", 0.0, 1000.0),
        brightness=number("brightness", last("brightness") or "0", -100.0, 100.0),
        gamma=number("gamma", last("gamma") or str(DEFAULT_GAMMA), 0.2, 5.0),
        stretch=stretch,
        quality=number("quality", last("quality") or str(DEFAULT_QUALITY), 0, 100, integer=True),
        fmt=fmt,
    )


REGION_ONLY = {"x1", "y1", "x2", "y2", "binning"}


def pixel_box(query):
    """The integer pixels ``x1, y1, x2, y2`` of a query (all required)."""
    return tuple(coordinate(k, required(query, k), integer=True) for k in ("x1", "y1", "x2", "y2"))


def region_request(query, grid, nchannels, default_cuts, fmt):
    """(level, (x0, y0, x1, y1), RenderParams) of a region snapshot: full-resolution
    pixels ``x1..x2``, ``y1..y2`` (1-based, from the top left, as the tiles) at
    ``binning`` (rounded down to a power of 2), as level pixels, top-down, end excluded."""
    x1, y1, x2, y2 = pixel_box(query)
    binning = number("binning", _last(query, "binning") or "1", 1, 65536, integer=True)
    level = min(binning.bit_length() - 1, grid.levels - 1)
    box = ((min(x1, x2) - 1) >> level, (min(y1, y2) - 1) >> level,
           -(-max(x1, x2) // (1 << level)), -(-max(y1, y2) // (1 << level)))  # fmt: skip
    rendering = {k: v for k, v in _lists(query).items() if k not in REGION_ONLY}
    return level, box, parse(rendering, nchannels, default_cuts, fmt)


def values_request(query, nchannels):
    """(x, y, channels) of a pixel-values request: FITS pixel, 1-based."""
    x = coordinate("x", required(query, "x"))
    y = coordinate("y", required(query, "y"))
    return x, y, channel_list(query, nchannels)


def profile_request(query, nchannels):
    """((x1, y1, x2, y2), channels) of a profile, within the profile caps."""
    x1, y1, x2, y2 = box = pixel_box(query)
    channels = channel_list(query, nchannels)
    points = profile_points("profile", x1, y1, x2, y2)
    check_profile_values("profile", points, nchannels if channels is None else len(channels))
    return box, channels


def cutout_request(query, nchannels):
    """((x1, y1, x2, y2), channels) of a FITS cutout (FITS pixels, 1-based, inclusive)."""
    return pixel_box(query), channel_list(query, nchannels)


def histogram_request(query, nchannels):
    """(channel (1-based), bins) of a histogram request, bins within ``MAX_HISTOGRAM_BINS``."""
    channel = number("channel", _last(query, "channel") or "1", 1, nchannels, integer=True)
    bins = number("bins", _last(query, "bins") or "256", 8, settings.MAX_HISTOGRAM_BINS,
                  integer=True)  # fmt: skip
    return channel, bins


def channel_list(query, nchannels):
    """The ``channel`` values (0-based), in order; None when none is given (all)."""
    values = _every(query, "channel")
    if not values:
        return None
    check_channel_count("channel", len(values))
    return [number("channel", v, 1, nchannels, integer=True) - 1 for v in values]


def required(query, name):
    value = _last(query, name)
    if value is None:
        raise ParameterError(f"{name}: required.")
    return value


def _every(query, name):
    return query.getlist(name) if hasattr(query, "getlist") else query.get(name, [])


def _last(query, name):
    values = _every(query, name)
    return values[-1] if values else None


def _lists(query):
    """A dict of lists from a ``QueryDict`` or a dict of lists."""
    return dict(query.lists()) if hasattr(query, "lists") else dict(query)
