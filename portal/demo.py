"""A synthetic but realistic star field, for the demo and for tests.

Sky background with a gentle gradient and Gaussian noise, stars with a power-law
luminosity function and a Moffat-like PSF, a few extended galaxies, a celestial TAN
WCS (CD matrix, slightly rotated), float32 data, and the usual header keywords.
"""

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS


def star_field_wcs(width, height, ra=150.1, dec=2.2, scale_arcsec=0.4, rotation_deg=12.0):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(width + 1) / 2, (height + 1) / 2]
    scale = scale_arcsec / 3600.0
    theta = np.deg2rad(rotation_deg)
    wcs.wcs.cd = scale * np.array([[-np.cos(theta), np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    wcs.wcs.radesys = "ICRS"
    return wcs


def star_field(width=2048, height=2048, nstars=3000, seed=1, background=1000.0, noise=12.0):
    """A float32 array (height, width), FITS orientation (row 0 at the bottom)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    data = background + 40.0 * (xx / width) + 25.0 * (yy / height)
    data += rng.normal(0.0, noise, size=(height, width)).astype(np.float32)
    fluxes = 2e3 * (rng.pareto(1.4, nstars) + 1.0)
    xs, ys = rng.uniform(0, width, nstars), rng.uniform(0, height, nstars)
    _add_sources(data, xs, ys, fluxes, fwhm=3.2, beta=3.0, radius=12)
    ngal = max(3, nstars // 400)
    gx, gy = rng.uniform(0, width, ngal), rng.uniform(0, height, ngal)
    _add_sources(data, gx, gy, 3e5 * rng.uniform(0.3, 1.0, ngal), fwhm=18.0, beta=1.5, radius=60)
    return data.astype(np.float32)


def _add_sources(data, xs, ys, fluxes, fwhm, beta, radius):
    height, width = data.shape
    alpha = fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))
    norm = (beta - 1.0) / (np.pi * alpha**2)
    for x, y, flux in zip(xs, ys, fluxes, strict=True):
        x0, x1 = max(int(x) - radius, 0), min(int(x) + radius + 1, width)
        y0, y1 = max(int(y) - radius, 0), min(int(y) + radius + 1, height)
        if x0 >= x1 or y0 >= y1:
            continue
        sy, sx = np.ogrid[y0:y1, x0:x1]
        r2 = (sx - x) ** 2 + (sy - y) ** 2
        data[y0:y1, x0:x1] += flux * norm * (1.0 + r2 / alpha**2) ** (-beta)


def write_star_field(path, width=2048, height=2048, nstars=3000, seed=1, obj="Demo field"):
    """Write a star field FITS file with a TAN WCS; returns the path."""
    data = star_field(width, height, nstars=nstars, seed=seed)
    header = star_field_wcs(width, height).to_header()
    header["OBJECT"] = obj
    header["TELESCOP"] = "fitsportal demo"
    header["FILTER"] = "r"
    header["BUNIT"] = "ADU"
    header["EXPTIME"] = 300.0
    header["DATE-OBS"] = "2026-01-15T03:04:05"
    fits.PrimaryHDU(data=data, header=header).writeto(path, overwrite=True)
    return path
