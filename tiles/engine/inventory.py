"""Validating a FITS file and describing it, without reading its pixels.

``inspect_fits`` is what registration calls before an image exists: it refuses files
that are not FITS, empty, truncated (a header declaring more data than the file holds,
however absurd the declared size), claiming more than the ``Limits`` allow (checked
header by header before any data is read, see ``claims.py``), or without 2-D image data,
with a message for users.
"""

import contextlib
import gzip
import hashlib
import math
import os
import warnings
from dataclasses import dataclass

from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from tiles.engine.claims import Limits, TooLargeError, check_claims, declared_bytes, size_text
from tiles.engine.errors import InvalidFitsError
from tiles.engine.layout import mosaic_header, plan_layout

BLOCK = 2880
# What astropy raises on malformed headers and data (a bad BITPIX is a KeyError, ...).
FITS_READ_ERRORS = (OSError, ValueError, TypeError, IndexError, KeyError, AttributeError,
                    UnicodeError, OverflowError, ZeroDivisionError)  # fmt: skip
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class FitsInventory:
    kind: str
    width: int
    height: int
    channels: int
    channel_names: list
    hdus: list  # JSON-ready: index, name, kind, shape, bitpix
    header: dict  # JSON-ready keyword -> value of the (mosaic) image header
    header_cards: str  # 80-character cards, as IIP's ``obj`` response wants them


def file_checksum(path, chunk=4 * 1024 * 1024):
    """SHA-256 of the file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def open_fits(path):
    """``fits.open`` with every failure turned into ``InvalidFitsError``."""
    size = os.path.getsize(path)
    if size == 0:
        raise InvalidFitsError("the file is empty.")
    with open(path, "rb") as handle:
        start = handle.read(BLOCK)
    compressed = start[:2] == GZIP_MAGIC
    if compressed:
        try:
            with gzip.open(path, "rb") as handle:
                start = handle.read(BLOCK)
        except (OSError, EOFError) as exc:
            raise InvalidFitsError(f"not a FITS file (broken gzip data: {exc}).") from exc
    if not start.startswith(b"SIMPLE  ="):
        raise InvalidFitsError("not a FITS file (it does not start with a SIMPLE card).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            # Raw values: the reader applies BSCALE/BZERO/BLANK itself. No memory map:
            # a file that shrinks under one is a SIGBUS, which ends the process (the
            # reader reads uncompressed pixels itself, with pread).
            hdulist = fits.open(
                path,
                memmap=False,
                lazy_load_hdus=False,
                do_not_scale_image_data=True,
                ignore_missing_simple=False,
            )
    except FITS_READ_ERRORS as exc:
        if not compressed:
            check_first_header(path, size)
        raise InvalidFitsError(f"unreadable FITS file: {exc}") from exc
    try:
        if not compressed:
            try:
                check_sizes(hdulist, size)
            except FITS_READ_ERRORS as exc:
                raise InvalidFitsError(f"unreadable FITS file: {exc!r}") from exc
        yield hdulist
    finally:
        hdulist.close()


def declared_data_bytes(header):
    """Bytes of data a header declares (before padding), from BITPIX/NAXISn/PCOUNT/GCOUNT."""
    return declared_bytes(header)


def _truncated(index, needed, file_size):
    return InvalidFitsError(
        f"truncated: HDU {index} declares data up to byte {needed:,}, "
        f"but the file has {file_size:,} bytes."
    )


def check_sizes(hdulist, file_size):
    """Refuse a file whose headers declare more data than it holds."""
    for index, hdu in enumerate(hdulist):
        info = hdu.fileinfo()
        if info is None:
            continue
        if isinstance(hdu, fits.CompImageHDU):
            # Stored as a table: its padded span is all we know; forgive missing padding.
            needed = info["datLoc"] + max(info["datSpan"] - (BLOCK - 1), 0)
        else:
            needed = info["datLoc"] + declared_data_bytes(hdu.header)
        if needed > file_size:
            raise _truncated(index, needed, file_size)


def check_first_header(path, file_size):
    """Explain an unopenable file whose first header declares more data than it holds."""
    try:
        with open(path, "rb") as handle:
            header = fits.Header.fromfile(handle)
            data_start = handle.tell()
    except (OSError, ValueError, UnicodeError):
        return
    needed = data_start + declared_data_bytes(header)
    if needed > file_size:
        raise _truncated(0, needed, file_size)


def inspect_fits(path, limits=None):
    """Validate ``path`` and describe it: a ``FitsInventory``; ``InvalidFitsError`` if
    unusable or beyond ``limits`` (a ``claims.Limits``; its defaults if None)."""
    limits = limits or Limits()
    if os.path.getsize(path) == 0:
        raise InvalidFitsError("the file is empty.")
    check_claims(path, limits)  # before astropy reads a header: it would trust them
    with open_fits(path) as hdulist:
        try:
            inventory = _inventory(hdulist)
        except FITS_READ_ERRORS as exc:
            raise InvalidFitsError(f"unreadable FITS file: {exc!r}") from exc
    check_image_size(inventory, limits)
    return inventory


def check_image_size(inventory, limits):
    """Refuse an image whose pixels, as the float32 the pyramid stores, pass the limit:
    a cube of many planes or a mosaic whose DETSECs lie far apart can claim that much
    with little data."""
    nbytes = inventory.width * inventory.height * inventory.channels * 4
    if nbytes > limits.max_data_bytes:
        raise TooLargeError(
            f"the image is {inventory.width:,} x {inventory.height:,} pixels x "
            f"{inventory.channels:,} channel(s), {size_text(nbytes)} as float32: more than "
            f"the limit of {size_text(limits.max_data_bytes)}."
        )


def _inventory(hdulist):
    layout = plan_layout(hdulist)
    if layout.kind == "mosaic":
        header = mosaic_header(hdulist, layout)
    else:
        header = hdulist[layout.header_hdu].header
    return FitsInventory(
        kind=layout.kind,
        width=layout.width,
        height=layout.height,
        channels=layout.channels,
        channel_names=layout.channel_names,
        hdus=[hdu_summary(i, hdu) for i, hdu in enumerate(hdulist)],
        header=header_to_json(header),
        header_cards=header_cards(header),
    )


def hdu_summary(index, hdu):
    header = hdu.header
    naxis = header.get("NAXIS", 0)
    return {
        "index": index,
        "name": hdu.name,
        "kind": type(hdu).__name__,
        "shape": [header.get(f"NAXIS{n}", 0) for n in range(1, naxis + 1)],
        "bitpix": header.get("BITPIX"),
        "detsec": str(header["DETSEC"]) if "DETSEC" in header else None,
        "datasec": str(header["DATASEC"]) if "DATASEC" in header else None,
    }


def json_value(value):
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, fits.card.Undefined):
        return None
    return str(value)


def header_to_json(header):
    """keyword -> value (commentary cards left out; the last of repeated keywords wins)."""
    result = {}
    for card in header.cards:
        keyword = card.keyword
        if not keyword or keyword in ("COMMENT", "HISTORY"):
            continue
        try:
            result[keyword] = json_value(card.value)
        except (ValueError, UnicodeError):
            continue  # an unparsable card is dropped, the rest of the header kept
    return result


def header_cards(header):
    """The header as 80-character cards (non-ASCII replaced), without END padding."""
    cards = []
    for card in header.cards:
        try:
            image = card.image
        except (ValueError, UnicodeError):
            continue
        cards.append(image.encode("ascii", "replace").decode("ascii")[:80].ljust(80))
    return "".join(cards)
