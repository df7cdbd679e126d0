"""GeoJSON features validated, worked by hand from RFC 7946: what is kept, what is
refused and the message that names it."""

import json

import pytest

from catalogs.importers import CatalogImportError, import_catalog, open_catalog
from catalogs.importers.geojson import validate_feature


def feature(geometry, **extra):
    return {"type": "Feature", "geometry": geometry, "properties": extra.pop("properties", {}),
            **extra}  # fmt: skip


def point(*coordinates):
    return {"type": "Point", "coordinates": list(coordinates)}


def test_a_position_is_two_finite_numbers_and_a_third_is_ignored():
    kept = validate_feature(feature(point(370.5, -12.25, None)))
    assert kept["geometry"] == {"type": "Point", "coordinates": [10.5, -12.25]}
    assert validate_feature(feature(point(720, 90)))["geometry"]["coordinates"] == [0.0, 90.0]
    assert validate_feature(feature(point(-360, -90)))["geometry"]["coordinates"] == [0.0, -90.0]
    for bad in ([1], [1, "2"], [True, 2], [1, float("nan")], "1,2"):
        with pytest.raises(
            CatalogImportError, match=r"^feature 0: a position must be \[longitude, latitude\]"
        ):
            validate_feature(feature({"type": "Point", "coordinates": bad}))


@pytest.mark.parametrize("position", [[10, 90.5], [10, -90.5], [720.5, 0], [-360.5, 0]])
def test_positions_outside_the_sky_are_refused(position):
    with pytest.raises(CatalogImportError, match=r"^feature 3: \[.*\] is outside the sky"):
        validate_feature(feature(point(*position)), 3)


def test_pixel_features_keep_their_pixels_at_every_depth():
    ring = [[100, 500], [900, 500], [900, 800], [100, 500]]
    kept = validate_feature(feature({"type": "Polygon", "coordinates": [ring]},
                                    properties={"frame": "image"}))  # fmt: skip
    assert kept["geometry"]["coordinates"] == [[[float(x), float(y)] for x, y in ring]]
    with pytest.raises(CatalogImportError, match="outside the sky"):
        validate_feature(feature({"type": "Polygon", "coordinates": [ring]}))


def test_nested_errors_name_the_feature():
    with pytest.raises(CatalogImportError, match=r"^feature 2: a position must be"):
        validate_feature(feature({"type": "LineString", "coordinates": [[1, 2], [3]]}), 2)
    with pytest.raises(CatalogImportError, match=r"^feature 2: empty coordinates\.$"):
        validate_feature(feature({"type": "MultiPoint", "coordinates": []}), 2)
    with pytest.raises(CatalogImportError, match=r"^feature 2: empty coordinates\.$"):
        validate_feature(feature({"type": "Polygon", "coordinates": [[]]}), 2)


@pytest.mark.parametrize(
    ("kind", "coordinates"),
    [
        ("Polygon", [[[0, 0], [1, 0], [0, 0]]]),  # 3 positions
        ("Polygon", [[[0, 0], [1, 0], [1, 1], [0, 1]]]),  # not closed
        ("MultiPolygon", [[[[0, 0], [1, 0], [0, 0]]]]),
        ("MultiPolygon", [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6], [5, 6]]]]),
    ],
)
def test_polygon_rings_are_closed_with_four_positions(kind, coordinates):
    with pytest.raises(CatalogImportError, match="a polygon ring needs 4 or more positions"):
        validate_feature(feature({"type": kind, "coordinates": coordinates}))


def test_lines_need_no_ring():
    kept = validate_feature(feature({"type": "MultiLineString", "coordinates": [[[0, 0], [1, 0]]]}))
    assert kept["geometry"]["coordinates"] == [[[0.0, 0.0], [1.0, 0.0]]]


def test_only_features_are_features():
    for item in ([1, 2], "Feature", {"type": "feature", "geometry": point(1, 2)},
                 {"geometry": point(1, 2)}):  # fmt: skip
        with pytest.raises(CatalogImportError, match=r"^feature 0: not a GeoJSON Feature\.$"):
            validate_feature(item)
    with pytest.raises(CatalogImportError, match="a geometry of type Point, MultiPoint"):
        validate_feature(feature({"type": "GeometryCollection", "geometries": []}))
    with pytest.raises(CatalogImportError, match="'properties' must be an object"):
        validate_feature(feature(point(1, 2), properties=["a"]))


@pytest.mark.parametrize("colour", [5, ["red"], "red;x", "#12", "#1234567890abc"])
def test_a_colour_is_a_name_or_hex(colour):
    with pytest.raises(CatalogImportError, match="'color' must be a colour name or #rrggbb"):
        validate_feature(feature(point(1, 2), properties={"color": colour}))


@pytest.mark.parametrize("colour", ["red", "#abc", "#AABBCC", "#aabbccdd"])
def test_colours_kept(colour):
    kept = validate_feature(feature(point(1, 2), properties={"color": colour}))
    assert kept["properties"] == {"color": colour}


def test_the_id_and_nothing_else_beside_geometry_and_properties_is_kept():
    kept = validate_feature(feature(point(1, 2), id="s-1", bbox=[0, 0, 1, 1], extra="x"))
    assert kept == {"type": "Feature", "id": "s-1", "properties": {},
                    "geometry": {"type": "Point", "coordinates": [1.0, 2.0]}}  # fmt: skip
    assert "id" not in validate_feature(feature(point(1, 2)))
    assert validate_feature(feature(point(1, 2), properties=None))["properties"] == {}


def test_a_limit_given_wins_over_the_setting(settings):
    settings.MAX_FEATURE_BYTES = 100_000
    with pytest.raises(CatalogImportError, match="larger than the limit of 10 bytes"):
        validate_feature(feature(point(1, 2)), 0, 10)


def test_a_nul_in_a_value_is_refused_but_an_escaped_backslash_is_text():
    with pytest.raises(CatalogImportError, match="a NUL character"):
        validate_feature(feature(point(1, 2), properties={"name": "a\x00b"}))
    kept = validate_feature(feature(point(1, 2), properties={"name": "a\\u0000b"}))
    assert kept["properties"]["name"] == "a\\u0000b"


def test_documents_of_each_top_level_type():
    one = import_catalog(b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": '
                         b'[1, 2]}, "properties": {"name": "a"}}', fmt="geojson")  # fmt: skip
    assert [f["properties"] for f in one.features] == [{"name": "a"}]
    bare = import_catalog(b'{"coordinates": [[1, 2], [3, 4]], "type": "LineString"}', fmt="geojson")
    assert bare.features[0]["geometry"] == {"type": "LineString",
                                            "coordinates": [[1.0, 2.0], [3.0, 4.0]]}  # fmt: skip
    with pytest.raises(CatalogImportError, match="must be an object"):
        import_catalog(b"[1, 2]", fmt="geojson")
    with pytest.raises(CatalogImportError, match="unknown GeoJSON type None"):
        import_catalog(b'{"features": []}', fmt="geojson")
    with pytest.raises(CatalogImportError, match="unknown GeoJSON type 'Topology'"):
        import_catalog(b'{"type": "Topology"}', fmt="geojson")


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_each_feature_of_a_collection_is_named_by_its_place():
    good, bad = feature(point(1, 2)), feature(point(10, 95))
    with pytest.raises(
        CatalogImportError, match=r"^feature 1: \[10\.0, 95\.0\] is outside the sky\.$"
    ):
        import_catalog(collection(good, bad), fmt="geojson")
    with pytest.raises(
        CatalogImportError, match=r"^feature 0: \[10\.0, 95\.0\] is outside the sky\.$"
    ):
        import_catalog(json.dumps(bad).encode(), fmt="geojson")


def test_the_limit_given_to_the_import_holds_each_feature_of_a_collection(settings):
    """One feature written out with json's spaces (the stored form) is 73 bytes."""
    stored = '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}'
    assert len(stored) == 73
    text = collection({"type": "Feature", "geometry": point(1, 2)})
    settings.MAX_FEATURE_BYTES = 10_000
    [kept] = list(open_catalog(text, fmt="geojson", max_feature_bytes=73).batches(10))[0]
    assert kept["geometry"]["coordinates"] == [1.0, 2.0]
    job = open_catalog(text, fmt="geojson", max_feature_bytes=72)
    with pytest.raises(CatalogImportError, match="^feature 0: larger than the limit of 72 bytes"):
        list(job.batches(10))


def test_a_single_geometry_as_large_as_the_limit_is_read(settings):
    """The file's size is held to the limit before it is read: 80 bytes (a geometry
    followed by 40 spaces), whose stored feature is 73."""
    text = b'{"type": "Point", "coordinates": [1, 2]}' + b" " * 40
    assert len(text) == 80
    settings.MAX_FEATURE_BYTES = 80
    [kept] = import_catalog(text, fmt="geojson").features
    assert kept["geometry"] == {"type": "Point", "coordinates": [1.0, 2.0]}
    settings.MAX_FEATURE_BYTES = 79
    with pytest.raises(
        CatalogImportError, match=r"^a single Point of 80 bytes, the limit is 79\.$"
    ):
        import_catalog(text, fmt="geojson")


def test_the_type_is_found_whatever_the_order_of_the_members():
    """JSON objects are unordered (RFC 8259 section 4), and GeoJSON objects may carry
    foreign members (RFC 7946 section 6.1): only the top-level "type" says what it is."""
    late = (b'{"geometry": {"type": "Point", "coordinates": [1, 2]}, "title": "x", '
            b'"properties": {"name": "n"}, "type": "Feature"}')  # fmt: skip
    [kept] = import_catalog(late, fmt="geojson").features
    assert kept == {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
                    "properties": {"name": "n"}}  # fmt: skip
    ahead = (b'{"name": "survey", "features": [{"type": "Feature", "properties": null, '
             b'"geometry": {"type": "Point", "coordinates": [3, 4]}}], "type": "FeatureCollection"}')  # fmt: skip
    assert [f["geometry"]["coordinates"] for f in import_catalog(ahead, fmt="geojson").features] == [
        [3.0, 4.0]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[1, 2]", "a GeoJSON document must be an object."),
        (b'"Feature"', "a GeoJSON document must be an object."),
        (b'{"features": []}', "unknown GeoJSON type None."),
        (b'{"type": 5, "features": []}', "unknown GeoJSON type None."),
        (b'{"type": "Topology"}', "unknown GeoJSON type 'Topology'."),
        (b'{"type": "feature"}', "unknown GeoJSON type 'feature'."),
    ],
)
def test_what_is_not_a_geojson_document_is_told_exactly(text, message):
    with pytest.raises(CatalogImportError) as error:
        import_catalog(text, fmt="geojson")
    assert str(error.value) == message


def test_a_document_nested_deeper_than_the_limit_is_refused_before_it_is_read(tmp_path):
    """The JSON reader keeps the path of every open level (a 200 KB file of nested
    arrays grew a server past 20 GB): such a file, however it reaches the importer, is
    refused first. Run in a process of its own with a cap on its memory, so that a
    reader let loose fails this test instead of the machine."""
    import subprocess
    import sys

    from catalogs.importers.geojson import MAX_DEPTH

    deep = tmp_path / "deep.geojson"
    deep.write_bytes(
        b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )

    def nested(name, depth):  # the collection, its list, the feature, its properties: 4
        arrays = "[" * (depth - 4) + "1" + "]" * (depth - 4)
        path = tmp_path / name
        text = collection(feature(point(1, 2))).decode()
        path.write_text(text.replace('"properties": {}', f'"properties": {{"deep": {arrays}}}'))
        return path

    edge, over = nested("edge.geojson", MAX_DEPTH), nested("over.geojson", MAX_DEPTH + 1)
    script = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "import django; django.setup()\n"
        "from catalogs.importers import CatalogImportError, open_catalog\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        print(sum(len(b) for b in open_catalog(path, fmt='geojson').batches(10)))\n"
        "    except CatalogImportError as exc:\n"
        "        print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(deep), str(edge), str(over)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    refused = f"JSON nested more than {MAX_DEPTH} levels deep."
    assert done.stdout.splitlines() == [refused, "1", refused]
