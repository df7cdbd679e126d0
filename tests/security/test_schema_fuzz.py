"""Schemathesis against the project's own OpenAPI schema, reaching the handlers.

Generated requests to every documented operation, signed in as the owner of real data:
an image (two channels, three pyramid levels), a catalog and a collection. Most
examples name them (real ids and slugs, tile numbers that exist); the others keep the
generated values, which name nothing. Each answer is checked against the schema (status
code, content type, body), no answer is a server error, and every JSON 4xx says why in
``detail``. The login limits are reset before each example, so no answer is a 429.

Answers the fuzz may seldom draw (each export format, each image format, a catalog
without an owner, a collection just made, a search page) are asked once each below and
validated as strictly.

Budget: ``MAX_EXAMPLES`` generated examples per operation (and schemathesis' own explicit ones);
the file takes about two minutes on two cores.
"""

import numpy as np
import pytest
import schemathesis
from astropy.io import fits
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from portal.wsgi import application
from tiles.engine import build_pyramid

MAX_EXAMPLES = 25
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

CHECKS = [content_type_conformance, response_schema_conformance]

# Every tile of a 600 x 400 image: level z has ceil(600 / 2**(2-z) / 256) columns.
TILES = [(z, x, y) for z in range(3) for x in range(-(-(600 >> (2 - z)) // 256))
         for y in range(-(-(400 >> (2 - z)) // 256))]  # fmt: skip
# The real data of the running test (filled by the ``data`` fixture before generation).
REAL = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Three examples in four name the real objects; the fourth keeps what was drawn."""
    if not REAL or not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    real = dict(path_parameters)
    if "image_id" in real:
        real["image_id"] = REAL["image"]
    if "id" in real:
        real["id"] = REAL["catalog"] if path.startswith("/api/catalogs/") else REAL["image"]
    if "slug" in real:
        real["slug"] = REAL["collection"]
    tiles = st.just(real)
    if "z" in real:  # a tile that exists: z = 0 is the coarsest of 3 levels of 600 x 400
        tiles = st.sampled_from(TILES).map(lambda zxy: {**real, "z": zxy[0], "x": zxy[1],
                                                        "y": zxy[2]})  # fmt: skip
    return st.sampled_from([False, True, True, True]).flatmap(
        lambda use_real: tiles if use_real else st.just(path_parameters)
    )


@pytest.fixture
def data(users, collections, settings):
    from rest_framework.authtoken.models import Token

    from catalogs import storage
    from portal.registration import register_path

    path = settings.UPLOAD_ROOT / "fuzz.fits"
    pixels = np.random.default_rng(0).normal(100, 10, (2, 400, 600)).astype(np.float32)
    fits.PrimaryHDU(pixels).writeto(path)
    image = register_path(collections["public"], path, user=users["owner"])
    build_pyramid(image.path, image.cache_dir)
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
             "properties": {"name": "a star"}}  # fmt: skip
    catalog = storage.create_catalog(collections["public"], [point], name="fuzz")
    REAL.update(image=image.pk, catalog=catalog.pk, collection=collections["public"].slug)
    yield {"Authorization": f"Token {Token.objects.create(user=users['owner']).key}"}
    REAL.clear()


@pytest.fixture
def limits(monkeypatch):
    """The login limits (the portal's failed-login counts and DRF's ``login`` throttle)
    kept in a cache of this test's own, emptied before each example."""
    from django.core.cache.backends.locmem import LocMemCache
    from rest_framework.throttling import SimpleRateThrottle

    from portal import login

    own = LocMemCache("schema-fuzz-limits", {})
    monkeypatch.setattr(SimpleRateThrottle, "cache", own)
    monkeypatch.setattr(login, "cache", own)
    return own


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # The seeded data is made once per operation, on purpose, and shared by its examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_operations_answer_as_documented(case, data, limits):
    limits.clear()
    label = f"{case.method} {case.operation.path}"
    if label == "POST /api/token/" and not isinstance(case.body, dict):
        # A known bug (500): test_a_token_request_whose_body_is_not_an_object below.
        event(f"{label}: a body that is not an object, left out")
        return
    response = case.call(headers=data)
    event(f"{label}: {response.status_code}")
    assert response.status_code != 429, (label, response.text[:300])
    assert response.status_code < 500, (label, case.formatted_path, response.text[:300])
    case.validate_response(response, checks=CHECKS, headers=data)
    content_type = response.headers.get("Content-Type", [""])[0]
    if 400 <= response.status_code < 500 and "json" in content_type:
        assert "detail" in response.json(), (label, response.text[:300])


# One request per answer the schema once failed to describe, validated strictly:
# (operation, example, the answer's Content-Type).
EXAMPLES = [
    ("GET /api/catalogs/", {}, "application/json"),
    ("GET /api/catalogs/{id}/", {"path_parameters": {"id": "catalog"}}, "application/json"),
    ("GET /api/catalogs/{id}/export/", {"path_parameters": {"id": "catalog"}},
     "application/geo+json"),
    ("GET /api/catalogs/{id}/export/", {"path_parameters": {"id": "catalog"},
                                        "query": {"as": "csv"}}, "text/csv"),
    ("GET /api/catalogs/{id}/export/", {"path_parameters": {"id": "catalog"},
                                        "query": {"as": "reg"}}, "text/plain"),
    ("GET /api/catalogs/{id}/features/", {"path_parameters": {"id": "catalog"}},
     "application/json"),
    ("GET /api/catalogs/{id}/features/", {"path_parameters": {"id": "catalog"},
                                          "query": {"bbox": "0,-90,360,90", "limit": 1}},
     "application/json"),
    ("POST /api/collections/", {"body": {"name": "A night", "visibility": "private"},
                                "media_type": "application/json"}, "application/json"),
    ("GET /api/images/", {}, "application/json"),
    ("GET /api/images/", {"query": {"page_size": 1, "q": "fuzz"}}, "application/json"),
    *(("GET /api/images/{image_id}/region.{fmt}",
       {"path_parameters": {"image_id": "image", "fmt": fmt},
        "query": {"x1": 1, "y1": 1, "x2": 10, "y2": 10}}, f"image/{kind}")
      for fmt, kind in (("jpg", "jpeg"), ("png", "png"), ("webp", "webp"))),
    *(("GET /api/images/{image_id}/tiles/{z}/{x}/{y}.{fmt}",
       {"path_parameters": {"image_id": "image", "fmt": fmt, "z": 0, "x": 0, "y": 0}},
       f"image/{kind}") for fmt, kind in (("jpg", "jpeg"), ("png", "png"), ("webp", "webp"))),
    ("GET /api/colormaps/", {}, "application/json"),
]  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("label", "example", "content_type"), EXAMPLES)
def test_answers_validate_against_the_schema(label, example, content_type, data):
    method, path = label.split(" ", 1)
    example = dict(example)
    if "path_parameters" in example:
        example["path_parameters"] = {
            name: REAL.get(value, value) if isinstance(value, str) else value
            for name, value in example["path_parameters"].items()
        }
    case = schema[path][method].Case(**example)
    response = case.call(headers=data)
    assert response.status_code < 300, response.text[:300]
    headers = {name.lower(): values for name, values in response.headers.items()}
    assert headers["content-type"][0].split(";")[0] == content_type
    case.validate_response(response, checks=CHECKS, headers=data)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"owner"', "null", "true", "1"])
def test_a_token_request_whose_body_is_not_an_object(body, limits):
    client = APIClient(raise_request_exception=False)
    response = client.post("/api/token/", body, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert "detail" in response.json() or "non_field_errors" in response.json()
