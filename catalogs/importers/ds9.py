"""ds9 region files, read with astropy's ``regions`` package, every shape and property kept.

Every shape ``regions`` reads becomes one feature: circle, ellipse, box, polygon, line,
point (each symbol), text, annulus, ellipse and box annulus (a ds9 annulus with several
radii is one feature per ring, as ``regions`` reads it), each member of a composite (with
the composite it belongs to). Its properties are the ds9 ones in force on its line, the
file's ``global`` settings included: colour, line width (``linewidth``), dash, font, text, tags, point symbol,
source/background, include/exclude (the ``-`` prefix), and the others ds9 writes.

Positions keep the frame they came in: ``coordsys`` is ``icrs``, ``fk5``, ``fk4``,
``galactic``, ``ecliptic``, ``image`` or ``physical``; sky features also carry their
ICRS position as the GeoJSON geometry (for the spatial index) and, in other frames,
``native``, the same coordinates in their own frame (what an export writes back).
Pixel features keep FITS 1-based pixels of the image. ``physical`` coordinates become
image pixels through the linked image's LTM/LTV cards (IRAF's logical = LTM · physical +
LTV, ds9's rule), when the import is given that image's header (``physical``, see
``parse``); the coordinates as written are kept in ``native`` and the map in
``properties.physical``, for the export to write them back.

Sizes are degrees on the sky, pixels in pixel frames; ``width``/``height`` are full
lengths (ds9 writes an ellipse's semi-axes: they are doubled, as ``regions`` does);
``angle`` is in degrees as written: from the image x-axis in pixel frames, from the
frame's longitude axis in sky frames. ``north``, for rotated sky shapes in frames other
than ICRS, is the position angle (east of north, ICRS) of the frame's north at the
shape's centre: what turns its angle into one the image's WCS can draw.

ds9's other forms are read as ds9 reads them: a region before any frame line is in
``physical`` pixels (ds9's default, as funtools and CIAO files have it); ``text x y
{words}`` and ``x point(1,2)``; properties written without their ``#``.

What cannot be kept is reported by name, line by line (warnings): shapes ``regions`` does
not read (vector, ruler, compass, projection, segment, panda, epanda, bpanda, also in the
commented form ds9 writes them in), shapes in frames that cannot be placed (linear,
amplifier, detector, tile, wcs*), sky coordinates before any frame line, a latitude
written in hours; a line ``regions`` cannot parse is an error naming it.
"""

import functools
import math
import re
import warnings

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord, UnitSphericalRepresentation

from catalogs.importers import CatalogImportError

# A shape and its arguments, in parentheses or (as ds9 also writes them) after a space.
_SHAPE = re.compile(r"^\s*(#\s*)?([-+]?)\s*([a-z]+)\s*(?:\(|\s(?=\s*[-+.\d]))", re.I)
_FRAME_WORD = re.compile(r"^\s*([a-z0-9]+)(?:\s+\d+)?\s*$", re.I)  # and "tile 2"

SHAPES = {"circle", "ellipse", "box", "annulus", "polygon", "line", "point", "text"}
UNSUPPORTED_SHAPES = {"vector", "ruler", "compass", "projection", "panda", "epanda", "bpanda",
                      "segment"}  # fmt: skip
SKY_FRAMES = {"icrs": "icrs", "fk5": "fk5", "j2000": "fk5", "fk4": "fk4", "b1950": "fk4",
              "galactic": "galactic", "ecliptic": "ecliptic"}  # fmt: skip
PIXEL_FRAMES = {"image": "image", "physical": "physical"}
UNPLACED_FRAMES = {"linear", "amplifier", "detector", "tile", "wcs", "wcs0"} | {
    f"wcs{c}" for c in "abcdefghijklmnopqrstuvwxyz"
}
FRAMES = set(SKY_FRAMES) | set(PIXEL_FRAMES) | UNPLACED_FRAMES

# The key that carries a part's index through ``regions`` (one of the few it accepts
# that ds9 files hardly use; removed from what is kept).
MARK = "veltype"
CHUNK = 2000
# ds9's defaults for the settings that only matter when editing: kept when they differ.
EDIT_DEFAULTS = {"select": "1", "highlite": "1", "edit": "1", "move": "1", "rotate": "1",
                 "delete": "1", "fixed": "0"}  # fmt: skip
KEPT = {"color", "width", "dash", "dashlist", "font", "text", "tag", "point", "line", "fill",
        "textangle", "textrotate", "include", "source", "background"}  # fmt: skip
NAMES = {"Circle": "circle", "Ellipse": "ellipse", "Rectangle": "box", "Polygon": "polygon",
         "Point": "point", "Line": "line", "Text": "text", "CircleAnnulus": "annulus",
         "EllipseAnnulus": "ellipse_annulus", "RectangleAnnulus": "box_annulus"}  # fmt: skip


IMAGE_PIXELS = "image"  # ``physical``: read physical coordinates as the image's pixels


def parse(job, physical=IMAGE_PIXELS):
    """Features of a region file, parsed ``CHUNK`` lines at a time (never splitting a
    composite); each chunk is read after the frame and global settings in force where
    it starts.

    ``physical`` says where ds9's ``physical`` coordinates go: the header (a mapping) of
    the one image the file is linked to, whose LTM/LTV map them to its pixels (absent
    cards: the identity); None when the file is linked to no single image (its physical
    regions are left out, each reported); ``IMAGE_PIXELS`` to read them as image pixels.
    The first ``NOTED`` notes are listed, then how many more there were (memory stays
    bounded for a file of regions that are all left out)."""
    job.next_pass()
    state, chunk, unlisted = ReadState(), [], 0
    state.physical = PhysicalMap.of(physical)
    for number, line in job.source.lines():
        chunk.append((number, line))
        if len(chunk) >= CHUNK and "||" not in line:
            yield from _parse_chunk(state, chunk, job.warnings)
            unlisted += _keep_first_notes(job.warnings)
            chunk = []
    if chunk:
        yield from _parse_chunk(state, chunk, job.warnings)
        unlisted += _keep_first_notes(job.warnings)
    if unlisted:
        job.warnings.append(f"{unlisted:,} more notes, not listed.")


NOTED = 1000


def _keep_first_notes(notes):
    """Cut ``notes`` to ``NOTED``; how many were cut."""
    extra = max(len(notes) - NOTED, 0)
    del notes[NOTED:]
    return extra


class ReadState:
    """What carries over from one chunk to the next: the frame and global lines in force."""

    def __init__(self):
        self.frame = None  # as ds9 names it (lower case)
        self.globals = []
        self.physical = PhysicalMap.of(IMAGE_PIXELS)


class PhysicalMap:
    """ds9's physical -> image pixels: ``image = LTM · physical + LTV`` (FITS 1-based), or
    ``missing`` (no image to take LTM/LTV from)."""

    KEYS = ("LTM1_1", "LTM1_2", "LTM2_1", "LTM2_2", "LTV1", "LTV2")

    def __init__(self, ltm=((1.0, 0.0), (0.0, 1.0)), ltv=(0.0, 0.0), missing=False):
        self.ltm, self.ltv, self.missing = (
            [list(map(float, r)) for r in ltm],
            list(map(float, ltv)),
            missing,
        )
        (a, b), (c, d) = self.ltm
        det = a * d - b * c
        # A scale and a rotation keep circles circles: the only maps sizes go through.
        self.similar = (
            det > 0
            and math.isclose(a, d, abs_tol=1e-12 * abs(a))
            and math.isclose(b, -c, abs_tol=1e-12 * max(abs(b), abs(a)))
        )
        self.scale = math.sqrt(abs(det))
        self.rotation = math.degrees(math.atan2(c, a))
        self.identity = self.ltm == [[1.0, 0.0], [0.0, 1.0]] and self.ltv == [0.0, 0.0]

    @classmethod
    def of(cls, physical):
        if physical is None:
            return cls(missing=True)
        if isinstance(physical, str):
            return cls()

        def value(key, default):
            card = physical.get(key)
            return (
                float(card)
                if isinstance(card, int | float) and not isinstance(card, bool)
                else default
            )

        ltm = (
            (value("LTM1_1", 1.0), value("LTM1_2", 0.0)),
            (value("LTM2_1", 0.0), value("LTM2_2", 1.0)),
        )
        return cls(ltm, (value("LTV1", 0.0), value("LTV2", 0.0)))

    def point(self, x, y):
        (a, b), (c, d) = self.ltm
        return [a * x + b * y + self.ltv[0], c * x + d * y + self.ltv[1]]

    def describe(self):
        return {"ltm": self.ltm, "ltv": self.ltv}


class Part:
    """One region of a line, as written: its line, frame and composite."""

    def __init__(self, number, shape, frame, composite, source=True):
        self.number, self.shape, self.frame, self.composite = number, shape, frame, composite
        self.source = source  # False: a background region
        self.found = 0
        self.physical = None  # the PhysicalMap of a physical region


_QUOTED_VALUE = re.compile(r"=\s*(\{[^}]*\}|\"[^\"]*\"|'[^']*')")
# One property of a region's line: ``key=value`` (a value in braces or quotes whole), or
# a bare word (ds9's ``source`` and ``background``).
_PROPERTY = re.compile(r"(\w+)\s*=\s*(\{[^}]*\}|\"[^\"]*\"|'[^']*'|[^\s#]+)|([\w-]+)")
YES, NO = {"1", "yes", "y", "on", "true"}, {"0", "no", "n", "off", "false"}


@functools.lru_cache(maxsize=64)
def _globals_say_source(global_lines):
    """What the global lines in force say (reported at their own lines)."""
    return _is_source(global_lines, 0, [])


def _is_source(texts, number, notes, source=True):
    """Whether a region is a source (True) or a background region (False), from the
    properties ``texts`` in force on it, in the order ds9 reads them (global lines, the
    composite's line, its own), the last one saying: the bare words ``source`` and
    ``background``, and ``source=``/``background=`` with a yes or no value (ds9 reads
    ``1``, ``yes``, ``on``, ``true`` and their opposites; ``regions`` only ``1`` and
    ``0``). A value neither yes nor no is left out, as ``regions`` does, and reported for
    the last text (the others were reported on their own lines). ``source``: what the
    texts before these said."""
    for at, text in enumerate(texts, 1 - len(texts)):
        for key, value, word in _PROPERTY.findall(text):
            word, key = word.lower(), key.lower()
            if word in ("source", "background"):
                source = word == "source"
            elif key in ("source", "background"):
                said = value.strip("{}\"'").strip().lower()
                if said in YES or said in NO:
                    source = (said in YES) == (key == "source")
                elif not at:
                    notes.append(f"line {number}: '{key}={value[:20]}' is not a yes or no value (1 or 0), "
                                 "not read.")  # fmt: skip
    return source


def _properties_text(part):
    """What follows a region's shape and coordinates: its properties."""
    return part[part.find(")") + 1 :]


def _split_parts(line):
    from regions.io.ds9.read import _split_semicolon  # ds9's own ';' rule (not in text={})

    return [part.strip() for part in _split_semicolon(line)]


def _marked(part, index, text_form):
    """``part`` with ``MARK=index`` first in its properties (before any value that could
    swallow it)."""
    marker = f" {MARK}={index} "
    if text_form:  # "# text(x,y) text={...}": properties follow the first space
        close = part.find(")")
        return part[: close + 1] + marker + part[close + 1 :]
    close = part.find(")")
    hash_at = part.find("#", close)
    if hash_at < 0:
        return part + " #" + marker
    return part[: hash_at + 1] + marker + part[hash_at + 1 :]


def _prepare(state, chunk, notes):
    """The text handed to ``regions`` and the ``Part`` of each region it will read."""
    lines = [*state.globals]
    if state.frame:
        lines.append(_frame_line(state.frame))
    parts, composite, composite_text = [], None, ""
    for number, line in chunk:
        for part in _split_parts(line):
            if not part:
                continue
            word = _FRAME_WORD.match(part)
            if word and word.group(1).lower() in FRAMES:
                state.frame = word.group(1).lower()
                lines.append(_frame_line(state.frame))
                continue
            if part.lower().startswith("global"):
                state.globals = (state.globals + [part])[-20:]
                _is_source([part], number, notes)
                lines.append(part)
                continue
            part = _SYMBOL_POINT.sub(
                lambda m: f"{m[1]}point{m[3]} # point={m[2].lower()} ", part, count=1
            )
            shape = _SHAPE.match(part)
            if shape is None:
                word = _WORD.match(part)
                if word and not part.startswith("#"):  # regions would pass over it unsaid
                    notes.append(_not_a_region(number, part, word.group(1).lower()))
                elif not part.startswith("#"):
                    lines.append(part)  # regions decides: an error names the line
                continue
            commented, name = bool(shape.group(1)), shape.group(3).lower()
            if commented and name not in ("text", "composite", *UNSUPPORTED_SHAPES):
                continue  # a comment (ds9 writes the shapes others cannot read commented)
            part = _with_properties_mark(part, shape, name)
            if name == "composite":
                composite = _composite(part, number, state.frame, state.globals)
                composite_text = _properties_text(part)
                _is_source([composite_text], number, notes)
                lines.append(part)
                continue
            member = composite
            if "||" not in part:
                composite = None
            if name in UNSUPPORTED_SHAPES:
                notes.append(f"line {number}: '{name}' regions are not supported, left out.")
                continue
            if name not in SHAPES:
                notes.append(f"line {number}: '{name}' is not a ds9 shape, left out.")
                continue
            arguments = _arguments(part, shape)
            if state.frame is None and _PIXELS.fullmatch(arguments):
                state.frame = "physical"  # ds9's (and funtools', CIAO's) default frame
                lines.append(_frame_line(state.frame))
            if state.frame is None or state.frame in UNPLACED_FRAMES:
                where = f"frame '{state.frame}'" if state.frame else "no coordinate frame"
                notes.append(f"line {number}: a '{name}' in {where} cannot be placed, left out.")
                continue
            wrong = _wrong_values(name, arguments)
            if wrong:
                notes.append(f"line {number}: a '{name}' {wrong}; left out.")
                continue
            hours = _latitude_in_hours(name, state.frame, arguments)
            if hours:
                notes.append(f"line {number}: a '{name}' whose latitude (Dec) '{hours[:40]}' is "
                             "written in hours (h): a latitude is in degrees; left out.")  # fmt: skip
                continue
            if state.frame == "physical" and not _physical_fits(state.physical, name, part):
                notes.append(_physical_refusal(state.physical, number, name))
                continue
            said = [composite_text if member else "", _properties_text(part)]
            source = _is_source(said, number, notes, _globals_say_source(tuple(state.globals)))
            parts.append(Part(number, name, state.frame, member, source))
            parts[-1].physical = state.physical if state.frame == "physical" else None
            lines.append(_marked(part, len(parts) - 1, commented))
    return "\n".join(lines), parts


SIZED = {"circle", "ellipse", "box", "annulus"}
# A point written with its symbol first (``x point(1,2)``, ``circle point 1 2``), as ds9
# also reads it: becomes ``point(1,2) # point=x``.
_SYMBOL_POINT = re.compile(
    r"^(\s*[-+]?\s*)(circle|box|diamond|cross|x|arrow|boxcircle)\s+point(\s*\([^)]*\)|[-+.\d\s,]+)"
    r"\s*(?:#|$)",
    re.I,
)
# Coordinates and sizes that are plain numbers: what a file with no frame line gives
# (ds9 reads them in physical pixels).
_PIXELS = re.compile(r"[-+\d.eE,\s]*")


def _arguments(part, shape):
    """The text of a region's coordinates and sizes (``shape``: its ``_SHAPE`` match)."""
    rest = part[shape.end() :]
    if shape.group(0).rstrip().endswith("("):
        return rest[: rest.find(")")] if ")" in rest else rest
    return re.split(r"[#|{\"']", rest, maxsplit=1)[0]


_WORD = re.compile(r"[-+]?\s*([a-z]\w*)", re.I)
# What each shape's values are, when their number is fixed (``regions`` drops the extra
# ones unsaid, and refuses too few itself); a polygon has pairs, three at least.
VALUES = {"circle": "x, y, radius", "point": "x, y", "line": "x1, y1, x2, y2", "text": "x, y"}
_NUMBER = re.compile(r"\d*\.?\d+(?:e[-+]?\d+)?", re.I)


def _not_a_region(number, part, word):
    hint = " (a frame and a region need a ';' or a new line between them)" if word in FRAMES else ""
    return f"line {number}: '{part[:40]}' is not a ds9 region{hint}, left out."


def _wrong_values(name, arguments):
    """Why a region's values cannot make its shape (how many, or one not finite), or None."""
    values = [v for v in re.split(r"[,\s]+", arguments.strip()) if v]
    if any("nan" in v.lower() or "inf" in v.lower() for v in values) or not all(
        math.isfinite(float(n)) for n in _NUMBER.findall(arguments)
    ):
        return "with a value that is not a finite number"
    if name in VALUES and len(values) > len(VALUES[name].split(",")):  # too few: regions says
        return f"needs {VALUES[name].count(',') + 1} values ({VALUES[name]}), not {len(values)}"
    if name == "polygon" and (len(values) % 2 or len(values) < 6):
        return f"needs pairs of x, y for 3 vertices or more, not {len(values)} values"
    return None


def _latitude_in_hours(name, frame, arguments):
    """A latitude of a sky region written in hours (``1h00m00s``, read as 15 degrees by
    ``regions``), or None: every second value of a polygon or line, the second of others."""
    if frame not in SKY_FRAMES:
        return None
    values = [v for v in re.split(r"[,\s]+", arguments.strip()) if v]
    latitudes = values[1::2] if name in ("polygon", "line") else values[1:2]
    return next((v for v in latitudes if "h" in v.lower()), None)


def _with_properties_mark(part, shape, name):
    """``part`` with the ``#`` before its properties that ds9's other forms leave out:
    ``text(x,y) {words}`` and ``text x y {words}`` (ds9's own forms) become
    ``text(x,y) # text={words}``; ``circle(x,y,r) color=red`` gets its ``#``."""
    if shape.group(1):  # "# text(...)": the properties follow the shape
        return part
    if shape.group(0).rstrip().endswith("("):
        end = part.find(")", shape.end())
        if end < 0:
            return part
        head, rest = part[: end + 1], part[end + 1 :].lstrip()
    elif name == "text":
        at = min((i for i in (part.find(c) for c in "{\"'#") if i >= 0), default=len(part))
        head, rest = part[:at].rstrip(), part[at:]
    else:
        return part
    if not rest or rest.startswith(("#", "||")):
        return part
    if name == "text" and rest[0] in "{\"'":
        return f"{head} # text={rest}"
    return f"{head} # {rest}"


def _physical_fits(physical, name, part):
    """Whether a physical region maps to image pixels: an image to map it with, and for
    shapes with sizes, a map that keeps their shape (a point's size is on the screen)."""
    return not physical.missing and (physical.similar or name not in SIZED)


def _physical_refusal(physical, number, name):
    if physical.missing:
        return (f"line {number}: a '{name}' in 'physical' coordinates needs the one image it "
                "belongs to (its LTM/LTV): link the file to that image; left out.")  # fmt: skip
    return (f"line {number}: a '{name}' in 'physical' coordinates cannot be drawn on this image, "
            "whose LTM stretches or mirrors it; left out.")  # fmt: skip


def _frame_line(frame):
    return "image" if frame == "physical" else frame  # physical: image pixels (no LTM/LTV)


_SETTING = re.compile(r"(?<![\w-])(composite|color|width)\s*=\s*([#\w.]+)", re.I)


def _composite(part, number, frame, globals_in_force=()):
    """A composite's own description: its line, frame and parameters as written; whether
    it is ``global`` (ds9's ``composite=1``, its default: the members are drawn in the
    composite's colour and width, from its line or the global lines in force; None when
    neither says, for the default colour)."""
    inside = part[part.find("(") + 1 : part.find(")")] if ")" in part else ""
    settings = {}
    for text in [*globals_in_force, part[part.find(")") + 1 :]]:
        settings.update((k.lower(), v) for k, v in _SETTING.findall(_QUOTED_VALUE.sub("=", text)))
    width = settings.get("width")
    return {"line": number, "frame": SKY_FRAMES.get(frame) or PIXEL_FRAMES.get(frame, frame),
            "at": re.sub(r"\s+", "", inside)[:200], "global": settings.get("composite", "1") != "0",
            "color": settings["color"][:40] if "color" in settings else None,
            "linewidth": _number(width) if width is not None else None}  # fmt: skip


def _parse_chunk(state, chunk, notes):
    from regions import Regions

    found = []
    text, parts = _prepare(state, chunk, found)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            regions = Regions.parse(text, format="ds9")
        except Exception as exc:  # regions raises several types for broken files
            number, message = _first_broken_line(chunk, state)
            raise CatalogImportError(
                f"cannot read this region: {message or exc}", line=number
            ) from exc
    features, sky = [], []
    for region in regions:
        index = int(str(region.meta.get(MARK, "-1")).split()[0])
        if not 0 <= index < len(parts):
            raise CatalogImportError("cannot place a region read from this file.")
        part = parts[index]
        part.found += 1
        features.append(_feature(region, part, sky))
    raw = [str(w.message) for w in caught if not _handled(str(w.message))]
    messages = [_unmarked(message) for message in raw]
    for index, part in enumerate(parts):
        if not part.found:
            why = _reason_for(index, raw, messages)
            found.append(
                f"line {part.number}: a '{part.shape}' region could not be read ({why}), left out."
            )
    for message in messages:
        if "duplicate metadata" in message.lower():
            found.append(f"{message.split(',')[0]}: the first value kept.")
    _place_on_sky(sky)
    notes.extend(sorted(set(found), key=_line_key))
    return features


def _reason_for(index, raw, messages):
    """Why the part of mark ``index`` was not read: the message of ``regions`` that quotes
    its line (found by its mark), else "not read"."""
    mark = re.compile(rf"\b{MARK}={index}(?!\d)")
    for message, said in zip(raw, messages, strict=True):
        if mark.search(message):
            return said
    return "not read"


_MARK_AT_END = re.compile(rf" # {MARK}=\d+(?=$|\")")
_MARK_INSIDE = re.compile(rf" {MARK}=\d+ ")


def _unmarked(message):
    """A message of ``regions`` quoting a region's line as it was written, without its mark
    (see ``_marked``: appended as `` # MARK=i``, or put after the ``#`` or the ``)``)."""
    return _MARK_INSIDE.sub("", _MARK_AT_END.sub("", message))


def _handled(message):
    """Warnings of ``regions`` about what this importer keeps or reports itself."""
    return any(
        text in message
        for text in ("will be ignored", "is not supported by the regions package",
                     "coordinate frame was not found", "not a valid frame or region shape")
    )  # fmt: skip


def _first_broken_line(chunk, state):
    """(line number, message) of the first line that fails on its own, frames kept."""
    from regions import Regions

    context = ReadState()
    context.frame, context.globals = state.frame, list(state.globals)
    for number, line in chunk:
        text, _parts = _prepare(context, [(number, line)], [])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Regions.parse(text, format="ds9")
        except Exception as exc:
            return number, str(exc)
    return None, None


def _line_key(note):
    match = re.match(r"line (\d+)", note)
    return int(match.group(1)) if match else 0


def _place_on_sky(sky):
    """Fill the slots of ``sky`` — (slot, SkyCoord, properties or None) — with ICRS
    degrees; ``north`` for those with properties: one transformation per frame."""
    groups = {}
    for item in sky:
        groups.setdefault(repr(item[1].frame.replicate_without_data()), []).append(item)
    for members in groups.values():
        frame = members[0][1].frame.replicate_without_data()
        spherical = [c.data.represent_as(UnitSphericalRepresentation) for _s, c, _p in members]
        lon = u.Quantity([s.lon for s in spherical])
        lat = u.Quantity([s.lat for s in spherical])
        native = SkyCoord(frame.realize_frame(UnitSphericalRepresentation(lon, lat)))
        icrs = native.icrs
        for (slot, _coord, _p), ra, dec in zip(members, icrs.ra.deg, icrs.dec.deg, strict=True):
            slot[:] = [float(ra) % 360.0, float(dec)]
        rotated = [i for i, (_s, _c, properties) in enumerate(members) if properties is not None]
        if rotated:
            centre = native[rotated]
            ahead = centre.directional_offset_by(0 * u.deg, 1 * u.arcsec).icrs
            north = centre.icrs.position_angle(ahead).deg
            for i, angle in zip(rotated, north, strict=True):
                members[i][2]["north"] = round(float((angle + 180.0) % 360.0 - 180.0), 10)


def _raw_properties(region, part):
    """The ds9 properties in force on the region's line, as ds9 names them."""
    raw = dict(getattr(region, "_raw_meta", None) or {})
    raw.pop(MARK, None)
    properties = {"shape": NAMES[_kind(region)], "coordsys": _coordsys(part.frame)}
    properties["include"] = str(raw.pop("include", "1")).strip() != "0"
    properties["source"] = part.source
    raw.pop("source", None), raw.pop("background", None)
    for key, value in raw.items():
        key = key.lower()
        if key in EDIT_DEFAULTS:
            if str(value).strip() != EDIT_DEFAULTS[key]:
                properties.setdefault("ds9", {})[key] = str(value).strip()
        elif key == "tag":
            properties["tag"] = [str(t) for t in np.atleast_1d(value)]
        elif key == "width":  # the line width: "width" is the shape's
            properties["linewidth"] = _number(value)
        elif key == "textangle":
            properties[key] = _number(value)
        elif key in ("dash", "fill", "textrotate"):
            properties[key] = str(value).strip() not in ("0", "")
        elif key in KEPT:
            properties[key] = str(value).strip()
        elif key != "composite":
            properties.setdefault("ds9", {})[key] = str(value).strip()
    if not properties.get("dash"):
        properties.pop("dashlist", None)
    point = properties.pop("point", None)
    if properties["shape"] == "point":
        symbol, *size = (point or "boxcircle").split()
        properties["point"] = symbol.lower()
        if size:
            properties["point_size"] = _number(size[0])
    if part.composite:
        properties["composite"] = part.composite
    return properties


def _number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return str(text)
    if not math.isfinite(value):  # no JSON number: kept as written
        return str(text).strip()
    return int(value) if value.is_integer() else value


def _coordsys(frame):
    return SKY_FRAMES.get(frame) or PIXEL_FRAMES[frame]


def _kind(region):
    return type(region).__name__.replace("SkyRegion", "").replace("PixelRegion", "")


def _feature(region, part, sky):
    """The feature of one region; its sky positions are slots that ``_place_on_sky`` fills."""
    kind = _kind(region)
    is_sky = "Sky" in type(region).__name__
    properties = _raw_properties(region, part)
    native = []

    def position(coord, rotated=False):
        if is_sky:
            slot = [None, None]
            sky.append((slot, coord, properties if rotated else None))
            spherical = coord.data.represent_as(UnitSphericalRepresentation)
            native.append([float(spherical.lon.deg) % 360.0, float(spherical.lat.deg)])
            return slot
        return [float(coord.x) + 1.0, float(coord.y) + 1.0]  # regions is 0-based: FITS is 1-based

    def size(quantity):
        return float(quantity.to(u.deg).value) if is_sky else float(quantity)

    if not is_sky:
        properties["frame"] = "image"
    if kind == "Polygon":
        ring = [position(v) for v in _vertices(region)]
        geometry = {"type": "Polygon", "coordinates": [ring + [ring[0]]]}
        native_coordinates = [native + native[:1]]
    elif kind == "Line":
        geometry = {
            "type": "LineString",
            "coordinates": [position(region.start), position(region.end)],
        }
        native_coordinates = native
    else:
        rotated = is_sky and part.frame != "icrs" and hasattr(region, "angle")
        geometry = {"type": "Point", "coordinates": position(region.center, rotated)}
        native_coordinates = native[0] if native else None
    if kind == "Circle":
        properties["radius"] = size(region.radius)
    elif kind in ("Ellipse", "Rectangle"):
        properties.update(width=size(region.width), height=size(region.height))
    elif kind == "CircleAnnulus":
        properties["radii"] = [size(region.inner_radius), size(region.outer_radius)]
    elif kind in ("EllipseAnnulus", "RectangleAnnulus"):
        properties["inner"] = [size(region.inner_width), size(region.inner_height)]
        properties["outer"] = [size(region.outer_width), size(region.outer_height)]
    elif kind == "Text":
        properties["text"] = region.text
    if hasattr(region, "angle"):
        properties["angle"] = float(u.Quantity(region.angle, u.deg).value)
    if is_sky and part.frame != "icrs":
        properties["native"] = native_coordinates
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    if part.physical is not None and not part.physical.identity:
        _to_image_pixels(feature, part.physical)
    return feature


def _to_image_pixels(feature, physical):
    """A feature read in physical coordinates, moved to image pixels (see PhysicalMap)."""
    geometry, properties = feature["geometry"], feature["properties"]
    properties["native"] = geometry["coordinates"]

    def move(coordinates):
        if coordinates and isinstance(coordinates[0], float):
            return physical.point(*coordinates)
        return [move(c) for c in coordinates]

    geometry["coordinates"] = move(geometry["coordinates"])
    for key in ("radius", "width", "height"):
        if key in properties:
            properties[key] *= physical.scale
    for key in ("radii", "inner", "outer"):
        if key in properties:
            properties[key] = [v * physical.scale for v in properties[key]]
    if "angle" in properties:
        properties["angle"] += physical.rotation
    properties["physical"] = physical.describe()


def _vertices(region):
    vertices = region.vertices
    if isinstance(vertices, SkyCoord):
        return [vertices[i] for i in range(len(vertices))]
    return [type(vertices)(x, y) for x, y in zip(vertices.x, vertices.y, strict=True)]
