"""404 and 403 pages: in the portal's layout, a log-in link when signed out, and a
private image or collection looks exactly like a missing one."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from portal import errorpages
from portal.models import Collection, Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_image(users, collections):
    return Image.objects.create(
        collection=collections[Collection.PRIVATE], title="Secret", name="secret.fits",
        path="/nowhere/secret.fits", checksum="s" * 64, size=1, width=10, height=10,
    )  # fmt: skip


def page(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_a_private_image_and_a_missing_one_look_the_same(client, private_image):
    missing = private_image.pk + 1000
    code, private = page(client, f"/images/{private_image.pk}/")
    missing_code, absent = page(client, f"/images/{missing}/")
    assert code == missing_code == 404
    here, there = f"/images/{private_image.pk}/", f"/images/{missing}/"
    assert private.replace(here, "/images/ID/") == absent.replace(there, "/images/ID/")
    assert "Secret" not in private and "secret.fits" not in private


def test_the_404_page_is_in_the_layout_with_a_log_in_link(client, private_image):
    code, text = page(client, "/c/private-survey/")
    assert code == 404
    assert 'href="/">fitsportal' in text.replace("<strong>", "")  # the portal's header
    assert "portal.css" in text
    assert 'href="/accounts/login/?next=/c/private-survey/"' in text
    assert "Private survey" not in text


def test_signed_in_the_404_page_names_the_user_without_a_log_in_link(client, users, private_image):
    client.force_login(users["other"])
    code, text = page(client, f"/images/{private_image.pk}/")
    assert code == 404
    assert "signed in as <strong>other</strong>" in text
    assert "Log in to see" not in text
    client.force_login(users["owner"])
    assert client.get(f"/images/{private_image.pk}/").status_code == 200


def test_a_url_of_nothing_gets_the_same_page(client):
    code, text = page(client, "/no/such/page/")
    assert code == 404 and "Nothing to show here" in text


def test_machine_clients_get_json(client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_403_page(users):
    request = RequestFactory().get("/c/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = errorpages.permission_denied(request, PermissionDenied())
    text = response.content.decode()
    assert response.status_code == 403
    assert "You may not do this" in text and 'href="/accounts/login/?next=/c/x/"' in text
    request.user = users["other"]
    text = errorpages.permission_denied(request, PermissionDenied()).content.decode()
    assert "signed in as <strong>other</strong>" in text and "/accounts/login/?next" not in text
    request = RequestFactory().get("/api/x/")
    request.user = users["other"]
    response = errorpages.permission_denied(request, PermissionDenied())
    assert response.status_code == 403 and response["Content-Type"] == "application/json"


def test_a_form_without_its_token_gets_the_403_page(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "other", "password": "pw-other"})
    text = response.content.decode()
    assert response.status_code == 403
    assert "sent without the token of its page" in text and "portal.css" in text


def test_too_many_parameters_get_a_json_400_on_the_api_and_iip(client):
    many = "&".join(f"_p{i}=1" for i in range(1001))  # Django's default limit is 1000
    for url in (f"/iip/?FIF=x.fits&{many}", f"/api/images/?{many}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Too many parameters (at most 1000)."}
    few = "&".join(f"_p{i}=1" for i in range(900))
    assert client.get(f"/iip/?FIF=x.fits&{few}").status_code == 404  # read, and no such file


def test_the_400_page_says_which_limit_and_nothing_of_the_request(users):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import (
        DisallowedHost,
        RequestDataTooBig,
        TooManyFieldsSent,
        TooManyFilesSent,
    )

    cases = [
        (TooManyFieldsSent("<b>x</b>"), "Too many parameters (at most 1000)."),
        (TooManyFilesSent("<b>x</b>"), "Too many files (at most 100)."),
        (RequestDataTooBig("<b>x</b>"), "The request body is larger than this server accepts."),
        (DisallowedHost("<b>evil</b>"), "Bad request."),
    ]
    for exception, reason in cases:
        request = RequestFactory().get("/c/x/")
        request.user = AnonymousUser()
        response = errorpages.bad_request(request, exception)
        text = response.content.decode()
        assert response.status_code == 400
        assert f"<p>{reason}</p>" in text and "portal.css" in text
        assert "<b>" not in text and "evil" not in text
        request = RequestFactory().get("/api/x/")
        response = errorpages.bad_request(request, exception)
        assert response.status_code == 400
        assert json.loads(response.content) == {"detail": reason}
