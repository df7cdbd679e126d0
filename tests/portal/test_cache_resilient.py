"""The Redis cache that degrades to "no cache": what each operation answers while Redis
is unreachable, that it otherwise reaches Redis with its arguments unchanged, the
timeouts it connects with, and the warning it logs at most once a minute."""

import logging

import pytest
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from portal import cache as resilient
from portal.cache import ResilientRedisCache

# Nothing listens on port 1: every connection is refused at once.
NOWHERE = "redis://127.0.0.1:1/0"


@pytest.fixture(autouse=True)
def _quiet_reports(monkeypatch):
    # Each test starts as if the last warning were long ago.
    monkeypatch.setattr(resilient, "_last_report", -1e9)


def unreachable():
    return ResilientRedisCache(NOWHERE, {})


def test_reads_while_redis_is_unreachable_answer_as_an_empty_cache():
    cache = unreachable()
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False


def test_writes_while_redis_is_unreachable_answer_as_undone_without_raising():
    cache = unreachable()
    assert cache.set("k", "v", 10) is None
    assert cache.add("k", "v", 10) is False
    assert cache.delete("k") is False
    assert cache.touch("k", 10) is False
    assert cache.set_many({"a": 1, "b": 2}, 10) == []
    assert cache.delete_many(["a", "b"]) is None


def test_incr_while_redis_is_unreachable_raises_value_error():
    # ValueError is what Django's cache API raises for a key it cannot increment: the
    # callers (rate limits) handle it as such.
    with pytest.raises(ValueError, match="^cache unavailable$") as caught:
        unreachable().incr("k")
    assert isinstance(caught.value.__cause__, RedisConnectionError)


def test_the_connection_timeouts_are_short_unless_configured():
    pool = unreachable()._cache._pool_options
    assert pool["socket_connect_timeout"] == 0.5
    assert pool["socket_timeout"] == 1.0
    chosen = ResilientRedisCache(
        NOWHERE, {"OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 4}}
    )
    assert chosen._cache._pool_options["socket_connect_timeout"] == 3
    assert chosen._cache._pool_options["socket_timeout"] == 4
    assert chosen._servers == [NOWHERE]


class Recorder:
    """Stands for Redis behind RedisCache: records each call, answers ``answer``."""

    def __init__(self, monkeypatch, answer="from redis", raises=None):
        self.calls = []
        self.answer = answer
        self.raises = raises
        for method in ("get", "set", "add", "delete", "incr", "get_many", "set_many",
                       "delete_many", "has_key", "touch"):  # fmt: skip
            monkeypatch.setattr(RedisCache, method, self._method(method))

    def _method(self, method):
        def call(cache, *args):
            self.calls.append((method, args))
            if self.raises is not None:
                raise self.raises
            return self.answer

        return call


def test_every_operation_reaches_redis_with_its_arguments(monkeypatch):
    redis = Recorder(monkeypatch)
    cache = ResilientRedisCache(NOWHERE, {})
    answers = [
        cache.get("k", "d", 3),
        cache.set("k", "v", 10, 3),
        cache.add("k", "v", 11, 3),
        cache.delete("k", 3),
        cache.incr("k", 5, 3),
        cache.get_many(["a"], 3),
        cache.set_many({"a": 1}, 12, 3),
        cache.delete_many(["a"], 3),
        cache.has_key("k", 3),
        cache.touch("k", 13, 3),
    ]
    assert answers == ["from redis"] * 10
    assert redis.calls == [
        ("get", ("k", "d", 3)),
        ("set", ("k", "v", 10, 3)),
        ("add", ("k", "v", 11, 3)),
        ("delete", ("k", 3)),
        ("incr", ("k", 5, 3)),
        ("get_many", (["a"], 3)),
        ("set_many", ({"a": 1}, 12, 3)),
        ("delete_many", (["a"], 3)),
        ("has_key", ("k", 3)),
        ("touch", ("k", 13, 3)),
    ]


def test_the_defaults_of_the_arguments_are_djangos(monkeypatch):
    redis = Recorder(monkeypatch)
    cache = ResilientRedisCache(NOWHERE, {})
    cache.get("k")
    cache.set("k", "v")
    cache.add("k", "v")
    cache.delete("k")
    cache.incr("k")
    cache.get_many(["a"])
    cache.set_many({"a": 1})
    cache.delete_many(["a"])
    cache.has_key("k")
    cache.touch("k")
    assert redis.calls == [
        ("get", ("k", None, None)),
        ("set", ("k", "v", None, None)),
        ("add", ("k", "v", None, None)),
        ("delete", ("k", None)),
        ("incr", ("k", 1, None)),
        ("get_many", (["a"], None)),
        ("set_many", ({"a": 1}, None, None)),
        ("delete_many", (["a"], None)),
        ("has_key", ("k", None)),
        ("touch", ("k", None, None)),
    ]


@pytest.mark.parametrize(
    "error", [RedisConnectionError("down"), RedisTimeoutError("slow"), OSError("reset")]
)
def test_each_kind_of_unavailability_is_absorbed(monkeypatch, error):
    Recorder(monkeypatch, raises=error)
    cache = ResilientRedisCache(NOWHERE, {})
    assert cache.get("k", "d") == "d"
    assert cache.add("k", "v") is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_other_errors_are_not_absorbed(monkeypatch):
    Recorder(monkeypatch, raises=KeyError("a bug"))
    cache = ResilientRedisCache(NOWHERE, {})
    with pytest.raises(KeyError):
        cache.get("k")
    with pytest.raises(KeyError):
        cache.incr("k")


def test_the_warning_is_logged_at_most_once_a_minute(monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now[0])
    cache = unreachable()
    caplog.set_level(logging.WARNING, logger="fitsportal.cache")

    def warnings():
        return [r for r in caplog.records if r.name == "fitsportal.cache"]

    cache.get("k")
    assert len(warnings()) == 1
    record = warnings()[0]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("Redis is unavailable, running without its cache: ")
    assert "refused" in record.getMessage().lower()
    for t in (1000.0, 1030.0, 1059.5):
        now[0] = t
        cache.get("k")
    assert len(warnings()) == 1
    now[0] = 1060.5  # more than a minute after the first
    cache.set("k", "v")
    assert len(warnings()) == 2
    now[0] = 1100.0  # 39.5 s after the second: quiet again
    cache.delete("k")
    assert len(warnings()) == 2
    now[0] = 1121.0
    with pytest.raises(ValueError):
        cache.incr("k")
    assert len(warnings()) == 3
    assert "refused" in warnings()[2].getMessage().lower()  # incr reports its error too
