"""Queue (or run) ingest + pyramid warm for images that need it."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from portal import jobs
from portal.models import Image
from tiles.engine import file_checksum


class Command(BaseCommand):
    help = (
        "Warm the pyramids of images: by default every image that is not ready; "
        "--retry-failed for failed ones only; --all to redo ready ones too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--collection", help="only this collection (slug)")
        parser.add_argument("--image", type=int, action="append", help="only this image id")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--retry-failed", action="store_true", help="only failed images")
        which.add_argument("--all", dest="redo_all", action="store_true", help="ready images too")
        parser.add_argument(
            "--wait", action="store_true", help="run here and now instead of queueing"
        )
        parser.add_argument(
            "--rehash",
            action="store_true",
            help="recompute file checksums first: a changed file gets a new pyramid and new ETags",
        )

    def handle(self, collection, image, retry_failed, redo_all, wait, rehash, **options):
        images = Image.objects.all()
        if collection:
            images = images.filter(collection__slug=collection)
        if image:
            images = images.filter(pk__in=image)
        rehashed = []
        if rehash:  # before choosing by state: a changed file is no longer ready
            rehashed = [item.pk for item in images if self._rehash(item)]
        if retry_failed:
            images = images.filter(Q(state=Image.FAILED) | Q(pk__in=rehashed))
        elif not redo_all:
            images = images.exclude(state=Image.READY)
        ids = list(images.values_list("pk", flat=True))
        if not ids:
            self.stdout.write("Nothing to warm.")
            return
        for item in Image.objects.filter(pk__in=ids):
            item.warm_again(wait=wait)
        if wait or jobs.embedded():
            jobs.wait_idle(timeout=None)
        done = Image.objects.filter(pk__in=ids)
        unqueued = done.filter(state=Image.PENDING).exclude(state_reason="")
        if unqueued:  # the task queue refused them: each says so (``schedule_warm``)
            for item in unqueued:
                self.stderr.write(f"image {item.pk} ({item}): {item.state_reason}")
            raise CommandError(f"{unqueued.count()} image(s) could not be queued.")
        failed = done.filter(state=Image.FAILED)
        self.stdout.write(
            f"{len(ids)} image(s) {'warmed' if wait or jobs.embedded() else 'queued'}."
        )
        for item in failed:
            self.stderr.write(f"image {item.pk} ({item}): failed: {item.state_reason}")
        if failed and (wait or jobs.embedded()):
            raise CommandError(f"{failed.count()} image(s) failed.")

    def _rehash(self, image):
        """Accept the file as it is now; returns whether its content changed."""
        try:
            stat = os.stat(image.path)
            checksum = file_checksum(image.path)
        except OSError as exc:
            self.stderr.write(f"image {image.pk}: cannot read {image.name}: {exc}")
            return False
        if checksum == image.checksum:
            image.record_mtime(stat.st_mtime_ns)
            return False
        image.accept_file(checksum, stat.st_size, stat.st_mtime_ns)
        self.stdout.write(f"image {image.pk} ({image.name}) changed on disk: new pyramid.")
        return True
