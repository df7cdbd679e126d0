"""GET /api/images/: spatial, metadata, header and word searches over what a user may
see, compared with brute force (astropy for the sky) over every image; cursor pages."""

import re

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from rest_framework.test import APIClient

from archive import sky
from tests.archive import skyref
from tests.archive.conftest import FIELDS, make_image

pytestmark = pytest.mark.django_db


def client_for(users, name):
    client = APIClient()
    if name is not None:
        client.force_authenticate(users[name])
    return client


def all_pages(client, params, page_size=9):
    """Every result over every page (following ``next``), checking no id comes twice."""
    response = client.get("/api/images/", {**params, "page_size": page_size})
    results = []
    for _ in range(1000):
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= page_size
        results += body["results"]
        if not body["next"]:
            break
        response = client.get(body["next"])
    ids = [r["id"] for r in results]
    assert len(ids) == len(set(ids))
    return results


def expected_ids(sky_images, visible_collections, predicate):
    return {
        pk
        for pk, (wcs, extras, collection) in sky_images.items()
        if collection.pk in visible_collections and predicate(wcs, extras)
    }


def queries(seed):
    rng = np.random.default_rng(seed)
    for ra0, dec0 in FIELDS:
        for _ in range(3):
            ra = (ra0 + rng.normal(0, 2)) % 360
            dec = float(np.clip(dec0 + rng.normal(0, 2), -90, 90))
            yield ra, dec, float(10 ** rng.uniform(-1.3, 0.6))


@pytest.mark.parametrize("who", [None, "other", "owner"])
def test_cone_search_is_exact(users, sky_images, visible, who):
    client = client_for(users, who)
    hits = 0
    for ra, dec, radius in queries(1):
        found = {r["id"] for r in all_pages(client, {"ra": ra, "dec": dec, "radius": radius})}
        wanted = expected_ids(
            sky_images,
            visible[who],
            lambda w, e, ra=ra, dec=dec, radius=radius: skyref.distance(w, ra, dec) <= radius,
        )
        assert found == wanted, (ra, dec, radius)
        hits += len(found)
    assert hits > 20


@pytest.mark.parametrize("who", [None, "owner"])
def test_contains_search_is_exact(users, sky_images, visible, who):
    client = client_for(users, who)
    hits = 0
    rng = np.random.default_rng(2)
    on_images = [  # positions on some images (near their corners too), and anywhere
        w.pixel_to_world(*(rng.uniform(-0.1, 1.1) * n for n in w.pixel_shape))
        for w, _, _ in list(sky_images.values())[::6]
    ]
    positions = [(p.ra.deg, p.dec.deg) for p in on_images] + [q[:2] for q in queries(2)]
    for ra, dec in positions:
        found = {r["id"] for r in all_pages(client, {"contains": f"{ra},{dec}"})}
        point = SkyCoord(ra, dec, unit="deg")
        wanted = expected_ids(
            sky_images, visible[who], lambda w, e, point=point: skyref.contains(w, point)
        )
        assert found == wanted, (ra, dec)
        hits += len(found)
    assert hits > 3


@pytest.mark.parametrize("who", ["other", "owner"])
def test_box_search_is_exact(users, sky_images, visible, who):
    client = client_for(users, who)
    hits = 0
    for ra, dec, size in queries(3):
        half_ra = size / max(np.cos(np.radians(dec)), 0.05)
        box = (
            (ra - half_ra) % 360,
            max(-90, dec - size),
            (ra + half_ra) % 360,
            min(90, dec + size),
        )
        found = {r["id"] for r in all_pages(client, {"box": ",".join(map(str, box))})}
        wanted = expected_ids(
            sky_images, visible[who], lambda w, e, box=box: skyref.meets_box(w, box)
        )
        assert found == wanted, box
        hits += len(found)
    assert hits > 20


def test_metadata_filters_and_words(users, sky_images, visible):
    client = client_for(users, "owner")
    cases = [
        ({"filter": "r"}, lambda e: e["FILTER"] == "r"),
        ({"filter": "R,Ha"}, lambda e: e["FILTER"] in ("R", "Ha")),
        ({"instrument": "DECam", "telescope": "CFHT"},
         lambda e: e["INSTRUME"] == "DECam" and e["TELESCOP"] == "CFHT"),
        ({"object": "m42"}, lambda e: e["OBJECT"] == "M 42"),
        ({"exptime_min": "60", "exptime_max": "150"},
         lambda e: e["EXPTIME"] is not None and 60 <= e["EXPTIME"] <= 150),
        ({"date_min": "2020-01-05", "date_max": "2020-01-10T12:00:00"},
         lambda e: e["DATE-OBS"] is not None and "2020-01-05" <= e["DATE-OBS"] <= "2020-01-10T12:00:00"),
        ({"date_min": "58856.25"},  # an MJD: 2020-01-08T06:00
         lambda e: e["DATE-OBS"] is not None and e["DATE-OBS"] >= "2020-01-08T06:00:00"),
        ({"bunit": "electron/s"}, lambda e: e["BUNIT"] == "electron/s"),
        ({"header.AIRMASS": "1.2"}, lambda e: e["AIRMASS"] == 1.2),
        ({"header.INSTRUME": "DECam", "q": "ngc 100"},
         lambda e: e["INSTRUME"] == "DECam" and e["OBJECT"].startswith("NGC 100")),
        ({"q": "exp_001"}, None),  # file names exp_0010 .. exp_0019
    ]  # fmt: skip
    for params, predicate in cases:
        found = {r["id"] for r in all_pages(client, params)}
        if predicate is None:
            wanted = {
                pk for pk in sky_images
                if client.get(f"/api/images/{pk}/").json()["name"].startswith("exp_001")
            }  # fmt: skip
        else:
            wanted = expected_ids(
                sky_images, visible["owner"], lambda w, e, predicate=predicate: predicate(e)
            )
        assert found == wanted, params
        assert found, params


def test_filters_combine_with_a_cone(users, sky_images, visible):
    client = client_for(users, "other")
    ra, dec, radius = 150.0, 2.0, 3.0
    found = {
        r["id"] for r in all_pages(client, {"ra": ra, "dec": dec, "radius": radius, "filter": "g"})
    }
    wanted = expected_ids(
        sky_images, visible["other"],
        lambda w, e: e["FILTER"] == "g" and skyref.distance(w, ra, dec) <= radius,
    )  # fmt: skip
    assert found == wanted and found


@pytest.mark.parametrize("sort", ["date_obs", "-date_obs", "exptime", "-exptime", "object", "-id"])
def test_sorted_pages_cover_everything_once_in_order(users, sky_images, visible, sort):
    client = client_for(users, "owner")
    results = all_pages(client, {"sort": sort}, page_size=8)
    assert {r["id"] for r in results} == set(sky_images)
    field = {"date_obs": "date_obs", "exptime": "exptime", "object": "object"}.get(sort.lstrip("-"))
    if field is None:
        assert [r["id"] for r in results] == sorted(sky_images, reverse=True)
        return
    values = [r["metadata"][field] for r in results]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=sort.startswith("-"))
    assert all(v is None for v in values[len(known) :])  # images without a value come last


def test_pages_are_stable_while_images_are_added(users, sky_images, collections):
    client = client_for(users, "owner")
    before = set(sky_images)
    response = client.get("/api/images/", {"sort": "-exptime", "page_size": 10})
    seen = []
    rng = np.random.default_rng(5)
    index = 1000
    while True:
        body = response.json()
        seen += [r["id"] for r in body["results"]]
        for _ in range(3):  # new images land before, among and after the pages read
            wcs = skyref.tan_wcs(rng.uniform(0, 360), 0.0, 100, 100, 1e-3, 0.0)
            exptime = float(rng.choice([0.0, 90.0, 270.0, 10_000.0]))
            make_image(collections["public"], index, wcs, {"EXPTIME": exptime})
            index += 1
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert len(seen) == len(set(seen))
    assert before <= set(seen)


def test_spatial_pages_stop_at_the_examination_budget(users, sky_images, settings):
    settings.ARCHIVE_MAX_EXAMINED = 5
    client = client_for(users, "owner")
    params = {"ra": 150.0, "dec": 2.0, "radius": 4.0}
    response = client.get("/api/images/", {**params, "page_size": 50})
    body = response.json()
    assert body["examined"] <= 8 and body["next"]
    settings.ARCHIVE_MAX_EXAMINED = 5000
    everything = {r["id"] for r in all_pages(client, params, page_size=50)}
    settings.ARCHIVE_MAX_EXAMINED = 5
    assert {r["id"] for r in all_pages(client, params, page_size=50)} == everything


@pytest.mark.parametrize(
    "params",
    [
        {"ra": "abc", "dec": "1", "radius": "1"},
        {"ra": "10", "dec": "1"},
        {"ra": "10", "dec": "1", "radius": "91"},
        {"ra": "10", "dec": "95", "radius": "1"},
        {"ra": "nan", "dec": "1", "radius": "1"},
        {"box": "1,2,3"},
        {"box": "1,5,3,2"},
        {"contains": "1"},
        {"ra": "1", "dec": "1", "radius": "1", "box": "1,2,3,4"},
        {"sort": "password"},
        {"cursor": "bm90IGEgY3Vyc29y"},
        {"cursor": "!!!"},
        {"header.NOT A KEY": "1"},
        {"date_min": "yesterday"},
        {"exptime_min": "1e400"},
        {"state": "gone"},
        {"page_size": "-1"},
        {"q": " ".join(["w"] * 20)},
        # PostgreSQL stores no NUL in text: refused before any query, on every database.
        {"q": "m51\x00"},
        {"object": "\x00"},
        {"filter": "r\x00", "sort": "object"},
        {"header.OBJECT": "x\x00y"},
    ],
)
def test_bad_queries_are_400_with_a_message(users, params):
    response = client_for(users, "owner").get("/api/images/", params)
    assert response.status_code == 400, (params, response.content)
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_results_carry_metadata_footprint_and_links(users, sky_images):
    client = client_for(users, "owner")
    result = client.get("/api/images/", {"object": "M42", "page_size": 1}).json()["results"][0]
    wcs, extras, _ = sky_images[result["id"]]
    meta = result["metadata"]
    assert meta["object"] == "M 42" and meta["instrument"] == extras["INSTRUME"]
    assert meta["pixel_scale"] == pytest.approx(abs(np.linalg.det(wcs.wcs.cd)) ** 0.5 * 3600)
    corners = wcs.calc_footprint(center=False)
    got = np.array(meta["polygons"][0])
    assert sky.angle(sky.unit_vectors(*got.T), sky.unit_vectors(*corners.T)).max() < 1e-6
    assert result["page_url"] == f"/images/{result['id']}/"
    assert result["thumbnail_url"] == f"/api/images/{result['id']}/tiles/0/0/0.jpg"


def test_common_words_are_checked_row_by_row_with_the_same_answer(users, sky_images, monkeypatch):
    from archive import search

    client = client_for(users, "owner")
    queries = [{"q": "ngc 100"}, {"q": "exp_00"}, {"q": "m42", "sort": "exptime"}]
    listed = [[r["id"] for r in all_pages(client, q)] for q in queries]
    monkeypatch.setattr(search, "COMMON_WORD", 1)  # every word is common now
    assert [[r["id"] for r in all_pages(client, q)] for q in queries] == listed
    assert all(listed)


@pytest.mark.parametrize("who", ["other", "owner"])
def test_many_visible_collections_give_the_same_answers(users, sky_images, monkeypatch, who):
    """Whether the visible collections are listed (few) or asked row by row (many)."""
    from archive import search

    client = client_for(users, who)
    queries = [
        {"ra": 150.0, "dec": 2.0, "radius": 2.0},
        {"box": "358,8,2,12"},
        {"sort": "-date_obs"},
        {"filter": "g,r", "sort": "exptime"},
    ]
    listed = [[r["id"] for r in all_pages(client, q)] for q in queries]
    monkeypatch.setattr(search, "FEW_COLLECTIONS", 0)
    assert [[r["id"] for r in all_pages(client, q)] for q in queries] == listed
    assert all(listed)


@pytest.mark.parametrize(
    "who, params",
    [
        ("owner", {"sort": "-id"}),
        ("owner", {"sort": "id"}),
        ("other", {"sort": "-id", "filter": "g,r"}),
        ("other", {"sort": "id", "exptime_min": "100"}),
        (None, {"sort": "-id"}),
    ],
)
def test_id_order_over_a_few_collections_is_every_visible_image_in_order(
    users, sky_images, visible, who, params
):
    """Sorted by id, each visible collection is read from its end and merged: the pages
    still hold every matching image the user may see, once, in id order."""
    client = client_for(users, who)
    ids = [r["id"] for r in all_pages(client, params, page_size=7)]
    bands = params.get("filter", "").split(",")
    low = float(params.get("exptime_min", "-inf"))
    wanted = expected_ids(
        sky_images, visible[who],
        lambda w, e: (not params.get("filter") or e["FILTER"] in bands)
        and (e["EXPTIME"] is not None and e["EXPTIME"] >= low or "exptime_min" not in params),
    )  # fmt: skip
    assert ids == sorted(wanted, reverse=params["sort"] == "-id") and ids


def test_id_order_when_a_parameter_equals_the_placeholder_collection(
    users, sky_images, visible, monkeypatch
):
    """The merged statement is built once for an id no collection has, then given each
    collection's; should a filter's value equal that id, each collection's part is built
    on its own instead, with the same answer."""
    from archive import search

    client = client_for(users, "owner")
    params = {"sort": "-id", "exptime_min": "0"}
    built = [r["id"] for r in all_pages(client, params, page_size=7)]
    monkeypatch.setattr(search, "NO_COLLECTION", 0)  # 0 == the exposure bound 0.0
    assert [r["id"] for r in all_pages(client, params, page_size=7)] == built
    wanted = expected_ids(sky_images, visible["owner"], lambda w, e: e["EXPTIME"] is not None)
    assert built == sorted(wanted, reverse=True) and built


@pytest.mark.parametrize("few", [200, 0])
def test_a_moved_image_is_found_where_it_went_and_only_by_who_sees_it_there(
    users, sky_images, collections, monkeypatch, few
):
    """The metadata's copy of the collection follows the image; the image's own column
    decides who sees a result, even when the copy says otherwise; whether the user's
    collections are listed (few) or asked through their query (many)."""
    from archive import search
    from archive.models import ImageMetadata

    monkeypatch.setattr(search, "FEW_COLLECTIONS", few)

    private, public = collections["private"], collections["public"]
    image_id = next(pk for pk, (_, e, c) in sky_images.items() if c == private and e["FILTER"])
    other = client_for(users, "other")  # sees the public and team collections only
    ra, dec = sky_images[image_id][0].wcs.crval
    pages = (
        {"sort": "-date_obs"}, {"sort": "-id"}, {"filter": "g,r,i,Ha,R"}, {"q": "exp"},
        {"ra": ra, "dec": dec, "radius": 0.5}, {"contains": f"{ra},{dec}"},
    )  # fmt: skip
    assert all(image_id not in {r["id"] for r in all_pages(other, p)} for p in pages)

    image = ImageMetadata.objects.get(pk=image_id).image
    image.collection = public
    image.save(update_fields=["collection", "updated"])
    assert ImageMetadata.objects.get(pk=image_id).collection_id == public.pk
    assert all(image_id in {r["id"] for r in all_pages(other, p)} for p in pages)

    image.collection = private
    image.save(update_fields=["collection", "updated"])
    # A copy gone stale (rows changed behind the portal's back) shows nothing more.
    ImageMetadata.objects.filter(pk=image_id).update(collection_id=public.pk)
    assert all(image_id not in {r["id"] for r in all_pages(other, p)} for p in pages)


@pytest.mark.parametrize("sort", ["-date_obs", "exptime", "-id"])
@pytest.mark.parametrize("who", ["other", "owner"])
def test_spatial_results_come_in_the_sort_order(users, sky_images, visible, sort, who):
    """A spatial search sorts its candidates itself (not by the sort's index): every
    match once, in order, images without a value last."""
    client = client_for(users, who)
    ra, dec, radius = 150.0, 2.0, 4.0
    results = all_pages(client, {"ra": ra, "dec": dec, "radius": radius, "sort": sort}, 5)
    wanted = expected_ids(
        sky_images, visible[who], lambda w, e: skyref.distance(w, ra, dec) <= radius
    )
    assert [r["id"] for r in results if r["id"] in wanted] == [r["id"] for r in results]
    assert {r["id"] for r in results} == wanted and len(wanted) > 10
    if sort == "-id":
        assert [r["id"] for r in results] == sorted(wanted, reverse=True)
        return
    values = [r["metadata"][sort.lstrip("-")] for r in results]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=sort.startswith("-"))
    assert all(v is None for v in values[len(known) :])


def _word_index():
    """image id -> the words a query's words are prefixes of: those of its title, file
    name and object, and the object's letters and digits run together (read from the
    rows, as the docs of ``q`` say, not from the archive's tables)."""
    from portal.models import Image

    index = {}
    for pk, title, name, header in Image.objects.values_list("pk", "title", "name", "header"):
        obj = header.get("OBJECT") or ""
        words = set(re.findall(r"[a-z0-9]+", f"{title} {name} {obj}".lower()))
        index[pk] = words | {"".join(re.findall(r"[a-z0-9]+", obj.lower()))} - {""}
    return index


WORD_QUERIES = [
    "ngc 001",  # common word + rare one: the images exp_0010 .. 0019 of an NGC object
    "001 m42",  # the rare word first, then a common one
    "ngc 0012",  # exp_0012 is of M 42: nothing
    "m 42 exp fits",  # several words, all common
    "ngc 100 fits 0",  # several, two of them common, "0" a prefix of many
    "ngc1004 exp_00",
    "zz ngc",
]


@pytest.mark.parametrize("common", [20_000, 30, 1])
@pytest.mark.parametrize("who", [None, "other", "owner"])
def test_words_are_exact_whichever_word_drives(
    users, sky_images, visible, monkeypatch, who, common
):
    """Every word of ``q`` is a prefix of one of the image's words, whether the rarest
    word lists the candidates (others asked of each) or every word is asked of each row
    read; for users who see some of the collections too."""
    from archive import search

    monkeypatch.setattr(search, "COMMON_WORD", common)  # 30: "ngc", "exp", "fits" common
    client = client_for(users, who)
    index = _word_index()
    hits = 0
    for text in WORD_QUERIES:
        terms = re.findall(r"[a-z0-9]+", text)
        found = [r["id"] for r in all_pages(client, {"q": text}, page_size=6)]
        named = {
            pk for pk, ws in index.items() if all(any(x.startswith(t) for x in ws) for t in terms)
        }
        wanted = expected_ids(sky_images, visible[who], lambda w, e: True) & named
        assert set(found) == wanted, (text, common)
        hits += len(found)
    assert hits > 10


def _expected_order(pairs, descending):
    """(value, id) pairs as a sorted search lists them: by value then id, the images
    without a value after the others, by id, in the same direction."""
    known = sorted(((v, pk) for v, pk in pairs if v is not None), reverse=descending)
    missing = sorted((pk for v, pk in pairs if v is None), reverse=descending)
    return [pk for _, pk in known] + missing


@pytest.mark.parametrize("sort", ["-date_obs", "exptime", "-id"])
@pytest.mark.parametrize("who", ["other", "owner"])
def test_words_asked_of_the_first_sorted_candidates_keep_the_order(
    users, sky_images, visible, who, sort
):
    """The rarest word lists the candidates; the others are asked of its first sorted
    ones, then (when those do not fill the page) in the statement: the pages are every
    match once, in the sort's order. "1006 exp_001": one of the ten images of "001" is
    of NGC 1006, the one without an exposure time, so that sorted by it, a page of one
    is not filled by the first chunk; "m42 ngc": none of them has both."""
    client = client_for(users, who)
    index = _word_index()
    column = {"date_obs": "DATE-OBS", "exptime": "EXPTIME"}.get(sort.lstrip("-"))
    found_any = False
    for text in ("1006 exp_001", "ngc 001", "001 m42", "m42 ngc", "exp m42 0"):
        terms = re.findall(r"[a-z0-9]+", text)
        named = {
            pk for pk, ws in index.items() if all(any(x.startswith(t) for x in ws) for t in terms)
        }
        wanted = expected_ids(sky_images, visible[who], lambda w, e: True) & named
        pairs = [(sky_images[pk][1][column] if column else pk, pk) for pk in wanted]
        for size in (1, 4):
            found = [r["id"] for r in all_pages(client, {"q": text, "sort": sort}, size)]
            assert found == _expected_order(pairs, sort.startswith("-")), (text, size)
        found_any = found_any or bool(found)
        if who == "owner" and text == "1006 exp_001":
            assert len(found) == 1  # exp_0013
    assert found_any


@pytest.mark.parametrize("common", [20_000, 1])
@pytest.mark.parametrize("sort", ["-date_obs", "date_obs", "exptime", "-exptime", "-id"])
@pytest.mark.parametrize("who", ["other", "owner"])
def test_exposure_range_in_every_order(users, sky_images, visible, monkeypatch, who, sort, common):
    """An exposure-time range, listed and sorted (few) or asked of each row read from the
    sort's index (common): the same images, in the sort's order, both ways."""
    from archive import search

    monkeypatch.setattr(search, "COMMON_MATCH", common)
    client = client_for(users, who)
    for low, high in ((60, 150), (0, 30), (100, 10_000)):
        params = {"exptime_min": str(low), "exptime_max": str(high), "sort": sort}
        found = [r["id"] for r in all_pages(client, params, page_size=7)]
        wanted = expected_ids(
            sky_images, visible[who],
            lambda w, e, low=low, high=high: e["EXPTIME"] is not None and low <= e["EXPTIME"] <= high,
        )  # fmt: skip
        column = {"date_obs": "DATE-OBS", "exptime": "EXPTIME"}.get(sort.lstrip("-"))
        pairs = [(sky_images[pk][1][column] if column else pk, pk) for pk in wanted]
        assert found == _expected_order(pairs, sort.startswith("-")), (params, common)
        assert found or low == 0


@pytest.mark.parametrize("common", [500, 1])
@pytest.mark.parametrize("who", [None, "other", "owner"])
def test_header_keywords_whether_indexed_or_asked_row_by_row(
    users, sky_images, visible, monkeypatch, who, common
):
    """header.KEYWORD=value as text, number (integer or not) and T/F, through the
    headers' index where the database has one (a rare value) or row by row (common)."""
    from archive import search

    monkeypatch.setattr(search, "COMMON_HEADER", common)
    client = client_for(users, who)
    hits = 0
    cases = [
        ({"header.AIRMASS": "1.2"}, lambda e: e["AIRMASS"] == 1.2),
        ({"header.airmass": "1.20", "sort": "exptime"}, lambda e: e["AIRMASS"] == 1.2),
        ({"header.EXPTIME": "60"}, lambda e: e["EXPTIME"] == 60.0),
        ({"header.INSTRUME": "DECam", "header.TELESCOP": "CFHT"},
         lambda e: e["INSTRUME"] == "DECam" and e["TELESCOP"] == "CFHT"),
        ({"header.OBJECT": "NGC 1004", "sort": "-exptime"}, lambda e: e["OBJECT"] == "NGC 1004"),
        ({"header.DITHERED": "T"}, lambda e: e["DITHERED"] is True),
        ({"header.DITHERED": "F", "filter": "g"},
         lambda e: e["DITHERED"] is False and e["FILTER"] == "g"),
        ({"header.OBJECT": "ngc 1004"}, lambda e: False),  # the stored text, exactly
        ({"header.NOSUCH": "1"}, lambda e: False),
    ]  # fmt: skip
    for params, predicate in cases:
        found = [r["id"] for r in all_pages(client, params, page_size=8)]
        assert len(found) == len(set(found))
        wanted = expected_ids(sky_images, visible[who], lambda w, e, p=predicate: p(e))
        assert set(found) == wanted, (params, common)
        hits += len(found)
    assert hits > 10


def test_rare_filters_start_from_their_images_and_common_ones_are_asked_of_each_row(
    users, sky_images, monkeypatch
):
    """Which plan a query gets: a rare word, range or (where indexed) header value
    names the candidates; counted common, it is asked of each row (the range with its
    index hidden, the header without "@>")."""
    from django.db import connection

    from archive import search

    rare = {"q": "ngc 001", "exptime_min": "60", "exptime_max": "90", "header.AIRMASS": "1.2"}
    parsed = search.SearchQuery.parse(rare)
    assert parsed.few
    # The rarer word lists the candidates; the other is asked of the first sorted ones.
    assert len(parsed.subqueries) == 1 and len(parsed.later) == 1
    assert "EXISTS" not in str(search._matching(parsed, later=False).query)
    sql = str(search._matching(parsed).query)
    assert "EXISTS" in sql
    assert ('"exptime" + ' not in sql) and (
        "@>" in sql
    ) == connection.features.supports_json_field_contains
    for name in ("COMMON_WORD", "COMMON_MATCH", "COMMON_HEADER"):
        monkeypatch.setattr(search, name, 1)
    parsed = search.SearchQuery.parse(rare)
    sql = str(search._matching(parsed).query)
    assert not parsed.few and '"exptime" + ' in sql and "@>" not in sql
    assert not parsed.later and len(parsed.subqueries) == 2


def test_a_box_meets_a_footprint_of_several_parts_when_it_meets_any_part():
    """A page's candidates are tested against the box all at once: each image's parts
    (a mosaic's extensions) answer for that image alone, and one part meeting the box is
    enough. Expected from dense sampling of each part's WCS."""
    from types import SimpleNamespace

    from archive import search as archive_search
    from archive import sky

    rng = np.random.default_rng(5)
    boxes = [(10.0, -5.0, 12.0, -3.0), (359.0, 20.0, 1.5, 22.0), (100.0, 60.0, 110.0, 64.0)]
    for box in boxes:
        metas, wanted = [], []
        for _ in range(12):
            parts = []
            for _ in range(int(rng.integers(1, 4))):
                ra = (box[0] + rng.uniform(-3, 5)) % 360
                dec = float(np.clip(rng.uniform(box[1] - 3, box[3] + 3), -89, 89))
                parts.append(skyref.tan_wcs(ra, dec, 100, 80, rng.uniform(0.005, 0.02), 30))
            corners = [w.calc_footprint(axes=w.pixel_shape, center=False) for w in parts]
            metas.append(SimpleNamespace(polygons=[c.tolist() for c in corners]))
            wanted.append(any(skyref.meets_box(w, box) for w in parts))
        query = archive_search.BoxQuery(sky.Box(*box))
        assert any(wanted) and not all(wanted), box  # the case says something
        assert archive_search.matching_rows(query, metas) == wanted, box
        assert [query.meets([meta.polygons])[0] for meta in metas] == wanted, box


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw-root")


def test_a_superuser_is_asked_no_collection_and_sees_every_image(superuser, sky_images):
    """The rule names no collection for a superuser: nothing is asked of the
    collections, and every image is found, by the sky (against astropy), words and
    filters, in every order."""
    client = APIClient()
    client.force_authenticate(superuser)
    everyone = {pk for pk, (_, _, c) in sky_images.items()}
    for ra, dec, radius in list(queries(1))[::2]:
        found = {r["id"] for r in all_pages(client, {"ra": ra, "dec": dec, "radius": radius})}
        wanted = {
            pk for pk, (w, _, _) in sky_images.items() if skyref.distance(w, ra, dec) <= radius
        }
        assert found == wanted, (ra, dec, radius)
    wcs = next(iter(sky_images.values()))[0]
    ra, dec = wcs.wcs.crval
    found = {r["id"] for r in all_pages(client, {"contains": f"{ra},{dec}"})}
    point = SkyCoord(ra, dec, unit="deg")
    assert found == {pk for pk, (w, _, _) in sky_images.items() if skyref.contains(w, point)}
    assert found
    for sort in ("-date_obs", "exptime", "-id"):
        assert {r["id"] for r in all_pages(client, {"sort": sort}, page_size=25)} == everyone
    ids = [r["id"] for r in all_pages(client, {"sort": "id", "filter": "g"}, page_size=7)]
    assert ids == sorted(pk for pk, (_, e, _) in sky_images.items() if e["FILTER"] == "g")
    found = {r["id"] for r in all_pages(client, {"q": "ngc 100"})}
    assert found == {
        pk for pk, (_, e, _) in sky_images.items() if e["OBJECT"].startswith("NGC 100")
    }


@pytest.mark.parametrize("who", ["other", "owner"])
def test_sky_candidates_listed_or_read_through_the_cells_give_the_same_answers(
    users, sky_images, monkeypatch, who
):
    """A spatial query's candidates listed in the statement (few: read as a union of
    one scan per cell range, or, past ``UNION_RANGES``, as the ranges OR'd in one
    condition) or named by the cells' subquery (many): the same pages."""
    from archive import search

    client = client_for(users, who)
    wcs = next(iter(sky_images.values()))[0]
    queries = [
        {"ra": 150.0, "dec": 2.0, "radius": 2.0},
        {"ra": 0.5, "dec": -30.0, "radius": 3.0, "sort": "exptime"},
        {"box": "358,8,2,12", "sort": "-id"},
        {"contains": "{},{}".format(*wcs.wcs.crval)},
    ]
    listed = [[r["id"] for r in all_pages(client, q)] for q in queries]
    monkeypatch.setattr(search, "UNION_RANGES", 0)
    assert [[r["id"] for r in all_pages(client, q)] for q in queries] == listed
    monkeypatch.setattr(search, "LISTED_CANDIDATES", 0)
    assert [[r["id"] for r in all_pages(client, q)] for q in queries] == listed
    assert all(listed[:3])


def test_listed_candidates_are_one_parameter_of_the_statement(users, sky_images):
    """A spatial search's candidates go into its statements as one parameter (an array,
    or a JSON list on SQLite), not one placeholder each: thousands of candidates cost
    neither thousands of lookups to build nor of parameters to convert."""
    from django.db import connection

    from archive import search
    from archive.models import ImageMetadata

    ids = sorted(sky_images)
    client = client_for(users, "owner")
    cone = {"ra": 150.0, "dec": 2.0, "radius": 20.0}
    candidates = search._sky_candidates(search.Cone(**cone))
    assert len(candidates) > 20
    counts = []

    def count(execute, sql, params, many, context):
        counts.append((len(params or ()), sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get("/api/images/", cone)
    assert response.status_code == 200 and response.json()["results"]
    # (The cells' ranges are parameters of their own statement.)
    assert max(n for n, sql in counts if "archive_skycell" not in sql) < 20, counts
    ordered = [sql for _, sql in counts if "ORDER BY" in sql and "archive_imagemetadata" in sql]
    assert ordered and all("json_each" in sql or "ANY(" in sql for sql in ordered), ordered
    # Whatever the database, the same rows as an IN list, and none for no ids.
    listed = ImageMetadata.objects.filter(search.Listed("pk", ids[::3] + [10**12]))
    assert sorted(listed.values_list("pk", flat=True)) == ids[::3]
    assert not ImageMetadata.objects.filter(search.Listed("pk", [])).exists()
    assert ImageMetadata.objects.exclude(search.Listed("pk", ids[1:])).count() == 1


def test_a_candidate_deleted_before_its_footprint_is_read_meets_nothing(sky_images):
    """The footprints of a page's candidates are read by id after the candidates: one
    deleted in between has none, and meets no query, where the others still do."""
    from archive import search
    from archive.models import ImageMetadata

    first, second = sorted(sky_images)[:2]
    meta = ImageMetadata.objects.get(pk=first)
    ra, dec = meta.ra, meta.dec
    cone = search.Cone(ra, dec, 0.01)
    assert search._meet(cone, [(first,), (second,)])[0] is True
    ImageMetadata.objects.filter(pk=first).delete()
    assert search._meet(cone, [(first,), (second,)])[0] is False
