"""Exports cannot be turned against their readers: properties never add ds9 lines or
settings, and CSV cells never start a spreadsheet formula, while numbers stay numbers."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from catalogs import storage
from catalogs.importers import CatalogImportError, import_catalog
from catalogs.importers.geojson import validate_feature

pytestmark = pytest.mark.django_db

HOSTILE = [
    "a}\nglobal color=blue\ncircle(1,2,3)",
    "b\r\nimage; circle(1,1,1) # text={x}",
    "c # color=blue; box(1,2,3,4,0)",
    'd" tag={x} text="y',
    "e' font=\"helvetica 40\" '",
    "{f",
    "g\x1b[2J\x7f\x85",
    "h;i;j",
]


def point(ra, dec, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
            "properties": {"shape": "circle", "radius": 0.001, **properties}}  # fmt: skip


def export(catalog, kind):
    response = APIClient().get(f"/api/catalogs/{catalog.pk}/export/?as={kind}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def hostile_catalog(collections):
    features = [
        point(10.0 + n, -12.5, text=text, name=text, tag=[text], font=text, note=text)
        for n, text in enumerate(HOSTILE)
    ]
    # Properties stored by older versions (or by hand) may hold anything: export copes.
    features.append(point(30.0, 5.0, color="red\nglobal color=blue width=40\nimage"))
    return storage.create_catalog(collections["public"], features, name="hostile")


def test_ds9_export_cannot_add_lines_or_settings(hostile_catalog):
    text = export(hostile_catalog, "reg")
    lines = text.splitlines()
    assert len(lines) == 3 + len(HOSTILE) + 1
    assert lines[0] == "# Region file format: DS9 version 4.1" and lines[2] == "icrs"
    assert lines[1] == (
        'global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" '
        "select=1 highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1"
    )
    assert all(line.startswith("circle(") for line in lines[3:]), lines
    assert "\r" not in text and "\x1b" not in text and "\x7f" not in text and "\x85" not in text
    for line in lines[3:]:
        body, _, extras = line.partition(" # ")
        assert ";" not in body and "#" not in body
        settings_part = extras.split("text=")[0]  # the label, quoted, comes last
        assert "color=blue" not in settings_part and "width" not in settings_part
    # ds9's own reader (astropy regions) sees one circle per feature and no extra setting.
    again = import_catalog(text.encode(), fmt="ds9")
    assert [f["properties"]["shape"] for f in again.features] == ["circle"] * (len(HOSTILE) + 1)
    assert {f["properties"].get("color", "green") for f in again.features} == {"green"}
    assert all(f["geometry"]["coordinates"][1] == pytest.approx(-12.5) for f in again.features[:-1])


def test_ds9_export_keeps_plain_labels(collections):
    catalog = storage.create_catalog(collections["public"], [point(1, 2, text="Source #3; core",
                                     color="#ff8800")], name="plain")  # fmt: skip
    text = export(catalog, "reg")
    again = import_catalog(text.encode(), fmt="ds9").features[0]["properties"]
    assert again["text"] == "Source #3; core" and again["color"] == "#ff8800"


def test_csv_export_neutralises_formulas_and_keeps_numbers(collections):
    catalog = storage.create_catalog(collections["public"], [
        point(10.0, -12.5, label=text, mag=-1.25, n=-3, ok=True)
        for text in ("=1+2", "+1", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "plain", "-")
    ] + [point(11.0, -80.0, **{"=HYPERLINK(\"x\")": "y"})], name="cells")  # fmt: skip
    text = export(catalog, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["ra", "dec"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in header)
    labels = [row[header.index("label")] for row in body[:8]]
    # Line breaks in a cell become spaces (one row per line, as the importer reads them).
    assert labels == ["'=1+2", "'+1", "'-cmd|' /C calc'!A0", "'@SUM(A1)", "'\tx", "' x", "plain",
                      "'-"]  # fmt: skip
    for row in body[:8]:
        assert float(row[1]) == -12.5 and float(row[header.index("mag")]) == -1.25
        assert row[header.index("n")] == "-3"
    # Numbers are written bare, text quoted: a spreadsheet reads -12.5 as a number.
    assert ",-12.5," in text.replace("-12.50000000", "-12.5") and ',"plain",' in text


def test_nul_characters_are_refused_at_import():
    with pytest.raises(CatalogImportError, match="NUL"):
        validate_feature(point(1, 2, text="a\x00b"))
    lines = "ra,dec,name\n" + "1,2,x\n" * 5000 + "1,2,x\x00y\n"
    with pytest.raises(CatalogImportError, match="line 5002: a NUL"):
        import_catalog(lines.encode(), fmt="csv")


def test_a_colour_that_is_not_a_colour_is_refused_at_import():
    bad = point(1, 2, color="red\nglobal color=blue")
    with pytest.raises(CatalogImportError, match="colour"):
        validate_feature(bad)
    assert validate_feature(point(1, 2, color="#00ff00"))["properties"]["color"] == "#00ff00"
