"""A Redis cache that degrades to "no cache" while Redis is unreachable.

Sessions (``cached_db``) then read the database, rendered tiles are rendered again, and
the portal keeps serving; errors are logged at most once a minute.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger("fitsportal.cache")

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
except ImportError:  # pragma: no cover - redis is a dependency
    UNAVAILABLE = (OSError,)

_last_report = 0.0


def _report(exc):
    global _last_report
    now = time.monotonic()
    if now - _last_report > 60:
        _last_report = now
        log.warning("Redis is unavailable, running without its cache: %s", exc)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, params)

    def _guard(self, method, default, *args, **kwargs):
        try:
            return getattr(super(), method)(*args, **kwargs)
        except UNAVAILABLE as exc:
            _report(exc)
            return default

    def get(self, key, default=None, version=None):
        return self._guard("get", default, key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._guard("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._guard("add", False, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, key, version)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as exc:
            _report(exc)
            raise ValueError("cache unavailable") from exc

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, keys, version)

    def set_many(self, data, timeout=None, version=None):
        return self._guard("set_many", [], data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, key, version)

    def touch(self, key, timeout=None, version=None):
        return self._guard("touch", False, key, timeout, version)
