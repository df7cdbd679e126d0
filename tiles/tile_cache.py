"""The rendered-tile cache: Django's local-memory cache, bounded in bytes as well as entries.

``MAX_ENTRIES`` alone does not bound memory: 20,000 PNG tiles of noise are 5 GB, and any
client can ask for 20,000 distinct tiles (one more gamma value each) in a few seconds.
``OPTIONS["MAX_BYTES"]`` caps the stored (pickled) bodies together; the least recently
used go first, and a body larger than the whole cap is not kept. O(1) per call.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

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
