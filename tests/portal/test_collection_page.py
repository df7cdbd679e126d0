"""The collection page: each card's observation (filter, date, exposure) from the
image's metadata, read with the images in one statement however many there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Collection, Image

pytestmark = pytest.mark.django_db


def add_images(collection, start, count):
    for index in range(start, start + count):
        Image.objects.create(
            collection=collection, title=f"Field {index}", name=f"field_{index:03d}.fits",
            path="", checksum=f"{index:064d}", size=1, width=10, height=10,
            header={"FILTER": "r'", "DATE-OBS": f"2024-03-{index + 1:02d}T01:02:03",
                    "EXPTIME": 120.5},
        )  # fmt: skip


def test_a_cards_observation_comes_with_the_images_in_one_statement(client, collections):
    public = collections[Collection.PUBLIC]
    url = f"/c/{public.slug}/"
    add_images(public, 0, 2)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "field_001.fits" in text and "2024-03-02 01:02" in text and "fp-card-exptime" in text
    add_images(public, 2, 8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert "field_009.fits" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries), [
        q["sql"][:120] for q in many.captured_queries
    ]
