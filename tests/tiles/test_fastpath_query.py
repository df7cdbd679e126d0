"""The fast path reads a query string as Django does (``parse_qsl``, blank values kept)."""

import random
from urllib.parse import parse_qsl

import pytest

from tiles.fastpath import query_pairs

CASES = ["", "&", "&&", "=", "a", "a=", "=b", "a=b=c", "a;b=c", "FIF=x.fits&JTL=1,2&&MIX=1:0,0,1",
         "a=%41&b=c+d", "CHAN=1&CHAN=2&INFO", "a+b=1", "x=%zz&y=1"]  # fmt: skip


@pytest.mark.parametrize("text", CASES)
def test_query_pairs_are_parse_qsl_with_blank_values(text):
    assert query_pairs(text) == parse_qsl(text, keep_blank_values=True)


def test_query_pairs_agree_with_parse_qsl_on_random_text():
    rng = random.Random(3)
    for _ in range(5000):
        text = "".join(rng.choice("ab=&;:,.-_%+41") for _ in range(rng.randrange(12)))
        assert query_pairs(text) == parse_qsl(text, keep_blank_values=True), text
