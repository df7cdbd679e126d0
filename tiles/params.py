"""Rendering parameters of the REST tile and region endpoints, from a query string.

Names (all optional): ``channel`` (1-based: mono mode; absent: colour mode for a
multi-channel image), ``min``/``max`` (cuts of the mono channel), ``minmax=c:lo,hi`` and
``mix=c:r,g,b`` (repeatable), ``saturation``, ``stretch``, ``contrast``, ``brightness``,
``gamma``, ``colormap``, ``invert``, ``quality``. Numbers are parsed by ``tiles/iip.py``.
"""

from tiles.engine import (
    COLORMAPS,
    STRETCHES,
    ParameterError,
    RenderParams,
    apply_saturation,
    mix_from_iip,
)
from tiles.iip import _channel_prefixed, number, numbers

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
        values = query.getlist(name) if hasattr(query, "getlist") else query.get(name, [])
        return values[-1] if values else None

    def every(name):
        return query.getlist(name) if hasattr(query, "getlist") else query.get(name, [])

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
