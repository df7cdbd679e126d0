"""Background work on images: thin Celery wrappers over the engine.

``schedule_warm`` chains ``ingest_image`` (statistics, default cuts) and
``warm_pyramid`` (the pyramid, level by level) after a registration commits.
Both are idempotent: a second run finds the work done and only records the state.
"""

import logging

from celery import chain, shared_task
from django.conf import settings

from portal import jobs
from portal.models import Image
from tiles import engine

log = logging.getLogger("fitsportal.tasks")


def schedule_warm(image):
    """Queue ingest + warm of ``image`` once the current transaction commits."""
    if not settings.WARM_ON_REGISTER:
        return
    jobs.submit_on_commit(chain(ingest_image.si(image.pk), warm_pyramid.si(image.pk)))


def _load(image_id):
    return Image.objects.select_related("collection").filter(pk=image_id).first()


@shared_task(bind=True, max_retries=3, retry_backoff=True, acks_late=True)
def ingest_image(self, image_id):
    """Compute per-channel statistics and default cuts of an image."""
    image = _load(image_id)
    if image is None:
        return None
    try:
        data = engine.open_image(image.path, cache_dir=image.cache_dir)
        try:
            image.stats = [stats.as_dict() for stats in data.stats]
        finally:
            data.close()
    except engine.InvalidFitsError as exc:
        image.set_state(Image.FAILED, f"Cannot read the file: {exc}")
        raise
    except OSError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc) from exc
        image.set_state(Image.FAILED, f"Cannot read the file: {exc}")
        raise
    image.save(update_fields=["stats", "updated"])
    return image_id


@shared_task(bind=True, max_retries=3, retry_backoff=True, acks_late=True)
def warm_pyramid(self, image_id):
    """Build the image's pyramid; the image ends ``ready`` or ``failed`` with a reason."""
    image = _load(image_id)
    if image is None:
        return None
    image.set_state(Image.WARMING, progress=0.0)
    try:
        engine.build_pyramid(image.path, image.cache_dir)
    except engine.InvalidFitsError as exc:
        image.set_state(Image.FAILED, f"Cannot read the file: {exc}")
        raise
    except OSError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc) from exc
        image.set_state(Image.FAILED, f"Could not build the pyramid: {exc}")
        raise
    image.set_state(Image.READY, progress=1.0)
    return image_id
