"""The rendered-tile cache: bounded in bytes in memory, and in Redis (shared by the
processes, bounded there, "no cache" while Redis does not answer)."""

import os
import time

import pytest

from tiles.tile_cache import BoundedLocMemCache, BoundedRedisCache

# On CI Redis is expected at its usual address even in the embedded pass: it must not skip.
ON_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("REDIS_URL") or ("redis://127.0.0.1:6379/0" if ON_CI else "")


def redis_cache(max_bytes, prefix, location=REDIS_URL):
    return BoundedRedisCache(location, {"KEY_PREFIX": prefix, "OPTIONS": {"MAX_BYTES": max_bytes}})


@pytest.fixture
def shared():
    """Two instances on one Redis, as two server processes would have them."""
    if not REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    prefix = f"test-tiles-{os.getpid()}-{time.monotonic_ns()}"
    first, second = redis_cache(10_000, prefix), redis_cache(10_000, prefix)
    yield first, second
    first.clear()


def test_memory_cache_is_bounded_in_bytes():
    cache = BoundedLocMemCache("test-bounded", {"OPTIONS": {"MAX_BYTES": 10_000}})
    cache.clear()
    for k in range(30):
        cache.set(f"t{k}", bytes(1000))
    assert cache.bytes_used <= 10_000
    assert cache.get("t29") == bytes(1000) and cache.get("t0") is None


@pytest.mark.services
def test_redis_cache_is_shared_and_bounded(shared):
    first, second = shared
    first.set("tile-a", b"a" * 3000)
    assert second.get("tile-a") == b"a" * 3000  # the other process's render
    for k in range(10):
        second.set(f"tile-{k}", bytes([k]) * 3000)
    assert first.bytes_used <= 10_000
    assert first.bytes_used == 3 * 3000  # the three newest fit
    assert first.get("tile-a") is None and first.get("tile-0") is None  # oldest first out
    assert [first.get(f"tile-{k}") for k in (7, 8, 9)] == [bytes([k]) * 3000 for k in (7, 8, 9)]
    first.set("tile-9", b"z" * 1000)  # replaced: counted once
    assert first.bytes_used == 2 * 3000 + 1000
    first.set("huge", bytes(20_000))  # larger than the cap: not kept, nothing dropped
    assert first.get("huge") is None and first.bytes_used == 2 * 3000 + 1000
    first.delete("tile-8")
    assert first.bytes_used == 3000 + 1000
    first.clear()
    assert first.bytes_used == 0 and second.get("tile-7") is None


@pytest.mark.services
def test_redis_entries_expire(shared):
    first, _second = shared
    first.set("brief", b"x" * 10, timeout=1)
    assert first.get("brief") == b"x" * 10
    time.sleep(1.5)
    assert first.get("brief") is None


def test_without_redis_it_is_no_cache():
    cache = redis_cache(10_000, "nowhere", location="redis://127.0.0.1:1/0")
    start = time.monotonic()
    cache.set("tile", b"body")
    assert cache.get("tile") is None and cache.get("tile", b"default") == b"default"
    assert cache.bytes_used == 0
    assert time.monotonic() - start < 5  # refused at once, no retries that hang a tile


def test_the_portal_uses_redis_for_tiles_when_it_has_redis(settings):
    from django.core.cache import caches

    backend = settings.CACHES["tiles"]["BACKEND"]
    expected = "BoundedRedisCache" if settings.REDIS_URL else "BoundedLocMemCache"
    assert backend.endswith(expected)
    assert type(caches["tiles"]).__name__ == expected
