"""GeoJSON as is, validated: coordinates [RA, Dec] in degrees, closed polygon rings."""

import json
import math
import re

import ijson

from catalogs.importers import CatalogImportError, limit
from catalogs.uploads import json_too_deep

# A colour name (ds9's and CSS's are letters) or a hex colour: nothing a reader could parse.
COLOUR = re.compile(r"[A-Za-z]{1,30}|#[0-9A-Fa-f]{3,12}")  # X11: #rgb to #rrrrggggbbbb
# A NUL character as json.dumps writes it (an escaped backslash before "u0000" is text).
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")

MAX_DEPTH = 64  # levels of JSON nesting, as the API allows in a body

DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def parse(job, max_feature_bytes=None):
    """Features of a GeoJSON document, a FeatureCollection read one feature at a time."""
    max_feature_bytes = limit("MAX_FEATURE_BYTES", max_feature_bytes)
    job.next_pass()
    # The JSON reader keeps the path of every open level: a small file of deeply nested
    # arrays would take gigabytes. Uploads are refused for it; a file stored before, or
    # given to the command, is refused here.
    stream = job.source.open_binary()
    try:
        if json_too_deep(stream, MAX_DEPTH):
            raise CatalogImportError(f"JSON nested more than {MAX_DEPTH} levels deep.")
    finally:
        stream.close()
    kind = _top_level_type(job.source)
    if kind == "FeatureCollection":
        stream = job.source.open_binary()
        try:
            for n, item in enumerate(ijson.items(stream, "features.item", use_float=True)):
                yield validate_feature(item, n, max_feature_bytes)
        except ijson.JSONError as exc:
            raise CatalogImportError(f"not valid JSON: {exc}") from None
        return
    if job.source.size > max_feature_bytes:
        raise CatalogImportError(
            f"a single {kind} of {job.source.size:,} bytes, the limit is {max_feature_bytes:,}."
        )
    document = json.loads(job.source.text_stream().read())
    item = document if kind == "Feature" else {"type": "Feature", "geometry": document}
    yield validate_feature(item, 0, max_feature_bytes)


def _top_level_type(source):
    """The ``type`` of the document's top-level object, read without loading it."""
    stream = source.open_binary()
    try:
        events = ijson.parse(stream, use_float=True)
        prefix, event, _value = next(events)
        if event != "start_map":
            raise CatalogImportError("a GeoJSON document must be an object.")
        for prefix, event, value in events:
            if prefix == "type" and event == "string":
                if value == "FeatureCollection" or value == "Feature" or value in DEPTH:
                    return value
                raise CatalogImportError(f"unknown GeoJSON type {value!r}.")
    except StopIteration:
        pass
    except ijson.JSONError as exc:
        raise CatalogImportError(f"not valid JSON: {exc}") from None
    raise CatalogImportError("unknown GeoJSON type None.")


def validate_feature(item, index=0, max_bytes=None):
    """A clean copy of one GeoJSON feature; ``CatalogImportError`` naming the feature.
    ``max_bytes``: its JSON text's limit (the ``MAX_FEATURE_BYTES`` setting if not given)."""
    max_bytes = limit("MAX_FEATURE_BYTES", max_bytes)
    where = f"feature {index}"
    text = json.dumps(item, default=str)
    if len(text) > max_bytes:
        raise CatalogImportError(f"{where}: larger than the limit of {max_bytes:,} bytes.")
    if _NUL.search(text):  # no database stores it in a JSON text
        raise CatalogImportError(f"{where}: a NUL character in a value.")
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise CatalogImportError(f"{where}: not a GeoJSON Feature.")
    geometry = item.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in DEPTH:
        raise CatalogImportError(f"{where}: a geometry of type {', '.join(DEPTH)} is required.")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise CatalogImportError(f"{where}: 'properties' must be an object.")
    colour = properties.get("color")
    if colour is not None and not (isinstance(colour, str) and COLOUR.fullmatch(colour)):
        raise CatalogImportError(f"{where}: 'color' must be a colour name or #rrggbb.")
    image_frame = properties.get("frame") == "image"
    coordinates = _check(
        geometry["type"], geometry.get("coordinates"), DEPTH[geometry["type"]], where, image_frame
    )
    feature = {"type": "Feature", "geometry": {"type": geometry["type"], "coordinates": coordinates},
               "properties": properties}  # fmt: skip
    if "id" in item:
        feature["id"] = item["id"]
    return feature


def _check(kind, value, depth, where, image_frame):
    if depth == 0:
        if not (isinstance(value, list) and len(value) >= 2 and all(_finite(v) for v in value[:2])):
            raise CatalogImportError(f"{where}: a position must be [longitude, latitude] numbers.")
        lon, lat = float(value[0]), float(value[1])
        if image_frame:
            return [lon, lat]
        if not -90.0 <= lat <= 90.0 or not -360.0 <= lon <= 720.0:
            raise CatalogImportError(f"{where}: [{lon}, {lat}] is outside the sky.")
        return [lon % 360.0, lat]
    if not isinstance(value, list) or not value:
        raise CatalogImportError(f"{where}: empty coordinates.")
    result = [_check(kind, item, depth - 1, where, image_frame) for item in value]
    ring = kind in ("Polygon", "MultiPolygon") and depth == 1
    if ring and (len(result) < 4 or result[0] != result[-1]):
        raise CatalogImportError(
            f"{where}: a polygon ring needs 4 or more positions, first = last."
        )
    return result


def _finite(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
