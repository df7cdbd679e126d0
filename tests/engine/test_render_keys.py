"""Remembered texts and mixes give what computing them again would."""

import math

from tiles.engine import RenderParams, mix_from_iip


def test_a_negative_zero_cut_or_weight_keeps_its_sign_in_the_key():
    zero = RenderParams(minmax=((0.0, 10.0),), channel=None, mix=((0.0, 1.0, 1.0),))
    negative = RenderParams(minmax=((-0.0, 10.0),), channel=None, mix=((-0.0, 1.0, 1.0),))
    assert "k0,10|" in zero.key() and "m0,1,1|" in zero.key()
    assert "k-0,10|" in negative.key() and "m-0,1,1|" in negative.key()
    again = RenderParams(minmax=((0.0, 10.0),), channel=None, mix=((0.0, 1.0, 1.0),))
    assert again.key() == zero.key()


def test_a_remembered_mix_is_the_mix_of_its_rows():
    first = mix_from_iip({0: (0.0, 0.0, 1.0), 2: (1.0, 0.0, 0.0)}, 3)
    assert first == ((0.0, 0.0, 1.0), (0.5, 0.0, 0.5), (1.0, 0.0, 0.0))
    assert mix_from_iip({2: (1.0, 0.0, 0.0), 0: (0.0, 0.0, 1.0)}, 3) == first
    assert mix_from_iip({0: (0.0, 0.0, 1.0), 2: (1.0, 0.0, 0.0)}, 4)[3] == (0.75, 0.0, 0.0)
    signed = mix_from_iip({0: (-0.0, 0.0, 1.0)}, 3)
    assert math.copysign(1.0, signed[0][0]) < 0
    assert math.copysign(1.0, mix_from_iip({0: (0.0, 0.0, 1.0)}, 3)[0][0]) > 0
