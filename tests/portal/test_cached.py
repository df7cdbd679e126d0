"""The hot path's process-local cache: expiry, forgetting, and no answer kept that was
computed across a forget."""

from portal.cached import ExpiringCache


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_answers_expire_after_ttl():
    clock = Clock()
    cache = ExpiringCache(10, clock=clock)
    assert cache.get("k", lambda: 1) == 1
    assert cache.get("k", lambda: 2) == 1
    clock.now = 10.5
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: 3) == 3


def test_an_answer_computed_across_a_forget_is_not_kept():
    cache = ExpiringCache(10)

    def read_then_change():
        value = "before the change"
        cache.forget("other")  # the change lands while the answer is being computed
        return value

    assert cache.get("k", read_then_change) == "before the change"
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: "after") == "after"
    assert cache.peek("k") == (True, "after")


def test_forget_where_drops_only_matching_entries():
    cache = ExpiringCache(10)
    for key, value in (("a", 1), ("b", 2), ("c", 1)):
        cache.get(key, lambda value=value: value)
    cache.forget_where(lambda key, value: value == 1)
    assert [cache.peek(k)[0] for k in "abc"] == [False, True, False]


def test_values_refused_by_keep_are_not_stored():
    cache = ExpiringCache(10)
    assert cache.get("k", lambda: None, keep=lambda v: v is not None) is None
    assert cache.peek("k") == (False, None)
