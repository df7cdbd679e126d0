"""Statistics of the float pixels inside regions: streamed through the data in blocks.

Framework-free. Shapes are astropy ``regions`` pixel regions (0-based pixel centres, as
``regions`` counts them: pixel ``(i, j)`` is array element ``[j, i]``, FITS pixel
``(i + 1, j + 1)``). A pixel's weight is the fraction of it a shape covers, computed
with ``regions``' own overlap functions — exactly what its ``to_mask`` gives, "exact"
mode by default (partial pixels count their covered fraction) — but for one block of
rows at a time, so a mask never exists larger than a block.

Combination, as ds9 and funtools combine regions: the included shapes (a composite's
members among them) are a union — a pixel's weight is the largest of theirs — and the
excluded ones (ds9's ``-``) take their covered fraction away:
``w = max(included) * (1 - max(excluded))``. An annulus is its outer shape less its
inner one (``outer - inner``, exact since one lies inside the other).

For each channel, over the pixels of weight > 0 whose value is finite (blank pixels are
counted apart): ``pixels`` (their number), ``area_pixels`` (the sum of weights),
``sum`` (Σ w·v), ``mean`` (Σ w·v / Σ w), ``sigma`` (√(Σ w·(v - mean)² / Σ w)),
``median``, ``min``, ``max`` (of the values, unweighted: a pixel touched counts once),
``centroid`` (Σ w·v·(x, y) / Σ w·v, FITS 1-based pixels). With a WCS: ``area_arcsec2``,
``surface_brightness`` (sum per arcsec²) and the centroid on the sky. The median is
exact and memory stays bounded: a histogram of the values narrows the rank's bin, pass
after pass, until its values fit in memory.
"""

import math
from dataclasses import dataclass

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from regions import (
    CirclePixelRegion,
    CircleSkyRegion,
    EllipsePixelRegion,
    EllipseSkyRegion,
    PixCoord,
    PolygonPixelRegion,
    PolygonSkyRegion,
    RectanglePixelRegion,
    RectangleSkyRegion,
)
from regions._geometry import (  # the functions behind regions' own to_mask
    circle_overlap_grid,
    ellipse_overlap_grid,
    polygon_overlap_grid,
    rectangle_overlap_grid,
)

BLOCK_PIXELS = 1 << 22  # pixels of one block of rows (4 Mi: 16 MiB of float32)
HISTOGRAM_BINS = 1 << 16
SELECT_AT_MOST = 1 << 20  # values gathered to find the median exactly
MODES = ("exact", "center", "subpixels")
# The pixel shapes regions has an overlap function for (an annulus is two of them).
MEASURED = (CirclePixelRegion, EllipsePixelRegion, PolygonPixelRegion, RectanglePixelRegion)


class RegionError(ValueError):
    """A shape that cannot be measured (no area, unknown, outside the image)."""


@dataclass
class Shape:
    """A region to measure: ``outer`` less ``inner`` (annuli), included or excluded."""

    outer: object
    inner: object = None
    include: bool = True


def shape_from_feature(feature, wcs=None):
    """A ``Shape`` of a GeoJSON feature as the catalogs store ds9 regions (FITS pixels in
    the image frame, ICRS degrees on the sky; ``north`` turns a frame's angle into an
    ICRS one). Sky shapes need ``wcs`` (astropy); ``RegionError`` for shapes without an
    area (points, lines, text)."""
    properties = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    kind = properties.get("shape") or ("polygon" if geometry.get("type") == "Polygon" else "")
    image = properties.get("frame") == "image"
    if not image and wcs is None:
        raise RegionError("a sky region needs an image with a celestial WCS.")
    include = properties.get("include") is not False
    try:
        if geometry.get("type") == "Polygon":
            ring = geometry["coordinates"][0][:-1]
            if len(ring) < 3:
                raise RegionError("a polygon needs three vertices.")
            xs, ys = (np.array([float(p[k]) for p in ring]) for k in (0, 1))
            region = (PolygonPixelRegion(PixCoord(xs - 1.0, ys - 1.0)) if image
                      else PolygonSkyRegion(SkyCoord(xs * u.deg, ys * u.deg)).to_pixel(wcs))  # fmt: skip
            return Shape(region, include=include)
        if geometry.get("type") != "Point":
            raise RegionError(f"a {kind or geometry.get('type')} has no area to measure.")
        x, y = (float(v) for v in geometry["coordinates"][:2])
        angle = float(properties.get("angle") or 0.0) + (
            0.0 if image else float(properties.get("north") or 0.0)
        )
        build = _pixel_builder(x, y, angle) if image else _sky_builder(x, y, angle, wcs)
        return _shape(kind, properties, build, include)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, RegionError):
            raise
        raise RegionError(f"this {kind or 'shape'} is not a region: {exc}") from None


def _shape(kind, properties, build, include):
    def pair(name):
        values = properties[name]
        return float(values[0]), float(values[1])

    if kind == "circle":
        return Shape(build("circle", float(properties["radius"])), include=include)
    if kind in ("ellipse", "box"):
        size = (float(properties["width"]), float(properties["height"]))
        return Shape(build(kind, *size), include=include)
    if kind == "annulus":
        inner, outer = pair("radii")
        return Shape(build("circle", outer), build("circle", inner), include)
    if kind in ("ellipse_annulus", "box_annulus"):
        name = kind.split("_")[0]
        return Shape(build(name, *pair("outer")), build(name, *pair("inner")), include)
    raise RegionError(f"a {kind or 'point'} has no area to measure.")


def _pixel_builder(x_fits, y_fits, angle):
    centre = PixCoord(x_fits - 1.0, y_fits - 1.0)

    def build(kind, a, b=None):
        if kind == "circle":
            return CirclePixelRegion(centre, a)
        cls = EllipsePixelRegion if kind == "ellipse" else RectanglePixelRegion
        return cls(centre, a, b, angle=angle * u.deg)

    return build


def _sky_builder(ra, dec, angle, wcs):
    centre = SkyCoord(ra * u.deg, dec * u.deg)

    def build(kind, a, b=None):
        if kind == "circle":
            return CircleSkyRegion(centre, a * u.deg).to_pixel(wcs)
        cls = EllipseSkyRegion if kind == "ellipse" else RectangleSkyRegion
        return cls(centre, a * u.deg, b * u.deg, angle=angle * u.deg).to_pixel(wcs)

    return build


def overlap(region, x0, y0, nx, ny, mode="exact", subpixels=5):
    """Fractions of pixels ``[y0:y0+ny, x0:x0+nx]`` (0-based) that ``region`` covers: what
    its ``to_mask(mode, subpixels=subpixels)`` holds there, computed for this block alone
    (5 subpixels for every shape: ``regions``' own default is 1 for circles, 5 for others)."""
    if not isinstance(region, MEASURED):
        raise RegionError(f"cannot measure a {type(region).__name__}.")
    if mode == "center":
        mode, subpixels = "subpixels", 1
    exact = 0 if mode == "subpixels" else 1
    if isinstance(region, PolygonPixelRegion):
        xmin, ymin = x0 - 0.5, y0 - 0.5
        vx = np.asarray(region.vertices.x, dtype=float)
        vy = np.asarray(region.vertices.y, dtype=float)
        return polygon_overlap_grid(
            xmin, xmin + nx, ymin, ymin + ny, nx, ny, vx, vy, exact, subpixels
        )
    cx, cy = float(region.center.x), float(region.center.y)
    xmin, xmax = x0 - 0.5 - cx, x0 + nx - 0.5 - cx
    ymin, ymax = y0 - 0.5 - cy, y0 + ny - 0.5 - cy
    if isinstance(region, CirclePixelRegion):
        return circle_overlap_grid(
            xmin, xmax, ymin, ymax, nx, ny, float(region.radius), exact, subpixels
        )
    theta = float(region.angle.to_value(u.radian))
    if isinstance(region, EllipsePixelRegion):
        return ellipse_overlap_grid(xmin, xmax, ymin, ymax, nx, ny, 0.5 * float(region.width),
                                       0.5 * float(region.height), theta, exact, subpixels)  # fmt: skip
    return rectangle_overlap_grid(xmin, xmax, ymin, ymax, nx, ny, float(region.width),
                                  float(region.height), theta, exact, subpixels)  # fmt: skip


def bounding_box(shapes, width, height):
    """0-based half-open (x0, y0, x1, y1) of the included shapes, within the image."""
    boxes = [s.outer.bounding_box for s in shapes if s.include]
    if not boxes:
        raise RegionError("at least one region must be included (not only '-' exclusions).")
    x0 = max(min(b.ixmin for b in boxes), 0)
    y0 = max(min(b.iymin for b in boxes), 0)
    x1 = min(max(b.ixmax for b in boxes), width)
    y1 = min(max(b.iymax for b in boxes), height)
    if x0 >= x1 or y0 >= y1:
        raise RegionError("the region lies outside the image.")
    return x0, y0, x1, y1


def weights(shapes, x0, y0, nx, ny, mode="exact"):
    """The combined weight of every pixel of a block (see the module's docstring)."""
    included = np.zeros((ny, nx))
    excluded = np.zeros((ny, nx))
    for shape in shapes:
        fraction = overlap(shape.outer, x0, y0, nx, ny, mode)
        if shape.inner is not None:
            fraction = np.clip(fraction - overlap(shape.inner, x0, y0, nx, ny, mode), 0.0, 1.0)
        target = included if shape.include else excluded
        np.maximum(target, fraction, out=target)
    return included * (1.0 - excluded)


class Blocks:
    """The blocks of rows of a box: (x0, y0, nx, ny) each, and their weights, kept when
    the whole box is one block (else computed again at each pass)."""

    def __init__(self, shapes, box, mode, block_pixels):
        self.shapes, self.mode = shapes, mode
        self.x0, self.y0, self.x1, self.y1 = box
        self.rows = max(1, block_pixels // (self.x1 - self.x0))
        self._cache = {}

    def __iter__(self):
        nx = self.x1 - self.x0
        for y in range(self.y0, self.y1, self.rows):
            ny = min(self.rows, self.y1 - y)
            key = (y, ny)
            w = self._cache.get(key)
            if w is None:
                w = weights(self.shapes, self.x0, y, nx, ny, self.mode)
                if self.rows >= self.y1 - self.y0:
                    self._cache[key] = w
            yield self.x0, y, nx, ny, w


def region_statistics(read, width, height, channels, shapes, mode="exact", wcs=None,
                      block_pixels=BLOCK_PIXELS, max_pixels=None):  # fmt: skip
    """Statistics per channel (a list of dicts, see the module's docstring).

    ``read(channel, x0, y0, x1, y1)``: float pixels ``[y0:y1, x0:x1]`` (0-based, half
    open) of a 0-based channel; ``channels``: 0-based channels to measure; ``wcs``: an
    astropy WCS for areas and sky positions, or None. ``RegionError`` for regions that
    cannot be measured, or whose box passes ``max_pixels``."""
    if mode not in MODES:
        raise RegionError(f"mode: one of {', '.join(MODES)}.")
    box = bounding_box(shapes, width, height)
    if max_pixels is not None and (box[2] - box[0]) * (box[3] - box[1]) > max_pixels:
        raise RegionError(f"the region's box holds more than {max_pixels:,} pixels.")
    blocks = Blocks(shapes, box, mode, block_pixels)
    pixel_area = _pixel_area_arcsec2(wcs)
    return [_channel_statistics(read, channel, blocks, wcs, pixel_area) for channel in channels]


def _pixel_area_arcsec2(wcs):
    if wcs is None or not getattr(wcs, "has_celestial", False):
        return None
    from astropy.wcs.utils import proj_plane_pixel_area

    return float(proj_plane_pixel_area(wcs.celestial)) * 3600.0**2


def _channel_statistics(read, channel, blocks, wcs, pixel_area):
    count = blank = 0
    weight = total = wx = wy = 0.0
    lo, hi = math.inf, -math.inf
    for x0, y0, nx, ny, w in blocks:  # pass 1: sums, extremes
        values = np.asarray(read(channel, x0, y0, x0 + nx, y0 + ny), dtype=np.float64)
        touched = w > 0
        finite = touched & np.isfinite(values)
        blank += int(touched.sum() - finite.sum())
        if not finite.any():
            continue
        v, ww = values[finite], w[finite]
        rows, cols = np.nonzero(finite)
        count += v.size
        weight += float(ww.sum())
        flux = ww * v
        total += float(flux.sum())
        wx += float((flux * (cols + x0)).sum())
        wy += float((flux * (rows + y0)).sum())
        lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    result = {"channel": channel + 1, "pixels": count, "blank_pixels": blank, "area_pixels": weight}
    if not count:
        return result | {
            k: None for k in ("sum", "mean", "median", "sigma", "min", "max", "centroid")
        }
    mean = total / weight
    spread = 0.0
    for x0, y0, nx, ny, w in blocks:  # pass 2: the spread about the mean
        values = np.asarray(read(channel, x0, y0, x0 + nx, y0 + ny), dtype=np.float64)
        finite = (w > 0) & np.isfinite(values)
        spread += float((w[finite] * (values[finite] - mean) ** 2).sum())
    result.update(sum=total, mean=mean, sigma=math.sqrt(spread / weight), min=lo, max=hi,
                  median=_median(read, channel, blocks, count, lo, hi))  # fmt: skip
    centroid = [wx / total + 1.0, wy / total + 1.0] if total != 0 else None
    result["centroid"] = centroid
    if pixel_area is not None:
        result["area_arcsec2"] = weight * pixel_area
        result["surface_brightness"] = total / (weight * pixel_area)
        if centroid is not None:
            sky = wcs.celestial.pixel_to_world(centroid[0] - 1.0, centroid[1] - 1.0)
            result["centroid_sky"] = [float(sky.icrs.ra.deg), float(sky.icrs.dec.deg)]
    return result


def _values_in(read, channel, blocks, low, high, closed_high):
    """Finite values of weight > 0 within [low, high) (or [low, high]), gathered."""
    found = []
    for x0, y0, nx, ny, w in blocks:
        values = np.asarray(read(channel, x0, y0, x0 + nx, y0 + ny), dtype=np.float64)
        keep = (w > 0) & np.isfinite(values) & (values >= low)
        keep &= (values <= high) if closed_high else (values < high)
        found.append(values[keep])
    return np.concatenate(found) if found else np.empty(0)


def _median(read, channel, blocks, count, lo, hi):
    """The exact median of the ``count`` values (as ``numpy.median``), in bounded memory."""
    ranks = sorted({(count - 1) // 2, count // 2})
    picked = [_select(read, channel, blocks, rank, lo, hi) for rank in ranks]
    return float(sum(picked) / len(picked))


def _select(read, channel, blocks, rank, low, high):
    """The value of 0-based ``rank`` among the values in [low, high] (``rank`` counted
    from ``low``), narrowing [low, high] with histograms until its values fit."""
    closed = True
    while True:
        if low == high:
            return low
        inside = _count_in(read, channel, blocks, low, high, closed)
        if inside <= SELECT_AT_MOST:
            values = np.sort(_values_in(read, channel, blocks, low, high, closed))
            return float(values[rank])
        edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
        counts = np.zeros(HISTOGRAM_BINS, np.int64)
        for x0, y0, nx, ny, w in blocks:
            values = np.asarray(read(channel, x0, y0, x0 + nx, y0 + ny), dtype=np.float64)
            keep = (w > 0) & np.isfinite(values) & (values >= low)
            keep &= (values <= high) if closed else (values < high)
            counts += np.histogram(values[keep], bins=edges)[0]
        cumulative = np.cumsum(counts)
        k = int(np.searchsorted(cumulative, rank, side="right"))
        rank -= int(cumulative[k - 1]) if k else 0
        new_low, new_high = float(edges[k]), float(edges[k + 1])
        closed = k == HISTOGRAM_BINS - 1 and closed
        if (new_low, new_high) == (low, high):  # no narrower bin in floating point
            if np.nextafter(low, high) == high:
                # No float between them: every value here is ``low`` (or ``high``, in a
                # closed bin). Counted, not gathered: a plateau of one value may hold
                # many more pixels than SELECT_AT_MOST.
                at_low = _count_in(read, channel, blocks, low, low, True)
                return float(low if rank < at_low else high)
            values = np.sort(_values_in(read, channel, blocks, low, high, closed))
            return float(values[rank])
        low, high = new_low, new_high


def _count_in(read, channel, blocks, low, high, closed):
    total = 0
    for x0, y0, nx, ny, w in blocks:
        values = np.asarray(read(channel, x0, y0, x0 + nx, y0 + ny), dtype=np.float64)
        keep = (w > 0) & np.isfinite(values) & (values >= low)
        keep &= (values <= high) if closed else (values < high)
        total += int(keep.sum())
    return total
