"""A catalog file of deeply nested JSON is refused at its upload (400), before the
GeoJSON reader sees it: that reader keeps the path of every level it is in, and 200 KB
of nested arrays asked it for tens of gigabytes (the server was killed for it)."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalogs import tasks, uploads
from catalogs.models import Catalog
from catalogs.uploads import json_too_deep
from portal.api.parsers import MAX_JSON_DEPTH, nesting_depth

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(monkeypatch):
    """Imports asked for, not run: a refused file must never reach the reader."""
    asked = []
    monkeypatch.setattr(tasks, "schedule_import", lambda catalog: asked.append(catalog.pk))
    return asked


@pytest.fixture
def owner_client(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


def feature_collection(properties):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 20.0]},
               "properties": properties}  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def upload(client, name, content):
    form = {"name": "c", "collection": "private-survey", "file": SimpleUploadedFile(name, content)}
    return client.post("/api/catalogs/", form, format="multipart")


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf \n\t"])
def test_a_deeply_nested_geojson_is_refused_and_nothing_kept(
    owner_client, collections, scheduled, prefix, snapshot, settings
):
    before = snapshot(settings.UPLOAD_ROOT)
    deep = feature_collection({"a": "x"}).replace(b'"x"', b"[" * 100_000 + b"]" * 100_000)
    response = upload(owner_client, "deep.geojson", prefix + deep)
    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["detail"]
    assert not Catalog.objects.exists() and scheduled == []
    assert snapshot(settings.UPLOAD_ROOT) == before


def test_a_geojson_as_deep_as_allowed_is_imported(owner_client, collections, scheduled):
    # The collection, its features, a feature and its properties: 4 levels, then 60.
    nested = json.loads("[" * (MAX_JSON_DEPTH - 4) + "]" * (MAX_JSON_DEPTH - 4))
    content = feature_collection({"a": nested, "b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})
    assert nesting_depth(content, 1000) == MAX_JSON_DEPTH
    response = upload(owner_client, "fine.geojson", content)
    assert response.status_code == 202, response.content
    assert scheduled == [response.json()["id"]]


def test_other_formats_are_not_read_for_brackets(owner_client, collections, scheduled):
    table = (
        b"ra,dec,note\n" + b"1,2,[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
    )
    assert upload(owner_client, "t.csv", table * 3).status_code == 202
    assert len(scheduled) == 1


def blocks(text, size):
    return json_too_deep(io.BytesIO(text), MAX_JSON_DEPTH, block=size)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize(
    "text",
    [
        b"[" * 65 + b"]" * 65,
        b'{"a": "\\"]]]]]", "b": ' + b"[" * 65 + b"]" * 65 + b"}",
        b'["\\\\", ' + b"{" * 65 + b"}" * 65 + b"]",  # an escaped backslash, then nesting
        b"[" * 100_000,
    ],
)
def test_a_text_deeper_than_the_limit_is_found_in_blocks_of_any_size(text, size):
    assert blocks(text, size)


@pytest.mark.parametrize("size", [40, 64, 1 << 20])
@pytest.mark.parametrize(
    "text",
    [
        b"[" * 64 + b"]" * 64,
        b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
        b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]',
        b'["\\\\"' + b", []" * 1000 + b"]",
    ],
)
def test_brackets_in_strings_are_text_and_shallow_texts_pass_in_blocks(text, size):
    # Read in blocks the depth is a bound (a block's unpaired brackets all count), tight
    # enough for texts as shallow as real catalogs; read whole, it is exact.
    assert not blocks(text, size)


def test_a_large_real_catalog_is_read_in_a_bounded_time():
    import time

    feature = feature_collection({"name": "star", "mag": 12.5})[
        len('{"type": "FeatureCollection", "features": [') : -2
    ]
    text = b'{"type": "FeatureCollection", "features": [' + b", ".join([feature] * 200_000) + b"]}"
    started = time.perf_counter()
    assert not json_too_deep(io.BytesIO(text), MAX_JSON_DEPTH)
    assert time.perf_counter() - started < 5.0
    assert uploads.JSON_BLOCK == 1 << 20
