"""REST endpoints for catalogs: list, import, spatial queries, export, annotations."""

import json
import tempfile

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    PermissionDenied,
    ValidationError,
)
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalogs import queries, stats, storage, tasks, uploads
from catalogs.geometry import header_wcs
from catalogs.importers import CatalogImportError, export
from catalogs.importers.geojson import validate_feature
from catalogs.models import Catalog, Feature
from catalogs.serializers import (
    AnnotationSerializer,
    CatalogCreateSerializer,
    CatalogSerializer,
    visible_collection,
)
from catalogs.uploads import CatalogUploadHandler
from portal import permissions
from portal.api import parsers
from portal.api.parsers import BoundedJSONParser
from tiles.iip import number

EXPORTS = {
    "geojson": ("application/geo+json", export.to_geojson),
    "csv": ("text/csv", export.to_csv),
    "reg": ("text/plain", export.to_ds9),
}

# The GeoJSON answers, for the schema: a feature's geometry and properties as stored.
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {"type": "object", "description": "a GeoJSON geometry"},
        "properties": {"type": "object"},
    },
}
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
    },
}
FEATURES_PAGE_SCHEMA = {
    **FEATURE_COLLECTION_SCHEMA,
    "required": ["type", "features", "count", "truncated"],
    "properties": {
        **FEATURE_COLLECTION_SCHEMA["properties"],
        "count": {"type": "integer", "description": "the number of features here"},
        "truncated": {"type": "boolean", "description": "whether more features match"},
    },
}
EXPORTED = "the whole catalog: GeoJSON (as=geojson), CSV (as=csv) or a ds9 region file (as=reg)"
EXPORT_RESPONSES = {
    (200, "application/geo+json"): OpenApiResponse(FEATURE_COLLECTION_SCHEMA, description=EXPORTED),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORTED),
    (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description=EXPORTED),
}


class CatalogViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Catalogs of the collections the user may see (``?collection=<slug>``, ``?image=<id>``)."""

    serializer_class = CatalogSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = Catalog.objects.visible_to(self.request.user).select_related(
            "collection", "owner"
        )
        queryset = queryset.prefetch_related("images")
        collection = self.request.query_params.get("collection")
        if collection:
            # A slug holds no NUL, and PostgreSQL compares no text with one: nothing matches.
            queryset = (
                queryset.none()
                if "\x00" in collection
                else queryset.filter(collection__slug=collection)
            )
        image = self.request.query_params.get("image")
        if image:
            queryset = queryset.filter(
                images__pk=number("image", image, 1, 2**63 - 1, integer=True)
            )
        return queryset

    def initial(self, request, *args, **kwargs):
        if self.action == "create":
            # Before anything reads the body (CSRF checks may): catalog files are streamed
            # to disk and stopped at MAX_CATALOG_BYTES.
            request._request.upload_handlers = [CatalogUploadHandler(request._request)]
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request=CatalogCreateSerializer,
        responses={201: CatalogSerializer, 202: CatalogSerializer},
        parameters=[OpenApiParameter("collection", str, description="may be given here instead")],
    )
    def create(self, request, *args, **kwargs):
        """A catalog from a file (202: imported in the background; poll the catalog until
        its ``state`` is ``ready`` or ``failed``) or from inline features (201, ready)."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()  # nobody anonymous may contribute: the body is not read
        refused = uploads.body_too_large(request)
        if refused:
            raise PayloadTooLarge(refused)
        if "collection" in request.query_params:  # asked before the body is read
            self._contributed(visible_collection(request.user, request.query_params["collection"]))
        data = _mutable(request.data)
        refused = getattr(request._request, "upload_refused", None)
        if refused:
            raise PayloadTooLarge(refused)
        if "collection" in request.query_params:
            data["collection"] = request.query_params["collection"]
        form = CatalogCreateSerializer(data=data, context={"user": request.user})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        collection = self._contributed(data["collection"])
        if data.get("file") is None:
            return self._annotations(request, data, collection)
        upload = data["file"]
        if uploads.upload_too_deep(upload, parsers.MAX_JSON_DEPTH):
            raise ValidationError({"detail": f"file: {parsers.TOO_DEEP}"})
        fields = dict(
            name=data["name"], owner=request.user, description=data.get("description", ""),
            style=data.get("style") or {}, source_name=upload.name[:255], state=Catalog.PENDING,
            progress=0.0, kind=data.get("kind") or (
                Catalog.REGIONS if data.get("format") == "ds9" or upload.name.lower().endswith(".reg")
                else Catalog.SOURCES),
            import_options={k: data[k] for k in ("format", "ra_column", "dec_column", "kind") if data.get(k)},
        )  # fmt: skip
        with transaction.atomic():
            catalog = Catalog.objects.create(collection=collection, **fields)
            catalog.images.set(data.get("images") or [])
            try:
                uploads.store_upload(upload, catalog.pk)
            except OSError:
                uploads.remove_import_file(catalog.pk)
                raise
            tasks.schedule_import(catalog)
        body = CatalogSerializer(catalog).data
        headers = {"Location": reverse("catalog-detail", args=[catalog.pk])}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    def _contributed(self, collection):
        if not permissions.can_contribute(self.request.user, collection):
            raise PermissionDenied("You may not add catalogs to this collection.")
        return collection

    def _annotations(self, request, data, collection):
        """Inline features: a small list checked and saved within the request."""
        features = data["features"]
        if len(features) > settings.MAX_QUERY_FEATURES:
            raise ValidationError(
                {"detail": f"features: at most {settings.MAX_QUERY_FEATURES:,} inline features."}
            )
        try:
            features = [
                validate_feature(f, n, settings.MAX_FEATURE_BYTES) for n, f in enumerate(features)
            ]
        except CatalogImportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        images = data.get("images") or []
        if (
            any((f.get("properties") or {}).get("frame") == "image" for f in features)
            and len(images) != 1
        ):
            raise ValidationError({"detail": tasks.PIXEL_REGIONS_NEED_ONE_IMAGE})
        catalog = storage.create_catalog(
            collection, features, name=data["name"], owner=request.user, images=images,
            description=data.get("description", ""), style=data.get("style") or {}, source_name="",
            kind=data.get("kind") or Catalog.ANNOTATIONS,
        )  # fmt: skip
        return Response(CatalogSerializer(catalog).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if not permissions.may_edit(self.request.user, instance):
            raise PermissionDenied("You may not delete this catalog.")
        instance.delete()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "bbox",
                str,
                description="ra_min,dec_min,ra_max,dec_max (degrees; ra_min > ra_max wraps)",
            ),
            OpenApiParameter(
                "pixels",
                str,
                description="x_min,y_min,x_max,y_max: pixel-frame features in this box of "
                "their image (FITS 1-based pixels); with bbox, sky and pixel features together",
            ),
            OpenApiParameter("ra", float),
            OpenApiParameter("dec", float),
            OpenApiParameter("radius", float),
            OpenApiParameter("limit", int),
        ],  # fmt: skip
        responses={200: OpenApiResponse(FEATURES_PAGE_SCHEMA, description="a FeatureCollection")},
    )
    @action(detail=True, methods=["get"])
    def features(self, request, pk=None, format=None):
        """A GeoJSON FeatureCollection, filtered by ``bbox`` (sky; pixel-frame regions too,
        placed through their image's WCS) and/or ``pixels`` (pixel frame), or by cone (``ra``, ``dec``, ``radius``), capped at ``limit`` with
        ``truncated`` telling whether more exist."""
        catalog = ready(self.get_object())
        query = request.query_params
        limit = number(
            "limit", query.get("limit", str(min(queries.DEFAULT_LIMIT, settings.MAX_QUERY_FEATURES))),
            1, settings.MAX_QUERY_FEATURES, integer=True,
        )  # fmt: skip
        if "bbox" in query or "pixels" in query:
            rows, truncated = [], False
            if "bbox" in query:
                ra1, dec1, ra2, dec2 = _bbox(query["bbox"])
                rows, truncated = queries.in_box(catalog, ra1, dec1, ra2, dec2, limit)
                wcs = None if "pixels" in query else _linked_wcs(catalog)
                if wcs is not None and len(rows) < limit:  # pixel regions, placed on the sky
                    more, truncated_more = queries.pixels_in_sky_box(
                        catalog, wcs, ra1, dec1, ra2, dec2, limit - len(rows)
                    )
                    rows, truncated = rows + more, truncated or truncated_more
            if "pixels" in query and len(rows) < limit:
                x1, y1, x2, y2 = _pixel_box(query["pixels"])
                more, truncated = queries.in_pixel_box(catalog, x1, y1, x2, y2, limit - len(rows))
                rows = rows + more
            elif "pixels" in query:
                _pixel_box(query["pixels"])
                truncated = True
        elif "ra" in query or "dec" in query or "radius" in query:
            ra = number("ra", query.get("ra", ""), 0.0, 360.0)
            dec = number("dec", query.get("dec", ""), -90.0, 90.0)
            radius = number("radius", query.get("radius", ""), 0.0, 180.0)
            rows, truncated = queries.in_cone(catalog, ra, dec, radius, limit)
        else:
            rows, truncated = queries.all_features(catalog, limit)
        return feature_collection(rows, truncated, settings.MAX_QUERY_BYTES)

    @extend_schema(request=AnnotationSerializer, responses={201: dict}, parameters=[])
    @features.mapping.post
    def annotate(self, request, pk=None):
        """Add one mark to an annotations catalog (its owner, or a manager)."""
        catalog = ready(self.get_object())
        if catalog.kind != Catalog.ANNOTATIONS or not permissions.may_edit(request.user, catalog):
            raise PermissionDenied("You may not add marks to this catalog.")
        form = AnnotationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        properties = dict(form.validated_data["properties"], note=form.validated_data.get("note", ""),
                          author=request.user.get_username())  # fmt: skip
        try:
            feature = validate_feature({"type": "Feature", "geometry": form.validated_data["geometry"],
                                        "properties": properties}, 0, settings.MAX_FEATURE_BYTES)  # fmt: skip
        except CatalogImportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        row = storage.add_features(catalog, [feature])[0]
        return Response(row.as_geojson(), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=list(EXPORTS))],
                   responses=EXPORT_RESPONSES)  # fmt: skip
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None, format=None):
        """The whole catalog as GeoJSON, CSV or a ds9 region file (``?as=geojson|csv|reg``)."""
        catalog = ready(self.get_object())
        kind = request.query_params.get("as", "geojson")
        if kind not in EXPORTS:
            raise ValidationError({"detail": f"as: one of {', '.join(EXPORTS)}."})
        content_type, write = EXPORTS[kind]

        def features():
            rows = catalog.features.order_by("pk").values_list("pk", "geometry", "properties")
            for pk, geometry, properties in rows.iterator(chunk_size=storage.BATCH):
                yield {"type": "Feature", "id": pk, "geometry": geometry, "properties": properties}

        pieces = write(features() if kind == "geojson" else features)
        served = spooled(pieces, asynchronous=isinstance(request._request, ASGIRequest))
        response = StreamingHttpResponse(served, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="catalog-{catalog.pk}.{kind}"'
        return response

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def statistics(self, request, format=None):
        """Statistics of an image's pixels inside regions, per channel: ``image`` (id),
        the regions as ``catalog`` and ``ids`` (its features) and/or ``features`` (GeoJSON
        shapes drawn), ``channel`` (1-based list, default all), ``mode`` (exact, center,
        subpixels). Included regions are a union, excluded ones are taken away."""
        return Response(stats.statistics(request.user, request.data))

    @extend_schema(
        parameters=[OpenApiParameter(k, float, required=k in ("image", "x", "y"))
                    for k in ("image", "x", "y", "channel", "aperture", "inner", "outer")]
        + [OpenApiParameter("as", str, enum=["json", "csv"])],
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def measure(self, request, format=None):
        """The star nearest FITS pixel ``x``, ``y`` of ``image``: centroid, FWHM (Gaussian
        and Moffat fits) and aperture flux less an annulus background (``aperture``,
        ``inner``, ``outer`` radii in pixels; default 2, 3 and 5 FWHM); ``as=csv`` for a
        CSV row."""
        result, row = stats.measurement(request.user, request.query_params)
        if request.query_params.get("as") == "csv":
            response = HttpResponse(row, content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="star-{result["image"]}.csv"'
            return response
        return Response(result)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "File too large."


class NotReady(APIException):
    status_code = status.HTTP_409_CONFLICT


def ready(catalog):
    """The catalog if its import is done; 409 with its state otherwise."""
    if catalog.state == Catalog.READY:
        return catalog
    if catalog.state == Catalog.FAILED:
        raise NotReady(f"The import of this catalog failed: {catalog.state_reason}")
    raise NotReady(
        f"The catalog is {catalog.state} ({100 * catalog.progress:.0f} % read): ask again later."
    )


def _mutable(data):
    """A shallow, changeable copy of request data (uploaded files are not copied)."""
    if not hasattr(data, "lists"):
        return dict(data)
    copy = QueryDict(mutable=True)
    for key, values in data.lists():
        copy.setlist(key, values)
    return copy


def feature_collection(rows, truncated, max_bytes):
    """A GeoJSON FeatureCollection of ``rows``, cut (``truncated``) before ``max_bytes``."""
    parts, size = [], 0
    for row in rows:
        text = json.dumps(row.as_geojson())
        size += len(text) + 1
        if size > max_bytes:
            truncated = True
            break
        parts.append(text)
    body = (f'{{"type": "FeatureCollection", "features": [{",".join(parts)}], '
            f'"count": {len(parts)}, "truncated": {"true" if truncated else "false"}}}')  # fmt: skip
    return HttpResponse(body, content_type="application/json")


def spooled(pieces, asynchronous, block=1 << 16):
    """The text ``pieces`` written to an anonymous temporary file, then served from it in
    blocks, by an async iterator under ASGI (Django gathers a sync one there in memory)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the iterator)
    try:
        for piece in pieces:
            spool.write(piece.encode("utf-8"))
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def blocks():
        try:
            while chunk := spool.read(block):
                yield chunk
        finally:
            spool.close()

    async def async_blocks():
        for chunk in blocks():
            yield chunk

    return async_blocks() if asynchronous else blocks()


def _linked_wcs(catalog):
    """The celestial WCS of the one image a catalog's pixel regions belong to, or None."""
    images = list(catalog.images.all()[:2])
    if len(images) != 1 or not catalog.features.filter(frame=Feature.IMAGE).exists():
        return None
    return header_wcs(images[0].header)


def _pixel_box(text):
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationError({"detail": "pixels: expected x_min,y_min,x_max,y_max."})
    x1, y1, x2, y2 = (number("pixels", p, -1e9, 1e9) for p in parts)
    if x1 > x2 or y1 > y2:
        raise ValidationError({"detail": "pixels: minimum before maximum."})
    return x1, y1, x2, y2


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
