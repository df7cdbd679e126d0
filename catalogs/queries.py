"""Spatial queries over a catalog's features: index range scans, then exact filtering.

Coordinates are ICRS degrees; a box whose ``ra_min > ra_max`` crosses RA 0 (wraps).
"""

import math

import numpy as np
from django.db.models import Q

from catalogs.geometry import angular_distance, sky_box_in_pixels
from catalogs.models import Feature

DEFAULT_LIMIT = 5000
CHUNK = 50_000  # rows of a cone's bounding box read at a time


def _ra_range_q(ra_min, ra_max):
    if ra_min <= ra_max:
        return Q(ra__gte=ra_min, ra__lte=ra_max)
    return Q(ra__gte=ra_min) | Q(ra__lte=ra_max)


def in_box(catalog, ra_min, dec_min, ra_max, dec_max, limit=DEFAULT_LIMIT):
    """Sky features whose position lies in the box; returns (features, truncated).

    ``ra_min``/``ra_max`` in [0, 360]; ``ra_min > ra_max`` means the box crosses RA 0.
    """
    queryset = Feature.objects.filter(
        Q(catalog=catalog, frame=Feature.SKY, dec__gte=dec_min, dec__lte=dec_max)
        & _ra_range_q(ra_min, ra_max)
    )
    return _capped(queryset, limit)


def in_pixel_box(catalog, x_min, y_min, x_max, y_max, limit=DEFAULT_LIMIT):
    """Pixel-frame features (FITS 1-based pixels of the catalog's image) whose position
    lies in the box; returns (features, truncated)."""
    queryset = Feature.objects.filter(
        catalog=catalog, frame=Feature.IMAGE, y__gte=y_min, y__lte=y_max, x__gte=x_min, x__lte=x_max
    )
    return _capped(queryset, limit)


def pixels_in_sky_box(catalog, wcs, ra_min, dec_min, ra_max, dec_max, limit=DEFAULT_LIMIT):
    """Pixel-frame features whose position on the sky (through ``wcs``, their image's)
    lies in the sky box; returns (features, truncated)."""
    box = sky_box_in_pixels(wcs, ra_min, dec_min, ra_max, dec_max)
    if box is None:
        return [], False
    queryset = Feature.objects.filter(
        catalog=catalog,
        frame=Feature.IMAGE,
        x__gte=box[0],
        x__lte=box[2],
        y__gte=box[1],
        y__lte=box[3],
    ).order_by("pk")
    chosen = []
    for ids, xs, ys in _chunks(queryset.values_list("pk", "x", "y")):
        ras, decs = wcs.all_pix2world(xs, ys, 1)
        inside = (decs >= dec_min) & (decs <= dec_max)
        ras = ras % 360.0
        inside &= (
            ((ras >= ra_min) & (ras <= ra_max))
            if ra_min <= ra_max
            else ((ras >= ra_min) | (ras <= ra_max))
        )
        chosen += [int(i) for i in ids[inside]]
        if len(chosen) > limit:
            break
    by_id = Feature.objects.in_bulk(chosen[:limit])
    return [by_id[i] for i in chosen[:limit]], len(chosen) > limit


def in_cone(catalog, ra, dec, radius, limit=DEFAULT_LIMIT):
    """Sky features within ``radius`` degrees (true angular distance) of (ra, dec),
    nearest first; returns (features, truncated)."""
    dec_min, dec_max = max(dec - radius, -90.0), min(dec + radius, 90.0)
    queryset = Feature.objects.filter(catalog=catalog, frame=Feature.SKY)
    queryset = queryset.filter(dec__gte=dec_min, dec__lte=dec_max)
    if dec_max < 90.0 and dec_min > -90.0:
        # Half-width in RA of the box around the cone, widest at the cone's highest |dec|.
        ratio = math.sin(math.radians(radius)) / math.cos(math.radians(dec))
        if abs(ratio) < 1.0:
            half = math.degrees(math.asin(abs(ratio)))
            queryset = queryset.filter(_ra_range_q((ra - half) % 360.0, (ra + half) % 360.0))
    best_ids, best_distance, found = np.empty(0, np.int64), np.empty(0), 0
    for ids, ras, decs in _chunks(queryset.values_list("pk", "ra", "dec")):
        distance = angular_distance(ra, dec, ras, decs)
        inside = distance <= radius
        found += int(inside.sum())
        # Keep the nearest limit + 1 so far: memory stays O(limit + CHUNK).
        best_ids = np.concatenate([best_ids, ids[inside]])
        best_distance = np.concatenate([best_distance, distance[inside]])
        if best_ids.size > limit + 1:
            order = np.lexsort((best_ids, best_distance))[: limit + 1]
            best_ids, best_distance = best_ids[order], best_distance[order]
    order = np.lexsort((best_ids, best_distance))
    chosen = [int(i) for i in best_ids[order][:limit]]
    by_id = Feature.objects.in_bulk(chosen)
    return [by_id[i] for i in chosen], found > limit


def _chunks(rows):
    """(ids, ras, decs) arrays of at most ``CHUNK`` rows at a time."""
    buffer = []
    for row in rows.iterator(chunk_size=CHUNK):
        buffer.append(row)
        if len(buffer) >= CHUNK:
            yield tuple(np.asarray(column) for column in zip(*buffer, strict=True))
            buffer = []
    if buffer:
        yield tuple(np.asarray(column) for column in zip(*buffer, strict=True))


def all_features(catalog, limit=DEFAULT_LIMIT):
    return _capped(Feature.objects.filter(catalog=catalog), limit)


def _capped(queryset, limit):
    rows = list(queryset.order_by("pk")[: limit + 1])
    return rows[:limit], len(rows) > limit
