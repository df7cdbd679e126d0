"""Reading pixels of a FITS file, channel by channel, without loading it whole.

``FitsSource(path)`` follows the ``Layout`` of ``layout.py``. ``region(c, x0, y0, x1, y1,
step)`` returns native float32 pixels of channel ``c`` in FITS orientation (row 0 at FITS
y = 1, the bottom), 0-based half-open bounds, NaN for blanks, for mosaic gaps and for
infinite floats (no display cut or statistic can use them). BSCALE/BZERO/BLANK are
applied here, tile-compressed data included (an unsigned 16-bit image compressed with
``fpack`` keeps its ``BZERO = 32768``).
Uncompressed data (scaled or not) are read with ``os.pread`` of the rows needed, never
through a memory map: the file is not the portal's, and a file that shrinks under a map
kills the reading process with SIGBUS at the next page touched, where a short read is an
``InvalidFitsError`` ("the file changed"). Tile-compressed and gzip'd files go through
astropy's sections, opened without memory maps (file reads too).
"""

import os
import threading
import warnings
import zlib

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from tiles.engine.errors import InvalidFitsError
from tiles.engine.inventory import FITS_READ_ERRORS, header_cards, header_to_json, open_fits
from tiles.engine.layout import data_slices, mosaic_header, plan_layout

# A gzip'd file cut short ends its stream early: EOFError, zlib.error.
READ_ERRORS = (*FITS_READ_ERRORS, EOFError, zlib.error)


class FitsSource:
    """Pixels and header of one FITS file, as channels of one ``width x height`` image."""

    def __init__(self, path):
        self.path = str(path)
        self._file = None
        self._context = open_fits(self.path)
        self.hdulist = self._context.__enter__()
        try:
            # A file object (not a bare descriptor): it closes with its last reference,
            # as the open-image cache expects of evicted images.
            self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115 (closed in close())
            self._plain = os.pread(self._file.fileno(), 6, 0) == b"SIMPLE"  # not gzip'd
            self.layout = plan_layout(self.hdulist)
        except Exception:
            self.close()
            raise
        layout = self.layout
        self.width, self.height, self.channels = layout.width, layout.height, layout.channels
        self.channel_names = layout.channel_names
        self._header = None
        self._lock = threading.Lock()  # astropy sections share a file handle
        self._planes = [self._plane_reader(c) for c in range(self.channels)]

    # --- header -----------------------------------------------------------------------
    @property
    def fits_header(self):
        if self._header is None:
            if self.layout.kind == "mosaic":
                self._header = mosaic_header(self.hdulist, self.layout)
            else:
                self._header = self.hdulist[self.layout.header_hdu].header
        return self._header

    @property
    def header(self):
        return header_to_json(self.fits_header)

    @property
    def header_cards(self):
        return header_cards(self.fits_header)

    # --- pixels -----------------------------------------------------------------------
    def region(self, channel, x0, y0, x1, y1, step=1):
        """float32 pixels ``[y0:y1:step, x0:x1:step]`` of ``channel`` (FITS orientation)."""
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x0 >= x1 or y0 >= y1:
            return np.empty((0, 0), np.float32)
        try:
            return self._planes[channel](x0, y0, x1, y1, step)
        except READ_ERRORS as exc:
            raise InvalidFitsError(f"cannot read the pixels: {exc!r}") from exc

    def _plane_reader(self, channel):
        layout = self.layout
        if layout.kind == "mosaic":
            return self._mosaic_reader()
        if layout.kind == "channels":
            return self._hdu_reader(layout.hdus[channel], ())
        hdu = self.hdulist[layout.hdus[0]]
        naxis = hdu.header["NAXIS"]
        # Channel c of a cube: planes in FITS order, NAXIS3 varying fastest.
        extra = [hdu.header[f"NAXIS{n}"] for n in range(3, naxis + 1)]
        index = tuple(reversed(np.unravel_index(channel, extra, order="F"))) if extra else ()
        return self._hdu_reader(layout.hdus[0], tuple(int(i) for i in index))

    def _hdu_reader(self, hdu_index, plane):
        hdu = self.hdulist[hdu_index]
        raw = self._raw_plane(hdu_index, plane)
        if raw is not None:
            scaling = Scaling(hdu.header)

            def read_direct(x0, y0, x1, y1, step):
                return scaling.apply(raw.read(x0, y0, x1, y1, step))

            return read_direct

        section = hdu.section
        scaling = Scaling(hdu.header)  # the file is opened unscaled: raw integers come

        def read_section(x0, y0, x1, y1, step):
            with self._lock, warnings.catch_warnings():
                warnings.simplefilter("ignore", AstropyWarning)
                block = section[(*plane, slice(y0, y1, step), slice(x0, x1, step))]
            return scaling.apply(np.asarray(block))

        return read_section

    def _raw_plane(self, hdu_index, plane=()):
        """The ``RawPlane`` of one plane of an uncompressed image HDU; None if compressed."""
        hdu = self.hdulist[hdu_index]
        # The HDU's own fileinfo: HDUList.fileinfo writes every header of the file out
        # to tell whether one was resized, at each call (62 x 62 for a DECam mosaic).
        info = hdu.fileinfo()
        if isinstance(hdu, fits.CompImageHDU) or info is None or not self._plain:
            return None  # tile-compressed, or offsets within a gzip stream
        header = hdu.header
        width, height = header["NAXIS1"], header["NAXIS2"]
        dtype = np.dtype(BITPIX_DTYPES[header["BITPIX"]])
        extra = [header[f"NAXIS{n}"] for n in range(header["NAXIS"], 2, -1)]  # numpy order
        number = int(np.ravel_multi_index(plane, extra)) if plane else 0
        offset = info["datLoc"] + number * width * height * dtype.itemsize
        return RawPlane(self._file, offset, width, height, dtype)

    def _mosaic_reader(self):
        pieces = [(p, *data_slices(p)) for p in self.layout.placements]

        def read_mosaic(x0, y0, x1, y1, step):
            ny, nx = len(range(y0, y1, step)), len(range(x0, x1, step))
            out = np.full((ny, nx), np.nan, np.float32)
            for placement, rows, cols in pieces:
                _paste(self, out, placement, rows, cols, x0, y0, x1, y1, step)
            return out

        return read_mosaic

    def close(self):
        context, self._context = getattr(self, "_context", None), None
        if context is not None:
            context.__exit__(None, None, None)
        handle, self._file = getattr(self, "_file", None), None
        if handle is not None:
            handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _paste(source, out, placement, rows, cols, x0, y0, x1, y1, step):
    """Copy the part of one extension that falls in the requested mosaic region."""
    height = len(range(rows.start, -1 if rows.stop is None else rows.stop, rows.step or 1))
    width = len(range(cols.start, -1 if cols.stop is None else cols.stop, cols.step or 1))
    # Mosaic pixels covered by this extension: [px0, px0 + width) x [py0, py0 + height).
    px0, py0 = placement.x0, placement.y0
    lo_x, hi_x = max(x0, px0), min(x1, px0 + width)
    lo_y, hi_y = max(y0, py0), min(y1, py0 + height)
    if lo_x >= hi_x or lo_y >= hi_y:
        return
    # First sampled mosaic pixel at or after lo on the step grid that starts at x0/y0.
    first_x = x0 + -(-(lo_x - x0) // step) * step
    first_y = y0 + -(-(lo_y - y0) // step) * step
    if first_x >= hi_x or first_y >= hi_y:
        return
    hdu = source.hdulist[placement.hdu]
    # Indices into the HDU's array of the sampled mosaic pixels (the data section, flipped
    # as the mosaic wants it): arithmetic progressions of difference +-step.
    hdu_rows = np.arange(hdu.header["NAXIS2"])[rows][first_y - py0 : hi_y - py0 : step]
    hdu_cols = np.arange(hdu.header["NAXIS1"])[cols][first_x - px0 : hi_x - px0 : step]
    plane = source._raw_plane(placement.hdu)
    if plane is None:  # a compressed extension: decompressed whole, once per read
        with source._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            array = np.asarray(hdu.data)
        block = Scaling(hdu.header).apply(array[hdu_rows[:, None], hdu_cols[None, :]])
    else:
        r0, r1 = int(hdu_rows.min()), int(hdu_rows.max()) + 1
        c0, c1 = int(hdu_cols.min()), int(hdu_cols.max()) + 1
        raw = plane.read(c0, r0, c1, r1, step)
        if placement.flip_y:
            raw = raw[::-1]
        if placement.flip_x:
            raw = raw[:, ::-1]
        block = Scaling(hdu.header).apply(raw)
    oy, ox = (first_y - y0) // step, (first_x - x0) // step
    out[oy : oy + block.shape[0], ox : ox + block.shape[1]] = block


BITPIX_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
SWAPPED_FLOAT32 = np.dtype(np.float32).newbyteorder()  # float32 in the other byte order


class RawPlane:
    """The raw (big-endian, unscaled) pixels of one uncompressed 2-D plane of a file,
    read with ``os.pread``: thread-safe, no file position, no memory map.

    ``offset`` is the byte of pixel (0, 0); rows are ``width`` pixels of ``dtype``.
    A read past the end of the file (it shrank) raises ``InvalidFitsError``.
    """

    def __init__(self, file, offset, width, height, dtype):
        self.file, self.fd = file, file.fileno()  # the plane keeps its file open
        self.offset, self.width, self.height = offset, width, height
        self.dtype = np.dtype(dtype)
        self.row_bytes = width * self.dtype.itemsize

    def read(self, x0, y0, x1, y1, step=1):
        """Raw pixels ``[y0:y1:step, x0:x1:step]`` (bounds within the plane), in memory of
        their own: the caller may convert them in place."""
        size = self.dtype.itemsize
        span = (x1 - x0) * size
        whole = (y1 - y0) * self.row_bytes
        if step == 1 and (x1 - x0 == self.width or self.row_bytes <= 4 * span or whole <= 2**18):
            # One read of whole rows (a warm's blocks, narrow files), cut to the columns:
            # a read of 256 KiB costs about ten small ones.
            rows = np.empty((y1 - y0, self.width), self.dtype)
            self._read_into(memoryview(rows).cast("B"), self.offset + y0 * self.row_bytes)
            return rows if x1 - x0 == self.width else rows[:, x0:x1]
        # Wide rows, few columns (a tile of a large image), or sampled rows: a read per
        # row, straight into the result.
        wanted = range(y0, y1, step)
        out = np.empty((len(wanted), span // size), self.dtype)
        flat = memoryview(out).cast("B")
        first = self.offset + x0 * size
        fd, row_bytes, preadv = self.fd, self.row_bytes, os.preadv
        try:
            for i, y in enumerate(wanted):
                piece = flat[i * span : (i + 1) * span]
                if preadv(fd, (piece,), first + y * row_bytes) < span:
                    self._read_into(piece, first + y * row_bytes)
        except OSError as exc:
            raise InvalidFitsError(f"cannot read the pixels: {exc}") from exc
        return out[:, ::step] if step > 1 else out

    def _read_into(self, view, start):
        """Fill ``view`` from byte ``start``; the file ending first means it changed."""
        done = 0
        while done < len(view):
            try:
                count = os.preadv(self.fd, (view[done:],), start + done)
            except OSError as exc:
                raise InvalidFitsError(f"cannot read the pixels: {exc}") from exc
            if count == 0:
                end = os.fstat(self.fd).st_size
                raise InvalidFitsError(
                    f"the file changed: it ends at byte {end:,}, before the pixels it held "
                    f"up to byte {start + len(view):,}."
                )
            done += count


class Scaling:
    """BSCALE/BZERO/BLANK of an image HDU, applied to raw values read from disk (or
    decompressed); infinite floats become NaN."""

    def __init__(self, header):
        header = header if header is not None else {}
        self.scale = float(header.get("BSCALE", 1.0))
        self.zero = float(header.get("BZERO", 0.0))
        blank = header.get("BLANK")
        self.blank = blank if isinstance(blank, int) else None

    def apply(self, raw):
        """Native float32 values of ``raw``, which it may reuse (big-endian float32 data
        are swapped in place: no copy)."""
        plain = self.scale == 1.0 and self.zero == 0.0
        swapped = raw.dtype == SWAPPED_FLOAT32 and raw.dtype.byteorder != "="
        if plain and swapped and raw.flags.c_contiguous and raw.flags.writeable:
            return _finite(raw.byteswap(inplace=True).view(np.float32))
        values = raw.astype(np.float32)
        if self.scale != 1.0:
            values *= np.float32(self.scale)
        if self.zero != 0.0:
            values += np.float32(self.zero)
        if self.blank is not None and raw.dtype.kind in "iu":
            values[raw == self.blank] = np.nan
        return _finite(values) if raw.dtype.kind == "f" or not plain else values


def _finite(values):
    """``values`` (float32) with +-Inf as NaN, in place."""
    infinite = np.isinf(values)
    if infinite.any():
        values[infinite] = np.nan
    return values


def open_source(path):
    try:
        return FitsSource(path)
    except InvalidFitsError:
        raise
    except (OSError, ValueError) as exc:
        raise InvalidFitsError(f"unreadable FITS file: {exc}") from exc
