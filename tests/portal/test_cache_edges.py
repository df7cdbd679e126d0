"""The expiring cache at its edges: the exact expiry instant, the entry limit, every kind
of forget (each one counted, however many), and what ``keep`` is asked about."""

from portal.cached import ExpiringCache


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_an_entry_is_gone_at_exactly_its_ttl():
    clock = Clock()
    cache = ExpiringCache(10, clock=clock)
    cache.get("k", lambda: "old")
    clock.now = 9.999
    assert cache.peek("k") == (True, "old")
    assert cache.get("k", lambda: "new") == "old"
    clock.now = 10.0  # stored until 0 + 10: not a moment longer
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: "new") == "new"


def test_keep_is_asked_about_the_value_computed():
    cache = ExpiringCache(10)
    asked = []

    def keep(value):
        asked.append(value)
        return value is not None

    assert cache.get("k", lambda: "answer", keep=keep) == "answer"
    assert asked == ["answer"] and cache.peek("k") == (True, "answer")


def test_each_of_several_forgets_spoils_an_answer_computed_across_it():
    """Not only the first forget: the second, third... each one counts."""
    for forget in ("forget", "forget_where", "clear"):
        cache = ExpiringCache(10)
        for _ in range(3):

            def across(cache=cache, forget=forget):
                if forget == "forget":
                    cache.forget("elsewhere")
                elif forget == "forget_where":
                    cache.forget_where(lambda key, value: False)
                else:
                    cache.clear()
                return "stale"

            assert cache.get("k", across) == "stale"
            assert cache.peek("k") == (False, None), forget
        assert cache.get("k", lambda: "fresh") == "fresh"
        assert cache.peek("k") == (True, "fresh")


def test_forget_drops_that_key_only():
    cache = ExpiringCache(10)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.forget("a")
    assert cache.peek("a") == (False, None) and cache.peek("b") == (True, 2)


def test_forget_where_is_asked_the_key_and_the_value():
    cache = ExpiringCache(10)
    for key, value in ((("u", 1), "x"), (("u", 2), "x"), (("v", 1), "y")):
        cache.get(key, lambda value=value: value)
    seen = []

    def predicate(key, value):
        seen.append((key, value))
        return key[0] == "u" and value == "x"

    cache.forget_where(predicate)
    assert sorted(seen) == [(("u", 1), "x"), (("u", 2), "x"), (("v", 1), "y")]
    assert [cache.peek(k)[0] for k in (("u", 1), ("u", 2), ("v", 1))] == [False, False, True]


def test_clear_drops_everything_and_the_cache_works_after():
    cache = ExpiringCache(10)
    for key in "abc":
        cache.get(key, lambda key=key: key)
    cache.clear()
    assert all(cache.peek(k) == (False, None) for k in "abc")
    assert cache.get("a", lambda: "again") == "again" and cache.peek("a") == (True, "again")


def test_a_full_cache_drops_expired_entries_first_and_keeps_the_live_ones():
    clock = Clock()
    cache = ExpiringCache(10, max_entries=3, clock=clock)
    cache.get("old", lambda: 0)
    clock.now = 5.0
    cache.get("b", lambda: 1)
    cache.get("c", lambda: 2)  # three entries: the limit
    clock.now = 10.0  # "old" (stored until 10) has just expired; b and c live
    cache.get("d", lambda: 3)
    assert [cache.peek(k)[0] for k in ("old", "b", "c", "d")] == [False, True, True, True]


def test_a_full_cache_of_live_entries_starts_again():
    clock = Clock()
    cache = ExpiringCache(10, max_entries=2, clock=clock)
    cache.get("a", lambda: 1)
    assert cache.peek("a") == (True, 1)  # one entry: below the limit, nothing dropped
    cache.get("b", lambda: 2)
    assert [cache.peek(k)[0] for k in "ab"] == [True, True]
    cache.get("c", lambda: 3)  # two live entries: the limit is reached, all go
    assert [cache.peek(k)[0] for k in "abc"] == [False, False, True]


def test_a_full_cache_keeps_live_entries_when_dropping_the_expired_ones_makes_room():
    clock = Clock()
    cache = ExpiringCache(10, max_entries=2, clock=clock)
    cache.get("a", lambda: 1)
    clock.now = 4.0
    cache.get("b", lambda: 2)
    clock.now = 11.0  # a expired, b (until 14) lives: one left, below the limit
    cache.get("c", lambda: 3)
    assert [cache.peek(k)[0] for k in "abc"] == [False, True, True]
