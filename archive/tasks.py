"""Background work of the archive: a batch of a bulk registration, run by a Celery
worker when ``register_images`` spreads a directory tree over the workers."""

from celery import shared_task
from django.contrib.auth import get_user_model

from archive import ingest
from portal.models import Collection


# A worker killed in the middle of a batch loses its transaction; the broker hands the
# task out again (acks late) and the batch, run again, skips what is registered.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def register_files(collection_id, paths, user_id=None, resume=True, warm=None):
    """``ingest.register_batch`` of ``paths``; its outcome as JSON."""
    collection = Collection.objects.get(pk=collection_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    outcome = ingest.register_batch(collection, paths, user=user, resume=resume, warm=warm)
    return outcome.as_json()
