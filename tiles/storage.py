"""Where the files derived from images live: the one module that knows.

Under ``settings.CACHE_ROOT``:

- ``pyramids/<checksum>/``: an image file's pyramid, keyed by its content, so copies of
  one file in several collections share it; its work folders, claims and stale copies
  are dot-named siblings that the engine manages (``tiles/engine/pyramid.py``);
- ``locks/image-<id>``: the work lock of an image (an ``flock``, which dies with its
  holder): held by whoever ingests or warms it.

Nothing here knows the domain or the engine (paths come from checksums and ids), so
``Image.cache_dir`` may ask it; removing files is ``tiles/tasks.py``'s.
"""

from django.conf import settings

from portal import jobs


def pyramids_root():
    return settings.CACHE_ROOT / "pyramids"


def pyramid_dir(checksum):
    """The pyramid of the file whose content has ``checksum``."""
    return pyramids_root() / checksum


def lock_path(image_id):
    return settings.CACHE_ROOT / "locks" / f"image-{int(image_id)}"


def image_lock(image_id):
    """Hold the work lock of an image; yields False (holding nothing) if another task
    holds it (``portal.jobs.work_lock``)."""
    return jobs.work_lock(lock_path(image_id))


def image_busy(image_id):
    """Whether a live process is working on the image now."""
    with image_lock(image_id) as acquired:
        return not acquired
