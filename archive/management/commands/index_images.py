"""Fill (or refill) the archive's searchable rows of images: footprints, HEALPix cells,
normalised metadata and words, from their headers (and files, when there)."""

from django.core.management.base import BaseCommand

from archive import indexing
from archive.models import ImageMetadata
from portal.models import Image


class Command(BaseCommand):
    help = "Index images for the archive search (by default those not indexed yet)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Index every image again")
        parser.add_argument("--collection", help="Only this collection (slug)")

    def handle(self, *args, all=False, collection=None, **options):
        images = Image.objects.order_by("pk")
        if collection:
            images = images.filter(collection__slug=collection)
        if not all:
            images = images.exclude(pk__in=ImageMetadata.objects.values("image_id"))
        count = located = 0
        for image in images.iterator(chunk_size=500):
            description = indexing.describe(image)
            indexing.store(image, description)
            count += 1
            located += description.values["ra"] is not None
        self.stdout.write(f"{count} image(s) indexed, {located} with a sky footprint.")
