"""The shape of collections and images in the REST API, and upload validation."""

import contextlib
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework import serializers

from portal import permissions
from portal.models import (
    LEVELS,
    Collection,
    CollectionGroupPermission,
    CollectionUserPermission,
    Image,
)
from tiles import file_check, service
from tiles import params as render_parameters
from tiles.engine import EngineError, TileGrid
from tiles.engine.stats import DEFAULT_PRESET

SLUG_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l
SLUG_SUFFIX_LENGTH = 6


def new_slug(proposal):
    """A slug made by the server: the proposal slugified, a dash, six random characters.

    A user-chosen slug would have to be refused when taken, which tells whoever asks that
    a collection they cannot see exists; with a suffix the server draws, every creation
    succeeds the same way whatever other collections are called.
    """
    base = slugify(proposal)[: Collection._meta.get_field("slug").max_length - 7].strip("-")
    suffix = "".join(secrets.choice(SLUG_SUFFIX_ALPHABET) for _ in range(SLUG_SUFFIX_LENGTH))
    return f"{base or 'collection'}-{suffix}"


# Bidirectional controls reorder what follows them on screen: a name holding U+202E
# shows "stif.exe" for "exe.fits" and, in a list, can make other rows read differently.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def shown_text(text, lines=False):
    """``text`` if it holds no control character (tabs and line breaks allowed when
    ``lines``) and no bidirectional control; else a validation error naming the first."""
    allowed = "\t\n\r" if lines else ""
    for ch in text:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch not in allowed):
            raise serializers.ValidationError(
                f"The character U+{ord(ch):04X} (a control character) is not allowed."
            )
    return text


class CollectionSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(
        max_length=100, required=False,
        help_text="On creation, a proposal: the server adds a random suffix. Never changes.",
    )  # fmt: skip
    owner = serializers.CharField(source="owner.username", read_only=True)
    image_count = serializers.SerializerMethodField()
    can_contribute = serializers.SerializerMethodField()
    can_manage = serializers.SerializerMethodField()
    images_url = serializers.SerializerMethodField()

    class Meta:
        model = Collection
        fields = [
            "slug", "name", "description", "owner", "visibility", "image_count",
            "can_contribute", "can_manage", "images_url", "created", "updated",
        ]  # fmt: skip
        read_only_fields = ["created", "updated"]

    def validate_name(self, name):
        return shown_text(name)

    def validate_description(self, description):
        return shown_text(description, lines=True)

    def validate_slug(self, slug):
        if self.instance is not None and slug != self.instance.slug:
            raise serializers.ValidationError("A collection's slug never changes.")
        return slug

    def create(self, validated_data):
        proposal = validated_data.pop("slug", "") or validated_data.get("name", "")
        for _attempt in range(10):
            try:
                with transaction.atomic():
                    return Collection.objects.create(slug=new_slug(proposal), **validated_data)
            except IntegrityError:
                continue  # drawn twice (about once in 10^9): draw again
        raise serializers.ValidationError({"slug": "No free slug could be made: try again."})

    def get_image_count(self, obj) -> int:
        """How many images the collection holds."""
        # The lists annotate it; a collection just made is counted here.
        counted = getattr(obj, "image_count", None)
        return obj.images.count() if counted is None else counted

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_can_contribute(self, obj) -> bool:
        return permissions.can_contribute(self._user(), obj)

    def get_can_manage(self, obj) -> bool:
        return permissions.can_manage(self._user(), obj)

    def get_images_url(self, obj) -> str:
        return reverse("collection-images", args=[obj.slug])


class ImageSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = [
            "id", "url", "collection", "title", "name", "kind", "size", "checksum",
            "width", "height", "channels", "channel_names", "state", "state_reason",
            "progress", "version", "created", "updated",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("image-detail", args=[obj.pk])


class ImageDetailSerializer(ImageSerializer):
    """Everything a client needs to set up a view of the image."""

    tile_size = serializers.SerializerMethodField()
    levels = serializers.SerializerMethodField()
    default_cuts = serializers.SerializerMethodField()
    cut_presets = serializers.SerializerMethodField()
    channel_names = serializers.SerializerMethodField()
    render_parameters = serializers.SerializerMethodField()
    render_defaults = serializers.SerializerMethodField()
    tiles_url = serializers.SerializerMethodField()
    iip_url = serializers.SerializerMethodField()

    class Meta(ImageSerializer.Meta):
        fields = ImageSerializer.Meta.fields + [
            "tile_size", "levels", "default_cuts", "cut_presets",
            "render_parameters", "render_defaults",
            "tiles_url", "iip_url", "hdus", "stats", "header",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, obj):
        # A file changed since registration fails the image now, before its state is read.
        with contextlib.suppress(EngineError, OSError):
            file_check.check(obj)
        return super().to_representation(obj)

    def get_tile_size(self, obj) -> int:
        return settings.TILE_SIZE

    def get_levels(self, obj) -> int:
        return TileGrid(obj.width, obj.height, settings.TILE_SIZE).levels

    def get_default_cuts(self, obj) -> list[list[float]]:
        """(lo, hi) per channel: what a tile request without cuts gets."""
        try:
            cuts = service.default_cuts(obj, service.open_data(obj))
        except (EngineError, OSError):
            return []
        return [list(pair) for pair in render_parameters.preset_cuts(cuts, DEFAULT_PRESET)]

    def get_cut_presets(self, obj) -> dict:
        """{preset: [[lo, hi] per channel]}: zscale, minmax, 99.5, 99, 98, 95, visiomatic."""
        presets = render_parameters.cut_presets(obj.stats or [])
        if not presets:  # statistics from before the presets: the engine's own
            try:
                presets = render_parameters.cut_presets(service.open_data(obj).stats)
            except (EngineError, OSError):
                return {}
        return {name: [list(pair) for pair in cuts] for name, cuts in presets.items()}

    def get_channel_names(self, obj) -> list[str]:
        """A label per channel, from the file's headers: its WCS axis 3 value and unit
        (``6563 Å``), else its FILTER, else EXTNAME and EXTVER."""
        try:
            return service.open_data(obj).channel_labels
        except (EngineError, OSError):
            return list(obj.channel_names)

    def get_render_parameters(self, obj) -> list[dict]:
        """The render parameters' declaration: name, kind, range or choices, default, doc."""
        return render_parameters.describe()

    def get_render_defaults(self, obj) -> dict:
        """What a tile request that leaves a parameter out gets: the declared scalars,
        the mode (``channel``: None is colour) and the colour mix rows ((r, g, b) per
        channel, as ``mix`` takes them)."""
        return render_parameters.image_defaults(obj.channels)

    def get_tiles_url(self, obj) -> str:
        return reverse("image-detail", args=[obj.pk]) + "tiles/{z}/{x}/{y}.jpg"

    def get_iip_url(self, obj) -> str:
        return reverse("iip") + f"?FIF={obj.pk}"


class ImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="A FITS file")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_title(self, title):
        return shown_text(title)


# --- sharing: grants of view / contribute / manage to users and groups ------------------
# A user or group holds one level on a collection: granting a level replaces the one held.
LEVEL_CODENAMES = {level: f"{level}_collection" for level in LEVELS}
CODENAME_LEVELS = {codename: level for level, codename in LEVEL_CODENAMES.items()}


def grants_of(collection):
    """The collection's grants, ``[{"kind", "id", "name", "level"}]``: users by name,
    then groups by name; each at the highest level it holds."""
    found = {}
    rows = [
        ("user", p.user_id, p.user.get_username(), p.permission.codename)
        for p in CollectionUserPermission.objects.filter(
            content_object=collection, permission__codename__in=CODENAME_LEVELS
        ).select_related("user", "permission")
    ] + [
        ("group", p.group_id, p.group.name, p.permission.codename)
        for p in CollectionGroupPermission.objects.filter(
            content_object=collection, permission__codename__in=CODENAME_LEVELS
        ).select_related("group", "permission")
    ]
    for kind, pk, name, codename in rows:
        level = CODENAME_LEVELS[codename]
        held = found.get((kind, pk))
        if held is None or LEVELS.index(level) > LEVELS.index(held["level"]):
            found[(kind, pk)] = {"kind": kind, "id": pk, "name": name, "level": level}
    return sorted(found.values(), key=lambda grant: (grant["kind"] != "user", grant["name"]))


def revoke(collection, principal):
    """Remove every level ``principal`` (a user or a group) holds on ``collection``."""
    for codename in LEVEL_CODENAMES.values():
        remove_perm(codename, principal, collection)


class GrantSerializer(serializers.Serializer):
    """Grant ``level`` on the collection to one existing ``user`` or ``group`` (by name)."""

    user = serializers.CharField(max_length=150, required=False, help_text="A user name")
    group = serializers.CharField(max_length=150, required=False, help_text="A group name")
    level = serializers.ChoiceField(choices=LEVELS)

    def validate(self, data):
        if ("user" in data) == ("group" in data):
            raise serializers.ValidationError("Name one user or one group.")
        if "user" in data:
            user = (
                get_user_model()
                .objects.filter(is_active=True, **{get_user_model().USERNAME_FIELD: data["user"]})
                .first()
            )
            if user is None:
                raise serializers.ValidationError({"user": f"No user is called {data['user']}."})
            if user.pk == self.context["collection"].owner_id:
                raise serializers.ValidationError({"user": "The owner holds every level already."})
            data["principal"] = user
        else:
            group = Group.objects.filter(name=data["group"]).first()
            if group is None:
                raise serializers.ValidationError({"group": f"No group is called {data['group']}."})
            data["principal"] = group
        return data

    def save(self):
        collection, principal = self.context["collection"], self.validated_data["principal"]
        with transaction.atomic():
            revoke(collection, principal)
            assign_perm(LEVEL_CODENAMES[self.validated_data["level"]], principal, collection)


class GrantEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="user or group")
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=LEVELS)


class GrantsSerializer(serializers.Serializer):
    """The answer of the grant endpoints: every grant of the collection."""

    grants = GrantEntrySerializer(many=True)


class PrincipalEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="user or group")
    id = serializers.IntegerField()
    name = serializers.CharField()


class PrincipalsSerializer(serializers.Serializer):
    results = PrincipalEntrySerializer(many=True)


class PrincipalQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=150, help_text="The start of a user or group name")


MAX_PRINCIPALS = 8  # an autocomplete's few suggestions, never a directory


def principals_like(prefix, limit=MAX_PRINCIPALS):
    """Active users and groups whose name starts with ``prefix`` (case aside), users
    first, ``limit`` at most: ``[{"kind", "id", "name"}]``."""
    field = get_user_model().USERNAME_FIELD
    users = (
        get_user_model()
        .objects.filter(is_active=True, **{f"{field}__istartswith": prefix})
        .order_by(field)
        .values_list("pk", field)[:limit]
    )
    found = [{"kind": "user", "id": pk, "name": name} for pk, name in users]
    groups = Group.objects.filter(name__istartswith=prefix).order_by("name")
    found += [
        {"kind": "group", "id": pk, "name": name}
        for pk, name in groups.values_list("pk", "name")[: limit - len(found)]
    ]
    return found


MAX_MOVED_IMAGES = 500


class MoveSerializer(serializers.Serializer):
    images = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=permissions.MAX_ID),
        min_length=1, max_length=MAX_MOVED_IMAGES, help_text="Ids of the images to move",
    )  # fmt: skip
    collection = serializers.SlugField(max_length=100, help_text="The collection they go to")


class MovedSerializer(serializers.Serializer):
    results = ImageSerializer(many=True)
