"""Channel labels from the FITS headers: WCS axis 3, FILTER, EXTNAME + EXTVER."""

import numpy as np
from astropy.io import fits

from tiles.engine import open_image


def cube(path, **keywords):
    hdu = fits.PrimaryHDU(np.zeros((3, 4, 5), np.float32))
    hdu.header.update(keywords)
    hdu.writeto(path)
    return open_image(path).channel_labels


def test_a_wavelength_axis_in_its_own_unit(tmp_path):
    labels = cube(tmp_path / "w.fits", CTYPE3="WAVE", CUNIT3="Angstrom", CRVAL3=6563.0,
                  CDELT3=10.0, CRPIX3=1.0)  # fmt: skip
    assert labels == ["6563 Å", "6573 Å", "6583 Å"]  # astropy works in m: converted back


def test_frequency_and_velocity_axes(tmp_path):
    assert cube(tmp_path / "f.fits", CTYPE3="FREQ", CUNIT3="GHz", CRVAL3=1.42, CDELT3=0.01,
                CRPIX3=2.0) == ["1.41 GHz", "1.42 GHz", "1.43 GHz"]  # fmt: skip
    assert cube(tmp_path / "v.fits", CTYPE3="VRAD", CUNIT3="km/s", CRVAL3=-20.0, CDELT3=5.0,
                CRPIX3=1.0) == ["-20 km s⁻¹", "-15 km s⁻¹", "-10 km s⁻¹"]  # fmt: skip


def test_a_cube_without_an_axis_3_coordinate_numbers_its_planes(tmp_path):
    assert cube(tmp_path / "n.fits") == ["channel 1", "channel 2", "channel 3"]


def test_extensions_by_filter_or_extname_and_extver(tmp_path):
    planes = [fits.ImageHDU(np.zeros((4, 5), np.float32), name="SCI", ver=v) for v in (1, 2)]
    fits.HDUList([fits.PrimaryHDU(), *planes]).writeto(tmp_path / "sci.fits")
    assert open_image(tmp_path / "sci.fits").channel_labels == ["SCI 1", "SCI 2"]
    for hdu, band in zip(planes, ("F606W", "F814W"), strict=True):
        hdu.header["FILTER"] = band
    fits.HDUList([fits.PrimaryHDU(), *planes]).writeto(tmp_path / "bands.fits")
    assert open_image(tmp_path / "bands.fits").channel_labels == ["F606W", "F814W"]


def test_labels_never_repeat(tmp_path):
    planes = [fits.ImageHDU(np.zeros((4, 5), np.float32), name="SCI") for _ in range(2)]
    for hdu in planes:
        hdu.header["FILTER"] = "r"
    fits.HDUList([fits.PrimaryHDU(), *planes]).writeto(tmp_path / "same.fits")
    assert open_image(tmp_path / "same.fits").channel_labels == ["r (1)", "r (2)"]


def test_a_single_plane_is_named_by_its_filter(write_fits):
    assert open_image(write_fits(np.zeros((4, 5), np.float32), FILTER="Ha")).channel_labels == [
        "Ha"
    ]
