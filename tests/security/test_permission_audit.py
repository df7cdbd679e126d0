"""Every URL pattern of the project, enumerated from the resolver (new endpoints are
covered automatically), asked by an anonymous visitor and by an unrelated user for a
private image, collection and catalog: no data of them comes back."""

import re

import numpy as np
import pytest
from astropy.io import fits
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from catalogs import storage
from portal import permissions
from portal.models import Collection
from portal.registration import register_path

pytestmark = pytest.mark.django_db

MARKER = "zq-secret"
# What the value of each URL parameter is, by name (and by the route's prefix for pk).
QUERIES = ["", "?x=1&y=1", "?x1=1&y1=1&x2=4&y2=4", "?bbox=0,-90,360,90", "?ra=10&dec=20&radius=5",
           "?as=csv"]  # fmt: skip


def patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def concrete(route, ids):
    """A path for a route pattern (Django ``<conv:name>`` or regex groups), or None."""
    if "format" in route:
        return None  # DRF's format-suffix twins of the same views
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")

    def value(name, context):
        if name in ("image_id",):
            return str(ids["image"])
        if name == "slug":
            return ids["collection"]
        if name == "pk":
            for key in ("catalogs", "images", "collections"):
                if key in context:
                    return str(ids[key.rstrip("s")])
            return "1"
        if name in ("z", "x", "y"):
            return "0"
        if name == "fmt":
            return "jpg"
        return "1"

    def replace(match):
        return value(match.group("name"), route[: match.start()])

    route = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", replace, route)
    route = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", replace, route)
    if re.search(r"[()\[\]*+?\\]", route):
        return None
    return "/" + route


@pytest.fixture
def secret(users, settings):
    owner = users["owner"]
    collection = Collection.objects.create(name=f"{MARKER} collection", slug=MARKER, owner=owner)
    path = settings.UPLOAD_ROOT / f"{MARKER}.fits"
    header = fits.Header()
    header["OBJECT"] = f"{MARKER} object"
    fits.PrimaryHDU(np.arange(64, dtype=np.float32).reshape(8, 8), header).writeto(path)
    image = register_path(collection, path, title=f"{MARKER} image")
    catalog = storage.create_catalog(
        collection,
        [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 20.0]},
          "properties": {"name": f"{MARKER} source"}}],
        name=f"{MARKER} catalog",
    )  # fmt: skip
    permissions.forget_cached_access()
    return {"image": image.pk, "collection": MARKER, "catalog": catalog.pk}


def test_every_url_is_covered(secret):
    routes = list(patterns())
    paths = [concrete(route, secret) for route in routes]
    assert len([p for p in paths if p]) >= 25
    assert any("/tiles/" in p for p in paths if p) and any("catalogs" in p for p in paths if p)


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_no_private_data_reaches_others(users, secret, who):
    client = APIClient()
    if who == "other":
        client.force_login(users["other"])
    checked = 0
    for route in patterns():
        path = concrete(route, secret)
        if path is None:
            continue
        urls = [path + query for query in QUERIES]
        urls += [f"/iip/?FIF={secret['image']}&INFO", f"/iip/?FIF={MARKER}/{MARKER}.fits&JTL=0,0"]
        for url in urls:
            response = client.get(url)
            checked += 1
            body = response.content.decode("latin-1").lower()
            assert MARKER not in body.replace(f"/{MARKER}/", "/").replace(f"fif={MARKER}", ""), url
            if response.status_code == 200:
                assert not response.get("Content-Type", "").startswith(
                    ("image/", "application/fits")
                ), url
    assert checked > 200


def test_the_audit_reaches_the_data(users, secret):
    """The same walk as the owner finds the private data: the audit is not vacuous."""
    client = APIClient()
    client.force_login(users["owner"])
    revealing, images = 0, 0
    for route in patterns():
        path = concrete(route, secret)
        if path is None:
            continue
        for url in [path + query for query in QUERIES]:
            response = client.get(url)
            revealing += MARKER in response.content.decode("latin-1").lower()
            images += response.get("Content-Type", "").startswith(("image/", "application/fits"))
    assert revealing >= 8 and images >= 3, (revealing, images)
