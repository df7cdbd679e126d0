"""Turning user files into GeoJSON features: ds9 regions, CSV/TSV tables, GeoJSON.

Framework-free but for the limits (file size, features per catalog, one feature's or
line's size, CSV export columns): settings of portal/settings.py, read through
``django.conf.settings`` when a call does not give them (``limit``). Importers stream: ``open_catalog`` reads a file line by line (or JSON
item by item) and yields its features in batches, so memory stays bounded whatever the
file's size; a broken line raises ``CatalogImportError`` naming the line (and column)
at fault, possibly after earlier batches were yielded — whoever stores the batches
undoes them (catalogs/tasks.py). ``import_catalog`` gathers every batch, for small
inputs and tests: all or nothing.

Sky features carry [RA, Dec] in ICRS degrees as GeoJSON [longitude, latitude], RA in
[0, 360). Features drawn in pixel coordinates of an image (ds9 ``image``/``physical``)
carry FITS 1-based pixels and ``properties.frame = "image"``. Shapes GeoJSON has no type
for (circle, ellipse, box, annulus, text, point markers) are Points with a ``shape``
property and their sizes in degrees (sky) or pixels (image).
"""

import codecs
import io
from dataclasses import dataclass, field
from pathlib import Path

BATCH = 2000
FORMATS = ("ds9", "csv", "tsv", "geojson")


def limit(name, given=None):
    """``given``, else the setting ``name`` as it is now (tests and deployments lower it):
    ``MAX_CATALOG_BYTES``, ``MAX_CATALOG_FEATURES``, ``MAX_FEATURE_BYTES`` (a feature, a
    line of a text catalog), ``MAX_EXPORT_COLUMNS``."""
    if given is not None:
        return given
    from django.conf import settings

    return getattr(settings, name)


class CatalogImportError(ValueError):
    """A file that cannot be imported; ``line``/``column`` say where, when known."""

    def __init__(self, message, line=None, column=None):
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column '{column}'" if column else "") + ": "
        super().__init__(where + message)
        self.line, self.column = line, column


@dataclass
class ImportResult:
    features: list
    warnings: list = field(default_factory=list)
    format: str = ""


class TextSource:
    """A text file read as many times as a parser needs, one line at a time.

    ``source`` is a path or bytes. The size is checked before anything is read; the
    encoding (UTF-8, with or without BOM, else Latin-1) is decided by one streaming pass.
    ``position`` is how far the current pass has read, in bytes (for progress).
    """

    def __init__(self, source, max_bytes=None, max_line=None):
        max_bytes = limit("MAX_CATALOG_BYTES", max_bytes)
        self.source = source
        self.max_line = limit("MAX_FEATURE_BYTES", max_line)
        if isinstance(source, bytes):
            self.size = len(source)
        else:
            self.source = Path(source)
            self.size = self.source.stat().st_size
        if self.size > max_bytes:
            raise CatalogImportError(
                f"file too large: {self.size:,} bytes, the limit is {max_bytes:,}."
            )
        self._binary = None
        self.encoding = self._encoding()

    def open_binary(self):
        if self._binary is not None:
            self._binary.close()
        self._binary = (
            io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")  # noqa: SIM115
        )
        return self._binary

    @property
    def position(self):
        binary = self._binary
        return binary.tell() if binary is not None and not binary.closed else 0

    def close(self):
        if self._binary is not None:
            self._binary.close()

    def _encoding(self):
        binary = self.open_binary()
        head = binary.read(8192)
        if b"\x00" in head:
            raise CatalogImportError("this is a binary file, not a text catalog.")
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = binary.read(1 << 20)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
        return "utf-8-sig"

    def text_stream(self):
        return io.TextIOWrapper(self.open_binary(), encoding=self.encoding, newline=None)

    def head(self, chars=2000):
        return self.text_stream().read(chars)

    def lines(self):
        """(line number, text without its end of line), from the start of the file."""
        for number, line in enumerate(self.text_stream(), 1):
            if len(line) > self.max_line:
                raise CatalogImportError(
                    f"a line of {len(line):,} characters, the limit is {self.max_line:,}.",
                    line=number,
                )
            if "\x00" in line:
                raise CatalogImportError(
                    "a NUL character: this is not a text catalog.", line=number
                )
            yield number, line.rstrip("\r\n")


def sniff_format(filename, head):
    name = (filename or "").lower()
    for suffix, fmt in ((".reg", "ds9"), (".geojson", "geojson"), (".json", "geojson"),
                        (".tsv", "tsv"), (".csv", "csv"), (".txt", "csv")):  # fmt: skip
        if name.endswith(suffix):
            return fmt
    head = head.lstrip()[:2000]
    if head.startswith("{"):
        return "geojson"
    if "Region file format" in head or any(
        word in head for word in ("fk5", "icrs", "galactic", "circle(", "global ")
    ):
        return "ds9"
    return "csv"


class CatalogImport:
    """One import under way: ``format``, ``warnings`` (filled while reading) and
    ``batches()``, the features in lists of at most ``BATCH``. ``done`` in [0, 1] is
    the fraction of the reading done (1 once every feature has been read)."""

    def __init__(self, source, fmt, parser, passes=1):
        self.source, self.format, self.warnings = source, fmt, []
        self._parser, self._passes, self._pass = parser, passes, 0
        self.count = 0
        self._read = False

    def next_pass(self):
        """Parsers call this at the start of each pass over the file."""
        self._pass += 1

    @property
    def done(self):
        if self._read or not self.source.size:
            return 1.0
        within = min(self.source.position / self.source.size, 1.0)
        return min((max(self._pass - 1, 0) + within) / self._passes, 1.0)

    def batches(self, max_features=None):
        max_features = limit("MAX_CATALOG_FEATURES", max_features)
        batch = []
        try:
            for feature in self._parser(self):
                self.count += 1
                if self.count > max_features:
                    raise CatalogImportError(
                        f"more than the limit of {max_features:,} features in one catalog."
                    )
                batch.append(feature)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            self._read = True
            if batch:
                yield batch
            if not self.count:
                # Say why when every line was refused: the first refusals, by line.
                why = "; ".join(self.warnings[:3])
                raise CatalogImportError(
                    f"no feature found in the file{': ' + why if why else '.'}"
                )
        finally:
            self.source.close()


def open_catalog(source, fmt=None, filename=None, ra_column=None, dec_column=None,
                 max_bytes=None, max_feature_bytes=None, physical="image"):  # fmt: skip
    """A ``CatalogImport`` of a ds9, CSV/TSV or GeoJSON file (path or bytes).

    ``physical``: where ds9 ``physical`` coordinates go (``ds9.parse``): the header of
    the one linked image (its LTM/LTV), None for no such image, "image" (image pixels).
    The limits not given are the settings' (``limit``)."""
    from catalogs.importers import ds9, geojson, table

    max_feature_bytes = limit("MAX_FEATURE_BYTES", max_feature_bytes)

    if isinstance(source, str):
        source = Path(source)
    if filename is None and isinstance(source, Path):
        filename = source.name
    text = TextSource(source, max_bytes, max_feature_bytes)
    fmt = fmt or sniff_format(filename, text.head())
    if fmt == "ds9":
        return CatalogImport(text, fmt, lambda job: ds9.parse(job, physical))
    if fmt in ("csv", "tsv"):
        delimiter = "\t" if fmt == "tsv" else None

        def parse(job):
            return table.parse(job, ra_column=ra_column, dec_column=dec_column, delimiter=delimiter)

        return CatalogImport(text, fmt, parse, passes=2)
    if fmt == "geojson":
        return CatalogImport(text, fmt, lambda job: geojson.parse(job, max_feature_bytes))
    text.close()
    raise CatalogImportError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)}).")


def import_catalog(source, fmt=None, filename=None, ra_column=None, dec_column=None,
                   max_features=None, max_bytes=None, physical="image"):  # fmt: skip
    """Every feature of a ds9, CSV/TSV or GeoJSON file (path, bytes or text), in memory."""
    if isinstance(source, str) and "\n" in source:
        source = source.encode("utf-8")
    job = open_catalog(source, fmt, filename, ra_column, dec_column, max_bytes, physical=physical)
    features = [feature for batch in job.batches(max_features) for feature in batch]
    return ImportResult(features, warnings=job.warnings, format=job.format)
