"""The IIP parser (tiles/iip.py) value by value: each parameter read as written, at the
edges of its range and caps, with the message naming it; the mono/colour rules of
render_params, and RGN boxes worked out by hand in level pixels."""

import re
from types import SimpleNamespace

import pytest

from tiles import iip
from tiles.engine import ParameterError

CUTS = [(0.0, 10.0), (1.0, 11.0), (2.0, 12.0)]


def parse(*pairs, **kwargs):
    return iip.parse(list(pairs), **kwargs)


def refused(message, *pairs):
    with pytest.raises(ParameterError, match="^" + re.escape(message)):
        iip.parse(list(pairs))


def test_names_are_case_insensitive_and_messages_use_the_name_as_sent():
    request = parse(("jtl", "2,5"), ("Gam", "1.5"), ("chan", "2"), ("Fif", "a.fits"))
    assert request.jtl == (2, 5) and request.chan == [2] and request.fif == "a.fits"
    assert request.rendering == {"gamma": 1.5}
    refused("GAM: 0.1 is out of range [0.2, 5.0].", ("gam", "0.1"))
    refused("Unknown parameter 'Zoom'.", ("Zoom", "1"))


def test_a_value_may_be_1024_characters_long_not_more():
    assert parse(("FIF", "a" * 1024)).fif == "a" * 1024
    refused("fif: value too long (at most 1024 characters).", ("fif", "a" * 1025))
    assert iip.MAX_VALUE_LENGTH == 1024


def test_a_nul_character_is_refused_in_names_and_values():
    refused("FIF: invalid character in the value.", ("FIF", "a\x00.fits"))
    refused("CVT\x00: invalid character in the value.", ("CVT\x00", "jpeg"))


def test_a_parameter_may_be_repeated_4096_times_not_more():
    parse(*[("CVT", "jpeg")] * 4096)
    refused("CVT: given too many times.", *[("cvt", "jpeg")] * 2048, *[("CVT", "x")] * 2049)
    # Each name counts on its own.
    parse(*[("CVT", "jpeg")] * 4096, *[("SDS", "0")] * 4096)


def test_standard_and_underscore_parameters_are_accepted_and_ignored():
    names = ("CVT", "SDS", "WID", "HEI", "CTW", "SHD", "LYR", "SPECTRA", "CNV", "DEEPZOOM")
    assert set(names) == iip.IGNORED
    request = parse(*[(n, "whatever") for n in names], ("_", "123"), ("_ts", "9"))
    assert request == iip.IIPRequest()


@pytest.mark.parametrize(
    "value, on",
    [("", True), ("1", True), ("yes", True), ("anything", True),
     ("0", False), ("false", False), ("No", False), (" OFF ", False)],
)  # fmt: skip
def test_flags_are_on_unless_their_value_says_off(value, on):
    request = parse(("OBJ", value), ("INFO", value), ("INV", value))
    assert (request.obj, request.info, request.rendering) == (on, on, {"invert": on})


def test_render_scalars_by_their_iip_names():
    request = parse(("GAM", "0.2"), ("QLT", "0"), ("CNT", "1000"), ("BRT", "-100"),
                    ("CMP", "HOT"), ("SMO", "10"))  # fmt: skip
    assert request.rendering == {"gamma": 0.2, "quality": 0, "contrast": 1000.0,
                                 "brightness": -100.0, "colormap": "hot", "smooth": 10.0}  # fmt: skip
    assert isinstance(request.rendering["quality"], int)
    assert set(iip.RENDER_SCALARS) == {"GAM", "QLT", "CNT", "BRT", "CMP", "INV", "SMO"}


@pytest.mark.parametrize(
    "name, below, above, low, high",
    [("GAM", "0.19", "5.01", "0.2", "5.0"), ("QLT", "-1", "101", "0", "100"),
     ("CNT", "-0.01", "1000.5", "0.0", "1000.0"), ("BRT", "-100.5", "100.5", "-100.0", "100.0"),
     ("SMO", "-0.1", "10.1", "0.0", "10.0")],
)  # fmt: skip
def test_render_scalars_are_refused_beyond_their_range(name, below, above, low, high):
    for text in (below, above):
        refused(f"{name}: {text} is out of range [{low}, {high}].", (name, text))


def test_iip_colormaps_are_the_five_of_the_protocol_unless_widened():
    assert iip.IIP_COLORMAPS == ("grey", "jet", "cold", "cool", "hot")
    refused("CMP: 'viridis' is not one of grey, jet, cold, cool, hot.", ("CMP", "viridis"))
    assert parse(("CMP", "gray")).rendering == {"colormap": "grey"}
    widened = parse(("CMP", "viridis"), colormaps=("grey", "viridis"))
    assert widened.rendering == {"colormap": "viridis"}


def test_fif_is_a_name_without_parent_references():
    assert parse(("FIF", "  survey/a.fits ")).fif == "survey/a.fits"
    refused("FIF: empty image name.", ("FIF", "   "))
    for bad in ("../a.fits", "survey/../a.fits", "survey\\..\\a.fits", "a..fits", ".."):
        refused("FIF: '..' is not allowed in an image name.", ("FIF", bad))


def test_jtl_is_two_integers_from_zero():
    assert parse(("JTL", "0,0")).jtl == (0, 0)
    assert parse(("JTL", "3,17")).jtl == (3, 17)
    refused("JTL: resolution and tile index must be >= 0.", ("JTL", "-1,0"))
    refused("JTL: resolution and tile index must be >= 0.", ("JTL", "0,-1"))
    refused("JTL: '1.5' is not an integer.", ("JTL", "1.5,0"))
    refused("JTL: expected 2 values separated by ','", ("JTL", "1"))


def test_chan_is_kept_in_order_from_one(settings):
    assert parse(("CHAN", "3"), ("CHAN", "1"), ("CHAN", "3")).chan == [3, 1, 3]
    refused("CHAN: 0 is out of range [1, None].", ("CHAN", "0"))
    settings.MAX_REQUEST_CHANNELS = 3
    assert parse(*[("CHAN", "1")] * 3).chan == [1, 1, 1]
    refused("CHAN: at most 3 channels per request (4 given).", *[("CHAN", "1")] * 4)


def test_minmax_and_mix_are_per_channel_the_last_one_given(settings):
    request = parse(("MINMAX", "2:5,6"), ("MINMAX", "1:-1,1.5"), ("MINMAX", "2:7,8"),
                    ("MIX", "3:0,0.5,1"), ("MIX", "1:1,0,0"))  # fmt: skip
    assert request.minmax == {2: (7.0, 8.0), 1: (-1.0, 1.5)}
    assert request.mix == {3: (0.0, 0.5, 1.0), 1: (1.0, 0.0, 0.0)}
    refused("MINMAX: expected 'channel:values', got '5,6'.", ("MINMAX", "5,6"))
    refused("MIX: expected 'channel:values', got '1,0,0'.", ("MIX", "1,0,0"))
    refused("MINMAX: expected 2 values separated by ','", ("MINMAX", "1:5"))
    refused("MIX: expected 3 values separated by ','", ("MIX", "1:1,0"))
    refused("MINMAX: 0 is out of range", ("MINMAX", "0:1,2"))
    settings.MAX_REQUEST_CHANNELS = 2
    parse(*[("MINMAX", "1:0,1"), ("MINMAX", "2:0,1")] * 3, ("MIX", "1:1,1,1"), ("MIX", "2:1,1,1"))
    refused("MINMAX: at most 2 channels per request (3 given).",
            ("MINMAX", "1:0,1"), ("MINMAX", "2:0,1"), ("MINMAX", "3:0,1"))  # fmt: skip
    refused("MIX: at most 2 channels per request (3 given).",
            ("MIX", "1:1,1,1"), ("MIX", "2:1,1,1"), ("MIX", "3:1,1,1"))  # fmt: skip


def test_val_is_a_pixel_in_floats_within_the_coordinate_limit():
    assert parse(("VAL", "10.5,-3")).val == (10.5, -3.0)
    limit = 2**40
    assert parse(("VAL", f"{limit},{-limit}")).val == (float(limit), float(-limit))
    refused(f"VAL: {limit + 1} is out of range", ("VAL", f"{limit + 1},0"))
    refused("VAL: expected 2 values", ("VAL", "1,2,3"))


def test_pfl_and_rgn_are_two_integer_pixels(settings):
    assert parse(("PFL", "1,2:30,40")).pfl == ((1, 2), (30, 40))
    assert parse(("RGN", "5,6:1,2")).rgn == ((5, 6), (1, 2))
    for name in ("PFL", "RGN"):
        refused(f"{name}: expected 'x1,y1:x2,y2', got '1,2,3,4'.", (name, "1,2,3,4"))
        refused(f"{name}: '1.5' is not an integer.", (name, "1.5,2:3,4"))
        refused(f"{name}: expected 2 values", (name, "1,2:3"))
    settings.MAX_PROFILE_POINTS = 10
    assert parse(("PFL", "1,1:10,4")).pfl == ((1, 1), (10, 4))  # 10 points: the limit
    refused("PFL: the profile is 11 pixels long, more than the limit of 10.", ("PFL", "1,1:5,11"))
    assert parse(("RGN", "1,1:1000,1000")).rgn == ((1, 1), (1000, 1000))  # no length cap


@pytest.mark.parametrize(
    "given, binning",
    [("1", 1), ("2", 2), ("3", 2), ("4", 4), ("7", 4), ("8", 8), ("1000", 512), ("65535", 32768),
     ("65536", 65536)],
)  # fmt: skip
def test_bin_is_rounded_down_to_a_power_of_two(given, binning):
    assert parse(("BIN", given)).binning == binning


def test_bin_out_of_range():
    assert iip.IIPRequest().binning == 1
    refused("BIN: 0 is out of range [1, 65536].", ("BIN", "0"))
    refused("BIN: 65537 is out of range [1, 65536].", ("BIN", "65537"))


def rendered(*pairs, nchannels=3, fmt="jpeg"):
    return iip.render_params(iip.parse(list(pairs)), nchannels, CUTS[:nchannels], fmt)


def test_render_params_take_the_iip_defaults_and_the_format():
    bare = rendered(("CHAN", "1"), fmt="png")
    assert (bare.gamma, bare.quality, bare.contrast, bare.brightness, bare.smooth) == (
        2.2, 95, 1.0, 0.0, 0.0,
    )  # fmt: skip
    assert (bare.colormap, bare.invert, bare.stretch, bare.fmt) == ("grey", False, "linear", "png")
    assert bare.channel == 0 and bare.mix is None and bare.minmax == tuple(CUTS)


def test_mono_mode_is_the_last_chan_and_only_its_minmax():
    mono = rendered(("CHAN", "1"), ("CHAN", "3"), ("MINMAX", "1:5,6"), ("MINMAX", "3:7,8"))
    assert mono.channel == 2
    assert mono.minmax == ((0.0, 10.0), (1.0, 11.0), (7.0, 8.0))
    beyond = rendered(("CHAN", "4"), ("MINMAX", "1:5,6"))  # beyond N: channel 1
    assert beyond.channel == 0 and beyond.minmax[0] == (5.0, 6.0)
    assert rendered(("CHAN", "3"), nchannels=3).channel == 2  # N itself is a channel


def test_colour_mode_applies_every_minmax_and_mix():
    colour = rendered(("MINMAX", "1:5,6"), ("MINMAX", "3:7,8"), ("MIX", "2:0,1,0"))
    assert colour.channel is None
    assert colour.minmax == ((5.0, 6.0), (1.0, 11.0), (7.0, 8.0))
    # One row given: every channel that colour, times 3/N (N = 3).
    assert colour.mix == ((0.0, 1.0, 0.0),) * 3
    two = rendered(("MIX", "1:1,0,0"), ("MIX", "3:0,0,1"))
    assert two.mix == ((1.0, 0.0, 0.0), (0.5, 0.0, 0.5), (0.0, 0.0, 1.0))


def test_channels_beyond_the_image_are_refused_in_minmax_and_mix():
    with pytest.raises(ParameterError, match=r"^MINMAX: channel 4 is outside 1\.\.3\.$"):
        rendered(("MINMAX", "4:0,1"))
    with pytest.raises(ParameterError, match=r"^MIX: channel 3 is outside 1\.\.2\.$"):
        rendered(("MIX", "3:0,1,0"), nchannels=2)
    rendered(("MINMAX", "3:0,1"), ("MIX", "3:0,1,0"))  # N itself is a channel


def test_colour_mode_of_too_many_channels_is_refused(settings):
    settings.MAX_REQUEST_CHANNELS = 2
    with pytest.raises(ParameterError, match="choose one with CHAN"):
        rendered(("JTL", "0,0"))
    assert rendered(("CHAN", "2")).channel == 1


def test_iip_default_cuts_are_visiomatics():
    stats = [{"background": 0, "mad": 1, "lo": -2.0, "hi": 400.0, "min": -5, "max": 900,
              "cuts": {"zscale": [-1.0, 3.0], "visiomatic": [-2.0, 400.0]}}]  # fmt: skip
    assert iip.default_cuts(stats) == [(-2.0, 400.0)]
    request = iip.parse([("CHAN", "1")])
    assert iip.render_params(request, 1, stats).minmax == ((-2.0, 400.0),)


def test_value_channels_are_every_chan_zero_based():
    assert iip.value_channels(iip.parse([]), 3) is None
    assert iip.value_channels(iip.parse([("CHAN", "3"), ("CHAN", "1")]), 3) == [2, 0]
    with pytest.raises(ParameterError, match=r"^CHAN: 4 is outside 1\.\.3\.$"):
        iip.value_channels(iip.parse([("CHAN", "1"), ("CHAN", "4")]), 3)


def test_profile_request_within_the_caps(settings):
    request = iip.parse([("PFL", "1,2:4,10"), ("CHAN", "2")])
    assert iip.profile_request(request, 3) == ((1, 2, 4, 10), [1])
    assert iip.profile_request(iip.parse([("PFL", "1,2:4,10")]), 3) == ((1, 2, 4, 10), None)
    settings.MAX_PROFILE_VALUES = 27  # 9 points x 3 channels
    iip.profile_request(iip.parse([("PFL", "1,2:4,10")]), 3)
    settings.MAX_PROFILE_VALUES = 26
    with pytest.raises(ParameterError, match=r"^PFL: the profile would give 27 values"):
        iip.profile_request(iip.parse([("PFL", "1,2:4,10")]), 3)
    iip.profile_request(iip.parse([("PFL", "1,2:4,10"), ("CHAN", "1")]), 3)  # 9 values
    settings.MAX_PROFILE_POINTS = 8
    with pytest.raises(ParameterError, match=r"^PFL: the profile is 9 pixels long"):
        iip.profile_request(request, 3)


GRID = SimpleNamespace(levels=4)


def region(rgn, binning=None, grid=GRID):
    pairs = [("RGN", rgn)] + ([("BIN", binning)] if binning else [])
    return iip.region_box(iip.parse(pairs), grid)


def test_rgn_boxes_in_level_pixels():
    # Full resolution: 1-based pixels 1..9 across, 1..5 down -> 0-based from 0, to 8 and 4.
    assert region("1,1:9,5") == (0, (0, 0, 8, 4))
    assert region("9,5:1,1") == (0, (0, 0, 8, 4))  # corners in any order
    assert region("3,7:1,2") == (0, (0, 1, 2, 6))
    # Binning 4: level 2, each level pixel 4 full-resolution ones.
    assert region("1,1:17,9", "4") == (2, (0, 0, 4, 2))
    assert region("5,9:20,30", "5") == (2, (1, 2, 4, 7))
    # Binning beyond the pyramid: its coarsest level (3 of 0..3).
    assert region("1,1:64,64", "16") == (3, (0, 0, 7, 7))
    assert region("1,1:64,64", "8", grid=SimpleNamespace(levels=1)) == (0, (0, 0, 63, 63))


def test_a_region_empty_at_its_binning_is_refused():
    for rgn, binning in (
        ("1,1:1,9", None),
        ("1,1:9,1", None),
        ("5,1:5,9", None),
        ("1,5:9,5", None),
        ("1,1:4,9", "4"),
        ("2,2:4,30", "4"),
    ):
        with pytest.raises(ParameterError, match=r"^RGN: the region is empty at this binning\.$"):
            region(rgn, binning)


def test_point_pairs_split_at_the_first_colon_within_the_coordinate_limit():
    refused("RGN: '4:5' is not an integer.", ("RGN", "1,2:3,4:5"))
    long = "1," * 40  # 80 characters, no colon: the message quotes the first 60
    refused(f"PFL: expected 'x1,y1:x2,y2', got '{long[:60]}'.", ("PFL", long))
    limit = 2**40
    assert parse(("RGN", f"{-limit},1:{limit},2")).rgn == ((-limit, 1), (limit, 2))
    refused(f"RGN: {limit + 1} is out of range", ("RGN", f"{limit + 1},1:2,2"))
    refused(f"RGN: {-limit - 1} is out of range", ("RGN", f"1,1:{-limit - 1},2"))
    refused(f"PFL: {limit + 1} is out of range", ("PFL", f"1,{limit + 1}:2,2"))


def test_iip_renders_jpeg_unless_told():
    assert iip.render_params(iip.parse([("CHAN", "1")]), 1, [(0.0, 1.0)]).fmt == "jpeg"
