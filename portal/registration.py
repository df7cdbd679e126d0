"""Registering FITS files as images: from an upload, or in place under a data root.

Either an image row exists with its file in place, or nothing changed: a file is
validated before its row is created, and every failure removes what this module wrote.
Callers get ``RegistrationError`` with a message meant for the user and an HTTP status.

Headers are checked against the limits (``MAX_IMAGE_BYTES``, ``MAX_HEADER_BYTES``,
``MAX_HDUS``) before any data is read. A gzip'd file is decompressed here, in chunks and
never past ``MAX_DECOMPRESSED_BYTES``, to a plain FITS file the portal owns (for a file
registered in place: in the upload root, ``source_path`` naming the original), so the
engine only ever reads plain files, at an offset. Files being written under ``.incoming`` are
held under an ``flock`` until they are gone or in place: ``portal.housekeeping`` removes
only files nobody holds.
"""

import contextlib
import fcntl
import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from portal.models import Image
from portal.uploads import size_limit_message
from tiles.engine import InvalidFitsError, file_checksum, inspect_fits
from tiles.engine.claims import Limits, TooLargeError, decompress_fits, is_gzip


class RegistrationError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def safe_file_name(name):
    """A file name safe on any file system and in a URL; keeps the FITS extensions."""
    base = os.path.basename(str(name).replace("\\", "/")).strip()
    base = _UNSAFE.sub("_", base).lstrip(".")[:200]
    return base or "image.fits"


def resolve_data_path(path):
    """The real path of ``path`` if it is a regular file under a data root.

    Symbolic links are resolved first, so a link cannot lead outside the roots.
    """
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        raise RegistrationError(f"Invalid path: {exc}") from exc
    incoming = incoming_dir()
    inside = any(real.is_relative_to(root) for root in settings.DATA_ROOTS)
    if not inside or real.is_relative_to(incoming):
        roots = ", ".join(str(root) for root in settings.DATA_ROOTS)
        raise RegistrationError(f"{path}: not under a data root ({roots}).")
    if not real.is_file():
        raise RegistrationError(f"{path}: no such file.")
    return real


def image_limits():
    """The ``claims.Limits`` of this portal's settings."""
    return Limits(
        max_data_bytes=settings.MAX_IMAGE_BYTES,
        max_decompressed_bytes=settings.MAX_DECOMPRESSED_BYTES,
        max_header_bytes=settings.MAX_HEADER_BYTES,
        max_hdus=settings.MAX_HDUS,
    )


def incoming_dir():
    incoming = settings.UPLOAD_ROOT / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    return incoming


@contextlib.contextmanager
def incoming_file(suffix):
    """A new path under ``.incoming``, created and locked (``flock``) while the block
    runs, removed after it (a link made meanwhile keeps the data)."""
    path = incoming_dir() / f"{uuid.uuid4().hex}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def plain_name(name):
    """The name of the plain FITS file decompressed from ``name``: ``x.fits.gz`` -> ``x.fits``."""
    return name[:-3] if name.lower().endswith(".gz") and len(name) > 3 else name


def register_upload(collection, uploaded, user=None, title=""):
    """Register an uploaded file (a Django ``UploadedFile``) into ``collection``."""
    with contextlib.ExitStack() as files:
        temp = files.enter_context(incoming_file(".part"))
        _store_upload(uploaded, temp)
        if is_gzip(temp):
            plain = files.enter_context(incoming_file(".fits.part"))
            _decompress(temp, plain, uploaded.name)
            temp.unlink()
            temp = plain
        inventory, checksum = _validate(temp, collection, display_name=uploaded.name)
        name, final = _place(collection, temp, safe_file_name(uploaded.name))
    try:
        return _create(collection, name, final, checksum, inventory, user, title, owns_file=True)
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def register_path(collection, path, user=None, title=""):
    """Register a file already under a data root, without copying it (a gzip'd file is
    decompressed into the upload root: the original is left as it is)."""
    real = resolve_data_path(path)
    if not is_gzip(real):
        inventory, checksum = _validate(real, collection, display_name=real.name)
        name = unique_name(collection, safe_file_name(real.name))
        return _create(collection, name, real, checksum, inventory, user, title, owns_file=False)
    with incoming_file(".fits.part") as plain:
        _decompress(real, plain, real.name)
        inventory, checksum = _validate(plain, collection, display_name=real.name)
        name, final = _place(collection, plain, safe_file_name(real.name))
    try:
        return _create(collection, name, final, checksum, inventory, user, title,
                       owns_file=True, source_path=real)  # fmt: skip
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def _place(collection, temp, wanted):
    """Link ``temp`` into the collection's folder under a free name; (name, path).
    A link, not a rename: never overwrites a file that appeared meanwhile."""
    folder = settings.UPLOAD_ROOT / collection.slug
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        name = unique_name(collection, wanted, folder)
        final = folder / plain_name(name)
        try:
            os.link(temp, final)
            return name, final
        except FileExistsError:
            continue


def _decompress(source, target, display_name):
    try:
        decompress_fits(source, target, image_limits())
    except TooLargeError as exc:
        raise RegistrationError(f"{display_name}: {exc}", status=413) from exc
    except InvalidFitsError as exc:
        raise RegistrationError(f"{display_name}: {exc}") from exc


def _store_upload(uploaded, target):
    if uploaded.size == 0:
        raise RegistrationError(f"{uploaded.name}: the file is empty.")
    if uploaded.size > settings.MAX_UPLOAD_BYTES:
        raise RegistrationError(size_limit_message(), status=413)
    temporary = getattr(uploaded, "temporary_file_path", None)
    if temporary is not None:
        os.replace(temporary(), target)  # same file system: a rename
        return
    with open(target, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)


def inspect_file(path, display_name):
    """(``FitsInventory``, checksum) of a plain FITS file; ``RegistrationError`` if it
    cannot be registered (not FITS, truncated, beyond the limits)."""
    try:
        inventory = inspect_fits(path, image_limits())
    except TooLargeError as exc:
        raise RegistrationError(f"{display_name}: {exc}", status=413) from exc
    except InvalidFitsError as exc:
        raise RegistrationError(f"{display_name}: {exc}") from exc
    return inventory, file_checksum(path)


def duplicate_error(collection, display_name, existing_name):
    return RegistrationError(
        f"{display_name}: this file is already in collection "
        f"'{collection.slug}' as '{existing_name}'.",
        status=409,
    )


def _validate(path, collection, display_name):
    inventory, checksum = inspect_file(path, display_name)
    duplicate = Image.objects.filter(collection=collection, checksum=checksum).first()
    if duplicate is not None:
        raise duplicate_error(collection, display_name, duplicate.name)
    return inventory, checksum


def unique_name(collection, name, folder=None, also_taken=()):
    """``name``, or ``stem-N.ext``, free in the collection (and in ``folder`` if given,
    and not in ``also_taken``)."""
    stem, dot, ext = name.partition(".")
    taken = set(
        Image.objects.filter(collection=collection, name__startswith=stem).values_list(
            "name", flat=True
        )
    )
    taken.update(also_taken)
    candidate, n = name, 1
    while candidate in taken or (folder is not None and (folder / plain_name(candidate)).exists()):
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    return candidate


def image_fields(collection, name, path, checksum, inventory, user=None, title="",
                 owns_file=False, source_path=None):  # fmt: skip
    """The fields of a new Image row for a validated file at ``path``."""
    header = inventory.header
    title = (title or str(header.get("OBJECT") or "").strip() or Path(name).stem)[:200]
    return dict(
        collection=collection,
        title=title,
        name=name,
        path=str(path),
        owns_file=owns_file,
        source_path=str(source_path or ""),
        checksum=checksum,
        size=os.path.getsize(path),
        kind=inventory.kind,
        width=inventory.width,
        height=inventory.height,
        channels=inventory.channels,
        channel_names=list(inventory.channel_names),
        hdus=inventory.hdus,
        header=header,
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )


def _create(collection, name, path, checksum, inventory, user, title, owns_file,
            source_path=None):  # fmt: skip
    fields = image_fields(collection, name, path, checksum, inventory, user, title,
                          owns_file, source_path)  # fmt: skip
    try:
        with transaction.atomic():
            image = Image.objects.register(**fields)
    except IntegrityError as exc:
        raise RegistrationError(
            f"{name}: an image with this name or content was registered at the same time.",
            status=409,
        ) from exc
    return image
