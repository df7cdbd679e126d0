"""Register FITS files already under a data root, in place (no copy)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.models import Collection
from portal.registration import RegistrationError, register_path

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fits.fz", ".fz")


class Command(BaseCommand):
    help = "Register FITS files (a file, or every FITS file in a directory) into a collection."

    def add_arguments(self, parser):
        parser.add_argument("collection", help="slug of the collection")
        parser.add_argument("paths", nargs="+", help="FITS files or directories")
        parser.add_argument(
            "--recursive", "-r", action="store_true", help="descend into subdirectories"
        )
        parser.add_argument("--title", default="", help="title (single file only)")

    def handle(self, collection, paths, recursive, title, **options):
        try:
            target = Collection.objects.get(slug=collection)
        except Collection.DoesNotExist:
            raise CommandError(f"No collection with slug '{collection}'.") from None
        files = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                pattern = "**/*" if recursive else "*"
                found = sorted(
                    p
                    for p in path.glob(pattern)
                    if p.is_file() and p.name.lower().endswith(FITS_SUFFIXES)
                )
                if not found:
                    self.stderr.write(f"{path}: no FITS file found.")
                files.extend(found)
            else:
                files.append(path)
        if title and len(files) != 1:
            raise CommandError("--title applies to a single file.")
        registered, failed = 0, 0
        for path in files:
            try:
                image = register_path(target, path, title=title)
            except RegistrationError as exc:
                failed += 1
                self.stderr.write(self.style.ERROR(exc.message))
                continue
            registered += 1
            copy = f", decompressed to {image.path}" if image.source_path else ""
            self.stdout.write(
                f"registered {path} as image {image.pk} ({image.width}x{image.height}, "
                f"{image.channels} channel(s){copy})"
            )
        self.stdout.write(f"{registered} registered, {failed} refused.")
        if failed and not registered:
            raise CommandError("No file was registered.")
