"""Nested input has a bounded cost and a 4xx answer: JSON bodies nested deeper than
``MAX_JSON_DEPTH`` are refused before they are decoded (Python's decoder recursed out
of the stack: a 500, or a catalog style stored just under the limit); JSON text deeper
than the stack in a form field is a 400 too; a socket's message that is too long, not
JSON, or too deep is dropped and the socket goes on."""

import datetime
import json
import time

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from portal.api import parsers
from portal.api.parsers import MAX_JSON_DEPTH, nesting_depth
from portal.models import Collection, Image
from tests.sockets import make_image, receive, search_socket

pytestmark = pytest.mark.django_db


def nested(depth, inner="1"):
    return "[" * depth + inner + "]" * depth


@pytest.fixture
def owner_client(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


JSON_ROUTES = [
    "/api/collections/",
    "/api/collections/private-survey/grants/",
    "/api/images/move/",
    "/api/catalogs/",
    "/api/catalogs/statistics/",
    "/api/token/",
]


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_a_body_nested_too_deep_is_a_400_before_it_is_decoded(
    owner_client, collections, route, depth, monkeypatch
):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(json, "load", no_decoding)
    response = owner_client.post(route, nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON nested more than {MAX_JSON_DEPTH} levels deep."}


def test_a_body_as_deep_as_allowed_is_read(owner_client, collections):
    # The body's object, then a field's 62 arrays and its object: 64 levels (a field
    # the catalog does not have, which DRF passes over once the body is read).
    deep = json.loads(nested(MAX_JSON_DEPTH - 2, '{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}'))
    body = {"name": "deep", "collection": "private-survey", "features": [], "notes": deep}
    response = owner_client.post("/api/catalogs/", body, format="json")
    assert response.status_code == 201, response.content
    body["notes"] = [deep]
    response = owner_client.post("/api/catalogs/", body, format="json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    ("style", "kept"),
    [
        ({"color": "#ff0", "weight": 2, "dash": [4, 2]}, True),
        ({"a": json.loads(nested(6, '{"b": 1}'))}, True),  # object, 6 arrays, object: 8
        ({"a": json.loads(nested(7, "1"))}, True),
        ({"a": json.loads(nested(8, "1"))}, False),
        ([1, 2], False),
        ({"text": "x" * 17_000}, False),
    ],
)
def test_a_catalog_style_is_a_small_shallow_object(owner_client, collections, style, kept):
    """It is sent back in every listing of the catalogs."""
    body = {"name": "styled", "collection": "private-survey", "features": [], "style": style}
    response = owner_client.post("/api/catalogs/", body, format="json")
    assert response.status_code == (201 if kept else 400), response.content
    if kept:
        assert response.json()["style"] == style
    else:
        assert "style" in response.json()["errors"]


def test_json_text_deeper_than_the_stack_in_a_form_field_is_a_400(owner_client, collections):
    response = owner_client.post(
        "/api/catalogs/",
        {"name": "deep", "collection": "private-survey", "style": nested(200_000, "")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request is nested too deeply."}


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b"{}", 1),
        (b'[{"a": [1, 2]}, [[]]]', 3),
        (b'["[[[[", {"k]": "\\\\"}, "\\"[[[["]', 2),  # brackets inside strings are text
        (b"[" * 10 + b"]" * 10, 10),
        (b"[{" * 40 + b"}]" * 40, 80),
        (b"[[[", 0),  # not JSON: the decoder says so
    ],
)
def test_nesting_depth(text, depth):
    assert nesting_depth(text, stop=1000) == depth


def test_nesting_depth_stops_counting_past_its_stop():
    assert nesting_depth(b"[" * 5000 + b"]" * 5000, stop=10) == 11
    assert nesting_depth(b"[[]" * 12 + b"]" * 12, stop=10) == 11


def test_nesting_depth_is_quick_on_a_body_at_the_size_limit():
    body = (b"[[]" * 64 + b"]" * 64) * 10_000  # 2.6 MB, 64 deep, the worst for the passes
    started = time.perf_counter()
    assert nesting_depth(body) == MAX_JSON_DEPTH + 1
    assert time.perf_counter() - started < 2.0


@pytest.mark.django_db(transaction=True)
async def test_a_socket_drops_long_broken_and_deep_messages_and_goes_on(users, collections):
    public = collections[Collection.PUBLIC]
    image = await database_sync_to_async(make_image)(public, "m42.fits")
    # Changed long before the page: only a message that names it gets its row.
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    await Image.objects.filter(pk=image.pk).aupdate(updated=an_hour_ago)
    page = await search_socket(users["other"], "q=m42")
    await page.send_to(text_data=nested(100_000))
    await page.send_to(text_data="{not json")
    await page.send_to(text_data=json.dumps({"type": "showing", "ids": [image.pk]}) + " " * 70_000)
    deep = {"type": "showing", "ids": [image.pk], "x": json.loads(nested(20))}
    await page.send_to(text_data=json.dumps(deep))
    assert await page.receive_nothing(timeout=0.5)
    await page.send_json_to({"type": "showing", "ids": [image.pk]})
    assert (await receive(page, "result"))["image"]["id"] == image.pk
    await page.disconnect()


def test_the_socket_limits_are_what_the_messages_need():
    from tiles.consumers import GuardedConsumer, SearchConsumer

    showing = json.dumps({"type": "showing", "ids": [2**62] * SearchConsumer.MAX_PER_READ})
    assert len(showing) < GuardedConsumer.MAX_MESSAGE_CHARS
    assert parsers.nesting_depth(showing.encode()) < GuardedConsumer.MAX_MESSAGE_DEPTH
