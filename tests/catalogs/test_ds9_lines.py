"""ds9 lines as ds9's syntax allows them, worked by hand: several regions, frames and global
settings on one line (``;``), what is left out of a line leaving the rest of it read,
commented-out shapes, settings after a ``#`` with or without a space, texts holding
``#``, ``(`` or ``)``, and lines that are no region at all."""

import pytest

from catalogs.importers import CatalogImportError, import_catalog


def read(text, **kwargs):
    return import_catalog(text.encode(), fmt="ds9", **kwargs)


def centres(result):
    return [f["geometry"]["coordinates"] for f in result.features]


def test_every_part_of_a_line_is_read_after_those_left_out():
    result = read(
        "image; circle(1,1,1);;circle(2,2,2); global color=red; circle(3,3,3); foo; "
        "circle(4,4,4); # circle(9,9,9); circle(5,5,5); vector(1,2,3,4); circle(6,6,6); "
        "blob(1); circle(7,7,7)\n"
    )
    assert centres(result) == [[float(n), float(n)] for n in range(1, 8)]
    assert [f["properties"].get("color") for f in result.features] == [None] * 2 + ["red"] * 5
    assert sorted(result.warnings) == [
        "line 1: 'blob' is not a ds9 shape, left out.",
        "line 1: 'vector' regions are not supported, left out.",
    ]


def test_a_line_goes_on_after_a_region_that_cannot_be_placed():
    result = read("linear; circle(1,1,1); image; circle(2,2,2)\n")
    assert centres(result) == [[2.0, 2.0]]
    assert result.warnings == ["line 1: a 'circle' in frame 'linear' cannot be placed, left out."]
    stretched = {"LTM1_1": 0.5, "LTM2_2": 1.0}  # no circle, but points
    result = read("physical; circle(1,1,1); point(2,4)\n", physical=stretched)
    assert centres(result) == [[1.0, 4.0]]
    assert len(result.warnings) == 1


def test_a_region_before_any_frame_is_reported():
    result = read("circle(1,1,1)\nimage\ncircle(2,2,2)\n")
    assert centres(result) == [[2.0, 2.0]]
    assert result.warnings == [
        "line 1: a 'circle' in no coordinate frame cannot be placed, left out."
    ]


def test_a_commented_out_shape_is_a_comment():
    result = read("image\n# circle(1,2,3)\n#circle(1,2,3) # color=red\npoint(1,1)\n")
    assert centres(result) == [[1.0, 1.0]]
    assert result.warnings == []


def test_settings_after_a_hash_with_or_without_spaces():
    result = read("image\ncircle(1,2,3)#color=red\ncircle(1,2,3) #color=blue\n")
    assert [f["properties"]["color"] for f in result.features] == ["red", "blue"]


def test_texts_holding_hashes_and_parentheses_are_kept_whole():
    label, circle, other = (
        f["properties"]
        for f in read(
            "image\n# text(1,2) text={f(x) # y}\n"
            "circle(1,2,3) # text={g(x) # z} color=red\n"
            "circle(1,2,3) # background text={h(x)}\n"
        ).features
    )
    assert label["text"] == "f(x) # y"
    assert (circle["text"], circle["color"], circle["source"]) == ("g(x) # z", "red", True)
    assert (other["text"], other["source"]) == ("h(x)", False)  # a background region


def test_a_line_that_is_no_region_is_an_error_naming_it():
    with pytest.raises(CatalogImportError) as error:
        read("image\ncircle(1,1,1)\n%%%\n")
    assert error.value.line == 3
    assert str(error.value) == 'line 3: cannot read this region: Unable to parse line "%%%".'


def test_a_region_the_importer_did_not_mark_is_refused_not_misplaced():
    # ds9's arguments may be written without parentheses: such a region is read by regions
    # but not by the importer, which refuses the file rather than place it at another line.
    with pytest.raises(CatalogImportError) as error:
        read("image\ncircle(1,1,1)\ncircle 2 2 2\n")
    assert str(error.value) == "cannot place a region read from this file."


@pytest.mark.xfail(strict=True, reason="regions written without parentheses are not read")
def test_a_region_without_parentheses_is_read():
    assert centres(read("image\ncircle(1,1,1)\ncircle 2 2 2\n")) == [[1.0, 1.0], [2.0, 2.0]]


def test_a_composite_and_its_members_on_one_line():
    result = read("image; # composite(1,1,0) || composite=0; circle(1,1,1) ||; point(2,2)\n")
    assert centres(result) == [[1.0, 1.0], [2.0, 2.0]]
    assert [f["properties"]["composite"]["at"] for f in result.features] == ["1,1,0"] * 2
