"""Writing features out: GeoJSON, CSV and ds9 regions (sky in ICRS degrees, pixels in image)."""

import csv
import io
import json

from catalogs.geometry import feature_center


def to_geojson(features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def to_csv(features):
    features = list(features)
    keys = []
    for feature in features:
        for key in feature.get("properties") or {}:
            if key not in keys and key != "frame":
                keys.append(key)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ra", "dec", *keys])
    for feature in features:
        lon, lat = feature_center(feature)
        properties = feature.get("properties") or {}
        writer.writerow([f"{lon:.8f}", f"{lat:.8f}", *(_cell(properties.get(k)) for k in keys)])
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def to_ds9(features):
    sky, image = [], []
    for feature in features:
        line = _region(feature)
        if line:
            (image if (feature.get("properties") or {}).get("frame") == "image" else sky).append(
                line
            )
    lines = ["# Region file format: DS9 version 4.1", "global color=green width=1"]
    if sky:
        lines += ["icrs", *sky]
    if image:
        lines += ["image", *image]
    return "\n".join(lines) + "\n"


def _region(feature):
    geometry, properties = feature["geometry"], feature.get("properties") or {}
    image = properties.get("frame") == "image"
    unit = "" if image else '"'

    def size(degrees):
        return f"{degrees:.6g}" if image else f"{degrees * 3600.0:.6g}"

    def pos(point):
        return f"{point[0]:.8f},{point[1]:.8f}"

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
            body = f"circle({c},{size(properties['radius'])}{unit})"
        elif shape in ("ellipse", "box"):
            body = (f"{shape}({c},{size(properties['width'] / (2 if shape == 'ellipse' else 1))}{unit},"
                    f"{size(properties['height'] / (2 if shape == 'ellipse' else 1))}{unit},{properties.get('angle', 0):.6g})")  # fmt: skip
        elif shape == "annulus":
            inner, outer = properties["radii"][:2]
            body = f"annulus({c},{size(inner)}{unit},{size(outer)}{unit})"
        elif shape == "text":
            body = f"text({c})"
        else:
            body = f"point({c})"
    else:
        return None
    extras = []
    if properties.get("color"):
        extras.append(f"color={properties['color']}")
    label = properties.get("text") or properties.get("name")
    if label:
        extras.append("text={" + str(label).replace("}", ")") + "}")
    return body + (" # " + " ".join(extras) if extras else "")
