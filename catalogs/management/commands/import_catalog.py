"""Import a catalog or region file (ds9 .reg, CSV/TSV, GeoJSON) into a collection.

Runs the import here and now (the file is read in place, streamed: bounded memory),
printing its progress; the catalog ends ``ready``, or ``failed`` with the reason.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogs import tasks
from catalogs.importers import FORMATS
from catalogs.models import Catalog
from portal.models import Collection, Image


class Command(BaseCommand):
    help = "Import a catalog or region file into a collection."

    def add_arguments(self, parser):
        parser.add_argument("collection", help="slug of the collection")
        parser.add_argument("path")
        parser.add_argument("--name", help="catalog name (default: the file name)")
        parser.add_argument("--format", choices=FORMATS)
        parser.add_argument(
            "--image", type=int, action="append", default=[], help="link to this image id"
        )
        parser.add_argument("--ra-column")
        parser.add_argument("--dec-column")

    def handle(self, collection, path, name, format, image, ra_column, dec_column, **options):
        try:
            target = Collection.objects.get(slug=collection)
        except Collection.DoesNotExist:
            raise CommandError(f"No collection with slug '{collection}'.") from None
        images = list(Image.objects.filter(collection=target, pk__in=image))
        if len(images) != len(set(image)):
            raise CommandError("Every --image must be an image of the collection.")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{path}: no such file.")
        given = {"format": format, "ra_column": ra_column, "dec_column": dec_column}
        catalog = Catalog.objects.create(
            collection=target, name=name or source.name, source_name=source.name[:255],
            state=Catalog.PENDING, progress=0.0,
            import_options={k: v for k, v in given.items() if v},
        )  # fmt: skip
        catalog.images.set(images)
        catalog = tasks.run_import(catalog, source, on_progress=self._progress)
        if catalog.state != Catalog.READY:
            catalog.delete()  # the command's caller reads the reason here, not in a row
            raise CommandError(catalog.state_reason)
        for warning in catalog.warnings:
            self.stderr.write(warning)
        self.stdout.write(f"catalog {catalog.pk}: {catalog.feature_count} features imported.")

    def _progress(self, catalog, job):
        self.stderr.write(f"  {100 * job.done:5.1f} % read, {job.count:,} features")
