"""REST endpoints for catalogs: list, import, spatial queries, export, annotations."""

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from catalogs import queries, storage
from catalogs.importers import CatalogImportError, export, import_catalog
from catalogs.importers.geojson import validate_feature
from catalogs.models import Catalog
from catalogs.serializers import AnnotationSerializer, CatalogCreateSerializer, CatalogSerializer
from portal import permissions
from tiles.iip import number

EXPORTS = {
    "geojson": ("application/geo+json", export.to_geojson),
    "csv": ("text/csv", export.to_csv),
    "reg": ("text/plain", export.to_ds9),
}


class CatalogViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Catalogs of the collections the user may see (``?collection=<slug>``, ``?image=<id>``)."""

    serializer_class = CatalogSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = Catalog.objects.visible_to(self.request.user).select_related(
            "collection", "owner"
        )
        queryset = queryset.prefetch_related("images")
        collection = self.request.query_params.get("collection")
        if collection:
            queryset = queryset.filter(collection__slug=collection)
        image = self.request.query_params.get("image")
        if image:
            queryset = queryset.filter(
                images__pk=number("image", image, 1, 2**63 - 1, integer=True)
            )
        return queryset

    @extend_schema(request=CatalogCreateSerializer, responses={201: CatalogSerializer})
    def create(self, request, *args, **kwargs):
        form = CatalogCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        collection = data["collection"]
        if not permissions.can_view(request.user, collection):
            raise Http404("No such collection.")
        if not permissions.can_contribute(request.user, collection):
            raise (
                NotAuthenticated()
                if not request.user.is_authenticated
                else PermissionDenied("You may not add catalogs to this collection.")
            )
        features, warnings, source = self._features(data)
        images = data.get("images") or []
        if (
            any((f.get("properties") or {}).get("frame") == "image" for f in features)
            and len(images) != 1
        ):
            raise ValidationError(
                {"detail": "Regions in pixel coordinates need exactly one linked image."}
            )
        catalog = storage.create_catalog(
            collection, features, name=data["name"], owner=request.user, images=images,
            description=data.get("description", ""), style=data.get("style") or {}, source_name=source,
            kind=data.get("kind") or (Catalog.ANNOTATIONS if data.get("features") is not None else
                                      Catalog.REGIONS if source.endswith(".reg") else Catalog.SOURCES),
        )  # fmt: skip
        body = dict(CatalogSerializer(catalog).data, warnings=warnings)
        return Response(body, status=status.HTTP_201_CREATED)

    def _features(self, data):
        upload = data.get("file")
        try:
            if upload is None:
                return [validate_feature(f, n) for n, f in enumerate(data["features"])], [], ""
            limit = settings.MAX_CATALOG_BYTES
            if upload.size > limit:
                raise CatalogImportError(
                    f"file too large: {upload.size:,} bytes, the limit is {limit:,}."
                )
            result = import_catalog(
                upload.read(), fmt=data.get("format"), filename=upload.name,
                ra_column=data.get("ra_column"), dec_column=data.get("dec_column"), max_bytes=limit,
            )  # fmt: skip
        except CatalogImportError as exc:
            name = f"{upload.name}: " if upload is not None else ""
            raise ValidationError({"detail": name + str(exc)}) from exc
        return result.features, result.warnings, upload.name

    def perform_destroy(self, instance):
        if not (
            permissions.can_manage(self.request.user, instance.collection)
            or instance.owner_id == self.request.user.pk
        ):
            raise PermissionDenied("You may not delete this catalog.")
        instance.delete()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "bbox",
                str,
                description="ra_min,dec_min,ra_max,dec_max (degrees; ra_min > ra_max wraps)",
            ),
            OpenApiParameter("ra", float),
            OpenApiParameter("dec", float),
            OpenApiParameter("radius", float),
            OpenApiParameter("limit", int),
        ]  # fmt: skip
    )
    @action(detail=True, methods=["get"])
    def features(self, request, pk=None):
        """A GeoJSON FeatureCollection, filtered by ``bbox`` or by cone (``ra``, ``dec``,
        ``radius``), capped at ``limit`` with ``truncated`` telling whether more exist."""
        catalog = self.get_object()
        query = request.query_params
        limit = number(
            "limit",
            query.get("limit", str(queries.DEFAULT_LIMIT)),
            1,
            queries.MAX_LIMIT,
            integer=True,
        )
        if "bbox" in query:
            ra1, dec1, ra2, dec2 = _bbox(query["bbox"])
            rows, truncated = queries.in_box(catalog, ra1, dec1, ra2, dec2, limit)
        elif "ra" in query or "dec" in query or "radius" in query:
            ra = number("ra", query.get("ra", ""), 0.0, 360.0)
            dec = number("dec", query.get("dec", ""), -90.0, 90.0)
            radius = number("radius", query.get("radius", ""), 0.0, 180.0)
            rows, truncated = queries.in_cone(catalog, ra, dec, radius, limit)
        else:
            rows, truncated = queries.all_features(catalog, limit)
        return Response({"type": "FeatureCollection", "features": [row.as_geojson() for row in rows],
                         "count": len(rows), "truncated": truncated})  # fmt: skip

    @extend_schema(request=AnnotationSerializer, responses={201: dict}, parameters=[])
    @features.mapping.post
    def annotate(self, request, pk=None):
        """Add one mark to an annotations catalog (its owner, or a manager)."""
        catalog = self.get_object()
        allowed = catalog.owner_id == request.user.pk or permissions.can_manage(
            request.user, catalog.collection
        )
        if catalog.kind != Catalog.ANNOTATIONS or not allowed:
            raise PermissionDenied("You may not add marks to this catalog.")
        form = AnnotationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        properties = dict(form.validated_data["properties"], note=form.validated_data.get("note", ""),
                          author=request.user.get_username())  # fmt: skip
        try:
            feature = validate_feature({"type": "Feature", "geometry": form.validated_data["geometry"],
                                        "properties": properties})  # fmt: skip
        except CatalogImportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        row = storage.add_features(catalog, [feature])[0]
        return Response(row.as_geojson(), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=list(EXPORTS))])
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The whole catalog as GeoJSON, CSV or a ds9 region file (``?as=geojson|csv|reg``)."""
        catalog = self.get_object()
        kind = request.query_params.get("as", "geojson")
        if kind not in EXPORTS:
            raise ValidationError({"detail": f"as: one of {', '.join(EXPORTS)}."})
        content_type, write = EXPORTS[kind]
        features = (row.as_geojson() for row in catalog.features.order_by("pk").iterator())
        response = HttpResponse(write(features), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="catalog-{catalog.pk}.{kind}"'
        return response


def _bbox(text):
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationError({"detail": "bbox: expected ra_min,dec_min,ra_max,dec_max."})
    ra1, dec1, ra2, dec2 = (number("bbox", p) for p in parts)
    if not (-90 <= dec1 <= 90 and -90 <= dec2 <= 90) or dec1 > dec2:
        raise ValidationError(
            {"detail": "bbox: declinations must lie in [-90, 90], min before max."}
        )
    if ra2 - ra1 >= 360.0:
        return 0.0, dec1, 360.0, dec2
    # RA in [0, 360); an upper bound of 360 (or 720, ...) stays 360, not 0.
    upper = 360.0 if ra2 > 0 and ra2 % 360.0 == 0 else ra2 % 360.0
    return ra1 % 360.0, dec1, upper, dec2
