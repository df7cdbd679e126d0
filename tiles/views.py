"""REST endpoints for pixels: tiles, values, profiles, region snapshots, FITS cutouts.

Tiles and region snapshots are requests of ``tiles/answer.py``: the view reads the
request into its typed form and sends what ``answer`` gives (the ASGI fast path sends
the same for tiles). The science endpoints: ask portal/permissions.py (404 for what the
user may not see), parse (tiles/params.py: typed values within their caps), take a slot
for a heavy operation (tiles/heavy.py: 503 when they are all taken), call the engine,
build the response; failures are mapped once (``answer.error_status``, through
``portal/api/errors.py``).
"""

import weakref
from contextlib import suppress

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import permissions
from tiles import heavy, service
from tiles import params as rest_params
from tiles.answer import FORMATS, NoSuchImage, RegionRequest, TileRequest, answer, cache_control
from tiles.engine.cutout import STRIP_BYTES, FitsCutout


def http_response(reply):
    """The ``HttpResponse`` of an ``Answer``: its status, type, headers and bytes."""
    if reply.status == 304:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
    for name, value in reply.headers:
        response[name] = value
    return response


def viewable(request, image_id):
    image = permissions.viewable_image_cached(request.user, image_id)
    if image is None:
        raise NoSuchImage
    return image


# A tile or region answers the format its name asks for (.jpg, .png, .webp).
IMAGE_RESPONSES = {
    (200, media_type): OpenApiTypes.BINARY
    for media_type in ("image/jpeg", "image/png", "image/webp")
}


class TileView(APIView):
    """One tile: ``z`` = 0 is the coarsest level, ``x`` the column, ``y`` the row from the top."""

    @extend_schema(parameters=rest_params.openapi_parameters(), responses=IMAGE_RESPONSES)
    def get(self, request, image_id, z, x, y, fmt):
        query = dict(request.query_params.lists())
        etag = request.headers.get("If-None-Match")
        call = TileRequest(image_id, z, x, y, FORMATS[fmt], query, etag)
        return http_response(answer(call, request.user))


class RegionView(APIView):
    """A region snapshot: full-resolution pixels ``x1..x2``, ``y1..y2`` (1-based, from the
    top left, as the tiles), rendered at ``binning`` (a power of 2)."""

    @extend_schema(
        parameters=[
            *(OpenApiParameter(k, int, required=True) for k in ("x1", "y1", "x2", "y2")),
            OpenApiParameter("binning", int),
            *rest_params.openapi_parameters(),
        ],
        responses=IMAGE_RESPONSES,
    )
    def get(self, request, image_id, fmt):
        query = dict(request.query_params.lists())
        call = RegionRequest(image_id, fmt, query, request.headers.get("If-None-Match"))
        return http_response(answer(call, request.user))


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
    """A FITS cutout of FITS pixels x1..x2, y1..y2 (1-based, inclusive), WCS included.

    Streamed a strip of rows at a time (``tiles/engine/cutout.py``), each read in a
    worker thread: memory stays at one strip whatever the cutout's size, under ASGI too
    (an asynchronous iterator: Django would collect a synchronous one whole first)."""

    @extend_schema(
        parameters=[OpenApiParameter(k, int, required=True) for k in ("x1", "y1", "x2", "y2")]
        + [OpenApiParameter("channel", int, many=True)],
        responses={(200, "application/fits"): OpenApiTypes.BINARY},
    )
    def get(self, request, image_id):
        image = viewable(request, image_id)
        data = service.open_data(image)
        box, channels = rest_params.cutout_request(request.query_params, data.channels)
        cutout = FitsCutout(data, *box, channels, max_values=settings.MAX_CUTOUT_PIXELS)
        if cutout.size <= STREAM_ABOVE:  # one piece: sent as it is
            with heavy.slot("cutout"):
                response = HttpResponse(b"".join(cutout.chunks()), content_type=FITS)
        else:
            stream = CutoutStream(cutout, heavy.hold("cutout"))
            response = StreamingHttpResponse(stream, content_type=FITS)
            response["Content-Length"] = str(cutout.size)
        response["Content-Disposition"] = f'attachment; filename="{image.pk}-cutout.fits"'
        response["Cache-Control"] = cache_control(image)
        return response


FITS = "application/fits"
STREAM_ABOVE = STRIP_BYTES  # bytes: larger cutouts are streamed


class CutoutStream:
    """A cutout's bytes as an asynchronous iterator, its slot held until the response
    is closed (sent, or the client gone: Django closes it either way)."""

    def __init__(self, cutout, slot):
        self._chunks = cutout.chunks()
        self._slot = slot
        self._next = sync_to_async(self._next_chunk, thread_sensitive=False)
        # A response dropped unsent and unclosed gives its slot back when collected.
        weakref.finalize(self, slot.release)

    def _next_chunk(self):
        return next(self._chunks, None)

    def __aiter__(self):
        return self

    async def __anext__(self):
        chunk = await self._next()
        if chunk is None:
            self.close()
            raise StopAsyncIteration
        return chunk

    def close(self):
        self._slot.release()
        with suppress(ValueError):  # still being read in a thread (the client left)
            self._chunks.close()
