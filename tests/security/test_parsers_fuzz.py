"""Property-based tests of the parameter parsers: any input gives typed values or a
ParameterError with a message; never another exception. Then, parameter by parameter,
well-formed values (as clients write them) are read as written: a number equals its text
read by Python, BIN is the power of two at most its value and more than half of it, a
FIF is the name given, flags are on unless their word says off... (--hypothesis-show-
statistics lists, per parameter, the others it was mixed with)."""

import math
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tiles import iip
from tiles import params as rest_params
from tiles.engine import ParameterError, TileGrid

NAMES = st.sampled_from(["FIF", "obj", "INFO", "JTL", "CHAN", "MINMAX", "MIX", "CMP", "INV", "CNT", "BRT",
                         "GAM", "QLT", "VAL", "PFL", "RGN", "BIN", "cvt", "_", "ZZ"])  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?\d{1,6}(\.\d{0,3})?(,-?\d{1,6}(\.\d{0,3})?){0,3}", fullmatch=True),
    st.from_regex(r"\d{1,2}:-?\d{1,4}(\.\d+)?,-?\d{1,4}(,\d)?", fullmatch=True),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "", "..", "../x", "\x00", "0x10", "１２"]),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(NAMES, VALUES), max_size=8), st.integers(1, 5))
def test_iip_parser_and_render_params(pairs, nchannels):
    try:
        request = iip.parse(pairs)
    except ParameterError as exc:
        assert str(exc)
        return
    cuts = [(0.0, 1.0)] * nchannels
    try:
        params = iip.render_params(request, nchannels, cuts)
    except ParameterError as exc:
        assert str(exc)
        return
    assert len(params.minmax) == nchannels
    assert params.channel is None or 0 <= params.channel < nchannels
    assert 0 <= params.quality <= 100 and 0.2 <= params.gamma <= 5


REST_NAMES = st.sampled_from(["channel", "min", "max", "minmax", "mix", "saturation", "stretch", "contrast",
                              "brightness", "gamma", "colormap", "invert", "quality", "other"])  # fmt: skip


@settings(max_examples=250, deadline=None)
@given(
    st.dictionaries(REST_NAMES, st.lists(VALUES, min_size=1, max_size=3), max_size=6),
    st.integers(1, 4),
)
def test_rest_parameters(query, nchannels):
    try:
        params = rest_params.parse(query, nchannels, [(0.0, 1.0)] * nchannels, "jpeg")
    except ParameterError as exc:
        assert str(exc)
        return
    assert len(params.minmax) == nchannels


NUMBERY = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789+-.eE_ x", max_size=30),
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(["1" + "0" * 400, "10^400", "1e400", "nan", "Infinity", "１２", "٣", "1_0"]),
)


@settings(max_examples=400, deadline=None)
@given(NUMBERY, st.booleans())
def test_number_is_ascii_decimal_and_finite_or_a_parameter_error(text, integer):
    try:
        value = iip.number("n", text, integer=integer)
    except ParameterError as exc:
        assert str(exc).startswith("n: ")
        return
    assert len(text.strip()) <= iip.MAX_NUMBER_LENGTH
    assert isinstance(value, int) if integer else math.isfinite(value)


INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


@settings(max_examples=600, deadline=None)
@given(NUMBERY, st.booleans())
def test_number_takes_exactly_the_decimal_notation(text, integer):
    stripped = text.strip()
    grammar = (INTEGER if integer else DECIMAL).fullmatch(stripped)
    short = len(stripped) <= iip.MAX_NUMBER_LENGTH
    finite = integer or (grammar is not None and math.isfinite(float(stripped)))
    try:
        iip.number("n", text, integer=integer)
        accepted = True
    except ParameterError:
        accepted = False
    assert accepted == bool(grammar and short and finite), stripped


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**30), 10**30))
def test_numbers_written_by_clients_read_back(x, n):
    assert iip.number("x", repr(x)) == x
    assert iip.number("n", str(n), integer=True) == n


SCIENCE_NAMES = st.sampled_from(["x", "y", "x1", "y1", "x2", "y2", "channel", "bins", "binning"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(SCIENCE_NAMES, st.lists(NUMBERY, min_size=1, max_size=3)), st.integers(1, 4))
def test_rest_science_requests(query, nchannels):
    grid = TileGrid(600, 400)
    requests = [
        lambda: rest_params.values_request(query, nchannels),
        lambda: rest_params.profile_request(query, nchannels),
        lambda: rest_params.cutout_request(query, nchannels),
        lambda: rest_params.histogram_request(query, nchannels),
        lambda: rest_params.region_request(query, grid, nchannels, [(0.0, 1.0)] * nchannels, "png"),
    ]
    for make in requests:
        try:
            make()
        except ParameterError as exc:
            assert str(exc)


# --- well-formed values, parameter by parameter ----------------------------------------
# Each strategy draws (text, expected) for one parameter; ``expected`` is computed from
# the drawn numbers themselves (a parsed number equals its text read by Python), never by
# the parser. Every parameter the parsers know has one (asserted below), and each test
# mixes the parameter under test with well-formed others, reported with event().


def decimal_text(low=-1e6, high=1e6, integer=False):
    """ASCII decimal text of a number in [low, high], in the notations clients write."""
    if integer:
        ints = st.integers(int(math.ceil(low)), int(math.floor(high)))
        return st.one_of(ints.map(str), ints.map(lambda n: f"+{n}" if n >= 0 else str(n)),
                         ints.map(lambda n: f" {n} "))  # fmt: skip
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.one_of(
        floats.map(repr),
        floats.map(lambda x: f"{x:.3f}").filter(lambda t: low <= float(t) <= high),
        floats.map(lambda x: f"{x:e}").filter(lambda t: low <= float(t) <= high),
        st.integers(int(math.ceil(low)), int(math.floor(high))).map(str),
    )


def number_of(text, integer=False):
    return int(text) if integer else float(text)


def scalar(parameter, iip_choices=None):
    """(text, typed value) of a declared scalar render parameter, within its range."""
    kind = parameter.kind
    if kind in ("number", "integer"):
        integer = kind == "integer"
        return decimal_text(parameter.low, parameter.high, integer).map(
            lambda t: (t, number_of(t, integer))
        )
    if kind == "flag":
        return st.sampled_from(rest_params.TRUE + rest_params.FALSE).map(
            lambda w: (w, w in rest_params.TRUE)
        )
    choices = iip_choices or parameter.choices
    return st.sampled_from(choices).flatmap(
        lambda c: st.sampled_from([c, c.upper(), f" {c}"]).map(lambda t, c=c: (t, c))
    )


def pair_text(integer, low=-1000, high=1000):
    one = decimal_text(low, high, integer)
    return st.tuples(one, one).map(lambda p: (",".join(p), tuple(number_of(t, integer) for t in p)))


OFF = ("0", "false", "no", "off")


def _jtl(ri):
    return f"{ri[0]},{ri[1]}", lambda r: r.jtl == ri


def _chan(text):
    return text, lambda r: r.chan[-1] == int(text)


def _minmax(drawn):
    channel, (text, pair) = drawn
    return f"{channel}:{text}", lambda r: r.minmax[channel] == pair


def _mix(drawn):
    channel, *rgb = drawn
    return f"{channel}:{','.join(rgb)}", lambda r: r.mix[channel] == tuple(map(float, rgb))


def _two_points(attribute):
    def make(drawn):
        (first, a), (second, b) = drawn
        return f"{first}:{second}", lambda r: getattr(r, attribute) == (a, b)

    return make


def _bin(text):
    n = int(text)  # rounded down to a power of two: at most n, more than n / 2
    return text, lambda r: r.binning & (r.binning - 1) == 0 and r.binning <= n < 2 * r.binning


def _attribute(name):
    return lambda request: getattr(request, name)


def _flag(read):
    """(word, check): a flag is on unless its word is one of OFF (an empty one is on)."""
    return lambda word: (word, lambda r: read(r) is (word.strip().lower() not in OFF))


def iip_strategies():
    """IIP name -> strategy of (value text, check(request))."""
    fif = st.one_of(
        st.integers(1, 10**12).map(str),
        st.from_regex(r"[a-z0-9-]{1,12}/[A-Za-z0-9_.-]{0,20}[A-Za-z0-9]\.fits", fullmatch=True),
    )
    rgb = decimal_text(-10, 10)
    result = {
        "FIF": fif.map(lambda t: (t, lambda r: r.fif == t)),
        "JTL": st.tuples(st.integers(0, 30), st.integers(0, 10**6)).map(_jtl),
        "CHAN": decimal_text(1, 256, integer=True).map(_chan),
        "MINMAX": st.tuples(st.integers(1, 4), pair_text(False)).map(_minmax),
        "MIX": st.tuples(st.integers(1, 4), rgb, rgb, rgb).map(_mix),
        "VAL": pair_text(False, -1e5, 1e5).map(lambda p: (p[0], lambda r: r.val == p[1])),
        "PFL": st.tuples(pair_text(True, 1, 2000), pair_text(True, 1, 2000)).map(
            _two_points("pfl")
        ),
        "RGN": st.tuples(pair_text(True, 1, 10**5), pair_text(True, 1, 10**5)).map(
            _two_points("rgn")
        ),
        "BIN": decimal_text(1, 65536, integer=True).map(_bin),
    }
    flags = st.sampled_from(["", "1", "0", "true", "off", " no "])
    for name in ("OBJ", "INFO"):
        result[name] = flags.map(_flag(_attribute(name.lower())))
    for name, declared in iip.RENDER_SCALARS.items():
        if declared.kind == "flag":
            result[name] = flags.map(_flag(lambda r, n=declared.name: r.rendering[n]))
        else:
            result[name] = scalar(declared, declared.iip_choices).map(
                lambda tv, n=declared.name: (tv[0], lambda r: r.rendering[n] == tv[1])
            )
    return result


IIP_WELL_FORMED = iip_strategies()


def test_every_iip_parameter_has_a_well_formed_strategy():
    assert set(IIP_WELL_FORMED) == iip.FLAGS | iip.SCALARS | iip.REPEATABLE


@pytest.mark.parametrize("name", sorted(IIP_WELL_FORMED))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_iip_well_formed_values_are_read_as_written(name, data):
    others = data.draw(st.lists(st.sampled_from(sorted(IIP_WELL_FORMED)), max_size=3))
    pairs = []
    for other in others:
        text, _check = data.draw(IIP_WELL_FORMED[other])
        pairs.append((other if data.draw(st.booleans()) else other.lower(), text))
        event(f"with {other}")
    text, check = data.draw(IIP_WELL_FORMED[name])
    pairs.append((name, text))  # last: its value is the one that counts
    request = iip.parse(pairs)
    assert check(request), (name, text, request)
    event(f"{name}: read as written")
    nchannels = data.draw(st.integers(1, 4))
    try:
        params = iip.render_params(request, nchannels, [(0.0, 1.0)] * nchannels)
    except ParameterError as exc:  # a MINMAX/MIX channel beyond this image's, ...
        event(f"render parameters refused: {str(exc).split(':')[0]}")
        return
    event("render parameters made")
    declared = iip.RENDER_SCALARS.get(name)
    if declared is not None and declared.renders:
        assert getattr(params, declared.name) == request.rendering[declared.name]
    if name == "CHAN":
        chosen = request.chan[-1]
        assert params.channel == (chosen - 1 if chosen <= nchannels else 0)
    if name == "MINMAX" and not request.chan:
        for channel, pair in request.minmax.items():
            assert params.minmax[channel - 1] == pair


def _rest_channel(c):
    return {"channel": [str(c)]}, lambda p, n: p.channel == c - 1


def _rest_preset(preset):
    return {"cuts": [preset]}, lambda p, n: p.minmax == tuple(PRESET_CUTS[preset][:n])


def _rest_cut(index):
    def make(text):
        query = {"channel": ["1"], ("min", "max")[index]: [text]}
        return query, lambda p, n: p.minmax[0][index] == float(text)

    return make


def _rest_minmax(drawn):
    channel, (text, pair) = drawn
    return {"minmax": [f"{channel}:{text}"]}, lambda p, n: p.minmax[channel - 1] == pair


def _rest_mix(drawn):
    channel, *rgb = drawn
    query = {"mix": [f"{channel}:{','.join(rgb)}"]}
    return query, lambda p, n: p.channel is None and p.mix is not None and len(p.mix) == n


def _rest_scalar(declared):
    def make(tv):
        text, value = tv
        return {declared.name: [text]}, (
            lambda p, n: not declared.renders or getattr(p, declared.name) == value
        )

    return make


def rest_strategies():
    """REST name -> strategy of (query, check(RenderParams, nchannels))."""
    weight = decimal_text(0, 10)
    result = {
        "channel": st.integers(1, 4).map(_rest_channel),
        "cuts": st.sampled_from(rest_params.BY_NAME["cuts"].choices).map(_rest_preset),
        "min": decimal_text().map(_rest_cut(0)),
        "max": decimal_text().map(_rest_cut(1)),
        "minmax": st.tuples(st.integers(1, 4), pair_text(False)).map(_rest_minmax),
        "mix": st.tuples(st.integers(1, 4), weight, weight, weight).map(_rest_mix),
    }
    for declared in rest_params.SCALARS:
        if declared.name not in result:
            result[declared.name] = scalar(declared).map(_rest_scalar(declared))
    return result


# Per-channel statistics holding every preset's cuts: preset k of channel c is (c, c + k).
PRESET_CUTS = {
    preset: [(float(c), float(c + k + 1)) for c in range(4)]
    for k, preset in enumerate(rest_params.BY_NAME["cuts"].choices)
}
STATS = [
    {"lo": 0.0, "hi": 1.0, "cuts": {p: PRESET_CUTS[p][c] for p in PRESET_CUTS}} for c in range(4)
]
REST_WELL_FORMED = rest_strategies()


def test_every_rest_parameter_has_a_well_formed_strategy():
    assert set(REST_WELL_FORMED) == {p.name for p in rest_params.PARAMETERS}


@pytest.mark.parametrize("name", sorted(REST_WELL_FORMED))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_rest_well_formed_values_are_read_as_written(name, data):
    nchannels = data.draw(st.integers(1, 4))
    query, check = data.draw(REST_WELL_FORMED[name])
    if (
        name in ("channel", "minmax", "mix")
        and max(int(v.split(":")[0]) for v in query[name]) > nchannels
    ):
        nchannels = 4  # a channel of this image
    if name == "mix" and nchannels == 1:
        nchannels = 2  # a mix is colour mode
    others = data.draw(st.lists(st.sampled_from(sorted(REST_WELL_FORMED)), max_size=3))
    for other in others:
        if other in query or other in ("min", "max", "minmax", "cuts", "channel", "mix"):
            continue  # these change the cuts or the mode the check reads
        extra, _check = data.draw(REST_WELL_FORMED[other])
        query = {**extra, **query}
        event(f"with {other}")
    if name == "mix":
        query.pop("channel", None)
    params = rest_params.parse(query, nchannels, STATS[:nchannels], "jpeg")
    assert check(params, nchannels), (name, query, params)
    event(f"{name}: read as written")
