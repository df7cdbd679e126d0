"""Admin: catalogs, added by uploading a ds9, CSV/TSV or GeoJSON file (imported in the
background, like uploads through the API: the list shows each catalog's state)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import transaction

from catalogs import tasks, uploads
from catalogs.importers import FORMATS
from catalogs.models import Catalog
from portal import permissions
from portal.admin import CollectionListFilter
from portal.models import Collection


class CatalogUploadForm(forms.ModelForm):
    """A new catalog from a file: ``pending`` until its import task has read every line,
    then ``ready``, or ``failed`` with the reason and no feature."""

    upload = forms.FileField(
        label="Catalog or region file", help_text="ds9 .reg, CSV/TSV with RA/Dec, GeoJSON"
    )
    format = forms.ChoiceField(choices=[("", "guess")] + [(f, f) for f in FORMATS], required=False)

    class Meta:
        model = Catalog
        fields = ["collection", "name", "description", "images", "style"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].required = False
        self.fields["style"].required = False
        self.fields["collection"].queryset = Collection.objects.filter(
            permissions.collections_q(user, permissions.CONTRIBUTE)
        )

    def clean(self):
        cleaned = super().clean()
        upload, collection = cleaned.get("upload"), cleaned.get("collection")
        if upload is None or collection is None or self.errors:
            return cleaned
        if upload.size > settings.MAX_CATALOG_BYTES:
            raise forms.ValidationError(f"{upload.name}: file too large ({upload.size:,} bytes).")
        images = list(cleaned.get("images") or [])
        if any(image.collection_id != collection.pk for image in images):
            raise forms.ValidationError("Linked images must belong to the catalog's collection.")
        fmt = cleaned.get("format") or None
        with transaction.atomic():
            self.instance = Catalog.objects.create(
                collection=collection, name=cleaned.get("name") or upload.name, owner=self.user,
                description=cleaned.get("description", ""), style=cleaned.get("style") or {},
                source_name=upload.name[:255], state=Catalog.PENDING, progress=0.0,
                import_options={"format": fmt} if fmt else {},
            )  # fmt: skip
            self.instance.images.set(images)
            uploads.store_upload(upload, self.instance.pk)
            tasks.schedule_import(self.instance)
        return cleaned

    def save_m2m(self):
        """Links were set with the catalog."""


@admin.register(Catalog)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ["name", "collection", "kind", "state", "feature_count", "owner", "created"]
    list_filter = ["kind", "state", CollectionListFilter]
    readonly_fields = ["state", "state_reason", "progress", "warnings"]
    search_fields = ["name", "description", "source_name", "collection__name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                collection__in=Collection.objects.filter(
                    permissions.collections_q(request.user, permissions.MANAGE)
                )
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["fields"] = ["name", "description", "style", "images"]
            return super().get_form(request, obj, change=change, **kwargs)

        class BoundUploadForm(CatalogUploadForm):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return BoundUploadForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["collection", "upload", "format", "name", "description", "images", "style"]
        return ["name", "description", "style", "images", "state", "state_reason", "warnings"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        self.message_user(
            request, f"{obj.source_name}: importing in the background; the list shows its state."
        )

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
