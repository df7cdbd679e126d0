"""The tile hot path: GET requests for tiles answered at the ASGI level.

Django's request cycle (ASGI adapter, thread hop, middleware, DRF) costs a few ms per
request, several times the cost of rendering a tile. ``TileFastPath`` sits in front of
Django and answers plain tile GETs -- ``/api/images/<id>/tiles/<z>/<x>/<y>.<fmt>`` and
``/iip/?FIF=...&JTL=...`` -- with the same code the views use (parsers, permissions,
service), the same status codes, headers and bodies. Everything else, and any request
it is not sure about, goes to Django unchanged: an ``Origin`` header (CORS is Django's),
other IIP requests, a host Django refuses, plain HTTP when ``SECURE_SSL_REDIRECT`` is on,
a refused token, a session cookie that names no session (Django deletes the cookie).

The headers Django's middleware add (security headers, HSTS, ``Vary``, a CSP, DRF's
``Allow``...) are taken from Django itself: the project's middleware run once around an
empty response (``django_headers``), and every fast answer carries what they added.

Who is asking and whether they may see the image are answered from per-process caches
(``portal.auth``, ``portal.permissions``): a request that misses them, or whose image is
not warm yet (reads from the FITS file), runs in a worker thread; a warm, known request
renders inline on the event loop (a few hundred microseconds).
"""

import contextlib
import json
import re
from urllib.parse import parse_qsl

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from portal import auth, invalidation
from portal.permissions import peek_viewable_image, viewable_image_cached
from tiles import iip, service
from tiles import params as rest_params
from tiles.engine import EngineError, InvalidFitsError, ParameterError
from tiles.iip_views import lookup as iip_lookup
from tiles.views import TileView, cache_control

# ASCII digits only, as Django's <int:> (\d is any script's), and few enough for int().
TILE_PATH = re.compile(
    r"^/api/images/([0-9]{1,18})/tiles/([0-9]{1,18})/([0-9]{1,18})/([0-9]{1,18})\.(jpg|jpeg|png|webp)$"
)
FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}
# A path of each kind, for what Django's middleware add (some look at the path).
PROBE_PATHS = {"rest": "/api/images/1/tiles/0/0/0.jpg", "iip": "/iip/"}


class Reply(Exception):
    """A finished response: status, headers, body; ``session_read``: whether Django's
    view would have read the session by then (its ``Vary: Cookie``)."""

    def __init__(self, status, body=b"", headers=(), session_read=True):
        self.status, self.body, self.headers = status, body, list(headers)
        self.session_read = session_read


def json_reply(status, message, session_read=True):
    body = json.dumps({"detail": message}, separators=(",", ":")).encode()  # as DRF writes it
    return Reply(status, body, [(b"content-type", b"application/json")], session_read)


class DjangoRequest(HttpRequest):
    """Django's view of an ASGI request, as far as the fast path needs it: ``META``
    as ``ASGIRequest`` fills it, so ``get_host()`` and ``is_secure()`` are Django's own
    answers (``ALLOWED_HOSTS``, ``USE_X_FORWARDED_HOST``, ``SECURE_PROXY_SSL_HEADER``)."""

    def __init__(self, scope, headers, path="/"):
        super().__init__()
        self.method, self.path, self.path_info = "GET", path, path
        self.asgi_scheme = scope.get("scheme")
        server = scope.get("server") or ("unknown", "0")
        self.META = {
            "SERVER_NAME": server[0],
            "SERVER_PORT": str(server[1]),
            "REQUEST_METHOD": "GET",
        }
        for name, value in headers.items():
            if name == "content-type":
                self.META["CONTENT_TYPE"] = value
            elif name == "content-length":
                self.META["CONTENT_LENGTH"] = value
            else:
                self.META["HTTP_" + name.upper().replace("-", "_")] = value

    def _get_scheme(self):
        return self.asgi_scheme or super()._get_scheme()

    def host_allowed(self):
        try:
            self.get_host()
        except DisallowedHost:
            return False
        return True


# What Django's get_host() and is_secure() read, and their answers for those values:
# remembered (a few distinct values a process sees), emptied when settings change.
FACT_HEADERS = ("host", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto")
_facts = {}
MAX_FACTS = 1024


_security = []  # (SECURE_SSL_REDIRECT, DISALLOWED_USER_AGENTS, proxy header name), read once


def _security_settings():
    if not _security:
        proxy = settings.SECURE_PROXY_SSL_HEADER
        header = proxy[0].removeprefix("HTTP_").lower().replace("_", "-") if proxy else None
        _security.append((settings.SECURE_SSL_REDIRECT, settings.DISALLOWED_USER_AGENTS, header))
    return _security[0]


def host_and_scheme(scope, headers):
    """(whether Django accepts the request's host, whether it counts as HTTPS)."""
    proxy = _security_settings()[2]
    key = (
        *(headers.get(name) for name in FACT_HEADERS),
        headers.get(proxy) if proxy else None,
        scope.get("scheme"),
        scope.get("server"),
    )
    facts = _facts.get(key)
    if facts is None:
        request = DjangoRequest(scope, headers)
        facts = (request.host_allowed(), request.is_secure())
        if len(_facts) >= MAX_FACTS:
            _facts.clear()
        _facts[key] = facts
    return facts


@receiver(setting_changed)
def _settings_changed(**kwargs):
    _facts.clear()
    _security.clear()


class _TileProbe(TileView):
    """The tile view's DRF envelope (authentication, ``Allow``, ``Vary: Accept``)
    around an empty response."""

    def get(self, request, *args, **kwargs):
        return request._request.probe_response


def _iip_probe(request):
    if request.probe_session_read:
        _ = request.user.is_authenticated  # the view looks the image up for request.user
    return request.probe_response


def django_headers(kind, secure, session_read):
    """The headers Django adds to a tile answer of ``kind`` ("rest" or "iip"), over
    HTTPS or not, when its view has read the session (``Vary: Cookie``) or not: the
    project's ``MIDDLEWARE`` (and DRF for REST) run once around an empty response, the
    same classes with the same settings as for every request Django answers. A list of
    ASGI header pairs, without ``Content-Type`` and ``Content-Length`` (the answer's own)."""
    view = _TileProbe.as_view() if kind == "rest" else _iip_probe
    handler = view
    for path in reversed(settings.MIDDLEWARE):
        with contextlib.suppress(MiddlewareNotUsed):  # as Django's handler skips them
            handler = import_string(path)(handler)
    scheme = "https" if secure else "http"
    request = DjangoRequest({"scheme": scheme}, {}, PROBE_PATHS[kind])
    request.get_host = lambda: "probe"  # the host is checked per request (``host_allowed``)
    request.probe_session_read = session_read
    request.probe_response = HttpResponse()
    response = handler(request)
    own = {"content-type", "content-length"}
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
        if name.lower() not in own
    ] + [
        (b"set-cookie", cookie.output(header="").strip().encode("latin-1"))
        for cookie in response.cookies.values()
    ]


class TileFastPath:
    def __init__(self, app):
        self.app = app
        self._headers = {}
        # Made once: sync_to_async() costs tens of microseconds to set up.
        self.slow = sync_to_async(lambda *args: self.answer_sync(*args), thread_sensitive=False)

    async def __call__(self, scope, receive, send):
        await invalidation.listening()  # this process hears other processes' changes
        if scope["type"] == "http" and scope["method"] == "GET":
            request = self.match(scope)
            if request is not None:
                reply = await self.answer(scope, request)
                if reply is not None:
                    kind, secure = request[0], request[5]
                    headers = [
                        *reply.headers,
                        *self.django_headers(kind, secure, reply.session_read),
                        (b"content-length", str(len(reply.body)).encode()),
                    ]
                    await send(
                        {"type": "http.response.start", "status": reply.status, "headers": headers}
                    )
                    await send({"type": "http.response.body", "body": reply.body})
                    return
        await self.app(scope, receive, send)

    def django_headers(self, kind, secure, session_read):
        key = (kind, secure, session_read)
        if key not in self._headers:
            self._headers[key] = django_headers(kind, secure, session_read)
        return self._headers[key]

    # --- which requests -------------------------------------------------------------
    def match(self, scope):
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        match = TILE_PATH.match(path)
        if match:
            image_id, z, x, y, fmt = match.groups()
            kind, image_id, tile = "rest", int(image_id), (int(z), int(x), int(y), FORMATS[fmt])
        elif path == "/iip/" and "JTL=" in query.upper():
            kind, image_id, tile = "iip", None, None
        else:
            return None
        headers = auth.request_headers(scope["headers"])
        if "origin" in headers:
            return None  # CORS: Django's
        allowed, secure = host_and_scheme(scope, headers)
        if not allowed:
            return None  # Django's 400
        redirect, refused_agents, _proxy = _security_settings()
        if not secure and redirect:
            return None  # Django's redirect to HTTPS
        if refused_agents and "user-agent" in headers:
            return None  # Django's 403, perhaps
        return (kind, image_id, tile, query, headers, secure)

    # --- answering ----------------------------------------------------------------------
    async def answer(self, scope, request):
        kind, image_id, tile, query, headers, _secure = request
        pairs = parse_qsl(query, keep_blank_values=True)
        user = self.known_user(kind, headers)
        if user is None:
            return await self.slow(request, pairs)
        try:
            image = self.known_image(user, kind, image_id)
            data = service.open_data_if_open(image) if image is not None else None
            if data is None or not data.has_pyramid:
                return await self.slow(request, pairs)
            return self.render(kind, image, data, tile, pairs, headers)
        except Reply as reply:
            return reply
        except EngineError as exc:
            return _engine_error(exc)

    def answer_sync(self, request, pairs):
        """The same answer, allowed to block (database, files)."""
        kind, image_id, tile, _query, headers, _secure = request
        try:
            user = self.user(kind, headers)
            if kind == "iip":
                try:
                    parsed = iip.parse(pairs)
                except ParameterError as exc:  # before the view reads the session
                    raise json_reply(400, str(exc), session_read=False) from exc
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
        response_headers.append((b"content-type", rendered.content_type.encode()))
        return Reply(200, rendered.body, response_headers)

    # --- identity and access, from the caches ----------------------------------------
    def known_user(self, kind, headers):
        """The user if known without blocking, else None (ask ``user`` in a thread)."""
        creds = auth.credentials(headers)
        _found, user = auth.peek_request_user(creds, api=kind == "rest")
        if user is not None and auth.session_ended(creds):
            return None  # ``user`` hands it to Django
        return user  # None when unknown or refused (401): ``user`` decides, in a thread

    def user(self, kind, headers):
        creds = auth.credentials(headers)
        user = auth.request_user(creds, api=kind == "rest")
        if user is None or auth.session_ended(creds):
            # A refused token, or a cookie that names no session (Django's answer
            # deletes it): Django answers, as it would.
            raise Reply(0)
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
