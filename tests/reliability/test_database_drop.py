"""A database connection that drops between requests: the next request recovers."""

import pytest
from django.db import close_old_connections, connection
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


def drop_connection():
    """Kill this process's database connection behind Django's back."""
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        pid = connection.connection.info.backend_pid
        url = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    else:
        connection.connection.close()  # the sqlite3 handle, not Django's wrapper


def test_next_request_recovers(users, collections):
    client = Client()
    client.force_login(users["owner"])
    assert client.get("/api/collections/").status_code == 200
    connection.ensure_connection()
    drop_connection()
    # What Django's real handlers do when a request starts (the test client skips it):
    # connections are checked (CONN_HEALTH_CHECKS) and reopened if dead.
    close_old_connections()
    response = client.get("/api/collections/")
    assert response.status_code == 200 and response.json()["count"] == 3
