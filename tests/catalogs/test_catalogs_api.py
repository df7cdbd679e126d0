"""The catalog API: permissions, imports through the API, spatial queries, annotations."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalogs import storage
from catalogs.geometry import angular_distance
from catalogs.models import Catalog, Feature
from portal import jobs

pytestmark = pytest.mark.django_db
# Imports of files run in the background worker: it sees only committed rows.
imports = pytest.mark.django_db(transaction=True)

ROLES = ["owner", "granted", "member", "other", "anonymous"]
SEES = {
    "owner": {"private", "team", "public"},
    "granted": {"private", "team", "public"},
    "member": {"private", "team", "public"},
    "other": {"team", "public"},
    "anonymous": {"public"},
}


def client_for(users, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(users[role])
    return client


def point(ra, dec, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [ra, dec]},
            "properties": {"shape": "point", **properties}}  # fmt: skip


@pytest.fixture
def catalogs(collections):
    return {
        v: storage.create_catalog(c, [point(10.0, 20.0, name=v)], name=f"{v} sources")
        for v, c in collections.items()
    }


@pytest.mark.parametrize("role", ROLES)
def test_catalog_permission_matrix(users, catalogs, role):
    client = client_for(users, role)
    names = {c["name"] for c in client.get("/api/catalogs/").json()["results"]}
    assert names == {f"{v} sources" for v in SEES[role]}
    for visibility, catalog in catalogs.items():
        for url in (f"/api/catalogs/{catalog.pk}/", f"/api/catalogs/{catalog.pk}/features/",
                    f"/api/catalogs/{catalog.pk}/export/?as=csv"):  # fmt: skip
            status = client.get(url).status_code
            assert status == (200 if visibility in SEES[role] else 404), (url, role)


@pytest.fixture
def embedded_queue(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded worker thread, whatever the pass
    yield
    jobs.wait_idle()


def imported(pk):
    """The catalog once its background import has ended."""
    jobs.wait_idle()
    return Catalog.objects.get(pk=pk)


@imports
@pytest.mark.usefixtures("embedded_queue")
@pytest.mark.parametrize("role", ["owner", "granted", "member", "other"])
def test_import_needs_contribute(users, collections, role):
    response = client_for(users, role).post(
        "/api/catalogs/",
        {
            "collection": "team-survey",
            "name": "mine",
            "file": SimpleUploadedFile("s.csv", b"ra,dec\n1,2\n"),
        },
        format="multipart",
    )
    assert response.status_code == (202 if role in ("owner", "granted") else 403)
    if response.status_code == 202:
        assert imported(response.json()["id"]).feature_count == 1


@imports
@pytest.mark.usefixtures("embedded_queue")
def test_import_errors_leave_nothing(users, collections):
    client = client_for(users, "owner")
    bad = SimpleUploadedFile("s.csv", b"ra,dec\n1,2\n3,100\n")
    response = client.post(
        "/api/catalogs/",
        {"collection": "team-survey", "name": "x", "file": bad},
        format="multipart",
    )
    assert response.status_code == 202
    catalog = imported(response.json()["id"])
    assert catalog.state == Catalog.FAILED
    assert catalog.state_reason == "s.csv: line 3, column 'dec': Dec 100 is outside [-90, 90]."
    assert not Feature.objects.filter(catalog=catalog).exists()
    region = SimpleUploadedFile("p.reg", b"image\ncircle(10,10,3)\n")
    response = client.post(
        "/api/catalogs/",
        {"collection": "team-survey", "name": "x", "file": region},
        format="multipart",
    )
    catalog = imported(response.json()["id"])
    assert catalog.state == Catalog.FAILED and "one linked image" in catalog.state_reason
    assert not Feature.objects.exists()


@imports
@pytest.mark.usefixtures("embedded_queue")
def test_region_file_import_reports_warnings(users, collections):
    text = b'fk5\ncircle(10,20,3")\nvector(10,20,5",30)\n'
    client = client_for(users, "owner")
    response = client.post(
        "/api/catalogs/", {"collection": "team-survey", "name": "r", "file": SimpleUploadedFile("r.reg", text)},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 202 and response.json()["state"] == "pending"
    imported(response.json()["id"])
    body = client.get(response["Location"]).json()
    assert body["state"] == "ready" and body["kind"] == "regions" and body["feature_count"] == 1
    assert body["warnings"] == ["line 3: 'vector' regions are not supported, left out."]


@pytest.fixture
def field(collections):
    rng = np.random.default_rng(5)
    ra = np.concatenate([rng.uniform(0, 360, 1500), rng.uniform(-3, 3, 500) % 360])
    dec = np.concatenate([rng.uniform(-89, 89, 1500), rng.uniform(-3, 3, 500)])
    catalog = storage.create_catalog(collections["public"], [point(a, d) for a, d in zip(ra, dec, strict=True)],
                                     name="field")  # fmt: skip
    return catalog, ra % 360, dec


def fetch(catalog, query):
    body = APIClient().get(f"/api/catalogs/{catalog.pk}/features/?{query}&limit=50000").json()
    return {tuple(np.round(f["geometry"]["coordinates"], 9)) for f in body["features"]}, body


@pytest.mark.parametrize(
    "box", [(10, -20, 40, 30), (350, -5, 10, 5), (-10, -5, 10, 5), (0, -90, 360, 90)]
)
def test_bbox_matches_brute_force(field, box):
    catalog, ra, dec = field
    ra1, dec1, ra2, dec2 = box
    lo, hi = ra1 % 360, ra2 % 360 if ra2 != 360 else 360
    inside_ra = (ra >= lo) & (ra <= hi) if lo <= hi else (ra >= lo) | (ra <= hi)
    expected = {tuple(np.round(p, 9)) for p in zip(ra[inside_ra & (dec >= dec1) & (dec <= dec2)],
                                                    dec[inside_ra & (dec >= dec1) & (dec <= dec2)], strict=True)}  # fmt: skip
    found, body = fetch(catalog, "bbox=" + ",".join(str(v) for v in box))
    assert found == expected and not body["truncated"]


@pytest.mark.parametrize(
    "cone", [(0.5, 0.5, 2.0), (359.0, -1.0, 3.0), (100.0, 88.0, 5.0), (0, 0, 0.001)]
)
def test_cone_matches_brute_force(field, cone):
    catalog, ra, dec = field
    distance = angular_distance(cone[0], cone[1], ra, dec)
    expected = {
        tuple(np.round(p, 9))
        for p in zip(ra[distance <= cone[2]], dec[distance <= cone[2]], strict=True)
    }
    found, body = fetch(catalog, f"ra={cone[0]}&dec={cone[1]}&radius={cone[2]}")
    assert found == expected


def test_cap_and_truncated_flag(field):
    catalog, _ra, _dec = field
    body = APIClient().get(f"/api/catalogs/{catalog.pk}/features/?limit=10").json()
    assert body["count"] == 10 and body["truncated"] is True


def test_angular_distance_against_astropy():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    a = SkyCoord([0, 10, 359.9, 45], [0, 89.9, -30, 0], unit=u.deg)
    b = SkyCoord([0.0001, 190, 0.1, 225], [0, 89.9, -30, 0], unit=u.deg)
    np.testing.assert_allclose(
        angular_distance(a.ra.deg, a.dec.deg, b.ra.deg, b.dec.deg), a.separation(b).deg, atol=1e-12
    )


def test_team_annotations(users, collections):
    client = client_for(users, "granted")
    response = client.post("/api/catalogs/", {"collection": "private-survey", "name": "my marks", "features": []},
                           format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["kind"] == "annotations"
    pk = response.json()["id"]
    mark = {"geometry": {"type": "Point", "coordinates": [150.1, 2.2]}, "properties": {"shape": "circle",
            "radius": 0.001}, "note": "odd blob"}  # fmt: skip
    created = client.post(f"/api/catalogs/{pk}/features/", mark, format="json")
    assert created.status_code == 201
    assert (
        created.json()["properties"]["note"] == "odd blob"
        and created.json()["properties"]["author"] == "granted"
    )
    assert (
        client_for(users, "member")
        .post(f"/api/catalogs/{pk}/features/", mark, format="json")
        .status_code
        == 403
    )
    bad = {"geometry": {"type": "Point", "coordinates": [150.1, 99]}}
    assert client.post(f"/api/catalogs/{pk}/features/", bad, format="json").status_code == 400
    assert Catalog.objects.get(pk=pk).feature_count == 1


def test_exports(users, catalogs):
    client = client_for(users, "owner")
    pk = catalogs["team"].pk
    csv = client.get(f"/api/catalogs/{pk}/export/?as=csv")
    assert csv["Content-Type"] == "text/csv" and content(csv).startswith("ra,dec")
    reg = content(client.get(f"/api/catalogs/{pk}/export/?as=reg"))
    assert (
        reg.startswith("# Region file format: DS9")
        and "\nicrs\npoint(10.0,20.0) # text={team}\n" in reg
    )
    assert client.get(f"/api/catalogs/{pk}/export/?as=pdf").status_code == 400


def content(response):
    return b"".join(response.streaming_content).decode()


@imports
@pytest.mark.usefixtures("embedded_queue")
def test_admin_upload_of_a_region_file(collections, django_user_model, client):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    text = b'fk5\ncircle(10,20,3")\nvector(10,20,5",30)\n'
    response = client.post("/admin/catalogs/catalog/add/", {
        "collection": collections["team"].pk, "name": "", "description": "", "style": "{}",
        "format": "", "upload": SimpleUploadedFile("marks.reg", text),
    }, follow=True)  # fmt: skip
    assert response.status_code == 200 and "in the background" in response.content.decode()
    catalog = imported(Catalog.objects.get().pk)
    assert (catalog.name, catalog.kind, catalog.feature_count) == ("marks.reg", "regions", 1)
    page = client.get(f"/admin/catalogs/catalog/{catalog.pk}/change/").content.decode()
    assert "vector" in page  # the warning is shown
    bad = SimpleUploadedFile("bad.csv", b"ra,dec\n1,2\n3,x\n")
    response = client.post("/admin/catalogs/catalog/add/", {
        "collection": collections["team"].pk, "name": "bad", "style": "{}", "format": "", "upload": bad,
    }, follow=True)  # fmt: skip
    assert response.status_code == 200
    failed = imported(Catalog.objects.get(name="bad").pk)
    assert failed.state == Catalog.FAILED and "line 3, column" in failed.state_reason
    assert not Feature.objects.filter(catalog=failed).exists()


@pytest.mark.parametrize("role", ROLES)
def test_an_ownerless_catalog_is_deleted_only_by_a_manager(users, collections, role):
    """Catalogs imported by ``manage.py import_catalog`` (or whose owner was deleted)
    have no owner: that must not let anonymous visitors (whose id is None too) or
    anyone else but the collection's managers delete them."""
    catalog = storage.create_catalog(collections["public"], [point(10.0, 20.0)], name="kept")
    assert catalog.owner_id is None
    status = client_for(users, role).delete(f"/api/catalogs/{catalog.pk}/").status_code
    if role == "owner":  # owns the collection: manages it
        assert status == 204 and not Catalog.objects.filter(pk=catalog.pk).exists()
    else:
        assert status in (401, 403) and Catalog.objects.filter(pk=catalog.pk).exists()
