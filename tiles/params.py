"""Render parameters, declared once, and the REST query strings parsed against them.

``PARAMETERS`` is the one declaration of how a tile is rendered: each entry gives the
REST name (also the ``RenderParams`` field it fills), its kind, range or choices,
default, documentation, and its IIP name and default where the IIP protocol has one
(``tiles/iip.py`` maps IIP requests onto the same entries). The REST parser below, the
validation, the OpenAPI description (``openapi_parameters``) and the defaults clients
receive (``client_defaults``, in the image detail) all read it: a new render parameter
is one entry here and its implementation in the engine.

Rendering (tiles, region snapshots), all optional: see ``PARAMETERS``. Science access:
``x1, y1, x2, y2`` pixel boxes and lines, ``x, y`` points, ``channel`` lists, histogram
``bins``. Numbers are parsed by ``tiles/numbers.py`` (ASCII decimal only); caps are
settings: ``MAX_PROFILE_POINTS`` and ``MAX_PROFILE_VALUES`` (shared with IIP ``PFL``),
``MAX_REQUEST_CHANNELS``, ``MAX_HISTOGRAM_BINS``; region and cutout sizes are checked by
the engine once clipped to the image (``MAX_REGION_PIXELS``, ``MAX_CUTOUT_PIXELS``).
"""

from dataclasses import dataclass, field

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter

from tiles.engine import COLORMAPS, STRETCHES, ParameterError, RenderParams, apply_saturation
from tiles.engine import mix_from_iip as mix_from_rows
from tiles.engine.render import default_mix_rows
from tiles.engine.stats import CUT_PRESETS, DEFAULT_PRESET
from tiles.memo import Memo
from tiles.numbers import (
    channel_prefixed,
    check_channel_count,
    check_mixed_channels,
    check_profile_values,
    coordinate,
    number,
    numbers,
    profile_points,
)

SCALAR_KINDS = ("number", "integer", "choice", "flag")
_SAME = object()  # "the IIP default is the REST one"
TRUE, FALSE = ("1", "true", "yes", "on", ""), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Parameter:
    """One render parameter.

    ``kind``: ``number``, ``integer``, ``choice``, ``flag`` (scalars, parsed and
    validated here from this entry alone), or ``channel``, ``cut``, ``rows``, ``preset``
    (structured: their meaning depends on the image's channels and statistics, parsed
    by the code below). A scalar
    with ``renders`` fills the ``RenderParams`` field of its name. ``iip``: the IIP name
    (None: REST only); ``iip_default``: the IIP protocol's default where it differs
    (VisiOmatic's client takes the defaults from ``INFO``, so they are the protocol's).
    """

    name: str
    kind: str
    doc: str
    default: object = None
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    aliases: dict = field(default_factory=dict)
    iip: str | None = None
    iip_default: object = _SAME
    iip_choices: tuple | None = None
    many: bool = False
    renders: bool = True

    @property
    def iip_value(self):
        """The value IIP applies when the parameter is missing."""
        return self.default if self.iip_default is _SAME else self.iip_default

    def value(self, text, name=None, choices=None):
        """The typed value of ``text`` (the default if None); ``ParameterError`` naming
        ``name`` (the REST name unless given) if malformed or out of range."""
        if text is None:
            return self.default
        name = name or self.name
        if self.kind == "number":
            return number(name, text, self.low, self.high)
        if self.kind == "integer":
            return number(name, text, self.low, self.high, integer=True)
        if self.kind == "flag":
            word = text.strip().lower()
            if word not in TRUE + FALSE:
                raise ParameterError(f"{name}: expected true or false.")
            return word in TRUE
        if self.kind in ("choice", "preset"):
            word = text.strip().lower()
            word = self.aliases.get(word, word)
            choices = choices or self.choices
            if word not in choices:
                raise ParameterError(f"{name}: '{text[:40]}' is not one of {', '.join(choices)}.")
            return word
        raise ValueError(f"{self.name} is not a scalar parameter")

    def schema(self):
        """Its OpenAPI schema (a dict)."""
        types = {"number": "number", "integer": "integer", "choice": "string", "flag": "boolean",
                 "channel": "integer", "cut": "number", "rows": "string", "preset": "string"}  # fmt: skip
        schema = {"type": types[self.kind]}
        if self.low is not None:
            schema["minimum"] = self.low
        if self.high is not None:
            schema["maximum"] = self.high
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.default is not None and not self.many:
            schema["default"] = self.default
        return schema


PARAMETERS = (
    Parameter("channel", "channel", iip="CHAN", low=1, doc=(
        "1-based channel: mono mode on it. Absent: colour mode (every channel mixed) for "
        "a multi-channel image; a one-channel image is always mono.")),
    Parameter("cuts", "preset", default=DEFAULT_PRESET, choices=CUT_PRESETS,
              iip_default="visiomatic", doc=(
        "The default cuts of every channel, from its statistics: zscale (IRAF's, as ds9), "
        "minmax, the central 99.5, 99, 98 or 95 % of the values, or visiomatic "
        "(background - 2 MAD .. background + 400 MAD, IIP's default); minmax, min and max "
        "override them.")),
    Parameter("min", "cut", doc="Lower cut of the mono channel (default: its default cut)."),
    Parameter("max", "cut", doc="Upper cut of the mono channel (default: its default cut)."),
    Parameter("minmax", "rows", many=True, iip="MINMAX", doc=(
        "'c:lo,hi': the cuts of channel c (1-based), repeatable; other channels keep their "
        "default cuts.")),
    Parameter("mix", "rows", many=True, iip="MIX", doc=(
        "'c:r,g,b': the colour of channel c in colour mode, repeatable; each colour is "
        "interpolated across the channels between those given, times 3/N. None given: a "
        "colour composite, the first channel blue, the middle green, the last red (IIP: "
        "every entry 1).")),
    Parameter("saturation", "number", default=1.0, low=0.0, high=10.0, renders=False, doc=(
        "Colour saturation folded into the mix (1: as given, 0: grey).")),
    Parameter("stretch", "choice", default="linear", choices=STRETCHES, doc=(
        "Transfer function of the cut fraction before contrast and brightness.")),
    Parameter("contrast", "number", default=1.0, low=0.0, high=1000.0, iip="CNT",
              doc="Contrast: a factor on the cut fraction."),
    Parameter("brightness", "number", default=0.0, low=-100.0, high=100.0, iip="BRT",
              doc="Brightness: an offset of brightness x contrast / 100 on the cut fraction."),
    Parameter("gamma", "number", default=2.2, low=0.2, high=5.0, iip="GAM",
              doc="Display gamma: the output is the fraction to the power 1/gamma."),
    Parameter("colormap", "choice", default="grey", choices=COLORMAPS, aliases={"gray": "grey"},
              iip="CMP", iip_choices=("grey", "jet", "cold", "cool", "hot"),
              doc="Colormap of a mono channel."),
    Parameter("invert", "flag", default=False, iip="INV", doc="Invert the output levels."),
    Parameter("smooth", "number", default=0.0, low=0.0, high=10.0, iip="SMO", doc=(
        "Gaussian smoothing of the pixel values before the cuts: sigma in full-resolution "
        "pixels (0: off); a coarser level uses sigma / its binning.")),
    Parameter("quality", "integer", default=90, low=0, high=100, iip="QLT", iip_default=95,
              doc="JPEG quality (IIP: 95, VisiOmatic's default)."),
)  # fmt: skip
BY_NAME = {p.name: p for p in PARAMETERS}
SCALARS = tuple(p for p in PARAMETERS if p.kind in SCALAR_KINDS)
# "v" carries the image version in client URLs (a new pyramid means new URLs): ignored here.
IGNORED = {"v"}
KNOWN = {p.name for p in PARAMETERS} | IGNORED


def client_defaults():
    """What a REST request applies for each scalar render parameter left out: the values
    clients start from (and leave out of their URLs)."""
    return {p.name: p.default for p in SCALARS}


def image_defaults(nchannels):
    """``client_defaults`` for an image of ``nchannels`` channels, with its mode
    (``channel``: None for colour, 0 for a one-channel image), its default mix rows
    (``mix``: (r, g, b) per channel, as the ``mix`` parameter takes them) and cut preset."""
    return {
        **client_defaults(),
        "channel": 0 if nchannels == 1 else None,
        "mix": [list(rgb) for rgb in default_mix_rows(nchannels)],
        "cuts": BY_NAME["cuts"].default,
    }


def cut_presets(stats):
    """{preset: [(lo, hi) per channel]} of per-channel statistics (``ChannelStats`` or
    their dicts); presets that statistics computed before them lack are left out."""
    entries = [_stats_dict(s) for s in stats]
    return {
        name: [tuple(e["cuts"][name]) for e in entries]
        for name in CUT_PRESETS
        if entries and all(name in e.get("cuts", {}) for e in entries)
    }


def preset_cuts(default_cuts, preset):
    """The cuts (lo, hi) per channel of ``preset``, from ``default_cuts``: per-channel
    statistics (``ChannelStats`` or dicts), or (lo, hi) pairs that stand for every preset.

    Statistics computed before the presets existed hold one pair (``lo``, ``hi``): it
    stands for the default presets (zscale, visiomatic); others are refused."""
    entries = list(default_cuts)
    if not entries or not isinstance(entries[0], dict) and not hasattr(entries[0], "cuts"):
        if preset not in (DEFAULT_PRESET, BY_NAME["cuts"].iip_value):
            raise ParameterError(f"cuts: '{preset}' needs the image's statistics.")
        return entries
    result = []
    for entry in map(_stats_dict, entries):
        pair = entry.get("cuts", {}).get(preset)
        if pair is None and entry.get("cuts"):
            raise ParameterError(f"cuts: '{preset}' is not one of {', '.join(entry['cuts'])}.")
        if pair is None and preset not in (DEFAULT_PRESET, BY_NAME["cuts"].iip_value):
            raise ParameterError(
                f"cuts: this image's statistics predate the '{preset}' preset (warm it again)."
            )
        result.append(tuple(pair) if pair is not None else (entry["lo"], entry["hi"]))
    return [(float(lo), float(hi)) for lo, hi in result]


def _stats_dict(stats):
    return stats if isinstance(stats, dict) else stats.as_dict()


def describe():
    """The declaration as JSON-ready dicts (name, kind, range, choices, default, doc)."""
    return [
        {"name": p.name, "kind": p.kind, **p.schema(), "many": p.many, "doc": p.doc}
        for p in PARAMETERS
    ]


def openapi_parameters():
    """The render parameters as drf-spectacular ``OpenApiParameter``s (tiles, regions)."""
    return [
        OpenApiParameter(
            p.name,
            {"type": "array", "items": p.schema()} if p.many else p.schema(),
            description=p.doc,
            style="form" if p.many else None,
            explode=True if p.many else None,
        )  # fmt: skip
        for p in PARAMETERS
    ]


def parse(query, nchannels, default_cuts, fmt):
    """``RenderParams`` from a Django ``QueryDict`` (or a dict of lists), for an image of
    ``nchannels`` channels. ``default_cuts``: its per-channel statistics (``ChannelStats``
    or their dicts, e.g. ``image.stats or [s.as_dict() for s in data.stats]``: the
    ``cuts`` preset chooses among them, zscale by default), or (lo, hi) pairs (then the
    only preset: what the image detail reports as ``default_cuts`` follows either way).

    A plain dict's answer is remembered (a viewing session asks for many tiles of one
    rendering) by its items, the channels, the format and the very ``default_cuts``
    object, held with the answer so that its identity is never reused."""
    if type(query) is not dict:
        return _parse(query, nchannels, default_cuts, fmt)
    try:
        key = (tuple((k, tuple(v)) for k, v in query.items()), nchannels, fmt)
        hash(key)
    except TypeError:  # values that are not lists of texts
        return _parse(query, nchannels, default_cuts, fmt)
    produce = lambda: _parse(query, nchannels, default_cuts, fmt)  # noqa: E731
    return _parsed.get(key, produce, default_cuts, key[0])


_parsed = Memo()  # (query items, nchannels, fmt) and default_cuts -> RenderParams


def _parse(query, nchannels, default_cuts, fmt):
    unknown = sorted(set(query) - KNOWN)
    if unknown:
        raise ParameterError(
            f"Unknown parameter '{unknown[0]}' (known: {', '.join(sorted(KNOWN))})."
        )
    values = {p.name: p.value(_last(query, p.name)) for p in SCALARS}
    check_channel_count("minmax", len(_every(query, "minmax")))
    check_channel_count("mix", len(_every(query, "mix")))
    cuts = preset_cuts(default_cuts, BY_NAME["cuts"].value(_last(query, "cuts")))
    for channel, pair in _rows(query, "minmax", 2, nchannels).items():
        cuts[channel] = pair
    channel = _last(query, "channel")
    mono = None
    if channel is not None:
        mono = number("channel", channel, 1, nchannels, integer=True) - 1
    elif nchannels == 1:
        mono = 0
    mix = None
    if mono is not None:
        lo, hi = cuts[mono]
        if _last(query, "min") is not None:
            lo = number("min", _last(query, "min"))
        if _last(query, "max") is not None:
            hi = number("max", _last(query, "max"))
        cuts[mono] = (lo, hi)
        _rows(query, "mix", 3, nchannels)  # checked, unused in mono mode
    else:
        check_mixed_channels(nchannels, "channel")
        rows = _rows(query, "mix", 3, nchannels) or dict(enumerate(default_mix_rows(nchannels)))
        mix = mix_from_rows(rows, nchannels)
        mix = apply_saturation(mix, values["saturation"])
    return render_params(values, cuts, mono, mix, fmt)


def render_params(values, cuts, channel, mix, fmt):
    """``RenderParams`` of typed scalar ``values`` (by name; declared defaults for those
    missing), the cuts, mono channel (0-based) or None and mix."""
    fields = {p.name: values.get(p.name, p.default) for p in SCALARS if p.renders}
    return RenderParams(
        minmax=tuple(tuple(pair) for pair in cuts), channel=channel, mix=mix, fmt=fmt, **fields
    )


def _rows(query, name, count, nchannels):
    """{channel (0-based): values} of the repeatable ``c:v1,...`` parameter ``name``."""
    rows = {}
    for text in _every(query, name):
        channel, rest = channel_prefixed(name, text)
        if channel > nchannels:
            raise ParameterError(f"{name}: channel {channel} is outside 1..{nchannels}.")
        rows[channel - 1] = numbers(name, rest, count)
    return rows


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
