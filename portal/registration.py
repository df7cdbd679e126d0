"""Registering FITS files as images: from an upload, or in place under a data root.

Either an image row exists with its file in place, or nothing changed: a file is
validated before its row is created, and every failure removes what this module wrote.
Callers get ``RegistrationError`` with a message meant for the user and an HTTP status.
"""

import os
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from portal.models import Image
from tiles.engine import InvalidFitsError, file_checksum, inspect_fits


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
    incoming = settings.UPLOAD_ROOT / ".incoming"
    inside = any(real.is_relative_to(root) for root in settings.DATA_ROOTS)
    if not inside or real.is_relative_to(incoming):
        roots = ", ".join(str(root) for root in settings.DATA_ROOTS)
        raise RegistrationError(f"{path}: not under a data root ({roots}).")
    if not real.is_file():
        raise RegistrationError(f"{path}: no such file.")
    return real


def register_upload(collection, uploaded, user=None, title=""):
    """Register an uploaded file (a Django ``UploadedFile``) into ``collection``."""
    incoming = settings.UPLOAD_ROOT / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    temp = incoming / f"{uuid.uuid4().hex}.part"
    try:
        _store_upload(uploaded, temp)
        inventory, checksum = _validate(temp, collection, display_name=uploaded.name)
        folder = settings.UPLOAD_ROOT / collection.slug
        folder.mkdir(parents=True, exist_ok=True)
        while True:  # link, not rename: never overwrite a file that appeared meanwhile
            name = _unique_name(collection, safe_file_name(uploaded.name), folder)
            final = folder / name
            try:
                os.link(temp, final)
                break
            except FileExistsError:
                continue
    finally:
        temp.unlink(missing_ok=True)
    try:
        return _create(collection, name, final, checksum, inventory, user, title, owns_file=True)
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def register_path(collection, path, user=None, title=""):
    """Register a file already under a data root, without copying it."""
    real = resolve_data_path(path)
    inventory, checksum = _validate(real, collection, display_name=real.name)
    name = _unique_name(collection, safe_file_name(real.name))
    return _create(collection, name, real, checksum, inventory, user, title, owns_file=False)


def _store_upload(uploaded, target):
    if uploaded.size == 0:
        raise RegistrationError(f"{uploaded.name}: the file is empty.")
    if uploaded.size > settings.MAX_UPLOAD_BYTES:
        from portal.uploads import size_limit_message

        raise RegistrationError(size_limit_message(), status=413)
    temporary = getattr(uploaded, "temporary_file_path", None)
    if temporary is not None:
        os.replace(temporary(), target)  # same file system: a rename
        return
    with open(target, "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)


def _validate(path, collection, display_name):
    try:
        inventory = inspect_fits(path)
    except InvalidFitsError as exc:
        raise RegistrationError(f"{display_name}: {exc}") from exc
    checksum = file_checksum(path)
    duplicate = Image.objects.filter(collection=collection, checksum=checksum).first()
    if duplicate is not None:
        raise RegistrationError(
            f"{display_name}: this file is already in collection "
            f"'{collection.slug}' as '{duplicate.name}'.",
            status=409,
        )
    return inventory, checksum


def _unique_name(collection, name, folder=None):
    """``name``, or ``stem-N.ext``, free in the collection (and in ``folder`` if given)."""
    stem, dot, ext = name.partition(".")
    taken = set(
        Image.objects.filter(collection=collection, name__startswith=stem).values_list(
            "name", flat=True
        )
    )
    candidate, n = name, 1
    while candidate in taken or (folder is not None and (folder / candidate).exists()):
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    return candidate


def _create(collection, name, path, checksum, inventory, user, title, owns_file):
    header = inventory.header
    title = (title or str(header.get("OBJECT") or "").strip() or Path(name).stem)[:200]
    try:
        with transaction.atomic():
            image = Image.objects.create(
                collection=collection,
                title=title,
                name=name,
                path=str(path),
                owns_file=owns_file,
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
            from tiles.tasks import schedule_warm

            schedule_warm(image)
    except IntegrityError as exc:
        raise RegistrationError(
            f"{name}: an image with this name or content was registered at the same time.",
            status=409,
        ) from exc
    return image
