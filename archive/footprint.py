"""An image's footprint on the sky, in ICRS, from its celestial WCS.

The WCS may be in any of the frames FITS names (equatorial ICRS, FK5, FK4 with their
``RADESYS``/``EQUINOX`` defaults of WCS paper II; galactic; ecliptic; supergalactic), in
any projection, with its axes in either order, SIP or TPV distortion, and other axes
around it (a radio cube's FREQ and STOKES): the footprint is always converted to ICRS.

A footprint is a list of convex spherical polygons, each a list of ICRS (ra, dec) corners
in degrees (``archive/sky.py``). An undistorted TAN image of a few degrees is one
polygon of its four outer pixel corners, exact. Any other image is cut into pieces of
its pixel grid no wider than ``PIECE_DEGREES`` on the sky; each piece is the convex hull
of a grid of points sampled over it, so that curved edges, a pole or RA = 0 inside the
image, and the pixels of an all-sky map that lie off the sky (AIT's corners) are all
handled: a sample off the sky is moved to the sky's edge (the border of an all-sky AIT
map), and a piece entirely off the sky has no polygon.
"""

import math
import re
import warnings

import numpy as np
from astropy import units as u
from astropy.utils.exceptions import AstropyWarning

from archive import sky

PIECE_DEGREES = 20.0  # a piece's largest side on the sky, about
MAX_PIECES = 12  # along each pixel axis
SAMPLES = 7  # points along each side of a piece (its grid is SAMPLES x SAMPLES)
EXACT_DEGREES = 5.0  # an undistorted TAN image this small is its four corners


def celestial_frame(wcs):
    """The astropy frame of a celestial WCS's world coordinates, or None when they are
    not on the sky (a planet's, the Sun's, an unknown system).

    RADESYS applies to equatorial (and ecliptic) axes only: galactic axes stay galactic
    whatever RADESYS says. Without RADESYS, equatorial axes are ICRS without EQUINOX, FK4
    with EQUINOX before 1984 and FK5 after (paper II, section 3.1).
    """
    from astropy.coordinates import (
        FK4,
        FK5,
        ICRS,
        BarycentricMeanEcliptic,
        FK4NoETerms,
        Galactic,
        Supergalactic,
    )
    from astropy.time import Time

    lng, lat = wcs.wcs.lng, wcs.wcs.lat
    if lng < 0 or lat < 0:
        return None
    pair = (wcs.wcs.ctype[lng][:4].upper(), wcs.wcs.ctype[lat][:4].upper())
    equinox = None if np.isnan(wcs.wcs.equinox) else float(wcs.wcs.equinox)
    radesys = wcs.wcs.radesys.strip().upper()
    if pair == ("GLON", "GLAT"):
        return Galactic()
    if pair == ("SLON", "SLAT"):
        return Supergalactic()
    if pair == ("ELON", "ELAT"):
        return BarycentricMeanEcliptic(equinox=Time(equinox or 2000.0, format="jyear"))
    if pair != ("RA--", "DEC-"):
        return None
    if not radesys:
        radesys = "ICRS" if equinox is None else "FK4" if equinox < 1984.0 else "FK5"
    if radesys == "ICRS":
        return ICRS()
    if radesys == "FK5":
        return FK5(equinox=Time(equinox or 2000.0, format="jyear"))
    if radesys in ("FK4", "FK4-NO-E"):
        frame = FK4 if radesys == "FK4" else FK4NoETerms
        return frame(equinox=Time(equinox or 1950.0, format="byear"))
    return None  # GAPPT: apparent places of a date, not a catalogue frame


def icrs_of(wcs, frame, x, y):
    """ICRS (ra, dec) in degrees of the 0-based pixel positions ``x``, ``y`` (arrays):
    NaN where a pixel lies off the sky."""
    from astropy.coordinates import ICRS, SkyCoord

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", AstropyWarning)
        world = wcs.all_pix2world(np.asarray(x, float), np.asarray(y, float), 0)
    lon, lat = np.asarray(world[wcs.wcs.lng], float), np.asarray(world[wcs.wcs.lat], float)
    good = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90.0)
    if not isinstance(frame, ICRS) and good.any():
        coords = SkyCoord(lon[good] * u.deg, lat[good] * u.deg, frame=frame).icrs
        lon[good], lat[good] = coords.ra.deg, coords.dec.deg
    lon[~good], lat[~good] = np.nan, np.nan
    return lon % 360.0, lat


# Cards that need astropy's own WCS (SIP, lookup tables), not wcslib's alone.
_ASTROPY_DISTORTION = re.compile(r"^(A_ORDER|B_ORDER|CPDIS|CQDIS|D2IMDIS|DP\d|DQ\d)")


def extension_wcs(cards):
    """The celestial WCS of an extension's header cards (one string), or None: made by
    wcslib alone (a tenth of the time of ``sky.celestial_wcs``, TPV included) unless the
    cards hold SIP or lookup-table distortion, which only astropy applies."""
    from astropy.wcs import WCS, Wcsprm

    cards = sky.wcs_cards(cards)
    starts = (cards[i : i + 8] for i in range(0, len(cards), 80))
    if any(_ASTROPY_DISTORTION.match(start) for start in starts):
        return sky.celestial_wcs(cards)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = WCS(naxis=2)
            wcs.wcs = Wcsprm(header=cards.encode("ascii", "replace"), relax=True)
            if wcs.wcs.naxis != 2 or (wcs.wcs.lng, wcs.wcs.lat) != (0, 1):
                return sky.celestial_wcs(cards)  # other axes, or the sky's swapped
    except Exception:  # wcslib raises many kinds on broken WCS keywords
        return None
    return wcs if wcs.has_celestial else None


def icrs_footprint(header, width, height, wcs=None):
    """The footprint of a ``width`` x ``height`` image: a list of convex polygons, each
    a list of ICRS (ra, dec) corners in degrees; [] without a celestial WCS on the sky.
    ``header``: an astropy Header or its cards as one string; ``wcs``: its
    ``sky.celestial_wcs`` if already made."""
    if wcs is None:
        wcs = sky.celestial_wcs(header)
    if wcs is None or wcs.naxis != 2 or not width or not height:
        return []
    try:
        frame = celestial_frame(wcs)
        if frame is None:
            return []
        return _polygons(wcs, frame, int(width), int(height))
    except (ValueError, TypeError, ArithmeticError, MemoryError):
        return []  # a WCS astropy accepted but cannot evaluate


def _polygons(wcs, frame, width, height):
    # Outer pixel edges: pixel centres are 0 .. n - 1 (0-based), edges -0.5 .. n - 0.5.
    x_pieces, y_pieces = _pieces(wcs, frame, width, height)
    if x_pieces == y_pieces == 1 and _exact_corners(wcs):
        x = np.array([-0.5, -0.5, width - 0.5, width - 0.5])
        y = np.array([-0.5, height - 0.5, height - 0.5, -0.5])
        ra, dec = icrs_of(wcs, frame, x, y)
        if np.all(np.isfinite(ra)) and _radius(ra, dec) < EXACT_DEGREES:
            return [list(zip(ra.tolist(), dec.tolist(), strict=True))]
    x, y = _piece_samples(width, height, x_pieces, y_pieces)
    _onto_the_sky(wcs, x, y)
    ra, dec = icrs_of(wcs, frame, x.ravel(), y.ravel())
    ra, dec = ra.reshape(x.shape), dec.reshape(x.shape)
    polygons = []
    for piece in range(len(x)):
        hull = convex_hull(ra[piece], dec[piece])
        if hull is not None:
            polygons.append(hull)
    return polygons


def _piece_samples(width, height, x_pieces, y_pieces):
    """0-based pixel positions (pieces, SAMPLES**2) of each piece's grid of samples."""
    x_edges = np.linspace(-0.5, width - 0.5, x_pieces + 1)
    y_edges = np.linspace(-0.5, height - 0.5, y_pieces + 1)
    xs, ys = [], []
    for j in range(y_pieces):
        for i in range(x_pieces):
            gx = np.linspace(x_edges[i], x_edges[i + 1], SAMPLES)
            gy = np.linspace(y_edges[j], y_edges[j + 1], SAMPLES)
            xx, yy = np.meshgrid(gx, gy)
            xs.append(xx.ravel())
            ys.append(yy.ravel())
    return np.array(xs), np.array(ys)


def _on_the_sky(wcs, x, y):
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", AstropyWarning)
        world = wcs.all_pix2world(np.asarray(x, float), np.asarray(y, float), 0)
    lat = np.asarray(world[wcs.wcs.lat], float)
    return np.isfinite(world[wcs.wcs.lng]) & np.isfinite(lat) & (np.abs(lat) <= 90.0)


def _onto_the_sky(wcs, x, y, steps=40):
    """Move, in place, each sample off the sky (an all-sky AIT map's corners) to the
    edge of the sky, along the line to the nearest sample of its piece on the sky: the
    hull then reaches the map's edge (its poles) instead of stopping a sample short."""
    good = _on_the_sky(wcs, x.ravel(), y.ravel()).reshape(x.shape)
    mixed = np.flatnonzero(good.any(axis=1) & ~good.all(axis=1))
    if not len(mixed):
        return
    where, anchors = [], []
    for piece in mixed:
        bad_k, good_k = np.flatnonzero(~good[piece]), np.flatnonzero(good[piece])
        gap = np.hypot(x[piece, bad_k][:, None] - x[piece, good_k][None],
                       y[piece, bad_k][:, None] - y[piece, good_k][None])  # fmt: skip
        nearest = good_k[np.argmin(gap, axis=1)]
        where += [(piece, k) for k in bad_k]
        anchors += [(piece, k) for k in nearest]
    rows, cols = np.array(where).T
    a_rows, a_cols = np.array(anchors).T
    inside_x, inside_y = x[a_rows, a_cols], y[a_rows, a_cols]
    outside_x, outside_y = x[rows, cols], y[rows, cols]
    for _ in range(steps):  # bisection: the sky's edge within 2**-40 of the gap
        mid_x, mid_y = (inside_x + outside_x) / 2, (inside_y + outside_y) / 2
        on = _on_the_sky(wcs, mid_x, mid_y)
        inside_x, inside_y = np.where(on, mid_x, inside_x), np.where(on, mid_y, inside_y)
        outside_x, outside_y = np.where(on, outside_x, mid_x), np.where(on, outside_y, mid_y)
    x[rows, cols], y[rows, cols] = inside_x, inside_y


def _exact_corners(wcs):
    """Whether the image's edges are great circles: TAN without distortion."""
    projections = {c[5:8].upper() for c in wcs.wcs.ctype}
    distorted = wcs.sip is not None or wcs.cpdis1 is not None or wcs.det2im1 is not None
    tpv = any(c.upper().endswith(("TPV", "TPD")) for c in wcs.wcs.ctype)
    return projections == {"TAN"} and not distorted and not tpv and not wcs.wcs.get_pv()


def _pieces(wcs, frame, width, height):
    """Pieces along each pixel axis, so that none is wider than ``PIECE_DEGREES``."""
    from astropy.wcs.utils import proj_plane_pixel_scales

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        scales = proj_plane_pixel_scales(wcs)
    if not np.all(np.isfinite(scales)) or np.any(scales <= 0):
        return MAX_PIECES, MAX_PIECES
    count = [min(MAX_PIECES, max(1, math.ceil(n * s / PIECE_DEGREES)))
             for n, s in zip((width, height), scales, strict=True)]  # fmt: skip
    return count[0], count[1]


def _radius(ra, dec):
    vectors = sky.unit_vectors(ra, dec)
    centre = vectors.sum(axis=0)
    norm = np.linalg.norm(centre)
    if norm < 1e-12:
        return 180.0
    return float(sky.angle(centre / norm, vectors).max())


def convex_hull(ra, dec):
    """The corners (ra, dec) of the convex spherical polygon around the finite points
    given (in degrees, all within a hemisphere), counter-clockwise; None if they span no
    area (fewer than three points off one great circle)."""
    good = np.isfinite(ra) & np.isfinite(dec)
    if good.sum() < 3:
        return None
    ra, dec = ra[good], dec[good]
    vectors = sky.unit_vectors(ra, dec)
    centre = vectors.sum(axis=0)
    norm = np.linalg.norm(centre)
    if norm < 1e-9:
        return None
    centre = centre / norm
    # Gnomonic projection about the centre: great circles become straight lines, so the
    # plane's convex hull is the sphere's.
    east = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(east) < 1e-12:  # the centre is a pole
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    depth = vectors @ centre
    if np.any(depth <= 1e-6):
        return None  # wider than a hemisphere: not one convex polygon
    px, py = (vectors @ east) / depth, (vectors @ north) / depth
    order = _planar_hull(px, py)
    if len(order) < 3:
        return None
    return [(float(ra[k]), float(dec[k])) for k in order]


def _planar_hull(x, y):
    """Indices of the convex hull of the points (x, y), counter-clockwise (Andrew's
    monotone chain); collinear and repeated points left out."""
    points = sorted(set(zip(np.round(x, 12).tolist(), np.round(y, 12).tolist(), strict=True)))
    index = {}
    for k, p in enumerate(zip(np.round(x, 12).tolist(), np.round(y, 12).tolist(), strict=True)):
        index.setdefault(p, k)
    if len(points) < 3:
        return []

    def turn(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in points:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], p) <= 1e-15:
            lower.pop()
        lower.append(p)
    for p in reversed(points):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], p) <= 1e-15:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return [index[p] for p in hull]


def summary(polygons, wcs, width, height):
    """(ra, dec, radius) in degrees of a footprint: the ICRS position of the image's
    central pixel and the largest distance from it to a corner (the mean direction of
    the corners, ``sky.footprint_summary``, when that pixel is off the sky or unknown:
    a hull's corners crowd along its curved edges and would pull a mean)."""
    vertices = np.concatenate([np.asarray(p, float) for p in polygons])
    centre = None
    if wcs is not None and width and height:
        try:
            frame = celestial_frame(wcs)
            if frame is not None:
                ra, dec = icrs_of(wcs, frame, [(width - 1) / 2.0], [(height - 1) / 2.0])
                if np.isfinite(ra[0]):
                    centre = float(ra[0]), float(dec[0])
        except (ValueError, TypeError, ArithmeticError):
            centre = None
    if centre is None:
        return sky.footprint_summary([sky.Polygon(p) for p in polygons])
    reach = sky.angle(sky.unit_vectors(*centre), sky.unit_vectors(*vertices.T))
    return centre[0], centre[1], float(reach.max())
