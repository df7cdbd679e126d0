"""Every importer and export limit is a setting, read when it is used: a lowered one is
honoured, with a refusal that says which limit and where. Expected counts are worked out
from the files written here (a line's length counts its end of line)."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from catalogs import storage
from catalogs.importers import CatalogImportError, import_catalog, open_catalog
from catalogs.importers.export import to_csv
from catalogs.importers.geojson import validate_feature


def rows(n):
    return "ra,dec\n" + "".join(f"{i}.5,{i}.25\n" for i in range(n))


def test_the_file_size_setting_is_read_when_importing(settings):
    text = rows(3).encode()  # 7 + 3 * 9 = 34 bytes
    assert len(text) == 34
    settings.MAX_CATALOG_BYTES = 34
    assert len(import_catalog(text, fmt="csv").features) == 3  # at the limit: read
    settings.MAX_CATALOG_BYTES = 33
    with pytest.raises(CatalogImportError, match="file too large: 34 bytes, the limit is 33"):
        import_catalog(text, fmt="csv")
    with pytest.raises(CatalogImportError, match="file too large"):
        open_catalog(text, fmt="csv")


def test_the_feature_count_setting_is_read_when_importing(settings):
    settings.MAX_CATALOG_FEATURES = 3
    assert [f["geometry"]["coordinates"] for f in import_catalog(rows(3).encode()).features] == [
        [0.5, 0.25], [1.5, 1.25], [2.5, 2.25]
    ]  # fmt: skip
    with pytest.raises(CatalogImportError, match="more than the limit of 3 features"):
        import_catalog(rows(4).encode(), fmt="csv")
    settings.MAX_CATALOG_FEATURES = 1
    with pytest.raises(CatalogImportError, match="limit of 1 features"):
        import_catalog(b'# Region file format: DS9\nfk5\ncircle(1,2,3")\npoint(3,4)\n')


def test_the_feature_size_setting_bounds_a_line(settings):
    settings.MAX_FEATURE_BYTES = 12
    fits = b"ra,dec\n10.5,20.25\n"  # "10.5,20.25\n": 11 characters
    assert import_catalog(fits, fmt="csv").features[0]["geometry"]["coordinates"] == [10.5, 20.25]
    long = b"ra,dec\n10.5,20.25\n110.5,20.25\n"  # line 3: 12 characters, then 13
    assert len(import_catalog(long, fmt="csv").features) == 2
    with pytest.raises(
        CatalogImportError, match="line 3: a line of 13 characters, the limit is 12"
    ):
        import_catalog(b"ra,dec\n10.5,20.25\n110.5,20.250\n", fmt="csv")
    with pytest.raises(CatalogImportError, match="line 2: a line of 21 characters"):
        import_catalog(b'fk5\ncircle(1,2,3.12345")\n', fmt="ds9")


def test_the_feature_size_setting_bounds_a_geojson_feature(settings):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
               "properties": {}}  # fmt: skip
    size = len('{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, '
               '"properties": {}}')  # fmt: skip
    settings.MAX_FEATURE_BYTES = size
    assert validate_feature(feature)["geometry"]["coordinates"] == [1.0, 2.0]
    settings.MAX_FEATURE_BYTES = size - 1
    with pytest.raises(CatalogImportError, match=f"feature 0: larger than the limit of {size - 1}"):
        validate_feature(feature)
    collection = b'{"type": "FeatureCollection", "features": [' + (
        b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, '
        b'"properties": {}}]}'
    )
    with pytest.raises(CatalogImportError, match="feature 0: larger than the limit"):
        import_catalog(collection, fmt="geojson")
    settings.MAX_FEATURE_BYTES = 10  # a bare geometry: the file is the feature
    with pytest.raises(CatalogImportError, match="a single Point of 40 bytes, the limit is 10"):
        import_catalog(b'{"type": "Point", "coordinates": [1, 2]}', fmt="geojson")


def test_a_given_limit_wins_over_the_setting(settings):
    settings.MAX_CATALOG_BYTES = 10
    settings.MAX_CATALOG_FEATURES = 1
    result = import_catalog(rows(2).encode(), fmt="csv", max_bytes=1000, max_features=2)
    assert len(result.features) == 2


def test_the_export_column_setting_keeps_the_first_keys_met(settings):
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"frame": "sky", "a": 1, "b": "x"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3, 4]},
         "properties": {"c": 3, "a": 2}},
    ]  # fmt: skip
    settings.MAX_EXPORT_COLUMNS = 2
    table = list(csv.reader(io.StringIO("".join(to_csv(lambda: features)))))
    assert table == [["ra", "dec", "a", "b"], ["1.0", "2.0", "1", "x"], ["3.0", "4.0", "2", ""]]
    settings.MAX_EXPORT_COLUMNS = 3
    assert next(csv.reader(io.StringIO("".join(to_csv(lambda: features))))) == [
        "ra", "dec", "a", "b", "c"
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_export_api_honours_a_lowered_column_limit(collections, settings):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 20]},
                 "properties": {"shape": "point", "mag": 12.5, "name": "s1", "kind": "star"}}]  # fmt: skip
    catalog = storage.create_catalog(collections["public"], features, name="cols")
    settings.MAX_EXPORT_COLUMNS = 2
    response = APIClient().get(f"/api/catalogs/{catalog.pk}/export/?as=csv")
    assert response.status_code == 200
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # Two property columns, the first keys met: in the order the database keeps them
    # (PostgreSQL's jsonb orders keys by length, SQLite keeps the file's order).
    assert header[:2] == ["ra", "dec"] and len(header) == 4, header
    assert set(header[2:]) < {"shape", "mag", "name", "kind"}, header


def test_geojson_parse_reads_the_setting_when_not_given(settings):
    from catalogs.importers import CatalogImport, TextSource, geojson

    text = b'{"type": "Point", "coordinates": [1, 2]}'  # 40 bytes
    settings.MAX_FEATURE_BYTES = 39
    job = CatalogImport(TextSource(text, max_bytes=1000, max_line=1000), "geojson", geojson.parse)
    with pytest.raises(CatalogImportError, match="a single Point of 40 bytes, the limit is 39"):
        list(job.batches(10))


def test_a_single_feature_is_held_to_the_limit_given_to_the_import(settings):
    """The file (compact) fits the limit given, its feature written out with json's spaces
    (the stored form) does not: 66 bytes of file, 73 of feature."""
    compact = b'{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}'
    assert len(compact) == 66
    stored = '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}'
    assert len(stored) == 73
    settings.MAX_FEATURE_BYTES = 10_000
    job = open_catalog(compact, fmt="geojson", max_feature_bytes=70)
    with pytest.raises(CatalogImportError, match="feature 0: larger than the limit of 70 bytes"):
        list(job.batches(10))


def test_a_broken_feature_collection_says_it_is_not_json():
    broken = b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
    with pytest.raises(CatalogImportError, match="^not valid JSON: "):
        import_catalog(broken, fmt="geojson")


def test_an_error_without_a_line_is_its_message_alone():
    assert str(CatalogImportError("no feature")) == "no feature"
    assert str(CatalogImportError("bad", line=3)) == "line 3: bad"
    assert str(CatalogImportError("bad", line=3, column="ra")) == "line 3, column 'ra': bad"
