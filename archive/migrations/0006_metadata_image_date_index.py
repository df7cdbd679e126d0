"""On PostgreSQL, the observation date and collection of each image's metadata by image
id, in an index of their own (``INCLUDE``): a search whose candidates are named by a
word (thousands of ids) sorts them by date from this index alone, about 40 MB for a
million images, instead of reading each candidate's wide row from the table (a random
read each, beyond the database's buffers). SQLite reads its rows by their integer key,
and has no such index.

Not declared on ``ImageMetadata``: Django warns (models.W040) of covering indexes on
databases that have none."""

from django.db import migrations

NAME = "archive_meta_image_date"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON archive_imagemetadata (image_id) "
            "INCLUDE (date_obs, collection_id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_image_word_index")]

    operations = [migrations.RunPython(create, drop)]
