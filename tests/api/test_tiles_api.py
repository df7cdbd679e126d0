"""REST tiles and science endpoints: geometry, parameters, caching, permissions."""

import io

import numpy as np
import pytest
import simplejpeg
from astropy.io import fits
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portal import permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(users):
    permissions.forget_cached_access()
    client = APIClient()
    client.force_authenticate(users["other"])  # team visibility: any member
    return client


def decode(response):
    return simplejpeg.decode_jpeg(response.content, colorspace="GRAY")[..., 0]


def test_tile_geometry_and_flip(client, ramp_image):
    base = f"/api/images/{ramp_image.pk}/tiles"
    # 983 x 1061: 4 levels; z = 3 is full resolution, 4 x 5 tiles, border tiles smaller.
    corner = client.get(f"{base}/3/3/4.jpg")
    assert corner.status_code == 200 and corner["Content-Type"] == "image/jpeg"
    assert decode(corner).shape == (1061 - 1024, 983 - 768)
    assert decode(client.get(f"{base}/0/0/0.jpg")).shape == (133, 123)
    assert client.get(f"{base}/3/4/0.jpg").status_code == 400
    assert client.get(f"{base}/4/0/0.jpg").status_code == 400
    # Row 0 is the top: its values are the largest y, so brighter with a max cut.
    top = decode(client.get(f"{base}/3/0/0.jpg?min=0&max=10610000&gamma=1"))
    bottom = decode(client.get(f"{base}/3/0/4.jpg?min=0&max=10610000&gamma=1"))
    assert top[0].mean() > top[-1].mean() > bottom[0].mean() > bottom[-1].mean()


def test_png_and_webp(client, ramp_image):
    base = f"/api/images/{ramp_image.pk}/tiles/1/0/0"
    assert client.get(f"{base}.png").content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"{base}.webp").content[8:12] == b"WEBP"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("gamma=0", "gamma"),
        ("gamma=abc", "gamma"),
        ("quality=101", "quality"),
        ("colormap=rainbow", "colormap"),
        ("stretch=cube", "stretch"),
        ("channel=2", "channel"),
        ("minmax=1:5", "minmax"),
        ("minmax=2:1,5", "minmax"),
        ("contrast=nan", "contrast"),
        ("bogus=1", "bogus"),
    ],
)
def test_bad_parameters_get_400_naming_them(client, ramp_image, query, message):
    response = client.get(f"/api/images/{ramp_image.pk}/tiles/0/0/0.jpg?{query}")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_etag_and_304(client, ramp_image):
    url = f"/api/images/{ramp_image.pk}/tiles/2/1/1.jpg"
    first = client.get(url)
    etag = first["ETag"]
    # Private: kept but asked again each time, so a revoked grant holds at the next tile.
    assert etag.startswith('"') and first["Cache-Control"] == "private, no-cache"
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    other = client.get(url + "?colormap=hot")
    assert other["ETag"] != etag
    assert client.get(url + "?gamma=2.2")["ETag"] == etag  # defaults normalised


def test_a_revalidation_after_access_ends_is_refused(client, ramp_image, collections):
    """``no-cache``: the browser asks again with the ETag, and the answer checks access
    first -- a 304 while allowed, a 404 once the image is out of reach."""
    url = f"/api/images/{ramp_image.pk}/tiles/1/0/0.jpg"
    etag = client.get(url)["ETag"]
    iip = f"/iip/?FIF={ramp_image.pk}&JTL=1,0"
    iip_etag = client.get(iip)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(iip, HTTP_IF_NONE_MATCH=iip_etag).status_code == 304
    ramp_image.collection = collections["private"]  # "other" may no longer see it
    ramp_image.save()
    permissions.forget_cached_access()
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.get(iip, HTTP_IF_NONE_MATCH=iip_etag).status_code == 404


def test_public_images_are_publicly_cacheable(client, ramp_image, collections):
    ramp_image.collection = collections["public"]
    ramp_image.save()
    permissions.forget_cached_access()
    response = APIClient().get(f"/api/images/{ramp_image.pk}/tiles/0/0/0.jpg")
    assert response["Cache-Control"].startswith("public, max-age=")


def test_no_query_per_tile_after_the_first(users, ramp_image):
    permissions.forget_cached_access()
    from django.test import Client

    client = Client()
    client.force_login(users["other"])
    client.get(f"/api/images/{ramp_image.pk}/tiles/2/0/0.jpg")
    with CaptureQueriesContext(connection) as queries:
        for x in range(2):
            assert client.get(f"/api/images/{ramp_image.pk}/tiles/2/{x}/1.jpg").status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]


@pytest.mark.parametrize("who", ["anonymous", "nobody"])
def test_invisible_image_is_404_on_every_pixel_endpoint(
    ramp_image, collections, who, django_user_model
):
    ramp_image.collection = collections["private"]
    ramp_image.save()
    permissions.forget_cached_access()
    client = APIClient()
    if who == "nobody":
        client.force_authenticate(django_user_model.objects.create_user("nobody"))
    pk = ramp_image.pk
    for url in [
        f"/api/images/{pk}/", f"/api/images/{pk}/tiles/0/0/0.jpg", f"/api/images/{pk}/values/?x=1&y=1",
        f"/api/images/{pk}/profile/?x1=1&y1=1&x2=3&y2=3", f"/api/images/{pk}/cutout.fits?x1=1&y1=1&x2=3&y2=3",
        f"/api/images/{pk}/region.jpg?x1=1&y1=1&x2=30&y2=30", f"/iip/?FIF={pk}&INFO",
        "/iip/?FIF=private-survey/ramp.fits&obj",
    ]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert "ramp" not in response.content.decode().lower() or url.startswith(
            "/iip/?FIF=private"
        )


def test_values_profile_cutout(client, ramp_image):
    pk = ramp_image.pk
    values = client.get(f"/api/images/{pk}/values/?x=5&y=7").json()
    assert values["values"] == [60004.0]
    profile = client.get(f"/api/images/{pk}/profile/?x1=1&y1=1&x2=4&y2=2").json()["profile"]
    assert [(p["x"], p["y"]) for p in profile] == [(0, 0), (1, 0), (2, 1), (3, 1)]
    assert profile[2]["values"] == [10002.0]
    blob = client.get(f"/api/images/{pk}/cutout.fits?x1=11&y1=21&x2=20&y2=25")
    assert blob["Content-Type"] == "application/fits"
    content = b"".join(blob)  # streamed: an asynchronous iterator, collected here
    assert int(blob["Content-Length"]) == len(content) and len(content) % 2880 == 0
    with fits.open(io.BytesIO(content)) as hdus:
        assert hdus[0].data.shape == (5, 10) and hdus[0].data[0, 0] == 200010.0
        assert hdus[0].header["CRPIX1"] == pytest.approx(ramp_image.header["CRPIX1"] - 10)


def test_region_snapshot_is_bounded(client, ramp_image, settings):
    pk = ramp_image.pk
    response = client.get(f"/api/images/{pk}/region.jpg?x1=1&y1=1&x2=983&y2=1061&binning=4")
    assert response.status_code == 200
    assert decode(response).shape == (266, 246)
    settings.MAX_REGION_PIXELS = 1000
    response = client.get(f"/api/images/{pk}/region.png?x1=1&y1=1&x2=500&y2=500")
    assert (
        response.status_code == 400 and "zoom in or raise the binning" in response.json()["detail"]
    )


def test_image_description_for_clients(client, ramp_image):
    body = client.get(f"/api/images/{ramp_image.pk}/").json()
    assert (body["tile_size"], body["levels"], body["width"], body["height"]) == (256, 4, 983, 1061)
    assert (
        len(body["default_cuts"]) == 1 and body["default_cuts"][0][1] > body["default_cuts"][0][0]
    )
    assert body["header"]["OBJECT"] == "Ramp" and body["tiles_url"].endswith(
        "tiles/{z}/{x}/{y}.jpg"
    )
    assert np.isfinite(body["default_cuts"][0]).all()


def test_histogram(client, ramp_image):
    body = client.get(f"/api/images/{ramp_image.pk}/histogram/?bins=64").json()
    assert len(body["counts"]) == 64 and len(body["edges"]) == 65
    assert sum(body["counts"]) > 1000
    lo, hi = body["default_cuts"]
    assert body["edges"][0] <= lo and body["edges"][-1] >= hi
    assert client.get(f"/api/images/{ramp_image.pk}/histogram/?channel=2").status_code == 400
