import numpy as np
import pytest
from astropy.io import fits

from portal.demo import star_field_wcs
from portal.models import Collection
from portal.registration import register_path


@pytest.fixture
def ramp_image(users, collections, settings):
    """A registered 983 x 1061 image whose pixel value encodes its FITS position:
    value = 10000 * (y - 1) + (x - 1); plus a private copy for permission tests."""
    rows, cols = np.mgrid[0:1061, 0:983]
    data = (rows * 10000.0 + cols).astype(np.float32)
    header = star_field_wcs(983, 1061).to_header()
    header["OBJECT"] = "Ramp"
    path = settings.UPLOAD_ROOT / "ramp.fits"
    fits.PrimaryHDU(data, header).writeto(path)
    return register_path(collections[Collection.TEAM], path, user=users["owner"])
