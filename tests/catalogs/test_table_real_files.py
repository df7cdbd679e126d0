"""Tables as other programs write them, each file written here by hand: SExtractor's
numbered header, VizieR's units and dashes rows, the usual position column names, the
ways a missing value is written, and a Dec written in hours (refused). Positions are
checked against astropy's ``Angle`` or worked by hand."""

import pytest
from astropy import units as u
from astropy.coordinates import Angle

from catalogs.importers import CatalogImportError, import_catalog


def read(text, fmt="csv", **kwargs):
    return import_catalog(text.encode() if isinstance(text, str) else text, fmt=fmt, **kwargs)


@pytest.mark.parametrize("dec", ["12h30m00s", "+01h00m", "-0h30m00.5s", "12H30M00S"])
def test_a_dec_written_in_hours_is_refused_with_the_reason(dec):
    with pytest.raises(CatalogImportError) as error:
        read(f"name,ra,dec\nA,10.5,{dec}\n")
    message = str(error.value)
    assert message.startswith("line 2, column 'dec': Dec ")
    assert f"'{dec}' is written in hours (h): a declination is in degrees" in message


def test_an_ra_in_hours_beside_a_dec_in_degrees_is_read():
    [feature] = read("ra,dec\n12h30m00s,-05d30m00s\n").features
    assert feature["geometry"]["coordinates"] == pytest.approx([187.5, -5.5], abs=1e-12)


SEXTRACTOR = """\
#   1 NUMBER                 Running object number
#   2 ALPHA_J2000            Right ascension of barycenter (J2000)                      [deg]
#   3 DELTA_J2000            Declination of barycenter (J2000)                          [deg]
#   4 FLUX_APER              Flux vector within fixed circular aperture(s)              [count]
#   7 MAG_AUTO               Kron-like elliptical aperture magnitude                    [mag]
#   8 FLAGS                  Extraction flags
         1 150.1234567 +2.1234567   1.0 2.0 3.5  -12.3456   0
         2 359.9999000 -89.5000000  4.0 5.0 6.0      99.0   3
"""


def test_a_sextractor_catalog_is_read_by_its_numbered_header():
    first, second = read(SEXTRACTOR).features
    assert first["geometry"]["coordinates"] == [150.1234567, 2.1234567]
    assert second["geometry"]["coordinates"] == [359.9999, -89.5]
    # FLUX_APER is a vector of three columns (4 to 6), declared once
    assert first["properties"] == {"shape": "point", "NUMBER": 1, "FLUX_APER": 1.0,
                                   "FLUX_APER_2": 2.0, "FLUX_APER_3": 3.5,
                                   "MAG_AUTO": -12.3456, "FLAGS": 0}  # fmt: skip


def test_numbered_comments_do_not_replace_a_header_the_file_has():
    text = "# 1 first note\n# 2 second note\nname ra dec\nA 10.5 -20\n"
    [feature] = read(text).features
    assert feature["properties"] == {"shape": "point", "name": "A"}
    # numbered comments that do not start at 1 or go back are no header: the first row is
    for text in ("# 2 A\n# 3 B\nra dec\n1 2\n", "# 1 A\n# 1 B\nra dec\n1 2\n"):
        assert read(text).features[0]["geometry"]["coordinates"] == [1.0, 2.0]


VIZIER = (
    "#\n#   VizieR Astronomical Server\n#Title: a survey\n#Column\t_RAJ2000\t(F9.5)\n\n"
    "_RAJ2000\t_DEJ2000\tRAJ2000\tDEJ2000\tGmag\tName\n"
    '"deg"\t"deg"\t"h:m:s"\t"d:m:s"\tmag\t\n'
    "---------\t---------\t-----------\t----------\t-----\t----\n"
    "150.50000\t+02.25000\t10 02 00.00\t+02 15 00.0\t12.1\tS1\n"
    "150.60000\t-02.35000\t10 02 24.00\t-02 21 00.0\t\tS2\n"
)


def test_a_vizier_tsv_with_its_units_and_dashes_rows():
    one, two = read(VIZIER, fmt="tsv").features
    # RAJ2000 (sexagesimal) is the RA column: the same places as VizieR's _RAJ2000
    for feature, (ra, dec) in ((one, ("10 02 00.00", "+02 15 00.0")),
                               (two, ("10 02 24.00", "-02 21 00.0"))):  # fmt: skip
        expected = [Angle(ra, unit=u.hourangle).deg, Angle(dec, unit=u.deg).deg]
        assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-9)
        properties = feature["properties"]
        assert [properties["_RAJ2000"], properties["_DEJ2000"]] == pytest.approx(expected)
    assert (one["properties"]["Gmag"], two["properties"]["Gmag"]) == (12.1, None)
    assert two["properties"]["Name"] == "S2"


def test_a_units_row_in_brackets_and_only_under_the_header():
    [feature] = read("ra,dec,mag\n[deg],[deg],[mag]\n10,20,5\n").features
    assert feature["geometry"]["coordinates"] == [10.0, 20.0]
    with pytest.raises(CatalogImportError, match="line 3, column 'ra': 'deg' is not an angle"):
        read("ra,dec\n10,20\ndeg,deg\n")


@pytest.mark.parametrize(
    ("ra", "dec"),
    [("RA", "DEC"), ("RAJ2000", "DEJ2000"), ("ALPHA_J2000", "DELTA_J2000"),
     ("ra_deg", "dec_deg"), ("_RAJ2000", "_DEJ2000"), ("RA_ICRS", "DE_ICRS"),
     ("ALPHAWIN_J2000", "DELTAWIN_J2000"), ("RAdeg", "DEdeg")],
)  # fmt: skip
def test_the_usual_position_column_names(ra, dec):
    [feature] = read(f"id,{dec},{ra}\n7,-30.5,200.25\n").features
    assert feature["geometry"]["coordinates"] == [200.25, -30.5]
    assert feature["properties"] == {"shape": "point", "id": 7}


def test_missing_values_leave_a_column_its_type_and_a_row_without_a_position_out():
    text = "id,ra,dec,mag,name\n1,10,20,NaN,a\n2,,5,3.5,b\n3,11,--,4,c\n4,12,21,--,\n5,13,22,null,e\n6,14,23,7.25,nan\n"
    result = read(text)
    assert [f["properties"]["id"] for f in result.features] == [1, 4, 5, 6]
    assert [f["properties"]["mag"] for f in result.features] == [None, None, None, 7.25]
    assert [f["properties"]["name"] for f in result.features] == ["a", None, "e", None]
    assert result.warnings == [
        "line 3: no position (RA or Dec missing), left out.",
        "line 4: no position (RA or Dec missing), left out.",
    ]


def test_a_table_whose_rows_all_lack_a_position_says_so():
    with pytest.raises(
        CatalogImportError, match="no feature found in the file: line 2: no position"
    ):
        read("ra,dec\nNaN,NaN\n")


def test_rows_without_a_position_are_reported_one_by_one_up_to_a_thousand():
    text = "ra,dec\n" + "--,1\n" * 1003 + "1,2\n"
    result = read(text)
    assert len(result.features) == 1
    assert len(result.warnings) == 1001
    assert result.warnings[999] == "line 1001: no position (RA or Dec missing), left out."
    assert result.warnings[-1] == "3 more rows without a position, left out."


def test_crlf_a_bom_latin_1_and_trailing_spaces():
    [utf8] = read(b"\xef\xbb\xbfname,ra,dec \r\nCaf\xc3\xa9,10.5,-20 \r\n").features
    assert utf8["properties"]["name"] == "Café" and utf8["geometry"]["coordinates"] == [10.5, -20.0]
    [latin] = read(b"name\tra\tdec\nCaf\xe9\t10.5\t-20\n", fmt="tsv").features
    assert latin["properties"]["name"] == "Café"


def test_a_header_written_as_the_last_comment_before_the_data():
    text = "# my stars, 2024\n# id   ra        dec      mag\n  1  10.5  -20.25  12.0\n  2  11.0  -21.0   13.5\n"
    one, two = read(text).features
    assert one["geometry"]["coordinates"] == [10.5, -20.25]
    assert two["properties"] == {"shape": "point", "id": 2, "mag": 13.5}
    [csv_row] = read("#ra,dec,name\n10.5,-20.25,A\n").features
    assert csv_row["properties"] == {"shape": "point", "name": "A"}


def test_a_comment_is_no_header_unless_it_fits_the_data():
    for text in (
        "# ra dec\n1 2 3\n",  # two names for three values
        "# id x y\n1 2 3\n",  # no RA or Dec among them
    ):
        with pytest.raises(CatalogImportError, match="no RA column found"):
            read(text)
    # a header row of its own wins over the comment before it
    [feature] = read("# dec ra\nra dec\n10 20\n").features
    assert feature["geometry"]["coordinates"] == [10.0, 20.0]


def test_a_rule_of_dashes_under_a_narrow_column_is_no_row():
    result = read("id\tra\tdec\n--\t------\t------\n1\t10\t20\n", fmt="tsv")
    assert [f["geometry"]["coordinates"] for f in result.features] == [[10.0, 20.0]]
    assert result.warnings == []
