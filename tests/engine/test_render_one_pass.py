"""The one-pass renderings give the pixels of the numpy formulation they replace.

A mono tile is looked up in one pass (``kernels.lookup``): its pixels must be those of
the quantise-then-take path (``_index`` + ``np.take``), which non-float32 data still takes.
A colour mix whose colours are equal renders as grey (``grey_when_equal``): the byte of
every colour of the RGBX rendering, and its JPEG decodes to the RGBX JPEG's pixels.
"""

import importlib

import numpy as np
import pytest
import simplejpeg

from tiles.engine import RenderParams, encode, render
from tiles.engine.image import ImageData

render_module = importlib.import_module("tiles.engine.render")


def hostile_plane(shape=(64, 80), seed=3):
    rng = np.random.default_rng(seed)
    plane = rng.normal(100.0, 40.0, shape).astype(np.float32)
    plane[0, :6] = [np.nan, np.inf, -np.inf, 3e38, -3e38, 1e-38]
    plane[5:9, 10:30] = np.nan
    return plane


def numpy_mono(plane, params):
    """The quantise-then-take path of a mono rendering."""
    lo, hi = params.minmax[params.channel]
    with np.errstate(over="ignore", invalid="ignore"):
        index = render_module._index(
            plane, lo, hi, params.contrast, params.brightness, params.stretch
        ).copy()
    lut = render_module._lut(params.stretch, params.contrast, params.brightness, params.gamma,
                             params.invert, params.colormap)  # fmt: skip
    pixels = np.take(lut, index)
    if lut.dtype == np.uint32:
        return pixels.view(np.uint8).reshape(*plane.shape, 4)
    return pixels


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"gamma": 2.2, "invert": True},
        {"contrast": 3.0, "brightness": -20.0},
        {"stretch": "asinh", "gamma": 1.7},
        {"colormap": "jet", "gamma": 2.2},
        {"colormap": "hot", "stretch": "log", "invert": True},
    ],
)
def test_mono_in_one_pass_is_the_quantise_then_take_path(kw):
    plane = hostile_plane()
    view = np.pad(plane, 7)[7:-7, 7:-7][::-1]  # a slice with its rows reversed, as tiles
    params = RenderParams(minmax=((60.0, 180.0),), channel=0, **kw)
    pixels, _ = render([view], params)
    expected = numpy_mono(np.ascontiguousarray(view), params)
    np.testing.assert_array_equal(pixels, expected)
    # Big-endian data (not the kernel's) still renders the same.
    swapped = np.ascontiguousarray(view).astype(">f4")
    np.testing.assert_array_equal(render([swapped], params)[0], expected)


def test_mono_nan_and_overflow_render_as_the_formula_says():
    plane = np.array([[np.nan, np.inf, -np.inf, 3e38, -3e38, 0.0, 1.0]], np.float32)
    pixels, _ = render([plane], RenderParams(minmax=((0.0, 1.0),), channel=0))
    assert pixels.tolist() == [[0, 255, 0, 255, 0, 0, 255]]


COLOUR_CASES = [
    ({}, 1),
    ({"gamma": 2.2}, 1),
    ({"gamma": 2.2, "invert": True}, 3),
    ({"mix": ((0.5, 0.5, 0.5), (1.0, 1.0, 1.0), (0.25, 0.25, 0.25))}, 3),
    ({"stretch": "sqrt", "gamma": 1.5}, 3),
    ({"contrast": 2.0, "brightness": 10.0}, 2),
]


@pytest.mark.parametrize("kw, nchannels", COLOUR_CASES)
def test_a_colour_mix_of_equal_colours_renders_as_its_grey(kw, nchannels):
    planes = [hostile_plane(seed=s) for s in range(nchannels)]
    cuts = [(60.0, 180.0), (40.0, 150.0), (100.0, 100.0)][:nchannels]  # the last: a step
    params = RenderParams(minmax=tuple(cuts), channel=None, **kw)
    rgbx, _ = render(planes, params)
    grey, _ = render(planes, params, grey_when_equal=True)
    assert grey.shape == planes[0].shape and grey.dtype == np.uint8
    assert (rgbx[..., 0] == rgbx[..., 1]).all() and (rgbx[..., 1] == rgbx[..., 2]).all()
    np.testing.assert_array_equal(grey, rgbx[..., 0])
    assert len(np.unique(grey)) > 50  # a real image, not a blank one


@pytest.mark.parametrize(
    "mix",
    [((1.0, 1.0, 0.5),), ((1.0, 0.5, 1.0),), ((0.5, 1.0, 1.0),), ((3.0, 1.8, 1.5),)],
)
def test_a_tinted_mix_stays_in_colour(mix):
    params = RenderParams(minmax=((60.0, 180.0),), channel=None, mix=mix)
    pixels, _ = render([hostile_plane()], params, grey_when_equal=True)
    assert pixels.shape == (64, 80, 4)


def test_only_jpeg_is_rendered_grey():
    params = RenderParams(minmax=((60.0, 180.0),), channel=None, fmt="png")
    pixels, alpha = render([hostile_plane()], params, grey_when_equal=True)
    assert pixels.shape == (64, 80, 4) and alpha is not None


@pytest.mark.parametrize("quality", [95, 100, 90, 60, 5])
@pytest.mark.parametrize("shape", [(256, 256), (37, 200), (1, 1), (255, 129)])
def test_a_grey_jpeg_decodes_to_the_pixels_of_the_rgbx_jpeg(quality, shape):
    rng = np.random.default_rng(quality)
    grey = rng.integers(0, 256, shape, dtype=np.uint8)
    grey[: shape[0] // 2] = np.linspace(0, 255, shape[1]).astype(np.uint8)  # smooth too
    rgbx = np.repeat(grey[:, :, None], 4, axis=2)
    rgbx[..., 3] = rng.integers(0, 256, shape, dtype=np.uint8)  # padding, ignored
    grey_jpeg, rgbx_jpeg = encode(grey, "jpeg", quality), encode(rgbx, "jpeg", quality)
    assert simplejpeg.decode_jpeg_header(grey_jpeg)[2] == "Gray"
    assert simplejpeg.decode_jpeg_header(rgbx_jpeg)[2] == "YCbCr"
    for options in ({}, {"fastdct": False, "fastupsample": False}):
        np.testing.assert_array_equal(
            simplejpeg.decode_jpeg(grey_jpeg, colorspace="RGB", **options),
            simplejpeg.decode_jpeg(rgbx_jpeg, colorspace="RGB", **options),
        )
    assert len(grey_jpeg) < len(rgbx_jpeg)


def test_a_colour_tile_of_equal_colours_is_a_grey_jpeg_of_the_same_pixels(tmp_path):
    from astropy.io import fits

    rng = np.random.default_rng(8)
    cube = rng.normal(100.0, 30.0, (3, 300, 280)).astype(np.float32)
    fits.PrimaryHDU(cube).writeto(tmp_path / "cube.fits")
    image = ImageData(tmp_path / "cube.fits")
    cuts = ((50.0, 200.0), (60.0, 190.0), (40.0, 170.0))
    tinted = ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0))
    from tiles.engine.image import render_region, render_tile

    for mix, colourspace in ((None, "Gray"), (tinted, "YCbCr")):
        params = RenderParams(minmax=cuts, channel=None, mix=mix, gamma=2.2, quality=95)
        tile = render_tile(image, 0, 1, 0, params)
        assert simplejpeg.decode_jpeg_header(tile)[2] == colourspace
        planes = image.tile_planes(0, 1, 0)
        rgbx, _ = render(planes, params)
        np.testing.assert_array_equal(
            simplejpeg.decode_jpeg(tile, colorspace="RGB"),
            simplejpeg.decode_jpeg(encode(rgbx, "jpeg", 95), colorspace="RGB"),
        )
        region = render_region(image, 0, 0, 0, 280, 300, params)
        assert simplejpeg.decode_jpeg_header(region)[:3] == (300, 280, colourspace)
