"""The collection admin: the three grants by name, groups picked from existing ones, and
a new collection owned by whoever adds it."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm, get_group_perms, get_user_perms

from portal.models import Collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_of(client, django_user_model):
    user = django_user_model.objects.create_superuser("curator", password="pw")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def survey(admin_client_of, django_user_model):
    owner = django_user_model.objects.create_user("owner")
    return Collection.objects.create(name="Deep field", slug="deep-field", owner=owner)


def test_add_collection_defaults_the_owner_to_the_current_user(admin_client_of):
    form = admin_client_of.get("/admin/portal/collection/add/").context["adminform"].form
    assert form.initial["owner"] == admin_client_of.user.pk
    response = admin_client_of.post(
        "/admin/portal/collection/add/",
        {"name": "Night 1", "slug": "night-1", "description": "", "visibility": "private",
         "owner": form.initial["owner"]},
    )  # fmt: skip
    assert response.status_code == 302
    assert Collection.objects.get(slug="night-1").owner == admin_client_of.user


def test_the_grants_are_shown_by_name(admin_client_of, survey, django_user_model):
    viewer = django_user_model.objects.create_user("viewer")
    assign_perm("contribute_collection", viewer, survey)
    page = admin_client_of.get(f"/admin/portal/collection/{survey.pk}/permissions/")
    text = page.content.decode()
    for name in ("<th>View</th>", "<th>Contribute</th>", "<th>Manage</th>"):
        assert name in text
    assert "Can add collection" not in text and "Can change collection" not in text
    assert [p["codename"] for p in page.context["model_perms"]] == [
        "view_collection", "contribute_collection", "manage_collection",
    ]  # fmt: skip


def test_a_user_gets_the_three_grants_to_choose_from(admin_client_of, survey, django_user_model):
    viewer = django_user_model.objects.create_user("viewer")
    url = f"/admin/portal/collection/{survey.pk}/permissions/user-manage/{viewer.pk}/"
    form = admin_client_of.get(url).context["form"]
    choices = [label for _codename, label in form.fields["permissions"].choices]
    assert choices == [
        "View: see the collection's images and catalogs",
        "Contribute: also add images and catalogs",
        "Manage: also rename, share, move and delete",
    ]
    response = admin_client_of.post(url, {"permissions": ["view_collection"]})
    assert response.status_code == 302
    assert list(get_user_perms(viewer, survey)) == ["view_collection"]
    refused = admin_client_of.post(url, {"permissions": ["delete_collection"]})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert list(get_user_perms(viewer, survey)) == ["view_collection"]


def test_groups_are_picked_from_existing_ones(admin_client_of, survey):
    team = Group.objects.create(name="observers")
    Group.objects.create(name="analysts")
    url = f"/admin/portal/collection/{survey.pk}/permissions/"
    page = admin_client_of.get(url)
    field = page.context["group_form"].fields["group"]
    assert [label for _value, label in field.choices][1:] == ["analysts", "observers"]
    assert '<select name="group"' in page.content.decode()
    chosen = admin_client_of.post(url, {"group": "observers", "submit_manage_group": "1"})
    assert chosen.status_code == 302
    assert chosen["Location"].endswith(f"/group-manage/{team.pk}/")
    unknown = admin_client_of.post(url, {"group": "nobody", "submit_manage_group": "1"})
    assert unknown.status_code == 200 and unknown.context["group_form"].errors
    manage = admin_client_of.post(chosen["Location"], {"permissions": ["manage_collection"]})
    assert manage.status_code == 302
    assert list(get_group_perms(team, survey)) == ["manage_collection"]
