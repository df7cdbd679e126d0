"""The live sockets hear of image changes through channel-layer groups (``tiles/live.py``),
never by polling: the collection page's and the search page's. Two users in one
process; a stranger to an image is never told anything of it; a revoked grant ends the
feed."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from portal import events
from portal.models import Collection, Image
from tests.sockets import collection_socket, make_image, open_socket, receive, search_socket
from tiles import consumers, live, progress

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setattr(consumers, "LIVE_READ_SECONDS", 0.02)


# --- the messages ---------------------------------------------------------------------


def test_one_transaction_is_one_message_of_ids_after_commit(collections, monkeypatch):
    sent = []
    monkeypatch.setattr(live, "send", lambda group, message: sent.append((group, message)))
    # Ids announced in earlier tests' transactions, which the test database rolls back,
    # would go with the next message, as a rolled-back image's id does: none here.
    monkeypatch.setattr(live._buffer, "pending", None, raising=False)
    private, team = collections[Collection.PRIVATE], collections[Collection.TEAM]
    with transaction.atomic():
        made = [make_image(private, f"b{n}.fits") for n in range(3)] + [make_image(team, "t.fits")]
        for image in made:
            events.image_registered.send(sender=Image, image=image)
            events.image_state_changed.send(sender=Image, image=image)
        assert sent == []  # nothing before the commit
    pairs = [[image.pk, image.collection_id] for image in made]
    assert sent == [
        (f"collection-{private.pk}", {"type": "images.changed", "images": pairs[:3]}),
        (f"collection-{team.pk}", {"type": "images.changed", "images": pairs[3:]}),
        ("archive-images", {"type": "images.changed", "images": pairs}),
    ]
    sent.clear()
    never = []
    with pytest.raises(RuntimeError), transaction.atomic():
        never.append(make_image(private, "never.fits").pk)
        raise RuntimeError
    assert sent == []
    made[0].set_state(Image.READY)  # outside a transaction: at once
    group, message = sent[-1]
    # The rolled-back image's id may go with it (the sockets find no such image).
    assert group == "archive-images" and message["images"][0] == pairs[0]
    assert message["images"][1:] in ([], [[never[0], private.pk]])


# --- the collection page ----------------------------------------------------------------


async def test_the_collection_socket_hears_changes_without_reading_in_between(
    users, collections, monkeypatch
):
    reads = []
    real = consumers.CollectionConsumer.changed_images

    def counted(self, ids, catch_up):
        reads.append((sorted(ids), catch_up))
        return real(self, ids, catch_up)

    monkeypatch.setattr(consumers.CollectionConsumer, "changed_images", counted)
    private = collections[Collection.PRIVATE]
    communicator = await collection_socket(private, users["member"], since=time.time())
    await receive(communicator, "watching")
    assert await communicator.receive_nothing(timeout=1.0)
    assert reads == [([], True)]  # the catch-up at start; then nothing until told
    image = await database_sync_to_async(make_image)(private, "m42.fits")
    card = (await receive(communicator, "image"))["image"]
    assert (card["id"], card["state"]) == (image.pk, "pending")
    await database_sync_to_async(image.set_state)(Image.READY, progress=1.0)
    card = (await receive(communicator, "image"))["image"]
    assert (card["id"], card["state"], card["progress"]) == (image.pk, "ready", 1.0)
    assert reads[1:] == [([image.pk], False), ([image.pk], False)]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_what_changed_between_the_page_and_the_socket_is_sent_at_connect(users, collections):
    private = collections[Collection.PRIVATE]
    page_time = time.time()
    image = await database_sync_to_async(make_image)(private, "gap.fits")  # no socket yet
    communicator = await collection_socket(private, users["owner"], since=page_time)
    await receive(communicator, "watching")
    assert (await receive(communicator, "image"))["image"]["id"] == image.pk
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_safety_read_finds_a_change_no_event_told_of(users, collections, monkeypatch):
    monkeypatch.setattr(consumers, "SAFETY_READ_SECONDS", 0.5)
    private = collections[Collection.PRIVATE]
    communicator = await collection_socket(private, users["owner"], since=time.time())
    await receive(communicator, "watching")
    monkeypatch.setattr(live, "send", lambda group, message: None)  # the event is lost
    image = await database_sync_to_async(make_image)(private, "unheard.fits")
    assert (await receive(communicator, "image"))["image"]["id"] == image.pk
    await communicator.disconnect()


# --- the search page ------------------------------------------------------------------


async def test_two_users_searching_each_hear_only_what_they_may_see(users, collections):
    owner = await search_socket(users["owner"], "q=m42")
    stranger = await search_socket(users["other"], "q=m42")
    private = collections[Collection.PRIVATE]
    public = collections[Collection.PUBLIC]
    secret = await database_sync_to_async(make_image)(private, "m42-secret.fits")
    row = (await receive(owner, "result"))["image"]
    assert (row["id"], row["name"], row["collection"], row["state"]) == (
        secret.pk, "m42-secret.fits", "private-survey", "pending",
    )  # fmt: skip
    assert row["page_url"] == f"/images/{secret.pk}/" and "metadata" in row
    await database_sync_to_async(make_image)(public, "ngc1976.fits")  # matches no one's query
    await database_sync_to_async(secret.set_state)(Image.WARMING)
    assert (await receive(owner, "result"))["image"]["state"] == "warming"
    await database_sync_to_async(progress.publish)(
        secret.pk, {"type": "progress", "image": secret.pk, "percent": 40.0}
    )
    assert await receive(owner, "progress") == {"type": "progress", "id": secret.pk,
                                                "percent": 40.0}  # fmt: skip
    await database_sync_to_async(secret.set_state)(Image.READY, progress=1.0)
    row = (await receive(owner, "result"))["image"]
    assert (row["id"], row["state"], row["progress"]) == (secret.pk, "ready", 1.0)
    shared = await database_sync_to_async(make_image)(public, "m42-public.fits")
    assert (await receive(owner, "result"))["image"]["id"] == shared.pk
    assert (await receive(stranger, "result"))["image"]["id"] == shared.pk
    # The stranger heard of the public image only: nothing of the private one, ever.
    assert await stranger.receive_nothing(timeout=0.5)
    assert await owner.receive_nothing(timeout=0.3)
    await owner.disconnect()
    await stranger.disconnect()


async def test_a_stranger_who_names_an_image_learns_nothing_of_it(users, collections):
    secret = await database_sync_to_async(make_image)(collections["private"], "m42.fits")
    stranger = await search_socket(users["other"], "", since=time.time() - 3600)
    await stranger.send_json_to({"type": "showing", "ids": [secret.pk]})
    await database_sync_to_async(progress.publish)(
        secret.pk, {"type": "progress", "image": secret.pk, "percent": 10.0}
    )
    await database_sync_to_async(secret.set_state)(Image.READY, progress=1.0)
    assert await stranger.receive_nothing(timeout=0.5)  # no row, no "gone", no progress
    await stranger.disconnect()


async def test_rows_shown_are_read_again_and_go_when_they_no_longer_match(users, collections):
    private = collections[Collection.PRIVATE]
    image = await database_sync_to_async(make_image)(private, "m42.fits")
    other = await database_sync_to_async(make_image)(private, "m42-b.fits")
    page = await search_socket(users["owner"], "q=m42&state=pending")
    await page.send_json_to({"type": "showing", "ids": [image.pk, other.pk, 10**9, "x"]})
    rows = [(await receive(page, "result"))["image"]["id"] for _ in range(2)]
    assert sorted(rows) == sorted([image.pk, other.pk])
    assert await page.receive_nothing(timeout=0.3)  # nothing of ids that name no image
    await database_sync_to_async(image.set_state)(Image.READY)  # no longer pending
    assert await receive(page, "gone") == {"type": "gone", "id": image.pk}
    other_id = other.pk
    await database_sync_to_async(other.delete)()
    assert await receive(page, "gone") == {"type": "gone", "id": other_id}
    assert await page.receive_nothing(timeout=0.3)
    await page.disconnect()


async def test_a_revoked_grant_takes_the_rows_away_and_ends_their_feed(users, collections):
    private = collections[Collection.PRIVATE]
    page = await search_socket(users["granted"], "q=m42")
    image = await database_sync_to_async(make_image)(private, "m42.fits")
    assert (await receive(page, "result"))["image"]["id"] == image.pk
    assert await page.receive_nothing(timeout=0.5)  # every event of the image read
    await sync_to_async(remove_perm)("contribute_collection", users["granted"], private)
    assert await receive(page, "gone") == {"type": "gone", "id": image.pk}
    await database_sync_to_async(image.set_state)(Image.READY, progress=1.0)
    await database_sync_to_async(progress.publish)(
        image.pk, {"type": "progress", "image": image.pk, "percent": 50.0}
    )
    await database_sync_to_async(make_image)(private, "m42-later.fits")
    assert await page.receive_nothing(timeout=0.5)
    await page.disconnect()


async def test_what_matched_between_the_page_and_the_socket_is_sent_at_connect(users, collections):
    page_time = time.time()
    image = await database_sync_to_async(make_image)(collections["team"], "m42.fits")
    await database_sync_to_async(make_image)(collections["team"], "ngc.fits")
    page = await search_socket(users["member"], "q=m42", since=page_time)
    assert (await receive(page, "result"))["image"]["id"] == image.pk
    assert await page.receive_nothing(timeout=0.3)
    await page.disconnect()


async def test_a_query_the_search_refuses_closes_the_socket_with_its_reason(users):
    communicator = await open_socket("/ws/search/?sort=colour", users["owner"])
    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "error" and event["detail"].startswith("sort:")
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close", "code": consumers.CLOSE_BAD_QUERY,
    }  # fmt: skip
    await communicator.disconnect()


async def test_a_busy_archive_costs_one_read_per_period(users, collections, monkeypatch):
    """Changes heard while a read is under way wait for the next one: 40 images made
    one by one are read in a few reads, not 40."""
    reads = []
    real = consumers.SearchConsumer.changed_results

    def counted(self, ids, catch_up):
        reads.append(len(ids))
        return real(self, ids, catch_up)

    monkeypatch.setattr(consumers.SearchConsumer, "changed_results", counted)
    monkeypatch.setattr(consumers, "LIVE_READ_SECONDS", 0.3)
    page = await search_socket(users["owner"], "q=m42")

    def one_by_one():
        for n in range(40):
            make_image(collections["private"], f"m42-{n}.fits")  # 40 transactions

    started = time.monotonic()
    await database_sync_to_async(one_by_one)()
    ids = {(await receive(page, "result"))["image"]["id"] for _ in range(40)}
    elapsed = time.monotonic() - started
    assert len(ids) == 40
    # The catch-up, then at most one read per period while they came (however slowly
    # this machine made them), and the last.
    assert len(reads) <= 2 + elapsed / 0.3 and len(reads) < 40, (reads, elapsed)
    await page.disconnect()


# --- access given while the search page is open ------------------------------------------


def unshared_collection(owner, names):
    """A private collection of ``owner``'s, shared with no one, with images ``names``."""
    collection = Collection.objects.create(name="Late", slug="late", owner=owner)
    return collection, [make_image(collection, name) for name in names]


async def results(communicator, count):
    return [(await receive(communicator, "result"))["image"] for _ in range(count)]


@pytest.mark.parametrize("level", ["view", "contribute", "manage"])
async def test_a_grant_sends_the_new_matches_as_results_and_a_stranger_hears_nothing(
    users, collections, level
):
    late, images = await database_sync_to_async(unshared_collection)(
        users["owner"], ["m42-a.fits", "m42-b.fits", "ngc1976.fits"]
    )
    grantee = await search_socket(users["other"], "q=m42")
    stranger = await search_socket(users["member"], "q=m42")
    owner = await search_socket(users["owner"], "q=m42")
    # The owner's page may be a little older than the images (a margin of 5 s): told then.
    assert len(await results(owner, 2)) == 2
    assert await grantee.receive_nothing(timeout=0.3)
    await sync_to_async(assign_perm)(f"{level}_collection", users["other"], late)
    rows = await results(grantee, 2)
    assert sorted(row["id"] for row in rows) == [images[0].pk, images[1].pk]
    assert {row["collection"] for row in rows} == {"late"}
    assert await grantee.receive_nothing(timeout=0.5)  # not the image that does not match
    assert await stranger.receive_nothing(timeout=0.3)
    assert await owner.receive_nothing(timeout=0.3)  # saw it all along: nothing is new
    # And revoked: the rows go at once, as any revoked row does.
    await sync_to_async(remove_perm)(f"{level}_collection", users["other"], late)
    gone = [(await receive(grantee, "gone"))["id"] for _ in range(2)]
    assert sorted(gone) == [images[0].pk, images[1].pk]
    for communicator in (grantee, stranger, owner):
        await communicator.disconnect()


async def test_a_grant_to_a_group_reaches_its_members_only(users, collections):
    late, images = await database_sync_to_async(unshared_collection)(users["owner"], ["m42.fits"])
    member = await search_socket(users["member"], "q=m42")  # in the group
    stranger = await search_socket(users["other"], "q=m42")
    await sync_to_async(assign_perm)("view_collection", users["group"], late)
    assert (await receive(member, "result"))["image"]["id"] == images[0].pk
    assert await member.receive_nothing(timeout=0.3)
    assert await stranger.receive_nothing(timeout=0.3)
    await member.disconnect()
    await stranger.disconnect()


async def test_a_collection_made_visible_reaches_those_it_is_now_visible_to(users, collections):
    late, images = await database_sync_to_async(unshared_collection)(users["owner"], ["m42.fits"])
    signed_in = await search_socket(users["other"], "q=m42")
    anonymous = await search_socket(AnonymousUser(), "q=m42")
    late.visibility = Collection.TEAM  # every signed-in user
    await database_sync_to_async(late.save)()
    assert (await receive(signed_in, "result"))["image"]["id"] == images[0].pk
    assert await anonymous.receive_nothing(timeout=0.3)
    late.visibility = Collection.PUBLIC
    await database_sync_to_async(late.save)()
    assert (await receive(anonymous, "result"))["image"]["id"] == images[0].pk
    assert await signed_in.receive_nothing(timeout=0.3)  # sent once
    await signed_in.disconnect()
    await anonymous.disconnect()


async def test_many_new_matches_come_a_bounded_read_at_a_time(users, collections, monkeypatch):
    """Two collections granted at once (one group grant each), read one collection and
    two images at a read: every match is sent once."""
    monkeypatch.setattr(consumers.SearchConsumer, "MAX_PER_READ", 2)
    monkeypatch.setattr(consumers.SearchConsumer, "REVEAL_CHUNK", 1)
    reads = []
    real = consumers.SearchConsumer.revealed_matches

    def counted(self, user):
        found = real(self, user)
        reads.append(len(found))
        return found

    monkeypatch.setattr(consumers.SearchConsumer, "revealed_matches", counted)

    def two_collections():
        made = []
        for slug in ("late-a", "late-b"):
            collection = Collection.objects.create(name=slug, slug=slug, owner=users["owner"])
            made += [make_image(collection, f"m42-{slug}-{n}.fits") for n in range(3)]
        return made

    images = await database_sync_to_async(two_collections)()
    page = await search_socket(users["other"], "q=m42")
    group = users["group"]

    def grant_both():
        with transaction.atomic():  # one change: both collections at once
            users["other"].groups.add(group)
            for slug in ("late-a", "late-b"):
                assign_perm("view_collection", group, Collection.objects.get(slug=slug))

    await database_sync_to_async(grant_both)()
    rows = await results(page, 6)
    assert sorted(row["id"] for row in rows) == sorted(image.pk for image in images)
    assert await page.receive_nothing(timeout=0.5)
    assert max(reads) == 2 and sum(reads) == 6
    await page.disconnect()
