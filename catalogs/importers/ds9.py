"""ds9 region files, read with astropy's ``regions`` package.

Shapes ``regions`` does not support (vector, panda, epanda, bpanda, compass, ruler,
projection, composite) are reported per line as warnings; lines it cannot parse are
errors naming the line. Coordinates of any celestial frame become ICRS degrees.
"""

import re
import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from catalogs.importers import CatalogImportError, ImportResult

_SHAPE = re.compile(r"^\s*[-+]?\s*(?:#\s*)?([a-z]+)\s*\(", re.I)
_SKIPPING = re.compile(r'"([^"]+)" frame or shape is not supported')
_QUOTED = re.compile(r'(?:region|parameters[^:]*):\s*"?(.+?)"?(?:, skipping\.?)?$|"([^"]+)"')


def parse(text):
    from regions import Regions

    lines = text.splitlines()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            regions = Regions.parse(text, format="ds9")
        except Exception as exc:  # regions raises several types for broken files
            number, message = _first_broken_line(lines, Regions)
            raise CatalogImportError(
                f"cannot read this region: {message or exc}", line=number
            ) from exc
    notes = []
    for warning in caught:
        message = str(warning.message)
        unsupported = _SKIPPING.search(message)
        if unsupported:
            shape = unsupported.group(1)
            for number in _lines_with_shape(lines, shape):
                notes.append(f"line {number}: '{shape}' regions are not supported, left out.")
        elif "will be ignored" in message:
            number = _line_of(lines, message)
            notes.append(f"line {number or 0}: {message}")
        else:
            number = _line_of(lines, message)
            raise CatalogImportError(f"cannot read this region: {message}", line=number)
    features = [feature for region in regions for feature in [_feature(region)] if feature]
    return ImportResult(features, warnings=sorted(set(notes), key=_line_key))


def _first_broken_line(lines, regions_class):
    """(line number, message) of the first line that fails on its own, frames kept."""
    context = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip().lower()
        if not stripped or (stripped.startswith("#") and not _SHAPE.match(stripped)):
            continue
        if not _SHAPE.match(stripped):
            context.append(line)  # global properties and coordinate frames
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                regions_class.parse("\n".join([*context, line]), format="ds9")
        except Exception as exc:
            return number, str(exc)
    return None, None


def _line_key(note):
    return int(note.split()[1].rstrip(":"))


def _lines_with_shape(lines, shape):
    for number, line in enumerate(lines, 1):
        for part in line.split(";"):
            match = _SHAPE.match(part)
            if match and match.group(1).lower() == shape.lower():
                yield number
                break


def _line_of(lines, message):
    match = _QUOTED.search(message)
    fragment = ((match.group(1) or match.group(2)) if match else message).strip().strip('"')
    for number, line in enumerate(lines, 1):
        if fragment and fragment in line:
            return number
    return None


def _icrs(coord):
    icrs = coord.icrs
    return float(icrs.ra.deg) % 360.0, float(icrs.dec.deg)


def _properties(region, shape):
    meta, visual = region.meta, region.visual
    properties = {"shape": shape}
    colour = visual.get("edgecolor") or visual.get("color") or visual.get("facecolor")
    if colour:
        properties["color"] = str(colour)
    for key in ("text", "tag", "font"):
        if meta.get(key) not in (None, ""):
            properties[key] = meta[key] if key != "tag" else list(np.atleast_1d(meta[key]))
    if "linewidth" in visual:
        properties["linewidth"] = visual["linewidth"]
    if visual.get("linestyle") in ("dashed", "--"):
        properties["dash"] = True
    if "marker" in visual:
        properties["point"] = str(visual["marker"])
    if meta.get("include") is not None:
        properties["include"] = bool(int(meta["include"]))
    if meta.get("source") is not None:
        properties["source"] = bool(int(meta["source"]))
    return properties


def _feature(region):
    name = type(region).__name__
    sky = "Sky" in name
    shape = {"Circle": "circle", "Ellipse": "ellipse", "Rectangle": "box", "Polygon": "polygon",
             "Point": "point", "Line": "line", "Text": "text", "CircleAnnulus": "annulus"}  # fmt: skip
    kind = name.replace("SkyRegion", "").replace("PixelRegion", "")
    if kind not in shape:
        return None
    properties = _properties(region, shape[kind])

    def position(coord):
        if sky:
            return list(_icrs(coord))
        return [float(coord.x) + 1.0, float(coord.y) + 1.0]  # regions is 0-based: FITS is 1-based

    def size(quantity):
        return float(quantity.to(u.deg).value) if sky else float(quantity)

    if not sky:
        properties["frame"] = "image"
    if kind == "Polygon":
        ring = [position(v) for v in _vertices(region)]
        geometry = {"type": "Polygon", "coordinates": [ring + [ring[0]]]}
    elif kind == "Line":
        geometry = {
            "type": "LineString",
            "coordinates": [position(region.start), position(region.end)],
        }
    else:
        geometry = {"type": "Point", "coordinates": position(region.center)}
    if kind == "Circle":
        properties["radius"] = size(region.radius)
    elif kind in ("Ellipse", "Rectangle"):
        properties.update(width=size(region.width), height=size(region.height),
                          angle=float(u.Quantity(region.angle, u.deg).value))  # fmt: skip
    elif kind == "CircleAnnulus":
        properties["radii"] = [size(region.inner_radius), size(region.outer_radius)]
    elif kind == "Text":
        properties["text"] = region.text
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _vertices(region):
    vertices = region.vertices
    if isinstance(vertices, SkyCoord):
        return [vertices[i] for i in range(len(vertices))]
    return [type(vertices)(x, y) for x, y in zip(vertices.x, vertices.y, strict=True)]
