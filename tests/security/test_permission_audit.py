"""Every URL pattern of the project, enumerated from the resolver (new endpoints are
covered automatically), asked by an anonymous visitor and by an unrelated user for a
private image, collection and catalog: no data of them comes back."""

import re

import numpy as np
import pytest
from asgiref.sync import async_to_sync
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
# Routes whose private data is asked by name: the sources and images an object name finds.
NAMED = [f"/api/resolve/?name={MARKER} source"]


def patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def concrete(route, ids):
    """A path for a route pattern (Django ``<conv:name>`` or regex groups), or None if
    it cannot be made (``test_every_url_is_covered`` asserts that none is)."""

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
        if name == "format":  # DRF's format-suffix twins: ask them for JSON
            return ".json" if "drf_format_suffix" in context else "json"
        if name == "app_label":
            return "portal"
        if name == "url":  # the admin's catch-all
            return "no-such-page/"
        return "1"

    def replace(match):
        return value(match.group("name"), route[: match.start()] + match.group(0))

    # Regex groups first: their own ``<name>`` must not be taken for a Django converter.
    route = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", replace, route)
    route = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", replace, route)
    route = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    if re.search(r"[()\[\]*+?\\{}<>]", route):
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
    skipped = [route for route in routes if concrete(route, secret) is None]
    assert skipped == []
    paths = [concrete(route, secret) for route in routes]
    assert len(routes) >= 90 and len(set(paths)) >= 85
    for expected in (
        f"/api/images/{secret['image']}/",
        f"/api/images/{secret['image']}.json/",
        f"/api/catalogs/{secret['catalog']}/",
        f"/api/catalogs/{secret['catalog']}/features/",
        f"/api/catalogs/{secret['catalog']}/export/",
        f"/api/collections/{MARKER}/",
        f"/api/collections/{MARKER}/images/",
        f"/c/{MARKER}/",
        f"/images/{secret['image']}/",
    ):
        assert expected in paths, expected


def body_of(response):
    if not response.streaming:
        return response.content
    content = response.streaming_content
    if hasattr(content, "__aiter__"):  # an async stream (catalog features and exports)

        async def read():
            return [chunk async for chunk in content]

        return b"".join(async_to_sync(read)())
    return b"".join(content)


def walk(client, secret, extra=()):
    """(url, response, body) for every route with every query (none is skipped)."""
    for route in patterns():
        path = concrete(route, secret)
        assert path is not None, route
        for url in [path + query for query in QUERIES] + list(extra):
            response = client.get(url)
            yield url, response, body_of(response)


def client_of(users, who):
    # A view that fails answers 500 here (as in production) instead of raising, so the
    # walk goes on: its failures are collected by test_no_route_fails.
    client = APIClient(raise_request_exception=False)
    if who != "anonymous":
        client.force_login(users[who])
    return client


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_no_private_data_reaches_others(users, secret, who):
    client = client_of(users, who)
    iip = [f"/iip/?FIF={secret['image']}&INFO", f"/iip/?FIF={MARKER}/{MARKER}.fits&JTL=0,0"] + NAMED
    checked = 0
    for url, response, content in walk(client, secret, iip):
        checked += 1
        body = content.decode("latin-1").lower()
        assert MARKER not in body.replace(f"/{MARKER}/", "/").replace(f"fif={MARKER}", ""), url
        if response.status_code == 200:
            assert not response.get("Content-Type", "").startswith(
                ("image/", "application/fits")
            ), url
    assert checked > 500


def test_the_audit_reaches_the_data(users, secret):
    """The same walk as the owner finds the private data, on the router's detail routes
    too: the audit is not vacuous."""
    revealing, images = set(), 0
    for url, response, content in walk(client_of(users, "owner"), secret, NAMED):
        if MARKER in content.decode("latin-1").lower():
            revealing.add(url.split("?")[0])
        images += response.get("Content-Type", "").startswith(("image/", "application/fits"))
    assert images >= 3, images
    for detail in (
        f"/api/images/{secret['image']}/",
        f"/api/catalogs/{secret['catalog']}/",
        f"/api/catalogs/{secret['catalog']}/features/",
        f"/api/catalogs/{secret['catalog']}/export/",
        f"/api/collections/{MARKER}/",
        f"/api/collections/{MARKER}/images/",
        f"/api/images/{secret['image']}.json/",
        f"/api/catalogs/{secret['catalog']}.json/",
        f"/api/collections/{MARKER}.json/",
        "/api/resolve/",
    ):
        assert detail in revealing, (detail, sorted(revealing))


def test_no_route_fails(users, secret):
    failures = []
    for who in ("owner", "other", "anonymous"):
        for url, response, _body in walk(client_of(users, who), secret):
            if response.status_code >= 500:
                failures.append((who, url, response.status_code))
    assert failures == []
