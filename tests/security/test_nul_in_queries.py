"""A NUL in a query value is answered like any other text that names nothing, never
500: PostgreSQL refuses to compare text with a NUL, SQLite does not, and both must
answer the same (CI runs this file on each)."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


@pytest.mark.parametrize("collection", ["team-survey\x00", "\x00", "team\x00-survey"])
def test_a_collection_filter_with_a_nul_matches_nothing(owner, collections, collection):
    from catalogs import storage

    storage.create_catalog(collections["team"], [], name="kept")
    assert len(owner.get("/api/catalogs/", {"collection": "team-survey"}).json()["results"]) == 1
    response = owner.get("/api/catalogs/", {"collection": collection})
    assert response.status_code == 200 and response.json()["results"] == []


def test_an_image_looked_up_under_a_nul_collection_is_not_found(
    owner, collections, fits_factory, users
):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.registration import register_upload

    content = Path(fits_factory("nul.fits", width=64, height=48)).read_bytes()
    image = register_upload(
        collections["team"], SimpleUploadedFile("nul.fits", content), users["owner"]
    )
    assert owner.get(f"/api/images/{image.pk}/", {"collection": "team-survey"}).status_code == 200
    response = owner.get(f"/api/images/{image.pk}/", {"collection": "team-survey\x00"})
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize(
    "params", [{"q": "m51\x00"}, {"object": "\x00"}, {"header.OBJECT": "x\x00"}]
)
def test_a_search_with_a_nul_is_a_400(owner, collections, params):
    response = owner.get("/api/images/", params)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
