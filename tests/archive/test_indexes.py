"""The indexes the archive adds on PostgreSQL only, by raw SQL in its migrations: there
after ``migrate``, with the columns the search plans read from them alone."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def index_definitions():
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        )
        return dict(cursor.fetchall())


def test_the_metadata_dates_by_image_are_an_index_of_their_own_on_postgresql():
    found = index_definitions().get("archive_meta_image_date")
    if connection.vendor != "postgresql":
        assert found is None
        return
    assert found.endswith(
        "ON public.archive_imagemetadata USING btree (image_id) INCLUDE (date_obs, collection_id)"
    )


def test_the_header_values_are_a_gin_index_on_postgresql():
    found = index_definitions().get("archive_image_header_gin")
    if connection.vendor != "postgresql":
        assert found is None
        return
    assert found.endswith("ON public.portal_image USING gin (header jsonb_path_ops)")
