"""GET /api/colormaps/: the tables tiles are rendered with, for the client's colour bar.
viridis and magma against matplotlib's tables, the IIP maps against their formulas at
hand-worked entries; one answer for everyone, kept by browsers and revalidated by ETag."""

import matplotlib
import numpy as np
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def rgb(colours):
    return np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in colours])


@pytest.fixture
def answer():
    return APIClient().get("/api/colormaps/")


def test_every_colormap_is_sent_as_256_colours(answer):
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    tables = answer.json()
    assert list(tables) == ["grey", "jet", "cold", "cool", "hot", "viridis", "magma"]
    for name, colours in tables.items():
        assert len(colours) == 256, name
        assert all(len(c) == 7 and c[0] == "#" and c == c.lower() for c in colours), name


@pytest.mark.parametrize("name", ["viridis", "magma"])
def test_the_perceptual_maps_are_matplotlibs(answer, name):
    expected = np.round(matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255)
    assert np.abs(rgb(answer.json()[name]) - expected).max() <= 1


def test_the_iip_maps_keep_their_formulas(answer):
    """Entries worked out by hand: hot at 85 (x = 1/3) is pure red, 170 (2/3) yellow;
    cold the same with blue and red exchanged; jet at 0 is dark blue (0, 0, 0.5)."""
    tables = answer.json()
    assert tables["hot"][0] == "#000000" and tables["hot"][85] == "#ff0000"
    assert tables["hot"][170] == "#ffff00" and tables["hot"][255] == "#ffffff"
    assert tables["cold"][85] == "#0000ff" and tables["cold"][170] == "#00ffff"
    assert tables["jet"][0] == "#000080" and tables["jet"][255] == "#800000"
    assert tables["grey"][100] == "#646464"


def test_anyone_gets_the_same_answer_kept_an_hour(answer, users):
    signed_in = APIClient()
    signed_in.force_login(users["owner"])
    again = signed_in.get("/api/colormaps/")
    assert again.content == answer.content and again["ETag"] == answer["ETag"]
    assert answer["Cache-Control"] == "public, max-age=3600"
    assert "Cookie" not in answer.get("Vary", "")


def test_a_known_etag_gets_304(answer):
    client = APIClient()
    assert client.get("/api/colormaps/", HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304
    assert client.get("/api/colormaps/", HTTP_IF_NONE_MATCH='"other"').status_code == 200
