"""The admin lists' collection filter names only the collections the user manages, and
at most a page of them."""

import pytest
from django.contrib.auth.models import Permission

from catalogs.models import Catalog
from portal.admin import CollectionListFilter
from portal.models import Collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    """A staff user who may open the image and catalog lists and manages one collection."""
    user = django_user_model.objects.create_user("manager", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_image", "view_catalog"])
    )
    owner = django_user_model.objects.create_user("owner")
    mine = Collection.objects.create(name="Our nights", slug="ours", owner=owner)
    theirs = Collection.objects.create(name="Secret survey", slug="theirs", owner=owner)
    from guardian.shortcuts import assign_perm

    assign_perm("manage_collection", user, mine)
    client.force_login(user)
    return client, mine, theirs


@pytest.mark.parametrize("page", ["/admin/portal/image/", "/admin/catalogs/catalog/"])
def test_a_manager_sees_only_the_collections_they_manage_in_the_filter(manager, page):
    client, mine, theirs = manager
    response = client.get(page)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Our nights" in text
    assert "Secret survey" not in text


def test_filtering_on_a_collection_one_does_not_manage_shows_nothing(manager, django_user_model):
    client, mine, theirs = manager
    Catalog.objects.create(name="their marks", collection=theirs, owner=theirs.owner)
    response = client.get(f"/admin/catalogs/catalog/?collection={theirs.pk}")
    assert response.status_code == 200
    assert "their marks" not in response.content.decode()
    for value in ["abc", "1e3", "-1", "9" * 40, "٣"]:
        assert client.get(f"/admin/portal/image/?collection={value}").status_code == 200


def test_a_superuser_gets_a_page_of_collections_by_name(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="pw")
    Collection.objects.bulk_create(
        Collection(name=f"night {i:03d}", slug=f"n{i:03d}", owner=user) for i in range(70)
    )
    client.force_login(user)
    text = client.get("/admin/portal/image/").content.decode()
    shown = [i for i in range(70) if f"night {i:03d}<" in text]
    assert shown == list(range(CollectionListFilter.SHOWN))
