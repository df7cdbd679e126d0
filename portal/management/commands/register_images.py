"""Register FITS files already under a data root, in place (no copy).

Files found in directories go in batches (``archive/ingest.py``): one transaction per
batch, and a file already registered from the same path, unchanged, is skipped, so
the same command run again after an interruption registers what is missing and
nothing twice. Files named one by one are refused if already there. With a broker
(``REDIS_URL``) the batches are tasks of the Celery workers, unless ``--in-process``
or there is only one.
"""

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive import ingest
from archive.tasks import register_files
from portal import jobs
from portal.models import Collection, Image
from portal.registration import RegistrationError, register_path

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fits.fz", ".fz")
BATCH_SIZE = 200
POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = "Register FITS files (a file, or every FITS file in a directory) into a collection."

    def add_arguments(self, parser):
        parser.add_argument("collection", help="slug of the collection")
        parser.add_argument("paths", nargs="+", help="FITS files or directories")
        parser.add_argument(
            "--recursive", "-r", action="store_true", help="descend into subdirectories"
        )
        parser.add_argument("--title", default="", help="title (single file only)")
        parser.add_argument(
            "--warm",
            action="store_true",
            default=None,
            help="queue each image's warm at once (default: FITSPORTAL_WARM_ON_REGISTER)",
        )
        parser.add_argument(
            "--no-warm",
            dest="warm",
            action="store_false",
            help="leave the warms for later (manage.py warm_images)",
        )
        parser.set_defaults(warm=None)
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"files per transaction ({BATCH_SIZE})",
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="register here even when Celery workers could take the batches",
        )

    def handle(self, collection, paths, recursive, title, warm, batch_size, in_process,
               **options):  # fmt: skip
        try:
            target = Collection.objects.get(slug=collection)
        except Collection.DoesNotExist:
            raise CommandError(f"No collection with slug '{collection}'.") from None
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        named, found = self._files(paths, recursive)
        warm = settings.WARM_ON_REGISTER if warm is None else warm
        if title:
            if len(named) + len(found) != 1:
                raise CommandError("--title applies to a single file.")
            return self._register_titled((named or found)[0], target, title, warm)
        # Named files are refused if registered already; found ones are skipped then.
        batches = [(chunk, False) for chunk in _chunks(named, batch_size)]
        batches += [(chunk, True) for chunk in _chunks(found, batch_size)]
        # One batch is registered here: a worker would only add its round trip.
        spread = len(batches) > 1 and not (in_process or jobs.embedded())
        total = ingest.BatchOutcome()
        started = time.monotonic()
        bar = tqdm(total=len(named) + len(found), unit="file", disable=None,
                   file=getattr(self.stderr, "_out", sys.stderr))  # fmt: skip
        with bar:
            for outcome, size in self._outcomes(target, batches, warm, spread):
                total.registered += outcome.registered
                total.skipped += outcome.skipped
                total.refused += outcome.refused
                bar.update(size)
        self._report(total, named, options["verbosity"], time.monotonic() - started)

    def _files(self, paths, recursive):
        """(files named, FITS files found in the directories named), sorted."""
        named, found = [], []
        for raw in paths:
            path = Path(raw)
            if not path.is_dir():
                named.append(str(path))
                continue
            pattern = "**/*" if recursive else "*"
            inside = sorted(
                str(p)
                for p in path.glob(pattern)
                if p.name.lower().endswith(FITS_SUFFIXES) and p.is_file()
            )
            if not inside:
                self.stderr.write(f"{path}: no FITS file found.")
            found.extend(inside)
        return named, found

    def _register_titled(self, path, target, title, warm):
        try:
            with ingest.warming(warm):
                image = register_path(target, path, title=title)
        except RegistrationError as exc:
            self.stderr.write(self.style.ERROR(exc.message))
            raise CommandError("No file was registered.") from None
        self.stdout.write(_registered_line(path, image))
        self.stdout.write("1 registered, 0 refused.")

    def _outcomes(self, target, batches, warm, spread):
        """(``BatchOutcome``, number of files) of each batch, as they finish."""
        if spread:
            try:
                yield from _from_workers(target, batches, warm)
                return
            except jobs.QUEUE_ERRORS as exc:
                self.stderr.write(f"The task queue is unavailable ({exc}): registering here.")
        for chunk, resume in batches:
            yield ingest.register_batch(target, chunk, resume=resume, warm=warm), len(chunk)

    def _report(self, total, named, verbosity, seconds):
        named = set(named)
        ids = {pk: path for path, pk in total.registered if path in named or verbosity > 1}
        if ids:
            for image in Image.objects.filter(pk__in=ids).order_by("pk"):
                self.stdout.write(_registered_line(ids[image.pk], image))
        if total.refused:
            self.stderr.write(f"Refused ({len(total.refused)}):")
            for refusal in sorted(total.refused, key=lambda r: r.path):
                self.stderr.write(self.style.ERROR(f"  {refusal.path}: {refusal.reason}"))
        done = len(total.registered) + len(total.skipped) + len(total.refused)
        rate = f", {done / seconds:.0f} files/s" if seconds > 0 and done else ""
        self.stdout.write(
            f"{len(total.registered)} registered, {len(total.refused)} refused, "
            f"{len(total.skipped)} already registered (skipped), in {seconds:.1f} s{rate}."
        )
        if total.refused and not total.registered and not total.skipped:
            raise CommandError("No file was registered.")


def _from_workers(target, batches, warm):
    """Each batch a task of the Celery workers; their outcomes as they finish. A batch
    whose task fails has each of its files refused with the reason."""
    pending = [
        (jobs.submit(register_files.s(target.pk, chunk, resume=resume, warm=warm)), chunk)
        for chunk, resume in batches
    ]
    while pending:
        still = []
        for result, chunk in pending:
            if not result.ready():
                still.append((result, chunk))
            elif result.successful():
                yield ingest.BatchOutcome.from_json(result.get()), len(chunk)
            else:
                failed = ingest.BatchOutcome()
                for path in chunk:
                    failed.refuse(path, f"the worker's batch failed: {result.result!r}")
                yield failed, len(chunk)
        pending = still
        if pending:
            time.sleep(POLL_SECONDS)


def _chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def _registered_line(path, image):
    copy = f", decompressed to {image.path}" if image.source_path else ""
    return (
        f"registered {path} as image {image.pk} ({image.width}x{image.height}, "
        f"{image.channels} channel(s){copy})"
    )
