"""Every catalog request has a bounded cost: features per answer and bytes per answer are
capped by settings, and so are one feature's size and the features given inline."""

import pytest
from rest_framework.test import APIClient

from catalogs import storage

pytestmark = pytest.mark.django_db


def point(ra, dec, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
            "properties": {"shape": "point", **properties}}  # fmt: skip


@pytest.fixture
def field(collections):
    features = [point(i * 0.1, (i % 100) * 0.1, note="x" * 200) for i in range(300)]
    return storage.create_catalog(collections["public"], features, name="field")


def test_limit_above_the_cap_is_refused(field, settings):
    settings.MAX_QUERY_FEATURES = 100
    url = f"/api/catalogs/{field.pk}/features/"
    response = APIClient().get(url + "?limit=101")
    assert response.status_code == 400 and "limit" in response.json()["detail"]
    body = APIClient().get(url).json()  # the default limit never passes the cap either
    assert body["count"] == 100 and body["truncated"] is True


@pytest.mark.parametrize("query", ["", "bbox=0,-90,360,90", "ra=10&dec=5&radius=180"])
def test_an_answer_stops_before_its_byte_budget(field, settings, query):
    settings.MAX_QUERY_BYTES = 10_000
    response = APIClient().get(f"/api/catalogs/{field.pk}/features/?{query}&limit=300")
    body = response.json()
    assert response.status_code == 200 and body["truncated"] is True
    assert 0 < body["count"] < 300 and len(response.content) <= 10_000 + 200


def test_one_feature_and_inline_lists_are_capped(users, collections, settings):
    settings.MAX_FEATURE_BYTES = 1000
    settings.MAX_QUERY_FEATURES = 10
    client = APIClient()
    client.force_authenticate(users["owner"])
    big = client.post("/api/catalogs/", {"collection": "team-survey", "name": "big",
                      "features": [point(1, 2, note="x" * 2000)]}, format="json")  # fmt: skip
    assert big.status_code == 400 and "limit of 1,000 bytes" in big.json()["detail"]
    many = client.post("/api/catalogs/", {"collection": "team-survey", "name": "many",
                       "features": [point(1, 2)] * 11}, format="json")  # fmt: skip
    assert many.status_code == 400 and "at most 10" in many.json()["detail"]
    marks = client.post("/api/catalogs/", {"collection": "team-survey", "name": "marks",
                        "features": []}, format="json").json()  # fmt: skip
    note = {"geometry": {"type": "Point", "coordinates": [1, 2]}, "note": "y" * 3000}
    response = client.post(f"/api/catalogs/{marks['id']}/features/", note, format="json")
    assert response.status_code == 400 and "limit of 1,000 bytes" in response.json()["detail"]
