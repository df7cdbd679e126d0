"""The image described as viewers read it: CD matrices, mosaic input images."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tiles.engine import open_image
from tiles.engine.describe import input_images, with_cd_matrix


@pytest.mark.parametrize(
    "linear",
    [
        {"PC1_1": -0.9, "PC1_2": 0.2, "PC2_1": 0.3, "PC2_2": 0.95, "CDELT1": 2e-4, "CDELT2": 3e-4},
        {"CDELT1": -2.5e-4, "CDELT2": 2.5e-4, "CROTA2": 33.0},
        {"CDELT1": -1e-4, "CDELT2": 2e-4, "CROTA2": -120.0},
        {"CDELT1": -1e-4, "CDELT2": 1e-4},
        {"PC1_2": 0.1, "CDELT1": -1e-4, "CDELT2": 1e-4},
    ],
)
def test_info_headers_carry_the_cd_matrix_the_client_reads(linear):
    """The VisiOmatic client reads only CDi_j: other forms are written out as CD, the
    same matrix as astropy's."""
    header = {"NAXIS": 2, "NAXIS1": 100, "NAXIS2": 80, "CTYPE1": "RA---TAN",
              "CTYPE2": "DEC--TAN", "CRVAL1": 10.0, "CRVAL2": -5.0, "CRPIX1": 50.0,
              "CRPIX2": 40.0, **linear}  # fmt: skip
    written = with_cd_matrix(header)
    cd = np.array([[written["CD1_1"], written["CD1_2"]], [written["CD2_1"], written["CD2_2"]]])
    expected = WCS(fits.Header(header)).pixel_scale_matrix
    np.testing.assert_allclose(cd, expected, rtol=1e-12, atol=1e-18)
    assert {k: written[k] for k in header} == header  # nothing else changes


def test_info_headers_with_a_cd_or_without_a_wcs_are_left_alone():
    with_cd = {"CTYPE1": "RA---TAN", "CD1_1": 1e-4, "CD2_2": 1e-4, "CDELT1": 5.0}
    assert with_cd_matrix(with_cd) is with_cd
    bare = {"NAXIS": 2, "NAXIS1": 10, "NAXIS2": 10}
    assert with_cd_matrix(bare) is bare


def test_input_images_of_a_mosaic_place_each_extension(tmp_path):
    """DETSEC in detector pixels from column 2049, the second amplifier flipped in x:
    each extension's data slice and where it lands in the mosaic (1-based, descending
    where flipped), with its own header."""
    hdus = [fits.PrimaryHDU()]
    for detsec, name in (("[2049:2148,1:50]", "A"), ("[2249:2150,1:50]", "B")):
        header = fits.Header({"DETSEC": detsec, "DATASEC": "[1:100,1:50]", "EXTNAME": name,
                              "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CDELT1": -1e-4,
                              "CDELT2": 1e-4})  # fmt: skip
        hdus.append(fits.ImageHDU(np.ones((50, 100), np.float32), header))
    path = tmp_path / "amps.fits"
    fits.HDUList(hdus).writeto(path)
    data = open_image(path)
    a, b = input_images(data, {"whole": True})
    assert (data.width, data.height) == (201, 50)
    assert (a["size"], a["dataslice"], a["detslice"]) == (
        [100, 50],
        [[1, 100, 1], [1, 50, 1]],
        [[1, 100, 1], [1, 50, 1]],
    )
    assert (b["dataslice"], b["detslice"]) == (
        [[1, 100, 1], [1, 50, 1]],
        [[201, 102, -1], [1, 50, 1]],
    )
    assert a["header"]["EXTNAME"] == "A" and b["header"]["CD1_1"] == pytest.approx(-1e-4)


def test_input_images_of_a_plain_image_is_the_whole_image(tmp_path):
    path = tmp_path / "plain.fits"
    fits.PrimaryHDU(np.zeros((30, 40), np.float32)).writeto(path)
    (entry,) = input_images(open_image(path), {"the": "header"})
    assert entry["size"] == [40, 30]
    assert entry["dataslice"] == entry["detslice"] == [[1, 40, 1], [1, 30, 1]]
    assert entry["header"] == {"the": "header"}
