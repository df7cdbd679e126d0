"""Brute-force references with astropy: what the archive's exact predicates must agree
with. A TAN image's footprint is the set of sky positions whose pixel coordinates fall
on the image (0-based, from -0.5 to NAXIS - 0.5); distances are SkyCoord separations."""

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.wcs import WCS


def tan_wcs(ra, dec, width, height, scale_deg, rotation_deg):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(width + 1) / 2, (height + 1) / 2]
    theta = np.radians(rotation_deg)
    wcs.wcs.cd = scale_deg * np.array(
        [[-np.cos(theta), np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    )
    wcs.pixel_shape = (width, height)
    return wcs


def contains(wcs, coords):
    """Whether each SkyCoord falls on the image (its own TAN projection decides)."""
    x, y = wcs.world_to_pixel(coords)
    width, height = wcs.pixel_shape
    with np.errstate(invalid="ignore"):
        front = _front(wcs, coords)
        return front & (x >= -0.5) & (x <= width - 0.5) & (y >= -0.5) & (y <= height - 0.5)


def _front(wcs, coords):
    # The gnomonic projection sends the far hemisphere onto the plane too: only points
    # less than 90 degrees from the tangent point are on the image.
    centre = SkyCoord(*wcs.wcs.crval, unit="deg")
    return np.asarray(centre.separation(coords).deg < 90.0)


def boundary(wcs, per_edge=2000):
    """Dense points along the image's outer pixel edges, as a SkyCoord."""
    width, height = wcs.pixel_shape
    t = np.linspace(0.0, 1.0, per_edge)
    lo_x, hi_x, lo_y, hi_y = -0.5, width - 0.5, -0.5, height - 0.5
    xs = np.concatenate([lo_x + t * (hi_x - lo_x), np.full_like(t, hi_x),
                         hi_x - t * (hi_x - lo_x), np.full_like(t, lo_x)])  # fmt: skip
    ys = np.concatenate([np.full_like(t, lo_y), lo_y + t * (hi_y - lo_y),
                         np.full_like(t, hi_y), hi_y - t * (hi_y - lo_y)])  # fmt: skip
    return wcs.pixel_to_world(xs, ys)


def grid(wcs, n=120):
    width, height = wcs.pixel_shape
    xs, ys = np.meshgrid(np.linspace(-0.5, width - 0.5, n), np.linspace(-0.5, height - 0.5, n))
    return wcs.pixel_to_world(xs.ravel(), ys.ravel())


def distance(wcs, ra, dec):
    """Degrees from (ra, dec) to the image: 0 on it, else to the nearest edge point."""
    point = SkyCoord(ra * u.deg, dec * u.deg)
    if contains(wcs, point):
        return 0.0
    coarse = float(point.separation(boundary(wcs, 50)).deg.min())
    if coarse > 30.0:  # far: the nearest of 200 edge points is as good as any
        return coarse
    return float(point.separation(boundary(wcs)).deg.min())


def in_box(coords, ra_min, dec_min, ra_max, dec_max):
    width = (ra_max - ra_min) % 360.0
    ra, dec = coords.ra.deg, coords.dec.deg
    return ((ra - ra_min) % 360.0 <= width) & (dec >= dec_min) & (dec <= dec_max)


def box_edges(ra_min, dec_min, ra_max, dec_max, n=3000):
    width = (ra_max - ra_min) % 360.0
    t = np.linspace(0.0, 1.0, n)
    ras = np.concatenate([ra_min + t * width, ra_min + t * width, np.full_like(t, ra_min),
                          np.full_like(t, ra_min + width)])  # fmt: skip
    decs = np.concatenate([np.full_like(t, dec_min), np.full_like(t, dec_max),
                           dec_min + t * (dec_max - dec_min), dec_min + t * (dec_max - dec_min)])  # fmt: skip
    return SkyCoord(ras % 360.0 * u.deg, decs * u.deg)


def meets_box(wcs, box):
    """Whether the image and the ICRS box share a point (dense sampling of both)."""
    edges = box_edges(*box)
    centre = wcs.pixel_to_world(*((n - 1) / 2 for n in wcs.pixel_shape))
    reach = float(centre.separation(boundary(wcs, 50)).deg.max()) * 1.01
    if not in_box(centre, *box) and centre.separation(edges).deg.min() > reach:
        return False  # every point of the image is nearer its centre than the box is
    if in_box(grid(wcs), *box).any() or in_box(boundary(wcs), *box).any():
        return True
    return bool(contains(wcs, edges).any())
