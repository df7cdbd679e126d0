"""Measuring a star at a clicked pixel: its centroid, FWHM and aperture flux.

Framework-free. A box around the click is fitted with a 2-D Gaussian and a 2-D Moffat
profile on a constant background (astropy.modeling: the models and fitters astronomers
already trust); the Gaussian's centre is the centroid. The flux is the sum in a circular
aperture at that centre, less the background per pixel (the median of an annulus, the
exact median of ``regionstats``) times the aperture's area, both with regions' exact
partial pixels. Pixels are FITS 1-based in and out.
"""

import math
import warnings

import numpy as np
from astropy.modeling import fitting, models
from astropy.utils.exceptions import AstropyUserWarning
from regions import CirclePixelRegion, PixCoord

from tiles.engine.regionstats import RegionError, Shape, region_statistics

GAUSSIAN_FWHM = 2.0 * math.sqrt(2.0 * math.log(2.0))
CSV_COLUMNS = ["x", "y", "ra", "dec", "fwhm_gaussian", "fwhm_moffat", "moffat_alpha", "peak",
               "background", "aperture", "annulus_inner", "annulus_outer", "aperture_sum",
               "aperture_area", "flux", "channel"]  # fmt: skip


def measure_star(read, width, height, x_fits, y_fits, channel=0, half_box=10, aperture=None,
                 annulus=None, wcs=None):  # fmt: skip
    """The measurement of the star nearest FITS pixel (``x_fits``, ``y_fits``).

    ``read(channel, x0, y0, x1, y1)`` gives float pixels (0-based, half open); ``aperture``
    (radius) and ``annulus`` ((inner, outer) radii) in pixels default to 2 and (3, 5)
    times the Gaussian FWHM. ``RegionError`` when no star can be fitted there."""
    x0, y0 = max(int(round(x_fits - 1)) - half_box, 0), max(int(round(y_fits - 1)) - half_box, 0)
    x1, y1 = min(x0 + 2 * half_box + 1, width), min(y0 + 2 * half_box + 1, height)
    box = np.asarray(read(channel, x0, y0, x1, y1), dtype=np.float64)
    if box.size < 9 or not np.isfinite(box).any():
        raise RegionError("no pixel to measure there.")
    yy, xx = np.mgrid[y0:y1, x0:x1]
    good = np.isfinite(box)
    level = float(np.median(np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]])[
        np.isfinite(np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]]))]))  # fmt: skip
    peak_at = np.unravel_index(np.nanargmax(np.where(good, box, -np.inf)), box.shape)
    peak = float(box[peak_at]) - level
    if not peak > 0:
        raise RegionError("no source above the background there.")
    px, py = float(xx[peak_at]), float(yy[peak_at])
    gaussian = _fit(
        models.Gaussian2D(peak, px, py, 1.5, 1.5) + models.Const2D(level), xx, yy, box, good
    )
    star = gaussian[0]
    cx, cy = float(star.x_mean.value), float(star.y_mean.value)
    if not (x0 - 0.5 <= cx <= x1 - 0.5 and y0 - 0.5 <= cy <= y1 - 0.5):
        raise RegionError("the fit found no star there.")
    fwhm = GAUSSIAN_FWHM * math.sqrt(abs(star.x_stddev.value * star.y_stddev.value))
    moffat = _fit(
        models.Moffat2D(peak, cx, cy, fwhm, 2.5) + models.Const2D(level), xx, yy, box, good
    )[0]
    aperture = float(aperture or 2.0 * fwhm)
    inner, outer = (float(r) for r in (annulus or (3.0 * fwhm, 5.0 * fwhm)))
    if not 0 < aperture <= inner < outer:
        raise RegionError("the radii must grow: aperture <= annulus inner < outer.")
    centre = PixCoord(cx, cy)
    (inside,) = region_statistics(
        read, width, height, [channel], [Shape(CirclePixelRegion(centre, aperture))]
    )
    ring = Shape(CirclePixelRegion(centre, outer), CirclePixelRegion(centre, inner))
    (sky,) = region_statistics(read, width, height, [channel], [ring])
    background = sky["median"] if sky["median"] is not None else float(gaussian[1].amplitude.value)
    result = {"x": cx + 1.0, "y": cy + 1.0, "fwhm_gaussian": fwhm, "fwhm_moffat": float(moffat.fwhm),
              "moffat_alpha": float(moffat.alpha.value), "peak": float(star.amplitude.value),
              "background": background, "aperture": aperture, "annulus_inner": inner, "annulus_outer": outer,
              "aperture_sum": inside["sum"], "aperture_area": inside["area_pixels"],
              "flux": inside["sum"] - background * inside["area_pixels"], "channel": channel + 1}  # fmt: skip
    if wcs is not None and getattr(wcs, "has_celestial", False):
        sky_position = wcs.celestial.pixel_to_world(cx, cy).icrs
        result["ra"], result["dec"] = float(sky_position.ra.deg), float(sky_position.dec.deg)
    return result


def _fit(model, xx, yy, values, good):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyUserWarning)
        return fitting.TRFLSQFitter()(model, xx[good], yy[good], values[good], maxiter=400)


def csv_row(measurement):
    """The header and one row of a measurement, as CSV text."""
    cells = []
    for key in CSV_COLUMNS:
        value = measurement.get(key)
        cells.append(
            "" if value is None else repr(float(value)) if isinstance(value, float) else str(value)
        )
    return ",".join(CSV_COLUMNS) + "\n" + ",".join(cells) + "\n"
