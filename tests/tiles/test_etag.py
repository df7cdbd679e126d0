"""ETags: each of their inputs -- the image's version, its checksum, whether its pyramid
is used, the colour tables, the tile, the region's level and box, every rendering parameter -- changes the
ETag when it alone changes, and only the same answer gets a 304: never another tile,
another region, or the same place rendered otherwise."""

import dataclasses
import itertools
import re

import numpy as np
import pytest
from astropy.io import fits
from rest_framework.test import APIClient

from portal import permissions
from portal.models import Collection, Image
from portal.registration import register_path
from tiles import service
from tiles.engine import RenderParams, build_pyramid, open_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "etag.fits"
    rng = np.random.default_rng(5)
    fits.PrimaryHDU(rng.normal(100, 10, (2, 600, 700)).astype(np.float32)).writeto(path)
    image = register_path(collections[Collection.PRIVATE], path)
    build_pyramid(image.path, image.cache_dir)
    permissions.forget_cached_access()
    return image


@pytest.fixture
def owner(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


def etag_of(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.content[:200])
    return response["ETag"]


# Every field given, away from the engine's defaults (which may change).
BASE = {"minmax": ((10.0, 200.0), (5.0, 150.0)), "channel": 0, "mix": None, "colormap": "grey",
        "invert": False, "contrast": 1.25, "brightness": 0.05, "gamma": 1.7, "stretch": "linear",
        "quality": 61, "fmt": "jpeg", "smooth": 0.0}  # fmt: skip
# Each rendering parameter moved away from the base, one at a time.
CHANGES = {
    "minmax lo": {"minmax": ((11.0, 200.0), (5.0, 150.0))},
    "minmax hi": {"minmax": ((10.0, 201.0), (5.0, 150.0))},
    "minmax of the other channel": {"minmax": ((10.0, 200.0), (5.0, 151.0))},
    "channel": {"channel": 1},
    "colour mode": {"channel": None},
    "mix": {"channel": None, "mix": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))},
    "colormap": {"colormap": "viridis"},
    "invert": {"invert": True},
    "contrast": {"contrast": 1.5},
    "brightness": {"brightness": 0.1},
    "gamma": {"gamma": 2.2},
    "stretch": {"stretch": "sqrt"},
    "quality": {"quality": 80},
    "format": {"fmt": "png"},
    "smooth": {"smooth": 1.5},
}


def test_every_rendering_parameter_is_among_those_checked():
    """A parameter added to RenderParams must be added here: its ETag is then checked."""
    fields = {f.name for f in dataclasses.fields(RenderParams) if not f.name.startswith("_")}
    assert fields == set(BASE)
    assert fields == {name for change in CHANGES.values() for name in change}


def test_every_input_alone_changes_the_etag(image):
    data = service.open_data(image)
    base = RenderParams(**BASE)
    reference = service.etag_for(image, data, "t0/0/0", base)
    assert re.fullmatch(r'"[0-9a-f]{16,}"', reference)  # a strong ETag: a quoted hash
    assert service.etag_for(image, data, "t0/0/0", RenderParams(**BASE)) == reference
    seen = {reference: "base"}

    def distinct(label, etag):
        assert etag not in seen, f"{label} gives the ETag of {seen.get(etag)}"
        seen[etag] = label

    for label, change in CHANGES.items():
        distinct(label, service.etag_for(image, data, "t0/0/0", RenderParams(**{**BASE, **change})))
    for what in ("t1/0/0", "t0/1/0", "t0/0/1", "r0/0,0,256,256", "r1/0,0,256,256"):
        distinct(what, service.etag_for(image, data, what, base))
    version, checksum = image.version, image.checksum
    image.version = version + 1
    distinct("version", service.etag_for(image, data, "t0/0/0", base))
    image.version, image.checksum = version, "0" * len(checksum)
    distinct("checksum", service.etag_for(image, data, "t0/0/0", base))
    image.checksum = checksum
    tables = service.COLOUR_TABLES  # the colour tables the engine renders with
    try:
        service.COLOUR_TABLES = "another matplotlib"
        distinct("colour tables", service.etag_for(image, data, "t0/0/0", base))
    finally:
        service.COLOUR_TABLES = tables
    plain = open_image(image.path)  # the same file read without its pyramid
    try:
        assert not plain.has_pyramid and data.has_pyramid
        distinct("without the pyramid", service.etag_for(image, plain, "t0/0/0", base))
    finally:
        plain.close()


def test_regions_differing_in_any_corner_or_binning_have_their_own_etag(image, owner):
    """Two region URLs share an ETag only when they name the same level pixels (at
    binning 2, x1=1 and x1=2 start in the same binned pixel): then their bytes are the
    same too (4 such pairs here). Any other pair differs in ETag, and a 304 is given to the URL's own only."""
    boxes = [(1, 1, 300, 200), (2, 1, 300, 200), (3, 1, 300, 200), (1, 2, 300, 200),
             (1, 3, 300, 200), (1, 1, 301, 200), (1, 1, 302, 200), (1, 1, 300, 201),
             (1, 1, 300, 202), (1, 1, 600, 400)]  # fmt: skip
    answers = {}
    for box, binning in itertools.product(boxes, (1, 2)):
        x1, y1, x2, y2 = box
        url = f"/api/images/{image.pk}/region.png?x1={x1}&y1={y1}&x2={x2}&y2={y2}&binning={binning}"
        response = owner.get(url)
        assert response.status_code == 200
        answers[url] = (response["ETag"], response.content)
    # At binning 2, x1 = 1 and 2 start in binned column 0, x2 = 301 and 302 end in 151
    # (and the same for y): 4 pairs name the same pixels, the 16 others differ.
    assert len({etag for etag, _ in answers.values()}) == 16
    for (url_a, (etag_a, body_a)), (url_b, (etag_b, body_b)) in itertools.combinations(
        answers.items(), 2
    ):
        assert (etag_a == etag_b) == (body_a == body_b), (url_a, url_b)
    for asked, (etag, _body) in itertools.product(answers, answers.values()):
        response = owner.get(asked, headers={"If-None-Match": etag})
        if etag == answers[asked][0]:
            assert response.status_code == 304, asked
        else:
            assert response.status_code == 200 and response.content == answers[asked][1]


def test_iip_regions_never_answer_304_for_another_region(image, owner):
    first = f"/iip/?FIF={image.pk}&RGN=1,1:300,200"
    second = f"/iip/?FIF={image.pk}&RGN=1,1:300,201"
    owner.force_login(image.collection.owner)
    etag = etag_of(owner, first)
    assert owner.get(first, headers={"If-None-Match": etag}).status_code == 304
    response = owner.get(second, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


def test_tiles_and_renderings_never_answer_304_for_another(image, owner):
    tiles = [f"/api/images/{image.pk}/tiles/{z}/{x}/{y}.png" for z, x, y in
             ((2, 0, 0), (2, 1, 0), (2, 0, 1), (1, 0, 0))]  # fmt: skip
    tiles += [tiles[0] + query for query in ("?gamma=1.3", "?colormap=hot", "?channel=2",
              "?minmax=1:0,50", "?invert=1", "?stretch=log", "?mix=1:1,0,0&mix=2:0,0,1")]  # fmt: skip
    etags = {url: etag_of(owner, url) for url in tiles}
    assert len(set(etags.values())) == len(tiles)
    for url in tiles[1:]:
        response = owner.get(url, headers={"If-None-Match": etags[tiles[0]]})
        assert response.status_code == 200, url


def test_a_new_version_of_the_image_changes_every_etag(image, owner):
    """A pyramid rebuilt without a change of file (a new version): the process that
    hears of it serves new ETags, and the old ones get full answers."""
    tile = f"/api/images/{image.pk}/tiles/2/0/0.png"
    region = f"/api/images/{image.pk}/region.png?x1=1&y1=1&x2=100&y2=100"
    before = {url: etag_of(owner, url) for url in (tile, region)}
    Image.objects.filter(pk=image.pk).update(version=image.version + 1)
    permissions.forget_cached_access()  # as a process that heard of the change
    for url, etag in before.items():
        response = owner.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200 and response["ETag"] != etag, url


def body_of(rendered):
    """The bytes of a rendering (made when asked for, or already made)."""
    return rendered.body() if callable(rendered.body) else rendered.body


def test_the_tile_cache_is_keyed_by_the_etag(image, settings):
    """A tile is kept under its ETag for TILE_CACHE_SECONDS, and what is kept under an
    ETag is what is served; with the cache off nothing is kept."""
    import time

    from django.core.cache import caches

    # The process's own cache, whose expiry can be read (with REDIS_URL the tiles live in
    # Redis: tests/tiles/test_tile_cache.py).
    settings.CACHES = {**settings.CACHES, "tiles": {
        "BACKEND": "tiles.tile_cache.BoundedLocMemCache", "LOCATION": "etag-test"}}  # fmt: skip
    tiles = caches["tiles"]
    tiles.clear()
    data = service.open_data(image)
    params = RenderParams(**BASE)
    settings.TILE_CACHE_ENABLED, settings.TILE_CACHE_SECONDS = False, 77
    first = service.tile(image, data, 0, 0, 0, params)
    first_body = body_of(first)
    assert tiles.get(first.etag) is None
    settings.TILE_CACHE_ENABLED = True
    before = time.time()
    rendered = service.tile(image, data, 0, 0, 0, params)
    body = body_of(rendered)
    assert body == first_body and tiles.get(rendered.etag) == body
    expiry = tiles._expire_info[tiles.make_key(rendered.etag)]
    assert before + 77 <= expiry <= time.time() + 77
    tiles.set(rendered.etag, b"kept under this ETag", 60)
    assert body_of(service.tile(image, data, 0, 0, 0, params)) == b"kept under this ETag"
    other = service.tile(image, data, 0, 1, 0, params)
    other_body = body_of(other)
    assert other_body != b"kept under this ETag" and tiles.get(other.etag) == other_body
