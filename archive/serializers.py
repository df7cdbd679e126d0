"""How a search result reads in the API: the image, its normalised metadata and its
footprint, with the links a result table and a sky map need."""

from django.urls import reverse
from rest_framework import serializers

from archive.models import ImageMetadata
from portal.api.serializers import ImageSerializer


class MetadataSerializer(serializers.ModelSerializer):
    filter = serializers.CharField(source="band")

    class Meta:
        model = ImageMetadata
        fields = [
            "object", "filter", "instrument", "telescope", "date_obs", "exptime",
            "pixel_scale", "bunit", "ra", "dec", "radius", "polygons",
        ]  # fmt: skip
        read_only_fields = fields


METADATA_FIELDS = [name for name in MetadataSerializer.Meta.fields if name != "filter"]


class SearchResultSerializer(ImageSerializer):
    metadata = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta(ImageSerializer.Meta):
        fields = ImageSerializer.Meta.fields + ["metadata", "page_url", "thumbnail_url"]
        read_only_fields = fields

    def get_metadata(self, obj) -> MetadataSerializer:
        meta = getattr(obj, "meta", None)
        if meta is None:
            return None
        # By hand: a nested serializer per row would cost a millisecond each.
        values = {name: getattr(meta, name) for name in METADATA_FIELDS}
        values["filter"] = meta.band
        if meta.date_obs is not None:
            values["date_obs"] = meta.date_obs.isoformat().replace("+00:00", "Z")
        return values

    def get_page_url(self, obj) -> str:
        return reverse("image-page", args=[obj.pk])

    def get_thumbnail_url(self, obj) -> str:
        return reverse("image-tile", args=[obj.pk, 0, 0, 0, "jpg"])
