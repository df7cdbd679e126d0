"""Survey catalogs (Gaia DR3, 2MASS, AllWISE, SDSS, Pan-STARRS, GALEX) from VizieR,
queried by the server for the field of an image in view, as GeoJSON features drawn like
the portal's own catalogs.

Off unless the deployment sets ``SURVEY_CATALOGS_ENABLED``; VizieR is asked at
``VIZIER_URL`` (a VOTable query URL, ``.../viz-bin/votable``) through astroquery. Each
request's cone is snapped to a grid whose cell grows with the cone (``field``), so that
a pan or a zoom within a field reads the answer kept in the cache
(``SURVEY_CACHE_SECONDS``, per VizieR server) instead of asking again. A cone is at most
``SURVEY_MAX_RADIUS`` degrees and an answer at most ``SURVEY_MAX_ROWS`` rows, the
brightest first, within ``SURVEY_TIMEOUT`` seconds. Positions are VizieR's computed
``_RAJ2000``/``_DEJ2000`` (ICRS at epoch J2000) for every survey alike.
"""

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache

from catalogs.geometry import angular_distance, header_wcs


@dataclass(frozen=True)
class Survey:
    key: str
    name: str
    catalog: str  # the VizieR table
    identifier: str  # its column naming a source
    magnitudes: tuple  # columns kept; the first sorts the rows (brightest first)


SURVEYS = {
    survey.key: survey
    for survey in (
        Survey("gaia-dr3", "Gaia DR3", "I/355/gaiadr3", "Source", ("Gmag", "BPmag", "RPmag")),
        Survey("2mass", "2MASS", "II/246/out", "2MASS", ("Jmag", "Hmag", "Kmag")),
        Survey(
            "allwise", "AllWISE", "II/328/allwise", "AllWISE", ("W1mag", "W2mag", "W3mag", "W4mag")
        ),
        Survey(
            "sdss-dr12",
            "SDSS DR12",
            "V/147/sdss12",
            "SDSS12",
            ("rmag", "umag", "gmag", "imag", "zmag"),
        ),
        Survey(
            "panstarrs1",
            "Pan-STARRS1",
            "II/349/ps1",
            "objID",
            ("rmag", "gmag", "imag", "zmag", "ymag"),
        ),
        Survey("galex-ais", "GALEX AIS", "II/312/ais", "objid", ("NUV", "FUV")),
    )  # fmt: skip
}


class SurveyUnavailable(RuntimeError):
    """VizieR did not answer in time, or not with a VOTable."""


@dataclass(frozen=True)
class Field:
    """The cone asked of VizieR for a requested cone: snapped centre, radius (degrees)."""

    ra: float
    dec: float
    radius: float

    @property
    def key(self):
        return f"{self.ra:.6f}:{self.dec:+.6f}:{self.radius:.6f}"


def field(ra, dec, radius):
    """The cached field that holds the cone (``ra``, ``dec``, ``radius``), capped at
    ``SURVEY_MAX_RADIUS``: its size is the cone's rounded up to a power of two of the
    cap, its centre the nearest node of a grid of half that size."""
    cap = settings.SURVEY_MAX_RADIUS
    radius = min(max(radius, 1.0 / 3600.0), cap / 1.5)
    base = cap / 1.5
    size = base / 2 ** max(0, math.floor(math.log2(base / radius)))
    step = size / 2.0
    dec_node = max(-90.0, min(90.0, round(dec / step) * step))
    cos_dec = math.cos(math.radians(dec_node))
    ra_step = step / cos_dec if cos_dec > 1e-6 else 360.0
    ra_node = 0.0 if ra_step >= 180.0 else (round(ra / ra_step) * ra_step) % 360.0
    offset = float(angular_distance(ra_node, dec_node, np.array([ra]), np.array([dec]))[0])
    if offset + radius > 1.5 * size:  # near a pole: the cone itself, to the arcsecond
        return Field(round(ra % 360.0, 4), round(dec, 4), min(cap, radius + 1e-3))
    return Field(ra_node, dec_node, 1.5 * size)


def image_field(image):
    """(ra, dec, radius): the ICRS centre of the image's field and the distance to its
    farthest corner (degrees), from the archive's footprint, or, where it has none (a WCS
    in galactic or ecliptic coordinates), from the header's WCS; None without a sky."""
    from archive.models import ImageMetadata

    meta = ImageMetadata.objects.filter(image_id=image.pk).first()
    if meta is not None and meta.ra is not None:
        return meta.ra, meta.dec, meta.radius or 0.0
    wcs = header_wcs(image.header)
    if wcs is None or not image.width or not image.height:
        return None
    w, h = image.width, image.height
    xs = np.array([(w - 1) / 2, -0.5, w - 0.5, -0.5, w - 0.5])  # 0-based pixel centres
    ys = np.array([(h - 1) / 2, -0.5, -0.5, h - 0.5, h - 0.5])
    try:
        points = wcs.pixel_to_world(xs, ys).icrs
    except Exception:  # astropy raises many kinds for a frame it cannot convert
        return None
    ras, decs = points.ra.deg, points.dec.deg
    if not (np.all(np.isfinite(ras)) and np.all(np.isfinite(decs))):
        return None
    radius = float(angular_distance(ras[0], decs[0], ras[1:], decs[1:]).max())
    return float(ras[0]) % 360.0, float(decs[0]), radius


def query(survey, ra, dec, radius):
    """{survey, cone, features, count, truncated} for the field holding the cone."""
    cone = field(ra, dec, radius)
    server = hashlib.sha256(settings.VIZIER_URL.encode()).hexdigest()[:12]
    key = f"fitsportal-survey:{server}:{survey.key}:{settings.SURVEY_MAX_ROWS}:{cone.key}"
    kept = cache.get(key)
    if kept is None:
        kept = features(survey, ask_vizier(survey, cone))
        kept["cone"] = {"ra": cone.ra, "dec": cone.dec, "radius": cone.radius}
        cache.set(key, kept, settings.SURVEY_CACHE_SECONDS)
    return {"survey": survey.key, "name": survey.name, **kept}


def ask_vizier(survey, cone):
    """The astropy Table VizieR answers for the cone (empty when it holds no source)."""
    import astropy.units as u
    import requests
    from astropy.coordinates import SkyCoord
    from astropy.table import Table
    from astroquery.vizier import VizierClass

    class VizieR(VizierClass):
        """astroquery's VizieR client, at the deployment's query URL."""

        def _server_to_url(self, return_type="votable"):
            return settings.VIZIER_URL

    columns = ["_RAJ2000", "_DEJ2000", survey.identifier, *survey.magnitudes,
               f"+{survey.magnitudes[0]}"]  # fmt: skip
    client = VizieR(columns=columns, row_limit=settings.SURVEY_MAX_ROWS,
                    timeout=settings.SURVEY_TIMEOUT)  # fmt: skip
    centre = SkyCoord(cone.ra * u.deg, cone.dec * u.deg, frame="icrs")
    try:
        tables = client.query_region(
            centre, radius=cone.radius * u.deg, catalog=survey.catalog, cache=False
        )
    except (requests.RequestException, OSError, ValueError) as exc:
        raise SurveyUnavailable(f"VizieR did not answer ({type(exc).__name__}).") from exc
    if tables is None or isinstance(tables, str | bytes):
        raise SurveyUnavailable("VizieR did not answer with a table.")
    return tables[0] if len(tables) else Table()


def features(survey, table):
    """GeoJSON point features of the table's rows with a position, and whether the row
    cap cut the answer."""
    if len(table) == 0 or "_RAJ2000" not in table.colnames:
        return {"features": [], "count": 0, "truncated": False}
    kept = [c for c in (survey.identifier, *survey.magnitudes) if c in table.colnames]
    ras = np.ma.filled(np.ma.asarray(table["_RAJ2000"], dtype=float), np.nan)
    decs = np.ma.filled(np.ma.asarray(table["_DEJ2000"], dtype=float), np.nan)
    found = []
    for n in range(min(len(table), settings.SURVEY_MAX_ROWS)):
        if not (math.isfinite(ras[n]) and math.isfinite(decs[n])):
            continue
        properties = {"catalog": survey.name}
        for column in kept:
            properties[column] = _plain(table[column][n])
        if properties.get(survey.identifier) is not None:
            properties["name"] = f"{survey.name} {properties[survey.identifier]}"
        found.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(ras[n]) % 360.0, float(decs[n])]},
            "properties": properties,
        })  # fmt: skip
    return {"features": found, "count": len(found),
            "truncated": len(table) >= settings.SURVEY_MAX_ROWS}  # fmt: skip


def _plain(value):
    """A table cell as JSON: None for a masked or non-finite value."""
    if value is np.ma.masked:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 4)
    return value if isinstance(value, int | str | bool) else str(value)
