"""Existence oracles around catalogs and collections: a collection or image the user may
not see gets the same answer as one that does not exist, anonymously and signed in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.models import Collection, Image

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def import_request(client, **fields):
    data = {"name": "probe", "file": SimpleUploadedFile("s.csv", b"ra,dec\n1,2\n"), **fields}
    response = client.post("/api/catalogs/", data, format="multipart")
    return response.status_code, response.json()["detail"]


def image_in(collection, name):
    return Image.objects.create(collection=collection, name=name, title=name, path=f"/no/{name}",
                                checksum=name.ljust(64, "0"), size=1, width=10, height=10)  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_a_private_collection_slug_answers_like_a_made_up_one(users, collections, who):
    client = client_for(None if who == "anonymous" else users[who])
    private = import_request(client, collection="private-survey")
    made_up = import_request(client, collection="no-such-survey")
    assert private == made_up
    assert private[0] in (401, 403, 404)


def test_a_private_image_id_answers_like_a_made_up_one(users, collections):
    hidden = image_in(collections["private"], "hidden.fits")
    mine = Collection.objects.create(name="Bob", slug="bob", owner=users["other"])
    client = client_for(users["other"])
    private = import_request(client, collection=mine.slug, images=[hidden.pk])
    made_up = import_request(client, collection=mine.slug, images=[hidden.pk + 999])
    assert private == made_up
    assert private[0] == 400
    # An image the user sees, in another collection, is refused the same way.
    visible = image_in(collections["public"], "open.fits")
    assert import_request(client, collection=mine.slug, images=[visible.pk])[0] == 400


def test_inline_features_with_hidden_objects_answer_alike(users, collections):
    hidden = image_in(collections["private"], "hidden.fits")
    client = client_for(users["other"])

    def post(**fields):
        body = {"name": "marks", "features": [], **fields}
        response = client.post("/api/catalogs/", body, format="json")
        return response.status_code, response.json()["detail"]

    assert post(collection="private-survey") == post(collection="nowhere-at-all")
    Collection.objects.create(name="Bob", slug="bob", owner=users["other"])
    assert post(collection="bob", images=[hidden.pk]) == post(collection="bob", images=[10**6])


def test_a_taken_slug_does_not_reveal_a_private_collection(users, collections):
    client = client_for(users["other"])
    taken = client.post("/api/collections/", {"name": "Mine", "slug": "private-survey"})
    free = client.post("/api/collections/", {"name": "Mine", "slug": "never-used-before"})
    assert taken.status_code == free.status_code == 201
    assert set(taken.json()) == set(free.json())
    assert taken.json()["slug"] != "private-survey"
    # Made by the server in the same way whatever was asked: nothing tells the two apart.
    assert taken.json()["slug"].startswith("private-survey-")
    assert free.json()["slug"].startswith("never-used-before-")
    assert len(taken.json()["slug"]) - len("private-survey") == len(free.json()["slug"]) - len(
        "never-used-before"
    )
    assert Collection.objects.get(slug="private-survey").owner == users["owner"]


def test_a_slug_cannot_be_renamed_onto_another_collection(users, collections):
    client = client_for(users["other"])
    slug = client.post("/api/collections/", {"name": "Mine"}).json()["slug"]
    response = client.patch(f"/api/collections/{slug}/", {"slug": "private-survey"})
    assert "exists" not in str(response.json())
    assert Collection.objects.filter(slug=slug).exists()
