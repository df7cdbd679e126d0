"""Region statistics and star measurements through the REST API: permission-checked,
values as numpy gives them on regions' exact masks of the file's own pixels."""

import io

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from django.core.files.uploadedfile import SimpleUploadedFile
from regions import CirclePixelRegion, EllipsePixelRegion, PixCoord
from rest_framework.test import APIClient

from catalogs import storage
from portal.demo import star_field_wcs

pytestmark = pytest.mark.django_db
W, H = 160, 120
STAR = (80.4, 60.2)  # 0-based


def star_image(seed=4):
    yy, xx = np.mgrid[0:H, 0:W]
    data = 100 + 4000 / (2 * np.pi * 4) * np.exp(-((xx - STAR[0]) ** 2 + (yy - STAR[1]) ** 2) / 8)
    data = (data + np.random.default_rng(seed).normal(0, 1, data.shape)).astype(np.float32)
    header = star_field_wcs(W, H).to_header()
    header["BUNIT"] = "ADU"
    out = io.BytesIO()
    fits.PrimaryHDU(data, header).writeto(out)
    return data.astype(np.float64), out.getvalue()


@pytest.fixture
def image(collections, users):
    from portal.registration import register_upload

    data, content = star_image()
    registered = register_upload(
        collections["private"], SimpleUploadedFile("star.fits", content), users["owner"]
    )
    registered.pixels = data
    return registered


def client(users, role="owner"):
    api = APIClient()
    if role != "anonymous":
        api.force_authenticate(users[role])
    return api


def circle(x, y, r, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"shape": "circle", "frame": "image", "radius": r, **properties}}  # fmt: skip


def exact(region):
    return region.to_mask(mode="exact").to_image((H, W))


def test_statistics_of_drawn_shapes_are_numpy_on_exact_masks(users, image):
    body = {"image": image.pk, "features": [circle(81.4, 61.2, 6.5), circle(70, 50, 4.0),
            circle(80, 60, 2.0, include=False)]}  # fmt: skip
    response = client(users).post("/api/catalogs/statistics/", body, format="json")
    assert response.status_code == 200, response.json()
    answer = response.json()
    (result,) = answer["channels"]
    weight = np.maximum(exact(CirclePixelRegion(PixCoord(80.4, 60.2), 6.5)),
                        exact(CirclePixelRegion(PixCoord(69, 49), 4.0)))  # fmt: skip
    weight *= 1 - exact(CirclePixelRegion(PixCoord(79, 59), 2.0))
    values = image.pixels
    inside = weight > 0
    assert result["pixels"] == int(inside.sum())
    assert result["sum"] == pytest.approx((weight * values).sum(), rel=1e-12)
    assert result["area_pixels"] == pytest.approx(weight.sum(), rel=1e-12)
    assert result["median"] == pytest.approx(np.median(values[inside]), rel=1e-12)
    assert result["max"] == pytest.approx(values[inside].max())
    assert answer["unit"] == "ADU" and answer["surface_brightness_unit"] == "ADU/arcsec2"
    assert result["area_arcsec2"] == pytest.approx(weight.sum() * 0.16, rel=1e-9)
    assert len(result["centroid_sky"]) == 2


def test_statistics_of_stored_catalog_features(users, image, collections):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [81.4, 61.2]},
               "properties": {"shape": "ellipse", "frame": "image", "width": 14, "height": 6, "angle": 30}}  # fmt: skip
    catalog = storage.create_catalog(collections["private"], [feature], name="r", images=[image])
    pk = catalog.features.get().pk
    body = {"image": image.pk, "catalog": catalog.pk, "ids": [pk], "mode": "exact"}
    (result,) = (
        client(users).post("/api/catalogs/statistics/", body, format="json").json()["channels"]
    )
    weight = exact(EllipsePixelRegion(PixCoord(80.4, 60.2), 14, 6, angle=30 * u.deg))
    assert result["sum"] == pytest.approx((weight * image.pixels).sum(), rel=1e-12)


@pytest.mark.parametrize("role", ["other", "anonymous"])
def test_an_image_one_may_not_see_is_a_404(users, image, role):
    body = {"image": image.pk, "features": [circle(81, 61, 5)]}
    response = client(users, role).post("/api/catalogs/statistics/", body, format="json")
    assert response.status_code == 404
    response = client(users, role).get(
        "/api/catalogs/measure/", {"image": image.pk, "x": 81, "y": 61}
    )
    assert response.status_code == 404


def test_a_hidden_catalog_is_a_404(users, image, collections):
    catalog = storage.create_catalog(
        collections["private"], [circle(81, 61, 5)], name="r", images=[image]
    )
    other_image = image  # the owner's image, asked with another user's catalog rights
    body = {"image": other_image.pk, "catalog": catalog.pk, "ids": [catalog.features.get().pk]}
    assert (
        client(users, "other").post("/api/catalogs/statistics/", body, format="json").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"features": [circle(81, 61, 5)]}, "image"),
        ({"features": []}, "Name the regions"),
        ({"features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [5, 5]},
                        "properties": {"shape": "point", "frame": "image"}}]}, "no area"),
        ({"features": [circle(81, 61, 5, include=False)]}, "included"),
        ({"features": [circle(-500, -500, 5)]}, "outside"),
        ({"features": [circle(81, 61, 5)], "mode": "fuzzy"}, "mode"),
        ({"features": [circle(81, 61, 5)], "channel": [2]}, "channel"),
    ],
)  # fmt: skip
def test_bad_requests_are_400_with_a_reason(users, image, body, message):
    body = {"image": image.pk, **body} if message != "image" else body
    response = client(users).post("/api/catalogs/statistics/", body, format="json")
    assert response.status_code == 400 and message in response.json()["detail"], response.json()


def test_measure_a_star_as_json_and_as_a_csv_row(users, image):
    api = client(users)
    result = api.get("/api/catalogs/measure/", {"image": image.pk, "x": 82, "y": 62}).json()
    assert result["x"] == pytest.approx(STAR[0] + 1, abs=0.05) and result["y"] == pytest.approx(
        STAR[1] + 1, abs=0.05
    )
    assert result["fwhm_gaussian"] == pytest.approx(2.3548 * 2, rel=0.02)
    assert result["flux"] == pytest.approx(4000, rel=0.02) and "ra" in result
    response = api.get("/api/catalogs/measure/", {"image": image.pk, "x": 82, "y": 62, "as": "csv"})
    assert response["Content-Type"] == "text/csv"
    header, row = response.content.decode().splitlines()
    assert header.startswith("x,y,ra,dec,fwhm_gaussian") and row.count(",") == header.count(",")
    bad = api.get("/api/catalogs/measure/", {"image": image.pk, "x": 5000, "y": 62})
    assert bad.status_code == 400


def test_pixel_regions_of_another_image_are_refused(users, image, collections):
    from portal.registration import register_upload

    _data, content = star_image(seed=5)
    other = register_upload(
        collections["private"], SimpleUploadedFile("other.fits", content), users["owner"]
    )
    catalog = storage.create_catalog(
        collections["private"], [circle(81, 61, 5)], name="r", images=[other]
    )
    body = {"image": image.pk, "catalog": catalog.pk, "ids": [catalog.features.get().pk]}
    response = client(users).post("/api/catalogs/statistics/", body, format="json")
    assert response.status_code == 400 and "another image" in response.json()["detail"]
    body["image"] = other.pk
    assert client(users).post("/api/catalogs/statistics/", body, format="json").status_code == 200
