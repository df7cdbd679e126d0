"""Catalogs in the REST API: shape, upload and annotation validation."""

import json

from rest_framework import serializers
from rest_framework.exceptions import NotFound

from catalogs.importers import FORMATS
from catalogs.models import Catalog
from portal.models import Collection, Image
from portal.permissions import MAX_ID

NO_SUCH_COLLECTION = "Not found."  # what a collection that does not exist answers everywhere
# A catalog's style (colour, width, marker... for the viewer) is sent back in every
# listing of the catalogs: an object, this deep and this long at most.
MAX_STYLE_DEPTH = 8
MAX_STYLE_BYTES = 16 * 1024


class CatalogSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # A catalog without an owner (a survey's, a shared import) has owner null.
    owner = serializers.CharField(source="owner.username", read_only=True, default=None,
                                  allow_null=True)  # fmt: skip
    images = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = Catalog
        fields = ["id", "name", "description", "kind", "collection", "images", "owner", "style",
                  "feature_count", "bbox", "source_name", "state", "state_reason", "progress",
                  "warnings", "created", "updated"]  # fmt: skip
        read_only_fields = fields

    def get_bbox(self, obj) -> list[float] | None:
        if obj.ra_min is None:
            return None
        return [obj.ra_min, obj.dec_min, obj.ra_max, obj.dec_max]


class CatalogCreateSerializer(serializers.Serializer):
    """A new catalog: an uploaded file (ds9, CSV/TSV, GeoJSON), or GeoJSON features
    given inline (team annotations).

    The collection and the linked images are looked up among those the requesting user
    may see (``context["user"]``): one that exists but is hidden gets the same answer as
    one that does not exist (404 for the collection, 400 for an image).
    """

    collection = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10_000
    )
    kind = serializers.ChoiceField(choices=[c for c, _ in Catalog.KIND_CHOICES], required=False)
    images = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
        max_length=1000,
    )  # fmt: skip
    style = serializers.JSONField(required=False, default=dict)
    file = serializers.FileField(required=False)
    format = serializers.ChoiceField(choices=FORMATS, required=False)
    ra_column = serializers.CharField(required=False, max_length=200)
    dec_column = serializers.CharField(required=False, max_length=200)
    features = serializers.ListField(child=serializers.JSONField(), required=False)

    def validate_collection(self, slug):
        return visible_collection(self.context.get("user"), slug)

    def validate_style(self, style):
        if not isinstance(style, dict):
            raise serializers.ValidationError('An object (for example {"color": "#ff0"}).')
        if _depth(style) > MAX_STYLE_DEPTH:
            raise serializers.ValidationError(f"At most {MAX_STYLE_DEPTH} levels of nesting.")
        if len(json.dumps(style)) > MAX_STYLE_BYTES:
            raise serializers.ValidationError(f"At most {MAX_STYLE_BYTES} bytes of JSON.")
        return style

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("features") is not None):
            raise serializers.ValidationError("Give either a file or a list of features.")
        wanted = list(dict.fromkeys(attrs.get("images") or []))
        found = Image.objects.visible_to(self.context.get("user")).filter(
            collection=attrs["collection"], pk__in=wanted
        )
        by_id = {image.pk: image for image in found}
        if any(pk not in by_id for pk in wanted):
            raise serializers.ValidationError({"images": "No such image in this collection."})
        attrs["images"] = [by_id[pk] for pk in wanted]
        return attrs


def _depth(value):
    """How deeply lists and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_STYLE_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def visible_collection(user, slug):
    """The collection ``slug`` if ``user`` may see it; else 404, exactly as if it did not exist."""
    collection = Collection.objects.visible_to(user).filter(slug=slug).first()
    if collection is None:
        raise NotFound(NO_SUCH_COLLECTION)
    return collection


class AnnotationSerializer(serializers.Serializer):
    """One mark: a GeoJSON feature (point, circle as a point with radius, polygon), a note."""

    geometry = serializers.JSONField()
    properties = serializers.JSONField(required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
