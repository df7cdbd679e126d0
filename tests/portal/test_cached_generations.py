"""The expiring cache's forgets counted together: an answer computed across two
different kinds of forget (a forget then a clear, ...) is not kept either -- they must
not cancel out."""

import itertools

import pytest

from portal.cached import ExpiringCache

FORGETS = {
    "forget": lambda cache: cache.forget("elsewhere"),
    "forget_where": lambda cache: cache.forget_where(lambda key, value: False),
    "clear": lambda cache: cache.clear(),
}


@pytest.mark.parametrize("first, second", list(itertools.permutations(FORGETS, 2)))
def test_an_answer_computed_across_two_kinds_of_forget_is_not_kept(first, second):
    cache = ExpiringCache(10)

    def across():
        FORGETS[first](cache)
        FORGETS[second](cache)
        return "stale"

    assert cache.get("k", across) == "stale"
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: "fresh") == "fresh"
    assert cache.peek("k") == (True, "fresh")
