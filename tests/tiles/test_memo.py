"""The tile path's memos hold small keys only: a query of many pairs is answered as a
short one is, but never remembered, so that no query can make a memo hold its text."""

import pytest

from tiles import iip, memo, params

MEMOS = (iip._rendered, iip._common, params._parsed)


@pytest.fixture(autouse=True)
def forget():
    for each in MEMOS:
        each.clear()
    yield
    for each in MEMOS:
        each.clear()


def test_a_key_size_counts_characters_and_each_pair_and_value():
    assert memo.PAIR_BYTES == 128
    assert memo.key_size([]) == 0
    assert memo.key_size([("GAM", "1.5")]) == 3 + 3 + 128
    assert memo.key_size([("GAM", "1.5"), ("QLT", "80")]) == (3 + 3 + 128) + (3 + 2 + 128)
    # A REST query's items: a name and its values, each value an object of its own.
    assert memo.key_size([("mix", ("1:1,0,0", "2:0,1,0"))]) == 3 + 14 + 128 * 3
    assert memo.key_size([("gamma", ())]) == 5 + 128


def test_a_key_up_to_the_limit_is_remembered_and_a_larger_one_is_not():
    calls = []
    kept = memo.Memo(size=8)

    def produce():
        calls.append(1)
        return len(calls)

    at_limit = [("a", "x" * (memo.MAX_KEY_BYTES - 1 - memo.PAIR_BYTES))]
    over = [("a", "x" * (memo.MAX_KEY_BYTES - memo.PAIR_BYTES))]
    assert memo.key_size(at_limit) == memo.MAX_KEY_BYTES
    assert kept.get("small", produce, pairs=at_limit) == 1
    assert kept.get("small", produce, pairs=at_limit) == 1
    assert len(kept) == 1
    assert kept.get("large", produce, pairs=over) == 2
    assert kept.get("large", produce, pairs=over) == 3  # worked out anew
    assert len(kept) == 1


def long_iip(value="1.5", padding=100):
    # Ignored pairs (names beginning with "_") are part of the shared text of a request.
    pad = [(f"_p{i}", "x" * 40) for i in range(padding)]
    return [("FIF", "a.fits"), ("JTL", "1,0"), ("GAM", value), *pad]


def test_a_long_iip_query_reads_as_a_short_one_and_is_not_remembered():
    stats = [(10.0, 20.0)]
    assert memo.key_size(long_iip()[2:]) > memo.MAX_KEY_BYTES
    short = iip.render_params(iip.parse(long_iip(padding=0)), 1, stats)
    assert len(iip._common) == 1 and len(iip._rendered) == 1
    request = iip.parse(long_iip())
    assert (request.fif, request.jtl) == ("a.fits", (1, 0))
    assert iip.render_params(request, 1, stats) is short  # its rendering text is short
    assert len(iip._common) == 1
    for i in range(50):
        iip.parse(long_iip(value=f"1.{i}"))
    assert len(iip._common) == 1


def test_a_long_iip_rendering_is_worked_out_each_time_and_not_remembered():
    stats = [(10.0, 20.0)]
    # 200 GAM pairs: the last applies, and the rendering's own text is too long to keep.
    pairs = [("FIF", "a.fits"), ("JTL", "0,0")] + [("GAM", f"1.{i:03d}") for i in range(200)]
    request = iip.parse(pairs)
    assert memo.key_size(request.rendering_text) > memo.MAX_KEY_BYTES
    first = iip.render_params(request, 1, stats)
    again = iip.render_params(request, 1, stats)
    assert first.gamma == again.gamma == 1.199
    assert first is not again
    assert len(iip._rendered) == 0


def test_a_long_rest_query_reads_as_a_short_one_and_is_not_remembered():
    stats = [(10.0, 20.0)]
    short = params.parse({"quality": ["80"]}, 1, stats, "jpeg")
    assert params.parse({"quality": ["80"]}, 1, stats, "jpeg") is short
    assert len(params._parsed) == 1
    many = {"quality": ["95"] * 99 + ["80"]}
    assert memo.key_size(many.items()) > memo.MAX_KEY_BYTES
    first = params.parse(many, 1, stats, "jpeg")
    assert first == short
    assert params.parse(many, 1, stats, "jpeg") is not first
    assert len(params._parsed) == 1


def test_the_sizes_of_several_rest_items_add_up():
    items = [("gamma", ("1.5",)), ("mix", ("1:1,0,0", "2:0,1,0"))]
    assert memo.key_size(items) == (5 + 3 + 128 * 2) + (3 + 14 + 128 * 3)


def test_a_full_memo_is_emptied_before_it_holds_more_than_its_size():
    kept = memo.Memo()
    for i in range(1024):
        kept.get(i, lambda: 0)
    assert len(kept) == 1024  # the documented bound, 1,024 keys
    kept.get("one more", lambda: 0)
    assert len(kept) == 1
    small = memo.Memo(size=2)
    for key in "abc":
        small.get(key, lambda: 0)
    assert len(small) == 1
