"""The core domain: collections of images, and who may see them.

Visibility of a collection:
- ``private``: its owner, and users or groups granted a permission on it;
- ``team``: every signed-in member of the portal (the collaboration), plus the above;
- ``public``: everyone, anonymous visitors included.

Grants are django-guardian object permissions on the collection, in increasing power:
``view_collection`` < ``contribute_collection`` (add images and catalogs) <
``manage_collection`` (edit, delete, grant). Images and catalogs follow their collection.
"""

import contextlib
import os

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal import permissions


class CollectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(permissions.visible_collections_q(user))


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
        """Where this file's pyramid lives: keyed by checksum, shared by every copy."""
        return settings.CACHE_ROOT / "pyramids" / self.checksum

    @property
    def cache_key(self):
        return f"{self.pk}:{self.checksum}:{self.version}"

    def set_state(self, state, reason="", progress=None):
        """Record a state change at once; ``Image.DoesNotExist`` if the row is gone."""
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
