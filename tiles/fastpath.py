"""The tile hot path: GET requests for tiles answered at the ASGI level.

Django's request cycle (ASGI adapter, thread hop, middleware, DRF) costs a few ms per
request, several times the cost of rendering a tile. ``TileFastPath`` sits in front of
Django and answers plain tile GETs -- ``/api/images/<id>/tiles/<z>/<x>/<y>.<fmt>`` and
``/iip/?FIF=...&JTL=...`` -- with the same code the views use (parsers, permissions,
service), the same status codes, headers and bodies. Everything else, and any request
it is not sure about (an ``Origin`` header: CORS is Django's; other IIP requests), goes
to Django unchanged.

Who is asking and whether they may see the image are answered from per-process caches
(``portal.auth``, ``portal.permissions``): a request that misses them, or whose image is
not warm yet (reads from the FITS file), runs in a worker thread; a warm, known request
renders inline on the event loop (a few hundred microseconds).
"""

import json
import re
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from portal import auth
from portal.permissions import peek_viewable_image, viewable_image_cached
from tiles import iip, service
from tiles import params as rest_params
from tiles.engine import EngineError, InvalidFitsError, ParameterError
from tiles.iip_views import lookup as iip_lookup
from tiles.views import cache_control

TILE_PATH = re.compile(r"^/api/images/(\d+)/tiles/(\d+)/(\d+)/(\d+)\.(jpg|jpeg|png|webp)$")
FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}


class Reply(Exception):
    """A finished response: status, headers, body."""

    def __init__(self, status, body=b"", headers=()):
        self.status, self.body, self.headers = status, body, list(headers)


def json_reply(status, message):
    body = json.dumps({"detail": message}, separators=(",", ":")).encode()  # as DRF writes it
    return Reply(status, body, [(b"content-type", b"application/json")])


class TileFastPath:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            request = self.match(scope)
            if request is not None:
                reply = await self.answer(scope, request)
                if reply is not None:
                    headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
                    await send(
                        {"type": "http.response.start", "status": reply.status, "headers": headers}
                    )
                    await send({"type": "http.response.body", "body": reply.body})
                    return
        await self.app(scope, receive, send)

    # --- which requests -------------------------------------------------------------
    def match(self, scope):
        path = scope["path"]
        headers = auth.request_headers(scope["headers"])
        if "origin" in headers:
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        match = TILE_PATH.match(path)
        if match:
            image_id, z, x, y, fmt = match.groups()
            return ("rest", int(image_id), (int(z), int(x), int(y), FORMATS[fmt]), query, headers)
        if path == "/iip/" and "JTL=" in query.upper():
            return ("iip", None, None, query, headers)
        return None

    # --- answering ----------------------------------------------------------------------
    async def answer(self, scope, request):
        kind, image_id, tile, query, headers = request
        pairs = parse_qsl(query, keep_blank_values=True)
        slow = sync_to_async(self.answer_sync, thread_sensitive=False)
        user = self.known_user(kind, headers)
        if user is None:
            return await slow(request, pairs)
        try:
            image = self.known_image(user, kind, image_id)
            data = service.open_data_if_open(image) if image is not None else None
            if data is None or not data.has_pyramid:
                return await slow(request, pairs)
            return self.render(kind, image, data, tile, pairs, headers)
        except Reply as reply:
            return reply
        except EngineError as exc:
            return _engine_error(exc)

    def answer_sync(self, request, pairs):
        """The same answer, allowed to block (database, files)."""
        kind, image_id, tile, _query, headers = request
        try:
            user = self.user(kind, headers)
            if kind == "iip":
                parsed = iip.parse(pairs)
                if parsed.fif is None or _other_operation(parsed):
                    return None  # Django answers
                image = iip_lookup(user, parsed.fif)
            else:
                image = viewable_image_cached(user, image_id)
            if image is None:
                raise json_reply(404, "No such image.")
            data = service.open_data(image)
            return self.render(kind, image, data, tile, pairs, headers)
        except Reply as reply:
            return reply if reply.status else None
        except (EngineError, OSError) as exc:
            return _engine_error(exc)
        finally:
            close_old_connections()

    def render(self, kind, image, data, tile, pairs, headers):
        try:
            cuts = service.default_cuts(image, data)
            if kind == "rest":
                z, x, y, fmt = tile
                if z >= data.grid.levels:
                    raise ParameterError(f"z: {z} is outside 0..{data.grid.levels - 1}.")
                params = rest_params.parse(_multi(pairs), data.channels, cuts, fmt)
                rendered = service.tile(image, data, data.grid.levels - 1 - z, x, y, params)
            else:
                parsed = iip.parse(pairs)
                if _other_operation(parsed):
                    return None
                params = iip.render_params(parsed, data.channels, cuts)
                resolution, index = parsed.jtl
                level = data.grid.level_from_iip(resolution)
                col, row = data.grid.tile_from_index(level, index)
                rendered = service.tile(image, data, level, col, row, params)
        except ParameterError as exc:
            raise _engine_error(exc) from exc
        response_headers = [
            (b"etag", rendered.etag.encode()),
            (b"cache-control", cache_control(image).encode()),
        ]
        if headers.get("if-none-match") == rendered.etag:
            return Reply(304, b"", response_headers)
        response_headers += [
            (b"content-type", rendered.content_type.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        return Reply(200, rendered.body, response_headers)

    # --- identity and access, from the caches ----------------------------------------
    def known_user(self, kind, headers):
        """The user if known without blocking, else None (ask ``user`` in a thread)."""
        _found, user = auth.peek_request_user(auth.credentials(headers), api=kind == "rest")
        return user  # None when unknown or refused (401): ``user`` decides, in a thread

    def user(self, kind, headers):
        user = auth.request_user(auth.credentials(headers), api=kind == "rest")
        if user is None:
            raise Reply(0)  # a refused token: Django answers, as it always does
        return user

    def known_image(self, user, kind, image_id):
        if kind != "rest":
            return None  # IIP names may need the database: answered in a thread
        found, image = peek_viewable_image(user, image_id)
        if not found:
            return None
        if image is None:
            raise json_reply(404, "No such image.")
        return image


def _engine_error(exc):
    """The JSON error the views give for the same failure."""
    if isinstance(exc, ParameterError):
        return json_reply(400, str(exc))
    if isinstance(exc, InvalidFitsError):
        return json_reply(422, f"The image file cannot be read: {exc}")
    return json_reply(422, "The image file cannot be read.")


def _other_operation(parsed):
    return parsed.jtl is None or parsed.info or parsed.obj or parsed.val or parsed.pfl or parsed.rgn


def _multi(pairs):
    query = {}
    for name, value in pairs:
        query.setdefault(name, []).append(value)
    return query
