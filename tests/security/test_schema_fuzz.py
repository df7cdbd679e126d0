"""Schemathesis against the project's own OpenAPI schema: generated requests to every
documented operation (as a signed-in user with data to find) never get a server error,
and every 4xx comes with a JSON ``detail``."""

import numpy as np
import pytest
import schemathesis
from astropy.io import fits
from hypothesis import HealthCheck, settings

from portal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def data(users, collections, settings):
    from catalogs import storage
    from portal.registration import register_path

    path = settings.UPLOAD_ROOT / "fuzz.fits"
    fits.PrimaryHDU(np.random.default_rng(0).normal(0, 1, (300, 300)).astype(np.float32)).writeto(
        path
    )
    register_path(collections["public"], path)
    storage.create_catalog(collections["public"], [{"type": "Feature", "geometry": {"type": "Point",
                           "coordinates": [1.0, 2.0]}, "properties": {}}], name="fuzz")  # fmt: skip
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.create(user=users['owner']).key}"}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, data):
    response = case.call(headers=data)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if (
        400 <= response.status_code < 500
        and "json" in response.headers.get("Content-Type", [""])[0]
    ):
        assert "detail" in response.json(), (case.formatted_path, response.text[:300])
