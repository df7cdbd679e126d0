"""The IIP query string onto the declared render parameters (tiles/iip.py)."""

import pytest

from tiles import iip, params
from tiles.engine import ParameterError, mix_from_iip

CUTS = [(0.0, 10.0), (1.0, 11.0), (2.0, 12.0)]


def rendered(query, nchannels=3):
    pairs = [tuple(item.split("=", 1)) if "=" in item else (item, "") for item in query.split("&")]
    return iip.render_params(iip.parse(pairs), nchannels, CUTS[:nchannels])


def test_left_out_parameters_take_the_iip_defaults():
    bare = rendered("JTL=0,0&CHAN=1")
    assert (bare.gamma, bare.quality, bare.contrast, bare.brightness) == (2.2, 95, 1.0, 0.0)
    assert (bare.colormap, bare.invert, bare.stretch, bare.smooth) == ("grey", False, "linear", 0)
    # INFO reports exactly these (VisiOmatic's client leaves out what equals them)
    assert iip.info_defaults() == {"brightness": 0.0, "contrast": 1.0, "color_saturation": 1.5,
                                   "gamma": 2.2, "quality": 95}  # fmt: skip


def test_iip_names_map_onto_the_declared_parameters():
    given = rendered("CHAN=2&GAM=1.5&QLT=70&CNT=2&BRT=-3&CMP=gray&INV&SMO=2.5")
    assert (given.gamma, given.quality, given.contrast, given.brightness) == (1.5, 70, 2.0, -3.0)
    assert (given.colormap, given.invert, given.smooth, given.channel) == ("grey", True, 2.5, 1)
    assert set(iip.RENDER_SCALARS) == {p.iip for p in params.SCALARS if p.iip}


@pytest.mark.parametrize(
    "query, message",
    [
        ("GAM=0.1", "GAM: 0.1 is out of range"),
        ("QLT=101", "QLT: 101 is out of range"),
        ("SMO=11", "SMO: 11 is out of range [0.0, 10.0]"),
        ("SMO=-1", "SMO"),
        ("CMP=viridis", "CMP: 'viridis' is not one of grey, jet, cold, cool, hot"),
        ("CNT=nan", "CNT: 'nan' is not a finite number"),
        ("STRETCH=log", "Unknown parameter 'STRETCH'"),
    ],
)
def test_bad_values_name_the_iip_parameter(query, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[")):
        rendered(query)


def test_mono_and_colour_cuts_and_mix():
    mono = rendered("CHAN=2&MINMAX=1:5,6&MINMAX=2:7,8")
    assert mono.minmax == ((0.0, 10.0), (7.0, 8.0), (2.0, 12.0))  # only CHAN's MINMAX
    colour = rendered("MINMAX=1:5,6&MIX=1:1,0,0&MIX=3:0,0,1")
    assert colour.channel is None and colour.minmax[0] == (5.0, 6.0)
    assert colour.mix == mix_from_iip({0: (1, 0, 0), 2: (0, 0, 1)}, 3)
    assert rendered("JTL=0,0").mix is None  # no MIX: every entry 1
    assert rendered("CHAN=9").channel == 0  # beyond N: channel 1


def test_flags_count_by_presence():
    assert rendered("INV").invert and not rendered("INV=0").invert
    assert iip.parse([("INFO", "")]).info and iip.parse([("obj", "")]).obj
