"""On PostgreSQL, a GIN index of the images' stored headers (jsonb_path_ops: one entry
per keyword-value pair), which a search's ``header.KEYWORD=value`` asks through "@>".
Other databases have no such index: there a header value is asked of each row read.

It is the archive's index, on the portal's table: the portal's models do not name it."""

from django.db import migrations

NAME = "archive_image_header_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON portal_image USING gin (header jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_image_collection_and_covering_index"),
        ("portal", "0005_image_id_collection_index"),
    ]

    operations = [migrations.RunPython(create, drop)]
