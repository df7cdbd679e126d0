"""Sky geometry of footprints, framework-free: what the archive's spatial search asks.

Conventions: positions are ICRS (ra, dec) in degrees; a footprint is a list of convex
spherical polygons (one per image, one per extension of a mosaic), each a list of
corners (ra, dec) whose edges are great-circle arcs. That is exact for a TAN image
without distortion (its edges are straight in the tangent plane, great circles on the
sky) and the polygon through the corners otherwise.

Spatial queries run in two steps: HEALPix cells (NESTED, stored as NUNIQ integers,
``4 * 4**order + pixel``) give candidates from an index, then the exact predicates
below decide. Cell coverings are conservative (astropy-healpix's cone search returns
every cell that overlaps a circle, partially included), so no match is ever lost.
"""

import functools
import math
import re
import warnings

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy_healpix import HEALPix
from astropy_healpix.core import healpix_cone_search

# Footprints are stored at the finest of these orders where they take at most
# MAX_CELLS cells: order 10 (3.4' cells) for small fields, 8 (13.7') for most, coarser
# ones for wide fields.
ORDERS = (10, 8, 6, 4, 2, 0)
MAX_CELLS = 16
MAX_RANGES = 48  # cell ranges of one query per stored order, at most


def unit_vectors(ra, dec):
    """Unit vectors (..., 3) of positions in degrees."""
    ra, dec = np.radians(np.asarray(ra, float)), np.radians(np.asarray(dec, float))
    cos_dec = np.cos(dec)
    return np.stack([cos_dec * np.cos(ra), cos_dec * np.sin(ra), np.sin(dec)], axis=-1)


def radec(vector):
    """(ra, dec) in degrees of a vector (not necessarily unit), ra in [0, 360)."""
    x, y, z = vector
    ra = math.degrees(math.atan2(y, x)) % 360.0
    dec = math.degrees(math.atan2(z, math.hypot(x, y)))
    return ra, dec


def angle(a, b):
    """Angles in degrees between unit vectors a and b (broadcast), accurate at any size."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1)))


class Polygon:
    """A convex spherical polygon from its corners (ra, dec) in degrees, any winding."""

    def __init__(self, corners):
        self.corners = [(float(ra), float(dec)) for ra, dec in corners]
        self.vertices = unit_vectors(*np.array(self.corners).T)
        nxt = np.roll(self.vertices, -1, axis=0)
        centre = self.vertices.sum(axis=0)
        arcs = np.cross(self.vertices, nxt)  # each edge's pole, seen from its start
        lengths = np.linalg.norm(arcs, axis=1, keepdims=True)
        arcs = arcs / np.where(lengths == 0, 1.0, lengths)
        # Planes through each edge's ends, perpendicular to it: a point projects onto
        # the arc (not beyond its ends) when it lies on the inner side of both.
        self.starts = np.cross(arcs, self.vertices)
        self.ends = np.cross(nxt, arcs)
        # Inward normals of the edges, whichever way the corners turn.
        self.normals = arcs if np.dot(arcs[0], centre) >= 0 else -arcs
        self.next_vertices = nxt
        self.centre = centre / np.linalg.norm(centre)

    @functools.cached_property
    def radius(self):
        """Degrees from the centre to the farthest corner."""
        return float(angle(self.centre, self.vertices).max())

    def contains(self, points):
        """Whether each unit vector of ``points`` (..., 3) lies inside or on an edge."""
        return np.all(np.asarray(points) @ self.normals.T >= -1e-15, axis=-1)

    def distance(self, point):
        """Degrees from the unit vector ``point`` to the polygon (0 inside)."""
        if self.contains(point):
            return 0.0
        along = (self.starts @ point >= 0) & (self.ends @ point >= 0)
        to_arcs = np.degrees(np.arcsin(np.clip(np.abs(self.normals @ point), 0.0, 1.0)))
        to_corners = angle(self.vertices, point)
        return float(np.min(np.where(along, np.minimum(to_arcs, to_corners), to_corners)))

    def intersects_box(self, box):
        """Whether the polygon and the ``Box`` share a point."""
        return bool(meet_box([self], box)[0])


class _Edges:
    """Every edge of many polygons (or their corners (ra, dec) in degrees) in arrays, as
    ``Polygon`` computes them one polygon at a time: corners, the next corners, inward
    normals, and each polygon's first edge and number of edges."""

    def __init__(self, footprints):
        corners = [np.asarray(getattr(f, "corners", f), float).reshape(-1, 2) for f in footprints]
        self.counts = np.array([len(c) for c in corners], dtype=np.int64)
        self.starts = np.cumsum(self.counts) - self.counts  # each polygon's first edge
        self.ra, self.dec = np.concatenate(corners).T
        self.vertices = unit_vectors(self.ra, self.dec)
        following = np.arange(1, len(self.vertices) + 1)
        following[self.starts + self.counts - 1] = self.starts  # the last edge ends at the first
        self.following = self.vertices[following]
        self.arcs = np.cross(self.vertices, self.following)  # each edge's pole, from its start
        lengths = np.linalg.norm(self.arcs, axis=1, keepdims=True)
        self.arcs = self.arcs / np.where(lengths == 0, 1.0, lengths)
        # Inward normals, whichever way each polygon's corners turn.
        self.centres = np.add.reduceat(self.vertices, self.starts, axis=0)
        turns = np.sum(self.arcs[self.starts] * self.centres, axis=1) >= 0
        self.normals = self.arcs * np.repeat(np.where(turns, 1.0, -1.0), self.counts)[:, None]

    def inside(self, point):
        """Whether the unit vector ``point`` lies inside or on an edge of each polygon."""
        side = np.sum(self.normals * point, axis=1) >= -1e-15
        return np.logical_and.reduceat(side, self.starts)

    def distances(self, point):
        """Degrees from the unit vector ``point`` to each polygon (0 inside)."""
        # Planes through each edge's ends, perpendicular to it: the point projects onto
        # the arc (not beyond its ends) when it lies on the inner side of both.
        before = np.sum(np.cross(self.arcs, self.vertices) * point, axis=1) >= 0
        after = np.sum(np.cross(self.following, self.arcs) * point, axis=1) >= 0
        to_arcs = np.abs(np.sum(self.normals * point, axis=1))
        to_arcs = np.degrees(np.arcsin(np.clip(to_arcs, 0.0, 1.0)))
        to_corners = angle(self.vertices, point)
        each = np.where(before & after, np.minimum(to_arcs, to_corners), to_corners)
        return np.where(self.inside(point), 0.0, np.minimum.reduceat(each, self.starts))


def meet_cone(footprints, ra, dec, radius):
    """Whether each of ``footprints`` (polygons, or their corners (ra, dec) in degrees)
    comes within ``radius`` degrees of the position: all of them at once, each answer
    ``Polygon.distance(...) <= radius``."""
    if not footprints:
        return np.zeros(0, dtype=bool)
    return _Edges(footprints).distances(unit_vectors(ra, dec)) <= radius


def contain(footprints, ra, dec):
    """Whether each of ``footprints`` holds the position (``Polygon.contains``), at once."""
    if not footprints:
        return np.zeros(0, dtype=bool)
    return _Edges(footprints).inside(unit_vectors(ra, dec))


def meet_box(footprints, box):
    """Whether each of ``footprints`` (polygons, or their corners (ra, dec) in degrees)
    and the ``Box`` share a point: all of them at once, in arrays of all their edges,
    each answer the same as alone. A polygon meets the box when one of its corners is in
    the box, one of the box's corners is in it, or one of its edges crosses a side of
    the box."""
    if not footprints:
        return np.zeros(0, dtype=bool)
    edges = _Edges(footprints)
    counts, starts, vertices, following = (
        edges.counts,
        edges.starts,
        edges.vertices,
        edges.following,
    )
    meets = np.logical_or.reduceat(box.contains(edges.ra, edges.dec), starts)
    # A corner of the box inside a polygon: on the inner side of each of its edges.
    inside = edges.normals @ box.corner_vectors().T >= -1e-15  # (edges, box corners)
    meets |= np.logical_and.reduceat(inside, starts, axis=0).any(axis=1)
    # Every point of a polygon lies within its radius of its centre: one whose disc
    # stays clear of the box's parallels or meridians cannot cross its sides.
    centres = edges.centres / np.linalg.norm(edges.centres, axis=1, keepdims=True)
    reach = np.maximum.reduceat(angle(np.repeat(centres, counts, axis=0), vertices), starts)
    reach = reach + 1e-9  # degrees: a margin for rounding
    centre_ra, centre_dec = _ra_of(centres), _dec_of(centres)
    clear = (centre_dec - reach > box.dec_max) | (centre_dec + reach < box.dec_min)
    if box.ra_width < 360.0:
        with np.errstate(invalid="ignore"):
            spread = np.degrees(
                np.arcsin(np.sin(np.radians(reach)) / np.cos(np.radians(centre_dec)))
            )
        narrow = (np.abs(centre_dec) + reach < 89.0) & (reach < 45.0)  # spread is defined
        past_start = (box.ra_min - centre_ra) % 360.0  # from the centre east to the box
        past_end = (centre_ra - box.ra_max) % 360.0  # from the box's end east to the centre
        away = (past_start > spread) & (past_end > spread) & ~box.contains_ra(centre_ra)
        clear |= narrow & away
    rest = np.repeat(~meets & ~clear, counts)  # the edges of the polygons not decided yet
    if rest.any():
        crossed = np.zeros(len(vertices), dtype=bool)
        crossed[rest] = box.crosses_arcs(vertices[rest], following[rest])
        meets |= np.logical_or.reduceat(crossed, starts)
    return meets


class Box:
    """An ICRS box: ``ra_min``..``ra_max`` (through 0 when ra_min > ra_max) by
    ``dec_min``..``dec_max``; its sides are two meridians and two parallels."""

    def __init__(self, ra_min, dec_min, ra_max, dec_max):
        self.ra_min, self.ra_max = ra_min % 360.0, ra_max % 360.0
        if ra_max - ra_min >= 360.0:
            self.ra_min, self.ra_max = 0.0, 360.0
        self.dec_min, self.dec_max = dec_min, dec_max

    @property
    def ra_width(self):
        return (self.ra_max - self.ra_min) % 360.0 or (360.0 if self.ra_max != self.ra_min else 0.0)

    def contains_ra(self, ra):
        ra = np.asarray(ra, float) % 360.0
        if self.ra_width >= 360.0:
            return np.ones_like(ra, dtype=bool)
        return (ra - self.ra_min) % 360.0 <= self.ra_width

    def contains(self, ra, dec):
        dec = np.asarray(dec, float)
        return self.contains_ra(ra) & (dec >= self.dec_min) & (dec <= self.dec_max)

    def corner_vectors(self):
        ras = [self.ra_min, self.ra_min + self.ra_width]
        return unit_vectors(
            *np.array([(r, d) for r in ras for d in (self.dec_min, self.dec_max)]).T
        )

    def crosses_arcs(self, a, b):
        """Whether each great-circle arc from unit vector ``a[i]`` to ``b[i]`` ((n, 3)
        arrays) meets the box's sides: all arcs at once."""
        a, b = np.atleast_2d(a), np.atleast_2d(b)
        theta = np.radians(angle(a, b))
        # Points of an arc: cos(t) a + sin(t) w, t in [0, theta] (none when theta is 0).
        with np.errstate(invalid="ignore", divide="ignore"):
            w = b - a * np.sum(a * b, axis=-1, keepdims=True)
            w = w / np.linalg.norm(w, axis=-1, keepdims=True)
        arcs = theta != 0.0
        crossed = np.zeros(len(a), dtype=bool)
        for dec in (self.dec_min, self.dec_max):  # the parallels
            for t in _arcs_at_z(a, w, theta, math.sin(math.radians(dec)), arcs):
                crossed |= t.found & self.contains_ra(_ra_of(_at(a, w, t.value)))
        if self.ra_width >= 360.0:
            return crossed
        for ra in (self.ra_min, self.ra_max):  # the meridians
            for t in _arcs_at_meridian(a, w, theta, ra, arcs):
                dec = _dec_of(_at(a, w, t.value))
                crossed |= t.found & (self.dec_min <= dec) & (dec <= self.dec_max)
        return crossed


class _Found:
    """Parameters ``value`` (one per arc) where ``found`` is true."""

    def __init__(self, found, value):
        self.found, self.value = found, np.where(found, value, 0.0)


def _at(a, w, t):
    """The points cos(t) a + sin(t) w of the arcs (t one per arc)."""
    return np.cos(t)[:, None] * a + np.sin(t)[:, None] * w


def _ra_of(points):
    return np.degrees(np.arctan2(points[:, 1], points[:, 0])) % 360.0


def _dec_of(points):
    return np.degrees(np.arctan2(points[:, 2], np.hypot(points[:, 0], points[:, 1])))


def _arcs_at_z(a, w, theta, z, arcs):
    """The two parameters t in [0, theta] per arc where its z equals ``z``."""
    amplitude, phase = np.hypot(a[:, 2], w[:, 2]), np.arctan2(w[:, 2], a[:, 2])
    meets = arcs & (amplitude != 0.0) & (abs(z) <= amplitude)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.arccos(np.clip(z / amplitude, -1.0, 1.0))
    found = []
    for t in (phase + delta, phase - delta):
        t = t % (2 * math.pi)
        found.append(_Found(meets & (t <= theta + 1e-12), np.minimum(t, theta)))
    return found


def _arcs_at_meridian(a, w, theta, ra, arcs):
    """The parameters t in [0, theta] per arc where it crosses the half-plane of
    meridian ``ra`` (an arc along the meridian's circle: both its ends)."""
    r = math.radians(ra)
    cos_r, sin_r = math.cos(r), math.sin(r)
    p = a[:, 1] * cos_r - a[:, 0] * sin_r  # across the plane of the meridian's circle
    q = w[:, 1] * cos_r - w[:, 0] * sin_r
    along = arcs & (p == 0.0) & (q == 0.0)
    found = [_Found(along, np.zeros_like(theta)), _Found(along, theta)]
    t0 = np.arctan2(-p, q)  # cos(t) p + sin(t) q = 0
    for t in (t0 % (2 * math.pi), (t0 + math.pi) % (2 * math.pi)):
        point = _at(a, w, np.where(arcs, t, 0.0))
        # the meridian is the half of the circle on the ra side
        side = point[:, 0] * cos_r + point[:, 1] * sin_r >= 0
        found.append(_Found(arcs & ~along & (t <= theta + 1e-12) & side, np.minimum(t, theta)))
    return found


# --- footprints from a WCS -------------------------------------------------------------


def header_from_json(header):
    """An astropy Header from the JSON keyword -> value dict the portal stores."""
    result = fits.Header()
    for keyword, value in header.items():
        if (
            keyword in ("", "COMMENT", "HISTORY", "CONTINUE")
            or len(keyword) > 8
            and not keyword.startswith("HIERARCH")
        ):
            continue
        try:
            result[keyword] = value
        except (ValueError, TypeError):
            continue
    return result


# Keywords that may take part in an image's WCS (papers I-IV and their alternates, the
# SIP, TPV and lookup-table distortions, wcslib's fixes of old forms): astropy reads a
# header several times over to build a WCS, so cards is given only these.
_WCS_KEYWORD = re.compile(
    r"(WCSAXES|CRPIX|CRVAL|CDELT|CTYPE|CUNIT|CROTA|CRDER|CSYER|CNAME|WCSNAME|PC\d|CD\d"
    r"|PV\d|PS\d|PROJP|LONPOLE|LATPOLE|RADESYS|RADECSYS|EQUINOX|EPOCH|MJD|DATE|OBSGEO"
    r"|RESTFRQ|RESTFREQ|RESTWAV|SPECSYS|SSYS|VELOSYS|VELREF|VELANGL|ZSOURCE|TIMESYS"
    r"|A_|B_|AP_|BP_|CPDIS|CQDIS|CPERR|DP\d|DQ\d|D2IM|AXISCORR|NAXIS|ZNAXIS)"
)


def wcs_cards(cards):
    """The 80-character cards of ``cards`` (one string) that may describe a WCS."""
    return "".join(
        cards[i : i + 80] for i in range(0, len(cards), 80) if _WCS_KEYWORD.match(cards, i, i + 8)
    )


def celestial_wcs(header):
    """The celestial part of the WCS of ``header`` (an astropy Header, or its cards as
    one string), or None without one."""
    from astropy.wcs import WCS

    if isinstance(header, str):
        header = wcs_cards(header)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = WCS(header, relax=True)
            if not (wcs.naxis == 2 and wcs.wcs.lng == 0 and wcs.wcs.lat == 1):
                wcs = wcs.celestial  # a copy: made only when other axes are there
    except Exception:  # astropy raises many kinds on broken WCS keywords
        return None
    return wcs if wcs.has_celestial else None


def pixel_scale_arcsec(header, wcs=None):
    """Mean pixel scale in arcsec of a celestial WCS, or None; ``wcs``, the header's
    ``celestial_wcs`` if already made."""
    from astropy.wcs.utils import proj_plane_pixel_scales

    if wcs is None:
        wcs = celestial_wcs(header)
    if wcs is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            scales = proj_plane_pixel_scales(wcs)
    except Exception:
        return None
    value = float(np.mean(scales)) * 3600.0
    return value if math.isfinite(value) and value > 0 else None


def footprint_summary(polygons):
    """(ra, dec, radius) of the union of ``polygons``: the mean direction of the corners
    and the largest distance from it to any corner, in degrees."""
    vertices = np.concatenate([p.vertices for p in polygons])
    centre = vertices.sum(axis=0)
    norm = np.linalg.norm(centre)
    centre = centre / norm if norm > 1e-12 else vertices[0]
    ra, dec = radec(centre)
    return ra, dec, float(angle(centre, vertices).max())


# --- HEALPix cells ---------------------------------------------------------------------


@functools.cache
def _healpix(order):
    return HEALPix(nside=2**order, order="nested")


@functools.cache
def _resolution(order):
    """Degrees: the side of a cell of ``order``, about."""
    return _healpix(order).pixel_resolution.to_value(u.deg)


def uniq(order, pixels):
    return 4 * 4**order + np.asarray(pixels, dtype=np.int64)


def _disc_cells(order, ra, dec, radius):
    return healpix_cone_search(
        ra * u.deg, dec * u.deg, max(radius, 1e-9) * u.deg, nside=2**order, order="nested"
    )


def _estimated_cells(order, radius):
    resolution = _resolution(order)
    return math.pi * (radius + resolution) ** 2 / resolution**2


def footprint_cells(polygons):
    """NUNIQ cells covering ``polygons`` (see ``disc_cells``)."""
    return disc_cells([(*radec(p.centre), p.radius) for p in polygons])


def disc_cells(discs):
    """NUNIQ cells covering the ``discs`` ((ra, dec, radius) in degrees): at the finest
    order of ``ORDERS`` where they take at most ``MAX_CELLS`` (the coarsest, whatever
    they take)."""
    for order in ORDERS:
        last = order == ORDERS[-1]
        if not last and sum(_estimated_cells(order, d[2]) for d in discs) > 4 * MAX_CELLS:
            continue
        pixels = [_disc_cells(order, *disc) for disc in discs]
        pixels = np.unique(np.concatenate(pixels)) if len(pixels) > 1 else pixels[0]
        if last or len(pixels) <= MAX_CELLS:
            return [int(c) for c in uniq(order, pixels)]
    raise AssertionError("unreachable")


def _query_order(order, radius):
    """The order at which a query region of ``radius`` degrees is covered for cells
    stored at ``order``: at most ``order``, coarse enough for a few dozen cells."""
    q = order
    while q > 0 and _estimated_cells(q, radius) > MAX_RANGES:
        q -= 1
    return q


def _ranges(order, query_order, pixels):
    """NUNIQ ranges [low, high) at ``order`` of the cells ``pixels`` at ``query_order``."""
    shift = 2 * (order - query_order)
    base = 4 * 4**order
    ranges = []
    for pixel in sorted(set(int(p) for p in pixels)):
        low, high = base + (pixel << shift), base + ((pixel + 1) << shift)
        if ranges and ranges[-1][1] == low:
            ranges[-1][1] = high
        else:
            ranges.append([low, high])
    return [tuple(r) for r in ranges]


def disc_ranges(discs):
    """NUNIQ ranges [low, high) of stored cells that may meet any of the ``discs``
    ((ra, dec, radius) in degrees), for every stored order."""
    ranges = []
    for order in ORDERS:
        radius = max(d[2] for d in discs)
        q = _query_order(order, radius)
        pixels = np.concatenate([_disc_cells(q, ra, dec, r) for ra, dec, r in discs])
        ranges += _ranges(order, q, pixels)
    return ranges


def point_cells(ra, dec):
    """The NUNIQ cell of each stored order that holds the position."""
    return [
        int(uniq(order, _healpix(order).lonlat_to_healpix(ra * u.deg, dec * u.deg)))
        for order in ORDERS
    ]


def box_discs(box, pieces=8):
    """Discs (ra, dec, radius) covering the box: a grid of at most pieces x pieces."""
    n_ra = max(1, min(pieces, math.ceil(box.ra_width / 5.0)))
    n_dec = max(1, min(pieces, math.ceil((box.dec_max - box.dec_min) / 5.0)))
    discs = []
    for i in range(n_ra):
        ra0 = box.ra_min + box.ra_width * i / n_ra
        ra1 = box.ra_min + box.ra_width * (i + 1) / n_ra
        for j in range(n_dec):
            dec0 = box.dec_min + (box.dec_max - box.dec_min) * j / n_dec
            dec1 = box.dec_min + (box.dec_max - box.dec_min) * (j + 1) / n_dec
            corners = unit_vectors(
                *np.array([(r, d) for r in (ra0, ra1, (ra0 + ra1) / 2) for d in (dec0, dec1)]).T
            )
            middle = unit_vectors((ra0 + ra1) / 2, (dec0 + dec1) / 2)
            # the farthest point of a cell of a parallel-bounded box lies on its sides
            edge = unit_vectors(*np.array([(ra0, (dec0 + dec1) / 2), (ra1, (dec0 + dec1) / 2)]).T)
            radius = float(max(angle(middle, corners).max(), angle(middle, edge).max()))
            ra, dec = radec(middle)
            discs.append((ra, dec, radius * 1.0001 + 1e-9))
    return discs
