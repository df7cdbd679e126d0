"""An image as the tile server sees it: its pyramid when complete, its FITS file until then.

``open_image(path, cache_dir)`` gives an ``ImageData``. Tiles and regions come out
top-down (row 0 at the top of the displayed image) as float32 ``(n, h, w)`` arrays of the
requested channels; science access uses FITS conventions (1-based pixels, y up).
Before the pyramid exists, levels are binned from full-resolution reads, and the
coarsest ones (binning of 8 and more) are strided previews: the first view of a new image
never waits for the warm.
"""

import io
import math
import threading
import time
from collections import OrderedDict

import numpy as np
from scipy.ndimage import gaussian_filter

from tiles.engine.encode import encode, encode_canvas
from tiles.engine.errors import ParameterError, RegionTooLargeError
from tiles.engine.geometry import TileGrid
from tiles.engine.labels import channel_labels
from tiles.engine.pyramid import _matches, bin2x2, open_levels, read_manifest
from tiles.engine.reader import open_source
from tiles.engine.render import render
from tiles.engine.stats import channel_stats, sample_rows

PREVIEW_LEVEL = 3  # from this level on, unwarmed tiles are strided samples
MAX_REGION_PIXELS = 1024 * 256 * 256
PROFILE_CHUNK = 256  # points of a profile read at once


class ImageData:
    def __init__(self, path, cache_dir=None, tile_size=256):
        self.path = str(path)
        self.cache_dir = cache_dir
        self.tile_size = tile_size
        self._source = None
        self._source_lock = threading.Lock()
        self._levels = None
        self._stats = None
        info = read_manifest(cache_dir) if cache_dir is not None else None
        if info is not None and _matches(info, self.path, tile_size):
            self._levels = open_levels(cache_dir, info)
            self.width, self.height, self.channels = info.width, info.height, info.channels
            self._stats = info.stats
        else:
            source = self.source
            self.width, self.height, self.channels = source.width, source.height, source.channels
        self.grid = TileGrid(self.width, self.height, tile_size)

    # --- description --------------------------------------------------------------------
    @property
    def has_pyramid(self):
        return self._levels is not None

    @property
    def source(self):
        if self._source is None:
            with self._source_lock:
                if self._source is None:
                    self._source = open_source(self.path)
        return self._source

    @property
    def channel_names(self):
        return self.source.channel_names

    @property
    def channel_labels(self):
        """A label per channel: WCS axis 3 value and unit, FILTER, or EXTNAME and EXTVER
        (``labels.py``)."""
        source = self.source
        return channel_labels(source.hdulist, source.layout)

    @property
    def header(self):
        return self.source.header

    @property
    def fits_header(self):
        return self.source.fits_header

    @property
    def header_cards(self):
        return self.source.header_cards

    @property
    def stats(self):
        """``ChannelStats`` per channel (from the pyramid, or a subsample of the file)."""
        if self._stats is None or not all(s.cuts for s in self._stats):
            # The same rows as the pyramid builder samples: the same default cuts. (A
            # pyramid built before the cut presets existed has none: sampled again.)
            rows = sample_rows(self.height)
            self._stats = [
                channel_stats(
                    np.concatenate([self._fits_region(c, 0, 0, y, self.width, y + 1) for y in rows])
                )
                for c in range(self.channels)
            ]
        return self._stats

    def histogram(self, channel, bins=256):
        """(counts, edges) of a channel over the statistics' sample rows, spanning the
        0.1-99.9 percentiles widened to include the default cuts."""
        self.check_channels([channel])
        rows = sample_rows(self.height)
        sample = np.concatenate(
            [self._fits_region(channel, 0, 0, y, self.width, y + 1) for y in rows]
        )
        sample = sample[np.isfinite(sample)].astype(np.float64)
        stats = self.stats[channel]
        if sample.size == 0:
            return np.zeros(bins, int), np.linspace(stats.lo, stats.hi, bins + 1)
        lo, hi = np.percentile(sample, [0.1, 99.9])
        lo, hi = min(lo, stats.lo), max(hi, stats.hi)
        if not hi > lo:
            hi = lo + 1.0
        counts, edges = np.histogram(sample, bins=bins, range=(lo, hi))
        return counts, edges

    # --- pixels -----------------------------------------------------------------------
    def check_channels(self, channels):
        channels = list(range(self.channels)) if channels is None else list(channels)
        for c in channels:
            if not 0 <= c < self.channels:
                raise ParameterError(f"Channel {c + 1} is outside 1..{self.channels}.")
        return channels

    def tile_data(self, level, col, row, channels=None):
        """float32 (n, h, w) of one tile, top-down; border tiles at their true size."""
        x0, y0, x1, y1 = self.grid.tile_box(level, col, row)
        return self.region_data(level, x0, y0, x1, y1, channels)

    def tile_planes(self, level, col, row, channels=None):
        """``tile_data`` as a list of (h, w) planes, views where the pyramid allows."""
        x0, y0, x1, y1 = self.grid.tile_box(level, col, row)
        return self.region_planes(level, x0, y0, x1, y1, channels)

    def region_data(self, level, x0, y0, x1, y1, channels=None):
        """float32 (n, h, w) of level pixels [x0, x1) x [y0, y1), y counted from the top."""
        planes = self.region_planes(level, x0, y0, x1, y1, channels)
        return np.stack(planes) if len(planes) > 1 else planes[0][None]

    def region_planes(self, level, x0, y0, x1, y1, channels=None):
        channels = self.check_channels(channels)
        _w, level_height = self.grid.level_size(level)
        fy0, fy1 = level_height - y1, level_height - y0
        return [self._fits_region(c, level, x0, fy0, x1, fy1)[::-1] for c in channels]

    def _fits_region(self, channel, level, x0, y0, x1, y1, step=1):
        """Level pixels [x0, x1) x [y0, y1) in FITS orientation (y up)."""
        if self._levels is not None:
            return self._levels[channel][level][y0:y1:step, x0:x1:step]
        scale = 1 << level
        source = self.source
        if level == 0:
            return source.region(channel, x0, y0, x1, y1, step)
        if level >= PREVIEW_LEVEL:
            return source.region(
                channel, x0 * scale, y0 * scale, x1 * scale, y1 * scale, scale * step
            )
        block = source.region(channel, x0 * scale, y0 * scale, x1 * scale, y1 * scale)
        for _ in range(level):
            block = bin2x2(block)
        return block[::step, ::step]

    def pixel_values(self, x_fits, y_fits, channels=None):
        """Values at the FITS pixel (x, y) (1-based, rounded to the nearest pixel);
        None outside the image or for NaN."""
        channels = self.check_channels(channels)
        ix, iy = int(np.floor(x_fits + 0.5)) - 1, int(np.floor(y_fits + 0.5)) - 1
        if not (0 <= ix < self.width and 0 <= iy < self.height):
            return [None] * len(channels)
        return [_value(self._fits_region(c, 0, ix, iy, ix + 1, iy + 1)) for c in channels]

    def profile(self, x1, y1, x2, y2, channels=None):
        """Values along the digital line between two FITS pixels (1-based, ends included).

        Returns [{"x", "y", "values"}] with x, y 0-based, as the IIP ``PFL`` response.
        Pixels are read ``PROFILE_CHUNK`` points at a time, each chunk's bounding box (at
        most ``PROFILE_CHUNK`` squared pixels), not the whole line's.
        """
        channels = self.check_channels(channels)
        points = bresenham(int(x1) - 1, int(y1) - 1, int(x2) - 1, int(y2) - 1)
        xs = np.array([p[0] for p in points])
        ys = np.array([p[1] for p in points])
        inside = np.flatnonzero((xs >= 0) & (xs < self.width) & (ys >= 0) & (ys < self.height))
        values = [[None] * len(channels) for _ in points]
        for start in range(0, inside.size, PROFILE_CHUNK):
            chunk = inside[start : start + PROFILE_CHUNK]
            cx, cy = xs[chunk], ys[chunk]
            bx0, by0 = cx.min(), cy.min()
            for k, c in enumerate(channels):
                box = np.asarray(self._fits_region(c, 0, bx0, by0, cx.max() + 1, cy.max() + 1))
                for i, value in zip(chunk, box[cy - by0, cx - bx0].tolist(), strict=True):
                    values[i][k] = value if math.isfinite(value) else None
        return [
            {"x": int(x), "y": int(y), "values": v}
            for (x, y), v in zip(points, values, strict=True)
        ]

    def cutout_fits(self, x0, y0, x1, y1, channels=None, max_values=MAX_REGION_PIXELS):
        """A FITS file (bytes) of FITS pixels [x0..x1] x [y0..y1] (1-based, inclusive),
        with the header's WCS moved to the cutout's pixels; at most ``max_values``
        values (pixels x channels) once clipped to the image, else ``RegionTooLargeError``."""
        from astropy.io import fits

        channels = self.check_channels(channels)
        x0, x1 = sorted((int(x0), int(x1)))
        y0, y1 = sorted((int(y0), int(y1)))
        x0, y0 = max(x0, 1), max(y0, 1)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x0 > x1 or y0 > y1:
            raise ParameterError("The cutout does not overlap the image.")
        values = (x1 - x0 + 1) * (y1 - y0 + 1) * len(channels)
        if values > max_values:
            raise RegionTooLargeError(
                f"The cutout needs {values:,} values (pixels x channels), more than the limit "
                f"of {max_values:,}: choose a smaller area or fewer channels."
            )
        planes = [np.array(self._fits_region(c, 0, x0 - 1, y0 - 1, x1, y1)) for c in channels]
        data = planes[0] if len(planes) == 1 else np.stack(planes)
        header = cutout_header(self.fits_header, x0, y0, data)
        buffer = io.BytesIO()
        fits.PrimaryHDU(data=data, header=header).writeto(buffer)
        return buffer.getvalue()

    def close(self):
        if self._source is not None:
            self._source.close()
            self._source = None
        self._levels = None


def cutout_header(header, x0, y0, data):
    """``header`` for a cutout whose first pixel is FITS (x0, y0) of the original."""
    from astropy.io import fits

    keep = fits.Header()
    skip = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "EXTEND", "PCOUNT", "GCOUNT", "BZERO",
            "BSCALE", "BLANK", "CHECKSUM", "DATASUM", "END"}  # fmt: skip
    for card in header.cards:
        keyword = card.keyword
        if keyword in skip or keyword.startswith("NAXIS") or keyword.startswith("ZNAXIS"):
            continue
        try:  # a copy: the open image's own cards must not move with the cutout
            keep.append(fits.Card.fromstring(card.image))
        except (ValueError, UnicodeError):
            continue
    for axis, origin in ((1, x0), (2, y0)):
        if f"CRPIX{axis}" in keep:
            keep[f"CRPIX{axis}"] = keep[f"CRPIX{axis}"] - (origin - 1)
        if f"LTV{axis}" in keep:
            keep[f"LTV{axis}"] = keep[f"LTV{axis}"] - (origin - 1)
    return keep


def _value(array):
    value = float(np.asarray(array).reshape(-1)[0])
    return value if np.isfinite(value) else None


def bresenham(x0, y0, x1, y1):
    """Integer points of the digital line from (x0, y0) to (x1, y1), both included."""
    points = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    x, y = x0, y0
    while True:
        points.append((x, y))
        if x == x1 and y == y1:
            return points
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x += sx
        if e2 <= dx:
            err += dx
            y += sy


def open_image(path, cache_dir=None, tile_size=256):
    return ImageData(path, cache_dir, tile_size)


def render_tile(image, level, col, row, params):
    """Encoded bytes of one tile."""
    planes = rendered_planes(image, level, *image.grid.tile_box(level, col, row), params)
    pixels, alpha = render(planes, params, scratch=True, grey_when_equal=True)
    return encode(pixels, params.fmt, params.quality, alpha)


def render_region(image, level, x0, y0, x1, y1, params, max_pixels=MAX_REGION_PIXELS):
    """Encoded bytes of level pixels [x0, x1) x [y0, y1) (top-down), clipped to the level.

    Rendered in strips of about ``REGION_STRIP_PIXELS`` into the 8-bit image the encoder
    takes: memory is that image plus one strip's floats, not the region's floats (four
    times the output per channel, and more for the scratch buffers).
    """
    width, height = image.grid.level_size(level)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x0 >= x1 or y0 >= y1:
        raise ParameterError("The region does not overlap the image.")
    if (x1 - x0) * (y1 - y0) > max_pixels:
        raise RegionTooLargeError(
            f"The region needs {(x1 - x0) * (y1 - y0):,} pixels, more than the limit of "
            f"{max_pixels:,}: zoom in or raise the binning (BIN)."
        )
    rows = max(1, REGION_STRIP_PIXELS // (x1 - x0))
    canvas = None
    for top in range(y0, y1, rows):
        bottom = min(top + rows, y1)
        planes = rendered_planes(image, level, x0, top, x1, bottom, params)
        pixels, alpha = render(planes, params, scratch=True, grey_when_equal=True)
        if canvas is None:
            canvas = _canvas(y1 - y0, x1 - x0, pixels, alpha)
        _paste(canvas, top - y0, pixels, alpha)
    return encode_canvas(canvas, params.fmt, params.quality)


REGION_STRIP_PIXELS = 1 << 18
SMOOTH_TRUNCATE = 4.0  # the Gaussian kernel's radius, in sigmas


def rendered_planes(image, level, x0, y0, x1, y1, params):
    """The planes ``render`` takes for level pixels [x0, x1) x [y0, y1) (top-down):
    the image's, or with ``params.smooth`` (sigma in full-resolution pixels, so
    ``smooth / 2**level`` at this level) the Gaussian-smoothed values.

    Smoothing reads a margin of the kernel's radius around the box, so a tile is the
    crop of the whole level smoothed at once: no seams between tiles. NaN pixels and the
    outside of the image do not count (normalised convolution: the smoothed values
    divided by the smoothed weights) and NaN pixels stay NaN.
    """
    channels = params.channels_needed
    sigma = params.smooth / (1 << level)
    radius = int(SMOOTH_TRUNCATE * sigma + 0.5)  # as gaussian_filter sizes its kernel
    if radius == 0:
        return image.region_planes(level, x0, y0, x1, y1, channels)
    width, height = image.grid.level_size(level)
    mx0, my0 = max(x0 - radius, 0), max(y0 - radius, 0)
    mx1, my1 = min(x1 + radius, width), min(y1 + radius, height)
    crop = (slice(y0 - my0, y1 - my0), slice(x0 - mx0, x1 - mx0))
    edges = (mx0, my0, mx1, my1) != (x0 - radius, y0 - radius, x1 + radius, y1 + radius)
    planes = image.region_planes(level, mx0, my0, mx1, my1, channels)
    return [smoothed(plane, sigma, edges)[crop] for plane in planes]


def smoothed(plane, sigma, edges=True):
    """float32 ``plane`` convolved with a Gaussian of ``sigma`` pixels, ignoring NaN and
    what lies beyond the plane's edges (weights renormalised there); NaN stays NaN.
    ``edges=False``: the caller crops the result at least the kernel's radius inside
    the plane, where (without NaN) the weights are 1: they are not computed.

    scipy's ``gaussian_filter`` is separable (two 1-D passes: the cost grows with sigma,
    not its square) and sizes its kernel from ``truncate``, so the margin a tile needs is
    known exactly; astropy's ``convolve`` is a direct 2-D sum (sigma squared) and its
    FFT variant pads the whole array.
    """
    values = np.array(plane, dtype=np.float32)
    blank = np.isnan(values)
    options = dict(mode="constant", cval=0.0, truncate=SMOOTH_TRUNCATE)
    if not edges and not blank.any():
        return gaussian_filter(values, sigma, output=values, **options)
    weights = (~blank).astype(np.float32)
    values[blank] = 0
    gaussian_filter(values, sigma, output=values, **options)
    gaussian_filter(weights, sigma, output=weights, **options)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(values, weights, out=values)
    values[blank] = np.nan
    return values


def _canvas(height, width, pixels, alpha):
    """The 8-bit image a region is pasted into, laid out as ``encode_canvas`` takes it:
    grey (h, w) or RGBX (h, w, 4) without alpha; grey or RGB, then alpha, with it."""
    if alpha is None:
        return np.empty((height, width, *pixels.shape[2:]), np.uint8)
    colours = 1 if pixels.ndim == 2 else 3
    return np.empty((height, width, colours + 1), np.uint8)


def _paste(canvas, top, pixels, alpha):
    rows = slice(top, top + pixels.shape[0])
    if alpha is None:
        canvas[rows] = pixels
        return
    if pixels.ndim == 2:
        canvas[rows, :, 0] = pixels
    else:
        canvas[rows, :, :3] = pixels[:, :, :3]
    canvas[rows, :, -1] = alpha


class ImageCache:
    """A bounded, thread-safe LRU of open images keyed by the caller (e.g. "id:checksum").

    An entry opened before its pyramid existed is reopened once the pyramid is complete
    (checked at most every ``recheck`` seconds), so warm images switch to slices.
    """

    def __init__(self, size=64, recheck=0.5):
        self.size = size
        self.recheck = recheck
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, path, cache_dir=None, tile_size=256):
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                image, checked = entry
                if image.has_pyramid or cache_dir is None or now - checked < self.recheck:
                    return image
                self._entries[key] = (image, now)
        if entry is not None and read_manifest(cache_dir) is None:
            return entry[0]
        image = open_image(path, cache_dir, tile_size)
        # Replaced and evicted images are not closed here: another thread may still be
        # reading them; their files close when the last reference goes.
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (image, now)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return image

    def peek(self, key):
        """The open image of ``key`` if cached and current (no file is touched), else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        image, checked = entry
        if not image.has_pyramid and time.monotonic() - checked >= self.recheck:
            return None  # time to look for a finished pyramid: the slow path does it
        return image

    def invalidate(self, key):
        with self._lock:
            self._entries.pop(key, None)

    def clear(self):
        with self._lock:
            self._entries = OrderedDict()
