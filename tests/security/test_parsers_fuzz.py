"""Property-based tests of the parameter parsers: any input gives typed values or a
ParameterError with a message; never another exception."""

import math
import re

from hypothesis import HealthCheck, given, settings
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
