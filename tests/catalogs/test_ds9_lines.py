"""ds9 lines as ds9's syntax allows them, worked by hand: several regions, frames and global
settings on one line (``;``), what is left out of a line leaving the rest of it read,
commented-out shapes, settings after a ``#`` with or without a space, texts holding
``#``, ``(`` or ``)``, and lines that are no region at all."""

import pytest

from catalogs.importers import CatalogImportError, ds9, import_catalog


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
        "line 1: 'foo' is not a ds9 region, left out.",
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


def test_a_region_before_any_frame_is_in_physical_pixels_as_ds9_assumes():
    # ds9's region documentation: "If no coordinate system is specified, PHYSICAL is
    # assumed" (funtools and CIAO files have no frame line)
    result = read("circle(1,1,1)\nimage\ncircle(2,2,2)\n")
    assert centres(result) == [[1.0, 1.0], [2.0, 2.0]]
    assert [f["properties"]["coordsys"] for f in result.features] == ["physical", "image"]
    assert result.warnings == []
    # through the linked image's LTM/LTV: image = 0.5 * physical + 10
    binned = {"LTM1_1": 0.5, "LTM2_2": 0.5, "LTV1": 10.0, "LTV2": 10.0}
    [circle] = read("circle(100,200,20)\n", physical=binned).features
    assert circle["geometry"]["coordinates"] == [60.0, 110.0]
    assert circle["properties"]["radius"] == 10.0
    result = read("circle(1,1,1)\nimage\ncircle(2,2,2)\n", physical=None)
    assert centres(result) == [[2.0, 2.0]]
    assert result.warnings[0].startswith("line 1: a 'circle' in 'physical' coordinates needs")


def test_sky_coordinates_before_any_frame_are_reported():
    result = read('circle(13:29:52.7,+47:11:42.6,10")\npoint(202.5d,47.2d)\nimage\ncircle(2,2,2)\n')
    assert centres(result) == [[2.0, 2.0]]
    assert result.warnings == [
        "line 1: a 'circle' in no coordinate frame cannot be placed, left out.",
        "line 2: a 'point' in no coordinate frame cannot be placed, left out.",
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


@pytest.mark.parametrize("shift", [None, 1])
def test_a_region_the_importer_did_not_mark_is_refused_not_misplaced(monkeypatch, shift):
    # Were a region read by regions without the importer's mark (or with a mark of no
    # part: one past the last), the file is refused rather than the region placed at
    # another line.
    marked = ds9._marked
    monkeypatch.setattr(ds9, "_marked", lambda part, index, text_form: (
        part if shift is None else marked(part, index + shift, text_form)))  # fmt: skip
    with pytest.raises(CatalogImportError) as error:
        read("image\ncircle(1,1,1)\ncircle(2,2,2)\n")
    assert str(error.value) == "cannot place a region read from this file."


def test_a_region_without_parentheses_is_read():
    assert centres(read("image\ncircle(1,1,1)\ncircle 2 2 2\n")) == [[1.0, 1.0], [2.0, 2.0]]


def test_a_composite_and_its_members_on_one_line():
    result = read("image; # composite(1,1,0) || composite=0; circle(1,1,1) ||; point(2,2)\n")
    assert centres(result) == [[1.0, 1.0], [2.0, 2.0]]
    assert [f["properties"]["composite"]["at"] for f in result.features] == ["1,1,0"] * 2


def test_a_region_with_a_mark_of_its_own_is_placed_at_its_line():
    # The importer's mark comes first, and regions keeps the first of a key given twice.
    result = read("image\ncircle(1,1,1)\ncircle(2,2,2) # veltype=0\ncircle 3 3 3 # veltype=0\n")
    assert centres(result) == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]


def test_a_region_regions_skips_without_a_reason_is_reported_as_not_read(monkeypatch):
    from regions import Regions

    parse = Regions.parse
    monkeypatch.setattr(Regions, "parse", lambda data, **kw: parse(data, **kw)[1:])
    result = read("image\ncircle(1,1,1)\npoint(2,2)\n")
    assert centres(result) == [[2.0, 2.0]]
    assert result.warnings == ["line 2: a 'circle' region could not be read (not read), left out."]


def test_regions_after_a_tile_are_in_that_tile_and_cannot_be_placed():
    result = read("image\ncircle(1,1,1)\ntile 2\ncircle(5,5,1)\nimage\npoint(2,2)\n")
    assert centres(result) == [[1.0, 1.0], [2.0, 2.0]]
    assert result.warnings == ["line 4: a 'circle' in frame 'tile' cannot be placed, left out."]


def test_regions_without_parentheses_keep_their_shapes_sizes_and_frames():
    text = 'fk5\ncircle 10.5 -20.25 2"\nbox 10.5 -20.25 4" 2" 30\nimage\nellipse 5 6 3 2 45\n'
    # The same file with parentheses, whose reading the other tests hold to regions'.
    expected = read(text.replace("circle 10.5 -20.25 2\"", "circle(10.5,-20.25,2\")")
                            .replace("box 10.5 -20.25 4\" 2\" 30", "box(10.5,-20.25,4\",2\",30)")
                            .replace("ellipse 5 6 3 2 45", "ellipse(5,6,3,2,45)")).features  # fmt: skip
    assert len(expected) == 3
    assert read(text).features == expected


def read_in_chunks(monkeypatch, text):
    """The features of ``text`` and the number of lines of each text handed to regions."""
    from regions import Regions

    parse, sizes = Regions.parse, []

    def counting(data, **kwargs):
        sizes.append(data.count("\n") + 1)
        return parse(data, **kwargs)

    monkeypatch.setattr(Regions, "parse", counting)
    return read(text).features, sizes


def test_a_file_is_read_2000_lines_at_a_time(monkeypatch):
    features, sizes = read_in_chunks(monkeypatch, "image\n" + "point(1,1)\n" * 1999)
    assert len(features) == 1999 and sizes == [2000]
    features, sizes = read_in_chunks(monkeypatch, "image\n" + "point(1,1)\n" * 2000)
    # the second chunk starts with the frame in force
    assert len(features) == 2000 and sizes == [2000, 2]


def test_a_composite_is_never_split_between_chunks(monkeypatch):
    text = ("image\n" + "point(1,1)\n" * 1997 + "# composite(5,5,0) || composite=1\n"
            "circle(5,5,1) ||\npoint(5,5)\npoint(6,6)\n")  # fmt: skip
    features, sizes = read_in_chunks(monkeypatch, text)
    assert sizes == [2001, 2]  # the chunk ends after the composite's last member
    members = [f["properties"].get("composite") for f in features[-3:]]
    assert [m and m["line"] for m in members] == [1999, 1999, None]


def test_a_line_that_is_no_region_is_an_error_in_a_chunk_without_regions():
    with pytest.raises(CatalogImportError) as error:
        read("image\n%%%\n")
    assert error.value.line == 2
    text = "image\n" + "point(1,1)\n" * 1999 + "# a comment\n%%%\n"  # the second chunk
    with pytest.raises(CatalogImportError) as error:
        read(text)
    assert str(error.value) == 'line 2002: cannot read this region: Unable to parse line "%%%".'
    assert centres(read("image\n# only comments\nglobal color=red\n# text(1,1) text={a}\n")) == [
        [1.0, 1.0]
    ]
    with pytest.raises(CatalogImportError) as error:  # frames and settings alone
        read("image\nglobal color=red\nfk5\n")
    assert str(error.value) == "no feature found in the file."
