"""Object names to sky positions, for the viewer's go-to.

A name is looked for, in this order, among what the user may see:

1. the features of the portal's own catalogs, by their ``name`` (or ``label``, or a
   ds9 region's ``text``) property, case and spaces aside ("M51" = "m 51"); the
   catalogs of the image's collection first (a scan of their features' names, without
   an index: 0.3 s with PostgreSQL, 0.7 s with SQLite for 200,000 features, medians on
   a busy two-core machine);
2. the images' ``OBJECT`` (the archive's normalised object, ``archive/keywords.py``):
   the centre of that image's footprint, the image being viewed first;
3. Sesame (CDS), through astropy, when the deployment allows it (``SESAME_ENABLED``):
   one URL, ``SESAME_TIMEOUT`` seconds at most, answers kept in the cache.

Only sky features count (pixel-frame regions have no position of their own).
"""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower, Replace

from archive.keywords import object_key
from archive.models import ImageMetadata
from catalogs.models import Catalog, Feature
from portal.models import Image

MAX_NAME = 100  # characters of a name
NAME_PROPERTIES = ("name", "label", "text")
FOUND_SECONDS = 86400  # how long a Sesame answer is kept
UNKNOWN_SECONDS = 3600  # how long "Sesame does not know it" is kept


class BadName(ValueError):
    """A name that cannot be asked (empty, too long, control characters)."""


class ResolverUnavailable(RuntimeError):
    """Sesame did not answer (timeout, network, server error)."""


def clean(name):
    """The name with its spaces collapsed; BadName if it cannot be asked."""
    text = " ".join(str(name or "").split())
    if not text:
        raise BadName("name: an object name, e.g. M51 or NGC 5194.")
    if len(text) > MAX_NAME:
        raise BadName(f"name: at most {MAX_NAME} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadName("name: no control characters.")
    return text


def resolve(user, name, image=None):
    """{name, ra, dec, source, detail} for ``name`` (ICRS degrees), or None if unknown.

    ``image``: the Image being viewed (its catalogs and itself are tried first).
    Raises BadName for a name that cannot be asked, ResolverUnavailable when Sesame
    was needed and did not answer."""
    name = clean(name)
    found = in_catalogs(user, name, image) or in_images(user, name, image)
    if found is None and settings.SESAME_ENABLED:
        found = sesame(name)
    if found is not None:
        found["name"] = name
    return found


def in_catalogs(user, name, image=None):
    """The first sky feature of a ready catalog the user may see named ``name``."""
    wanted = name.replace(" ", "").lower()
    keys = {f"name_{key}": Lower(Replace(KeyTextTransform(key, "properties"), Value(" "), Value(""),
                                       output_field=TextField()))
            for key in NAME_PROPERTIES}  # fmt: skip
    match = Q()
    for key in keys:
        match |= Q(**{key: wanted})
    catalogs = Catalog.objects.visible_to(user).filter(state=Catalog.READY)
    scopes = [catalogs]
    if image is not None:  # the viewed image's collection first, then the others
        scopes = [catalogs.filter(collection_id=image.collection_id),
                  catalogs.exclude(collection_id=image.collection_id)]  # fmt: skip
    for scope in scopes:
        row = (
            Feature.objects.filter(catalog__in=scope, frame=Feature.SKY, ra__isnull=False)
            .alias(**keys)
            .filter(match)
            .values("ra", "dec", "catalog__name")
            .first()
        )
        if row is not None:
            return {"ra": row["ra"], "dec": row["dec"], "source": "catalog",
                    "detail": row["catalog__name"]}  # fmt: skip
    return None


def in_images(user, name, image=None):
    """The footprint centre of an image the user may see whose OBJECT is ``name``."""
    key = object_key(name)
    if not key:
        return None
    rows = ImageMetadata.objects.filter(
        object_key=key, ra__isnull=False, image__in=Image.objects.visible_to(user)
    ).select_related("image")
    row = None
    if image is not None:
        row = rows.filter(image_id=image.pk).first()
    row = row or rows.order_by("-image_id").first()
    if row is None:
        return None
    return {"ra": row.ra, "dec": row.dec, "source": "image",
            "detail": row.image.title or row.image.name}  # fmt: skip


def _cache_key(name):
    return "fitsportal-sesame:" + hashlib.sha256(name.lower().encode()).hexdigest()[:32]


def sesame(name):
    """Sesame's ICRS position of ``name`` (cached), None if it knows no such object."""
    key = _cache_key(name)
    kept = cache.get(key)
    if kept is not None:
        return dict(kept) if kept.get("ra") is not None else None
    from astropy.coordinates import name_resolve
    from astropy.utils.data import conf

    try:
        with (
            name_resolve.sesame_url.set([settings.SESAME_URL]),
            conf.set_temp("remote_timeout", settings.SESAME_TIMEOUT),
        ):
            coordinates = name_resolve.get_icrs_coordinates(name, parse=False, cache=False)
    except name_resolve.NameResolveError as exc:
        if "Unable to find coordinates" not in str(exc):
            raise ResolverUnavailable("Sesame did not answer; try again later.") from exc
        cache.set(key, {"ra": None}, UNKNOWN_SECONDS)
        return None
    except OSError as exc:  # a server error page, a refused connection
        raise ResolverUnavailable("Sesame did not answer; try again later.") from exc
    ra, dec = float(coordinates.ra.deg), float(coordinates.dec.deg)
    if not (math.isfinite(ra) and math.isfinite(dec)):
        return None
    found = {"ra": ra % 360.0, "dec": dec, "source": "sesame", "detail": "Sesame (CDS)"}
    cache.set(key, found, FOUND_SECONDS)
    return dict(found)
