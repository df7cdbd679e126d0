"""Import a catalog or region file (ds9 .reg, CSV/TSV, GeoJSON) into a collection."""

from django.core.management.base import BaseCommand, CommandError

from catalogs import storage
from catalogs.importers import FORMATS, CatalogImportError, import_catalog
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
        try:
            result = import_catalog(path, fmt=format, ra_column=ra_column, dec_column=dec_column)
        except (CatalogImportError, OSError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        kind = Catalog.REGIONS if result.format == "ds9" else Catalog.SOURCES
        catalog = storage.create_catalog(target, result.features, name=name or path.rsplit("/", 1)[-1],
                                         images=images, kind=kind, source_name=path.rsplit("/", 1)[-1])  # fmt: skip
        for warning in result.warnings:
            self.stderr.write(warning)
        self.stdout.write(f"catalog {catalog.pk}: {catalog.feature_count} features imported.")
