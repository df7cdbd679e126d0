"""Each image's own words in order (image, word): a search asks whether a candidate of
the rarest word also has a word of each other prefix, from this index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_header_gin_index"),
        ("portal", "0005_image_id_collection_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="searchword",
            index=models.Index(fields=["image", "word"], name="archive_image_word"),
        ),
    ]
