"""Catalogs in the REST API: shape, upload and annotation validation."""

from rest_framework import serializers

from catalogs.importers import FORMATS
from catalogs.models import Catalog
from portal.models import Collection, Image


class CatalogSerializer(serializers.ModelSerializer):
    collection = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    images = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = Catalog
        fields = ["id", "name", "description", "kind", "collection", "images", "owner", "style",
                  "feature_count", "bbox", "source_name", "created", "updated"]  # fmt: skip
        read_only_fields = fields

    def get_bbox(self, obj) -> list[float] | None:
        if obj.ra_min is None:
            return None
        return [obj.ra_min, obj.dec_min, obj.ra_max, obj.dec_max]


class CatalogCreateSerializer(serializers.Serializer):
    """A new catalog: an uploaded file (ds9, CSV/TSV, GeoJSON), or GeoJSON features
    given inline (team annotations)."""

    collection = serializers.SlugRelatedField(slug_field="slug", queryset=Collection.objects.all())
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=[c for c, _ in Catalog.KIND_CHOICES], required=False)
    images = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Image.objects.all(), required=False
    )
    style = serializers.JSONField(required=False, default=dict)
    file = serializers.FileField(required=False)
    format = serializers.ChoiceField(choices=FORMATS, required=False)
    ra_column = serializers.CharField(required=False)
    dec_column = serializers.CharField(required=False)
    features = serializers.ListField(child=serializers.JSONField(), required=False)

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("features") is not None):
            raise serializers.ValidationError("Give either a file or a list of features.")
        images = attrs.get("images") or []
        if any(image.collection_id != attrs["collection"].pk for image in images):
            raise serializers.ValidationError(
                "Linked images must belong to the catalog's collection."
            )
        return attrs


class AnnotationSerializer(serializers.Serializer):
    """One mark: a GeoJSON feature (point, circle as a point with radius, polygon), a note."""

    geometry = serializers.JSONField()
    properties = serializers.JSONField(required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
