"""What a ds9 import reports: a region ``regions`` skips is reported with ``regions``' own
reason (not with a warning about another line that the importer reports itself or that
changes nothing), notes in line order after those that name no line, and a line that
cannot be read is an error naming it with ``regions``' message for that line alone."""

import warnings

import pytest
from regions import Regions

from catalogs.importers import CatalogImportError, import_catalog

UNREAD = "circle(1d,2,3)"  # a pixel position in degrees: regions skips it, with a warning


def regions_reason(text):
    """The warning ``regions`` gives for ``text`` (a file of one unread region)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(Regions.parse(text, format="ds9")) == 0
    (warning,) = caught
    return str(warning.message)


@pytest.mark.parametrize(
    "before",
    [
        "image\nfoo",  # not a frame or shape
        "image\nvector 1 2 3 4",  # a shape regions does not support
        "image\ncircle(5,6,7) # point=blob",  # a setting regions ignores
        "circle 5 6 7\nimage",  # a region before any frame
    ],
)
def test_an_unread_region_gives_regions_reason_for_it(before):
    result = import_catalog(f"{before}\n{UNREAD}\npoint(1,1)\n".encode(), fmt="ds9")
    reason = regions_reason(f"image\n{UNREAD}\n")
    assert reason.startswith("Cannot parse pixel region position")
    (note,) = [n for n in result.warnings if "could not be read" in n]
    assert note.startswith(f"line 3: a 'circle' region could not be read ({reason}")
    assert note.endswith("), left out.")


@pytest.mark.parametrize(
    ("line", "shape"),
    [
        ("circle(1d,2,3)", "circle"),
        ("circle(1d,2,3) # color=red", "circle"),
        ("circle(1d,2,3)   #  color=red  ", "circle"),
        ("# text(1d,2) text={a}", "text"),
    ],
)
def test_an_unread_region_is_quoted_as_written(line, shape):
    result = import_catalog(f"image\ncircle(5,6,7)\n{line}\n".encode(), fmt="ds9")
    reason = regions_reason(f"image\n{line}\n")
    assert result.warnings == [
        f"line 3: a '{shape}' region could not be read ({reason}), left out."
    ]


def test_notes_without_a_line_come_first_then_by_line():
    text = (
        "vector(1,2,3,4);ruler(1,2,3,4);compass(1,2,3);projection(1,2,3,4,5);blob(1)\n"
        "image\n" + "point(1,1)\n" * 7 + "blob(2)\n"  # line 10 after line 1, as numbers
        'circle(1,2,3) # color=red color=blue width=1 width=2 font="a 1" font="b 2" '
        "dash=0 dash=1\n"
    )
    notes = import_catalog(text.encode(), fmt="ds9").warnings
    duplicates = {f'Found duplicate metadata for "{k}": the first value kept.'
                  for k in ("color", "width", "font", "dash")}  # fmt: skip
    first_line = {"line 1: 'vector' regions are not supported, left out.",
                  "line 1: 'ruler' regions are not supported, left out.",
                  "line 1: 'compass' regions are not supported, left out.",
                  "line 1: 'projection' regions are not supported, left out.",
                  "line 1: 'blob' is not a ds9 shape, left out."}  # fmt: skip
    assert len(notes) == 10
    assert set(notes[:4]) == duplicates
    assert set(notes[4:9]) == first_line
    assert notes[9] == "line 10: 'blob' is not a ds9 shape, left out."


@pytest.mark.parametrize(
    ("text", "line", "alone"),
    [
        ("fk5\ncircle(10,20\n", 2, "fk5\ncircle(10,20\n"),
        # a line before it holds a shape that is left out (and noted)
        ('fk5\nvector(1,2,3",4)\ncircle(10,20,1)\nbox(10,20\n', 4, "fk5\nbox(10,20\n"),
        ("image\ncircle(1,2,3)\nellipse(1,2,3)\n", 3, "image\nellipse(1,2,3)\n"),
    ],
)
def test_a_broken_line_is_an_error_with_regions_message(text, line, alone):
    with pytest.raises(Exception) as expected:  # regions raises several types
        Regions.parse(alone, format="ds9")
    with pytest.raises(CatalogImportError) as error:
        import_catalog(text.encode(), fmt="ds9")
    assert error.value.line == line
    assert str(error.value) == f"line {line}: cannot read this region: {expected.value}"


def test_each_unread_region_has_its_own_reason():
    box = "box(2d,2,3,4,0)"
    result = import_catalog(f"image\npoint(1,1)\n{UNREAD}\n{box}\n".encode(), fmt="ds9")
    circle_reason, box_reason = (
        regions_reason(f"image\n{UNREAD}\n"),
        regions_reason(f"image\n{box}\n"),
    )
    assert result.warnings == [
        f"line 3: a 'circle' region could not be read ({circle_reason}), left out.",
        f"line 4: a 'box' region could not be read ({box_reason}), left out.",
    ]
