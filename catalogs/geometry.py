"""Positions of features and angular distances (framework-free, degrees)."""

import numpy as np


def feature_center(feature):
    """(lon, lat) of a feature: its point, or the mean of its vertices (a polygon's outer
    ring, each vertex once; RA-wrap aware)."""
    geometry = feature["geometry"]
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return float(coordinates[0]), float(coordinates[1])
    if kind == "Polygon" and len(coordinates[0]) > 1:
        coordinates = coordinates[0][:-1]  # a ring repeats its first vertex: count it once
    points = np.array(list(_points(coordinates)), dtype=float)
    if (feature.get("properties") or {}).get("frame") == "image":
        return float(points[:, 0].mean()), float(points[:, 1].mean())
    lon = np.radians(points[:, 0])
    mean_lon = np.degrees(np.arctan2(np.sin(lon).mean(), np.cos(lon).mean())) % 360.0
    return float(mean_lon), float(points[:, 1].mean())


def _points(coordinates):
    if coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for item in coordinates:
        yield from _points(item)


def angular_distance(ra1, dec1, ra2, dec2):
    """Great-circle distance in degrees (Vincenty's formula: stable at all separations)."""
    ra1, dec1, ra2, dec2 = (np.radians(np.asarray(v, dtype=float)) for v in (ra1, dec1, ra2, dec2))
    dra = ra2 - ra1
    sin_d1, cos_d1, sin_d2, cos_d2 = np.sin(dec1), np.cos(dec1), np.sin(dec2), np.cos(dec2)
    numerator = np.hypot(cos_d2 * np.sin(dra), cos_d1 * sin_d2 - sin_d1 * cos_d2 * np.cos(dra))
    denominator = sin_d1 * sin_d2 + cos_d1 * cos_d2 * np.cos(dra)
    return np.degrees(np.arctan2(numerator, denominator))


def header_wcs(header):
    """The celestial astropy WCS of a header given as keyword -> value, or None."""
    import warnings

    from astropy.io import fits
    from astropy.wcs import WCS, FITSFixedWarning

    cards = fits.Header()
    for keyword, value in (header or {}).items():
        if isinstance(value, str | int | float | bool) and len(keyword) <= 8:
            try:
                cards[keyword] = value
            except (ValueError, KeyError):
                continue
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(cards)
        except Exception:  # not a WCS astropy can read: no sky for this image
            return None
    return wcs.celestial if wcs.has_celestial else None


def sky_box_in_pixels(wcs, ra_min, dec_min, ra_max, dec_max, samples=16):
    """The FITS pixel box (x_min, y_min, x_max, y_max) holding a sky box (degrees;
    ``ra_min > ra_max`` wraps), from points along its edges and inside it."""
    ra_max_unwrapped = ra_max + 360.0 if ra_min > ra_max else ra_max
    ras = np.linspace(ra_min, ra_max_unwrapped, samples) % 360.0
    decs = np.linspace(dec_min, dec_max, samples)
    grid_ra, grid_dec = np.meshgrid(ras, decs)
    x, y = wcs.all_world2pix(grid_ra.ravel(), grid_dec.ravel(), 1)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return None
    return (float(x[finite].min()) - 1, float(y[finite].min()) - 1,
            float(x[finite].max()) + 1, float(y[finite].max()) + 1)  # fmt: skip
