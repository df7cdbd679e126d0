"""Subprocesses (a manage.py command, a Celery worker) that work on the test's rows."""

import os
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    """The test database, for a subprocess to work on the same rows."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def subprocess_env(settings):
    """The environment of a subprocess that shares this test's database and storage."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url(),
        DATABASE_CONN_MAX_AGE="0",
        FITSPORTAL_INSECURE_DEV_KEY="1",
        PYTHONPATH=str(ROOT),
        FITSPORTAL_UPLOAD_ROOT=str(settings.UPLOAD_ROOT),
        FITSPORTAL_CACHE_ROOT=str(settings.CACHE_ROOT),
    )
    return env
