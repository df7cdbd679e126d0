"""Synthetic FITS files for the engine tests (small, written to tmp_path)."""

import numpy as np
import pytest
from astropy.io import fits

from portal.demo import star_field_wcs


@pytest.fixture
def write_fits(tmp_path):
    """``write_fits(data, name=..., header=...)`` -> path of a one-HDU FITS file."""

    def write(data, name="image.fits", header=None, **keywords):
        path = tmp_path / name
        hdu = fits.PrimaryHDU(data=data, header=header)
        for key, value in keywords.items():
            hdu.header[key] = value
        hdu.writeto(path)
        return path

    return write


@pytest.fixture
def mef_4(tmp_path):
    """A 4-extension mosaic 2x2 of 50x40 amplifiers, with known DETSEC layout.

    Extension k holds the constant-free ramp ``1000 * k + row * 100 + col`` so every
    pixel tells where it came from; the upper-right amplifier is read out flipped in x.
    Returns (path, list of (data, detsec)).
    """
    width, height = 50, 40
    wcs = star_field_wcs(2 * width, 2 * height)
    primary = fits.PrimaryHDU()
    hdus, layout = [primary], []
    sections = [
        "[1:50,1:40]",  # lower left
        "[51:100,1:40]",  # lower right
        "[1:50,41:80]",  # upper left
        "[100:51,41:80]",  # upper right, flipped in x
    ]
    for k, detsec in enumerate(sections, start=1):
        rows, cols = np.mgrid[0:height, 0:width]
        data = (1000.0 * k + rows * 100 + cols).astype(np.float32)
        header = wcs.to_header()
        # Each extension's own WCS: CRPIX moved to its own pixels (flip honoured).
        x_det0 = int(detsec[1:].split(":")[0])
        y_det0 = int(detsec.split(",")[1].split(":")[0])
        if k == 4:
            header["CRPIX1"] = x_det0 + 1 - wcs.wcs.crpix[0]
            header["PC1_1"] = -header.get("PC1_1", 1.0)
            header["PC2_1"] = -header.get("PC2_1", 0.0)
        else:
            header["CRPIX1"] = wcs.wcs.crpix[0] - (x_det0 - 1)
        header["CRPIX2"] = wcs.wcs.crpix[1] - (y_det0 - 1)
        header["DETSEC"] = detsec
        header["DATASEC"] = f"[1:{width},1:{height}]"
        header["EXTNAME"] = f"AMP{k}"
        hdus.append(fits.ImageHDU(data=data, header=header))
        layout.append((data, detsec))
    path = tmp_path / "mosaic.fits"
    fits.HDUList(hdus).writeto(path)
    return path, layout
