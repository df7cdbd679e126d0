"""REST endpoints for collections and images: thin adapters over the domain."""

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from archive.search import QueryError, SearchQuery, search
from archive.serializers import SearchResultSerializer
from portal import permissions
from portal.api.pagination import cursor_response
from portal.api.serializers import (
    CollectionSerializer,
    ImageDetailSerializer,
    ImageSerializer,
    ImageUploadSerializer,
)
from portal.models import Collection, Image
from portal.registration import RegistrationError, register_upload
from tiles.engine import ParameterError


class CollectionViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Collections the user may see; signed-in users create their own."""

    serializer_class = CollectionSerializer
    lookup_field = "slug"
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_permissions(self):
        if self.action == "upload":
            return []  # asked in the action, after the collection's visibility (404 first)
        return super().get_permissions()

    def get_queryset(self):
        return (
            Collection.objects.visible_to(self.request.user)
            .select_related("owner")
            .annotate(image_count=Count("images"))
            .order_by("name", "pk")
        )

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    def perform_update(self, serializer):
        if not permissions.can_manage(self.request.user, serializer.instance):
            raise PermissionDenied("You may not change this collection.")
        serializer.save()

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


class ImageViewSet(viewsets.ReadOnlyModelViewSet):
    """Images the user may see, across collections; the list is the archive search
    (archive/search.py): sky position, metadata, header keywords, words, keyset pages."""

    lookup_value_regex = r"[0-9]{1,18}"

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=SearchResultSerializer(many=True))
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
            queryset = queryset.filter(collection__slug=collection)
        return queryset

    def get_serializer_class(self):
        return ImageDetailSerializer if self.action == "retrieve" else ImageSerializer
