"""From an ``Image`` row to rendered bytes: the engine behind every tile endpoint.

Open images are kept in a per-process LRU (``ImageCache``), keyed by the image's id,
checksum and version, so requests do not reopen files. Rendered tiles may be kept in the
``tiles`` cache (``tiles/tile_cache.py``), keyed by their ETag. ETags are strong: a hash
of the image version, whether its pyramid is used, the tile and the canonical rendering
parameters. A ``Rendering`` knows its ETag before it is rendered: a matching
``If-None-Match`` costs no rendering.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from tiles import file_check, params
from tiles.engine import CONTENT_TYPES, ImageCache, render_region, render_tile
from tiles.engine.colormaps import FINGERPRINT as COLOUR_TABLES

_open_images = ImageCache(size=settings.OPEN_IMAGES)


@dataclass(slots=True)
class Rendering:
    """An image to render: its ``etag`` and ``content_type`` now, its bytes from ``body()``."""

    etag: str
    content_type: str
    body: Callable[[], bytes]


def open_data(image):
    """The engine's ``ImageData`` of an ``Image`` row (pyramid when warm).

    ``FileChangedError`` (an ``InvalidFitsError``) if the file is no longer the one
    registered: the image is then failed (``tiles/file_check.py``)."""
    try:
        file_check.check(image)
    except file_check.FileChangedError:
        forget_data(image)
        raise
    return _open_images.get(image.cache_key, image.path, image.cache_dir, settings.TILE_SIZE)


def open_data_if_open(image):
    """The ``ImageData`` if already open in this process and its file looks as registered
    (a ``stat``; never opens or reads a file), else None; ``FileChangedError`` if the file
    is known to have changed."""
    data = _open_images.peek(image.cache_key)
    if data is None:
        return None
    try:
        if not file_check.quick_check(image):
            return None  # something to verify: ``open_data`` does it, off the event loop
    except file_check.FileChangedError:
        forget_data(image)
        raise
    return data


def forget_data(image):
    _open_images.invalidate(image.cache_key)


def channel_stats(image, data):
    """The per-channel statistics (dicts): the ingest's, else the engine's own estimate.
    The render parameters choose their cut presets among them (``tiles/params.py``)."""
    return image.stats or [s.as_dict() for s in data.stats]


def default_cuts(image, data):
    """(lo, hi) per channel that a REST rendering applies when it names no cuts (the
    declared default preset, zscale; older statistics: their one pair)."""
    return params.preset_cuts(channel_stats(image, data), params.DEFAULT_PRESET)


def etag_for(image, data, what, params):
    """The ETag (and tile-cache key) of a rendering: the image's content and version, the
    colour tables the engine renders with (a new matplotlib or formula gives new ETags,
    so no browser or cache keeps the old colours on a 304), what and how."""
    text = (
        f"{image.pk}:{image.checksum}:{image.version}:{int(data.has_pyramid)}:"
        f"{COLOUR_TABLES}:{what}:{params.key()}"
    )
    return '"' + hashlib.blake2b(text.encode(), digest_size=12).hexdigest() + '"'


def _cached(etag, produce):
    if not settings.TILE_CACHE_ENABLED:
        return produce()
    cache = caches["tiles"]
    body = cache.get(etag)
    if body is None:
        body = produce()
        cache.set(etag, body, settings.TILE_CACHE_SECONDS)
    return body


def tile(image, data, level, col, row, params):
    """The ``Rendering`` of one tile (its grid position checked now)."""
    data.grid.tile_box(level, col, row)  # a ParameterError outside the grid
    etag = etag_for(image, data, f"t{level}/{col}/{row}", params)
    return Rendering(
        etag,
        CONTENT_TYPES[params.fmt],
        lambda: _cached(etag, lambda: render_tile(data, level, col, row, params)),
    )


def region(image, data, level, box, params, max_pixels=None):
    """The ``Rendering`` of a region snapshot: level pixels ``box`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    etag = etag_for(image, data, f"r{level}/{x0},{y0},{x1},{y1}", params)
    limit = max_pixels or settings.MAX_REGION_PIXELS
    return Rendering(
        etag,
        CONTENT_TYPES[params.fmt],
        lambda: render_region(data, level, x0, y0, x1, y1, params, max_pixels=limit),
    )


def cutout(data, box, channels):
    """FITS bytes of FITS pixels ``box`` = (x1, y1, x2, y2) (1-based, inclusive)."""
    return data.cutout_fits(*box, channels, max_values=settings.MAX_CUTOUT_PIXELS)
