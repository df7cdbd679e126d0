"""The IIP / VisiOmatic endpoint, against IIP.md."""

import numpy as np
import pytest
import simplejpeg
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portal import permissions

pytestmark = pytest.mark.django_db


@pytest.fixture
def iip(users, ramp_image):
    permissions.forget_cached_access()
    client = APIClient()
    client.force_login(users["other"])

    def get(query, **headers):
        return client.get(f"/iip/?FIF={ramp_image.pk}&{query}", **headers)

    return get


def grey(response):
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "image/jpeg"
    return simplejpeg.decode_jpeg(response.content, colorspace="GRAY")[..., 0]


def test_banner_without_fif():
    response = APIClient().get("/iip/")
    assert response.status_code == 200 and b"IIP" in response.content


def test_info(iip, ramp_image):
    info = iip("INFO").json()
    assert info["type"] == "visiomatic" and info["version"] == "3.0"
    assert info["full_size"] == [983, 1061] and info["tile_size"] == [256, 256]
    assert info["tile_levels"] == 4 and info["channels"] == 1 and info["bits_per_channel"] == 32
    assert (info["brightness"], info["contrast"], info["gamma"], info["quality"]) == (0, 1, 2.2, 95)
    assert info["color_saturation"] == 1.5
    assert info["object_name"] == "Ramp" and info["image_name"] == "ramp.fits"
    assert info["header"]["NAXIS1"] == 983
    entry = info["images"][0]
    assert entry["size"] == [983, 1061] and len(entry["min_max"]) == 1


def test_obj(iip):
    text = iip("obj").content.decode()
    lines = text.split("\n")
    assert lines[:5] == ["IIP:1.0", "Max-size:983 1061", "Tile-size:256 256", "Resolution-number:4",
                         "Bits-per-channel:32"]  # fmt: skip
    assert lines[5].startswith("Min-Max-sample-values:")
    subject = lines[6]
    length = int(subject.split(":")[0].split("/")[1])
    cards = subject.split(":", 1)[1]
    assert length == len(cards) and length % 80 == 0 and cards.startswith("SIMPLE  =")


def test_jtl_geometry_on_983_by_1061(iip):
    # r = 3 is full resolution: 4 x 5 tiles, index = row * 4 + col, row 0 at the top.
    assert grey(iip("JTL=3,19")).shape == (1061 - 1024, 983 - 768)
    assert grey(iip("JTL=0,0")).shape == (133, 123)
    assert iip("JTL=3,20").status_code == 400
    top = grey(iip("JTL=3,0&MINMAX=1:0,10610000&GAM=1"))
    bottom = grey(iip("JTL=3,16&MINMAX=1:0,10610000&GAM=1"))
    assert top.mean() > bottom.mean()
    assert top[0].mean() > top[-1].mean()


def test_defaults_in_info_are_what_a_bare_request_gets(iip):
    info = iip("INFO").json()
    lo, hi = info["images"][0]["min_max"][0]
    bare = iip("JTL=2,1&CHAN=1").content
    explicit = iip(f"JTL=2,1&CHAN=1&MINMAX=1:{lo!r},{hi!r}&GAM=2.2&CNT=1&BRT=0&QLT=95").content
    assert bare == explicit


def test_minmax_applies_to_one_request_only(iip):
    default = iip("JTL=2,0").content
    assert iip("JTL=2,0&MINMAX=1:0,1").content != default
    assert iip("JTL=2,0").content == default


def test_chan_beyond_n_falls_back_and_inv_flags(iip):
    assert iip("JTL=1,0&CHAN=7").content == iip("JTL=1,0&CHAN=1").content
    plain = grey(iip("JTL=1,0&CHAN=1"))
    inverted = grey(iip("JTL=1,0&CHAN=1&INV"))
    assert np.abs(255 - plain.astype(int) - inverted).max() <= 4  # JPEG noise
    assert iip("JTL=1,0&CHAN=1&INV=0").content == iip("JTL=1,0&CHAN=1").content


def test_val_and_pfl(iip):
    assert iip("VAL=5,7").json() == {"values": [60004.0]}
    assert iip("VAL=5,7&CHAN=1").json() == {"values": [60004.0]}
    assert iip("VAL=0,7").json() == {"values": [None]}
    assert iip("VAL=5,7&CHAN=2").status_code == 400
    profile = iip("PFL=1,1:3,1").json()["profile"]
    assert [p["values"][0] for p in profile] == [0.0, 1.0, 2.0]
    assert [(p["x"], p["y"]) for p in profile] == [(0, 0), (1, 0), (2, 0)]


def test_rgn(iip):
    # Columns (x1-1)>>L up to, excluding, (x2-1)>>L (IIP.md): 255 x 127 here.
    image = grey(iip("RGN=1,1:256,128"))
    assert image.shape == (127, 255)
    binned = grey(iip("RGN=1,1:983,1061&BIN=4"))
    assert binned.shape == (265, 245)
    assert grey(iip("RGN=1,1:983,1061&BIN=5")).shape == binned.shape  # rounded down to 4
    # The VisiOmatic client's snapshot sends the map's pixel bounds, beyond the image
    # when the whole image is in view: clipped to it (all of level 2, 246 x 266 pixels).
    assert grey(iip("RGN=-300,-200:1400,1300&BIN=4")).shape == (266, 246)
    assert iip("RGN=2000,2000:3000,3000").status_code == 400


def test_resolution_beyond_the_levels_is_clamped(iip):
    assert iip("JTL=99999999999999999999,0").content == iip("JTL=3,0").content


@pytest.mark.parametrize(
    "query",
    [
        "FIF=../../etc/passwd&obj",
        "FIF=/etc/passwd&obj",
        "FIF=%2e%2e/%2e%2e/etc/passwd&obj",
        "FIF=%252e%252e%252fetc%252fpasswd&obj",
        "FIF=demo/..%2f..%2fsecret.fits&obj",
        "FIF=a%00b&obj",
        "FIF=" + "x" * 2000 + "&obj",
        "FIF=1&JTL=-1,0",
        "FIF=1&JTL=0,-5",
        "FIF=1&JTL=a,b",
        "FIF=1&BIN=99999999&RGN=1,1:2,2",
        "FIF=1&RGN=1,1",
        "FIF=1&CNT=1e400",
        "FIF=1&GAM=nan",
        "FIF=1&MIX=1:1,1",
        "FIF=1&MINMAX=abc",
        "FIF=1&CMP=../../etc",
        "FIF=1&VAL=1",
        "FIF=1&PFL=1,2,3",
    ],
)
def test_hostile_queries_get_4xx_json(users, ramp_image, query):
    client = APIClient()
    client.force_login(users["other"])
    response = client.get("/iip/?" + query.replace("FIF=1&", f"FIF={ramp_image.pk}&"))
    assert 400 <= response.status_code < 500, query
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] and "/etc" not in body["detail"].replace("../../etc", "")


def test_unknown_image_is_404_without_paths(users):
    client = APIClient()
    for fif in ("987654", "nope/none.fits", "demo"):
        response = client.get(f"/iip/?FIF={fif}&obj")
        assert response.status_code == 404
        assert response.json() == {"detail": "No such image."}


@pytest.mark.parametrize(
    "query", ["JTL=1,0", "INFO", "obj", "VAL=5,7", "PFL=1,1:3,1", "RGN=1,1:64,64"]
)
def test_an_api_token_works_for_every_operation(users, collections, ramp_image, query):
    """As on the REST API: ``Authorization: Token`` is who asks (the image is private)."""
    from rest_framework.authtoken.models import Token

    ramp_image.collection = collections["private"]
    ramp_image.save()
    permissions.forget_cached_access()
    token = Token.objects.create(user=users["owner"])
    url = f"/iip/?FIF={ramp_image.pk}&{query}"
    owner = APIClient().get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert owner.status_code == 200, owner.content[:200]
    anonymous = APIClient().get(url)
    assert anonymous.status_code == 404 and anonymous.json() == {"detail": "No such image."}
    refused = APIClient().get(url, HTTP_AUTHORIZATION="Token not-a-token")
    assert refused.status_code == 403 and refused.json()["detail"]  # as DRF refuses it on REST


def test_fif_by_file_name_alone_or_by_a_path_ending_with_it(
    users, collections, ramp_image, settings
):
    """VisiOmatic clients name images by path: its file name finds the image when only one
    image the user may view has it."""
    from astropy.io import fits

    from portal.models import Collection
    from portal.registration import register_path

    client = APIClient()
    client.force_login(users["other"])  # sees the team collection, not the private one
    by_id = client.get(f"/iip/?FIF={ramp_image.pk}&INFO").json()
    for fif in ("ramp.fits", "some/archive/ramp.fits", "team-survey/ramp.fits"):
        response = client.get(f"/iip/?FIF={fif}&INFO")
        assert response.status_code == 200 and response.json() == by_id, fif
    assert client.get("/iip/?FIF=ramp.fits&JTL=0,0").status_code == 200
    with CaptureQueriesContext(connection) as queries:  # remembered like ids: no query a tile
        assert client.get("/iip/?FIF=ramp.fits&JTL=1,0").status_code == 200
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert client.get("/iip/?FIF=nothing.fits&INFO").status_code == 404
    # A second image of that name in a collection this user cannot see changes nothing...
    folder = settings.UPLOAD_ROOT / "private"
    folder.mkdir()
    fits.PrimaryHDU(np.zeros((20, 30), np.float32)).writeto(folder / "ramp.fits")
    register_path(collections[Collection.PRIVATE], folder / "ramp.fits", user=users["owner"])
    assert client.get("/iip/?FIF=ramp.fits&INFO").json() == by_id
    # ...for its owner, who sees both, the name is ambiguous: a clear 400.
    owner = APIClient()
    owner.force_login(users["owner"])
    response = owner.get("/iip/?FIF=ramp.fits&INFO")
    assert response.status_code == 400 and "several images" in response.json()["detail"]
    assert owner.get("/iip/?FIF=ramp.fits&JTL=0,0").status_code == 400


def test_info_places_mosaic_extensions_in_mosaic_pixels(users, collections, settings):
    """DETSEC in detector coordinates (here from column 2049, one amplifier flipped): INFO
    gives each extension's slices in the mosaic's own pixels, and its own header."""
    from astropy.io import fits

    from portal.models import Collection
    from portal.registration import register_path

    hdus = [fits.PrimaryHDU()]
    for detsec, name in (("[2049:2148,1:50]", "A"), ("[2249:2150,1:50]", "B")):
        header = fits.Header({"DETSEC": detsec, "DATASEC": "[1:100,1:50]", "EXTNAME": name,
                              "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 10.0,
                              "CRVAL2": 20.0, "CRPIX1": 50.0, "CRPIX2": 25.0,
                              "CDELT1": -1e-4, "CDELT2": 1e-4})  # fmt: skip
        hdus.append(fits.ImageHDU(np.ones((50, 100), np.float32), header))
    path = settings.UPLOAD_ROOT / "amps.fits"
    fits.HDUList(hdus).writeto(path)
    image = register_path(collections[Collection.PUBLIC], path, user=users["owner"])
    info = APIClient().get(f"/iip/?FIF={image.pk}&INFO").json()
    assert info["full_size"] == [201, 50]
    a, b = info["images"]
    assert (a["dataslice"], a["detslice"]) == ([[1, 100, 1], [1, 50, 1]], [[1, 100, 1], [1, 50, 1]])
    assert (b["dataslice"], b["detslice"]) == (
        [[1, 100, 1], [1, 50, 1]],
        [[201, 102, -1], [1, 50, 1]],
    )
    assert a["header"]["EXTNAME"] == "A" and b["header"]["CD1_1"] == pytest.approx(-1e-4)
