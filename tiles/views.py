"""REST endpoints for pixels: tiles, values, profiles, region snapshots, FITS cutouts.

Each view: ask portal/permissions.py (404 for what the user may not see), parse
(tiles/params.py: typed values within their caps), take a slot for a heavy operation
(tiles/heavy.py: 503 when they are all taken), call the engine through tiles/service.py,
build the response.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import permissions
from portal.models import Collection
from tiles import heavy, service
from tiles import params as rest_params
from tiles.engine import ParameterError

RENDER_PARAMETERS = [
    OpenApiParameter("channel", int, description="1-based channel: mono mode"),
    OpenApiParameter("min", float), OpenApiParameter("max", float),
    OpenApiParameter("minmax", str, many=True, description="c:lo,hi per channel"),
    OpenApiParameter("mix", str, many=True, description="c:r,g,b colour of channel c"),
    OpenApiParameter("saturation", float), OpenApiParameter("stretch", str),
    OpenApiParameter("contrast", float), OpenApiParameter("brightness", float),
    OpenApiParameter("gamma", float), OpenApiParameter("colormap", str),
    OpenApiParameter("invert", bool), OpenApiParameter("quality", int),
]  # fmt: skip


def viewable(request, image_id):
    image = permissions.viewable_image_cached(request.user, image_id)
    if image is None:
        raise Http404("No such image.")
    return image


def cache_control(image):
    if image.collection.visibility == Collection.PUBLIC:
        return f"public, max-age={settings.TILE_MAX_AGE_PUBLIC}"
    return f"private, max-age={settings.TILE_MAX_AGE_PRIVATE}"


def image_response(request, image, rendered, filename=None):
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control(image)}
    if request.headers.get("If-None-Match") == rendered.etag:
        return HttpResponseNotModified(headers=headers)
    response = HttpResponse(rendered.body, content_type=rendered.content_type, headers=headers)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class TileView(APIView):
    """One tile: ``z`` = 0 is the coarsest level, ``x`` the column, ``y`` the row from the top."""

    @extend_schema(
        parameters=RENDER_PARAMETERS, responses={(200, "image/jpeg"): OpenApiTypes.BINARY}
    )
    def get(self, request, image_id, z, x, y, fmt):
        image = viewable(request, image_id)
        data = service.open_data(image)
        grid = data.grid
        if z >= grid.levels:
            raise ParameterError(f"z: {z} is outside 0..{grid.levels - 1}.")
        cuts = service.default_cuts(image, data)
        render = rest_params.parse(request.query_params, data.channels, cuts, _format(fmt))
        rendered = service.tile(image, data, grid.levels - 1 - z, x, y, render)
        return image_response(request, image, rendered)


class RegionView(APIView):
    """A region snapshot: full-resolution pixels ``x1..x2``, ``y1..y2`` (1-based, from the
    top left, as the tiles), rendered at ``binning`` (a power of 2)."""

    @extend_schema(
        parameters=RENDER_PARAMETERS, responses={(200, "image/jpeg"): OpenApiTypes.BINARY}
    )
    def get(self, request, image_id, fmt):
        image = viewable(request, image_id)
        data = service.open_data(image)
        cuts = service.default_cuts(image, data)
        level, box, render = rest_params.region_request(
            request.query_params, data.grid, data.channels, cuts, _format(fmt)
        )
        with heavy.slot("region"):
            rendered = service.region(image, data, level, box, render)
        return image_response(request, image, rendered, filename=f"{image.pk}-region.{fmt}")


class ValuesView(APIView):
    """Pixel values at FITS pixel ``x``, ``y`` (1-based), every channel or ``channel``s."""

    @extend_schema(
        parameters=[
            OpenApiParameter("x", float, required=True),
            OpenApiParameter("y", float, required=True),
            OpenApiParameter("channel", int, many=True),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, image_id):
        image = viewable(request, image_id)
        data = service.open_data(image)
        x, y, channels = rest_params.values_request(request.query_params, data.channels)
        return Response({"x": x, "y": y, "values": data.pixel_values(x, y, channels)})


class HistogramView(APIView):
    """Histogram of a channel's pixel values (the statistics' sample), for setting cuts."""

    @extend_schema(
        parameters=[OpenApiParameter("channel", int), OpenApiParameter("bins", int)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, image_id):
        image = viewable(request, image_id)
        data = service.open_data(image)
        channel, bins = rest_params.histogram_request(request.query_params, data.channels)
        with heavy.slot("histogram"):
            counts, edges = data.histogram(channel - 1, bins)
        lo, hi = service.default_cuts(image, data)[channel - 1]
        return Response({"channel": channel, "counts": counts.tolist(), "edges": edges.tolist(),
                         "default_cuts": [lo, hi]})  # fmt: skip


class ProfileView(APIView):
    """Values along the digital line between FITS pixels (x1, y1) and (x2, y2), 1-based."""

    @extend_schema(
        parameters=[OpenApiParameter(k, int, required=True) for k in ("x1", "y1", "x2", "y2")]
        + [OpenApiParameter("channel", int, many=True)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, image_id):
        image = viewable(request, image_id)
        data = service.open_data(image)
        line, channels = rest_params.profile_request(request.query_params, data.channels)
        with heavy.slot("profile"):
            return Response({"profile": data.profile(*line, channels)})


class CutoutView(APIView):
    """A FITS cutout of FITS pixels x1..x2, y1..y2 (1-based, inclusive), WCS included."""

    @extend_schema(
        parameters=[OpenApiParameter(k, int, required=True) for k in ("x1", "y1", "x2", "y2")]
        + [OpenApiParameter("channel", int, many=True)],
        responses={(200, "application/fits"): OpenApiTypes.BINARY},
    )
    def get(self, request, image_id):
        image = viewable(request, image_id)
        data = service.open_data(image)
        box, channels = rest_params.cutout_request(request.query_params, data.channels)
        with heavy.slot("cutout"):
            blob = service.cutout(data, box, channels)
        response = HttpResponse(blob, content_type="application/fits")
        response["Content-Disposition"] = f'attachment; filename="{image.pk}-cutout.fits"'
        response["Cache-Control"] = cache_control(image)
        return response


def _format(fmt):
    return {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}[fmt]
