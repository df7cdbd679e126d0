"""Catalog imports in the background (a Celery worker, or the embedded worker thread).

A file import is a ``pending`` catalog and its stored file (catalogs/uploads.py). The
task ``import_catalog_file`` streams the file through its importer and writes the
features in batches of ``storage.BATCH`` rows, each batch its own short transaction (so
other writers never wait for a whole import); the catalog is ``importing`` meanwhile,
with ``progress`` saved about once a second, and only a ``ready`` catalog's features are
served. It ends ``ready``, or ``failed`` with the reason and none of its features left;
the stored file is removed either way.

While a task imports a catalog it holds the catalog's lock file (an ``flock``, which dies
with its process): ``resume_interrupted`` queues again the imports a stopped worker left.
"""

import logging
import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction

from catalogs import storage, uploads
from catalogs.importers import CatalogImportError, open_catalog
from catalogs.models import Catalog, Feature
from portal import jobs

log = logging.getLogger("fitsportal.catalogs")

PIXEL_REGIONS_NEED_ONE_IMAGE = "Regions in pixel coordinates need exactly one linked image."
SUMMARY_FIELDS = ["state", "progress", "warnings", "kind", "feature_count", "ra_min", "ra_max",
                  "dec_min", "dec_max", "updated"]  # fmt: skip


class CatalogGone(Exception):
    """The catalog was deleted while it was being imported."""


def schedule_import(catalog):
    """Queue the import of ``catalog`` once the current transaction commits. If the task
    queue cannot be reached, the catalog fails at once with the reason (nothing kept)."""

    def submit():
        try:
            jobs.submit(import_catalog_file.si(catalog.pk))
        except jobs.QUEUE_ERRORS as exc:
            log.warning("could not queue the import of catalog %s: %s", catalog.pk, exc)
            uploads.remove_import_file(catalog.pk)
            Catalog.objects.filter(pk=catalog.pk).update(
                state=Catalog.FAILED,
                state_reason="The task queue is unavailable: upload the file again later.",
            )

    transaction.on_commit(submit)


def lock_path(catalog_id):
    return settings.CACHE_ROOT / "locks" / f"catalog-{int(catalog_id)}"


def catalog_lock(catalog_id):
    """Hold the import lock of a catalog; yields False (holding nothing) if another
    process holds it (``portal.jobs.work_lock``)."""
    return jobs.work_lock(lock_path(catalog_id))


@shared_task(acks_late=True, ignore_result=True)
def import_catalog_file(catalog_id):
    """Import the stored file of a pending catalog; a no-op if another task holds it."""
    with catalog_lock(catalog_id) as acquired:
        if not acquired:
            log.info("catalog %s is being imported elsewhere", catalog_id)
            return
        catalog = Catalog.objects.filter(pk=catalog_id).first()
        if catalog is None or catalog.state not in (Catalog.PENDING, Catalog.IMPORTING):
            uploads.remove_import_file(catalog_id)
            return
        path = uploads.import_path(catalog_id)
        if not path.exists():
            _fail(catalog, "The uploaded file is gone: upload it again.")
            return
        try:
            run_import(catalog, path)
        finally:
            uploads.remove_import_file(catalog_id)


def run_import(catalog, path, on_progress=None, progress_interval=1.0):
    """Import the file at ``path`` into ``catalog`` (its options in ``import_options``);
    returns the catalog, ``ready`` or ``failed``. ``on_progress(catalog, import)`` is
    called after each saved progress step (the management command prints it)."""
    options = catalog.import_options or {}
    _delete_features(catalog)  # a resumed import starts again from the first line
    catalog.state, catalog.state_reason, catalog.progress = Catalog.IMPORTING, "", 0.0
    catalog.save(update_fields=["state", "state_reason", "progress", "updated"])
    linked = list(catalog.images.all()[:2])
    pixel_ok = len(linked) == 1
    last = time.monotonic()
    try:
        job = open_catalog(
            path, fmt=options.get("format"), filename=catalog.source_name or None,
            ra_column=options.get("ra_column"), dec_column=options.get("dec_column"),
            max_bytes=settings.MAX_CATALOG_BYTES, max_feature_bytes=settings.MAX_FEATURE_BYTES,
            physical=(linked[0].header or {}) if pixel_ok else None,
        )  # fmt: skip
        for batch in job.batches(settings.MAX_CATALOG_FEATURES):
            if not pixel_ok and any(
                (f.get("properties") or {}).get("frame") == "image" for f in batch
            ):
                raise CatalogImportError(PIXEL_REGIONS_NEED_ONE_IMAGE)
            _write(catalog, batch)
            if time.monotonic() - last >= progress_interval:
                last = time.monotonic()
                _save_progress(catalog, job.done)
                if on_progress is not None:
                    on_progress(catalog, job)
        storage.refresh_summary(catalog, save=False)
        catalog.warnings = job.warnings[:1000]
        if not options.get("kind"):
            catalog.kind = Catalog.REGIONS if job.format == "ds9" else Catalog.SOURCES
        catalog.state, catalog.progress = Catalog.READY, 1.0
        try:
            catalog.save(update_fields=SUMMARY_FIELDS)
        except DatabaseError as exc:  # no row to update: deleted meanwhile
            raise CatalogGone() from exc
    except CatalogGone:
        log.info("catalog %s was deleted during its import", catalog.pk)
    except (CatalogImportError, OSError) as exc:
        name = f"{catalog.source_name}: " if catalog.source_name else ""
        _fail(catalog, name + str(exc))
    except Exception as exc:
        log.exception("the import of catalog %s failed", catalog.pk)
        _fail(catalog, f"The import failed: internal error ({type(exc).__name__}).")
    return catalog


def _write(catalog, batch):
    try:
        with transaction.atomic():
            if not Catalog.objects.filter(pk=catalog.pk).exists():
                raise CatalogGone()
            storage.insert_features(catalog, batch)
    except IntegrityError as exc:  # deleted between the check and the write
        raise CatalogGone() from exc


def _save_progress(catalog, fraction):
    catalog.progress = round(fraction, 4)
    if not Catalog.objects.filter(pk=catalog.pk).update(progress=catalog.progress):
        raise CatalogGone()


def _delete_features(catalog):
    Feature.objects.filter(catalog_id=catalog.pk).delete()  # one DELETE: nothing cascades


def _fail(catalog, reason):
    _delete_features(catalog)
    Catalog.objects.filter(pk=catalog.pk).update(
        state=Catalog.FAILED, state_reason=reason[:2000], progress=0.0, feature_count=0,
        ra_min=None, ra_max=None, dec_min=None, dec_max=None,
    )  # fmt: skip
    catalog.refresh_from_db()


def resume_interrupted(include_pending=False):
    """Queue again the imports a stopped worker left; returns their catalog ids.

    An import is interrupted when its catalog is ``importing`` and no process holds its
    lock; with ``include_pending`` (the embedded queue, lost with its process) ``pending``
    catalogs are queued again too.
    """
    states = [Catalog.IMPORTING, Catalog.PENDING] if include_pending else [Catalog.IMPORTING]
    resumed = []
    for pk in Catalog.objects.filter(state__in=states).values_list("pk", flat=True):
        with catalog_lock(pk) as acquired:
            if not acquired:
                continue
        resumed.append(pk)
        jobs.submit(import_catalog_file.si(pk))
    return resumed


@worker_ready.connect
def _resume_after_restart(**kwargs):
    try:
        resume_interrupted()
    except Exception:  # the worker must start anyway
        log.exception("could not look for interrupted catalog imports")
    finally:
        connections.close_all()
