"""The colormaps' tables, as tiles are rendered with them, for the client's colour bar.

One answer for everyone (nothing private: no image, no user), made once per process;
browsers keep it an hour and ask again with its ETag.
"""

import hashlib
import json
from functools import cache

from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from tiles.engine.colormaps import COLORMAPS, as_hex

TABLE_SCHEMA = {
    "type": "object",
    "description": "{colormap: its 256 colours, '#rrggbb', from the lowest level to the highest}",
    "additionalProperties": {
        "type": "array",
        "items": {"type": "string", "pattern": "^#[0-9a-f]{6}$"},
        "minItems": 256,
        "maxItems": 256,
    },
}


@cache
def _body_and_etag():
    body = json.dumps({name: as_hex(name) for name in COLORMAPS}, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class ColormapsView(APIView):
    """Every colormap's table: the colours a tile shows for each of its 256 levels."""

    authentication_classes = []  # the same answer for everyone: no session or token read
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiResponse(TABLE_SCHEMA), 304: None})
    def get(self, request):
        body, etag = _body_and_etag()
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = "public, max-age=3600"
        return response
