"""The render parameters' declaration and the REST parser that reads it."""

import re

import numpy as np
import pytest
from django.http import QueryDict

from tiles import params
from tiles.engine import ParameterError, RenderParams, mix_from_iip

CUTS3 = [(0.0, 10.0), (1.0, 11.0), (2.0, 12.0)]


def parse(text, nchannels=1, cuts=None, fmt="jpeg"):
    return params.parse(QueryDict(text), nchannels, cuts or CUTS3[:nchannels], fmt)


def test_left_out_parameters_take_the_declared_defaults():
    rendered = parse("")
    assert (rendered.gamma, rendered.quality, rendered.contrast, rendered.brightness) == (
        2.2, 90, 1.0, 0.0,
    )  # fmt: skip
    assert (rendered.colormap, rendered.stretch, rendered.invert) == ("grey", "linear", False)
    assert rendered.minmax == ((0.0, 10.0),) and rendered.channel == 0 and rendered.mix is None
    assert params.client_defaults() == {
        "saturation": 1.0, "stretch": "linear", "contrast": 1.0, "brightness": 0.0,
        "gamma": 2.2, "colormap": "grey", "invert": False, "smooth": 0.0, "quality": 90,
    }  # fmt: skip


def test_given_parameters_are_typed():
    rendered = parse("gamma=1.5&quality=70&contrast=2&brightness=-3&colormap=GRAY"
                     "&stretch=asinh&invert=yes")  # fmt: skip
    assert (rendered.gamma, rendered.quality, rendered.contrast, rendered.brightness) == (
        1.5, 70, 2.0, -3.0,
    )  # fmt: skip
    assert (rendered.colormap, rendered.stretch, rendered.invert) == ("grey", "asinh", True)
    assert isinstance(rendered.quality, int)
    assert parse("invert=0").invert is False and parse("invert=").invert is True


@pytest.mark.parametrize(
    "query, message",
    [
        ("gamma=0.1", "gamma: 0.1 is out of range [0.2, 5.0]"),
        ("gamma=9", "out of range"),
        ("quality=101", "quality: 101 is out of range"),
        ("quality=9.5", "quality: '9.5' is not an integer"),
        ("contrast=nan", "contrast: 'nan' is not a finite number"),
        ("brightness=-101", "brightness"),
        ("colormap=rainbow", "colormap: 'rainbow' is not one of grey"),
        ("stretch=cubic", "stretch: 'cubic' is not one of linear"),
        ("invert=maybe", "invert: expected true or false"),
        ("saturation=11", "saturation"),
        ("size=3", "Unknown parameter 'size'"),
        ("minmax=2:0,1", "minmax: channel 2 is outside 1..1"),
        ("minmax=1:0", "minmax: expected 2 values"),
        ("mix=1:1,1", "mix: expected 3 values"),
        ("channel=2", "channel: 2 is out of range [1, 1]"),
    ],
)
def test_bad_values_name_the_parameter(query, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        parse(query)


def test_every_declared_name_is_known_and_only_those():
    declared = {p.name for p in params.PARAMETERS}
    assert declared | {"v"} == params.KNOWN
    parse("v=7")  # the client's cache buster: accepted, ignored
    with pytest.raises(ParameterError, match="known: brightness, channel"):
        parse("zoom=1")


def test_cuts_mono_and_colour():
    mono = parse("channel=2&minmax=2:5,6&minmax=1:-1,1", nchannels=3)
    assert mono.channel == 1 and mono.minmax == ((-1.0, 1.0), (5.0, 6.0), (2.0, 12.0))
    assert parse("min=3&max=4").minmax == ((3.0, 4.0),)
    colour = parse("minmax=3:7,8&min=100", nchannels=3)  # min/max: mono only
    assert colour.channel is None and colour.minmax == ((0.0, 10.0), (1.0, 11.0), (7.0, 8.0))


def test_mix_rows_and_saturation():
    rendered = parse("mix=1:1,0,0&mix=3:0,0,1", nchannels=3)
    assert rendered.mix == mix_from_iip({0: (1, 0, 0), 2: (0, 0, 1)}, 3)
    grey = parse("mix=1:1,0,0&mix=3:0,0,1&saturation=0", nchannels=3)
    assert all(r == g == b for r, g, b in grey.mix)
    assert parse("mix=1:1,0,0", nchannels=1).mix is None  # mono: checked, not used


def test_render_params_fill_every_field_from_the_declaration():
    """No served value comes from the engine's own (neutral) defaults."""
    built = params.render_params({}, [(0.0, 1.0)], 0, None, "png")
    engine = RenderParams(minmax=((0.0, 1.0),))
    assert built.gamma == 2.2 != engine.gamma and built.quality == 90 != engine.quality
    assert built.fmt == "png"


def test_openapi_parameters_come_from_the_declaration():
    described = {p.name: p for p in params.openapi_parameters()}
    assert list(described) == [p.name for p in params.PARAMETERS]
    gamma = described["gamma"]
    assert gamma.type == {"type": "number", "minimum": 0.2, "maximum": 5.0, "default": 2.2}
    assert "1/gamma" in gamma.description
    assert described["colormap"].type["enum"][:2] == ["grey", "jet"]
    assert described["quality"].type["type"] == "integer"
    assert described["mix"].type == {"type": "array", "items": {"type": "string"}}


def test_the_schema_lists_the_declared_parameters(client, db):
    schema = client.get("/api/schema/?format=json").json()
    tile = next(v for k, v in schema["paths"].items() if "{z}" in k or "tiles" in k)
    names = {p["name"] for p in tile["get"]["parameters"] if p["in"] == "query"}
    assert {p.name for p in params.PARAMETERS} <= names


def test_the_image_detail_carries_the_declaration_and_defaults(client, users, collections,
                                                                fits_factory, settings):  # fmt: skip
    from portal.models import Collection
    from portal.registration import register_path

    image = register_path(collections[Collection.PUBLIC], fits_factory(kind="cube", folder=settings.UPLOAD_ROOT),
                          user=users["owner"])  # fmt: skip
    body = client.get(f"/api/images/{image.pk}/").json()
    assert body["render_parameters"] == params.describe()
    defaults = body["render_defaults"]
    assert defaults["gamma"] == 2.2 and defaults["quality"] == 90 and defaults["channel"] is None
    assert len(defaults["mix"]) == 3
    assert {k: defaults[k] for k in params.client_defaults()} == params.client_defaults()
    assert defaults["cuts"] == "zscale" and defaults["mix"][0] == [0.0, 0.0, 1.0]
    presets = body["cut_presets"]
    assert set(presets) == {"zscale", "minmax", "99.5", "99", "98", "95", "visiomatic"}
    assert all(len(pairs) == 3 and pairs[0][0] < pairs[0][1] for pairs in presets.values())
    assert body["channel_names"] == ["channel 1", "channel 2", "channel 3"]  # no WCS axis 3
    # zscale once tile requests are given the statistics; until then VisiOmatic's (lo, hi)
    assert body["default_cuts"] in (presets["zscale"], presets["visiomatic"])


def test_smooth_is_a_render_parameter_of_every_path(client, users, collections, fits_factory,
                                                   settings):  # fmt: skip
    from portal.models import Collection
    from portal.registration import register_path

    assert parse("smooth=2.5").smooth == 2.5 and parse("").smooth == 0.0
    with pytest.raises(ParameterError, match=re.escape("smooth: 11 is out of range [0.0, 10.0]")):
        parse("smooth=11")
    image = register_path(collections[Collection.PUBLIC],
                          fits_factory(folder=settings.UPLOAD_ROOT), user=users["owner"])  # fmt: skip
    tile = f"/api/images/{image.pk}/tiles/0/0/0.png"
    plain, smooth = client.get(tile), client.get(tile + "?smooth=3")
    assert plain.status_code == smooth.status_code == 200
    assert plain.content != smooth.content and plain["ETag"] != smooth["ETag"]
    assert client.get(tile + "?smooth=10.5").status_code == 400
    iip_tile = f"/iip/?FIF={image.pk}&JTL=0,0"
    assert client.get(iip_tile + "&SMO=3").content != client.get(iip_tile).content


def test_cuts_presets_choose_among_the_statistics():
    from tiles.engine.stats import channel_stats

    stats = [channel_stats(np.arange(1001.0)), channel_stats(np.arange(1001.0) + 5000)]
    assert parse("", 2, stats).minmax == tuple(tuple(s.cuts["zscale"]) for s in stats)
    assert parse("cuts=99", 2, stats).minmax == ((5.0, 995.0), (5005.0, 5995.0))
    assert parse("cuts=minmax&minmax=2:1,2", 2, stats).minmax == ((0.0, 1000.0), (1.0, 2.0))
    dicts = [s.as_dict() for s in stats]
    assert parse("cuts=95", 2, dicts).minmax == ((25.0, 975.0), (5025.0, 5975.0))
    assert params.cut_presets(dicts)["visiomatic"] == [tuple(s.cuts["visiomatic"]) for s in stats]
    with pytest.raises(ParameterError, match="cuts: 'median' is not one of zscale"):
        parse("cuts=median", 2, stats)
    # (lo, hi) pairs stand for the default only
    assert parse("", 1, [(1.0, 2.0)]).minmax == ((1.0, 2.0),)
    with pytest.raises(ParameterError, match="needs the image's statistics"):
        parse("cuts=99", 1, [(1.0, 2.0)])
    # statistics from before the presets: lo/hi (VisiOmatic's) for the defaults
    old = [{"background": 0, "mad": 1, "lo": -2, "hi": 400, "min": 0, "max": 9}]
    assert parse("", 1, old).minmax == ((-2.0, 400.0),)


def test_the_default_mix_of_a_cube_is_a_colour_composite():
    from tiles.engine.render import default_mix_rows

    assert default_mix_rows(3) == ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))
    five = np.array(default_mix_rows(5))
    assert five[:, 2].argmax() == 0 and five[:, 1].argmax() == 2 and five[:, 0].argmax() == 4
    assert np.allclose(np.array(default_mix_rows(2)).sum(axis=0), 2 / 3)
    colour = parse("", 3)
    assert colour.channel is None and colour.mix == mix_from_iip(dict(enumerate(
        default_mix_rows(3))), 3)  # fmt: skip
    assert params.image_defaults(3)["mix"] == [list(rgb) for rgb in default_mix_rows(3)]


def test_the_image_detail_names_channels_from_the_wcs(client, users, collections, settings):
    from astropy.io import fits

    from portal.models import Collection
    from portal.registration import register_path

    hdu = fits.PrimaryHDU(np.zeros((3, 20, 30), np.float32))
    hdu.header.update(CTYPE3="WAVE", CUNIT3="Angstrom", CRVAL3=4861.0, CDELT3=851.0, CRPIX3=1.0)
    hdu.writeto(settings.UPLOAD_ROOT / "lines.fits")
    image = register_path(collections[Collection.PUBLIC], settings.UPLOAD_ROOT / "lines.fits",
                          user=users["owner"])  # fmt: skip
    body = client.get(f"/api/images/{image.pk}/").json()
    assert body["channel_names"] == ["4861 Å", "5712 Å", "6563 Å"]


def test_the_detail_defaults_are_what_a_bare_tile_gets(client, users, collections, settings):
    """The client leaves out what equals the detail's defaults: a bare tile and one that
    spells them out are the same bytes (cube: cuts, colour mode, mix, gamma, quality)."""
    from astropy.io import fits

    from portal.models import Collection
    from portal.registration import register_path

    rng = np.random.default_rng(5)
    planes = rng.integers(75, 125, (3, 60, 80)).astype(np.int16)
    fits.PrimaryHDU(planes).writeto(settings.UPLOAD_ROOT / "planes.fits")
    image = register_path(collections[Collection.PUBLIC], settings.UPLOAD_ROOT / "planes.fits",
                          user=users["owner"])  # fmt: skip
    body = client.get(f"/api/images/{image.pk}/").json()
    defaults = body["render_defaults"]
    spelled = "&".join(
        [f"minmax={c + 1}:{lo!r},{hi!r}" for c, (lo, hi) in enumerate(body["default_cuts"])]
        + [f"mix={c + 1}:{','.join(map(repr, rgb))}" for c, rgb in enumerate(defaults["mix"])]
        + [f"{k}={defaults[k]}" for k in ("gamma", "quality", "contrast", "brightness")]
    )
    tile = f"/api/images/{image.pk}/tiles/0/0/0.png"
    bare = client.get(tile)
    assert bare.status_code == 200
    assert client.get(f"{tile}?{spelled}").content == bare.content
    assert client.get(f"{tile}?mix=1:1,1,1&mix=2:1,1,1&mix=3:1,1,1").content != bare.content
