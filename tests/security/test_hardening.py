"""Production defaults: the deploy checklist, login rate limits, CSRF on writes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_https_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "FITSPORTAL_INSECURE_DEV_KEY")}
    env.update(SECRET_KEY="k" * 20 + "-a-long-random-production-secret-" + "x9Q#" * 8, FITSPORTAL_HTTPS="1",
               FITSPORTAL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings")  # fmt: skip
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_no_secret_key_no_start_without_debug(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "FITSPORTAL_INSECURE_DEV_KEY", "DEBUG")
    }
    env.update(FITSPORTAL_VAR_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "SECRET_KEY must be set" in done.stderr


@pytest.fixture
def forget_failures():
    """The failure counts live in the shared cache: later tests log in as these users."""
    yield
    from django.core.cache import cache

    cache.delete_many(
        [f"fp:login-failures:127.0.0.1:{name}" for name in ("owner", "granted", "member")]
    )


@pytest.mark.usefixtures("forget_failures")
def test_login_attempts_are_limited(users):
    client = Client()
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/accounts/login/", {"username": "owner", "password": "pw-owner"})
    assert response.status_code == 429 and b"Too many failed attempts" in response.content
    other = client.post("/accounts/login/", {"username": "granted", "password": "pw-granted"})
    assert other.status_code == 302  # another name is not blocked


@pytest.mark.usefixtures("forget_failures")
def test_token_attempts_are_limited(users):
    client = APIClient()
    for _ in range(5):
        assert (
            client.post("/api/token/", {"username": "member", "password": "no"}).status_code == 400
        )
    response = client.post("/api/token/", {"username": "member", "password": "pw-member"})
    assert response.status_code == 429 and "Too many" in response.json()["detail"]


def test_session_writes_need_csrf(users):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="other", password="pw-other")
    response = client.post("/api/collections/", {"name": "x", "slug": "x"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/images/99999999999999999999/",
        "/api/catalogs/99999999999999999999/",
        "/api/catalogs/?image=99999999999999999999",
        "/api/catalogs/?image=-1",
    ],
)
def test_ids_beyond_the_database_range_are_client_errors(users, url):
    """64-bit ids: larger numbers name nothing (PostgreSQL would refuse them with a 500)."""
    client = APIClient()
    client.force_authenticate(users["owner"])
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/json")
