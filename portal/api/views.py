"""REST endpoints for collections and images: thin adapters over the domain."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from archive.search import QueryError, SearchQuery, search
from archive.serializers import SearchResultSerializer
from portal import permissions
from portal.api.pagination import cursor_response
from portal.api.parsers import BoundedJSONParser
from portal.api.serializers import (
    CollectionSerializer,
    GrantSerializer,
    GrantsSerializer,
    ImageDetailSerializer,
    ImageSerializer,
    ImageUploadSerializer,
    MovedSerializer,
    MoveSerializer,
    PrincipalQuerySerializer,
    PrincipalsSerializer,
    grants_of,
    principals_like,
    revoke,
)
from portal.models import LEVELS, VIEW, Collection, Image
from portal.registration import RegistrationError, register_upload
from tiles.engine import ParameterError

NOT_MANAGER = "You do not manage this collection."


def managed(user, collection):
    """``collection`` if ``user`` manages it; 403 for those who only see it (the others
    were answered 404 by the visible-only lookup)."""
    if not permissions.can_manage(user, collection):
        raise PermissionDenied(NOT_MANAGER)
    return collection


class CollectionViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Collections the user may see (``?level=contribute`` or ``manage``: those where
    they hold that level); signed-in users create their own; managers change, share and
    delete them."""

    serializer_class = CollectionSerializer
    lookup_field = "slug"
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]

    def get_permissions(self):
        if self.action == "upload":
            return []  # asked in the action, after the collection's visibility (404 first)
        return super().get_permissions()

    def get_queryset(self):
        level = self.request.query_params.get("level") if self.action == "list" else None
        if level not in LEVELS:
            level = VIEW
        return (
            Collection.objects.held_by(self.request.user, level)
            .select_related("owner")
            .annotate(image_count=Count("images"))
            .order_by("name", "pk")
        )

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def perform_update(self, serializer):
        managed(self.request.user, serializer.instance)
        serializer.save()

    def perform_destroy(self, instance):
        """Delete the collection with its images (uploaded files too) and catalogs."""
        managed(self.request.user, instance)
        instance.delete()

    @extend_schema(request=GrantSerializer, responses=GrantsSerializer)
    @action(detail=True, methods=["get", "post"], url_path="grants", url_name="grants")
    def grants(self, request, slug=None, format=None):
        """Who holds which level (managers only); POST grants one, replacing the level
        the user or group held."""
        collection = managed(request.user, self.get_object())
        if request.method == "POST":
            grant = GrantSerializer(data=request.data, context={"collection": collection})
            grant.is_valid(raise_exception=True)
            grant.save()
        return Response({"grants": grants_of(collection)})

    @extend_schema(request=None, responses=GrantsSerializer)
    @action(
        detail=True, methods=["delete"], url_name="grant",
        url_path=r"grants/(?P<kind>user|group)/(?P<principal>[0-9]{1,18})",
    )  # fmt: skip
    def revoke_grant(self, request, slug=None, kind=None, principal=None, format=None):
        """Revoke every level the user or group holds (managers only)."""
        collection = managed(request.user, self.get_object())
        model = get_user_model() if kind == "user" else Group
        revoke(collection, get_object_or_404(model, pk=principal))
        return Response({"grants": grants_of(collection)})

    @extend_schema(
        parameters=[
            OpenApiParameter("q", description="The start of a user or group name", required=True)
        ],
        responses=PrincipalsSerializer,
    )
    @action(detail=True, methods=["get"], url_path="principals", url_name="principals")
    def principals(self, request, slug=None, format=None):
        """A few users and groups whose name starts with ``q``, to grant to (managers
        only)."""
        managed(request.user, self.get_object())
        query = PrincipalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response({"results": principals_like(query.validated_data["q"])})

    @extend_schema(responses=ImageSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="images", url_name="images")
    def images(self, request, slug=None, format=None):  # format: the router's .json suffix
        collection = self.get_object()
        queryset = Image.objects.filter(collection=collection).select_related("collection")
        page = self.paginate_queryset(queryset)
        data = ImageSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(request=ImageUploadSerializer, responses={201: ImageDetailSerializer})
    @images.mapping.post
    def upload(self, request, slug=None):
        """Upload a FITS file (multipart field ``file``) into the collection."""
        collection = self.get_object()
        if not permissions.can_contribute(request.user, collection):
            raise NotFound()  # as if it did not exist, as portal.body_limits answers
        data = request.data  # parses the upload, streaming it to disk
        refused = getattr(request._request, "upload_refused", None)
        if refused:
            raise RegistrationError(refused, status=413)
        form = ImageUploadSerializer(data=data)
        form.is_valid(raise_exception=True)
        image = register_upload(
            collection,
            form.validated_data["file"],
            request.user,
            form.validated_data.get("title", ""),
        )
        body = ImageDetailSerializer(image, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


SEARCH_PARAMETERS = [
    OpenApiParameter(name, description=text)
    for name, text in [
        ("ra", "Cone centre, ICRS degrees (with dec and radius)"),
        ("dec", "Cone centre, ICRS degrees"),
        ("radius", "Cone radius, degrees (0 to 90): footprints coming that close"),
        ("box", "ra_min,dec_min,ra_max,dec_max: footprints meeting the box (ICRS degrees)"),
        ("contains", "ra,dec: footprints holding the position (ICRS degrees)"),
        ("q", "Words of the title, object or file name (prefixes)"),
        ("object", "Object name, case and spaces aside"),
        ("filter", "Filter/band, exact (comma-separated values: any)"),
        ("instrument", "Instrument, exact (comma-separated values: any)"),
        ("telescope", "Telescope, exact (comma-separated values: any)"),
        ("bunit", "Pixel unit, exact (comma-separated values: any)"),
        ("date_min", "Observed at or after: ISO date/time (UTC) or MJD"),
        ("date_max", "Observed at or before: ISO date/time (UTC) or MJD"),
        ("exptime_min", "Exposure time at least (s)"),
        ("exptime_max", "Exposure time at most (s)"),
        ("pixel_scale_min", "Pixel scale at least (arcsec)"),
        ("pixel_scale_max", "Pixel scale at most (arcsec)"),
        ("state", "pending, warming, ready, failed (comma-separated)"),
        ("collection", "Collection slug"),
        ("header.KEYWORD", "Any keyword of the stored header equals the value"),
        (
            "sort",
            "date_obs, exptime, pixel_scale, object, filter, instrument, telescope, id; "
            "'-' first for descending (default -date_obs)",
        ),
        ("cursor", "From the previous page's next link"),
        ("page_size", "Images per page (1 to 500)"),
    ]
]


@extend_schema_serializer(many=False)  # the page itself, not a list to paginate
class SearchPageSerializer(serializers.Serializer):
    """A search page (portal/api/pagination.py: cursor_response): keyset pages, no count."""

    next = serializers.URLField(allow_null=True, help_text="the next page, or null")
    examined = serializers.IntegerField(help_text="images the search looked at for this page")
    results = SearchResultSerializer(many=True)


class ImageViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Images the user may see, across collections; the list is the archive search
    (archive/search.py): sky position, metadata, header keywords, words, keyset pages.
    Managers of a collection delete its images and move them to others they manage."""

    lookup_value_regex = r"[0-9]{1,18}"
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SearchPageSerializer)
    def list(self, request, format=None):  # format: the router's .json suffix
        try:
            query = SearchQuery.parse(request.query_params, page_size=self.paginator.page_size)
        except QueryError as exc:
            raise ParameterError(str(exc)) from exc
        page = search(request.user, query)
        data = SearchResultSerializer(page.images, many=True, context={"request": request}).data
        return cursor_response(request, page, data)

    def get_queryset(self):
        queryset = Image.objects.visible_to(self.request.user).select_related("collection")
        collection = self.request.query_params.get("collection")
        if collection:
            # A slug holds no NUL, and PostgreSQL compares no text with one: nothing matches.
            queryset = (
                queryset.none()
                if "\x00" in collection
                else queryset.filter(collection__slug=collection)
            )
        return queryset

    def get_serializer_class(self):
        return ImageDetailSerializer if self.action == "retrieve" else ImageSerializer

    def retrieve(self, request, *args, **kwargs):
        image = self.get_object()
        image.opened()  # registered without its warm: warmed when first opened
        return Response(self.get_serializer(image).data)

    def perform_destroy(self, instance):
        managed(self.request.user, instance.collection)
        instance.delete()

    @extend_schema(request=MoveSerializer, responses=MovedSerializer)
    @action(detail=False, methods=["post"], url_path="move", url_name="move")
    def move(self, request, format=None):
        """Move images into another collection; the user manages both collections.
        All or none: an image whose file name or content the target holds already
        stops the move (409)."""
        form = MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = request.user
        target = get_object_or_404(
            Collection.objects.visible_to(user), slug=form.validated_data["collection"]
        )
        managed(user, target)
        ids = set(form.validated_data["images"])
        images = list(self.get_queryset().filter(pk__in=ids))
        if len(images) != len(ids):
            raise NotFound("No such image.")  # one the user may not see looks the same
        refused = [image for image in images if not permissions.may_move_image(user, image, target)]
        if refused:
            raise PermissionDenied(f"You do not manage the collection of {refused[0]}.")
        try:
            with transaction.atomic():
                for image in images:
                    if image.collection_id != target.pk:
                        image.collection = target
                        image.save(update_fields=["collection", "updated"])
        except IntegrityError:
            return Response(
                {"detail": f"{target.name} holds an image of the same file name or content already."},
                status=status.HTTP_409_CONFLICT,
            )  # fmt: skip
        data = ImageSerializer(images, many=True, context={"request": request}).data
        return Response({"results": data})
