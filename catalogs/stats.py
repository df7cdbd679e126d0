"""Measurements on an image's float pixels: region statistics and star photometry.

Thin adapters around ``tiles/engine/regionstats.py`` and ``tiles/engine/photometry.py``:
parse the request, find the image (404 for one the user may not see, as if it did not
exist) and the regions (features of a catalog the user may see, or shapes drawn and sent
inline), take a heavy-work slot, call the engine.
"""

import warnings

from astropy.wcs import WCS, FITSFixedWarning
from django.conf import settings
from rest_framework.exceptions import NotFound, ValidationError

from catalogs.importers import CatalogImportError
from catalogs.importers.geojson import validate_feature
from catalogs.models import Catalog, Feature
from portal import permissions
from tiles import heavy, service
from tiles.engine.photometry import csv_row, measure_star
from tiles.engine.regionstats import MODES, RegionError, region_statistics, shape_from_feature
from tiles.numbers import number

MAX_SHAPES = 1000  # regions of one statistics request


def image_for(user, image_id):
    image = permissions.viewable_image_cached(
        user, number("image", str(image_id), 1, 2**63 - 1, integer=True)
    )
    if image is None:
        raise NotFound("No such image.")
    return image


def celestial_wcs(data):
    """The astropy WCS of the image's header if it is celestial, else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(data.source.fits_header)
        except Exception:  # a header astropy cannot read as a WCS: pixels only
            return None
    return wcs if wcs.has_celestial else None


def channels_of(values, count):
    if not values:
        return list(range(count))
    if len(values) > settings.MAX_REQUEST_CHANNELS:
        raise ValidationError(
            {"detail": f"channel: at most {settings.MAX_REQUEST_CHANNELS} channels."}
        )
    return [number("channel", str(v), 1, count, integer=True) - 1 for v in values]


def features_for(user, body, image):
    """The GeoJSON features a request names: ``catalog`` and ``ids`` (stored features of a
    catalog the user may see), and/or ``features`` (shapes drawn, sent inline)."""
    found = []
    if body.get("catalog") is not None:
        pk = number("catalog", str(body["catalog"]), 1, 2**63 - 1, integer=True)
        catalog = Catalog.objects.visible_to(user).filter(pk=pk, state=Catalog.READY).first()
        if catalog is None:
            raise NotFound("No such catalog.")
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids or len(ids) > MAX_SHAPES:
            raise ValidationError({"detail": f"ids: a list of 1 to {MAX_SHAPES} feature ids."})
        wanted = [number("ids", str(i), 1, 2**63 - 1, integer=True) for i in ids]
        rows = Feature.objects.filter(catalog=catalog, pk__in=wanted).values_list(
            "pk", "geometry", "properties"
        )
        by_id = {pk: {"type": "Feature", "geometry": g, "properties": p} for pk, g, p in rows}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise ValidationError({"detail": f"ids: no feature {missing[0]} in this catalog."})
        linked = list(catalog.images.values_list("pk", flat=True)[:2])
        pixels = any((by_id[i]["properties"] or {}).get("frame") == "image" for i in wanted)
        if pixels and linked != [image.pk]:
            raise ValidationError({"detail": "These regions are in the pixels of another image."})
        found += [by_id[i] for i in wanted]
    inline = body.get("features")
    if inline is not None:
        if not isinstance(inline, list) or len(inline) > MAX_SHAPES:
            raise ValidationError({"detail": f"features: a list of at most {MAX_SHAPES} features."})
        try:
            found += [
                validate_feature(f, n, settings.MAX_FEATURE_BYTES) for n, f in enumerate(inline)
            ]
        except CatalogImportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
    if not found:
        raise ValidationError({"detail": "Name the regions: catalog and ids, or features."})
    if len(found) > MAX_SHAPES:
        raise ValidationError({"detail": f"at most {MAX_SHAPES} regions at once."})
    return found


def statistics(user, body):
    """The answer of a statistics request (a dict): per channel, see regionstats."""
    if not isinstance(body, dict):
        raise ValidationError({"detail": "A JSON object is expected."})
    image = image_for(user, body.get("image", ""))
    mode = body.get("mode", "exact")
    if mode not in MODES:
        raise ValidationError({"detail": f"mode: one of {', '.join(MODES)}."})
    features = features_for(user, body, image)
    data = service.open_data(image)
    channels = channels_of(body.get("channel") or [], data.channels)
    wcs = celestial_wcs(data)
    try:
        shapes = [shape_from_feature(f, wcs) for f in features]
        with heavy.slot("region"):
            results = region_statistics(
                data.source.region, data.width, data.height, channels, shapes, mode=mode, wcs=wcs,
                max_pixels=settings.MAX_REGION_PIXELS,
            )  # fmt: skip
    except RegionError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    unit = str(data.source.fits_header.get("BUNIT", "") or "")
    return {"image": image.pk, "mode": mode, "unit": unit,
            "surface_brightness_unit": f"{unit}/arcsec2" if unit else "per arcsec2",
            "regions": len(shapes), "channels": results}  # fmt: skip


def measurement(user, query):
    """(dict, csv text) of a star measured at ``x``, ``y`` (FITS pixels) of ``image``."""
    image = image_for(user, query.get("image", ""))
    x = number("x", query.get("x", ""), -1e9, 1e9)
    y = number("y", query.get("y", ""), -1e9, 1e9)
    data = service.open_data(image)
    (channel,) = channels_of([query.get("channel", "1")], data.channels)
    aperture = number("aperture", query["aperture"], 0.1, 500) if "aperture" in query else None
    annulus = None
    if "inner" in query or "outer" in query:
        annulus = (
            number("inner", query.get("inner", ""), 0.1, 1000),
            number("outer", query.get("outer", ""), 0.1, 1000),
        )
    if not (1 <= x <= data.width and 1 <= y <= data.height):
        raise ValidationError({"detail": "x, y: a pixel of the image (FITS, 1-based)."})
    try:
        with heavy.slot("profile"):
            result = measure_star(data.source.region, data.width, data.height, x, y, channel,
                                  aperture=aperture, annulus=annulus, wcs=celestial_wcs(data))  # fmt: skip
    except RegionError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    result["image"] = image.pk
    return result, csv_row(result)
