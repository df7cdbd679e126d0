"""FITS cutouts written as a stream: a header block, then the pixels a strip of rows at a
time, so a cutout of any size costs one strip of memory, never the whole cutout.

``FitsCutout(image, x1, y1, x2, y2, channels, max_values)`` checks the box (FITS pixels,
1-based, inclusive, clipped to the image) and its size at once; ``size`` is the file's
length in bytes and ``chunks()`` yields its bytes: the header (the image's, with the WCS
moved to the cutout's pixels) then big-endian float32 rows, FITS order (the bottom row
first, x fastest; channel after channel), padded to whole 2880-byte blocks.
"""

import numpy as np

from tiles.engine.errors import ParameterError, RegionTooLargeError
from tiles.engine.image import cutout_header

BLOCK = 2880
STRIP_BYTES = 4 * 1024 * 1024  # pixels read and sent at once


class FitsCutout:
    def __init__(self, image, x1, y1, x2, y2, channels=None, max_values=None):
        self.image = image
        self.channels = image.check_channels(channels)
        x0, x1 = sorted((int(x1), int(x2)))
        y0, y1 = sorted((int(y1), int(y2)))
        self.x0, self.y0 = max(x0, 1), max(y0, 1)
        self.x1, self.y1 = min(x1, image.width), min(y1, image.height)
        if self.x0 > self.x1 or self.y0 > self.y1:
            raise ParameterError("The cutout does not overlap the image.")
        self.width, self.height = self.x1 - self.x0 + 1, self.y1 - self.y0 + 1
        values = self.width * self.height * len(self.channels)
        if max_values is not None and values > max_values:
            raise RegionTooLargeError(
                f"The cutout needs {values:,} values (pixels x channels), more than the limit "
                f"of {max_values:,}: choose a smaller area or fewer channels."
            )
        self.header = self._header()
        self.padding = -(values * 4) % BLOCK
        self.size = len(self.header) + values * 4 + self.padding

    def _header(self):
        from astropy.io import fits

        shape = [self.width, self.height] + ([len(self.channels)] if len(self.channels) > 1 else [])
        header = fits.Header()
        header["SIMPLE"] = (True, "conforms to FITS standard")
        header["BITPIX"] = (-32, "array data type")
        header["NAXIS"] = (len(shape), "number of array dimensions")
        for axis, length in enumerate(shape, start=1):
            header[f"NAXIS{axis}"] = length
        header["EXTEND"] = True
        header.extend(cutout_header(self.image.fits_header, self.x0, self.y0, None))
        return header.tostring().encode("ascii")

    def chunks(self):
        """The file's bytes, in pieces of at most about ``STRIP_BYTES``."""
        yield self.header
        rows = max(1, STRIP_BYTES // (4 * self.width))
        level_height = self.image.height
        for channel in self.channels:
            for first in range(self.y0, self.y1 + 1, rows):  # FITS rows, 1-based, bottom up
                last = min(first + rows - 1, self.y1)
                # region_planes counts rows from the top: FITS rows first..last are
                # [H - last, H - first + 1) there, top-down; flipped back to FITS order.
                (plane,) = self.image.region_planes(
                    0, self.x0 - 1, level_height - last, self.x1, level_height - first + 1,
                    [channel],
                )  # fmt: skip
                yield np.ascontiguousarray(plane[::-1], dtype=">f4").tobytes()
        if self.padding:
            yield bytes(self.padding)
