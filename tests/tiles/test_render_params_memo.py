"""The render parameters of a request are remembered (a viewing session asks for many
tiles of one rendering): a remembered answer must be the one a first reading gives, for
the same text, channels, format and statistics only."""

import pytest
from django.test import override_settings

from tiles import iip, params
from tiles.engine import ParameterError


@pytest.fixture(autouse=True)
def forget():
    for memo in (iip._rendered, iip._common, params._parsed):
        memo.clear()
    yield
    for memo in (iip._rendered, iip._common, params._parsed):
        memo.clear()


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
    assert len(iip._rendered) == 0
    request = iip.parse([("FIF", "x"), ("JTL", "0,0"), ("CHAN", "2"), ("qlt", "80")])
    assert request.rendering_text == (("CHAN", "2"), ("QLT", "80"))
    made = iip.render_params(request, 2, stats)
    assert (made.channel, made.quality, made.minmax[1]) == (1, 80, (2.0, 3.0))


def test_iip_a_request_built_by_hand_is_read_each_time():
    request = iip.IIPRequest(chan=[1])
    assert iip.render_params(request, 1, [(0.0, 1.0)]).channel == 0
    assert iip.render_params(request, 1, [(0.0, 1.0)], "png").fmt == "png"
    assert len(iip._rendered) == 0


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
    assert len(params._parsed) == 0


def test_a_settings_change_forgets_what_was_remembered():
    stats = [(0.0, 1.0)] * 3
    params.parse({"mix": ["1:1,0,0"]}, 3, stats, "jpeg")
    iip_params([("MIX", "1:1,0,0")], stats, 3)
    with override_settings(MAX_REQUEST_CHANNELS=2):
        assert len(params._parsed) == len(iip._rendered) == len(iip._common) == 0
        with pytest.raises(ParameterError, match="at most 2"):
            iip_params([("MIX", "1:1,0,0")], stats, 3)
        with pytest.raises(ParameterError, match="at most 2"):
            params.parse({"mix": ["1:1,0,0"]}, 3, stats, "jpeg")


# --- the IIP query itself: read once for the tiles of one rendering -----------------
def test_iip_the_tiles_of_one_rendering_share_their_reading_and_keep_their_own_tile():
    first = iip.parse([("FIF", "a.fits"), ("JTL", "1,0"), ("CHAN", "2"), ("GAM", "1.5")])
    again = iip.parse([("fif", "b.fits"), ("JTL", "3,7"), ("CHAN", "2"), ("GAM", "1.5")])
    assert (first.fif, first.jtl, again.fif, again.jtl) == ("a.fits", (1, 0), "b.fits", (3, 7))
    assert again.chan is first.chan and again.rendering == {"gamma": 1.5}
    assert len(iip._common) == 1
    assert again.rendering_text == (("CHAN", "2"), ("GAM", "1.5"))
    # Another rendering is read anew.
    other = iip.parse([("FIF", "a.fits"), ("JTL", "1,0"), ("CHAN", "3"), ("GAM", "1.5")])
    assert other.chan == [3] and len(iip._common) == 2


def test_iip_a_remembered_reading_still_checks_each_tiles_own_pairs_in_order():
    iip.parse([("FIF", "a.fits"), ("JTL", "1,0"), ("QLT", "80")])
    with pytest.raises(ParameterError, match="JTL: resolution and tile index must be >= 0"):
        iip.parse([("FIF", "a.fits"), ("JTL", "-1,0"), ("QLT", "80")])
    with pytest.raises(ParameterError, match="'..' is not allowed"):
        iip.parse([("FIF", "../a.fits"), ("JTL", "1,0"), ("QLT", "80")])
    with pytest.raises(ParameterError, match="FIF: value too long"):
        iip.parse([("FIF", "a" * 1025), ("QLT", "80")])
    with pytest.raises(ParameterError, match="JTL: given too many times"):
        iip.parse([("QLT", "80")] + [("JTL", "1,0")] * (iip.MAX_REPEATS + 1))
    # Both refused: the first in the order given, as a first reading says.
    with pytest.raises(ParameterError, match="^JTL"):
        iip.parse([("JTL", "x"), ("QLT", "abc")])
    with pytest.raises(ParameterError, match="^QLT"):
        iip.parse([("QLT", "abc"), ("JTL", "x")])
    assert len(iip._common) == 1  # failures are not remembered


def test_iip_a_settings_change_reads_the_common_pairs_again():
    pairs = [("FIF", "a.fits"), ("JTL", "0,0"), ("CHAN", "1"), ("CHAN", "2"), ("CHAN", "3")]
    assert iip.parse(pairs).chan == [1, 2, 3]
    with (
        override_settings(MAX_REQUEST_CHANNELS=2),
        pytest.raises(ParameterError, match="CHAN: at most 2 channels"),
    ):
        iip.parse(pairs)


def test_statistics_dropped_and_made_anew_are_never_taken_for_the_old_ones():
    # A re-warm's new statistics may come where the old ones were in memory: the memo
    # holds what it remembers, so an identity is not reused under it.
    for lo in range(40):
        stats = [(float(lo), lo + 100.0)]
        assert iip_params([("GAM", "1.5")], stats).minmax == ((lo, lo + 100.0),)
        assert params.parse({"gamma": ["2"]}, 1, stats, "jpeg").minmax == ((lo, lo + 100.0),)
        del stats


def test_iip_pairs_given_once_through_read_whole_and_the_tiles_own_counted_apart():
    pairs = iter([("FIF", "a.fits"), ("JTL", "1,2"), ("GAM", "2")])  # read once only
    request = iip.parse(pairs)
    assert (request.fif, request.jtl, request.rendering) == ("a.fits", (1, 2), {"gamma": 2.0})
    with pytest.raises(ParameterError, match="^JTL"):  # read again whole for its first error
        iip.parse(iter([("JTL", "x"), ("QLT", "abc")]))
    many = [("FIF", "a.fits")] + [("JTL", "1,0")] * iip.MAX_REPEATS + [("GAM", "2")]
    assert iip.parse(many).jtl == (1, 0)  # each name's repeats, not FIF's and JTL's together


def test_iip_colormaps_narrowed_by_the_caller_are_the_only_ones():
    with pytest.raises(ParameterError, match="'hot' is not one of grey, jet"):
        iip.parse([("JTL", "0,0"), ("CMP", "hot")], colormaps=("grey", "jet"))
    assert iip.parse([("CMP", "jet")], colormaps=("grey", "jet")).rendering == {"colormap": "jet"}


class UnhashableText(str):
    __hash__ = None


def test_rest_values_that_cannot_be_a_key_are_read_each_time_all_the_same():
    stats = [(10.0, 20.0), (30.0, 40.0)]
    query = {"quality": [UnhashableText("80")], "minmax": [UnhashableText("2:1,5")]}
    read = params.parse(query, 2, stats, "png")
    expected = params.parse({"quality": ["80"], "minmax": ["2:1,5"]}, 2, stats, "png")
    params._parsed.clear()
    assert read == expected
    assert (read.fmt, read.quality, read.minmax) == ("png", 80, ((10.0, 20.0), (1.0, 5.0)))
    assert params.parse(query, 2, stats, "png") is not read
    assert len(params._parsed) == 0
