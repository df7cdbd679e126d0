"""What an image looks like before anyone touches a control: REST renderings with every
parameter left out (what the portal's viewer shows first) are neither black, nor white,
nor flat grey, and their cuts lie within the data (issue: an int16 image of 75..124 got
max 1388 and showed black; a cube opened grey)."""

import numpy as np
import pytest
import simplejpeg
from astropy.io import fits
from astropy.visualization import ZScaleInterval
from django.test import Client

from portal.models import Collection
from portal.registration import register_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(users):
    client = Client()
    client.force_login(users["owner"])
    return client


def register(collections, settings, name, data):
    path = settings.UPLOAD_ROOT / name
    fits.PrimaryHDU(data).writeto(path)
    return register_path(collections[Collection.PRIVATE], path)


def first_tile(client, image):
    """The whole image at the coarsest level, decoded (RGB)."""
    answer = client.get(f"/api/images/{image.pk}/tiles/0/0/0.jpg")
    assert answer.status_code == 200, answer.content[:200]
    return simplejpeg.decode_jpeg(b"".join(answer)).astype(float)


def sky(rng, shape, level, noise, stars):
    """A sky of ``level`` +- ``noise`` with ``stars`` Gaussian stars of peak 30 noise."""
    data = rng.normal(level, noise, shape)
    y, x = np.mgrid[: shape[0], : shape[1]]
    for cy, cx in rng.uniform(10, min(shape) - 10, (stars, 2)):
        data += 30 * noise * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 8.0)
    return data


def test_an_int16_image_of_75_to_124_is_not_black(collections, settings, viewer):
    rng = np.random.default_rng(3)
    data = np.clip(np.round(sky(rng, (300, 400), 90, 4, 25)), 75, 124).astype(np.int16)
    image = register(collections, settings, "int16.fits", data)
    detail = viewer.get(f"/api/images/{image.pk}/").json()
    ((lo, hi),) = detail["default_cuts"]
    assert 75 <= lo < hi <= 124
    expected = ZScaleInterval().get_limits(data.astype(np.float32))
    assert abs(lo - expected[0]) <= 2 and abs(hi - expected[1]) <= 2  # a sampled zscale
    assert 20 <= first_tile(viewer, image).mean() <= 235


@pytest.mark.parametrize("kind", ["arange", "sky-subtracted"])
def test_default_cuts_stay_within_the_data_and_show_it(collections, settings, viewer, kind):
    rng = np.random.default_rng(5)
    if kind == "arange":
        data = np.arange(300 * 256, dtype=np.float32).reshape(300, 256) / 100  # 0..768
    else:
        data = sky(rng, (300, 300), 0.0, 1.0, 20).astype(np.float32)
    image = register(collections, settings, f"{kind}.fits", data)
    ((lo, hi),) = viewer.get(f"/api/images/{image.pk}/").json()["default_cuts"]
    assert data.min() <= lo < hi <= data.max()
    tile = first_tile(viewer, image)
    assert 20 <= tile.mean() <= 235
    assert tile.std() > 8  # not flat grey (VisiOmatic's cuts gave about 1 grey level here)


def test_a_cube_opens_as_a_colour_composite(collections, settings, viewer):
    rng = np.random.default_rng(7)
    planes = [sky(rng, (200, 200), 100, 5, 10) for _ in range(3)]
    y, x = np.mgrid[:200, :200]
    planes[0] += x  # different structure in each plane: the composite is coloured
    planes[2] += y
    image = register(collections, settings, "cube.fits", np.array(planes, dtype=np.float32))
    detail = viewer.get(f"/api/images/{image.pk}/").json()
    assert len(detail["default_cuts"]) == 3
    tile = first_tile(viewer, image)
    red, green, blue = tile[..., 0], tile[..., 1], tile[..., 2]
    assert np.abs(red - blue).mean() > 10 and np.abs(red - green).mean() > 5  # not grey
    assert 20 <= tile.mean() <= 235
