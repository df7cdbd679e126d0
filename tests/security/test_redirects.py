"""Where a sign-in sends the browser afterwards (``next=``) is always this site: the
login form's and the one-time link's, whatever a hostile link puts there."""

from urllib.parse import quote, urlsplit

import pytest
from django.core import signing
from django.core.cache import cache

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
    "http://evil.example/", "  //evil.example", "/\t/evil.example", "///evil.example",
    "javascript:alert(1)", "https://testserver@evil.example/", "http://[::1]:80@evil.example",
]  # fmt: skip


def stays_here(location):
    parts = urlsplit(location)
    return (
        not parts.scheme and not parts.netloc and location.startswith("/")
        and not location.startswith(("//", "/\\"))
    )  # fmt: skip


@pytest.mark.parametrize("target", HOSTILE)
def test_the_login_form_never_sends_elsewhere(client, users, target):
    response = client.post(
        "/accounts/login/?next=" + quote(target, safe=""),
        {"username": "owner", "password": "pw-owner", "next": target},
    )
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]
    assert response["Location"] == "/"


def test_the_login_form_keeps_a_local_next(client, users):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "pw-owner", "next": "/c/x/?a=1"}
    )
    assert response["Location"] == "/c/x/?a=1"


def test_a_hostile_next_is_text_in_the_login_page(client):
    page = client.get("/accounts/login/?next=" + quote('"><script>alert(1)</script>')).content
    assert b"<script>alert(1)" not in page


@pytest.mark.parametrize("target", HOSTILE)
def test_a_one_time_link_never_sends_elsewhere(client, users, target):
    cache.clear()  # a link is used once: the same second's link was used by the last case
    token = signing.TimestampSigner(salt="fitsportal.view").sign(str(users["owner"].pk))
    response = client.get(f"/accounts/once/{token}/?next=" + quote(target, safe=""))
    assert response.status_code == 302 and response["Location"] == "/"
