"""The rendered-tile cache, bounded in bytes: in each process's memory (``BoundedLocMemCache``,
Django's local-memory cache bounded in bytes as well as entries), or in Redis when there
is one (``BoundedRedisCache``: shared by the processes, bounded there).

``MAX_ENTRIES`` alone does not bound memory: 20,000 PNG tiles of noise are 5 GB, and any
client can ask for 20,000 distinct tiles (one more gamma value each) in a few seconds.
``OPTIONS["MAX_BYTES"]`` caps the stored (pickled) bodies together; the least recently
used go first, and a body larger than the whole cap is not kept. O(1) per call.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache

log = logging.getLogger("fitsportal.cache")

# Per cache name, shared by every instance (one per thread) like LocMemCache's own stores
# and guarded by its lock: the size of each entry, and their total.
_sizes = {}
_totals = {}


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 256 * 1024**2))
        self._sizes = _sizes.setdefault(name, {})
        self._total = _totals.setdefault(name, [0])

    @property
    def bytes_used(self):
        return self._total[0]

    # The methods below run with the lock held, as LocMemCache calls them.
    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        self._drop_size(key)
        size = len(value)
        if size > self._max_bytes:
            super()._delete(key)
            return
        while self._cache and self._total[0] + size > self._max_bytes:
            oldest, _ = self._cache.popitem()  # the end is the least recently used
            self._expire_info.pop(oldest, None)
            self._drop_size(oldest)
        super()._set(key, value, timeout)
        self._sizes[key] = size
        self._total[0] += size

    def _cull(self):
        if self._cull_frequency == 0:
            self._cache.clear()
            self._expire_info.clear()
            self._sizes.clear()
            self._total[0] = 0
            return
        for _ in range(len(self._cache) // self._cull_frequency):
            key, _ = self._cache.popitem()
            self._expire_info.pop(key, None)
            self._drop_size(key)

    def _delete(self, key):
        self._drop_size(key)
        return super()._delete(key)

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._sizes.clear()
            self._total[0] = 0

    def _drop_size(self, key):
        self._total[0] -= self._sizes.pop(key, 0)


class BoundedRedisCache(BaseCache):
    """The rendered-tile cache in Redis: shared by every process of the portal, bounded
    in bytes there too (``OPTIONS["MAX_BYTES"]``), and "no cache" while Redis is away.

    Values are the tile bodies as they are (bytes, no pickling), under the tile's key
    (its ETag: image version, pyramid, tile and canonical rendering parameters). One
    script per ``set``, run atomically by Redis, stores the body, notes its size in an
    index and, past the cap, drops the oldest entries (first in, first out) until the
    total fits: the cap holds however many processes write. Entries also expire after
    their timeout; the index keeps counting an expired entry until it is dropped, so
    the bytes held are at most the cap. While Redis does not answer, ``get`` misses and
    ``set`` does nothing (the tile is rendered again), and that is logged once a minute.
    """

    def __init__(self, server, params):
        super().__init__(params)
        import redis

        options = params.get("OPTIONS", {})
        self._max_bytes = int(options.get("MAX_BYTES", 256 * 1024**2))
        self._redis = redis.Redis.from_url(
            server,
            socket_connect_timeout=float(options.get("CONNECT_TIMEOUT", 0.5)),
            socket_timeout=float(options.get("TIMEOUT", 0.5)),
        )
        self._unavailable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                             OSError)  # fmt: skip
        base = self.make_key("")
        self._index, self._sizes, self._total = base + "|index", base + "|sizes", base + "|bytes"
        self._store = self._redis.register_script(_STORE)
        self._last_report = 0.0

    def _guarded(self, default, call, *args):
        try:
            return call(*args)
        except self._unavailable as exc:
            now = time.monotonic()
            if now - self._last_report > 60:
                self._last_report = now
                log.warning("Redis is unavailable, rendering tiles without their cache: %s", exc)
            return default

    @property
    def bytes_used(self):
        return int(self._guarded(0, self._redis.get, self._total) or 0)

    def get(self, key, default=None, version=None):
        value = self._guarded(None, self._redis.get, self.make_and_validate_key(key, version))
        return default if value is None else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is not None and timeout <= 0:
            return  # Django's meaning: expired at once
        keys = [self.make_and_validate_key(key, version), self._index, self._sizes, self._total]
        args = [bytes(value), 0 if timeout is None else max(1, int(timeout)), self._max_bytes]
        self._guarded(None, self._store, keys, args)

    def has_key(self, key, version=None):
        return bool(self._guarded(0, self._redis.exists, self.make_and_validate_key(key, version)))

    def delete(self, key, version=None):
        keys = [self.make_and_validate_key(key, version), self._index, self._sizes, self._total]
        return bool(self._guarded(0, self._redis.register_script(_DROP), keys, []))

    def clear(self):
        keys = [self._index, self._sizes, self._total]
        self._guarded(None, self._redis.register_script(_CLEAR), keys, [])


# KEYS: entry, index (sorted set: entry -> order of arrival), sizes (hash), total bytes.
# ARGV: body, timeout in seconds (0: none), the cap in bytes.
_STORE = """
local size = string.len(ARGV[1])
if size > tonumber(ARGV[3]) then return 0 end
if redis.call('HEXISTS', KEYS[3], KEYS[1]) == 1 then
  redis.call('DECRBY', KEYS[4], redis.call('HGET', KEYS[3], KEYS[1]))
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[3], KEYS[1], size)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4] .. '|order'), KEYS[1])
local total = redis.call('INCRBY', KEYS[4], size)
while total > tonumber(ARGV[3]) do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  local held = tonumber(redis.call('HGET', KEYS[3], oldest[1]) or 0)
  redis.call('HDEL', KEYS[3], oldest[1])
  redis.call('DEL', oldest[1])
  total = redis.call('DECRBY', KEYS[4], held)
end
return 1
"""
_DROP = """
local held = redis.call('HGET', KEYS[3], KEYS[1])
if held then
  redis.call('HDEL', KEYS[3], KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
  redis.call('DECRBY', KEYS[4], held)
end
return redis.call('DEL', KEYS[1])
"""
_CLEAR = """
local entries = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #entries, 500 do
  redis.call('DEL', unpack(entries, i, math.min(i + 499, #entries)))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[3] .. '|order')
return #entries
"""
