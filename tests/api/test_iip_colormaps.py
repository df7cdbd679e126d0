"""The colormaps VisiOmatic's client asks for over IIP (``CMP=`` grey, jet, cold, hot:
its ChannelUI's choices, visiomatic 3.0.7) and cool, which the protocol also names:
each JTL tile shows the colours of the map's classic formula, worked out by hand at its
knees (hot: red, then green, then blue, each over a third; cold the same with blue and
red exchanged; jet dark blue through cyan and yellow to dark red; cool cyan to magenta).
"""

import numpy as np
import pytest
import simplejpeg
from astropy.io import fits
from rest_framework.test import APIClient

from portal import permissions
from portal.models import Collection
from portal.registration import register_path

pytestmark = pytest.mark.django_db

# Stripes 32 pixels wide, each one value (the grey level it has with MINMAX=1:0,255 and
# GAM=1: out = int(255.49 * v / 255) = v), at the formulas' knees.
LEVELS = [0, 43, 85, 128, 170, 213, 255, 64]
F = {0: 0.0, 43: 43 / 255, 85: 1 / 3, 128: 128 / 255, 170: 2 / 3, 213: 213 / 255, 255: 1.0,
     64: 64 / 255}  # fmt: skip
EXPECTED = {  # (r, g, b) as fractions, at each level, by hand
    "grey": {v: (F[v],) * 3 for v in LEVELS},
    "hot": {0: (0, 0, 0), 43: (3 * F[43], 0, 0), 85: (1, 0, 0), 128: (1, 3 * F[128] - 1, 0),
            170: (1, 1, 0), 213: (1, 1, 3 * F[213] - 2), 255: (1, 1, 1), 64: (3 * F[64], 0, 0)},
    "cold": {0: (0, 0, 0), 43: (0, 0, 3 * F[43]), 85: (0, 0, 1), 128: (0, 3 * F[128] - 1, 1),
             170: (0, 1, 1), 213: (3 * F[213] - 2, 1, 1), 255: (1, 1, 1), 64: (0, 0, 3 * F[64])},
    # jet: r = clip(1.5 - |4v - 3|), g = clip(1.5 - |4v - 2|), b = clip(1.5 - |4v - 1|)
    "jet": {0: (0, 0, 0.5), 64: (0, 4 * F[64] - 0.5, 1), 128: (4 * F[128] - 1.5, 1, 2.5 - 4 * F[128]),
            255: (0.5, 0, 0)},
    "cool": {0: (0, 1, 1), 128: (F[128], 1 - F[128], 1), 255: (1, 0, 1)},
}  # fmt: skip


@pytest.fixture
def stripes(users, collections, settings):
    data = np.repeat(np.array(LEVELS, np.float32), 32)[None, :].repeat(256, axis=0)
    path = settings.UPLOAD_ROOT / "stripes.fits"
    fits.PrimaryHDU(data).writeto(path)
    permissions.forget_cached_access()
    return register_path(collections[Collection.PUBLIC], path, user=users["owner"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_tile_shows_the_colormaps_colours(stripes, name):
    query = f"FIF={stripes.pk}&CHAN=1&MINMAX=1:0,255&GAM=1&QLT=100&CMP={name}&JTL=0,0"
    response = APIClient().get(f"/iip/?{query}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/jpeg"
    pixels = simplejpeg.decode_jpeg(response.content, colorspace="RGB").astype(int)
    assert pixels.shape == (256, 256, 3)
    for level, rgb in EXPECTED[name].items():
        column = 32 * LEVELS.index(level) + 16  # a stripe's middle: JPEG blurs its edges
        seen = np.median(pixels[100:156, column - 8 : column + 8], axis=(0, 1))
        expected = np.round(np.clip(rgb, 0, 1) * 255)
        assert np.abs(seen - expected).max() <= 3, (name, level, seen, expected)
