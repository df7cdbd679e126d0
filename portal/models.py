"""The core domain: collections of images, and who may see them.

Visibility of a collection:
- ``private``: its owner, and users or groups granted a permission on it;
- ``team``: every signed-in member of the portal (the collaboration), plus the above;
- ``public``: everyone, anonymous visitors included.

Grants are django-guardian object permissions on the collection, in increasing power:
``view_collection`` < ``contribute_collection`` (add images and catalogs) <
``manage_collection`` (edit, delete, grant). Images and catalogs follow their collection.

The querysets here select what a user may see or change, in the database (every list and
lookup filters through them); ``portal/permissions.py`` asks the questions about one
object with them and imports this module, never the reverse.

An image's life cycle (pending -> warming -> ready, or failed with a reason) is changed
only through the methods of ``Image``, and each change is announced
(``portal/events.py``): whoever listens (the progress websockets) hears every one.
"""

import contextlib
import os

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal import events
from tiles import storage

# Power levels on a collection, each implying the ones before it, and the object
# permissions (guardian codenames) that grant each.
VIEW, CONTRIBUTE, MANAGE = "view", "contribute", "manage"
LEVELS = (VIEW, CONTRIBUTE, MANAGE)
CODENAMES = {
    VIEW: ("view_collection", "contribute_collection", "manage_collection"),
    CONTRIBUTE: ("contribute_collection", "manage_collection"),
    MANAGE: ("manage_collection",),
}


def collections_q(user, level=VIEW):
    """A ``Q`` over Collection selecting those where ``user`` holds ``level``: all for
    a superuser; public ones (VIEW) for anyone; team ones (VIEW) for signed-in users;
    their own, and those granted to them or to one of their groups at ``level`` or above."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return Q()
    q = Q(visibility=Collection.PUBLIC) if level == VIEW else Q(pk__in=[])
    if user is None or not user.is_authenticated:
        return q
    if level == VIEW:
        q |= Q(visibility=Collection.TEAM)
    codenames = CODENAMES[level]
    by_user = CollectionUserPermission.objects.filter(
        user=user, permission__codename__in=codenames
    ).values("content_object_id")
    by_group = CollectionGroupPermission.objects.filter(
        group__user=user, permission__codename__in=codenames
    ).values("content_object_id")
    return q | Q(owner=user) | Q(pk__in=by_user) | Q(pk__in=by_group)


class CollectionQuerySet(models.QuerySet):
    def held_by(self, user, level):
        """The collections where ``user`` holds ``level`` (VIEW, CONTRIBUTE, MANAGE)."""
        return self.filter(collections_q(user, level))

    def visible_to(self, user):
        return self.held_by(user, VIEW)


class Collection(models.Model):
    PRIVATE, TEAM, PUBLIC = "private", "team", "public"
    VISIBILITY_CHOICES = [
        (PRIVATE, "Private: owner and granted users/groups"),
        (TEAM, "Team: every signed-in member"),
        (PUBLIC, "Public: everyone, anonymous included"),
    ]

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collections"
    )
    visibility = models.CharField(max_length=10, choices=VISIBILITY_CHOICES, default=PRIVATE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("contribute_collection", "Can add images and catalogs to the collection"),
            ("manage_collection", "Can edit the collection and grant access to it"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("collection-page", args=[self.slug])


class ImageQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(collection__in=Collection.objects.visible_to(user))

    def register(self, **fields):
        """Create an image (``pending``) and announce it: call inside the registering
        transaction, so that what listeners do after it commits sees the row."""
        image = self.create(**fields)
        events.image_registered.send(sender=Image, image=image)
        return image


class Image(models.Model):
    PENDING, WARMING, READY, FAILED = "pending", "warming", "ready", "failed"
    STATE_CHOICES = [
        (PENDING, "Pending"),
        (WARMING, "Warming"),
        (READY, "Ready"),
        (FAILED, "Failed"),
    ]

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="images")
    title = models.CharField(max_length=200)
    # The file name, unique in its collection: IIP clients name images as
    # FIF=<collection-slug>/<name>.
    name = models.CharField(max_length=255)
    # Absolute path under one of settings.DATA_ROOTS; never built from a request.
    path = models.CharField(max_length=1024)
    # True when fitsportal holds its own copy (an upload) and deletes it with the row.
    owns_file = models.BooleanField(default=False)
    # The file registered in place that ``path`` was decompressed from (a gzip'd FITS
    # file: the portal keeps a plain copy); empty otherwise.
    source_path = models.CharField(max_length=1024, blank=True, default="")
    checksum = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(help_text="File size in bytes")
    # With ``size`` and ``checksum``, what the file was when registered: a file that
    # changes afterwards fails its image (tiles/file_check.py). Set on creation.
    mtime_ns = models.BigIntegerField(
        null=True, blank=True, help_text="The file's modification time at registration (ns)"
    )
    kind = models.CharField(max_length=16, default="image")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    channels = models.PositiveIntegerField(default=1)
    channel_names = models.JSONField(default=list)
    hdus = models.JSONField(default=list, help_text="HDU inventory of the file")
    header = models.JSONField(default=dict, help_text="Header of the (mosaic) image")
    stats = models.JSONField(default=list, help_text="Per-channel statistics and default cuts")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=PENDING)
    state_reason = models.TextField(blank=True)
    progress = models.FloatField(default=0.0, help_text="Warm progress, 0 to 1")
    # Bumped whenever the rendered output may change (re-warm, new file): ETags use it.
    version = models.PositiveIntegerField(default=1)
    last_run = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["collection", "title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "name"], name="unique_image_name"),
            models.UniqueConstraint(
                fields=["collection", "checksum"], name="unique_image_checksum"
            ),
        ]
        # A collection's images in registration order (the newest first of a search by
        # id reads each visible collection's end), by last change (its live page) and
        # by file path (registration's duplicate check), however large it is.
        indexes = [
            models.Index(fields=["collection", "id"], name="image_collection_id"),
            models.Index(fields=["collection", "updated"], name="image_collection_updated"),
            models.Index(fields=["collection", "path"], name="image_collection_path"),
            # An image's collection by its id, without the row: what a search asks
            # of each image it reads to keep only those the user may see.
            models.Index(fields=["id", "collection"], name="image_id_collection"),
        ]

    def __str__(self):
        return f"{self.collection.slug}/{self.name}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.mtime_ns is None and self.path:
            with contextlib.suppress(OSError):
                self.mtime_ns = os.stat(self.path).st_mtime_ns
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("image-page", args=[self.pk])

    @property
    def cache_dir(self):
        """Where this file's pyramid lives (``tiles/storage.py`` decides)."""
        return storage.pyramid_dir(self.checksum)

    @property
    def cache_key(self):
        return f"{self.pk}:{self.checksum}:{self.version}"

    # The life cycle. Each method writes the row at once (``Image.DoesNotExist`` if it
    # was deleted) and announces the change (``portal/events.py``).

    def set_state(self, state, reason="", progress=None):
        """Record a state change (and the progress, if given)."""
        self.state, self.state_reason, self.last_run = state, reason, timezone.now()
        changes = {
            "state": state,
            "state_reason": reason,
            "last_run": self.last_run,
            "updated": self.last_run,
        }
        if progress is not None:
            self.progress = changes["progress"] = progress
        self.save_fields(**changes)
        events.image_state_changed.send(sender=Image, image=self)

    def explain(self, reason):
        """Say why the image stays in its state (e.g. pending: no task queue)."""
        self.set_state(self.state, reason)

    def warm(self, wait=False):
        """Ask for ingest + pyramid warm (idempotent: work found done is not redone):
        queued, or with ``wait`` run here and now. The state changes as the work does."""
        events.warm_requested.send(sender=Image, image=self, wait=wait)

    def opened(self):
        """Someone opens the image: one registered without its warm (a bulk ingest with
        ``--no-warm``, ``WARM_ON_REGISTER`` off) is warmed now, once: the request marks
        it, so the next openings do not ask again."""
        if self.state == Image.PENDING and self.last_run is None:
            self.set_state(Image.PENDING, "warming on first view")
            self.warm()

    def warm_again(self, wait=False):
        """Start the life cycle again: back to ``pending``, then warmed."""
        self.set_state(Image.PENDING, "", progress=0.0)
        self.warm(wait=wait)

    def accept_file(self, checksum, size, mtime_ns):
        """The file changed and its new content is accepted as a new version of the
        image (``warm_images --rehash``): ``pending``, to be warmed anew."""
        previous = self.checksum
        self.checksum, self.size, self.mtime_ns = checksum, size, mtime_ns
        self.state, self.state_reason, self.progress = Image.PENDING, "", 0.0
        self.last_run = timezone.now()
        # A save, not an update: post_save tells every process's caches (they hold rows).
        self.save(update_fields=["checksum", "size", "mtime_ns", "state", "state_reason",
                                 "progress", "last_run", "updated"])  # fmt: skip
        events.image_changed.send(sender=Image, image=self, previous_checksum=previous)
        events.image_state_changed.send(sender=Image, image=self)

    def fail_for_changed_file(self, reason):
        """Fail the image because its file changed, unless the row now records another
        file (``warm_images --rehash``) or says so already; returns whether it did."""
        now = timezone.now()
        done = (
            Image.objects.filter(pk=self.pk, checksum=self.checksum, size=self.size)
            .exclude(state=Image.FAILED, state_reason=reason)
            .update(state=Image.FAILED, state_reason=reason, last_run=now, updated=now)
        )
        if done:
            self.state, self.state_reason, self.last_run = Image.FAILED, reason, now
            events.image_state_changed.send(sender=Image, image=self)
        return bool(done)

    def record_mtime(self, mtime_ns):
        """The file was touched without changing (same checksum): remember its new mtime.
        Returns whether the recorded mtime changed."""
        if mtime_ns == self.mtime_ns:
            return False
        Image.objects.filter(pk=self.pk, checksum=self.checksum).update(mtime_ns=mtime_ns)
        self.mtime_ns = mtime_ns
        return True

    def save_fields(self, **changes):
        """Write ``changes`` to this row only; ``Image.DoesNotExist`` if it was deleted."""
        if not Image.objects.filter(pk=self.pk).update(**changes):
            raise Image.DoesNotExist(f"image {self.pk} was deleted")


class CollectionUserPermission(UserObjectPermissionBase):
    """A grant to one user on one collection (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Collection, on_delete=models.CASCADE)


class CollectionGroupPermission(GroupObjectPermissionBase):
    """A grant to a group on one collection (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Collection, on_delete=models.CASCADE)
