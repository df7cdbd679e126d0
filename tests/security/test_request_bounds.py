"""Every request has a bounded cost: numbers parsed safely, size-like parameters capped by
settings, heavy operations limited per process (503 + Retry-After when full)."""

import time
import tracemalloc
from contextlib import ExitStack

import httpx
import numpy as np
import pytest
import simplejpeg
from asgiref.sync import sync_to_async
from astropy.io import fits
from django.core.cache import caches
from django.test import Client
from rest_framework.test import APIClient

from portal import permissions
from portal.asgi import application
from portal.demo import star_field_wcs
from portal.models import Collection
from portal.registration import register_path
from tiles import heavy
from tiles.engine import RenderParams, encode, open_image, render, render_region
from tiles.engine import image as image_module

pytestmark = pytest.mark.django_db

HUGE_INT = "1" + "0" * 400  # 10^400 written out: int() takes it, float() cannot
HOSTILE_NUMBERS = [HUGE_INT, "10^400", "1e400", "-1e400", "nan", "inf", "-inf", "Infinity",
                   "１２", "1_000", "0x10", " ", "9" * 5000]  # fmt: skip


@pytest.fixture
def image(users, collections, settings):
    """A 600 x 400 team image (value = 1000 * row + column, 0-based)."""
    rows, cols = np.mgrid[0:400, 0:600]
    path = settings.UPLOAD_ROOT / "bounds.fits"
    header = star_field_wcs(600, 400).to_header()
    fits.PrimaryHDU((rows * 1000.0 + cols).astype(np.float32), header).writeto(path)
    return register_path(collections[Collection.TEAM], path, user=users["owner"])


@pytest.fixture
def client(users):
    permissions.forget_cached_access()
    client = APIClient()
    client.force_login(users["other"])  # DRF views and the plain IIP view alike
    return client


def assert_400_naming(response, *words):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, (word, detail)
    return detail


# --- numbers --------------------------------------------------------------------------

REST_NUMBER_URLS = [
    ("region.jpg?x1=1&y1=1&y2=20&x2={}", "x2"),
    ("region.png?x1=1&y1=1&x2=20&y2=20&binning={}", "binning"),
    ("cutout.fits?x1=1&y1=1&y2=20&x2={}", "x2"),
    ("profile/?x1=1&y1=1&y2=20&x2={}", "x2"),
    ("values/?y=1&x={}", "x"),
    ("values/?x=1&y=1&channel={}", "channel"),
    ("histogram/?bins={}", "bins"),
    ("histogram/?channel={}", "channel"),
    ("tiles/0/0/0.jpg?quality={}", "quality"),
    ("tiles/0/0/0.jpg?min={}", "min"),
    ("tiles/0/0/0.jpg?minmax=1:0,{}", "minmax"),
    ("tiles/0/0/0.jpg?gamma={}", "gamma"),
]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
@pytest.mark.parametrize(("url", "name"), REST_NUMBER_URLS)
def test_hostile_numbers_get_400_on_rest(client, image, url, name, value):
    response = client.get(f"/api/images/{image.pk}/" + url.format(value))
    assert_400_naming(response, name)


IIP_NUMBER_QUERIES = [
    ("RGN=1,1:20,{}", "RGN"),
    ("RGN=1,1:20,20&BIN={}", "BIN"),
    ("PFL=1,1:20,{}", "PFL"),
    ("VAL=1,{}", "VAL"),
    ("JTL=0,{}", "JTL"),
    ("JTL=0,0&QLT={}", "QLT"),
    ("JTL=0,0&CNT={}", "CNT"),
    ("JTL=0,0&MINMAX=1:0,{}", "MINMAX"),
    ("JTL=0,0&MIX={}:1,1,1", "MIX"),
    ("VAL=1,1&CHAN={}", "CHAN"),
]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
@pytest.mark.parametrize(("query", "name"), IIP_NUMBER_QUERIES)
def test_hostile_numbers_get_400_on_iip(client, image, query, name, value):
    response = client.get(f"/iip/?FIF={image.pk}&" + query.format(value))
    assert_400_naming(response, name)


def test_big_but_sane_numbers_still_work(client, image):
    # A region beyond the image is clipped to it (the viewer sends its map bounds).
    response = client.get(f"/api/images/{image.pk}/region.jpg?x1=-9999&y1=-9999&x2=9999&y2=9999"
                          "&binning=4")  # fmt: skip
    assert response.status_code == 200
    assert client.get(f"/api/images/{image.pk}/values/?x=1e6&y=-1e6").json()["values"] == [None]
    assert client.get(f"/iip/?FIF={image.pk}&JTL=99999999999999999999,0").status_code == 200


# --- profiles -------------------------------------------------------------------------


def test_iip_profile_of_ten_million_pixels_is_refused_at_once(client, image, settings):
    started = time.monotonic()
    response = client.get(f"/iip/?FIF={image.pk}&PFL=1,1:10000000,1")
    elapsed = time.monotonic() - started
    detail = assert_400_naming(response, "PFL", f"{settings.MAX_PROFILE_POINTS:,}")
    assert len(response.content) < 500 and elapsed < 5, (len(response.content), elapsed)
    assert "10,000,000" in detail


@pytest.mark.parametrize(
    "url",
    ["/iip/?FIF={pk}&PFL=1,1:{n},1", "/api/images/{pk}/profile/?x1=1&y1=1&x2={n}&y2=1"],
)
def test_one_profile_cap_for_iip_and_rest(client, image, settings, url):
    settings.MAX_PROFILE_POINTS = 50
    assert client.get(url.format(pk=image.pk, n=50)).status_code == 200  # 50 pixels
    response = client.get(url.format(pk=image.pk, n=51))
    assert_400_naming(response, "51", "50")


def test_profile_values_are_capped_across_channels(client, image, settings):
    settings.MAX_PROFILE_VALUES = 100
    ok = client.get(f"/iip/?FIF={image.pk}&PFL=1,1:50,1&CHAN=1&CHAN=1")
    assert ok.status_code == 200 and len(ok.json()["profile"]) == 50
    response = client.get(f"/iip/?FIF={image.pk}&PFL=1,1:50,1&CHAN=1&CHAN=1&CHAN=1")
    assert_400_naming(response, "150", "100")
    rest = client.get(f"/api/images/{image.pk}/profile/?x1=1&y1=1&x2=50&y2=1"
                      "&channel=1&channel=1&channel=1")  # fmt: skip
    assert_400_naming(rest, "150", "100")


# --- other size-like parameters -------------------------------------------------------


def test_listed_channels_are_capped(client, image, settings):
    settings.MAX_REQUEST_CHANNELS = 4
    assert client.get(f"/iip/?FIF={image.pk}&VAL=1,1" + "&CHAN=1" * 4).status_code == 200
    assert_400_naming(client.get(f"/iip/?FIF={image.pk}&VAL=1,1" + "&CHAN=1" * 5), "CHAN", "4")
    rest = client.get(f"/api/images/{image.pk}/values/?x=1&y=1" + "&channel=1" * 5)
    assert_400_naming(rest, "channel", "4")
    mix = client.get(
        f"/iip/?FIF={image.pk}&JTL=0,0" + "".join(f"&MIX={c}:1,1,1" for c in range(1, 6))
    )
    assert_400_naming(mix, "MIX", "4")


def test_region_cap_is_the_setting_on_rest_and_iip(client, image, settings):
    settings.MAX_REGION_PIXELS = 10_000
    assert (
        client.get(f"/api/images/{image.pk}/region.jpg?x1=1&y1=1&x2=100&y2=100").status_code == 200
    )
    rest = client.get(f"/api/images/{image.pk}/region.jpg?x1=1&y1=1&x2=101&y2=100")
    assert_400_naming(rest, "10,000")
    iip = client.get(f"/iip/?FIF={image.pk}&RGN=1,1:201,101")  # 200 x 100 level pixels
    assert_400_naming(iip, "10,000")


def test_cutout_cap_is_a_setting(client, image, settings):
    settings.MAX_CUTOUT_PIXELS = 10_000
    ok = client.get(f"/api/images/{image.pk}/cutout.fits?x1=1&y1=1&x2=100&y2=100")
    assert ok.status_code == 200
    response = client.get(f"/api/images/{image.pk}/cutout.fits?x1=1&y1=1&x2=101&y2=100")
    assert_400_naming(response, "10,100", "10,000")


def test_histogram_bins_are_capped_by_a_setting(client, image, settings):
    settings.MAX_HISTOGRAM_BINS = 512
    assert len(client.get(f"/api/images/{image.pk}/histogram/?bins=512").json()["counts"]) == 512
    assert_400_naming(client.get(f"/api/images/{image.pk}/histogram/?bins=513"), "bins", "512")


# --- concurrency ----------------------------------------------------------------------

HEAVY_URLS = [
    ("region", "/api/images/{pk}/region.jpg?x1=1&y1=1&x2=100&y2=100"),
    ("region", "/iip/?FIF={pk}&RGN=1,1:100,100"),
    ("cutout", "/api/images/{pk}/cutout.fits?x1=1&y1=1&x2=10&y2=10"),
    ("profile", "/api/images/{pk}/profile/?x1=1&y1=1&x2=10&y2=10"),
    ("profile", "/iip/?FIF={pk}&PFL=1,1:10,10"),
    ("histogram", "/api/images/{pk}/histogram/"),
]


@pytest.mark.parametrize(("kind", "url"), HEAVY_URLS)
def test_heavy_operation_beyond_the_slots_gets_503_with_retry_after(
    client, image, settings, kind, url
):
    settings.HEAVY_SLOTS = {**settings.HEAVY_SLOTS, kind: 2}
    url = url.format(pk=image.pk)
    with heavy.slot(kind), heavy.slot(kind):  # every slot taken, as by two slow requests
        response = client.get(url)
        assert response.status_code == 503
        assert int(response["Retry-After"]) == settings.HEAVY_RETRY_AFTER
        assert response["Content-Type"] == "application/json"
        assert kind in response.json()["detail"]
        # Tiles and other kinds are not held up.
        assert client.get(f"/api/images/{image.pk}/tiles/0/0/0.jpg").status_code == 200
        assert client.get(f"/api/images/{image.pk}/values/?x=1&y=1").status_code == 200
    assert client.get(url).status_code == 200  # the slots are back


def test_a_failed_heavy_operation_gives_its_slot_back(client, image, settings):
    settings.HEAVY_SLOTS = {**settings.HEAVY_SLOTS, "region": 1}
    for _ in range(3):
        response = client.get(
            f"/api/images/{image.pk}/region.jpg?x1=1&y1=1&x2=20&y2=20&quality=500"
        )
        assert response.status_code == 400
        response = client.get(f"/api/images/{image.pk}/region.jpg?x1=5000&y1=1&x2=5020&y2=20")
        assert response.status_code == 400
    assert client.get(f"/api/images/{image.pk}/region.jpg?x1=1&y1=1&x2=20&y2=20").status_code == 200


def test_slots_are_per_kind_and_bounded(settings):
    settings.HEAVY_SLOTS = {**settings.HEAVY_SLOTS, "region": 3, "cutout": 1}
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(heavy.slot("region"))
        assert heavy.in_use("region") == 3
        with pytest.raises(heavy.Busy) as busy, heavy.slot("region"):
            pass
        assert busy.value.retry_after == settings.HEAVY_RETRY_AFTER
        with heavy.slot("cutout"):  # another kind has its own slots
            assert heavy.in_use("cutout") == 1
    assert heavy.in_use("region") == heavy.in_use("cutout") == 0
    with heavy.slot("region"):
        pass


# --- the memory of one region ---------------------------------------------------------


def whole_region_bytes(data, level, box, params):
    """The region rendered all at once, as before strips: the reference bytes (a colour
    JPEG whose colours are equal encoded grey, as tiles and regions are)."""
    planes = data.region_data(level, *box, params.channels_needed)
    pixels, alpha = render(np.ascontiguousarray(planes), params, grey_when_equal=True)
    return encode(pixels, params.fmt, params.quality, alpha)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
@pytest.mark.parametrize("colour", [False, True])
def test_region_in_strips_is_the_region_at_once(tmp_path, monkeypatch, fmt, colour):
    rng = np.random.default_rng(3)
    cube = rng.normal(100, 20, (3, 300, 437)).astype(np.float32)
    cube[:, 10:20, 30:40] = np.nan  # transparent in PNG / WebP
    path = tmp_path / "cube.fits"
    fits.PrimaryHDU(cube).writeto(path)
    data = open_image(path)
    params = RenderParams(minmax=((60.0, 140.0),) * 3, channel=None if colour else 1,
                          colormap="grey" if colour else "hot", fmt=fmt, quality=90)  # fmt: skip
    monkeypatch.setattr(image_module, "REGION_STRIP_PIXELS", 5000)  # 11 rows a strip, and a rest
    for level, box in ((0, (3, 7, 437, 300)), (1, (0, 0, 219, 150)), (0, (5, 5, 6, 6))):
        expected = whole_region_bytes(data, level, box, params)
        assert render_region(data, level, *box, params) == expected, (level, box)


def test_a_region_needs_little_more_memory_than_its_8_bit_image(tmp_path):
    side = 2048
    path = tmp_path / "big.fits"
    noise = np.random.default_rng(4).normal(0, 1, (side, side)).astype(np.float32)
    fits.PrimaryHDU(noise).writeto(path)
    data = open_image(path)
    params = RenderParams(minmax=((-2.0, 2.0),), channel=0, fmt="png")
    render_region(data, 0, 0, 0, 64, 64, params)  # scratch buffers exist, as in a server
    tracemalloc.start()
    try:
        body = render_region(data, 0, 0, 0, side, side, params)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    # The 8-bit grey + alpha image is 2 bytes a pixel and the PNG about as much; the
    # floats of the whole region alone would be 4 bytes a pixel, their scratch more.
    assert peak < 6 * side * side, f"{peak / 2**20:.0f} MiB for a {side}^2 region"


def test_a_long_profile_reads_chunks_not_its_bounding_box(tmp_path):
    side = 2048
    path = tmp_path / "big.fits"
    pixels = np.random.default_rng(5).normal(0, 1, (side, side)).astype(np.float32)
    pixels[100, 100] = np.nan
    fits.PrimaryHDU(pixels).writeto(path)
    data = open_image(path)
    data.profile(1, 1, 2, 2)
    tracemalloc.start()
    try:
        profile = data.profile(1, 1, side, side)  # a diagonal across many chunks
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(profile) == side
    for point in profile[::97] + profile[99:102] + profile[-1:]:
        x, y = point["x"], point["y"]
        expected = None if np.isnan(pixels[y, x]) else float(pixels[y, x])
        assert point["values"] == [expected], point
    assert profile[100]["values"] == [None]
    # The line's bounding box alone would be 2048 x 2048 floats (16 MiB).
    assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MiB for a profile of {side} pixels"


def test_an_all_zero_mix_is_a_black_tile_not_a_500(client, users, collections, settings):
    path = settings.UPLOAD_ROOT / "cube.fits"
    fits.PrimaryHDU(np.full((3, 300, 300), 50, np.float32)).writeto(path)
    cube = register_path(collections[Collection.TEAM], path, user=users["owner"])
    zero = "MIX=1:0,0,0&MIX=3:0,0,0"
    for url in (f"/iip/?FIF={cube.pk}&JTL=0,0&{zero}", f"/iip/?FIF={cube.pk}&RGN=1,1:100,100&{zero}",
                f"/api/images/{cube.pk}/tiles/0/0/0.jpg?{zero.lower()}"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:200])
        pixels = simplejpeg.decode_jpeg(response.content)
        assert pixels.max() == 0, url


# --- the rendered-tile cache ----------------------------------------------------------


def stored_bytes(cache):
    return sum(len(body) for body in cache._cache.values())


def test_distinct_tiles_cannot_grow_the_tile_cache_past_its_bytes(client, image, settings):
    # The process's own cache (with REDIS_URL the tiles live in Redis, bounded there:
    # tests/tiles/test_tile_cache.py).
    settings.CACHES = {**settings.CACHES, "tiles": {
        "BACKEND": "tiles.tile_cache.BoundedLocMemCache", "LOCATION": "bounded-test",
        "OPTIONS": {"MAX_ENTRIES": 20000, "MAX_BYTES": 20_000}}}  # fmt: skip
    settings.TILE_CACHE_ENABLED = True
    tiles = caches["tiles"]
    tiles.clear()
    sizes = []
    for k in range(40):  # one more gamma value each: 40 distinct cached tiles
        response = client.get(f"/api/images/{image.pk}/tiles/1/0/0.png?gamma={1 + k / 100}")
        assert response.status_code == 200
        sizes.append(len(response.content))
        assert stored_bytes(tiles) <= 20_000 + 200 * len(tiles._cache)  # pickling adds a little
    assert sum(sizes) > 40_000  # without the byte cap, all 40 would be kept
    last = f"/api/images/{image.pk}/tiles/1/0/0.png?gamma={1 + 39 / 100}"
    assert client.get(last).content == response.content  # the newest is still there
    tiles.clear()


def test_the_tile_cache_keeps_the_recently_used_and_refuses_what_exceeds_it():
    from tiles.tile_cache import BoundedLocMemCache

    cache = BoundedLocMemCache("lru-test", {"OPTIONS": {"MAX_ENTRIES": 1000, "MAX_BYTES": 10_500}})
    cache.clear()
    for k in range(5):
        cache.set(f"k{k}", b"x" * 2000)
    assert cache.get("k0") is not None  # k0 is now the most recently used
    cache.set("k5", b"y" * 2000)
    assert cache.get("k1") is None and cache.get("k0") is not None and cache.get("k5") is not None
    assert cache.bytes_used == stored_bytes(cache) <= 10_500
    cache.set("huge", b"z" * 20_000)
    assert cache.get("huge") is None and cache.bytes_used == stored_bytes(cache)
    cache.set("k0", b"w" * 10)  # replaced: its size too
    cache.delete("k5")
    assert cache.bytes_used == stored_bytes(cache)
    cache.clear()
    assert cache.bytes_used == 0


# --- the ASGI fast path -------------------------------------------------------------


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def signed_in(user):
    django_client = Client()
    django_client.force_login(user)
    return django_client, {"cookie": f"sessionid={django_client.cookies['sessionid'].value}"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url",
    [
        "/api/images/{pk}/tiles/" + "9" * 5000 + "/0/0.jpg",
        "/api/images/{wide}/tiles/0/0/0.jpg",
        "/api/images/{pk}/tiles/0/0/٠.jpg",
    ],  # fmt: skip
)
async def test_fast_path_numbers_are_ascii_and_bounded_as_in_django(users, image, url):
    url = url.format(pk=image.pk, wide=str(image.pk).translate(FULLWIDTH))
    django_client, cookie = await sync_to_async(signed_in)(users["other"])
    expected = await sync_to_async(django_client.get)(url)
    transport = httpx.ASGITransport(app=application)  # app exceptions are raised here
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fast:
        response = await fast.get(url, headers=cookie)
        ascii_url = f"/api/images/{image.pk}/tiles/0/0/0.jpg"
        assert (await fast.get(ascii_url, headers=cookie)).status_code == 200  # visible to them
    assert response.status_code == expected.status_code == 404
    assert response.headers["content-type"] == "application/json"
