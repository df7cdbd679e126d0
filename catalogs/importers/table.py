"""CSV and TSV tables with RA/Dec columns, in degrees or sexagesimal."""

import csv
import io
import math
import re

from catalogs.importers import CatalogImportError, ImportResult

RA_NAMES = ("ra", "raj2000", "ra_icrs", "_raj2000", "alpha_j2000", "alphawin_j2000", "ra_deg",
            "radeg", "ra2000", "ra_j2000", "alpha", "right_ascension")  # fmt: skip
DEC_NAMES = ("dec", "decl", "dej2000", "decj2000", "de_icrs", "_dej2000", "delta_j2000",
             "deltawin_j2000", "dec_deg", "decdeg", "dec2000", "dec_j2000", "delta", "declination")  # fmt: skip
NAME_NAMES = ("name", "id", "source_id", "objid", "object", "number", "label")
_SEXAGESIMAL = re.compile(
    r"^\s*([+-])?\s*(\d+(?:\.\d*)?)[\s:hd°]+(\d+(?:\.\d*)?)(?:[\s:m']+(\d+(?:\.\d*)?)[s\"]?)?\s*$",
    re.I,
)


def parse_angle(text, hours):
    """Degrees from "12.5", "12:30:00", "12h30m00s", "-05 06 07", "-5d06m07s"."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        match = _SEXAGESIMAL.match(value)
        if not match:
            raise ValueError(f"'{value[:40]}' is not an angle") from None
        sign, a, b, c = match.groups()
        number = float(a) + float(b) / 60.0 + (float(c) / 3600.0 if c else 0.0)
        if sign == "-":
            number = -number
        return number * 15.0 if hours else number
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite angle")
    return number


def _delimiter(line):
    for candidate in ("\t", ",", ";", "|"):
        if candidate in line:
            return candidate
    return None  # whitespace


def _rows(text, delimiter):
    """(line number, cells) of the data, comments and blank lines skipped."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith(("#", "//"))]  # fmt: skip
    if not lines:
        raise CatalogImportError("the table is empty.")
    delimiter = delimiter if delimiter is not None else _delimiter(lines[0][1])
    for number, line in lines:
        if delimiter is None:
            yield number, line.split()
        else:
            yield (
                number,
                next(csv.reader(io.StringIO(line), delimiter=delimiter, skipinitialspace=True)),
            )


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


def _typed(values):
    """Values of one column converted to one inferred type (int, float, bool or str)."""
    present = [v for v in values if v != ""]
    for convert in (int, float):
        try:
            converted = [convert(v) for v in present]
        except ValueError:
            continue
        if convert is float and not all(math.isfinite(v) for v in converted):
            break
        it = iter(converted)
        return [None if v == "" else next(it) for v in values]
    if present and all(v.lower() in ("true", "false") for v in present):
        return [None if v == "" else v.lower() == "true" for v in values]
    return [None if v == "" else v for v in values]


def parse(text, ra_column=None, dec_column=None, delimiter=None):
    rows = _rows(text, delimiter)
    _number, header = next(rows)
    header = [h.strip() for h in header]
    ra_index = _column(header, ra_column, RA_NAMES, "RA")
    dec_index = _column(header, dec_column, DEC_NAMES, "Dec")
    positions, cells = [], []
    for number, row in rows:
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
        positions.append((ra % 360.0, dec))
        cells.append(row)
    others = [i for i in range(len(header)) if i not in (ra_index, dec_index)]
    columns = {i: _typed([row[i].strip() for row in cells]) for i in others}
    features = []
    for k, (ra, dec) in enumerate(positions):
        properties = {header[i]: columns[i][k] for i in others}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
                         "properties": {"shape": "point", **properties}})  # fmt: skip
    return ImportResult(features)


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False
