"""Images registered before the archive existed get their searchable rows (headers
only; ``manage.py index_images`` does the same again at any time)."""

from django.db import migrations


def index_existing(apps, schema_editor):
    from archive.indexing import describe

    Image = apps.get_model("portal", "Image")
    ImageMetadata = apps.get_model("archive", "ImageMetadata")
    SkyCell = apps.get_model("archive", "SkyCell")
    SearchWord = apps.get_model("archive", "SearchWord")
    done = set(ImageMetadata.objects.values_list("image_id", flat=True))
    for image in Image.objects.exclude(pk__in=done).iterator(chunk_size=500):
        description = describe(image)
        values = {k: v for k, v in description.values.items() if k != "collection_id"}
        ImageMetadata.objects.create(image_id=image.pk, **values)  # its collection: 0004
        SkyCell.objects.bulk_create(SkyCell(image_id=image.pk, cell=c) for c in description.cells)
        SearchWord.objects.bulk_create(
            SearchWord(image_id=image.pk, word=w) for w in description.words
        )


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(index_existing, migrations.RunPython.noop)]
