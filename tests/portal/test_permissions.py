"""The permission matrix: role x visibility x (list, detail, upload), through the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from portal import permissions

pytestmark = pytest.mark.django_db

ROLES = ["owner", "granted", "member", "other", "anonymous"]
VISIBILITIES = ["private", "team", "public"]

# Who sees a collection: owner always, explicit grants (user or group) always,
# other signed-in users for team/public, anonymous for public only.
SEES = {
    "owner": {"private", "team", "public"},
    "granted": {"private", "team", "public"},
    "member": {"private", "team", "public"},
    "other": {"team", "public"},
    "anonymous": {"public"},
}
# Who may add images: the owner and the contribute grant; the group holds view only.
CONTRIBUTES = {"owner", "granted"}


def client_for(users, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_visible_collections(users, collections, role):
    response = client_for(users, role).get("/api/collections/")
    assert response.status_code == 200
    slugs = {item["slug"] for item in response.json()["results"]}
    assert slugs == {f"{v}-survey" for v in SEES[role]}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_detail_is_404_when_not_visible(users, collections, role, visibility):
    response = client_for(users, role).get(f"/api/collections/{visibility}-survey/")
    if visibility in SEES[role]:
        assert response.status_code == 200
        assert response.json()["visibility"] == visibility
        assert response.json()["can_contribute"] is (role in CONTRIBUTES)
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_upload_permission(users, collections, role, visibility):
    # The file is not FITS: a permitted user reaches validation (400), others do not.
    upload = SimpleUploadedFile("x.fits", b"not a fits file" * 10)
    response = client_for(users, role).post(
        f"/api/collections/{visibility}-survey/images/", {"file": upload}, format="multipart"
    )
    if visibility not in SEES[role] or role not in CONTRIBUTES:
        # The same answer as for a collection that does not exist (and, served through
        # ASGI, before the body is read: tests/security/test_request_bodies.py).
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    else:
        assert response.status_code == 400
        assert "not a FITS file" in response.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_permission_functions_agree_with_querysets(users, collections, role, visibility):
    from django.contrib.auth.models import AnonymousUser

    from portal.models import Collection

    user = AnonymousUser() if role == "anonymous" else users[role]
    collection = collections[visibility]
    visible = Collection.objects.visible_to(user).filter(pk=collection.pk).exists()
    assert visible is (visibility in SEES[role])
    assert permissions.can_view(user, collection) is visible
    assert permissions.can_contribute(user, collection) is (role in CONTRIBUTES)
    assert permissions.can_manage(user, collection) is (role == "owner")


def test_manage_grant_implies_contribute_and_view(users, collections):
    from guardian.shortcuts import assign_perm

    private = collections["private"]
    assert not permissions.can_view(users["other"], private)
    assign_perm("manage_collection", users["other"], private)
    assert permissions.can_manage(users["other"], private)
    assert permissions.can_contribute(users["other"], private)
    assert permissions.can_view(users["other"], private)


def test_revoked_grant_hides_the_collection(users, collections):
    from guardian.shortcuts import remove_perm

    private = collections["private"]
    assert permissions.can_view(users["member"], private)
    users["member"].groups.clear()
    assert not permissions.can_view(users["member"], private)
    remove_perm("contribute_collection", users["granted"], private)
    assert not permissions.can_view(users["granted"], private)


def test_superuser_sees_and_manages_everything(django_user_model, collections):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    for collection in collections.values():
        assert permissions.can_manage(root, collection)
    response = client_for({"root": root}, "root").get("/api/collections/")
    assert response.json()["count"] == 3


class Owned:
    """An object with an owner in a collection, as a catalog is (no database row)."""

    def __init__(self, owner, collection):
        self.owner_id = owner.pk if owner is not None else None
        self.collection = collection


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_may_edit_is_the_item_owner_or_a_manager(users, collections, role, visibility):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else users[role]
    collection = collections[visibility]
    by_member = Owned(users["member"], collection)
    # The collection's owner manages it; the member owns the item; no one else may.
    assert permissions.may_edit(user, by_member) is (role in ("owner", "member"))


@pytest.mark.parametrize("role", ROLES)
def test_an_item_without_owner_is_for_managers_only(users, collections, role):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else users[role]
    orphan = Owned(None, collections["public"])  # its owner's account was deleted
    assert permissions.may_edit(user, orphan) is (role == "owner")
