"""CSV and TSV tables with RA/Dec columns, in degrees or sexagesimal."""

import csv
import math
import re

from catalogs.importers import CatalogImportError

RA_NAMES = ("ra", "raj2000", "ra_icrs", "_raj2000", "alpha_j2000", "alphawin_j2000", "ra_deg",
            "radeg", "ra2000", "ra_j2000", "alpha", "right_ascension")  # fmt: skip
DEC_NAMES = ("dec", "decl", "dej2000", "decj2000", "de_icrs", "_dej2000", "delta_j2000",
             "deltawin_j2000", "dec_deg", "decdeg", "dedeg", "dec2000", "dec_j2000", "delta", "declination")  # fmt: skip
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


# A column as SExtractor (ASCII_HEAD) declares it: "#   2 ALPHA_J2000   comment   [deg]".
_NUMBERED = re.compile(r"^\s*#\s*(\d+)\s+([A-Za-z_][\w.-]*)")
# What a table writes for a value it does not have: astropy "--", IEEE NaN, SQL's NULL.
MISSING = {"", "--", "nan", "+nan", "-nan", "null", "n/a"}
# Units of a position column, as VizieR's units row and others write them.
POSITION_UNITS = {"deg", "degree", "degrees", "d", "h:m:s", "d:m:s", "hms", "dms", "h",
                  "hourangle", "hour", "hours", "rad", "radian", "radians"}  # fmt: skip


def _rows(source, delimiter):
    """(line number, cells) of the table, header first, comments and blank lines skipped,
    and lines of dashes (under a header, as VizieR writes them) too. A header that
    SExtractor writes, one numbered comment line per column before the data, is the
    header when the first row names no RA or Dec column itself; so is the last comment
    line before the data (``# ra dec mag``) when it has as many names, RA and Dec among
    them."""
    numbered, header, last_comment = [], None, None
    for number, line in source.lines():
        if not line.strip() or line.lstrip().startswith(("#", "//")):
            match = _NUMBERED.match(line)
            if match and header is None:
                numbered.append((int(match.group(1)), match.group(2)))
            if line.strip() and header is None:
                last_comment = line.lstrip().lstrip("#/")
            continue
        if delimiter is False:
            delimiter = _delimiter(line)
        cells = _cells(line, delimiter)
        if header is None:
            header = _numbered_header(numbered, cells) or _commented_header(
                last_comment, cells, delimiter
            )
            if header is not None:
                yield number, header
        elif cells[0].lstrip()[:2] == "--" and all(set(c.strip()) == {"-"} for c in cells):
            continue
        header = header or cells
        yield number, cells


def _cells(line, delimiter):
    if delimiter is None:
        return line.split()
    return next(csv.reader((line,), delimiter=delimiter, skipinitialspace=True))


def _names_a_position(cells):
    names = {cell.strip().lower() for cell in cells}
    return bool(names & set(RA_NAMES)) and bool(names & set(DEC_NAMES))


def _commented_header(comment, first_row, delimiter):
    """The names of a header written as the last comment before the data, or None."""
    if comment is None or _names_a_position(first_row):
        return None
    names = [cell.strip() for cell in _cells(comment, delimiter)]
    return names if len(names) == len(first_row) and _names_a_position(names) else None


def _numbered_header(numbered, first_row):
    """The column names of a SExtractor header (a vector column, declared once, gives
    ``NAME``, ``NAME_2``...), or None when there is none or the first row is a header."""
    numbers = [n for n, _name in numbered]
    if len(numbered) < 2 or numbers[0] != 1 or numbers != sorted(set(numbers)):
        return None
    names = {cell.strip().lower() for cell in first_row}
    if names & (set(RA_NAMES) | set(DEC_NAMES)) or numbers[-1] > len(first_row):
        return None
    declared, header = dict(numbered), []
    for column in range(1, len(first_row) + 1):
        if column in declared:
            name, start = declared[column], column
        header.append(name if column == start else f"{name}_{column - start + 1}")
    return header


def _is_units_row(row, ra_index, dec_index):
    """Whether the row under the header gives units (``deg``, ``"h:m:s"``, ``[deg]``)."""

    def unit(cell):
        return cell.strip().strip("[]()\"'").strip().lower()

    return unit(row[ra_index]) in POSITION_UNITS and unit(row[dec_index]) in POSITION_UNITS


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
    type, once to build the features (so nothing is kept from the first pass). A row
    without a position (a missing RA or Dec: blank, ``NaN``, ``--``) is left out and
    reported; a missing value of another column is None."""
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
    for number, row in _data(rows, header, ra_index, dec_index):
        if _position(row, header, ra_index, dec_index, number) is None:
            continue
        for i in others:
            types[i].see(_value(row[i]))
    convert = {i: types[i].converter() for i in others}
    job.next_pass()
    rows = _rows(source, delimiter if delimiter is not None else False)
    next(rows)
    left_out = 0
    for number, row in _data(rows, header, ra_index, dec_index):
        position = _position(row, header, ra_index, dec_index, number)
        if position is None:
            left_out += 1
            if left_out <= NOTED:
                job.warnings.append(f"line {number}: no position (RA or Dec missing), left out.")
            continue
        properties = {}
        for i in others:
            value = _value(row[i])
            properties[header[i]] = None if value == "" else convert[i](value)
        yield {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(position)},
               "properties": {"shape": "point", **properties}}  # fmt: skip
    if left_out > NOTED:
        job.warnings.append(f"{left_out - NOTED:,} more rows without a position, left out.")


NOTED = 1000  # rows without a position reported one by one, at most


def _data(rows, header, ra_index, dec_index):
    """The data rows: the header's units row, when there is one, left out."""
    for at, (number, row) in enumerate(rows):
        if not at and len(row) == len(header) and _is_units_row(row, ra_index, dec_index):
            continue
        yield number, row


def _value(cell):
    """A cell's text, "" for a missing value."""
    value = cell.strip()
    return "" if len(value) <= 4 and value.lower() in MISSING else value  # MISSING: 4 at most


def _position(row, header, ra_index, dec_index, number):
    """(RA, Dec) in degrees of one row, None when either is missing, or
    ``CatalogImportError`` naming line and column."""
    if len(row) != len(header):
        raise CatalogImportError(f"{len(row)} values for {len(header)} columns.", line=number)
    ra_text, dec_text = row[ra_index], row[dec_index]
    if _value(ra_text) == "" or _value(dec_text) == "":
        return None
    sexagesimal = not _is_number(ra_text)
    try:
        ra = parse_angle(ra_text, hours=sexagesimal)
    except ValueError as exc:
        raise CatalogImportError(str(exc), line=number, column=header[ra_index]) from None
    try:
        if "h" in dec_text.lower():
            raise ValueError(f"Dec '{dec_text.strip()[:40]}' is written in hours (h): a declination "
                             "is in degrees (d, °, or none)")  # fmt: skip
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
