"""Names people give collections and images are shown to others: text with markup is
kept as text (escaped in every page, the admin's included); control characters and the
bidirectional controls that reorder a name on screen are refused (400)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal.models import Collection

pytestmark = pytest.mark.django_db

MARKUP = '<img src=x onerror="alert(1)">&amp;'
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]


@pytest.fixture
def owner_client(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


@pytest.mark.parametrize("control", BIDI + ["\x00", "\x1b", "\x7f", "\n", "\x85"])
def test_a_collection_name_with_a_control_character_is_refused(owner_client, control):
    response = owner_client.post("/api/collections/", {"name": f"exe{control}.fits"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not Collection.objects.filter(name__startswith="exe").exists()


def test_a_description_keeps_its_lines_but_no_bidi_control(owner_client):
    made = owner_client.post(
        "/api/collections/", {"name": "Lines", "description": "one\r\n\ttwo"}, format="json"
    )
    assert made.status_code == 201 and made.json()["description"] == "one\r\n\ttwo"
    slug = made.json()["slug"]
    refused = owner_client.patch(
        f"/api/collections/{slug}/", {"description": "a\u202eb"}, format="json"
    )
    assert refused.status_code == 400 and "description" in refused.json()["errors"]
    renamed = owner_client.patch(f"/api/collections/{slug}/", {"name": "a\u2067b"}, format="json")
    assert renamed.status_code == 400
    assert Collection.objects.get(slug=slug).name == "Lines"


def test_letters_of_every_script_and_joiners_are_names(owner_client):
    name = "ثريا M45 — Плеяды 昴 \u200c\u200d 🌌"
    response = owner_client.post("/api/collections/", {"name": name}, format="json")
    assert response.status_code == 201 and response.json()["name"] == name


def test_an_upload_title_with_a_bidi_control_is_refused(owner_client, collections):
    upload = SimpleUploadedFile("x.fits", b"SIMPLE  =                    T" + b" " * 2850)
    response = owner_client.post(
        "/api/collections/private-survey/images/",
        {"file": upload, "title": "gnp\u202e.fits"},
        format="multipart",
    )
    assert response.status_code == 400 and "title" in response.json()["errors"]
    assert not collections["private"].images.exists()


def test_markup_in_a_name_is_text_in_the_pages_and_the_admin(client, users, collections):
    private = collections[Collection.PRIVATE]
    private.name = private.description = MARKUP
    private.save()
    users["owner"].is_staff = users["owner"].is_superuser = True
    users["owner"].save()
    client.force_login(users["owner"])
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;"
    for url in (
        "/",
        f"/c/{private.slug}/",
        "/admin/portal/collection/",
        f"/admin/portal/collection/{private.pk}/change/",
    ):
        page = client.get(url).content.decode()
        assert "<img src=x" not in page, url
        assert escaped in page or escaped.replace("&quot;", "&#x27;") in page, url
