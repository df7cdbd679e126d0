"""Shared fixtures: the usual users and collections, and FITS file factories."""

import os

import numpy as np
import pytest
from astropy.io import fits

from portal.demo import star_field_wcs


@pytest.fixture
def fits_factory(tmp_path):
    """Write small FITS files: ``fits_factory("name.fits", kind=..., seed=...)``."""

    def make(name="image.fits", width=300, height=200, kind="image", seed=0, folder=None):
        folder = folder or tmp_path
        path = os.path.join(folder, name)
        rng = np.random.default_rng(seed)
        header = star_field_wcs(width, height).to_header()
        header["OBJECT"] = f"Field {seed}"
        if kind == "image":
            data = rng.normal(100.0, 5.0, (height, width)).astype(np.float32)
            fits.PrimaryHDU(data, header).writeto(path)
        elif kind == "cube":
            data = rng.normal(100.0, 5.0, (3, height, width)).astype(np.float32)
            fits.PrimaryHDU(data, header).writeto(path)
        elif kind == "table":
            table = fits.BinTableHDU.from_columns([fits.Column(name="a", format="E", array=[1.0])])
            fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
        else:
            raise ValueError(kind)
        return path

    return make


@pytest.fixture
def users(django_user_model):
    """owner, granted (contribute grant), member (view grant through a group), other."""
    from django.contrib.auth.models import Group

    make = django_user_model.objects.create_user
    result = {
        name: make(name, f"{name}@example.org", "pw-" + name)
        for name in ("owner", "granted", "member", "other")
    }
    team = Group.objects.create(name="observers")
    result["member"].groups.add(team)
    result["group"] = team
    return result


@pytest.fixture
def collections(users):
    """One collection per visibility, all owned by ``owner``, with grants."""
    from guardian.shortcuts import assign_perm

    from portal.models import Collection

    result = {}
    for visibility in (Collection.PRIVATE, Collection.TEAM, Collection.PUBLIC):
        collection = Collection.objects.create(
            name=f"{visibility.title()} survey",
            slug=f"{visibility}-survey",
            owner=users["owner"],
            visibility=visibility,
        )
        assign_perm("contribute_collection", users["granted"], collection)
        assign_perm("view_collection", users["group"], collection)
        result[visibility] = collection
    return result


@pytest.fixture
def snapshot():
    """``snapshot(directory)``: every file below it, to prove nothing was left behind."""

    def files_under(directory):
        found = set()
        for root, _dirs, files in os.walk(directory):
            for name in files:
                found.add(os.path.relpath(os.path.join(root, name), directory))
        return found

    return files_under


@pytest.fixture(autouse=True)
def _no_background_warm(settings):
    """Registration tests stay synchronous; warming tests turn this back on."""
    settings.WARM_ON_REGISTER = False


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_storage(request, settings, tmp_path):
    """Each test gets its own upload root and cache, unless it shares them with a worker
    process (marker ``shared_storage``)."""
    if request.node.get_closest_marker("shared_storage"):
        return
    settings.UPLOAD_ROOT = tmp_path / "var" / "data"
    settings.CACHE_ROOT = tmp_path / "var" / "cache"
    settings.DATA_ROOTS = [settings.UPLOAD_ROOT]
    settings.FILE_UPLOAD_TEMP_DIR = str(settings.UPLOAD_ROOT / ".incoming")
    for directory in (settings.UPLOAD_ROOT / ".incoming", settings.CACHE_ROOT):
        directory.mkdir(parents=True)


@pytest.fixture(scope="session", autouse=True)
def _release_test_database(django_db_setup, django_db_blocker):
    """With PostgreSQL and a worker process, the worker may still hold a connection to
    the test database when the session ends: close it so the database can be dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
