"""Registering many files in place at once (``manage.py register_images`` over a
directory tree), in batches: in this process, or as tasks of the Celery workers.

A batch is one transaction: its images, their metadata, sky cells and words go in with
one ``bulk_create`` each, so an interrupted run (even ``kill -9``) leaves whole batches
or none. With ``resume``, a file already registered in the collection from the same
path, with the same size and modification time, is skipped (one query per batch): run
again, the command registers what is missing, nothing twice. Headers only are read,
and the bytes hashed (the checksum names an image's content). Whether each image's
warm is queued now or left for later (``warm_images``, or when first asked for) is
``warm``, by default ``WARM_ON_REGISTER``.

A gzip'd file takes the single-file path (``register_path``: it is decompressed), and
so does a whole batch when another registration took one of its names or contents
meanwhile (the batch's insert fails on the unique constraints).
"""

import contextlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from archive import indexing
from archive.models import ImageMetadata, SearchWord, SkyCell
from portal import events, invalidation
from portal.models import Image
from portal.registration import (
    RegistrationError,
    duplicate_error,
    image_fields,
    inspect_file,
    register_path,
    resolve_data_path,
    safe_file_name,
    unique_name,
)
from tiles.engine.claims import is_gzip


@dataclass
class Refusal:
    path: str
    reason: str


@dataclass
class BatchOutcome:
    """What became of each file of a batch: registered (path, image id), skipped
    (already registered, unchanged) or refused with the reason."""

    registered: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    refused: list = field(default_factory=list)

    def refuse(self, path, message):
        self.refused.append(Refusal(str(path), reason_of(path, message)))

    def as_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(
            registered=[tuple(item) for item in data["registered"]],
            skipped=list(data["skipped"]),
            refused=[Refusal(**item) for item in data["refused"]],
        )


def reason_of(path, message):
    """``message`` without the file name registration puts first (``name: reason``)."""
    for name in (Path(path).name, str(path)):
        if message.startswith(f"{name}: "):
            return message[len(name) + 2 :]
    return message


@dataclass
class _Candidate:
    shown: str  # the path as given
    real: Path
    stat: os.stat_result
    inventory: object = None
    checksum: str = ""


def register_batch(collection, paths, user=None, resume=True, warm=None):
    """Register the files ``paths`` in place into ``collection``; a ``BatchOutcome``."""
    outcome = BatchOutcome()
    candidates = _resolved(paths, outcome)
    if resume:
        candidates = _not_registered(collection, candidates, outcome)
    plain = []
    for candidate in candidates:
        if is_gzip(candidate.real):
            _register_one(collection, candidate, outcome, user, resume, warm)
            continue
        try:
            candidate.inventory, candidate.checksum = inspect_file(
                candidate.real, candidate.real.name
            )
        except RegistrationError as exc:
            outcome.refuse(candidate.shown, exc.message)
            continue
        plain.append(candidate)
    plain = _new_contents(collection, plain, outcome)
    if plain:
        _insert(collection, plain, outcome, user, resume, warm)
    return outcome


def _resolved(paths, outcome):
    candidates = []
    for shown in paths:
        try:
            real = resolve_data_path(shown)
            candidates.append(_Candidate(str(shown), real, real.stat()))
        except RegistrationError as exc:
            outcome.refuse(shown, exc.message)
        except OSError as exc:
            outcome.refuse(shown, f"cannot read the file: {exc.strerror or exc}")
    return candidates


def _not_registered(collection, candidates, outcome):
    """``candidates`` but those registered already from the same, unchanged file (one
    query); a registered file that changed since is refused with the reason."""
    reals = [str(c.real) for c in candidates]
    rows = Image.objects.filter(collection=collection).filter(
        Q(path__in=reals) | Q(source_path__in=reals)
    )
    known = {}
    for row in rows.only("pk", "name", "path", "source_path", "size", "mtime_ns", "created"):
        known[row.source_path or row.path] = row
    left = []
    for candidate in candidates:
        row = known.get(str(candidate.real))
        if row is None:
            left.append(candidate)
        elif _unchanged(row, candidate.stat):
            outcome.skipped.append(candidate.shown)
        else:
            outcome.refuse(
                candidate.shown,
                f"already registered as '{row.name}' (image {row.pk}), and the file changed "
                "since: manage.py warm_images --rehash accepts its new content.",
            )
    return left


def _unchanged(row, stat):
    if row.source_path:  # decompressed at registration: the original is older than the row
        return stat.st_mtime < row.created.timestamp()
    return row.size == stat.st_size and row.mtime_ns == stat.st_mtime_ns


def _new_contents(collection, candidates, outcome):
    """``candidates`` but those whose content is in the collection already, or earlier
    in the batch (one query)."""
    checksums = {c.checksum for c in candidates}
    existing = dict(
        Image.objects.filter(collection=collection, checksum__in=checksums).values_list(
            "checksum", "name"
        )
    )
    left = []
    for candidate in candidates:
        name = existing.get(candidate.checksum)
        if name is not None:
            outcome.refuse(
                candidate.shown,
                duplicate_error(collection, candidate.real.name, name).message,
            )
            continue
        existing[candidate.checksum] = safe_file_name(candidate.real.name)
        left.append(candidate)
    return left


def _names(collection, candidates):
    """A free name for each candidate: its file name, or ``stem-N.ext`` when taken in
    the collection or by an earlier file of the batch (one query, one more per clash)."""
    wanted = [safe_file_name(c.real.name) for c in candidates]
    taken = set(
        Image.objects.filter(collection=collection, name__in=set(wanted)).values_list(
            "name", flat=True
        )
    )
    names = []
    for name in wanted:
        if name in taken:
            name = unique_name(collection, name, also_taken=taken)
        taken.add(name)
        names.append(name)
    return names


def _insert(collection, candidates, outcome, user, resume, warm):
    images, cards = [], []
    for candidate, name in zip(candidates, _names(collection, candidates), strict=True):
        fields = image_fields(collection, name, candidate.real, candidate.checksum,
                              candidate.inventory, user)  # fmt: skip
        # What the file was when it was read: a change after that fails the image.
        fields.update(size=candidate.stat.st_size, mtime_ns=candidate.stat.st_mtime_ns)
        images.append(Image(**fields))
        cards.append(candidate.inventory.header_cards)
    descriptions = [indexing.describe(image, c) for image, c in zip(images, cards, strict=True)]
    try:
        with transaction.atomic(), warming(warm):
            Image.objects.bulk_create(images)
            _store(images, descriptions)
            for image in images:
                events.image_registered.send(sender=Image, image=image)
            invalidation.forget({"access": True})  # as each image's save would
    except IntegrityError:
        # Registered meanwhile by another run (a name or a content): one by one.
        for candidate in candidates:
            _register_one(collection, candidate, outcome, user, resume, warm)
        return
    outcome.registered.extend(
        (c.shown, image.pk) for c, image in zip(candidates, images, strict=True)
    )


def _store(images, descriptions):
    """The archive rows of new images (``indexing.store`` for many at once)."""
    ImageMetadata.objects.bulk_create(
        ImageMetadata(image_id=image.pk, **d.values)
        for image, d in zip(images, descriptions, strict=True)
    )
    SkyCell.objects.bulk_create(
        SkyCell(image_id=image.pk, cell=cell)
        for image, d in zip(images, descriptions, strict=True)
        for cell in d.cells
    )
    SearchWord.objects.bulk_create(
        SearchWord(image_id=image.pk, word=word)
        for image, d in zip(images, descriptions, strict=True)
        for word in d.words
    )


def _register_one(collection, candidate, outcome, user, resume, warm):
    if resume and not _not_registered(collection, [candidate], outcome):
        return
    try:
        with warming(warm):
            image = register_path(collection, candidate.real, user=user)
    except RegistrationError as exc:
        outcome.refuse(candidate.shown, exc.message)
        return
    outcome.registered.append((candidate.shown, image.pk))


@contextlib.contextmanager
def warming(warm):
    """``WARM_ON_REGISTER`` as ``warm`` (unless None) while the block registers images.
    Registration runs in a command or a task, one at a time in its process."""
    if warm is None:
        yield
        return
    saved = settings.WARM_ON_REGISTER
    settings.WARM_ON_REGISTER = bool(warm)
    try:
        yield
    finally:
        settings.WARM_ON_REGISTER = saved
