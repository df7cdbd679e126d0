"""Saving imported features: a catalog and all its feature rows, or nothing."""

from django.db import transaction

from catalogs.geometry import feature_center
from catalogs.models import Catalog, Feature

BATCH = 2000


def feature_row(catalog, feature):
    """A ``Feature`` row for a GeoJSON feature (sky or image frame)."""
    properties = dict(feature.get("properties") or {})
    frame = Feature.IMAGE if properties.get("frame") == "image" else Feature.SKY
    lon, lat = feature_center(feature)
    row = Feature(
        catalog=catalog,
        frame=frame,
        geometry=feature["geometry"],
        properties=properties,
    )
    if frame == Feature.SKY:
        row.ra, row.dec = lon % 360.0, lat
    else:
        row.x, row.y = lon, lat
    return row


def sky_bounds(rows):
    """(ra_min, ra_max, dec_min, dec_max) of sky rows; RA wraps through 0 if narrower."""
    ras = sorted(row.ra for row in rows if row.frame == Feature.SKY)
    decs = [row.dec for row in rows if row.frame == Feature.SKY]
    if not ras:
        return None, None, None, None
    # The smallest arc holding every RA: the complement of the widest gap between them.
    gaps = [(ras[i + 1] - ras[i], i) for i in range(len(ras) - 1)]
    gaps.append((ras[0] + 360.0 - ras[-1], len(ras) - 1))
    width, i = max(gaps)
    if i == len(ras) - 1:
        ra_min, ra_max = ras[0], ras[-1]
    else:
        ra_min, ra_max = ras[i + 1], ras[i]
    return ra_min, ra_max, min(decs), max(decs)


@transaction.atomic
def create_catalog(collection, features, *, name, owner=None, images=(), **fields):
    """Create a catalog holding ``features`` (GeoJSON dicts) in one transaction."""
    catalog = Catalog.objects.create(collection=collection, name=name, owner=owner, **fields)
    if images:
        catalog.images.set(images)
    add_features(catalog, features)
    return catalog


@transaction.atomic
def add_features(catalog, features):
    rows = [feature_row(catalog, feature) for feature in features]
    Feature.objects.bulk_create(rows, batch_size=BATCH)
    refresh_summary(catalog)
    return rows


def refresh_summary(catalog):
    positions = [
        Feature(frame=Feature.SKY, ra=ra, dec=dec)
        for ra, dec in catalog.features.filter(frame=Feature.SKY).values_list("ra", "dec")
    ]
    catalog.ra_min, catalog.ra_max, catalog.dec_min, catalog.dec_max = sky_bounds(positions)
    catalog.feature_count = catalog.features.count()
    catalog.save(
        update_fields=["ra_min", "ra_max", "dec_min", "dec_max", "feature_count", "updated"]
    )
