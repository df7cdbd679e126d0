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


def test_an_answer_read_from_another_cache_expires_with_that_entry():
    clock = Clock()
    users, sessions = ExpiringCache(10, clock=clock), ExpiringCache(10, clock=clock)
    assert users.get("alice", lambda: "old password") == "old password"
    clock.now = 6.0
    assert sessions.get("s", lambda: users.get("alice", lambda: "new")) == "old password"
    clock.now = 10.5  # the user entry read at 0 expired: so did what was made from it
    assert sessions.get("s", lambda: users.get("alice", lambda: "new password")) == "new password"


def test_nested_caches_do_not_renew_each_other():
    """The outer entry expires first, the inner one a moment later (it was computed a
    moment later): asking in between must not keep the old inner value another ttl."""
    clock = Clock()
    users, sessions = ExpiringCache(10, clock=clock), ExpiringCache(10, clock=clock)

    def session(value, reading):
        clock.now += reading  # the session is read first, which takes a while
        return users.get("alice", lambda: value)

    assert sessions.get("s", lambda: session("old", 0.1)) == "old"  # user entry from 0.1
    clock.now = 10.0  # the session entry (from 0) expired, the user one not yet
    assert sessions.get("s", lambda: session("new", 0.01)) == "old"
    clock.now = 10.15  # the user read at 0.1 is older than ttl: so is the session's answer
    assert sessions.get("s", lambda: session("new", 0.01)) == "new"
