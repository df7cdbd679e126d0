"""Background work on images: thin Celery wrappers over the engine.

``schedule_warm`` chains ``ingest_image`` (statistics, default cuts) and
``warm_pyramid`` (the pyramid, level by level) after a registration commits. The domain
asks for it by announcing (``portal/events.py``; ``tiles/apps.py`` connects the
receivers below): an image registered is warmed (``WARM_ON_REGISTER``), a warm asked for
is queued or run, an image deleted or given new content loses its derived files.
Both are idempotent: a second run finds the work done and returns. While a task works
on an image it holds the image's lock file (an ``flock``, which dies with its process).
A worker killed mid-task loses nothing: the engine never publishes a half-written
pyramid, and a worker that starts queues again every warm whose image is ``warming``
with nobody holding its lock (``resume_interrupted``); the broker also hands out
unacknowledged tasks again after its visibility timeout.
"""

import contextlib
import logging

from celery import chain, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import connections, transaction

from portal import jobs
from portal.models import Image
from tiles import engine, file_check, storage
from tiles import progress as progress_events
from tiles.storage import image_busy, image_lock

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
            with contextlib.suppress(Image.DoesNotExist):
                image.explain(
                    "The task queue is unavailable: the image will be warmed later "
                    "(manage.py warm_images)."
                )

    transaction.on_commit(submit)


def warm_registered(sender, image, **kwargs):
    """``image_registered``: warm it, unless ``WARM_ON_REGISTER`` is off."""
    schedule_warm(image)


def warm_requested(sender, image, wait=False, **kwargs):
    """``warm_requested``: run the warm here and now (``wait``), or queue it."""
    if wait:
        warm_signature(image.pk).apply()
    else:
        schedule_warm(image, force=True)


def remove_derived_files(image_id, checksum):
    """Remove the image's lock, and its pyramid unless another image has the same
    content, once the current transaction commits."""

    def remove():
        storage.lock_path(image_id).unlink(missing_ok=True)
        if not Image.objects.filter(checksum=checksum).exists():
            engine.pyramid.remove_pyramid(storage.pyramid_dir(checksum))

    transaction.on_commit(remove)


def image_deleted(sender, instance, **kwargs):
    """``post_delete`` of an image."""
    remove_derived_files(instance.pk, instance.checksum)


def image_changed(sender, image, previous_checksum, **kwargs):
    """``image_changed``: the pyramid of the old content is no one's any more (unless
    another image has that content too)."""

    def remove():
        if not Image.objects.filter(checksum=previous_checksum).exists():
            engine.pyramid.remove_pyramid(storage.pyramid_dir(previous_checksum))

    transaction.on_commit(remove)


def clean_abandoned_work():
    """Remove the pyramid work folders whose builder died (a killed worker or server, a
    failed warm cut short); returns how many. Safe at any time, from any process: a live
    builder holds the lock of its folder. Called at start-up and periodically."""
    removed = engine.pyramid.remove_all_abandoned_work(storage.pyramids_root())
    for work in removed:
        log.warning("removed the abandoned pyramid work folder %s", work.name)
    return len(removed)


def resume_interrupted(include_pending=False):
    """Queue again the warms that a stopped worker left half done; returns their ids.

    An image is interrupted when it is ``warming`` and no process holds its lock. With
    ``include_pending`` (the embedded queue, lost with its process), ``pending`` images
    are queued again too; with a broker they are still waiting in its queue.
    """
    states = [Image.WARMING, Image.PENDING] if include_pending else [Image.WARMING]
    candidates = Image.objects.filter(state__in=states).values_list("pk", flat=True)
    resumed = [pk for pk in candidates if not image_busy(pk)]
    for image_id in resumed:
        log.warning("resuming the interrupted warm of image %s", image_id)
        jobs.submit(warm_signature(image_id))
    return resumed


@worker_ready.connect
def _resume_after_restart(**kwargs):
    try:
        resume_interrupted()
    except Exception:  # the worker must start anyway; `manage.py warm_images` remains
        log.exception("could not look for interrupted warms")
    finally:
        connections.close_all()  # none is shared with the pool's processes


def _run(task, image_id, work, what):
    """Run ``work(image)`` under the image's lock; transient I/O errors retry, others
    mark the image failed. Another task working on the image makes this one a no-op."""
    with image_lock(image_id) as acquired:
        if not acquired:
            log.info("image %s is being worked on elsewhere: %s skipped", image_id, what)
            return None
        return _run_locked(task, image_id, work, what)


def _run_locked(task, image_id, work, what):
    image = Image.objects.select_related("collection").filter(pk=image_id).first()
    if image is None:
        return None  # deleted meanwhile: nothing to do
    try:
        file_check.check(image)  # never warm a file that is not the one registered
        work(image)
    except Image.DoesNotExist:
        log.info("image %s was deleted during %s", image_id, what)
        return None
    except file_check.FileChangedError:
        return None  # the image is failed with the reason
    except engine.InvalidFitsError as exc:
        try:  # a file cut short under the warm: say so
            file_check.check(image)
        except file_check.FileChangedError:
            return None
        except engine.InvalidFitsError:
            pass
        image.set_state(Image.FAILED, f"Cannot read the file: {exc}")
        return None
    except OSError as exc:
        if task.request.retries < task.max_retries:
            raise task.retry(exc=exc) from exc
        image.set_state(Image.FAILED, f"Could not {what}: {exc}")
        return None
    except Exception as exc:
        log.exception("%s of image %s failed", what, image_id)
        image.set_state(Image.FAILED, f"Could not {what}: internal error ({type(exc).__name__})")
        raise
    return image_id


@shared_task(**RETRY)
def ingest_image(self, image_id):
    """Compute per-channel statistics and default cuts of an image."""

    def work(image):
        if image.state == Image.READY and image.stats:
            return  # a second copy of the task (a resumed warm): the work is done
        image.set_state(Image.WARMING, progress=0.0)
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
        if image.state == Image.READY and engine.pyramid_matches(image.path, image.cache_dir):
            return  # a second copy of the task (a resumed warm): the work is done
        image.set_state(Image.WARMING, progress=0.0)
        reporter = progress_events.ProgressReporter(image)
        fresh = engine.pyramid_matches(image.path, image.cache_dir)
        engine.build_pyramid(image.path, image.cache_dir, progress=reporter)
        if not fresh:  # new pixels: new ETags, and open copies are dropped
            image.version += 1
            image.save_fields(version=image.version)
        file_check.check(image)  # changed while warming: failed, not ready
        image.set_state(Image.READY, progress=1.0)

    return _run(self, image_id, work, "build the pyramid")
