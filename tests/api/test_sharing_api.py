"""Sharing through the REST API: grants, the principal autocomplete, renaming, visibility,
deleting collections and images, moving images. Every action asked by each role: the
owner, a manager, a contributor, a viewer, a signed-in stranger and an anonymous visitor."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from portal.models import Collection, Image

pytestmark = pytest.mark.django_db

ROLES = ("owner", "manager", "contributor", "viewer", "stranger", "anonymous")
# What each role is answered when it asks to manage the private collection.
MANAGING = {
    "owner": 200, "manager": 200, "contributor": 403, "viewer": 403,
    "stranger": 404, "anonymous": 404,
}  # fmt: skip
# Writes by anonymous visitors are refused before any lookup, whatever the slug (403).
WRITING = MANAGING | {"anonymous": 403}


def make_image(collection, name):
    return Image.objects.create(
        collection=collection, title=name, name=name, path=f"/nowhere/{name}",
        checksum=name.ljust(64, "0"), size=1, width=10, height=10,
    )  # fmt: skip


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    found = {name: make(name, password="pw") for name in ROLES if name != "anonymous"}
    found["anonymous"] = None
    return found


@pytest.fixture
def survey(people):
    """A private collection of ``owner`` with one grant per level."""
    collection = Collection.objects.create(
        name="Deep field", slug="deep-field", owner=people["owner"]
    )
    assign_perm("manage_collection", people["manager"], collection)
    assign_perm("contribute_collection", people["contributor"], collection)
    assign_perm("view_collection", people["viewer"], collection)
    return collection


def client_of(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def grant_names(collection):
    body = client_of(collection.owner).get(f"/api/collections/{collection.slug}/grants/").json()
    return {(grant["kind"], grant["name"]): grant["level"] for grant in body["grants"]}


@pytest.mark.parametrize("role", ROLES)
def test_grants_are_listed_to_managers_only(role, people, survey):
    response = client_of(people[role]).get("/api/collections/deep-field/grants/")
    assert response.status_code == MANAGING[role]
    if response.status_code == 200:
        assert response.json()["grants"] == [
            {"kind": "user", "id": people["contributor"].pk, "name": "contributor", "level": "contribute"},
            {"kind": "user", "id": people["manager"].pk, "name": "manager", "level": "manage"},
            {"kind": "user", "id": people["viewer"].pk, "name": "viewer", "level": "view"},
        ]  # fmt: skip
    else:
        assert "detail" in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_granting_view_lets_the_stranger_see_the_collection(role, people, survey):
    stranger = client_of(people["stranger"])
    assert stranger.get("/api/collections/deep-field/").status_code == 404
    response = client_of(people[role]).post(
        "/api/collections/deep-field/grants/", {"user": "stranger", "level": "view"}, format="json"
    )
    assert response.status_code == WRITING[role]
    expected = 200 if MANAGING[role] == 200 else 404
    assert stranger.get("/api/collections/deep-field/").status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_revoking_ends_access(role, people, survey):
    viewer = client_of(people["viewer"])
    assert viewer.get("/api/collections/deep-field/").status_code == 200
    url = f"/api/collections/deep-field/grants/user/{people['viewer'].pk}/"
    response = client_of(people[role]).delete(url)
    assert response.status_code == WRITING[role]
    expected = 404 if MANAGING[role] == 200 else 200
    assert viewer.get("/api/collections/deep-field/").status_code == expected


def test_a_grant_replaces_the_level_held(people, survey):
    owner = client_of(people["owner"])
    for level in ("manage", "view"):
        response = owner.post(
            "/api/collections/deep-field/grants/", {"user": "contributor", "level": level},
            format="json",
        )  # fmt: skip
        assert response.status_code == 200
        assert grant_names(survey)[("user", "contributor")] == level
    contributor = client_of(people["contributor"])
    response = contributor.patch("/api/collections/deep-field/", {"name": "x"}, format="json")
    assert response.status_code == 403  # view only now


def test_a_group_grant_reaches_its_members(people, survey, django_user_model):
    team = Group.objects.create(name="observers")
    people["stranger"].groups.add(team)
    stranger = client_of(people["stranger"])
    owner = client_of(people["owner"])
    response = owner.post(
        "/api/collections/deep-field/grants/", {"group": "observers", "level": "contribute"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert grant_names(survey)[("group", "observers")] == "contribute"
    assert stranger.get("/api/collections/deep-field/").json()["can_contribute"] is True
    assert owner.delete(f"/api/collections/deep-field/grants/group/{team.pk}/").status_code == 200
    assert stranger.get("/api/collections/deep-field/").status_code == 404


@pytest.mark.parametrize(
    "body, message",
    [
        ({"user": "nobody", "level": "view"}, "No user is called nobody."),
        ({"group": "nobody", "level": "view"}, "No group is called nobody."),
        ({"user": "owner", "level": "view"}, "The owner holds every level already."),
        ({"user": "viewer", "group": "x", "level": "view"}, "Name one user or one group."),
        ({"level": "view"}, "Name one user or one group."),
        ({"user": "viewer", "level": "admin"}, "not a valid choice"),
        ({"user": ["viewer"], "level": "view"}, "Not a valid string"),
    ],
)
def test_a_bad_grant_is_refused_with_a_message(body, message, people, survey):
    response = client_of(people["manager"]).post(
        "/api/collections/deep-field/grants/", body, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert len(grant_names(survey)) == 3  # nothing changed


def test_an_inactive_user_is_neither_granted_nor_suggested(people, survey):
    people["stranger"].is_active = False
    people["stranger"].save()
    manager = client_of(people["manager"])
    response = manager.post(
        "/api/collections/deep-field/grants/", {"user": "stranger", "level": "view"}, format="json"
    )
    assert response.status_code == 400
    suggested = manager.get("/api/collections/deep-field/principals/?q=str").json()["results"]
    assert suggested == []


@pytest.mark.parametrize("role", ROLES)
def test_principals_are_suggested_to_managers_only(role, people, survey):
    Group.objects.create(name="viewers-of-m42")
    response = client_of(people[role]).get("/api/collections/deep-field/principals/?q=VIEW")
    assert response.status_code == MANAGING[role]
    if response.status_code == 200:
        assert response.json()["results"] == [
            {"kind": "user", "id": people["viewer"].pk, "name": "viewer"},
            {"kind": "group", "id": Group.objects.get().pk, "name": "viewers-of-m42"},
        ]


def test_principals_are_a_few_and_need_a_query(people, survey, django_user_model):
    for n in range(20):
        django_user_model.objects.create_user(f"student{n:02d}")
    manager = client_of(people["manager"])
    results = manager.get("/api/collections/deep-field/principals/?q=stud").json()["results"]
    assert [r["name"] for r in results] == [f"student{n:02d}" for n in range(8)]
    response = manager.get("/api/collections/deep-field/principals/")
    assert response.status_code == 400 and "q" in response.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
def test_rename_and_visibility_by_managers(role, people, survey):
    response = client_of(people[role]).patch(
        "/api/collections/deep-field/", {"name": "Ultra deep", "visibility": "team"}, format="json"
    )
    assert response.status_code == WRITING[role]
    survey.refresh_from_db()
    changed = MANAGING[role] == 200
    assert (survey.name, survey.visibility) == (
        ("Ultra deep", "team") if changed else ("Deep field", "private")
    )


@pytest.mark.parametrize("role", ROLES)
def test_deleting_a_collection_takes_its_images(role, people, survey):
    make_image(survey, "a.fits")
    response = client_of(people[role]).delete("/api/collections/deep-field/")
    deleted = MANAGING[role] == 200
    expected = 204 if deleted else WRITING[role]
    assert response.status_code == expected
    assert Collection.objects.filter(slug="deep-field").exists() is not deleted
    assert Image.objects.filter(name="a.fits").exists() is not deleted


@pytest.mark.parametrize("role", ROLES)
def test_deleting_an_image(role, people, survey):
    image = make_image(survey, "a.fits")
    response = client_of(people[role]).delete(f"/api/images/{image.pk}/")
    deleted = MANAGING[role] == 200
    expected = 204 if deleted else WRITING[role]
    assert response.status_code == expected
    assert Image.objects.filter(pk=image.pk).exists() is not deleted


@pytest.fixture
def other_survey(people):
    """A second private collection, managed by ``manager`` and viewed by ``viewer``."""
    collection = Collection.objects.create(name="Wide", slug="wide", owner=people["owner"])
    assign_perm("manage_collection", people["manager"], collection)
    assign_perm("view_collection", people["viewer"], collection)
    assign_perm("manage_collection", people["contributor"], collection)
    return collection


def move(user, images, slug):
    body = {"images": [image.pk for image in images], "collection": slug}
    return client_of(user).post("/api/images/move/", body, format="json")


@pytest.mark.parametrize("role", ROLES)
def test_moving_images_needs_both_collections_managed(role, people, survey, other_survey):
    images = [make_image(survey, "a.fits"), make_image(survey, "b.fits")]
    response = move(people[role], images, "wide")
    expected = {
        "owner": 200, "manager": 200,
        "contributor": 403,  # manages the target, not the source
        "viewer": 403, "stranger": 404, "anonymous": 403,
    }[role]  # fmt: skip
    assert response.status_code == expected
    moved = expected == 200
    for image in images:
        image.refresh_from_db()
        assert image.collection_id == (other_survey.pk if moved else survey.pk)
    if moved:
        assert [item["collection"] for item in response.json()["results"]] == ["wide", "wide"]


def test_moving_into_a_collection_not_managed_is_refused(people, survey, other_survey):
    image = make_image(other_survey, "a.fits")
    assert move(people["contributor"], [image], "deep-field").status_code == 403
    assert move(people["stranger"], [image], "deep-field").status_code == 404
    assert move(people["manager"], [image], "no-such-collection").status_code == 404
    image.refresh_from_db()
    assert image.collection_id == other_survey.pk


def test_an_image_one_may_not_see_looks_missing(people, survey, other_survey):
    hidden = Collection.objects.create(name="Hidden", slug="hidden", owner=people["stranger"])
    image = make_image(hidden, "h.fits")
    mine = make_image(survey, "a.fits")
    response = move(people["manager"], [mine, image], "wide")
    missing = client_of(people["manager"]).post(
        "/api/images/move/", {"images": [mine.pk, image.pk + 1000], "collection": "wide"},
        format="json",
    )  # fmt: skip
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() == {"detail": "No such image."}
    mine.refresh_from_db()
    assert mine.collection_id == survey.pk  # all or none


def test_a_move_that_would_clash_moves_nothing(people, survey, other_survey):
    make_image(other_survey, "b.fits")
    images = [make_image(survey, "a.fits"), make_image(survey, "b.fits")]
    response = move(people["manager"], images, "wide")
    assert response.status_code == 409
    assert "same file name or content" in response.json()["detail"]
    assert sorted(survey.images.values_list("name", flat=True)) == ["a.fits", "b.fits"]


@pytest.mark.parametrize(
    "body", [{}, {"images": [], "collection": "wide"}, {"images": ["x"], "collection": "wide"},
             {"images": [1] * 501, "collection": "wide"}, {"images": [2**63], "collection": "wide"},
             ["not", "an", "object"]],
)  # fmt: skip
def test_a_bad_move_is_refused_with_a_message(body, people, survey, other_survey):
    response = client_of(people["manager"]).post("/api/images/move/", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_only_managed_collections_are_listed_with_level(people, survey, other_survey):
    def listed(role, level):
        body = client_of(people[role]).get(f"/api/collections/?level={level}").json()
        return [item["slug"] for item in body["results"]]

    assert listed("contributor", "manage") == ["wide"]
    assert listed("contributor", "contribute") == ["deep-field", "wide"]
    assert listed("viewer", "manage") == []
    assert listed("viewer", "view") == ["deep-field", "wide"]
    assert listed("viewer", "bogus") == ["deep-field", "wide"]
