"""ds9 region files, read with astropy's ``regions`` package.

Shapes ``regions`` does not support (vector, panda, epanda, bpanda, compass, ruler,
projection, composite) are reported per line as warnings; lines it cannot parse are
errors naming the line. Coordinates of any celestial frame become ICRS degrees.
"""

import re
import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord, UnitSphericalRepresentation

from catalogs.importers import CatalogImportError

_SHAPE = re.compile(r"^\s*[-+]?\s*(?:#\s*)?([a-z]+)\s*\(", re.I)
_SKIPPING = re.compile(r'"([^"]+)" frame or shape is not supported')
_QUOTED = re.compile(r'(?:region|parameters[^:]*):\s*"?(.+?)"?(?:, skipping\.?)?$|"([^"]+)"')


# Lines that set how the next regions are read: coordinate frames and global properties.
FRAMES = {"icrs", "fk5", "fk4", "j2000", "b1950", "galactic", "ecliptic", "image", "physical",
          "linear", "amplifier", "detector", "wcs"} | {f"wcs{c}" for c in "abcdefghijklmnopqrstuvwxyz"}  # fmt: skip
CHUNK = 2000


def parse(job):
    """Features of a region file, parsed ``CHUNK`` lines at a time; each chunk is read
    after the frame and global properties in force where it starts."""
    job.next_pass()
    context, chunk = [], []
    for number, line in job.source.lines():
        chunk.append((number, line))
        if len(chunk) >= CHUNK:
            yield from _parse_chunk(context, chunk, job.warnings)
            context = _context_after(context, chunk)
            chunk = []
    if chunk:
        yield from _parse_chunk(context, chunk, job.warnings)


def _context_after(context, chunk):
    frame = [line for line in context if line.strip().lower() in FRAMES]
    settings = [line for line in context if line not in frame]
    for _number, line in chunk:
        for part in line.split(";"):
            word = part.strip()
            if word.lower() in FRAMES:
                frame = [word]
            elif word.lower().startswith("global"):
                settings.append(word)
    return settings[-20:] + frame


def _parse_chunk(context, chunk, notes):
    from regions import Regions

    lines = context + [line for _number, line in chunk]
    numbers = [None] * len(context) + [number for number, _line in chunk]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            regions = Regions.parse("\n".join(lines), format="ds9")
        except Exception as exc:  # regions raises several types for broken files
            index, message = _first_broken_line(lines, Regions)
            raise CatalogImportError(
                f"cannot read this region: {message or exc}",
                line=numbers[index] if index is not None else None,
            ) from exc
    found = []
    for warning in caught:
        message = str(warning.message)
        unsupported = _SKIPPING.search(message)
        if unsupported:
            shape = unsupported.group(1)
            for index in _lines_with_shape(lines, shape):
                found.append(
                    f"line {numbers[index]}: '{shape}' regions are not supported, left out."
                )
        elif "will be ignored" in message:
            index = _line_of(lines, message)
            found.append(f"line {numbers[index] if index is not None else 0}: {message}")
        else:
            index = _line_of(lines, message)
            raise CatalogImportError(
                f"cannot read this region: {message}",
                line=numbers[index] if index is not None else None,
            )
    notes.extend(sorted(set(found), key=_line_key))
    sky = []
    features = [feature for region in regions for feature in [_feature(region, sky)] if feature]
    _to_icrs(sky)
    return features


def _first_broken_line(lines, regions_class):
    """(index, message) of the first line that fails on its own, frames kept."""
    context = []
    for index, line in enumerate(lines):
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
            return index, str(exc)
    return None, None


def _line_key(note):
    return int(note.split()[1].rstrip(":"))


def _lines_with_shape(lines, shape):
    for index, line in enumerate(lines):
        for part in line.split(";"):
            match = _SHAPE.match(part)
            if match and match.group(1).lower() == shape.lower():
                yield index
                break


def _line_of(lines, message):
    match = _QUOTED.search(message)
    fragment = ((match.group(1) or match.group(2)) if match else message).strip().strip('"')
    for index, line in enumerate(lines):
        if fragment and fragment in line:
            return index
    return None


def _to_icrs(sky):
    """Fill the [lon, lat] slots of ``sky`` (pairs of a slot and its SkyCoord) with ICRS
    degrees: one transformation per frame, not one per position."""
    groups = {}
    for slot, coord in sky:
        groups.setdefault(repr(coord.frame.replicate_without_data()), []).append((slot, coord))
    for members in groups.values():
        frame = members[0][1].frame.replicate_without_data()
        spherical = [
            coord.data.represent_as(UnitSphericalRepresentation) for _slot, coord in members
        ]
        lon = u.Quantity([s.lon for s in spherical])
        lat = u.Quantity([s.lat for s in spherical])
        icrs = SkyCoord(frame.realize_frame(UnitSphericalRepresentation(lon, lat))).icrs
        for (slot, _coord), ra, dec in zip(members, icrs.ra.deg, icrs.dec.deg, strict=True):
            slot[:] = [float(ra) % 360.0, float(dec)]


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


def _feature(region, sky):
    """The feature of one region; its sky positions are slots that ``_to_icrs`` fills."""
    name = type(region).__name__
    is_sky = "Sky" in name
    shape = {"Circle": "circle", "Ellipse": "ellipse", "Rectangle": "box", "Polygon": "polygon",
             "Point": "point", "Line": "line", "Text": "text", "CircleAnnulus": "annulus"}  # fmt: skip
    kind = name.replace("SkyRegion", "").replace("PixelRegion", "")
    if kind not in shape:
        return None
    properties = _properties(region, shape[kind])

    def position(coord):
        if is_sky:
            slot = [None, None]
            sky.append((slot, coord))
            return slot
        return [float(coord.x) + 1.0, float(coord.y) + 1.0]  # regions is 0-based: FITS is 1-based

    def size(quantity):
        return float(quantity.to(u.deg).value) if is_sky else float(quantity)

    if not is_sky:
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
