"""Pixel-frame region files: linked to their image at upload, served by a query in pixel
space as well as in sky space."""

from pathlib import Path

import pytest
import regions as regions_package
from django.core.files.uploadedfile import SimpleUploadedFile
from regions import Regions
from rest_framework.test import APIClient

from catalogs.models import Catalog
from portal import jobs
from portal.demo import star_field_wcs

DS9_IMAGE = (
    Path(regions_package.__file__).parent / "io" / "ds9" / "tests" / "data" / "ds9.image.reg"
)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def embedded_queue(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def owner(users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    return client


@pytest.fixture
def image(collections, users, fits_factory):
    from portal.registration import register_upload

    content = Path(fits_factory("field.fits", width=800, height=700)).read_bytes()
    return register_upload(
        collections["team"], SimpleUploadedFile("field.fits", content), users["owner"]
    )


def file_positions():
    """FITS 1-based positions of the file's regions, as ``regions`` reads them."""
    positions = []
    for region in Regions.read(str(DS9_IMAGE), format="ds9"):
        at = (
            region.center
            if hasattr(region, "center")
            else region.vertices
            if hasattr(region, "vertices")
            else region.start
        )
        if hasattr(region, "vertices"):
            positions.append((float(at.x.mean()) + 1, float(at.y.mean()) + 1))
        elif hasattr(region, "start"):
            positions.append(
                ((region.start.x + region.end.x) / 2 + 1, (region.start.y + region.end.y) / 2 + 1)
            )
        else:
            positions.append((float(at.x) + 1, float(at.y) + 1))
    return positions


def upload(client, **fields):
    data = {"collection": "team-survey", "name": "pixels",
            "file": SimpleUploadedFile("pixels.reg", DS9_IMAGE.read_bytes()), **fields}  # fmt: skip
    response = client.post("/api/catalogs/", data, format="multipart")
    assert response.status_code == 202, response.json()
    jobs.wait_idle()
    return response, Catalog.objects.get(pk=response.json()["id"])


def test_a_pixel_region_file_needs_its_image_and_is_linked_to_it(owner, image):
    response, catalog = upload(owner)
    assert catalog.state == Catalog.FAILED and "exactly one linked image" in catalog.state_reason
    response, catalog = upload(owner, images=[image.pk])
    assert catalog.state == Catalog.READY, catalog.state_reason
    assert list(catalog.images.values_list("pk", flat=True)) == [image.pk]
    assert catalog.feature_count == 17
    # Each feature is indexed at its position: a polygon's is the mean of its vertices.
    polygon = catalog.features.get(properties__shape="polygon")
    assert (polygon.x, polygon.y) == pytest.approx((445.0, 538.0))  # the file's diamond


def test_features_are_found_in_pixel_space_and_with_a_sky_box(owner, image):
    _response, catalog = upload(owner, images=[image.pk])
    url = f"/api/catalogs/{catalog.pk}/features/"
    # The sky box finds the pixel regions through their image's WCS: a box around part
    # of the image holds the regions whose pixel position falls in it, and no other.
    wcs = star_field_wcs(800, 700)
    corners = wcs.all_pix2world([[150, 300], [260, 300], [150, 560], [260, 560]], 1)
    ra1, dec1 = corners.min(axis=0)
    ra2, dec2 = corners.max(axis=0)
    sky = owner.get(url, {"bbox": f"{ra1},{dec1},{ra2},{dec2}"}).json()
    expected = []
    for x, y in file_positions():
        ra, dec = wcs.all_pix2world([[x, y]], 1)[0]
        if ra1 <= ra <= ra2 and dec1 <= dec <= dec2:
            expected.append((x, y))
    got = sorted(tuple(f["geometry"]["coordinates"]) for f in sky["features"])
    assert got == sorted(expected) and 7 <= len(got) < 17
    # The pixel box finds them too, alone or beside the sky box.
    whole = owner.get(url, {"pixels": "1,1,800,700"}).json()
    assert whole["count"] == 17 and not whole["truncated"]
    both = owner.get(url, {"bbox": "0,-90,360,90", "pixels": "1,1,800,700"}).json()
    assert both["count"] == 17
    # A part of the image: exactly the features whose position lies in it.
    part = owner.get(url, {"pixels": "150,300,260,560"}).json()
    positions = sorted(tuple(f["geometry"]["coordinates"]) for f in part["features"])
    assert positions == sorted(
        p for p in file_positions() if 150 <= p[0] <= 260 and 300 <= p[1] <= 560
    )
    assert len(positions) == 7
    capped = owner.get(url, {"pixels": "1,1,800,700", "limit": 5}).json()
    assert capped["count"] == 5 and capped["truncated"] is True


@pytest.mark.parametrize("box", ["1,2,3", "5,1,4,9", "a,b,c,d", "1,1,1e12,2"])
def test_a_bad_pixel_box_is_a_400(owner, image, box):
    _response, catalog = upload(owner, images=[image.pk])
    response = owner.get(f"/api/catalogs/{catalog.pk}/features/", {"pixels": box})
    assert response.status_code == 400 and "pixels" in response.json()["detail"]


def test_the_collection_form_offers_the_images_to_link(owner, image, users, client):
    client.force_login(users["owner"])
    page = client.get("/c/team-survey/").content.decode()
    assert '<select name="image">' in page and f'<option value="{image.pk}">' in page


def test_physical_regions_are_placed_on_the_linked_image_by_its_ltm_and_ltv(owner, image):
    # The image is a 2 x 2 binned section starting at physical pixel 41, 21: physical
    # (x, y) is image ((x - 40) / 2, (y - 20) / 2), i.e. LTM = 0.5, LTV = -20, -10.
    image.header = {**image.header, "LTM1_1": 0.5, "LTM2_2": 0.5, "LTV1": -20.0, "LTV2": -10.0}
    image.save(update_fields=["header"])
    data = {"collection": "team-survey", "name": "physical", "images": [image.pk],
            "file": SimpleUploadedFile("p.reg", b"physical\ncircle(100,60,8)\n")}  # fmt: skip
    response = owner.post("/api/catalogs/", data, format="multipart")
    jobs.wait_idle()
    catalog = Catalog.objects.get(pk=response.json()["id"])
    assert catalog.state == Catalog.READY and catalog.feature_count == 1
    assert catalog.warnings == []
    (feature,) = owner.get(
        f"/api/catalogs/{catalog.pk}/features/", {"pixels": "1,1,800,700"}
    ).json()["features"]
    assert feature["geometry"]["coordinates"] == pytest.approx([30.0, 20.0])
    assert feature["properties"]["radius"] == pytest.approx(4.0)


def test_physical_regions_without_one_linked_image_are_refused_by_line(owner, collections):
    data = {"collection": "team-survey", "name": "physical",
            "file": SimpleUploadedFile("p.reg", b"physical\ncircle(100,60,8)\n")}  # fmt: skip
    response = owner.post("/api/catalogs/", data, format="multipart")
    jobs.wait_idle()
    catalog = Catalog.objects.get(pk=response.json()["id"])
    assert catalog.state == Catalog.FAILED and catalog.feature_count == 0
    assert catalog.state_reason.startswith("p.reg: no feature found in the file: line 2")
    assert "physical" in catalog.state_reason
