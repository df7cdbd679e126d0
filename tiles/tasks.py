"""Background work on images: thin Celery wrappers over the engine.

``schedule_warm`` chains ``ingest_image`` (statistics, default cuts) and
``warm_pyramid`` (the pyramid, level by level) after a registration commits.
Both are idempotent: a second run finds the work done and only records the state.
A worker killed mid-task loses nothing: tasks are acknowledged late (the broker hands
them out again), and the engine never publishes a half-written pyramid.
"""

import logging

from celery import chain, shared_task
from django.conf import settings
from django.db import transaction

from portal import jobs
from portal.models import Image
from tiles import engine
from tiles import progress as progress_events

log = logging.getLogger("fitsportal.tasks")

# Results are not kept: the image row records what happened.
RETRY = dict(
    bind=True,
    max_retries=3,
    retry_backoff=2,
    retry_backoff_max=60,
    acks_late=True,
    ignore_result=True,
)


def warm_signature(image_id):
    return chain(ingest_image.si(image_id), warm_pyramid.si(image_id))


def schedule_warm(image, force=False):
    """Queue ingest + warm of ``image`` once the current transaction commits.

    If the task queue cannot be reached, the image stays ``pending`` with the reason:
    ``manage.py warm_images`` warms it later. Tiles are served from the file meanwhile.
    """
    if not (force or settings.WARM_ON_REGISTER):
        return

    def submit():
        try:
            jobs.submit(warm_signature(image.pk))
        except jobs.QUEUE_ERRORS as exc:
            log.warning("could not queue the warm of image %s: %s", image.pk, exc)
            Image.objects.filter(pk=image.pk).update(
                state_reason="The task queue is unavailable: the image will be warmed later "
                "(manage.py warm_images)."
            )

    transaction.on_commit(submit)


def _set_state(image, state, reason="", progress=None):
    image.set_state(state, reason, progress)
    progress_events.publish_state(image)


def _run(task, image_id, work, what):
    """Run ``work(image)``; transient I/O errors retry, others mark the image failed."""
    image = Image.objects.select_related("collection").filter(pk=image_id).first()
    if image is None:
        return None  # deleted meanwhile: nothing to do
    try:
        work(image)
    except Image.DoesNotExist:
        log.info("image %s was deleted during %s", image_id, what)
        return None
    except engine.InvalidFitsError as exc:
        _set_state(image, Image.FAILED, f"Cannot read the file: {exc}")
        return None
    except OSError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc) from exc
        _set_state(image, Image.FAILED, f"Could not {what}: {exc}")
        return None
    except Exception as exc:
        log.exception("%s of image %s failed", what, image_id)
        _set_state(image, Image.FAILED, f"Could not {what}: internal error ({type(exc).__name__})")
        raise
    return image_id


@shared_task(**RETRY)
def ingest_image(self, image_id):
    """Compute per-channel statistics and default cuts of an image."""

    def work(image):
        data = engine.open_image(image.path, cache_dir=image.cache_dir)
        try:
            stats = [item.as_dict() for item in data.stats]
        finally:
            data.close()
        image.save_fields(stats=stats)

    return _run(self, image_id, work, "read the statistics")


@shared_task(**RETRY)
def warm_pyramid(self, image_id):
    """Build the image's pyramid; the image ends ``ready`` or ``failed`` with a reason."""

    def work(image):
        if image.state == Image.FAILED:
            return  # ingest refused the file; its reason stands
        _set_state(image, Image.WARMING, progress=0.0)
        reporter = progress_events.ProgressReporter(image)
        fresh = engine.pyramid_matches(image.path, image.cache_dir)
        engine.build_pyramid(image.path, image.cache_dir, progress=reporter)
        if not fresh:  # new pixels: new ETags, and open copies are dropped
            image.version += 1
            image.save_fields(version=image.version)
        _set_state(image, Image.READY, progress=1.0)

    return _run(self, image_id, work, "build the pyramid")
