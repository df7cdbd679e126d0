"""How a FITS file becomes channels: the one place that decides it, from headers only.

- one image HDU: a 2-D image (one channel) or a cube (every plane of every axis above 2
  is a channel);
- several image HDUs that all carry ``DETSEC``: one mosaic, each extension's ``DATASEC``
  placed at its ``DETSEC`` (a descending range flips that axis);
- several 2-D image HDUs of one shape, without ``DETSEC``: one channel each;
- otherwise the first image HDU alone.

Pixel conventions: FITS sections are 1-based and inclusive; numpy arrays are
``[row, column]`` with row 0 at FITS y = 1 (the bottom of the displayed image).
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np
from astropy.io import fits

from tiles.engine.errors import InvalidFitsError

_SECTION = re.compile(r"^\s*\[\s*(-?\d+)\s*:\s*(-?\d+)\s*,\s*(-?\d+)\s*:\s*(-?\d+)\s*\]\s*$")


@dataclass(frozen=True)
class Section:
    """A FITS section ``[x1:x2,y1:y2]``, 1-based inclusive; x1 > x2 means flipped."""

    x1: int
    x2: int
    y1: int
    y2: int

    @classmethod
    def parse(cls, text):
        match = _SECTION.match(str(text))
        if not match:
            raise ValueError(f"not a section: {text!r}")
        return cls(*(int(v) for v in match.groups()))

    @property
    def width(self):
        return abs(self.x2 - self.x1) + 1

    @property
    def height(self):
        return abs(self.y2 - self.y1) + 1


@dataclass(frozen=True)
class Placement:
    """Where one HDU's data go: data pixels ``datasec`` onto mosaic pixels at ``detsec``."""

    hdu: int
    datasec: Section  # in the HDU's own pixels
    x0: int  # mosaic column (0-based) of the section's first data column
    y0: int  # mosaic row (0-based, from the bottom) of its first data row
    flip_x: bool
    flip_y: bool


@dataclass
class Layout:
    kind: str  # "image", "cube", "mosaic", "channels"
    width: int
    height: int
    channels: int
    hdus: list  # image HDU indices in use
    channel_names: list
    placements: list = field(default_factory=list)  # mosaics only

    @property
    def header_hdu(self):
        return self.hdus[0]


BITPIX_VALUES = (8, 16, 32, 64, -32, -64)


def is_image_hdu(hdu):
    if not isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU):
        return False
    header = hdu.header
    if header.get("BITPIX") not in BITPIX_VALUES and header.get("NAXIS", 0):
        raise InvalidFitsError(f"BITPIX = {header.get('BITPIX')!r} is not a FITS data type.")
    naxis = header.get("NAXIS", 0)
    if not isinstance(naxis, int) or naxis < 2:
        return False
    return all(_axis(header, n) > 0 for n in range(1, naxis + 1))


def _axis(header, n):
    value = header.get(f"NAXIS{n}", 0)
    return value if isinstance(value, int) else 0


def plane_count(header):
    return math.prod(_axis(header, n) for n in range(3, header.get("NAXIS", 2) + 1))


def plan_layout(hdulist):
    """The ``Layout`` of an open ``HDUList``; ``InvalidFitsError`` if nothing is an image."""
    images = [i for i, hdu in enumerate(hdulist) if is_image_hdu(hdu)]
    if not images:
        has_tables = any(isinstance(h, fits.BinTableHDU | fits.TableHDU) for h in hdulist)
        what = "it holds only tables" if has_tables else "no HDU has NAXIS >= 2"
        raise InvalidFitsError(f"no 2-D image data ({what}).")
    if len(images) > 1:
        layout = _mosaic(hdulist, images) or _same_shape_channels(hdulist, images)
        if layout is not None:
            return layout
    first = images[0]
    header = hdulist[first].header
    planes = plane_count(header)
    names = _plane_names(header, planes)
    return Layout(
        kind="cube" if header["NAXIS"] > 2 else "image",
        width=header["NAXIS1"],
        height=header["NAXIS2"],
        channels=planes,
        hdus=[first],
        channel_names=names,
    )


def _plane_names(header, planes):
    if planes == 1:
        return [str(header.get("FILTER") or header.get("BANDPASS") or "channel 1").strip()]
    return [f"channel {n}" for n in range(1, planes + 1)]


def _same_shape_channels(hdulist, images):
    shapes = {(hdulist[i].header["NAXIS1"], hdulist[i].header["NAXIS2"]) for i in images}
    if len(shapes) != 1 or any(hdulist[i].header["NAXIS"] != 2 for i in images):
        return None
    width, height = shapes.pop()
    names = []
    for n, i in enumerate(images, 1):
        header = hdulist[i].header
        names.append(str(header.get("FILTER") or header.get("EXTNAME") or f"channel {n}").strip())
    return Layout("channels", width, height, len(images), images, names)


def _mosaic(hdulist, images):
    placements = []
    for i in images:
        header = hdulist[i].header
        if "DETSEC" not in header or header.get("NAXIS") != 2:
            return None
        try:
            detsec = Section.parse(header["DETSEC"])
            datasec = Section.parse(
                header.get("DATASEC") or f"[1:{header['NAXIS1']},1:{header['NAXIS2']}]"
            )
        except ValueError:
            return None
        within = (
            min(datasec.x1, datasec.x2) >= 1 and max(datasec.x1, datasec.x2) <= header["NAXIS1"]
            and min(datasec.y1, datasec.y2) >= 1 and max(datasec.y1, datasec.y2) <= header["NAXIS2"]
        )  # fmt: skip
        if not within or (detsec.width, detsec.height) != (datasec.width, datasec.height):
            return None  # binned or inconsistent sections: not a mosaic we can place
        placements.append((i, detsec, datasec))
    xmin = min(min(d.x1, d.x2) for _, d, _ in placements)
    xmax = max(max(d.x1, d.x2) for _, d, _ in placements)
    ymin = min(min(d.y1, d.y2) for _, d, _ in placements)
    ymax = max(max(d.y1, d.y2) for _, d, _ in placements)
    result = []
    for i, detsec, datasec in placements:
        # A data axis runs the same way as the detector unless exactly one of the two
        # sections is descending.
        flip_x = (detsec.x2 < detsec.x1) != (datasec.x2 < datasec.x1)
        flip_y = (detsec.y2 < detsec.y1) != (datasec.y2 < datasec.y1)
        result.append(
            Placement(
                hdu=i,
                datasec=datasec,
                x0=min(detsec.x1, detsec.x2) - xmin,
                y0=min(detsec.y1, detsec.y2) - ymin,
                flip_x=flip_x,
                flip_y=flip_y,
            )
        )
    width, height = xmax - xmin + 1, ymax - ymin + 1
    names = [_plane_names(hdulist[images[0]].header, 1)[0]]
    return Layout("mosaic", width, height, 1, images, names, result)


def data_slices(placement):
    """(rows, cols) slices into the HDU's array, already ordered as the mosaic wants."""
    sec = placement.datasec
    x_lo, x_hi = sorted((sec.x1, sec.x2))
    y_lo, y_hi = sorted((sec.y1, sec.y2))
    cols = (
        slice(x_lo - 1, x_hi)
        if not placement.flip_x
        else slice(x_hi - 1, x_lo - 2 if x_lo > 1 else None, -1)
    )
    rows = (
        slice(y_lo - 1, y_hi)
        if not placement.flip_y
        else slice(y_hi - 1, y_lo - 2 if y_lo > 1 else None, -1)
    )
    return rows, cols


def mosaic_header(hdulist, layout):
    """The mosaic's header: the first extension's, with NAXISn set to the mosaic size,
    CRPIX moved into mosaic pixels, and a CD matrix always written."""
    from astropy.wcs import WCS

    first = layout.placements[0]
    header = hdulist[first.hdu].header.copy()
    header["NAXIS1"], header["NAXIS2"] = layout.width, layout.height
    for key in ("DETSEC", "DATASEC", "BIASSEC", "TRIMSEC", "CCDSEC", "LTV1", "LTV2"):
        header.remove(key, ignore_missing=True, remove_all=True)
    try:
        wcs = WCS(hdulist[first.hdu].header, naxis=2, relax=True)
    except Exception:
        return header
    if not wcs.has_celestial and not wcs.wcs.ctype[0]:
        return header
    cd = np.array(wcs.wcs.cd if wcs.wcs.has_cd() else wcs.pixel_scale_matrix, dtype=float)
    crpix = list(wcs.wcs.crpix)
    sec = first.datasec
    axes = (
        (min(sec.x1, sec.x2), max(sec.x1, sec.x2), first.flip_x, first.x0),
        (min(sec.y1, sec.y2), max(sec.y1, sec.y2), first.flip_y, first.y0),
    )
    for axis, (low, high, flip, origin) in enumerate(axes):
        # Data pixel p lands on mosaic pixel m = origin + 1 + sign * (p - start).
        start, sign = (high, -1.0) if flip else (low, 1.0)
        crpix[axis] = origin + 1 + sign * (crpix[axis] - start)
        cd[:, axis] *= sign
    for key in ("PC1_1", "PC1_2", "PC2_1", "PC2_2", "CDELT1", "CDELT2", "CROTA1", "CROTA2"):
        header.remove(key, ignore_missing=True, remove_all=True)
    header["CRPIX1"], header["CRPIX2"] = crpix
    for i in range(2):
        for j in range(2):
            header[f"CD{i + 1}_{j + 1}"] = float(cd[i, j])
    return header
