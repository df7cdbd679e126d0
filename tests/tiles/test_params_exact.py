"""The REST render parameters (tiles/params.py) value by value: every declared range at
its ends, every kind's parsing and message, the schema each entry gives, the cut
presets' rules, and the science requests (regions, values, profiles, cutouts,
histograms) with boxes worked out by hand."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
from django.http import QueryDict

from tiles import params
from tiles.engine import ParameterError

CUTS3 = [(0.0, 10.0), (1.0, 11.0), (2.0, 12.0)]


def parse(text, nchannels=1, cuts=None, fmt="jpeg"):
    return params.parse(QueryDict(text), nchannels, cuts or CUTS3[:nchannels], fmt)


def refused(message, text, nchannels=1, cuts=None):
    with pytest.raises(ParameterError, match="^" + re.escape(message)):
        parse(text, nchannels, cuts)


# name: (lowest accepted, highest accepted, just below, just above, as the message writes the range)
RANGES = {
    "saturation": ("0", "10", "-0.01", "10.01", "[0.0, 10.0]"),
    "contrast": ("0", "1000", "-0.5", "1000.5", "[0.0, 1000.0]"),
    "brightness": ("-100", "100", "-100.5", "100.5", "[-100.0, 100.0]"),
    "gamma": ("0.2", "5", "0.19", "5.01", "[0.2, 5.0]"),
    "smooth": ("0", "10", "-0.1", "10.1", "[0.0, 10.0]"),
    "quality": ("0", "100", "-1", "101", "[0, 100]"),
}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_each_number_is_accepted_at_the_ends_of_its_range_and_refused_beyond(name):
    low, high, below, above, written = RANGES[name]
    declared = params.BY_NAME[name]
    assert declared.value(low) == float(low) and declared.value(high) == float(high)
    for text in (below, above):
        with pytest.raises(
            ParameterError, match="^" + re.escape(f"{name}: {text} is out of range {written}.")
        ):
            declared.value(text)


def test_the_declared_defaults_reach_the_rendering():
    bare = parse("", fmt="webp")
    assert (bare.contrast, bare.brightness, bare.gamma, bare.smooth, bare.quality) == (
        1.0, 0.0, 2.2, 0.0, 90,
    )  # fmt: skip
    assert (bare.colormap, bare.stretch, bare.invert, bare.fmt) == ("grey", "linear", False, "webp")


def test_quality_is_an_integer():
    assert params.BY_NAME["quality"].value("85") == 85
    assert isinstance(params.BY_NAME["quality"].value("85"), int)
    refused("quality: '85.0' is not an integer.", "quality=85.0")


@pytest.mark.parametrize(
    "text, on",
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("", True),
     ("0", False), ("False", False), ("no", False), ("off", False)],
)  # fmt: skip
def test_a_flag_reads_the_usual_words(text, on):
    assert params.BY_NAME["invert"].value(text) is on


def test_a_flag_refuses_other_words():
    refused("invert: expected true or false.", "invert=2")
    with pytest.raises(ParameterError, match=r"^INV: expected true or false\.$"):
        params.BY_NAME["invert"].value("maybe", "INV")


def test_choices_are_case_blind_with_aliases_and_a_cut_message():
    colormap = params.BY_NAME["colormap"]
    assert colormap.value(" Viridis ") == "viridis"
    assert colormap.value("GRAY") == "grey"
    assert colormap.value("magma", choices=("magma",)) == "magma"
    with pytest.raises(ParameterError, match=r"^CMP: 'magma' is not one of grey, hot\.$"):
        colormap.value("magma", "CMP", ("grey", "hot"))
    long = "x" * 50
    refused(f"colormap: '{'x' * 40}' is not one of grey, jet, cold, cool, hot, viridis, magma.",
            f"colormap={long}")  # fmt: skip
    refused("stretch: 'cubic' is not one of linear, sqrt, log, asinh.", "stretch=cubic")
    assert parse("stretch=LOG").stretch == "log"


def test_a_structured_parameter_has_no_scalar_value():
    assert params.BY_NAME["cuts"].value(None) == "zscale"
    assert params.BY_NAME["cuts"].value("Visiomatic") == "visiomatic"
    with pytest.raises(ValueError, match="^mix is not a scalar parameter$"):
        params.BY_NAME["mix"].value("1:1,1,1")
    assert params.BY_NAME["mix"].value(None) is None


def test_the_iip_defaults_where_they_differ():
    assert params.BY_NAME["quality"].iip_value == 95
    assert params.BY_NAME["cuts"].iip_value == "visiomatic"
    assert params.BY_NAME["gamma"].iip_value == 2.2  # the REST one
    assert {p.name: p.iip for p in params.PARAMETERS if p.iip} == {
        "channel": "CHAN", "minmax": "MINMAX", "mix": "MIX", "contrast": "CNT",
        "brightness": "BRT", "gamma": "GAM", "colormap": "CMP", "invert": "INV",
        "smooth": "SMO", "quality": "QLT",
    }  # fmt: skip


def test_each_schema_says_type_range_choices_and_default():
    schema = {p.name: p.schema() for p in params.PARAMETERS}
    assert schema["gamma"] == {"type": "number", "minimum": 0.2, "maximum": 5.0, "default": 2.2}
    assert schema["quality"] == {"type": "integer", "minimum": 0, "maximum": 100, "default": 90}
    assert schema["invert"] == {"type": "boolean", "default": False}
    assert schema["channel"] == {"type": "integer", "minimum": 1}
    assert schema["min"] == {"type": "number"} and schema["max"] == {"type": "number"}
    assert schema["mix"] == {"type": "string"}  # many: no default
    assert schema["minmax"] == {"type": "string"}
    assert schema["stretch"] == {"type": "string", "enum": ["linear", "sqrt", "log", "asinh"],
                                 "default": "linear"}  # fmt: skip
    assert schema["cuts"] == {
        "type": "string", "enum": ["zscale", "minmax", "99.5", "99", "98", "95", "visiomatic"],
        "default": "zscale",
    }  # fmt: skip
    assert schema["brightness"]["minimum"] == -100.0


def test_describe_and_openapi_list_every_entry_in_order():
    names = ["channel", "cuts", "min", "max", "minmax", "mix", "saturation", "stretch",
             "contrast", "brightness", "gamma", "colormap", "invert", "smooth", "quality"]  # fmt: skip
    described = params.describe()
    assert [d["name"] for d in described] == names
    mix = described[names.index("mix")]
    assert (mix["kind"], mix["type"], mix["many"]) == ("rows", "string", True)
    assert mix["doc"].startswith("'c:r,g,b': the colour of channel c")
    gamma = described[names.index("gamma")]
    assert gamma == {"name": "gamma", "kind": "number", "type": "number", "minimum": 0.2,
                     "maximum": 5.0, "default": 2.2, "many": False,
                     "doc": params.BY_NAME["gamma"].doc}  # fmt: skip
    openapi = params.openapi_parameters()
    assert [p.name for p in openapi] == names
    by_name = {p.name: p for p in openapi}
    assert (by_name["mix"].style, by_name["mix"].explode) == ("form", True)
    assert by_name["mix"].type == {"type": "array", "items": {"type": "string"}}
    assert (by_name["gamma"].style, by_name["gamma"].explode) == (None, None)
    assert by_name["gamma"].description == params.BY_NAME["gamma"].doc


def test_image_defaults_of_one_two_and_three_channels():
    one, two, three = (params.image_defaults(n) for n in (1, 2, 3))
    assert one["channel"] == 0 and two["channel"] is None and three["channel"] is None
    assert one["mix"] == [[1.0, 1.0, 1.0]]
    assert three["mix"] == [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    assert one["cuts"] == "zscale" and one["gamma"] == 2.2 and one["quality"] == 90
    assert one["saturation"] == 1.0


def stats(cuts, lo=-2.0, hi=400.0):
    return {"background": 0.0, "mad": 1.0, "lo": lo, "hi": hi, "min": -9.0, "max": 999.0,
            "cuts": cuts}  # fmt: skip


def test_cut_presets_are_those_every_channel_has():
    a = stats({"zscale": [1, 2], "minmax": [0, 9], "visiomatic": [-2, 400]})
    b = stats({"zscale": [3, 4], "visiomatic": [-1, 300]})
    assert params.cut_presets([a, b]) == {
        "zscale": [(1, 2), (3, 4)],
        "visiomatic": [(-2, 400), (-1, 300)],
    }
    assert params.cut_presets([]) == {}
    assert params.cut_presets([stats({})]) == {}
    assert list(params.cut_presets([a])) == ["zscale", "minmax", "visiomatic"]  # declared order


def test_preset_cuts_from_statistics():
    both = [
        stats({"zscale": [1, 2], "visiomatic": [-2, 400]}),
        stats({"zscale": [3, 4], "visiomatic": [5, 6]}),
    ]
    assert params.preset_cuts(both, "zscale") == [(1.0, 2.0), (3.0, 4.0)]
    assert params.preset_cuts(both, "visiomatic") == [(-2.0, 400.0), (5.0, 6.0)]
    assert all(isinstance(v, float) for pair in params.preset_cuts(both, "zscale") for v in pair)
    with pytest.raises(ParameterError, match=r"^cuts: '99' is not one of zscale, visiomatic\.$"):
        params.preset_cuts(both, "99")


def test_preset_cuts_from_statistics_older_than_the_presets():
    old = [{"background": 0, "mad": 1, "lo": -2, "hi": 400, "min": 0, "max": 9}]
    assert params.preset_cuts(old, "zscale") == [(-2.0, 400.0)]
    assert params.preset_cuts(old, "visiomatic") == [(-2.0, 400.0)]
    with pytest.raises(ParameterError, match=re.escape(
            "cuts: this image's statistics predate the 'minmax' preset (warm it again).")):  # fmt: skip
        params.preset_cuts(old, "minmax")


def test_preset_cuts_from_pairs():
    assert params.preset_cuts([(1.0, 2.0)], "zscale") == [(1.0, 2.0)]
    assert params.preset_cuts([(1.0, 2.0)], "visiomatic") == [(1.0, 2.0)]
    assert params.preset_cuts([], "zscale") == []
    for preset in ("minmax", "99"):
        with pytest.raises(
            ParameterError, match=f"^cuts: '{preset}' needs the image's statistics.$"
        ):
            params.preset_cuts([(1.0, 2.0)], preset)
    with pytest.raises(ParameterError, match="needs the image's statistics"):
        params.preset_cuts([], "98")


def test_preset_cuts_from_channel_stats_objects():
    from tiles.engine.stats import ChannelStats

    entry = ChannelStats(
        0.0, 1.0, -2.0, 400.0, -9.0, 999.0, {"zscale": [1.0, 2.0], "visiomatic": [-2.0, 400.0]}
    )
    assert params.preset_cuts([entry], "zscale") == [(1.0, 2.0)]
    assert params.cut_presets([entry]) == {"zscale": [(1.0, 2.0)], "visiomatic": [(-2.0, 400.0)]}


def test_the_cuts_preset_and_minmax_min_max_in_a_query():
    cuts = [stats({"zscale": [1, 2], "minmax": [0, 9], "visiomatic": [-2, 400]})] * 2
    assert parse("cuts=minmax", 2, cuts).minmax == ((0.0, 9.0), (0.0, 9.0))
    assert parse("cuts=minmax&minmax=2:3,4", 2, cuts).minmax == ((0.0, 9.0), (3.0, 4.0))
    assert parse("channel=2&min=5", 2, cuts).minmax == ((1.0, 2.0), (5.0, 2.0))
    assert parse("channel=2&max=7&max=8", 2, cuts).minmax == ((1.0, 2.0), (1.0, 8.0))
    assert parse("channel=1&minmax=1:3,4&min=0", 2, cuts).minmax == ((0.0, 4.0), (1.0, 2.0))
    refused("min: 'x' is not a number.", "min=x")
    refused("max: 'y' is not a number.", "max=y")


def test_unknown_parameters_name_the_first_in_order():
    refused("Unknown parameter 'b' (known: brightness, channel, colormap, contrast, cuts, gamma, "
            "invert, max, min, minmax, mix, quality, saturation, smooth, stretch, v).", "zz=1&b=2")  # fmt: skip


def test_the_channel_chooses_mono_mode():
    assert parse("channel=3", 3).channel == 2 and parse("channel=3", 3).mix is None
    assert parse("channel=1&channel=2", 3).channel == 1  # the last one
    assert parse("", 1).channel == 0
    assert parse("", 3).channel is None
    refused("channel: 4 is out of range [1, 3].", "channel=4", 3)
    refused("channel: 0 is out of range [1, 3].", "channel=0", 3)
    refused("channel: '1.5' is not an integer.", "channel=1.5", 3)


def test_mix_rows_are_checked_in_mono_mode_too():
    refused("mix: expected 3 values separated by ','", "channel=1&mix=1:1,1", 3)
    refused("mix: channel 4 is outside 1..3.", "channel=1&mix=4:1,1,1", 3)
    refused("minmax: channel 4 is outside 1..3.", "minmax=4:1,2", 3)
    assert parse("channel=1&mix=3:1,1,1", 3).mix is None


def test_colour_mode_mixes_with_saturation():
    colour = parse("mix=1:1,0,0&mix=2:1,0,0&mix=3:1,0,0&saturation=0.5", 3)
    # Each row (1, 0, 0) times 3/3, pushed half way to its grey 1/3.
    assert np.allclose(colour.mix, [(2 / 3, 1 / 6, 1 / 6)] * 3, rtol=0, atol=1e-12)
    assert parse("mix=1:0,0,3&mix=3:3,0,0", 3).mix == (
        (0.0, 0.0, 3.0),
        (1.5, 0.0, 1.5),
        (3.0, 0.0, 0.0),
    )
    # No rows: the default composite, blue, green, red.
    assert parse("", 3).mix == ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))


def test_the_counts_of_repeated_rows_are_capped(settings):
    settings.MAX_REQUEST_CHANNELS = 2
    refused(
        "minmax: at most 2 channels per request (3 given).",
        "minmax=1:0,1&minmax=1:0,1&minmax=1:0,1",
        2,
    )
    refused(
        "mix: at most 2 channels per request (3 given).", "mix=1:0,1,0&mix=1:0,1,0&mix=1:0,1,0", 2
    )
    parse("minmax=1:0,1&minmax=2:0,1&mix=1:0,1,0&mix=2:0,1,0", 2)
    refused(
        "Colour mode mixes at most 2 channels and this image has 3: choose one with channel.", "", 3
    )
    assert parse("channel=3", 3).channel == 2


def test_render_params_use_the_declared_defaults_for_what_is_missing():
    built = params.render_params({"gamma": 3.0}, [(0, 1), (2, 3)], None, ((1, 1, 1),) * 2, "png")
    assert built.gamma == 3.0 and built.quality == 90 and built.contrast == 1.0
    assert built.minmax == ((0, 1), (2, 3)) and isinstance(built.minmax[0], tuple)
    assert built.channel is None and built.fmt == "png" and built.mix == ((1, 1, 1),) * 2


GRID = SimpleNamespace(levels=4)


def region(text, nchannels=1, grid=GRID):
    level, box, _ = params.region_request(
        QueryDict(text), grid, nchannels, CUTS3[:nchannels], "png"
    )
    return level, box


def test_region_boxes_in_level_pixels():
    # Full-resolution pixels 1..10 across, 1..6 down: 0-based 0..9, 0..5, end excluded.
    assert region("x1=1&y1=1&x2=10&y2=6") == (0, (0, 0, 10, 6))
    assert region("x1=10&y1=6&x2=1&y2=1") == (0, (0, 0, 10, 6))
    # Binning 2: level 1, pixels 3..10 are level pixels 1..4 (5 excluded); 2..7 -> 0..3.
    assert region("x1=3&y1=2&x2=10&y2=7&binning=2") == (1, (1, 0, 5, 4))
    # Binning 3 rounds down to 2; 4..8 -> 1..4, a partial level pixel at each end included.
    assert region("x1=4&y1=4&x2=9&y2=9&binning=3") == (1, (1, 1, 5, 5))
    # Binning 4 -> level 2: 1..17 -> 0..4 (17 is in level pixel 4).
    assert region("x1=1&y1=1&x2=17&y2=16&binning=4") == (2, (0, 0, 5, 4))
    # Beyond the pyramid: its coarsest level.
    assert region("x1=1&y1=1&x2=64&y2=64&binning=64") == (3, (0, 0, 8, 8))
    assert region("x1=1&y1=1&x2=64&y2=64&binning=65536") == (3, (0, 0, 8, 8))


def test_region_requests_take_render_parameters_but_not_their_own():
    level, box, rendering = params.region_request(
        QueryDict("x1=1&y1=1&x2=4&y2=4&gamma=2.5&binning=1"), GRID, 1, [(0.0, 1.0)], "png"
    )
    assert rendering.gamma == 2.5 and rendering.fmt == "png"
    with pytest.raises(ParameterError, match=r"^binning: 0 is out of range \[1, 65536\]\.$"):
        region("x1=1&y1=1&x2=4&y2=4&binning=0")
    with pytest.raises(ParameterError, match=r"^binning: 65537 is out of range"):
        region("x1=1&y1=1&x2=4&y2=4&binning=65537")
    with pytest.raises(ParameterError, match=r"^y2: required\.$"):
        region("x1=1&y1=1&x2=4")
    with pytest.raises(ParameterError, match=r"^x1: '1.5' is not an integer\.$"):
        region("x1=1.5&y1=1&x2=4&y2=4")


def test_pixel_values_requests():
    q = QueryDict("x=10.5&y=-2&channel=3&channel=1")
    assert params.values_request(q, 3) == (10.5, -2.0, [2, 0])
    assert params.values_request(QueryDict("x=1&y=2"), 3) == (1.0, 2.0, None)
    with pytest.raises(ParameterError, match=r"^y: required\.$"):
        params.values_request(QueryDict("x=1"), 3)
    with pytest.raises(ParameterError, match=r"^x: required\.$"):
        params.values_request(QueryDict("y=1"), 3)
    with pytest.raises(ParameterError, match=r"^channel: 4 is out of range \[1, 3\]\.$"):
        params.values_request(QueryDict("x=1&y=1&channel=4"), 3)


def test_channel_lists_are_capped(settings):
    settings.MAX_REQUEST_CHANNELS = 2
    assert params.channel_list(QueryDict("channel=2&channel=2"), 3) == [1, 1]
    with pytest.raises(
        ParameterError, match=r"^channel: at most 2 channels per request \(3 given\)\.$"
    ):
        params.channel_list(QueryDict("channel=1&channel=2&channel=3"), 3)


def test_profile_requests_within_the_caps(settings):
    q = QueryDict("x1=1&y1=1&x2=5&y2=3&channel=2")
    assert params.profile_request(q, 3) == ((1, 1, 5, 3), [1])
    settings.MAX_PROFILE_VALUES = 15  # 5 points x 3 channels
    assert params.profile_request(QueryDict("x1=1&y1=1&x2=5&y2=3"), 3) == ((1, 1, 5, 3), None)
    settings.MAX_PROFILE_VALUES = 14
    with pytest.raises(ParameterError, match=r"^profile: the profile would give 15 values"):
        params.profile_request(QueryDict("x1=1&y1=1&x2=5&y2=3"), 3)
    params.profile_request(q, 3)
    settings.MAX_PROFILE_POINTS = 4
    with pytest.raises(ParameterError, match=r"^profile: the profile is 5 pixels long"):
        params.profile_request(q, 3)


def test_cutout_requests():
    assert params.cutout_request(QueryDict("x1=3&y1=4&x2=1&y2=2"), 2) == ((3, 4, 1, 2), None)
    assert params.cutout_request(QueryDict("x1=1&y1=1&x2=2&y2=2&channel=2"), 2) == (
        (1, 1, 2, 2),
        [1],
    )


def test_histogram_requests(settings):
    assert params.histogram_request(QueryDict(""), 3) == (1, 256)
    assert params.histogram_request(QueryDict("channel=3&bins=8"), 3) == (3, 8)
    assert params.histogram_request(QueryDict(f"bins={settings.MAX_HISTOGRAM_BINS}"), 1) == (
        1, settings.MAX_HISTOGRAM_BINS,
    )  # fmt: skip
    for query, message in (("bins=7", "bins: 7 is out of range [8, 4096]."),
                           ("bins=4097", "bins: 4097 is out of range [8, 4096]."),
                           ("channel=4", "channel: 4 is out of range [1, 3]."),
                           ("channel=0", "channel: 0 is out of range [1, 3].")):  # fmt: skip
        with pytest.raises(ParameterError, match="^" + re.escape(message) + "$"):
            params.histogram_request(QueryDict(query), 3)


def test_dicts_of_lists_are_read_as_query_dicts():
    given = {"channel": ["1", "2"], "gamma": ["1.5"]}
    assert parse_dict(given, 2).channel == 1 and parse_dict(given, 2).gamma == 1.5
    assert params.channel_list({"channel": ["2", "1"]}, 2) == [1, 0]
    assert params.channel_list({}, 2) is None
    level, box, rendering = params.region_request(
        {"x1": ["1"], "y1": ["1"], "x2": ["4"], "y2": ["4"], "binning": ["2"], "gamma": ["3"]},
        GRID, 1, [(0.0, 1.0)], "png",
    )  # fmt: skip
    assert (level, box, rendering.gamma) == (1, (0, 0, 2, 2), 3.0)


def parse_dict(query, nchannels):
    return params.parse(query, nchannels, CUTS3[:nchannels], "jpeg")


def test_histogram_channels_and_bins_are_integers():
    channel, bins = params.histogram_request(QueryDict("channel=2&bins=16"), 3)
    assert (type(channel), type(bins)) == (int, int)
    for query, message in (("channel=1.5", "channel: '1.5' is not an integer."),
                           ("bins=16.5", "bins: '16.5' is not an integer.")):  # fmt: skip
        with pytest.raises(ParameterError, match="^" + re.escape(message) + "$"):
            params.histogram_request(QueryDict(query), 3)


def test_statistics_without_presets_offer_none():
    old = {"background": 0, "mad": 1, "lo": -2, "hi": 400, "min": 0, "max": 9}
    assert params.cut_presets([old]) == {}
    assert params.cut_presets([old, stats({"zscale": [1, 2]})]) == {}


def test_only_repeatable_parameters_are_arrays_in_openapi():
    by_name = {p.name: p for p in params.openapi_parameters()}
    assert by_name["gamma"].type == {"type": "number", "minimum": 0.2, "maximum": 5.0,
                                     "default": 2.2}  # fmt: skip
    assert by_name["channel"].type == {"type": "integer", "minimum": 1}
    assert by_name["minmax"].type == {"type": "array", "items": {"type": "string"}}


def test_cutout_channels_are_within_the_image():
    with pytest.raises(ParameterError, match=r"^channel: 3 is out of range \[1, 2\]\.$"):
        params.cutout_request(QueryDict("x1=1&y1=1&x2=2&y2=2&channel=3"), 2)


def test_pixel_value_coordinates_are_named_in_their_messages():
    limit = 2**40
    for query, message in ((f"x={limit + 1}&y=1", f"x: {limit + 1} is out of range"),
                           (f"x=1&y={-limit - 1}", f"y: {-limit - 1} is out of range"),
                           ("x=a&y=1", "x: 'a' is not a number."),
                           ("x=1&y=b", "y: 'b' is not a number.")):  # fmt: skip
        with pytest.raises(ParameterError, match="^" + re.escape(message)):
            params.values_request(QueryDict(query), 1)


def test_profile_channels_are_within_the_image():
    with pytest.raises(ParameterError, match=r"^channel: 3 is out of range \[1, 2\]\.$"):
        params.profile_request(QueryDict("x1=1&y1=1&x2=2&y2=2&channel=3"), 2)


def test_rows_and_channel_lists_name_their_parameter():
    refused("minmax: expected 'channel:values', got '5,6'.", "minmax=5,6")
    refused("mix: expected 'channel:values', got '1,1,1'.", "mix=1,1,1", 3)
    with pytest.raises(ParameterError, match=r"^channel: '1\.5' is not an integer\.$"):
        params.channel_list(QueryDict("channel=1.5"), 3)
