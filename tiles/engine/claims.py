"""What a FITS file's headers claim, checked header by header before any data is read.

``scan`` walks a FITS stream HDU by HDU, reading only the headers (each bounded in
size) and skipping or copying the data they declare. Every claim is checked against
``Limits`` as soon as its header is read: too many HDUs, a header too long, more data
than the limit, or (for a file of known size) more data than the file holds, raise
``InvalidFitsError`` before a byte of that data is read.

``decompress_fits`` turns a gzip'd FITS file into a plain one on the way, in chunks:
its memory is constant and its output never passes ``Limits.max_decompressed_bytes``.
The reader reads plain files at an offset (``os.pread``); astropy would decompress a
gzip'd file whole into memory to read its data.
"""

import contextlib
import gzip
import math
import os
import warnings
import zlib
from dataclasses import dataclass

from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from tiles.engine.errors import InvalidFitsError

BLOCK = 2880
CARD = 80
CHUNK = 1024 * 1024  # bytes copied at a time
GZIP_MAGIC = b"\x1f\x8b"
END_CARD = b"END" + b" " * 77


class TooLargeError(InvalidFitsError):
    """The file claims, or would decompress to, more than the limits allow."""


@dataclass(frozen=True)
class Limits:
    """What a FITS file may claim. Sizes in bytes; data before padding."""

    max_data_bytes: int = 32 * 1024**3  # all HDUs' data; also the image as float32
    max_decompressed_bytes: int = 4 * 1024**3  # a gzip'd file, once decompressed
    max_header_bytes: int = 8 * 1024**2  # one header (about 100,000 cards)
    max_hdus: int = 1000


@dataclass(frozen=True)
class HduSpan:
    """Where one HDU lies in the (decompressed) stream, in bytes from its start."""

    index: int
    header_start: int
    data_start: int
    data_bytes: int  # declared by the header, before padding

    @property
    def end(self):
        """End of the data, padded to whole blocks."""
        return self.data_start + -(-self.data_bytes // BLOCK) * BLOCK


def is_gzip(path):
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def size_text(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:,.0f} {unit}" if unit == "bytes" else f"{nbytes:,.1f} {unit}"
        nbytes /= 1024


def declared_bytes(header):
    """Bytes of data ``header`` declares, before padding:
    |BITPIX|/8 x GCOUNT x (PCOUNT + NAXIS1 x ... x NAXISn), NAXIS1 left out for random
    groups (``GROUPS = T``, where it is 0). ``InvalidFitsError`` if a value is not a
    count."""
    naxis = _count(header, "NAXIS", 0)
    if naxis == 0:
        return 0
    bitpix = header.get("BITPIX")
    if not isinstance(bitpix, int) or isinstance(bitpix, bool):
        raise InvalidFitsError(f"BITPIX = {bitpix!r} is not a FITS data type.")
    dims = [_count(header, f"NAXIS{n}", 0) for n in range(1, naxis + 1)]
    if header.get("GROUPS") is True and dims[0] == 0:
        dims = dims[1:]
    pcount, gcount = _count(header, "PCOUNT", 0), _count(header, "GCOUNT", 1)
    return abs(bitpix) // 8 * gcount * (pcount + math.prod(dims))


def _count(header, keyword, default):
    value = header.get(keyword, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidFitsError(f"{keyword} = {value!r} is not a count.")
    return value


def scan(stream, limits=Limits(), file_size=None, out=None, max_bytes=None):
    """The ``HduSpan`` of every HDU of the FITS ``stream``, from its headers.

    ``file_size``: the stream's size if known (a plain file): a header declaring more
    data than the file holds is ``truncated``. ``out``: a binary file to copy the
    stream into, HDU by HDU (headers, data, padding); without it, data are skipped with
    ``seek``. ``max_bytes``: what the stream may hold in all, headers included.
    Bytes after the last HDU that do not start an extension are ignored (not copied).
    """
    spans, position, total = [], 0, 0
    while True:
        index = len(spans)
        raw = _read_header(stream, index, limits)
        if raw is None:
            break
        if index >= limits.max_hdus:
            raise TooLargeError(f"more than {limits.max_hdus:,} HDUs: the limit.")
        header = _parse(raw, index)
        data_start = position + len(raw)
        span = HduSpan(index, position, data_start, declared_bytes(header))
        if file_size is not None and span.data_start + span.data_bytes > file_size:
            raise InvalidFitsError(
                f"truncated: HDU {index} declares data up to byte "
                f"{span.data_start + span.data_bytes:,}, but the file has {file_size:,} bytes."
            )
        total += span.data_bytes
        if total > limits.max_data_bytes:
            raise TooLargeError(
                f"HDU {index} brings the data the file declares to {size_text(total)}: "
                f"more than the limit of {size_text(limits.max_data_bytes)}."
            )
        if max_bytes is not None and span.end > max_bytes:
            raise TooLargeError(
                f"decompressed, it would hold {size_text(span.end)} "
                f"(HDU {index} declares {size_text(span.data_bytes)} of data): "
                f"more than the limit of {size_text(max_bytes)}."
            )
        if out is not None:
            out.write(raw)
            _copy_data(stream, out, span)
        else:
            stream.seek(span.end)
        spans.append(span)
        position = span.end
    if not spans:
        raise InvalidFitsError("not a FITS file (it does not start with a SIMPLE card).")
    return spans


def _read_header(stream, index, limits):
    """The raw header of HDU ``index`` (whole blocks, END included); None where the
    stream ends or holds no further extension."""
    blocks = []
    size = 0
    while True:
        block = stream.read(BLOCK)
        if not blocks:
            expected = b"SIMPLE  =" if index == 0 else b"XTENSION="
            if not block.startswith(expected):
                if index == 0:
                    raise InvalidFitsError(
                        "not a FITS file (it does not start with a SIMPLE card)."
                    )
                return None  # the end, or bytes after the last HDU (ignored, as astropy does)
        if len(block) < BLOCK:
            raise InvalidFitsError(f"truncated: the header of HDU {index} ends early.")
        blocks.append(block)
        size += BLOCK
        if any(block[i : i + CARD] == END_CARD for i in range(0, BLOCK, CARD)):
            return b"".join(blocks)
        if size >= limits.max_header_bytes:
            raise TooLargeError(
                f"the header of HDU {index} is longer than the limit of "
                f"{size_text(limits.max_header_bytes)}."
            )


def _parse(raw, index):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            return fits.Header.fromstring(raw.decode("ascii", "replace"))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidFitsError(f"unreadable header in HDU {index}: {exc}") from exc


def _copy_data(stream, out, span):
    left = span.data_bytes
    while left:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise InvalidFitsError(
                f"truncated: HDU {span.index} declares {span.data_bytes:,} bytes of data, "
                f"the file holds {span.data_bytes - left:,}."
            )
        out.write(chunk)
        left -= len(chunk)
    padding = span.end - span.data_start - span.data_bytes
    if padding:
        rest = stream.read(padding)
        out.write(rest + b"\0" * (padding - len(rest)))  # missing padding, forgiven


def check_claims(path, limits=Limits()):
    """``scan`` a FITS file (plain or gzip'd) without copying it; its ``HduSpan`` list."""
    if is_gzip(path):
        with _gzip_errors(), gzip.open(path, "rb") as stream:
            return scan(stream, limits, max_bytes=limits.max_decompressed_bytes)
    with open(path, "rb") as stream:
        return scan(stream, limits, file_size=os.path.getsize(path))


def decompress_fits(source, target, limits=Limits()):
    """Write the gzip'd FITS file ``source`` decompressed to ``target`` (an open binary
    file or a path), checking every header before its data; its ``HduSpan`` list.
    ``InvalidFitsError`` (``target`` then holds a partial copy: the caller removes it)."""
    with _gzip_errors(), gzip.open(source, "rb") as stream:
        if hasattr(target, "write"):
            return scan(stream, limits, out=target, max_bytes=limits.max_decompressed_bytes)
        with open(target, "wb") as out:
            return scan(stream, limits, out=out, max_bytes=limits.max_decompressed_bytes)


@contextlib.contextmanager
def _gzip_errors():
    """Broken gzip data as ``InvalidFitsError``; other failures (a full disk) as they are."""
    try:
        yield
    except EOFError as exc:  # the stream ends before its end marker: a cut copy
        raise InvalidFitsError(f"truncated: the gzip data end early ({exc}).") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InvalidFitsError(f"not a FITS file (broken gzip data: {exc}).") from exc
