"""FITS files laid out as real instruments write them, small: the HDUs, keywords and
WCS conventions of each, with pixels of a known pattern (not copied from any archive).

- ``decam_mef``: DECam's processed exposures: an empty primary HDU holding what the
  exposure shares, then one extension per CCD (62) with DETSEC/DATASEC, a TPV WCS and
  its PV keywords; optionally tile-compressed (``fpack``'s ``.fits.fz``).
- ``hst_flt``: HST ACS/WFC ``flt`` files: empty primary (FILTER1/FILTER2, DATE-OBS and
  TIME-OBS, EXPSTART as MJD, TARGNAME), then SCI, ERR, DQ for each of two chips, the
  SCI ones with a SIP WCS.
- ``radio_cube``: a VLA/ALMA-style image: 4 axes, FREQ and STOKES of length 1, Jy/beam.
"""

import numpy as np
from astropy.io import fits

DECAM_PRIMARY = {
    "TELESCOP": "CTIO 4.0-m telescope",
    "OBSERVAT": "CTIO",
    "INSTRUME": "DECam",
    "OBJECT": "DES supernova hex SN-X3 tiling 23",
    "FILTER": "r DECam SDSS c0002 6415.0 1480.0",
    "DATE-OBS": "2014-10-21T05:37:16.432961",
    "MJD-OBS": 56951.23421797,
    "EXPTIME": 90.0,
    "EXPNUM": 373242,
    "RADESYS": "ICRS",
    "EQUINOX": 2000.0,
}


def decam_ccd_header(row, col, ccd_width, ccd_height, ra, dec, scale):
    """The header of the CCD at (row, col) of the 8 x 8 grid (DETSEC in a detector
    space of 8 x 8 CCDs), with a TPV WCS placing it on the sky around (ra, dec)."""
    x1, y1 = col * ccd_width + 1, row * ccd_height + 1
    header = fits.Header()
    header["EXTNAME"] = f"CCD{row * 8 + col + 1:02d}"
    header["CCDNUM"] = row * 8 + col + 1
    header["DETSEC"] = f"[{x1}:{x1 + ccd_width - 1},{y1}:{y1 + ccd_height - 1}]"
    header["DATASEC"] = f"[1:{ccd_width},1:{ccd_height}]"
    header["CTYPE1"], header["CTYPE2"] = "RA---TPV", "DEC--TPV"
    header["CRVAL1"], header["CRVAL2"] = ra, dec
    # The tangent point is the focal plane's centre, in this CCD's own pixels.
    header["CRPIX1"] = 4 * ccd_width + 0.5 - (x1 - 1)
    header["CRPIX2"] = 4 * ccd_height + 0.5 - (y1 - 1)
    header["CD1_1"], header["CD1_2"] = 0.0, -scale
    header["CD2_1"], header["CD2_2"] = -scale, 0.0  # DECam's CCDs lie rotated by 90 degrees
    for axis, terms in ((1, {1: 1.0, 4: 2e-3, 7: 5e-3}), (2, {1: 1.0, 4: -3e-3, 7: 2e-3})):
        for k in range(11):
            header[f"PV{axis}_{k}"] = terms.get(k, 0.0)
    header["BUNIT"] = "electrons"
    return header


def decam_mef(path, ccds=62, ccd_width=64, ccd_height=128, ra=36.45, dec=-4.6,
              scale=0.263 / 3600, compressed=False, data=True):  # fmt: skip
    """Write a DECam-like exposure; the CCD of extension k holds ``1000 * k + row``.
    The 8 x 8 grid's first and last CCDs are left out (62 of 64), as DECam's corners are.
    Returns the path."""
    hdus = [fits.PrimaryHDU(header=fits.Header(DECAM_PRIMARY))]
    places = [(r, c) for r in range(8) for c in range(8)][1:-1][:ccds]
    for k, (row, col) in enumerate(places, start=1):
        header = decam_ccd_header(row, col, ccd_width, ccd_height, ra, dec, scale)
        if not data:
            pixels = np.zeros((ccd_height, ccd_width), np.int16)
        else:
            pixels = 1000.0 * k + np.arange(ccd_height)[:, None] + np.zeros(ccd_width)
            pixels = pixels.astype(np.float32)
        if compressed:
            hdu = fits.CompImageHDU(pixels, header, compression_type="RICE_1",
                                    quantize_level=0 if pixels.dtype.kind == "f" else 16)  # fmt: skip
        else:
            hdu = fits.ImageHDU(pixels, header)
        hdus.append(hdu)
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


HST_PRIMARY = {
    "TELESCOP": "HST",
    "INSTRUME": "ACS",
    "DETECTOR": "WFC",
    "ROOTNAME": "j8pu0ha2q",
    "TARGNAME": "NGC104",
    "FILTER1": "CLEAR1L",
    "FILTER2": "F814W",
    "DATE-OBS": "2004-09-24",
    "TIME-OBS": "17:49:07",
    "EXPSTART": 53272.74244213,
    "EXPEND": 53272.74823380,
    "EXPTIME": 500.0,
}


def hst_sip_header(chip, width, height, ra=6.0236, dec=-72.0813):
    header = fits.Header()
    header["EXTNAME"], header["EXTVER"] = "SCI", chip
    header["BUNIT"] = "ELECTRONS"
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
    header["CRVAL1"], header["CRVAL2"] = ra, dec + (chip - 1.5) * 0.0285
    header["CRPIX1"], header["CRPIX2"] = width / 2 + 0.5, height / 2 + 0.5
    header["CD1_1"], header["CD1_2"] = -3.9e-6, -1.3e-5
    header["CD2_1"], header["CD2_2"] = -1.2e-5, 3.1e-6
    header["A_ORDER"], header["B_ORDER"] = 2, 2
    header["A_0_2"], header["A_1_1"], header["A_2_0"] = 2.2e-6, -7.6e-6, 8.6e-6
    header["B_0_2"], header["B_1_1"], header["B_2_0"] = -9.8e-6, 6.4e-6, -2.9e-6
    header["ORIENTAT"] = -73.4
    return header


def hst_flt(path, width=128, height=64):
    """Write an ACS/WFC-like ``flt``: SCI, ERR, DQ for chips 1 and 2 (SCI k holds k)."""
    hdus = [fits.PrimaryHDU(header=fits.Header(HST_PRIMARY))]
    for chip in (1, 2):
        sci = hst_sip_header(chip, width, height)
        hdus.append(fits.ImageHDU(np.full((height, width), chip, np.float32), sci))
        err = fits.Header({"EXTNAME": "ERR", "EXTVER": chip, "BUNIT": "ELECTRONS"})
        hdus.append(fits.ImageHDU(np.ones((height, width), np.float32), err))
        dq = fits.Header({"EXTNAME": "DQ", "EXTVER": chip})
        hdus.append(fits.ImageHDU(np.zeros((height, width), np.int16), dq))
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


def radio_cube(path, size=100, ra=83.8221, dec=-5.3911):
    header = fits.Header()
    for key, value in {
        "CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CTYPE3": "FREQ", "CTYPE4": "STOKES",
        "CRVAL1": ra, "CRVAL2": dec, "CRVAL3": 1.4e9, "CRVAL4": 1.0,
        "CRPIX1": size / 2 + 1, "CRPIX2": size / 2 + 1, "CRPIX3": 1.0, "CRPIX4": 1.0,
        "CDELT1": -4e-4, "CDELT2": 4e-4, "CDELT3": 1e6, "CDELT4": 1.0,
        "CUNIT1": "deg", "CUNIT2": "deg", "CUNIT3": "Hz", "CUNIT4": "",
        "BUNIT": "JY/BEAM", "BMAJ": 1.2e-3, "BMIN": 1e-3, "BPA": 30.0,
        "TELESCOP": "VLA", "OBJECT": "ORION-KL", "DATE-OBS": "2012-05-06T03:04:05.0",
        "RADESYS": "FK5", "EQUINOX": 2000.0, "SPECSYS": "LSRK",
    }.items():  # fmt: skip
        header[key] = value
    data = np.arange(size * size, dtype=np.float32).reshape(1, 1, size, size) * 1e-4
    fits.PrimaryHDU(data, header).writeto(path, overwrite=True)
    return path
