"""Images with footprints and metadata scattered around a few fields (and around a pole
and ra = 0), in the three shared collections; no files: the stored header is enough."""

import hashlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from portal.models import Collection, Image
from tests.archive import skyref

FIELDS = [(150.0, 2.0), (0.5, -30.0), (359.5, 10.0), (45.0, 88.5), (270.0, -60.0)]
BANDS = ["g", "r", "i", "Ha", "R"]
INSTRUMENTS = ["WFC", "DECam", "MegaCam"]


def make_image(collection, index, wcs, extra=None):
    header = dict(wcs.to_header())
    header.update(NAXIS=2, NAXIS1=wcs.pixel_shape[0], NAXIS2=wcs.pixel_shape[1])
    header.update(extra or {})
    header = {k: v for k, v in header.items() if v is not None}
    return Image.objects.create(
        collection=collection,
        title=header.get("OBJECT") or f"image {index}",
        name=f"exp_{index:04d}.fits",
        path="",
        checksum=hashlib.sha256(f"{collection.pk}-{index}".encode()).hexdigest(),
        size=1000 + index,
        width=wcs.pixel_shape[0],
        height=wcs.pixel_shape[1],
        header=header,
    )


@pytest.fixture
def sky_images(collections):
    """~120 images: {image id: (wcs, header extras, collection)}."""
    rng = np.random.default_rng(42)
    targets = list(collections.values())
    made = {}
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for index in range(120):
        ra0, dec0 = FIELDS[index % len(FIELDS)]
        dec = float(np.clip(dec0 + rng.normal(0, 1.5), -89.5, 89.5))
        ra = (ra0 + rng.normal(0, 1.5) / max(np.cos(np.radians(dec)), 0.05)) % 360
        width, height = int(rng.integers(200, 3000)), int(rng.integers(200, 3000))
        scale = 10 ** rng.uniform(-4, -3.2)
        wcs = skyref.tan_wcs(ra, dec, width, height, scale, rng.uniform(0, 360))
        extras = {
            "OBJECT": f"NGC {1000 + index % 7}" if index % 3 else "M 42",
            "FILTER": BANDS[index % len(BANDS)] if index % 11 else None,
            "INSTRUME": INSTRUMENTS[index % 3],
            "TELESCOP": "Blanco" if index % 2 else "CFHT",
            "DATE-OBS": (start + timedelta(hours=7 * index)).isoformat()[:19]
            if index % 9
            else None,
            "EXPTIME": float(30 * (index % 10)) if index % 13 else None,
            "AIRMASS": round(1 + (index % 5) / 10, 1),
            "BUNIT": "ADU" if index % 4 else "electron/s",
            "DITHERED": index % 4 == 1,
        }
        collection = targets[index % 3]
        image = make_image(collection, index, wcs, extras)
        made[image.pk] = (wcs, extras, collection)
    return made


@pytest.fixture
def visible(collections):
    """user name (None: anonymous) -> the collections that user may see, by the rule
    of the portal's docs (not by asking the code under test)."""
    return {
        None: {collections[Collection.PUBLIC].pk},
        "other": {collections[Collection.PUBLIC].pk, collections[Collection.TEAM].pk},
        "owner": {c.pk for c in collections.values()},
    }
