"""GeoJSON as is, validated: coordinates [RA, Dec] in degrees, closed polygon rings."""

import json
import math

from catalogs.importers import CatalogImportError, ImportResult

DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def parse(text):
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogImportError(f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(document, dict):
        raise CatalogImportError("a GeoJSON document must be an object.")
    kind = document.get("type")
    if kind == "FeatureCollection":
        items = document.get("features")
        if not isinstance(items, list):
            raise CatalogImportError("a FeatureCollection needs a 'features' list.")
    elif kind == "Feature":
        items = [document]
    elif kind in DEPTH:
        items = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise CatalogImportError(f"unknown GeoJSON type {kind!r}.")
    return ImportResult([validate_feature(item, n) for n, item in enumerate(items)])


def validate_feature(item, index=0):
    """A clean copy of one GeoJSON feature; ``CatalogImportError`` naming the feature."""
    where = f"feature {index}"
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise CatalogImportError(f"{where}: not a GeoJSON Feature.")
    geometry = item.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in DEPTH:
        raise CatalogImportError(f"{where}: a geometry of type {', '.join(DEPTH)} is required.")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise CatalogImportError(f"{where}: 'properties' must be an object.")
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
