"""Admin: collections with their grants (guardian), images with a FITS upload form."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdmin,
)

from portal import permissions
from portal.models import Collection, Image
from portal.registration import RegistrationError, register_upload

# The grants the portal knows, by the names its pages use (guardian would list every
# permission of the model: "Can add collection", "Can change collection"...).
GRANT_CHOICES = [
    ("view_collection", "View: see the collection's images and catalogs"),
    ("contribute_collection", "Contribute: also add images and catalogs"),
    ("manage_collection", "Manage: also rename, share, move and delete"),
]


# The table of who holds what: one column per grant.
GRANT_COLUMNS = [
    {"codename": "view_collection", "name": "View"},
    {"codename": "contribute_collection", "name": "Contribute"},
    {"codename": "manage_collection", "name": "Manage"},
]


class GrantChoices:
    """The three grants as the permissions guardian's forms offer, ticked as boxes."""

    def get_obj_perms_field_choices(self):
        return GRANT_CHOICES

    def get_obj_perms_field_widget(self):
        return forms.CheckboxSelectMultiple

    def get_obj_perms_field_initial(self):
        granted = super().get_obj_perms_field_initial()
        return [codename for codename, _label in GRANT_CHOICES if codename in granted]


class UserGrantForm(GrantChoices, AdminUserObjectPermissionsForm):
    pass


class GroupGrantForm(GrantChoices, AdminGroupObjectPermissionsForm):
    pass


class GroupPicker(forms.Form):
    """A group to grant to, chosen among the existing ones."""

    group = forms.ModelChoiceField(queryset=Group.objects.order_by("name"), to_field_name="name")


@admin.register(Collection)
class CollectionAdmin(GuardedModelAdmin):
    list_display = ["name", "slug", "owner", "visibility", "created"]
    list_filter = ["visibility"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).held_by(request.user, permissions.MANAGE)

    def get_changeform_initial_data(self, request):
        """A new collection is the current user's unless they choose another owner."""
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        context["model_perms"] = GRANT_COLUMNS
        return context

    def get_obj_perms_manage_user_form(self, request):
        return UserGrantForm

    def get_obj_perms_manage_group_form(self, request):
        return GroupGrantForm

    def get_obj_perms_group_select_form(self, request):
        return GroupPicker


class ImageUploadForm(forms.ModelForm):
    """Add an image by uploading a FITS file; the row exists only if the file is valid."""

    upload = forms.FileField(label="FITS file", help_text="A FITS image, cube or mosaic.")

    class Meta:
        model = Image
        fields = ["collection", "title"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["title"].required = False
        self.fields["collection"].queryset = Collection.objects.held_by(
            user, permissions.CONTRIBUTE
        )

    def clean(self):
        cleaned = super().clean()
        collection, upload = cleaned.get("collection"), cleaned.get("upload")
        if collection is None or upload is None or self.errors:
            return cleaned
        try:
            self.instance = register_upload(collection, upload, self.user, cleaned.get("title"))
        except RegistrationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.action(description="Warm the pyramids again")
def rewarm(modeladmin, request, queryset):
    images = list(queryset)
    for image in images:
        image.warm_again()
    refused = [image for image in images if image.state_reason]  # the queue's reason
    if refused:
        modeladmin.message_user(
            request, f"{len(refused)} image(s) not queued: {refused[0].state_reason}",
            level=messages.WARNING,
        )  # fmt: skip
    modeladmin.message_user(request, f"{len(images) - len(refused)} image(s) queued for warming.")


class CollectionListFilter(admin.SimpleListFilter):
    """The admin lists' "collection" filter, among the collections the user manages only
    (Django's own would name every collection to anyone who may open the list), and
    capped: an archive of thousands lists the first by name, the rest are found by the
    list's search, which includes the collection's name."""

    title = "collection"
    parameter_name = "collection"
    SHOWN = 50

    def lookups(self, request, model_admin):
        collections = Collection.objects.all()
        if not request.user.is_superuser:
            collections = Collection.objects.held_by(request.user, permissions.MANAGE)
        return list(collections.order_by("name").values_list("pk", "name")[: self.SHOWN])

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            return queryset.none()
        return queryset.filter(collection_id=int(value))


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["title", "collection", "name", "width", "height", "channels", "state",
                    "progress", "last_run"]  # fmt: skip
    actions = [rewarm]
    ordering = ["-id"]  # an indexed order: the list of a million images is one index read
    show_full_result_count = False
    list_filter = ["state", CollectionListFilter]
    search_fields = ["title", "name", "checksum", "collection__name"]
    readonly_fields = [
        "collection", "name", "path", "owns_file", "checksum", "size", "kind", "width",
        "height", "channels", "channel_names", "hdus", "header", "stats", "uploaded_by",
        "state", "state_reason", "progress", "version", "last_run", "created", "updated",
    ]  # fmt: skip

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:  # every collection: no subquery in the page's count
            return queryset
        managed = Collection.objects.held_by(request.user, permissions.MANAGE)
        return queryset.filter(collection__in=managed)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = ImageUploadForm

        class BoundUploadForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return BoundUploadForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["collection", "upload", "title"]
        return ["title", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # On add, the upload form registered the image already.
