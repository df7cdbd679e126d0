"""Turning user files into GeoJSON features: ds9 regions, CSV/TSV tables, GeoJSON.

Framework-free. All or nothing: an importer returns every feature of a file, or raises
``CatalogImportError`` naming the line (and column) at fault; nothing partial.

Sky features carry [RA, Dec] in ICRS degrees as GeoJSON [longitude, latitude], RA in
[0, 360). Features drawn in pixel coordinates of an image (ds9 ``image``/``physical``)
carry FITS 1-based pixels and ``properties.frame = "image"``. Shapes GeoJSON has no type
for (circle, ellipse, box, annulus, text, point markers) are Points with a ``shape``
property and their sizes in degrees (sky) or pixels (image).
"""

from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 200 * 1024 * 1024
MAX_FEATURES = 1_000_000
FORMATS = ("ds9", "csv", "tsv", "geojson")


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


def read_text(source, max_bytes=MAX_BYTES):
    """The text of a path, bytes or str; the size is checked before anything is read."""
    if isinstance(source, str | Path) and not (isinstance(source, str) and "\n" in source):
        path = Path(source)
        size = path.stat().st_size
        if size > max_bytes:
            raise CatalogImportError(f"file too large: {size:,} bytes, the limit is {max_bytes:,}.")
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.encode("utf-8")
    if len(data) > max_bytes:
        raise CatalogImportError(
            f"file too large: {len(data):,} bytes, the limit is {max_bytes:,}."
        )
    if b"\x00" in data[:8192]:
        raise CatalogImportError("this is a binary file, not a text catalog.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_format(filename, text):
    name = (filename or "").lower()
    for suffix, fmt in ((".reg", "ds9"), (".geojson", "geojson"), (".json", "geojson"),
                        (".tsv", "tsv"), (".csv", "csv"), (".txt", "csv")):  # fmt: skip
        if name.endswith(suffix):
            return fmt
    head = text.lstrip()[:2000]
    if head.startswith("{"):
        return "geojson"
    if "Region file format" in head or any(
        word in head for word in ("fk5", "icrs", "galactic", "circle(", "global ")
    ):
        return "ds9"
    return "csv"


def import_catalog(source, fmt=None, filename=None, ra_column=None, dec_column=None,
                   max_features=MAX_FEATURES, max_bytes=MAX_BYTES):  # fmt: skip
    """Features of a ds9, CSV/TSV or GeoJSON file (path, bytes or text)."""
    from catalogs.importers import ds9, geojson, table

    text = read_text(source, max_bytes)
    if filename is None and isinstance(source, str | Path) and "\n" not in str(source):
        filename = Path(source).name
    fmt = fmt or sniff_format(filename, text)
    if fmt == "ds9":
        result = ds9.parse(text)
    elif fmt in ("csv", "tsv"):
        result = table.parse(text, ra_column=ra_column, dec_column=dec_column,
                             delimiter="\t" if fmt == "tsv" else None)  # fmt: skip
    elif fmt == "geojson":
        result = geojson.parse(text)
    else:
        raise CatalogImportError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)}).")
    if not result.features:
        raise CatalogImportError("no feature found in the file.")
    if len(result.features) > max_features:
        raise CatalogImportError(
            f"{len(result.features):,} features, more than the limit of {max_features:,}."
        )
    result.format = fmt
    return result
