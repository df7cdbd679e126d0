"""Which header keywords fill the searchable columns, and how their values are read.

Every column has keywords tried in order; the first one present with a value wins. The
headers looked at are the image's own (for a mosaic, its first extension's) and then
the file's primary header, where multi-extension files keep what the whole exposure
shares.

Default mapping (``DEFAULT_KEYWORDS``)::

    object       OBJECT, TARGNAME, OBJNAME, TARGET
    band         FILTER, FILTNAM1, FILTER1, FILTER01, BAND, FILTNAME, FILTNAM2, FILTER2
    instrument   INSTRUME
    telescope    TELESCOP, OBSERVAT
    date_obs     DATE-OBS, DATE-BEG, DATE_OBS, MJD-OBS, MJD-BEG, MJD_OBS, EXPSTART
    exptime      EXPTIME, EXPOSURE, TEXPTIME, XPOSURE, ITIME, ELAPTIME
    bunit        BUNIT

``DATE`` is not an observation date: the standard makes it the date the file was
written. A date alone takes its time from ``TIME-OBS``, ``UT``, ``UTSTART``, ``UTC-OBS``
or SDSS's ``TAIHMS`` (TAI, converted); the old ``dd/mm/yy`` form of ``DATE-OBS`` is read
as 19yy. ``MJD-OBS``, ``MJD_OBS``, ``MJD-BEG`` and HST's ``EXPSTART`` are MJDs (UTC).
DECam writes its ``FILTER`` as ``g DECam SDSS c0001 4720.0 1520.0``: the band is its
first word.

A deployment puts its own keywords first with ``FITSPORTAL_ARCHIVE_KEYWORDS``, e.g.
``band=WAVEBAND,FILT_ID;object=FIELD`` (settings.ARCHIVE_KEYWORDS); the defaults stay
behind them. HST's ``FILTER1 = 'CLEAR1L'`` style placeholders are skipped for bands:
``CLEAR``/``OPEN``/``N/A`` name no filter, and the next keyword is tried (ACS's
``FILTER2``).
"""

import math
import re
import unicodedata
from datetime import UTC, datetime

DEFAULT_KEYWORDS = {
    "object": ["OBJECT", "TARGNAME", "OBJNAME", "TARGET"],
    "band": [
        "FILTER",
        "FILTNAM1",
        "FILTER1",
        "FILTER01",
        "BAND",
        "FILTNAME",
        "FILTNAM2",
        "FILTER2",
    ],  # fmt: skip
    "instrument": ["INSTRUME"],
    "telescope": ["TELESCOP", "OBSERVAT"],
    "date_obs": [
        "DATE-OBS",
        "DATE-BEG",
        "DATE_OBS",
        "MJD-OBS",
        "MJD-BEG",
        "MJD_OBS",
        "EXPSTART",
    ],  # fmt: skip
    "exptime": ["EXPTIME", "EXPOSURE", "TEXPTIME", "XPOSURE", "ITIME", "ELAPTIME"],
    "bunit": ["BUNIT"],
}
TEXT_LENGTH = 100  # characters kept of text columns
# Identifiers of an observation, made search words: Spitzer's AOR key, HST's dataset
# name, DECam's exposure number, an archive's observation id.
IDENTIFIER_KEYWORDS = ("AORKEY", "ROOTNAME", "EXPNUM", "OBSID", "OBS_ID")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?")
_NO_FILTER = re.compile(r"^(clear\w*|open|n/?a|none|empty|-+)$", re.IGNORECASE)
_DECAM_FILTER = re.compile(r"^(\S+) DECam\b")
MJD_KEYWORDS = ("MJD-OBS", "MJD_OBS", "MJD-BEG", "MJD-AVG", "MJD", "EXPSTART", "MJDSTART")
CLOCK_KEYWORDS = ("TIME-OBS", "UT", "UTSTART", "UTC-OBS", "TIME_OBS", "TAIHMS")
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?")


def parse_keywords_setting(text):
    """``field=KEY1,KEY2;field=KEY3`` -> {field: [KEY1, KEY2], ...}; ValueError if a
    field is not one of the mapped columns or a keyword is not a FITS keyword."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        field, _, keys = part.partition("=")
        field = field.strip().lower()
        if field not in DEFAULT_KEYWORDS:
            raise ValueError(f"{field!r} is not one of {', '.join(DEFAULT_KEYWORDS)}")
        names = [k.strip().upper() for k in keys.split(",") if k.strip()]
        for name in names:
            if not re.fullmatch(r"[A-Z0-9_-]{1,8}", name):
                raise ValueError(f"{name!r} is not a FITS keyword")
        mapping[field] = names
    return mapping


def keyword_mapping(extra=None):
    """The mapping in use: ``extra`` keywords before the defaults, field by field."""
    extra = extra or {}
    return {
        field: list(dict.fromkeys(list(extra.get(field, [])) + defaults))
        for field, defaults in DEFAULT_KEYWORDS.items()
    }


def lookup(headers, keywords, accept=lambda value: True):
    """The first value of ``keywords`` (in order) found in ``headers`` (in order)."""
    for keyword in keywords:
        for header in headers:
            value = header.get(keyword)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if accept(value):
                return keyword, value
    return None, None


def text(value):
    """A header value as a stripped, bounded string."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())[:TEXT_LENGTH]


def object_key(value):
    """How object names compare: case, spaces and punctuation aside ("M 42" = "m42")."""
    return "".join(words(value))[:TEXT_LENGTH]


def words(value):
    """Lower-case ASCII words of a text: what full-text search matches, by prefix."""
    folded = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", folded.lower())


def number(value):
    """A finite float from a header value, or None."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def observation_time(keyword, value, headers):
    """The UTC datetime of an observation keyword's value (ISO date, FITS date with
    a time keyword, ``dd/mm/yy``, or MJD), or None if it reads as none."""
    from astropy.time import Time

    try:
        if keyword.upper() in MJD_KEYWORDS or keyword.upper().startswith("MJD"):
            mjd = number(value)
            if mjd is None:
                return None
            moment = Time(mjd, format="mjd", scale="utc")
            return _within_range(moment.to_datetime(timezone=UTC))
        value = str(value).strip()
        if re.fullmatch(r"\d{2}/\d{2}/\d{2}", value):  # the old dd/mm/yy form
            day, month, year = value.split("/")
            value = f"19{year}-{month}-{day}"
        scale = "utc"
        if "T" not in value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            found, clock = lookup(headers, CLOCK_KEYWORDS)
            if clock is not None and _CLOCK.fullmatch(str(clock).strip()):
                value = f"{value}T{str(clock).strip()}"
                scale = "tai" if found == "TAIHMS" else "utc"
        value = value.removesuffix("Z")
        if scale == "utc" and _ISO_TIME.fullmatch(value):  # read without astropy's cost
            return _within_range(datetime.fromisoformat(value).replace(tzinfo=UTC))
        moment = Time(value, format="isot" if "T" in value else "iso", scale=scale)
        return _within_range(moment.utc.to_datetime(timezone=UTC))
    except (ValueError, TypeError, OverflowError):
        return None


def _within_range(moment):
    if not datetime(1000, 1, 1, tzinfo=UTC) < moment < datetime(3000, 1, 1, tzinfo=UTC):
        return None
    return moment


def identifier_words(headers):
    """The search words of the identifiers ``headers`` hold (``IDENTIFIER_KEYWORDS``)."""
    found = []
    for keyword in IDENTIFIER_KEYWORDS:
        _, value = lookup(headers, [keyword])
        if value is not None and not isinstance(value, bool):
            found += words(text(value))
    return found


def band_name(value):
    """The band of a filter keyword's value: DECam's first word, else the value."""
    name = text(value)
    decam = _DECAM_FILTER.match(name)
    return decam.group(1) if decam else name


def normalised_values(headers, mapping):
    """The searchable columns from ``headers`` (dicts of keyword -> JSON value)."""
    values = {}
    for field in ("object", "instrument", "telescope", "bunit"):
        _, value = lookup(headers, mapping[field])
        values[field] = text(value) if value is not None else ""
    _, band = lookup(
        headers, mapping["band"], accept=lambda v: not _NO_FILTER.match(str(v).strip())
    )
    values["band"] = band_name(band) if band is not None else ""
    values["object_key"] = object_key(values["object"])
    values["date_obs"] = None
    for keyword in mapping["date_obs"]:
        found, value = lookup(headers, [keyword])
        if found is not None:
            values["date_obs"] = observation_time(found, value, headers)
            if values["date_obs"] is not None:
                break
    _, exptime = lookup(headers, mapping["exptime"], accept=lambda v: number(v) is not None)
    values["exptime"] = number(exptime) if exptime is not None else None
    return values
