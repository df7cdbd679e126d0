"""CSV/TSV tables: angles, delimiters, columns and their types, worked out by hand and
checked against astropy's ``Angle`` for the sexagesimal forms."""

import contextlib

import pytest
from astropy import units as u
from astropy.coordinates import Angle
from astropy.coordinates.angles.errors import IllegalMinuteError, IllegalSecondError

from catalogs.importers import CatalogImportError, import_catalog
from catalogs.importers.table import parse_angle


@pytest.mark.parametrize(
    ("text", "hours", "degrees"),
    [
        ("12.5", False, 12.5),
        ("12:30", True, 187.5),  # 12.5 h
        ("12:30:36", True, 187.65),  # 12 h 30 m 36 s = 12.51 h
        ("12h30m36s", True, 187.65),
        ("12h30m", True, 187.5),
        ("12:30.5", True, 187.625),  # 12 h 30.5 m
        ("-5 06.6", False, -5.11),
        ("5°06'", False, 5.1),
        ("-05 06", False, -5.1),
        ("-05 06 36", False, -5.11),
        ("-5d06m36s", False, -5.11),
        ("+05:06:36.0", False, 5.11),
        ("5°06'36\"", False, 5.11),
        (" 0:0:0 ", False, 0.0),
    ],
)
def test_angles(text, hours, degrees):
    assert parse_angle(text, hours) == pytest.approx(degrees, abs=1e-12)
    if ":" in text or " " in text.strip():
        unit = u.hourangle if hours else u.deg
        assert parse_angle(text, hours) == pytest.approx(Angle(text.strip(), unit=unit).deg)


@pytest.mark.parametrize("text", ["", "abc", "12:xx", "inf", "nan", "1 2 3 4"])
def test_what_is_not_an_angle(text):
    with pytest.raises(ValueError, match="angle"):
        parse_angle(text, False)


@pytest.mark.parametrize("text", ["12.5:30", "12:30.5:10", "10.5d30m", "12.5 30 10"])
def test_only_the_last_part_of_an_angle_has_a_fraction(text):
    with pytest.raises(ValueError, match="syntax error"):
        Angle(text, unit=u.hourangle)
    with pytest.raises(ValueError) as error:
        parse_angle(text, True)
    assert str(error.value) == f"'{text}' is not an angle"


@pytest.mark.parametrize(
    ("table", "fmt"),
    [
        (b"name\tra\tdec\nA\t10.5\t-20.25\n", "tsv"),
        (b"name,ra,dec\nA,10.5,-20.25\n", "csv"),
        (b"name;ra;dec\nA;10.5;-20.25\n", "csv"),
        (b"name|ra|dec\nA|10.5|-20.25\n", "csv"),
        (b"name  ra   dec\nA 10.5 -20.25\n", "csv"),
        (b"# a comment\n// another\n\nname,ra,dec\n\nA, 10.5 , -20.25\n", "csv"),
    ],
)
def test_each_delimiter(table, fmt):
    [feature] = import_catalog(table, fmt=fmt).features
    assert feature["geometry"]["coordinates"] == [10.5, -20.25]
    assert feature["properties"] == {"shape": "point", "name": "A"}


def test_a_quoted_cell_after_a_space_is_one_cell():
    [feature] = import_catalog(b'ra,name,dec\n10.5, "M 31, core", 41\n', fmt="csv").features
    assert feature["properties"]["name"] == "M 31, core"
    assert feature["geometry"]["coordinates"] == [10.5, 41.0]


def test_columns_found_by_name_or_given():
    text = b"ID,RAJ2000,DEJ2000,alpha,delta\n1,10,20,30,40\n"
    [found] = import_catalog(text, fmt="csv").features
    assert found["geometry"]["coordinates"] == [10.0, 20.0]
    assert found["properties"] == {"shape": "point", "ID": 1, "alpha": 30, "delta": 40}
    [given] = import_catalog(text, fmt="csv", ra_column=" Alpha ", dec_column="DELTA").features
    assert given["geometry"]["coordinates"] == [30.0, 40.0]
    with pytest.raises(CatalogImportError, match=r"no column 'x' \(columns: ID, RAJ2000"):
        import_catalog(text, fmt="csv", ra_column="x")
    with pytest.raises(CatalogImportError, match="no Dec column found .*e.g. 'dec'"):
        import_catalog(b"ra,b\n1,2\n", fmt="csv")
    with pytest.raises(CatalogImportError, match="no RA column found .*e.g. 'ra'"):
        import_catalog(b"a,dec\n1,2\n", fmt="csv")


def test_each_column_gets_the_one_type_all_its_values_fit():
    text = (b"ra,dec,n,x,flag,word,mixed,gap\n"
            b"1,2,3,1.5,true,a,1,\n"
            b"3,4,-4,2,False,b,x,7\n"
            b"5,6,5,1e3,TRUE,c,2.5,\n")  # fmt: skip
    rows = [f["properties"] for f in import_catalog(text, fmt="csv").features]
    assert rows == [
        {"shape": "point", "n": 3, "x": 1.5, "flag": True, "word": "a", "mixed": "1", "gap": None},
        {"shape": "point", "n": -4, "x": 2.0, "flag": False, "word": "b", "mixed": "x", "gap": 7},
        {"shape": "point", "n": 5, "x": 1000.0, "flag": True, "word": "c", "mixed": "2.5",
         "gap": None},
    ]  # fmt: skip
    assert [type(r["x"]) for r in rows] == [float, float, float]
    infinite = [f["properties"]["v"] for f in
                import_catalog(b"ra,dec,v\n1,2,1.5\n3,4,inf\n", fmt="csv").features]  # fmt: skip
    assert infinite == ["1.5", "inf"]  # not all finite: text


def test_positions_are_checked_row_by_row():
    assert import_catalog(b"ra,dec\n24:00:00,0\n", fmt="csv").features[0]["geometry"][
        "coordinates"
    ] == [0.0, 0.0]  # 24 h is 360 degrees, the same as 0
    assert import_catalog(b"ra,dec\n359.5,90\n0,-90\n", fmt="csv").features[1]["geometry"][
        "coordinates"
    ] == [0.0, -90.0]
    for table, message in [
        (b"ra,dec\n360,0\n", r"^line 2, column 'ra': RA 360 is outside \[0, 360\)"),
        (b"ra,dec\n-0.5,0\n", "line 2, column 'ra': RA -0.5 is outside"),
        (b"ra,dec\n1,2\n24:00:01,0\n", "line 3, column 'ra': RA 24:00:01 is outside"),
        (b"ra,dec\n1,90.5\n", r"^line 2, column 'dec': Dec 90.5 is outside \[-90, 90\]"),
        (b"ra,dec\n1,-90.5\n", "column 'dec': Dec -90.5 is outside"),
        (b"ra,dec\n1,x\n", "line 2, column 'dec': 'x' is not an angle"),
        (b"ra,dec\nx,1\n", "line 2, column 'ra': 'x' is not an angle"),
        (b"ra,dec\n1,2,3\n", r"^line 2: 3 values for 2 columns\.$"),
        (b"# only a comment\n", r"^the table is empty\.$"),
        (b"ra,dec\n", "no feature found in the file"),
    ]:
        with pytest.raises(CatalogImportError, match=message):
            import_catalog(table, fmt="csv")


def test_a_sexagesimal_table_matches_astropy():
    text = b"name,ra,dec\nM31,00:42:44.3,+41:16:09\nS,23h59m59.9s,-89d59m59s\n"
    features = import_catalog(text, fmt="csv").features
    for feature, (ra, dec) in zip(
        features, [("00:42:44.3", "+41:16:09"), ("23h59m59.9s", "-89d59m59s")], strict=True
    ):
        expected = [Angle(ra, unit=u.hourangle).deg, Angle(dec, unit=u.deg).deg]
        assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-12)


def test_a_row_is_a_geojson_point_feature():
    [feature] = import_catalog(b"ra,dec,name\n10.5,-20.25,A\n", fmt="csv").features
    assert feature == {"type": "Feature",
                       "geometry": {"type": "Point", "coordinates": [10.5, -20.25]},
                       "properties": {"shape": "point", "name": "A"}}  # fmt: skip


def test_a_tab_separates_cells_before_any_other_delimiter():
    """A table sent as CSV whose header has tabs is read at tabs: its commas are text."""
    [feature] = import_catalog(b"name\tra\tdec\nM 31, core\t10.5\t41\n", fmt="csv").features
    assert feature["properties"] == {"shape": "point", "name": "M 31, core"}
    assert feature["geometry"]["coordinates"] == [10.5, 41.0]


def test_comments_may_be_indented():
    text = b"  # written by hand\n\t// and here\nra,dec\n   # between rows\n10.5,41\n"
    [feature] = import_catalog(text, fmt="csv").features
    assert feature["geometry"]["coordinates"] == [10.5, 41.0]


def test_a_long_cell_that_is_not_an_angle_is_quoted_to_its_first_40_characters():
    text = "12:30:" + "x" * 44  # 50 characters
    with pytest.raises(ValueError) as error:
        parse_angle(f"  {text}  ", True)
    assert str(error.value) == "'12:30:" + "x" * 34 + "' is not an angle"
    with pytest.raises(CatalogImportError) as error:
        import_catalog(f"ra,dec\n{text},1\n".encode(), fmt="csv")
    assert str(error.value) == "line 2, column 'ra': '12:30:" + "x" * 34 + "' is not an angle"


@pytest.mark.parametrize(
    "ra", ["10d41m02s", "10d41m02.5s", "10°41'02\"", "10D41M", "+10d41m02s", "350d00m00s"]
)
def test_an_ra_written_with_a_degree_mark_is_in_degrees(ra):
    """Sexagesimal RA is read in hours unless the text says degrees, as astropy reads
    it when told that the unit is hours."""
    expected = Angle(ra.lower(), unit=u.hourangle).deg
    assert parse_angle(ra, hours=True) == pytest.approx(expected, abs=1e-12)
    [feature] = import_catalog(f"ra,dec\n{ra},41\n".encode(), fmt="csv").features
    assert feature["geometry"]["coordinates"] == pytest.approx([expected, 41.0], abs=1e-12)


@pytest.mark.parametrize(
    ("text", "degrees"),
    [("12:30:60", 12.5 + 1 / 60), ("12:60", 13.0), ("-05 60 00", -6.0), ("12:59:59.999", None)],
)
def test_minutes_and_seconds_of_60_are_read_as_astropy_reads_them(text, degrees):
    """60 is what rounding 59.99 to whole seconds writes: astropy reads it, with a warning."""
    with pytest.warns(Warning) if degrees is not None else contextlib.nullcontext():
        expected = Angle(text, unit=u.deg).deg
    if degrees is not None:
        assert expected == pytest.approx(degrees, abs=1e-12)
    assert parse_angle(text, False) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("text", ["12:75", "12:60.5", "12:30:61", "12h30m75s", "5d06m60.5s"])
def test_minutes_or_seconds_above_60_are_not_an_angle(text):
    with pytest.raises((IllegalMinuteError, IllegalSecondError)):
        Angle(text, unit=u.hourangle)
    with pytest.raises(ValueError) as error:
        parse_angle(text, True)
    assert str(error.value) == f"'{text}' is not an angle: its minutes and seconds are 60 at most"
    with pytest.raises(CatalogImportError, match=r"^line 2, column 'ra': '.*' is not an angle: "):
        import_catalog(f"ra,dec\n{text},1\n".encode(), fmt="csv")


def test_a_long_angle_with_too_many_minutes_is_quoted_to_its_first_40_characters():
    text = "12:75:00." + "0" * 41  # 50 characters
    with pytest.raises(ValueError) as error:
        parse_angle(text, True)
    assert (
        str(error.value) == f"'{text[:40]}' is not an angle: its minutes and seconds are 60 at most"
    )


def test_ra_and_dec_are_two_columns():
    with pytest.raises(CatalogImportError) as error:
        import_catalog(b"pos,b\n10,20\n", fmt="csv", ra_column="pos", dec_column=" POS")
    assert str(error.value) == "RA and Dec cannot both be column 'pos'."
