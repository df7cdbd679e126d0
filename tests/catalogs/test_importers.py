"""Importers on real-world syntax, and their refusals."""

from pathlib import Path

import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from catalogs.importers import CatalogImportError, import_catalog
from catalogs.importers.export import to_csv, to_ds9, to_geojson

DATA = Path(__file__).with_name("data")


def shapes(result):
    return [f["properties"]["shape"] for f in result.features]


def test_ds9_file():
    result = import_catalog(DATA / "survey.reg")
    assert result.format == "ds9"
    assert shapes(result) == ["circle", "circle", "point", "ellipse", "box", "polygon", "line", "text",
                              "annulus", "circle", "circle", "circle", "circle"]  # fmt: skip
    m31 = result.features[0]
    expected = SkyCoord("10:41:02.3 +41:15:44.2", unit=(u.hourangle, u.deg), frame="fk5").icrs
    assert m31["geometry"]["coordinates"] == pytest.approx(
        [expected.ra.deg, expected.dec.deg], abs=1e-9
    )
    assert m31["properties"]["color"] == "red" and m31["properties"]["text"] == "M31 core"
    assert m31["properties"]["radius"] == pytest.approx(5.1 / 3600)
    assert result.features[3]["properties"]["text"] == "galaxy A"
    assert result.features[4]["properties"]["color"] == "cyan"
    assert result.features[7]["properties"]["text"] == "Hello there"
    assert result.features[9]["properties"]["include"] is False  # -circle excludes
    # Galactic converted to ICRS.
    galactic = SkyCoord(l=120.5 * u.deg, b=-10.2 * u.deg, frame="galactic").icrs
    assert result.features[11]["geometry"]["coordinates"] == pytest.approx(
        [galactic.ra.deg, galactic.dec.deg]
    )
    # Image coordinates stay FITS 1-based pixels, marked as such.
    pixel = result.features[12]
    assert pixel["geometry"]["coordinates"] == [100.0, 200.0]
    assert pixel["properties"]["frame"] == "image" and pixel["properties"]["radius"] == 20.0
    # Unsupported shapes are reported with their line.
    assert "line 14: 'vector' regions are not supported, left out." in result.warnings
    assert "line 21: 'panda' regions are not supported, left out." in result.warnings
    # ds9 settings regions does not interpret are kept as written (the line's arrows).
    assert result.features[6]["properties"]["line"] == "0 1"
    assert len(result.warnings) == 2


def test_ds9_unparsable_line_is_an_error():
    with pytest.raises(CatalogImportError, match="line 3"):
        import_catalog(b"# Region file format: DS9 version 4.1\nfk5\ncircle(10,20\n", fmt="ds9")


@pytest.mark.parametrize(
    ("text", "ra", "dec"),
    [
        ("name,ra,dec,mag\nA,10.5,-20.25,17.2\n", 10.5, -20.25),
        (
            "# comment\nID\tRAJ2000\tDEJ2000\tflag\n1\t12:30:00.0\t-05:06:07\ttrue\n",
            187.5,
            -(5 + 6 / 60 + 7 / 3600),
        ),
        (
            "NUMBER;ALPHA_J2000;DELTA_J2000;FLUX\n7;12h30m00s;+05d06m07s;3\n",
            187.5,
            5 + 6 / 60 + 7 / 3600,
        ),
        ("id  ra_icrs  de_icrs  snr\n  3  359.9  89.5  5.5\n", 359.9, 89.5),
    ],
)
def test_csv_dialects(text, ra, dec):
    result = import_catalog(text.encode(), fmt="csv")
    feature = result.features[0]
    assert feature["geometry"]["coordinates"] == pytest.approx([ra, dec])


def test_csv_types_are_inferred():
    text = "ra,dec,n,mag,ok,note\n1,2,3,4.5,true,x\n5,6,,7,false,\n"
    props = [f["properties"] for f in import_catalog(text.encode(), fmt="csv").features]
    assert props[0] == {"shape": "point", "n": 3, "mag": 4.5, "ok": True, "note": "x"}
    assert props[1] == {"shape": "point", "n": None, "mag": 7.0, "ok": False, "note": None}


def test_csv_explicit_columns():
    text = "x,y,lon,lat\n1,2,30.5,40.25\n"
    result = import_catalog(text.encode(), fmt="csv", ra_column="lon", dec_column="lat")
    assert result.features[0]["geometry"]["coordinates"] == [30.5, 40.25]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "no RA column found (columns: a, b)"),
        ("ra,dec\n10,20\n11,abc\n", "line 3, column 'dec'"),
        ("ra,dec\n10,95\n", "line 2, column 'dec': Dec 95 is outside"),
        ("ra,dec\n400,10\n", "line 2, column 'ra'"),
        ("ra,dec\n25:00:00,10\n", "line 2, column 'ra'"),
        ("ra,dec\n10,20,30\n", "line 2: 3 values for 2 columns"),
    ],
)
def test_csv_refusals_name_the_place(text, message):
    with pytest.raises(CatalogImportError) as error:
        import_catalog(text.encode(), fmt="csv")
    assert message in str(error.value)


def test_geojson_validation():
    good = '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[-10,5]},"properties":{"n":1}}]}'
    assert import_catalog(good.encode()).features[0]["geometry"]["coordinates"] == [350.0, 5.0]
    for bad, message in [
        ('{"type":"Feature","geometry":{"type":"Point","coordinates":[10,95]}}', "outside the sky"),
        ('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}', "ring"),
        ('{"type":"Nope"}', "unknown GeoJSON type"),
        ("{not json", "not valid JSON"),
    ]:
        with pytest.raises(CatalogImportError, match=message):
            import_catalog(bad.encode(), fmt="geojson")


def test_size_guard_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("ra,dec\n" + "1,2\n" * 1000)
    with pytest.raises(CatalogImportError, match="file too large"):
        import_catalog(path, max_bytes=100)


def test_exports_round_trip():
    result = import_catalog(DATA / "survey.reg")
    again = import_catalog("".join(to_ds9(lambda: result.features)).encode(), fmt="ds9")
    assert shapes(again) == [s for s in shapes(result)]
    for a, b in zip(result.features, again.features, strict=True):
        if a["geometry"]["type"] == "Point":
            assert b["geometry"]["coordinates"] == pytest.approx(
                a["geometry"]["coordinates"], abs=1e-6
            )
    geojson = "".join(to_geojson(result.features)).encode()
    assert import_catalog(geojson).features == result.features
    table = import_catalog("".join(to_csv(lambda: result.features[:3])).encode(), fmt="csv")
    assert table.features[0]["properties"]["text"] == "M31 core"
