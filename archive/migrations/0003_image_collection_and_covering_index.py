"""Each image's collection beside its metadata (copied from the image, kept by every
save), and the observation-date index holding it and the filtered columns."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0002_index_existing_images"),
        ("portal", "0005_image_id_collection_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="imagemetadata",
            name="archive_meta_date_obs",
        ),
        migrations.AddField(
            model_name="imagemetadata",
            name="collection",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="portal.collection",
            ),
        ),
        # Every image's collection, copied (one statement on SQLite and PostgreSQL).
        migrations.RunSQL(
            "UPDATE archive_imagemetadata SET collection_id = (SELECT portal_image.collection_id"
            " FROM portal_image WHERE portal_image.id = archive_imagemetadata.image_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="imagemetadata",
            index=models.Index(
                fields=[
                    "date_obs",
                    "image",
                    "collection",
                    "band",
                    "instrument",
                    "telescope",
                    "object_key",
                    "exptime",
                    "pixel_scale",
                    "bunit",
                ],
                name="archive_meta_date_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="imagemetadata",
            index=models.Index(fields=["collection", "image"], name="archive_meta_collection"),
        ),
    ]
