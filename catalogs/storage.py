"""Saving imported features: a catalog and all its feature rows, or nothing."""

from array import array

import numpy as np
from django.db import connection, transaction

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


def sky_bounds(ras, decs):
    """(ra_min, ra_max, dec_min, dec_max) of sky positions (degrees); the RA range is
    the smallest arc holding every RA, so it wraps through 0 when that is narrower."""
    ras = np.sort(np.asarray(ras, dtype=float))
    if not ras.size:
        return None, None, None, None
    # The smallest arc holding every RA: the complement of the widest gap between them.
    gaps = np.append(np.diff(ras), ras[0] + 360.0 - ras[-1])
    widest = len(gaps) - 1 - int(np.argmax(gaps[::-1]))  # the last of equal gaps
    if widest == len(ras) - 1:
        ra_min, ra_max = ras[0], ras[-1]
    else:
        ra_min, ra_max = ras[widest + 1], ras[widest]
    decs = np.asarray(decs, dtype=float)
    return float(ra_min), float(ra_max), float(decs.min()), float(decs.max())


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
    rows = write_features(catalog, features)
    refresh_summary(catalog)
    return rows


def write_features(catalog, features):
    rows = [feature_row(catalog, feature) for feature in features]
    Feature.objects.bulk_create(rows, batch_size=BATCH)
    return rows


@transaction.atomic  # one commit per batch (autocommit would commit every row)
def insert_features(catalog, features):
    """Insert feature rows with one ``executemany`` (the import's hot loop: the ORM's
    model instances and per-field compilation cost several times the insert itself).
    Values go through the fields' own database preparation, as ``bulk_create``'s do."""
    fields = [Feature._meta.get_field(name) for name in INSERT_COLUMNS]
    geometry, properties = fields[6], fields[7]
    params = []
    for feature in features:
        props = feature.get("properties") or {}
        lon, lat = feature_center(feature)
        if props.get("frame") == "image":
            position = (Feature.IMAGE, None, None, lon, lat)
        else:
            position = (Feature.SKY, lon % 360.0, lat, None, None)
        params.append((catalog.pk, *position, geometry.get_db_prep_save(feature["geometry"], connection),
                       properties.get_db_prep_save(props, connection)))  # fmt: skip
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(Feature._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * len(fields))})")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


INSERT_COLUMNS = ("catalog", "frame", "ra", "dec", "x", "y", "geometry", "properties")


def refresh_summary(catalog, save=True):
    """Feature count and sky bounding box from the rows (8 bytes per sky feature read)."""
    ras, decs = array("d"), array("d")
    positions = catalog.features.filter(frame=Feature.SKY).values_list("ra", "dec")
    for ra, dec in positions.iterator(chunk_size=BATCH * 5):
        ras.append(ra)
        decs.append(dec)
    catalog.ra_min, catalog.ra_max, catalog.dec_min, catalog.dec_max = sky_bounds(ras, decs)
    catalog.feature_count = catalog.features.count()
    if save:
        catalog.save(
            update_fields=["ra_min", "ra_max", "dec_min", "dec_max", "feature_count", "updated"]
        )
