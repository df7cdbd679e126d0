"""portal/permissions.py asked directly: every level for every kind of user on every
visibility (a table written by hand from the rules in the module's docstring), which
answers need no query, the image lookups by id and by name at their edges, and the
access cache: one entry per user and image, forgotten for one user or for all."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import assign_perm

from portal import permissions
from portal.models import CONTRIBUTE, MANAGE, VIEW, Collection, Image

pytestmark = pytest.mark.django_db

# Who holds each level, per visibility. owner: owns every collection; granted:
# contribute grant; member: view grant through a group; manager: manage grant;
# admin: superuser; other: signed in, nothing granted; anonymous.
HOLDS = {
    VIEW: {
        "private": {"owner", "granted", "member", "manager", "admin"},
        "team": {"owner", "granted", "member", "manager", "admin", "other"},
        "public": {"owner", "granted", "member", "manager", "admin", "other", "anonymous"},
    },
    CONTRIBUTE: dict.fromkeys(
        ("private", "team", "public"), {"owner", "granted", "manager", "admin"}
    ),
    MANAGE: dict.fromkeys(("private", "team", "public"), {"owner", "manager", "admin"}),
}
ASK = {VIEW: permissions.can_view, CONTRIBUTE: permissions.can_contribute,
       MANAGE: permissions.can_manage}  # fmt: skip
ROLES = ("owner", "granted", "member", "manager", "admin", "other", "anonymous")


@pytest.fixture(autouse=True)
def _fresh_access_cache():
    permissions.forget_cached_access()
    yield
    permissions.forget_cached_access()


@pytest.fixture
def people(users, collections, django_user_model):
    result = dict(users)
    result["manager"] = django_user_model.objects.create_user("manager", "m@example.org", "pw")
    result["admin"] = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    result["anonymous"] = AnonymousUser()
    for collection in collections.values():
        assign_perm("manage_collection", result["manager"], collection)
    return result


def make_image(collection, name, pk=None):
    return Image.objects.create(
        pk=pk, collection=collection, title=name, name=name, path="", checksum=name,
        size=1, width=10, height=10,
    )  # fmt: skip


@pytest.mark.parametrize("level", [VIEW, CONTRIBUTE, MANAGE])
@pytest.mark.parametrize("visibility", ["private", "team", "public"])
def test_each_level_is_held_by_exactly_whom_the_rules_say(people, collections, level, visibility):
    collection = collections[visibility]
    by_has_level = {r for r in ROLES if permissions.has_level(people[r], collection, level)}
    by_question = {r for r in ROLES if ASK[level](people[r], collection)}
    assert by_has_level == HOLDS[level][visibility]
    assert by_question == HOLDS[level][visibility]


@pytest.mark.parametrize("level", [VIEW, CONTRIBUTE, MANAGE])
def test_nobody_holds_anything_as_none(collections, level):
    # None stands for "no user" (a websocket without a session): like anonymous.
    expected = {"private": False, "team": False, "public": level == VIEW}
    assert {v: permissions.has_level(None, c, level) for v, c in collections.items()} == expected


def test_the_answers_the_row_gives_cost_no_query(people, collections, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert permissions.can_view(people["anonymous"], collections["public"])
        assert permissions.can_view(None, collections["public"])
        assert not permissions.can_view(people["anonymous"], collections["team"])
        assert not permissions.can_manage(people["anonymous"], collections["public"])
        assert permissions.can_view(people["other"], collections["team"])
        assert permissions.can_manage(people["owner"], collections["private"])
        assert permissions.can_manage(people["admin"], collections["private"])
    with django_assert_num_queries(1):  # a grant is in the database
        assert permissions.can_manage(people["manager"], collections["private"])
    with django_assert_num_queries(1):
        assert not permissions.can_contribute(people["other"], collections["public"])


def item(owner, collection):
    return SimpleNamespace(owner_id=None if owner is None else owner.pk, collection=collection)


def test_an_item_may_be_edited_by_its_owner_or_whoever_manages_its_collection(people, collections):
    private = collections["private"]
    # "other" sees nothing of the private collection, but owns this item in it.
    assert permissions.may_edit(people["other"], item(people["other"], private))
    assert permissions.may_edit(people["manager"], item(people["other"], private))
    assert permissions.may_edit(people["owner"], item(people["other"], private))
    assert permissions.may_edit(people["admin"], item(people["other"], private))
    # Contributing or viewing is not managing.
    assert not permissions.may_edit(people["granted"], item(people["other"], private))
    assert not permissions.may_edit(people["member"], item(people["other"], private))
    assert not permissions.may_edit(people["other"], item(people["granted"], private))


def test_anonymous_never_edits_even_an_item_without_owner(people, collections):
    # An anonymous user's pk is None, as is the owner of an item whose owner was deleted.
    orphan = item(None, collections["public"])
    assert not permissions.may_edit(people["anonymous"], orphan)
    assert not permissions.may_edit(None, orphan)
    assert permissions.may_edit(people["owner"], orphan)


def test_may_contribute_to_a_collection_or_to_some_collection(people, collections):
    assert permissions.may_contribute(people["granted"], "private-survey")
    assert permissions.may_contribute(people["granted"])
    assert permissions.may_contribute(people["manager"], "team-survey")
    assert not permissions.may_contribute(people["member"], "private-survey")
    assert not permissions.may_contribute(people["member"])
    assert not permissions.may_contribute(people["other"], "public-survey")
    assert not permissions.may_contribute(people["other"])
    assert not permissions.may_contribute(people["granted"], "no-such-survey")
    assert not permissions.may_contribute(people["anonymous"])
    assert not permissions.may_contribute(None, "public-survey")


def test_may_contribute_to_some_collection_counts_their_own(people, collections):
    Collection.objects.create(name="Mine", slug="mine", owner=people["other"])
    assert permissions.may_contribute(people["other"])
    assert permissions.may_contribute(people["other"], "mine")
    assert not permissions.may_contribute(people["other"], "private-survey")


def test_viewable_image_is_the_image_with_its_collection_or_none(
    people, collections, django_assert_num_queries
):
    image = make_image(collections["private"], "a.fits")
    found = permissions.viewable_image(people["member"], image.pk)
    assert found == image
    with django_assert_num_queries(0):
        assert found.collection.slug == "private-survey"  # loaded with it
    assert permissions.viewable_image(people["member"], str(image.pk)) == image
    assert permissions.viewable_image(people["other"], image.pk) is None
    assert permissions.viewable_image(people["anonymous"], image.pk) is None
    assert permissions.viewable_image(people["owner"], image.pk + 1) is None


def test_viewable_image_at_the_ends_of_the_id_range(people, collections, django_assert_num_queries):
    first = make_image(collections["public"], "first.fits", pk=1)
    last = make_image(collections["public"], "last.fits", pk=permissions.MAX_ID)
    assert permissions.MAX_ID == 9223372036854775807
    assert permissions.viewable_image(people["anonymous"], 1) == first
    assert permissions.viewable_image(people["anonymous"], permissions.MAX_ID) == last
    with django_assert_num_queries(0):  # ids no row can have are not asked for
        for nothing in (0, -1, -permissions.MAX_ID, permissions.MAX_ID + 1, 2**64):
            assert permissions.viewable_image(people["owner"], nothing) is None


def test_the_access_cache_keeps_one_answer_per_user_and_image(
    people, collections, django_assert_num_queries
):
    image = make_image(collections["private"], "a.fits")
    assert permissions.peek_viewable_image(people["owner"], image.pk) == (False, None)
    assert permissions.viewable_image_cached(people["owner"], image.pk) == image
    # The owner's answer is not a stranger's, nor anonymous's, in either order.
    assert permissions.viewable_image_cached(people["other"], image.pk) is None
    assert permissions.viewable_image_cached(people["anonymous"], image.pk) is None
    with django_assert_num_queries(0):
        assert permissions.viewable_image_cached(people["owner"], image.pk) == image
        assert permissions.viewable_image_cached(people["owner"], str(image.pk)) == image
        assert permissions.viewable_image_cached(people["other"], image.pk) is None
        assert permissions.viewable_image_cached(None, image.pk) is None  # anonymous's entry
        assert permissions.peek_viewable_image(people["owner"], str(image.pk)) == (True, image)
        assert permissions.peek_viewable_image(people["other"], image.pk) == (True, None)
        assert permissions.peek_viewable_image(people["member"], image.pk) == (False, None)
    assert permissions.viewable_image_cached(people["member"], image.pk) == image


def test_a_stranger_first_does_not_hide_the_image_from_its_owner(people, collections):
    image = make_image(collections["private"], "a.fits")
    assert permissions.viewable_image_cached(people["other"], image.pk) is None
    assert permissions.viewable_image_cached(people["owner"], image.pk) == image
    assert permissions.viewable_image_named_cached(people["other"], "a.fits") is None
    assert permissions.viewable_image_named_cached(people["owner"], "a.fits") == image


def test_forgetting_one_users_answers_keeps_the_others(people, collections):
    image = make_image(collections["private"], "a.fits")
    for role in ("owner", "member", "other", "anonymous"):
        permissions.viewable_image_cached(people[role], image.pk)
        permissions.viewable_image_named_cached(people[role], "a.fits")
    permissions.forget_cached_access_of(people["member"].pk)
    cached = {
        role: (
            permissions.peek_viewable_image(people[role], image.pk)[0],
            permissions.peek_viewable_image_named(people[role], "a.fits")[0],
        )
        for role in ("owner", "member", "other", "anonymous")
    }
    assert cached == {
        "owner": (True, True),
        "member": (False, False),
        "other": (True, True),
        "anonymous": (True, True),
    }
    permissions.forget_cached_access_of(None)  # anonymous's answers
    assert permissions.peek_viewable_image(people["anonymous"], image.pk) == (False, None)
    assert permissions.peek_viewable_image(people["owner"], image.pk) == (True, image)
    permissions.forget_cached_access()
    assert permissions.peek_viewable_image(people["owner"], image.pk) == (False, None)
    assert permissions.peek_viewable_image_named(people["other"], "a.fits") == (False, None)


def test_a_grant_is_seen_at_once_in_the_process_that_made_it(people, collections):
    image = make_image(collections["private"], "a.fits")
    assert permissions.viewable_image_cached(people["other"], image.pk) is None
    assign_perm("view_collection", people["other"], collections["private"])
    assert permissions.viewable_image_cached(people["other"], image.pk) == image


def test_an_image_is_named_by_collection_and_file_or_by_a_file_name_only_it_has(
    people, collections, django_assert_num_queries
):
    private = make_image(collections["private"], "a.fits")
    public = make_image(collections["public"], "b.fits")
    member, other = people["member"], people["other"]
    assert permissions.viewable_image_named(member, "private-survey/a.fits") == private
    for name in ("private-survey/a.fits", "a.fits"):
        found = permissions.viewable_image_named(member, name)
        with django_assert_num_queries(0):
            assert found.collection.slug == "private-survey"  # loaded with it
    assert permissions.viewable_image_named(member, "a.fits") == private
    assert permissions.viewable_image_named(member, "some/dir/a.fits") == private
    # A wrong collection before the name: the name alone decides.
    assert permissions.viewable_image_named(member, "team-survey/a.fits") == private
    assert permissions.viewable_image_named(other, "private-survey/a.fits") is None
    assert permissions.viewable_image_named(other, "a.fits") is None
    assert permissions.viewable_image_named(other, "public-survey/b.fits") == public
    assert permissions.viewable_image_named(other, "b.fits") == public
    for nothing in ("", "/", "public-survey/", "c.fits", "public-survey/c.fits"):
        assert permissions.viewable_image_named(member, nothing) is None


def test_a_file_name_several_visible_images_have_is_ambiguous(people, collections):
    in_private = make_image(collections["private"], "same.fits")
    in_public = make_image(collections["public"], "same.fits")
    assert permissions.AMBIGUOUS == "ambiguous"
    assert permissions.viewable_image_named(people["member"], "same.fits") == "ambiguous"
    assert permissions.viewable_image_named(people["member"], "x/same.fits") == "ambiguous"
    # The collection's slug names one of them.
    assert permissions.viewable_image_named(people["member"], "private-survey/same.fits") == (
        in_private
    )
    assert permissions.viewable_image_named(people["member"], "public-survey/same.fits") == (
        in_public
    )
    # Who sees only one of them is not told of the other.
    assert permissions.viewable_image_named(people["other"], "same.fits") == in_public


def test_names_are_cached_per_user_and_name(people, collections, django_assert_num_queries):
    image = make_image(collections["private"], "a.fits")
    assert permissions.peek_viewable_image_named(people["owner"], "a.fits") == (False, None)
    assert permissions.viewable_image_named_cached(people["owner"], "a.fits") == image
    assert permissions.viewable_image_named_cached(people["anonymous"], "a.fits") is None
    with django_assert_num_queries(0):
        assert permissions.viewable_image_named_cached(people["owner"], "a.fits") == image
        assert permissions.peek_viewable_image_named(people["owner"], "a.fits") == (True, image)
        assert permissions.peek_viewable_image_named(None, "a.fits") == (True, None)
        assert permissions.peek_viewable_image_named(people["owner"], "x/a.fits") == (False, None)
    # A name and an id are different questions, even when the name is the id's digits.
    assert permissions.peek_viewable_image(people["owner"], image.pk)[0] is False
    assert permissions.viewable_image_named_cached(people["owner"], str(image.pk)) is None
    assert permissions.viewable_image_cached(people["owner"], image.pk) == image


def test_an_image_moves_between_collections_its_mover_manages_both_of(people, collections):
    image = make_image(collections["private"], "a.fits")
    elsewhere = Collection.objects.create(name="Else", slug="else", owner=people["other"])
    assert permissions.may_move_image(people["owner"], image, collections["public"])
    assert permissions.may_move_image(people["manager"], image, collections["team"])
    assert permissions.may_move_image(people["admin"], image, elsewhere)
    # Managing only the destination, or only the origin, is not enough.
    assert not permissions.may_move_image(people["other"], image, elsewhere)
    assert not permissions.may_move_image(people["owner"], image, elsewhere)
    assert not permissions.may_move_image(people["granted"], image, collections["public"])
    assert not permissions.may_move_image(people["anonymous"], image, collections["public"])


def test_viewable_collection_is_the_collection_or_none(
    people, collections, django_assert_num_queries
):
    private = collections["private"]
    assert permissions.viewable_collection(people["member"], private.pk) == private
    assert permissions.viewable_collection(people["member"], str(private.pk)) == private
    assert permissions.viewable_collection(people["other"], private.pk) is None
    assert (
        permissions.viewable_collection(people["other"], collections["team"].pk)
        == (collections["team"])
    )
    assert permissions.viewable_collection(people["anonymous"], collections["team"].pk) is None
    last = Collection.objects.create(
        pk=permissions.MAX_ID, name="Last", slug="last", owner=people["owner"], visibility="public"
    )
    assert permissions.viewable_collection(None, permissions.MAX_ID) == last
    with django_assert_num_queries(0):
        for nothing in (0, -1, permissions.MAX_ID + 1):
            assert permissions.viewable_collection(people["owner"], nothing) is None


def test_collections_are_cached_per_user_apart_from_images(
    people, collections, django_assert_num_queries
):
    private = collections["private"]
    image = make_image(collections["public"], "a.fits", pk=private.pk)  # the same number
    assert permissions.peek_viewable_collection(people["owner"], private.pk) == (False, None)
    assert permissions.viewable_collection_cached(people["owner"], private.pk) == private
    assert permissions.viewable_collection_cached(people["other"], private.pk) is None
    with django_assert_num_queries(0):
        assert permissions.viewable_collection_cached(people["owner"], str(private.pk)) == private
        assert permissions.peek_viewable_collection(people["owner"], private.pk) == (True, private)
        assert permissions.peek_viewable_collection(people["other"], private.pk) == (True, None)
        assert permissions.peek_viewable_collection(None, private.pk) == (False, None)
        assert permissions.peek_viewable_image(people["owner"], private.pk) == (False, None)
    assert permissions.viewable_image_cached(people["other"], image.pk) == image
    permissions.forget_cached_access_of(people["owner"].pk)
    assert permissions.peek_viewable_collection(people["owner"], private.pk) == (False, None)
    assert permissions.peek_viewable_collection(people["other"], private.pk) == (True, None)


@pytest.mark.parametrize("role", ROLES)
def test_the_visible_collections_filter_selects_what_the_role_views(people, collections, role):
    q = permissions.visible_collections_q(people[role])
    seen = {c.visibility for c in Collection.objects.filter(q)}
    assert seen == {v for v in ("private", "team", "public") if role in HOLDS[VIEW][v]}
