"""The render parameters of a request are remembered (a viewing session asks for many
tiles of one rendering): a remembered answer must be the one a first reading gives, for
the same text, channels, format and statistics only."""

import pytest
from django.test import override_settings

from tiles import iip, params
from tiles.engine import ParameterError


@pytest.fixture(autouse=True)
def forget():
    iip._rendered.clear()
    params._parsed.clear()
    yield
    iip._rendered.clear()
    params._parsed.clear()


def iip_params(pairs, stats, nchannels=1, fmt="jpeg"):
    return iip.render_params(iip.parse(pairs), nchannels, stats, fmt)


def test_iip_the_same_rendering_is_worked_out_once_and_is_the_first_answer():
    stats = [(10.0, 20.0)]
    first = iip_params([("FIF", "a.fits"), ("JTL", "1,0"), ("GAM", "1.5")], stats)
    again = iip_params([("FIF", "a.fits"), ("JTL", "2,7"), ("GAM", "1.5")], stats)
    assert again is first  # another tile of the same rendering
    assert first.gamma == 1.5 and first.minmax == ((10.0, 20.0),)


def test_iip_another_text_channel_count_format_or_statistics_is_worked_out_again():
    stats = [(10.0, 20.0), (30.0, 40.0)]
    base = iip_params([("MINMAX", "1:0,5")], stats, 2)
    negative = iip_params([("MINMAX", "1:-0,5")], stats, 2)
    assert base.key() != negative.key()  # -0 is written apart: its ETag differs
    assert iip_params([("MINMAX", "1:0,5")], stats, 2, "png").fmt == "png"
    assert iip_params([("MINMAX", "1:0,5")], stats[:1], 1).minmax == ((0.0, 5.0),)
    # New statistics (a warm again): the new default cuts, not the remembered ones.
    fresh = [(10.0, 20.0), (31.0, 41.0)]
    assert iip_params([("MINMAX", "1:0,5")], fresh, 2).minmax == ((0.0, 5.0), (31.0, 41.0))
    assert iip_params([("MINMAX", "1:0,5")], stats, 2).minmax == ((0.0, 5.0), (30.0, 40.0))


def test_iip_parameters_outside_the_rendering_do_not_change_it_and_errors_are_kept_out():
    stats = [(0.0, 1.0), (2.0, 3.0)]
    with pytest.raises(ParameterError, match="outside 1..2"):
        iip_params([("MINMAX", "3:0,1")], stats, 2)
    assert iip._rendered == {}
    request = iip.parse([("FIF", "x"), ("JTL", "0,0"), ("CHAN", "2"), ("qlt", "80")])
    assert request.rendering_text == (("CHAN", "2"), ("QLT", "80"))
    made = iip.render_params(request, 2, stats)
    assert (made.channel, made.quality, made.minmax[1]) == (1, 80, (2.0, 3.0))


def test_iip_a_request_built_by_hand_is_read_each_time():
    request = iip.IIPRequest(chan=[1])
    assert iip.render_params(request, 1, [(0.0, 1.0)]).channel == 0
    assert iip._rendered == {}


def test_rest_the_same_query_is_parsed_once_and_lists_of_other_values_again():
    stats = [(10.0, 20.0)]
    first = params.parse({"gamma": ["2"], "colormap": ["hot"]}, 1, stats, "jpeg")
    assert params.parse({"gamma": ["2"], "colormap": ["hot"]}, 1, stats, "jpeg") is first
    assert (first.gamma, first.colormap, first.minmax) == (2.0, "hot", ((10.0, 20.0),))
    other = params.parse({"gamma": ["2"], "colormap": ["cool"]}, 1, stats, "jpeg")
    assert other.colormap == "cool"
    assert (
        params.parse({"min": ["-0"]}, 1, stats, "jpeg").key()
        != params.parse({"min": ["0"]}, 1, stats, "jpeg").key()
    )


def test_rest_a_query_dict_that_is_not_a_plain_dict_is_parsed_each_time():
    from django.http import QueryDict

    stats = [(10.0, 20.0)]
    assert params.parse(QueryDict("gamma=2"), 1, stats, "jpeg").gamma == 2.0
    assert params._parsed == {}


def test_a_settings_change_forgets_what_was_remembered():
    stats = [(0.0, 1.0)] * 3
    params.parse({"mix": ["1:1,0,0"]}, 3, stats, "jpeg")
    iip_params([("MIX", "1:1,0,0")], stats, 3)
    with override_settings(MAX_REQUEST_CHANNELS=2):
        assert params._parsed == {} and iip._rendered == {}
        with pytest.raises(ParameterError, match="at most 2"):
            iip_params([("MIX", "1:1,0,0")], stats, 3)
        with pytest.raises(ParameterError, match="at most 2"):
            params.parse({"mix": ["1:1,0,0"]}, 3, stats, "jpeg")
