"""Writing features out: GeoJSON, CSV and ds9 regions (sky in ICRS degrees, pixels in image).

Writers take an iterable of GeoJSON features (``to_ds9`` and ``to_csv`` a callable that
iterates them afresh: they read twice) and yield text pieces, so an export streams.

Nothing in a feature's properties can change the meaning of the file around it: in ds9,
a colour must be a colour, a label loses its control characters and is quoted with a
delimiter it does not contain, so no property adds a line, a region or a setting; in
CSV, a text cell that a spreadsheet would read as a formula (``= + - @``, tab, CR first)
gets a leading ``'`` (OWASP's rule) and line breaks become spaces, while numbers are
written bare so they stay numbers (a Dec of -12.5 is not a formula).
"""

import csv
import io
import json
import re

from catalogs.geometry import feature_center

# ds9 and CSS colour names are letters; else #rgb ... #rrggbbaa.
COLOUR = re.compile(r"[A-Za-z]{1,30}|#[0-9A-Fa-f]{3,8}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 500


def to_geojson(features):
    yield '{"type": "FeatureCollection", "features": ['
    for n, feature in enumerate(features):
        yield ("," if n else "") + json.dumps(feature)
    yield "]}"


def to_csv(features):
    """``features``: a callable returning an iterable of features (read twice)."""
    keys = {}
    for feature in features():
        for key in feature.get("properties") or {}:
            if key not in keys and key != "frame" and len(keys) < MAX_COLUMNS:
                keys[key] = None
    keys = list(keys)
    out = io.StringIO()
    header = csv.writer(out)
    header.writerow(["ra", "dec", *(csv_text(k) for k in keys)])
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for n, feature in enumerate(features()):
        lon, lat = feature_center(feature)
        properties = feature.get("properties") or {}
        writer.writerow(
            [round(lon, 8), round(lat, 8), *(csv_cell(properties.get(k)) for k in keys)]
        )
        if n % 1000 == 999:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_cell(value):
    """A number stays a number (written bare); anything else is text, made harmless."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | dict):
        value = json.dumps(value)
    return csv_text(str(value))


def csv_text(text):
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def to_ds9(features):
    """``features``: a callable returning an iterable of features (sky ones are written
    first, then image ones: two readings)."""
    yield "# Region file format: DS9 version 4.1\nglobal color=green width=1\n"
    for frame in ("sky", "image"):
        started = False
        for feature in features():
            in_image = (feature.get("properties") or {}).get("frame") == "image"
            if in_image != (frame == "image"):
                continue
            line = _region(feature)
            if line:
                if not started:
                    yield ("icrs" if frame == "sky" else "image") + "\n"
                    started = True
                yield line + "\n"


def ds9_text(value):
    """``{label}`` quoted with a delimiter the label does not hold (ds9 knows ``{}``,
    ``"..."``, ``'...'``), control characters removed; None if nothing remains."""
    text = _CONTROL.sub(" ", str(value)).strip()
    if not text:
        return None
    if "{" not in text and "}" not in text:
        return "{" + text + "}"
    for quote in ('"', "'"):
        if quote not in text:
            return quote + text + quote
    return "{" + text.replace("{", "(").replace("}", ")") + "}"


def _number(value, default=0.0):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number == number and abs(number) != float("inf") else default


def _region(feature):
    geometry, properties = feature["geometry"], feature.get("properties") or {}
    image = properties.get("frame") == "image"
    unit = "" if image else '"'

    def size(degrees):
        degrees = _number(degrees)
        return f"{degrees:.6g}" if image else f"{degrees * 3600.0:.6g}"

    def pos(point):
        return f"{_number(point[0]):.8f},{_number(point[1]):.8f}"

    shape = properties.get("shape", "point")
    kind = geometry["type"]
    if kind == "Polygon":
        body = "polygon(" + ",".join(pos(p) for p in geometry["coordinates"][0][:-1]) + ")"
    elif kind == "LineString":
        a, b = geometry["coordinates"][:2]
        body = f"line({pos(a)},{pos(b)})"
    elif kind == "Point":
        c = pos(geometry["coordinates"])
        if shape == "circle":
            body = f"circle({c},{size(properties.get('radius'))}{unit})"
        elif shape in ("ellipse", "box"):
            half = 2 if shape == "ellipse" else 1
            width = _number(properties.get("width")) / half
            height = _number(properties.get("height")) / half
            body = (f"{shape}({c},{size(width)}{unit},{size(height)}{unit},"
                    f"{_number(properties.get('angle')):.6g})")  # fmt: skip
        elif shape == "annulus":
            radii = properties.get("radii")
            inner, outer = radii[:2] if isinstance(radii, list) and len(radii) >= 2 else (0, 0)
            body = f"annulus({c},{size(inner)}{unit},{size(outer)}{unit})"
        elif shape == "text":
            body = f"text({c})"
        else:
            body = f"point({c})"
    else:
        return None
    extras = []
    colour = properties.get("color")
    if isinstance(colour, str) and COLOUR.fullmatch(colour):
        extras.append(f"color={colour}")
    label = properties.get("text") or properties.get("name")
    label = ds9_text(label) if label not in (None, "") else None
    if label:
        extras.append(f"text={label}")
    return body + (" # " + " ".join(extras) if extras else "")
