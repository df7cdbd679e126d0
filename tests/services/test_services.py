"""The services behind fitsportal, as configured: database, Redis, the task worker.

Run in both CI passes. A configured service that cannot be reached fails the test;
on CI (CI=true) Redis and PostgreSQL are expected at their usual addresses even in the
embedded pass, so a missing service fails there too instead of being skipped.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

ON_CI = os.environ.get("CI", "").lower() == "true"


def service_url(variable, ci_default):
    url = os.environ.get(variable) or (ci_default if ON_CI else "")
    if not url:
        pytest.skip(f"{variable} is not set (not on CI)")
    return url


def test_pyvips_uses_the_binary_libvips():
    import pyvips

    assert pyvips.API_mode is True
    assert (pyvips.version(0), pyvips.version(1)) == (8, 18)
    for loader in ("jpegsave_buffer", "pngsave_buffer", "webpsave_buffer"):
        assert pyvips.type_find("VipsOperation", loader) != 0, loader


@pytest.mark.django_db
def test_database_is_the_configured_one():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_postgresql_is_reachable():
    import psycopg

    url = service_url("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}")


def test_redis_is_reachable():
    import redis

    url = service_url("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        assert redis.Redis.from_url(url, socket_timeout=5).ping() is True
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis at {url} is not reachable: {exc}")


def test_settings_follow_the_environment():
    if os.environ.get("REDIS_URL"):
        assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
        assert not settings.CELERY_TASK_ALWAYS_EAGER
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")
        assert "Redis" in settings.CACHES["default"]["BACKEND"]
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")


def test_a_submitted_task_runs_in_a_worker():
    """Embedded: a thread of this process. With a broker: a separate worker process."""
    import threading

    from portal import jobs
    from portal.tasks import worker_identity

    pending = jobs.submit(worker_identity.si())
    if settings.CELERY_TASK_ALWAYS_EAGER:
        where = pending.result(timeout=30)
        assert where["pid"] == os.getpid()
        assert where["thread"] != threading.get_ident()
    else:
        try:
            where = pending.get(timeout=60)
        except Exception as exc:
            pytest.fail(f"No Celery worker answered (is `celery -A portal worker` running?): {exc}")
        assert where["pid"] != os.getpid()


async def test_channel_layer_round_trip():
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("fitsportal-selftest", channel)
    await layer.group_send("fitsportal-selftest", {"type": "ping", "n": 42})
    message = await layer.receive(channel)
    await layer.group_discard("fitsportal-selftest", channel)
    assert message == {"type": "ping", "n": 42}
