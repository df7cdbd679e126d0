"""REST API for collections and images: listing, detail, pagination, auth, schema."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.models import Collection, Image

pytestmark = pytest.mark.django_db


def make_image(collection, name, **fields):
    values = dict(
        title=name, path=f"/nowhere/{name}", checksum=name.ljust(64, "0"), size=1,
        width=100, height=80,
    )  # fmt: skip
    values.update(fields)
    return Image.objects.create(collection=collection, name=name, **values)


def test_images_list_is_filtered_by_permission(users, collections):
    for visibility, collection in collections.items():
        make_image(collection, f"{visibility}.fits")
    anonymous = APIClient().get("/api/images/").json()
    assert [item["name"] for item in anonymous["results"]] == ["public.fits"]
    client = APIClient()
    client.force_authenticate(users["other"])
    names = {item["name"] for item in client.get("/api/images/").json()["results"]}
    assert names == {"team.fits", "public.fits"}
    private_id = Image.objects.get(name="private.fits").pk
    response = client.get(f"/api/images/{private_id}/")
    assert response.status_code == 404


def test_image_detail_has_header_and_hdus(users, collections):
    image = make_image(
        collections["public"], "m42.fits", header={"OBJECT": "M42", "NAXIS": 2},
        hdus=[{"index": 0, "kind": "image"}],
    )  # fmt: skip
    body = APIClient().get(f"/api/images/{image.pk}/").json()
    assert body["header"]["OBJECT"] == "M42"
    assert body["hdus"] == [{"index": 0, "kind": "image"}]
    assert body["collection"] == "public-survey"
    assert body["state"] == "pending"


def test_collection_images_are_paginated(users, collections):
    for n in range(5):
        make_image(collections["public"], f"img{n}.fits")
    client = APIClient()
    first = client.get("/api/collections/public-survey/images/?page_size=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2
    third = client.get(first["next"]).json()
    third = client.get(third["next"]).json()
    assert len(third["results"]) == 1 and third["next"] is None


def test_token_authentication(users, collections):
    token = Token.objects.create(user=users["granted"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/collections/private-survey/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/collections/private-survey/")
    assert response.status_code in (401, 403)
    assert "Invalid token" in response.json()["detail"]


def test_obtain_token_with_password(users):
    response = APIClient().post("/api/token/", {"username": "owner", "password": "pw-owner"})
    assert response.status_code == 200
    assert Token.objects.get(user=users["owner"]).key == response.json()["token"]


def test_signed_in_user_creates_a_collection(users):
    client = APIClient()
    client.force_authenticate(users["other"])
    response = client.post(
        "/api/collections/", {"name": "My night", "slug": "my-night", "visibility": "private"}
    )
    assert response.status_code == 201
    slug = response.json()["slug"]
    assert slug.startswith("my-night-")  # the proposal, and a suffix drawn by the server
    collection = Collection.objects.get(slug=slug)
    assert collection.owner == users["other"]
    assert APIClient().post("/api/collections/", {"name": "x", "slug": "x"}).status_code == 403


def test_bad_collection_input_names_the_field(users):
    client = APIClient()
    client.force_authenticate(users["other"])
    response = client.post("/api/collections/", {"name": "x", "slug": "no spaces allowed"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("slug:")


def test_only_managers_edit_a_collection(users, collections):
    client = APIClient()
    client.force_authenticate(users["granted"])
    response = client.patch("/api/collections/team-survey/", {"description": "mine now"})
    assert response.status_code == 403
    client.force_authenticate(users["owner"])
    response = client.patch("/api/collections/team-survey/", {"description": "updated"})
    assert response.status_code == 200
    assert Collection.objects.get(slug="team-survey").description == "updated"


def test_openapi_schema_and_docs():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/collections/{slug}/images/" in paths
    assert "post" in paths["/api/collections/{slug}/images/"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
