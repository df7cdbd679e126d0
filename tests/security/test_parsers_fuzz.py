"""Property-based tests of the parameter parsers: any input gives typed values or a
ParameterError with a message; never another exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tiles import iip
from tiles import params as rest_params
from tiles.engine import ParameterError

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
