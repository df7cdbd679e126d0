"""CSV and TSV tables with RA/Dec columns, in degrees or sexagesimal."""

import csv
import math
import re

from catalogs.importers import CatalogImportError

RA_NAMES = ("ra", "raj2000", "ra_icrs", "_raj2000", "alpha_j2000", "alphawin_j2000", "ra_deg",
            "radeg", "ra2000", "ra_j2000", "alpha", "right_ascension")  # fmt: skip
DEC_NAMES = ("dec", "decl", "dej2000", "decj2000", "de_icrs", "_dej2000", "delta_j2000",
             "deltawin_j2000", "dec_deg", "decdeg", "dec2000", "dec_j2000", "delta", "declination")  # fmt: skip
NAME_NAMES = ("name", "id", "source_id", "objid", "object", "number", "label")
# Degrees or hours, then minutes (and seconds): only the last part has a fraction.
_SEXAGESIMAL = re.compile(
    r"^\s*([+-])?\s*(\d+)[\s:hd°]+(?:(\d+)[\s:m']+(\d+(?:\.\d*)?)[s\"]?|(\d+(?:\.\d*)?)[m']?)\s*$",
    re.I,
)


def parse_angle(text, hours):
    """Degrees from "12.5", "12:30:00", "12h30m00s", "-05 06 07", "-5d06m07s". ``hours``:
    a sexagesimal angle is in hours unless written with a degree mark (d or °). Minutes
    and seconds of 60 are read (rounding 59.99 writes them), above 60 refused, as
    astropy's ``Angle`` reads them."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        match = _SEXAGESIMAL.match(value)
        if not match:
            raise ValueError(f"'{value[:40]}' is not an angle") from None
        sign, a, b, c, b_alone = match.groups()
        if b is None:
            b = b_alone
        minutes, seconds = float(b), float(c) if c else 0.0
        if minutes > 60.0 or seconds > 60.0:
            raise ValueError(
                f"'{value[:40]}' is not an angle: its minutes and seconds are 60 at most"
            ) from None
        number = float(a) + minutes / 60.0 + seconds / 3600.0
        if sign == "-":
            number = -number
        degrees = "d" in value.lower() or "°" in value
        return number * 15.0 if hours and not degrees else number
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite angle")
    return number


def _delimiter(line):
    for candidate in ("\t", ",", ";", "|"):
        if candidate in line:
            return candidate
    return None  # whitespace


def _rows(source, delimiter):
    """(line number, cells) of the table, header first, comments and blank lines skipped."""
    for number, line in source.lines():
        if not line.strip() or line.lstrip().startswith(("#", "//")):
            continue
        if delimiter is False:
            delimiter = _delimiter(line)
        if delimiter is None:
            yield number, line.split()
        else:
            yield number, next(csv.reader((line,), delimiter=delimiter, skipinitialspace=True))


def _column(header, given, names, what):
    lowered = [h.strip().lower() for h in header]
    if given:
        if given.strip().lower() not in lowered:
            raise CatalogImportError(f"no column '{given}' (columns: {', '.join(header)}).")
        return lowered.index(given.strip().lower())
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise CatalogImportError(
        f"no {what} column found (columns: {', '.join(header)}); name it (e.g. "
        f"'{names[0]}') or choose it explicitly."
    )


class ColumnType:
    """The one type (int, float, bool or str) that every value of a column fits, learnt
    one value at a time: the first of int, then finite float, then true/false, else str."""

    def __init__(self):
        self.int = self.float = self.finite = self.bool = True

    def see(self, value):
        if value == "":
            return
        self.bool = self.bool and value.lower() in ("true", "false")
        if self.int:
            try:
                int(value)
            except ValueError:
                self.int = False
        if self.float:
            try:
                self.finite = self.finite and math.isfinite(float(value))
            except ValueError:
                self.float = False

    def converter(self):
        if self.int:
            return int
        if self.float and self.finite:
            return float
        if self.bool:
            return lambda v: v.lower() == "true"
        return str


def parse(job, ra_column=None, dec_column=None, delimiter=None):
    """Features of a table, read twice: once to check every row and learn each column's
    type, once to build the features (so nothing is kept from the first pass)."""
    source = job.source
    job.next_pass()
    rows = _rows(source, delimiter if delimiter is not None else False)
    try:
        _number, header = next(rows)
    except StopIteration:
        raise CatalogImportError("the table is empty.") from None
    header = [h.strip() for h in header]
    ra_index = _column(header, ra_column, RA_NAMES, "RA")
    dec_index = _column(header, dec_column, DEC_NAMES, "Dec")
    if ra_index == dec_index:
        raise CatalogImportError(f"RA and Dec cannot both be column '{header[ra_index]}'.")
    others = [i for i in range(len(header)) if i not in (ra_index, dec_index)]
    types = {i: ColumnType() for i in others}
    for number, row in rows:
        _position(row, header, ra_index, dec_index, number)
        for i in others:
            types[i].see(row[i].strip())
    convert = {i: types[i].converter() for i in others}
    job.next_pass()
    rows = _rows(source, delimiter if delimiter is not None else False)
    next(rows)
    for number, row in rows:
        ra, dec = _position(row, header, ra_index, dec_index, number)
        properties = {}
        for i in others:
            value = row[i].strip()
            properties[header[i]] = None if value == "" else convert[i](value)
        yield {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
               "properties": {"shape": "point", **properties}}  # fmt: skip


def _position(row, header, ra_index, dec_index, number):
    """(RA, Dec) in degrees of one row, or ``CatalogImportError`` naming line and column."""
    if len(row) != len(header):
        raise CatalogImportError(f"{len(row)} values for {len(header)} columns.", line=number)
    ra_text, dec_text = row[ra_index], row[dec_index]
    sexagesimal = not _is_number(ra_text)
    try:
        ra = parse_angle(ra_text, hours=sexagesimal)
    except ValueError as exc:
        raise CatalogImportError(str(exc), line=number, column=header[ra_index]) from None
    try:
        dec = parse_angle(dec_text, hours=False)
    except ValueError as exc:
        raise CatalogImportError(str(exc), line=number, column=header[dec_index]) from None
    if not 0.0 <= ra < 360.0 and not (sexagesimal and ra == 360.0):
        raise CatalogImportError(f"RA {ra_text} is outside [0, 360) degrees (or [0, 24) hours).",
                                 line=number, column=header[ra_index])  # fmt: skip
    if not -90.0 <= dec <= 90.0:
        raise CatalogImportError(
            f"Dec {dec_text} is outside [-90, 90].", line=number, column=header[dec_index]
        )
    return ra % 360.0, dec


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
