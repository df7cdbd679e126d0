"""Writing features out: GeoJSON, CSV (ICRS degrees, or pixels in image frame) and ds9
regions (each feature in the frame it came in, with its ds9 properties).

Writers take an iterable of GeoJSON features (``to_csv`` and ``to_ds9`` a callable that
iterates them afresh: CSV reads twice) and yield text pieces, so an export streams.

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
import math
import re

from catalogs.geometry import feature_center
from catalogs.importers import limit

# ds9 and CSS colour names are letters; else #rgb ... #rrggbbaa.
COLOUR = re.compile(r"[A-Za-z]{1,30}|#[0-9A-Fa-f]{3,12}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_geojson(features):
    yield '{"type": "FeatureCollection", "features": ['
    for n, feature in enumerate(features):
        yield ("," if n else "") + json.dumps(feature)
    yield "]}"


def to_csv(features):
    """``features``: a callable returning an iterable of features (read twice). The
    property columns are the first ``MAX_EXPORT_COLUMNS`` (setting) keys met."""
    max_columns = limit("MAX_EXPORT_COLUMNS")
    keys = {}
    for feature in features():
        for key in feature.get("properties") or {}:
            if key not in keys and key != "frame" and len(keys) < max_columns:
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
    """``features``: a callable returning an iterable of features, written in their order,
    each in the frame it came in (``coordsys``; ICRS for features of other sources), with
    a frame line wherever the frame changes and composites written as ds9 writes them."""
    yield f"# Region file format: DS9 version 4.1\n{DS9_GLOBAL}\n"
    frame, composite, pending = None, None, None
    for feature in features():
        properties = feature.get("properties") or {}
        line = _region(feature)
        if not line:
            continue
        system = _coordsys(properties)
        group = (
            properties.get("composite") if isinstance(properties.get("composite"), dict) else None
        )
        key = (group.get("line"), group.get("at")) if group else None
        if pending is not None:
            body, extras = pending
            joined = " ||" if key is not None and key == composite and system == frame else ""
            yield body + joined + extras + "\n"
        if system != frame:
            yield system + "\n"
            frame = system
        if key is not None and key != composite:
            at = _COMPOSITE_AT.fullmatch(str(group.get("at", "")))
            if at:
                yield f"# composite({at.group(0)}) || {_composite_settings(group)}\n"
            else:
                key = None
        composite = key
        pending = line
    if pending is not None:
        yield "".join(pending) + "\n"


# ds9's own defaults, as ds9 writes them: what a feature without a setting is read with.
DS9_GLOBAL = (
    'global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 '
    "highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1"
)
_COMPOSITE_AT = re.compile(r"[-+0-9.:dhms,]{1,200}")
_FONT = re.compile(r"[A-Za-z][A-Za-z0-9 .-]{0,80}")
_WORD = re.compile(r"[A-Za-z0-9.+-]{1,40}")
_NUMBERS = re.compile(r"[0-9. -]{1,40}")
SYSTEMS = ("icrs", "fk5", "fk4", "galactic", "ecliptic", "image", "physical")


def _coordsys(properties):
    system = properties.get("coordsys")
    if system in SYSTEMS and (system in ("image", "physical")) == (
        properties.get("frame") == "image"
    ):
        return system
    return "image" if properties.get("frame") == "image" else "icrs"


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


def _size_text(value, image):
    value = _number(value)
    return repr(value) if image else f'{value * 3600.0:.15g}"'


def _pos(point):
    return f"{_number(point[0])!r},{_number(point[1])!r}"  # the shortest exact decimals


def _shape_body(geometry, properties, image):
    """The shape and parameters of a ds9 line, or None."""
    system = _coordsys(properties)
    coordinates = geometry.get("coordinates")
    native = properties.get("native")
    scale, rotation = _physical_map(properties) if system == "physical" else (1.0, 0.0)
    if system not in ("icrs", "image") and _same_structure(native, coordinates):
        coordinates = native  # the coordinates as written, in their own frame

    def size(value):
        return _size_text(_number(value) / scale, image)

    def pair(values):
        values = values if isinstance(values, list) and len(values) >= 2 else [0, 0]
        return _number(values[0]), _number(values[1])

    shape, kind = properties.get("shape", "point"), geometry.get("type")
    angle = repr(
        _number(properties.get("angle")) - rotation
        if rotation
        else _number(properties.get("angle"))
    )
    if kind == "Polygon":
        return "polygon(" + ",".join(_pos(p) for p in coordinates[0][:-1]) + ")"
    if kind == "LineString":
        a, b = coordinates[:2]
        return f"line({_pos(a)},{_pos(b)})"
    if kind != "Point":
        return None
    c = _pos(coordinates)
    if shape == "circle":
        return f"circle({c},{size(properties.get('radius'))})"
    if shape == "ellipse":
        w, h = pair([properties.get("width"), properties.get("height")])
        return f"ellipse({c},{size(w / 2)},{size(h / 2)},{angle})"
    if shape == "box":
        w, h = pair([properties.get("width"), properties.get("height")])
        return f"box({c},{size(w)},{size(h)},{angle})"
    if shape == "annulus":
        inner, outer = pair(properties.get("radii"))
        return f"annulus({c},{size(inner)},{size(outer)})"
    if shape in ("ellipse_annulus", "box_annulus"):
        (iw, ih), (ow, oh) = pair(properties.get("inner")), pair(properties.get("outer"))
        half = 2 if shape == "ellipse_annulus" else 1
        name = "ellipse" if shape == "ellipse_annulus" else "box"
        sizes = ",".join(size(v / half) for v in (iw, ih, ow, oh))
        return f"{name}({c},{sizes},{angle})"
    if shape == "text":
        return f"text({c})"
    return f"point({c})"


def _composite_settings(group):
    """A composite's own settings: global or not, its colour and width when known."""
    settings = [f"composite={0 if group.get('global') is False else 1}"]
    colour, width = group.get("color"), group.get("linewidth")
    if isinstance(colour, str) and COLOUR.fullmatch(colour):
        settings.append(f"color={colour}")
    if isinstance(width, int | float) and not isinstance(width, bool) and 0 <= width <= 100:
        settings.append(f"width={width:g}")
    return " ".join(settings)


def _physical_map(properties):
    """(scale, rotation in degrees) of the physical -> image map a physical region was
    read with (``ds9.PhysicalMap``): what its sizes and angle go back through."""
    described = properties.get("physical")
    try:
        (a, b), (c, d) = described["ltm"]
        a, b, c, d = (float(v) for v in (a, b, c, d))
    except (KeyError, TypeError, ValueError):
        return 1.0, 0.0
    scale = math.sqrt(abs(a * d - b * c))
    return (
        (scale, math.degrees(math.atan2(c, a)))
        if scale > 0 and math.isfinite(scale)
        else (1.0, 0.0)
    )


def _same_structure(native, coordinates):
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], int | float):
        return (isinstance(native, list) and len(native) == len(coordinates)
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in native))  # fmt: skip
    return (isinstance(native, list) and isinstance(coordinates, list)
            and len(native) == len(coordinates)
            and all(_same_structure(n, c) for n, c in zip(native, coordinates, strict=True)))  # fmt: skip


def _settings(properties):
    """The ``key=value`` settings of a line; text-like values (text, font, tags) last,
    each quoted so that it cannot end its setting."""
    extras = []
    colour = properties.get("color")
    if isinstance(colour, str) and COLOUR.fullmatch(colour):
        extras.append(f"color={colour}")
    width = properties.get("linewidth")
    if isinstance(width, int | float) and not isinstance(width, bool) and 0 <= width <= 100:
        extras.append(f"width={width:g}")
    if properties.get("dash") is True:
        extras.append("dash=1")
        dashlist = properties.get("dashlist")
        if isinstance(dashlist, str) and _NUMBERS.fullmatch(dashlist):
            extras.append(f"dashlist={dashlist.strip()}")
    if properties.get("shape") == "point":
        symbol = properties.get("point")
        if isinstance(symbol, str) and _WORD.fullmatch(symbol):
            size = properties.get("point_size")
            extras.append(f"point={symbol}" + (f" {_number(size):g}" if size is not None else ""))
    arrows = properties.get("line")
    if isinstance(arrows, str) and _NUMBERS.fullmatch(arrows):
        extras.append(f"line={arrows.strip()}")
    if properties.get("fill") is True:
        extras.append("fill=1")
    if properties.get("textangle") is not None:
        extras.append(f"textangle={_number(properties['textangle']):.12g}")
    if properties.get("textrotate") is False:
        extras.append("textrotate=0")
    for key, value in (
        (properties.get("ds9") or {}).items() if isinstance(properties.get("ds9"), dict) else ()
    ):
        if re.fullmatch(r"[a-z]{1,20}", str(key)) and _WORD.fullmatch(str(value)):
            extras.append(f"{key}={value}")
    if properties.get("source") is False:
        extras.append("background")
    label = properties.get("text") or properties.get("name")
    label = ds9_text(label) if label not in (None, "") else None
    if label:
        extras.append(f"text={label}")
    font = properties.get("font")
    if isinstance(font, str) and _FONT.fullmatch(font):
        extras.append(f'font="{font}"')
    tags = properties.get("tag")
    for tag in tags if isinstance(tags, list) else []:
        # ds9 splits a line at a ';' anywhere but in a text={...}: none in a tag.
        tag = ds9_text(str(tag).replace(";", ","))
        if tag:
            extras.append(f"tag={tag}")
    return extras


def _region(feature):
    """(shape text, " # settings") of one feature, or None when it has no ds9 shape."""
    geometry, properties = feature.get("geometry") or {}, feature.get("properties") or {}
    image = properties.get("frame") == "image"
    body = _shape_body(geometry, properties, image)
    if body is None:
        return None
    if properties.get("include") is False:
        body = "-" + body
    extras = _settings(properties)
    return body, (" # " + " ".join(extras) if extras else "")
