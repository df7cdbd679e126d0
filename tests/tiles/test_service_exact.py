"""tiles/service.py beyond the ETag: the open image kept per process and forgotten when
its file changes, the open-only peek the fast path uses, the statistics and default
cuts an image renders with, the region size limit, and FITS cutouts checked against
the file as astropy reads it."""

import io
import os

import numpy as np
import pytest
from astropy.io import fits

from portal.models import Collection
from portal.registration import register_path
from tiles import file_check, service
from tiles.engine import ParameterError, RenderParams
from tiles.engine.errors import InvalidFitsError

pytestmark = pytest.mark.django_db

PIXELS = np.arange(40 * 30, dtype=np.float32).reshape(30, 40)  # 30 rows of 40


@pytest.fixture
def image(collections, settings):
    path = settings.UPLOAD_ROOT / "service.fits"
    fits.PrimaryHDU(PIXELS).writeto(path)
    image = register_path(collections[Collection.PUBLIC], path)
    service.forget_data(image)
    file_check.forget()
    yield image
    service.forget_data(image)
    file_check.forget()


def rewrite(image, pixels):
    fits.PrimaryHDU(pixels).writeto(image.path, overwrite=True)


def test_an_image_is_opened_once_and_at_the_configured_tile_size(image, settings):
    settings.TILE_SIZE = 128
    data = service.open_data(image)
    assert data.grid.tile_size == 128
    assert service.open_data(image) is data
    assert service.open_data_if_open(image) is data
    service.forget_data(image)
    assert service.open_data_if_open(image) is None


def test_a_changed_file_is_refused_and_its_open_image_forgotten(image):
    service.open_data(image)
    rewrite(image, np.zeros((31, 40), np.float32))  # another size
    with pytest.raises(file_check.FileChangedError, match="the file changed on disk"):
        service.open_data(image)
    assert service._open_images.peek(image.cache_key) is None
    assert issubclass(file_check.FileChangedError, InvalidFitsError)


def test_the_peek_refuses_a_file_known_to_have_changed_and_forgets_it(image):
    service.open_data(image)
    rewrite(image, np.zeros((31, 40), np.float32))
    with pytest.raises(file_check.FileChangedError):
        file_check.check(image)  # the verdict is now known, the image still open
    assert service._open_images.peek(image.cache_key) is not None
    with pytest.raises(file_check.FileChangedError):
        service.open_data_if_open(image)
    assert service._open_images.peek(image.cache_key) is None


def test_the_peek_leaves_what_needs_a_check_to_open_data(image):
    data = service.open_data(image)
    stat = os.stat(image.path)
    os.utime(image.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched
    assert service.open_data_if_open(image) is None  # a stat cannot tell
    assert service._open_images.peek(image.cache_key) is data  # still open
    assert service.open_data(image) is data  # the content is the same: served


def test_the_statistics_are_the_ingests_else_the_engines(image):
    data = service.open_data(image)
    engine = [s.as_dict() for s in data.stats]
    image.stats = []
    assert service.channel_stats(image, data) == engine
    ingest = [{**engine[0], "lo": -1.0, "hi": 1.0,
               "cuts": {**engine[0]["cuts"], "zscale": [3.0, 4.0]}}]  # fmt: skip
    image.stats = ingest
    assert service.channel_stats(image, data) is ingest
    assert service.default_cuts(image, data) == [(3.0, 4.0)]  # zscale, the default preset
    image.stats = []
    assert service.default_cuts(image, data) == [tuple(engine[0]["cuts"]["zscale"])]


def params_of(fmt="png"):
    return RenderParams(minmax=((0.0, 1199.0),), fmt=fmt)


def test_a_region_is_refused_beyond_its_pixel_limit(image, settings):
    data = service.open_data(image)
    box = (0, 0, 20, 10)  # 200 level pixels
    rendering = service.region(image, data, 0, box, params_of(), max_pixels=200)
    assert rendering.content_type == "image/png"
    assert rendering.body()[:8] == b"\x89PNG\r\n\x1a\n"
    too_small = service.region(image, data, 0, box, params_of(), max_pixels=199)
    with pytest.raises(ParameterError, match="needs 200 pixels, more than the limit of 199"):
        too_small.body()
    settings.MAX_REGION_PIXELS = 199  # the limit when none is given
    with pytest.raises(ParameterError, match="more than the limit of 199"):
        service.region(image, data, 0, box, params_of()).body()
    settings.MAX_REGION_PIXELS = 200
    assert service.region(image, data, 0, box, params_of("jpeg")).content_type == "image/jpeg"


def test_a_tile_outside_the_grid_is_refused_before_anything_is_rendered(image):
    data = service.open_data(image)
    assert service.tile(image, data, 0, 0, 0, params_of("webp")).content_type == "image/webp"
    assert service.tile(image, data, 0, 0, 0, params_of()).body()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ParameterError):
        service.tile(image, data, 0, 1, 0, params_of())
    with pytest.raises(ParameterError):
        service.tile(image, data, 0, 0, 1, params_of())


def test_a_cutout_is_the_files_pixels(image, settings):
    data = service.open_data(image)
    body = service.cutout(data, (3, 5, 12, 9), None)
    with fits.open(io.BytesIO(body)) as cut, fits.open(image.path) as original:
        # FITS pixels x 3..12, y 5..9 (1-based, inclusive): numpy rows 4..8, columns 2..11.
        np.testing.assert_array_equal(cut[0].data, original[0].data[4:9, 2:12])
    settings.MAX_CUTOUT_PIXELS = 49
    with pytest.raises(ParameterError):
        service.cutout(data, (3, 5, 12, 9), None)  # 50 values
    settings.MAX_CUTOUT_PIXELS = 50
    assert service.cutout(data, (3, 5, 12, 9), None) == body


def test_a_cutout_of_chosen_channels_of_a_cube(collections, settings):
    path = settings.UPLOAD_ROOT / "cube.fits"
    planes = np.stack([PIXELS, PIXELS + 10_000, PIXELS + 20_000])
    fits.PrimaryHDU(planes).writeto(path)
    cube = register_path(collections[Collection.PUBLIC], path)
    try:
        data = service.open_data(cube)
        with fits.open(io.BytesIO(service.cutout(data, (1, 1, 4, 3), [2]))) as cut:
            np.testing.assert_array_equal(np.squeeze(cut[0].data), planes[2, 0:3, 0:4])
        with fits.open(io.BytesIO(service.cutout(data, (1, 1, 4, 3), None))) as cut:
            np.testing.assert_array_equal(cut[0].data, planes[:, 0:3, 0:4])
    finally:
        service.forget_data(cube)
