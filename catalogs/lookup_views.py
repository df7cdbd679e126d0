"""REST endpoints of the sky context: object names (``GET /api/resolve/``) and survey
catalogs for an image's field (``GET /api/images/<id>/surveys/...``)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogs import resolve, surveys
from catalogs.geometry import angular_distance
from portal import permissions
from tiles.numbers import number


class Unavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The name resolver or the survey server did not answer; try again later."


def _viewable(request, image_id):
    image = permissions.viewable_image(request.user, image_id)
    if image is None:
        raise NotFound("No such image.")
    return image


class ResolveView(APIView):
    """The sky position of an object name: the portal's own catalogs and image
    ``OBJECT``s the user may see first (those of ``image`` before the others), then
    Sesame (CDS) when the deployment allows it. 404 for a name found nowhere."""

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, required=True,
                             description=f"an object name (at most {resolve.MAX_NAME} characters)"),
            OpenApiParameter("image", int, description="the image being viewed: its catalogs "
                             "and itself are tried first"),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="{name, ra, dec (ICRS "
                                 "degrees), source: catalog|image|sesame, detail}"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="a name that cannot be asked"),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="no object of that name"),
            503: OpenApiResponse(OpenApiTypes.OBJECT, description="Sesame did not answer"),
        },
    )  # fmt: skip
    def get(self, request):
        query = request.query_params
        image = None
        if query.get("image"):
            image = _viewable(request, number("image", query["image"], 1, 2**63 - 1, integer=True))
        try:
            found = resolve.resolve(request.user, query.get("name", ""), image)
        except resolve.BadName as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        except resolve.ResolverUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        if found is None:
            where = "the portal's catalogs and images" + (
                ", nor Sesame" if settings.SESAME_ENABLED else ""
            )
            raise NotFound(f"No object of that name in {where}.")
        return Response(found)


class SurveyListView(APIView):
    """The survey catalogs this deployment offers for the image's field (none unless it
    enables them), and the largest cone radius asked."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, image_id):
        _viewable(request, image_id)
        offered = [
            {"key": s.key, "name": s.name, "catalog": s.catalog, "magnitudes": list(s.magnitudes)}
            for s in surveys.SURVEYS.values()
        ] if settings.SURVEY_CATALOGS_ENABLED else []  # fmt: skip
        return Response({"surveys": offered, "max_radius": settings.SURVEY_MAX_RADIUS})


class SurveyFeaturesView(APIView):
    """The sources of a survey catalog in a cone of the image's field, as a GeoJSON
    FeatureCollection (``count``, ``truncated``, and the ``cone`` asked of VizieR: the
    field holding the requested cone, kept in the cache)."""

    @extend_schema(
        operation_id="api_images_survey_features",
        parameters=[
            OpenApiParameter("ra", float, required=True, description="cone centre, ICRS degrees"),
            OpenApiParameter("dec", float, required=True, description="cone centre, ICRS degrees"),
            OpenApiParameter("radius", float, required=True,
                             description="degrees; capped at the deployment's SURVEY_MAX_RADIUS"),
        ],
        responses={200: OpenApiTypes.OBJECT,
                   404: OpenApiResponse(OpenApiTypes.OBJECT, description="no such survey here"),
                   503: OpenApiResponse(OpenApiTypes.OBJECT, description="VizieR did not answer")},
    )  # fmt: skip
    def get(self, request, image_id, survey):
        image = _viewable(request, image_id)
        if not settings.SURVEY_CATALOGS_ENABLED or survey not in surveys.SURVEYS:
            raise NotFound("This portal offers no such survey catalog.")
        query = request.query_params
        ra = number("ra", query.get("ra", ""), -360.0, 720.0) % 360.0
        dec = number("dec", query.get("dec", ""), -90.0, 90.0)
        radius = number("radius", query.get("radius", ""), 0.0, 180.0)
        sky = surveys.image_field(image)
        if sky is None:
            raise ValidationError({"detail": "This image has no sky coordinates."})
        radius = min(radius, settings.SURVEY_MAX_RADIUS)
        apart = float(angular_distance(sky[0], sky[1], ra, dec))
        if apart > sky[2] + radius + 1.0 / 60.0:
            raise ValidationError({"detail": "The cone lies outside the image's field."})
        try:
            answer = surveys.query(surveys.SURVEYS[survey], ra, dec, radius)
        except surveys.SurveyUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        return Response({"type": "FeatureCollection", **answer})
