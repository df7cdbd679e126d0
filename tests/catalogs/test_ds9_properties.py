"""ds9 properties line by line, each worked by hand from ds9's region syntax: the settings
kept under their ds9 names, the editing settings kept only where they differ from ds9's
defaults, include/source/background, the dash list only with a dash, point symbols and
sizes, and numbers stored as JSON writes them (``2``, not ``2.0``)."""

import json

from catalogs.importers import import_catalog


def properties_of(text):
    return [f["properties"] for f in import_catalog(text.encode(), fmt="ds9").features]


def test_every_setting_of_a_line_under_its_ds9_name():
    line = ('circle(1,2,3) # color=red width=2 dash=1 dashlist=4 2 font="times 12 bold roman" '
            "text={hi} tag={a} tag={b} select=0 highlite=1 edit=1 move=0 rotate=1 delete=1 "
            "fixed=1 include=1 source=1 textangle=12.5 textrotate=0 fill=1")  # fmt: skip
    (circle,) = properties_of(f"image\n{line}\n")
    assert circle == {
        "shape": "circle",
        "coordsys": "image",
        "frame": "image",
        "radius": 3.0,
        "include": True,
        "source": True,
        "color": "red",
        "linewidth": 2,
        "dash": True,
        "dashlist": "4 2",
        "font": "times 12 bold roman",
        "text": "hi",
        "tag": ["a", "b"],
        "textangle": 12.5,
        "textrotate": False,
        "fill": True,
        # ds9's editing defaults are select, highlite, edit, move, rotate, delete 1, fixed 0
        "ds9": {"select": "0", "move": "0", "fixed": "1"},
    }


def test_editing_settings_at_their_defaults_are_not_kept():
    (circle,) = properties_of(
        "image\ncircle(1,2,3) # select=1 highlite=1 edit=1 move=1 rotate=1 delete=1 fixed=0\n"
    )
    assert "ds9" not in circle
    (turned,) = properties_of("image\ncircle(1,2,3) # rotate=0 textrotate=1 fill=0 tag={one}\n")
    assert turned["ds9"] == {"rotate": "0"}
    assert (turned["textrotate"], turned["fill"], turned["tag"]) == (True, False, ["one"])


def test_include_source_and_background():
    minus, source_0, bare, both, plain = properties_of(
        "image\n-circle(1,2,3)\ncircle(1,2,3) # source=0\ncircle(1,2,3) # background\n"
        "circle(1,2,3) # background=1 source=1\ncircle(1,2,3) # include=1\n"
    )
    assert (minus["include"], minus["source"]) == (False, True)
    assert (source_0["include"], source_0["source"]) == (True, False)
    assert (bare["include"], bare["source"]) == (True, False)
    assert (plain["include"], plain["source"]) == (True, True)
    # Source or background is the one ``source`` property, never a key of its own.
    for properties in (minus, source_0, bare, both, plain):
        assert "background" not in properties and "ds9" not in properties


def test_a_dash_list_is_kept_only_with_a_dash():
    off, unsaid, on = properties_of(
        "image\ncircle(1,2,3) # dash=0 dashlist=4 2\ncircle(1,2,3) # dashlist=4 2\n"
        "circle(1,2,3) # dash=1 dashlist=8 3\n"
    )
    assert off["dash"] is False and "dashlist" not in off
    assert "dash" not in unsaid and "dashlist" not in unsaid
    assert (on["dash"], on["dashlist"]) == (True, "8 3")


def test_point_symbols_and_sizes():
    sized, plain, default, circle = properties_of(
        "image\npoint(1,1) # point=x 7\npoint(1,1) # point=circle\npoint(1,1)\n"
        "circle(1,1,2) # point=cross 5\n"
    )
    assert (sized["point"], sized["point_size"]) == ("x", 7)
    assert json.dumps(sized["point_size"]) == "7"
    assert plain["point"] == "circle" and "point_size" not in plain
    assert default["point"] == "boxcircle" and "point_size" not in default  # ds9's default
    assert "point" not in circle and "point_size" not in circle  # a point setting of a circle


def test_numbers_are_stored_as_written():
    whole, half, word = properties_of(
        "image\ncircle(1,2,3) # width=2 textangle=30\ncircle(1,2,3) # width=2.5 textangle=12.5\n"
        "circle(1,2,3) # width=thick\n"
    )
    assert json.dumps([whole["linewidth"], whole["textangle"]]) == "[2, 30]"
    assert json.dumps([half["linewidth"], half["textangle"]]) == "[2.5, 12.5]"
    assert word["linewidth"] == "thick"


def test_other_settings_are_kept_as_written_and_composite_only_for_a_composite():
    (circle,) = properties_of("image\ncircle(1,2,3) # name=north comment={hi} composite=1\n")
    assert circle["ds9"] == {"name": "north", "comment": "hi"}
    assert "composite" not in circle  # the setting of a composite, on a region outside one


def test_background_in_every_form_ds9_reads_the_last_one_saying():
    lines = [
        "circle(1,2,3) # background=1",
        "circle(1,2,3) # background = 1",
        "circle(1,2,3) # BACKGROUND=1 color=red",
        "circle(1,2,3) # source = 0",
        "circle(1,2,3) # background=yes",
        "circle(1,2,3) # source=off",
        "circle(1,2,3) # background=1 source=1",  # the last one says: a source
        "circle(1,2,3) # source background",
        "circle(1,2,3) # background source=1",
        "circle(1,2,3) # background=0",
        'circle(1,2,3) # text={background} tag={background} font="background 10"',
        "circle(1,2,3) # name = background",  # a value, not the word
    ]
    found = properties_of("image\n" + "\n".join(lines) + "\n")
    expected = [False, False, False, False, False, False, True, False, True, True, True, True]
    assert [p["source"] for p in found] == expected
    assert all("background" not in p for p in found)
    assert found[2]["color"] == "red"


def test_background_from_the_global_line_and_a_composite_until_a_region_says_otherwise():
    found = properties_of(
        "global color=green source=0\nimage\ncircle(1,2,3)\ncircle(1,2,3) # source\n"
        "global background=0\ncircle(1,2,3)\n"
        "# composite(5,5,0) || composite=1 background\ncircle(1,2,3) ||\ncircle(1,2,3)\n"
        "circle(1,2,3) # background\n"
    )
    assert [p["source"] for p in found] == [False, True, True, False, False, False]
    assert "composite" in found[3] and "composite" in found[4] and "composite" not in found[5]


def test_a_source_value_neither_yes_nor_no_is_reported_once_at_its_line():
    result = import_catalog(
        b"global background=maybe\nimage\ncircle(1,2,3)\ncircle(1,2,3) # source=2\n", fmt="ds9"
    )
    assert [f["properties"]["source"] for f in result.features] == [True, True]
    assert result.warnings == [
        "line 1: 'background=maybe' is not a yes or no value (1 or 0), not read.",
        "line 4: 'source=2' is not a yes or no value (1 or 0), not read.",
    ]
