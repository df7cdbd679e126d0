"""The tile hot path: GET requests for tiles and ``/iip/`` answered at the ASGI level.

Django's request cycle (ASGI adapter, thread hop, middleware, DRF) costs a few ms per
request, several times the cost of rendering a tile. ``TileFastPath`` sits in front of
Django and reads REST tile GETs -- ``/api/images/<id>/tiles/<z>/<x>/<y>.<fmt>`` -- and
every ``/iip/`` GET into the typed requests of ``tiles/answer.py``, whose ``answer`` the
views call too: the same status codes, headers and bodies. Everything else, and any
request it is not sure about, goes to Django unchanged: an ``Origin`` header (CORS is
Django's), a host Django refuses, plain HTTP when ``SECURE_SSL_REDIRECT`` is on, a
refused token, a session cookie that names no session (Django deletes the cookie).

The headers Django's middleware add (security headers, HSTS, ``Vary``, a CSP, DRF's
``Allow``...) are taken from Django itself: the project's middleware and DRF's view run
once around an empty response (``django_headers``), and every fast answer carries what
they added, after the answer's own (``Content-Type``, ``ETag``, ``Cache-Control``...).

Who is asking and whether they may see the image are answered from per-process caches
(``portal.auth``, ``portal.permissions``): a warm tile of a known user and image renders
inline on the event loop (a few hundred microseconds); anything else -- a cache miss, an
image not warm yet (read from its FITS file), ``INFO``, a region -- in a worker thread.
"""

import contextlib
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
from rest_framework.views import APIView

from portal import auth, invalidation
from tiles.answer import FORMATS, IIPCall, TileRequest, answer

# ASCII digits only, as Django's <int:> (\d is any script's), and few enough for int().
TILE_PATH = re.compile(
    r"^/api/images/([0-9]{1,18})/tiles/([0-9]{1,18})/([0-9]{1,18})/([0-9]{1,18})\.(jpg|jpeg|png|webp)$"
)
# A path of each kind, for what Django's middleware add (some look at the path).
PROBE_PATHS = {"rest": "/api/images/1/tiles/0/0/0.jpg", "iip": "/iip/"}


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


# (SECURE_SSL_REDIRECT, DISALLOWED_USER_AGENTS, proxy header name,
# DATA_UPLOAD_MAX_NUMBER_FIELDS), read once
_security = []


def _security_settings():
    if not _security:
        proxy = settings.SECURE_PROXY_SSL_HEADER
        header = proxy[0].removeprefix("HTTP_").lower().replace("_", "-") if proxy else None
        _security.append((settings.SECURE_SSL_REDIRECT, settings.DISALLOWED_USER_AGENTS, header,
                          settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))  # fmt: skip
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


def query_pairs(text):
    """``parse_qsl(text, keep_blank_values=True)``, splitting only when there is nothing
    to unquote (no ``%`` or ``+``: the usual tile URL)."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    return [field.partition("=")[::2] for field in text.split("&") if field]


@receiver(setting_changed)
def _settings_changed(**kwargs):
    _facts.clear()
    _security.clear()


class _Probe(APIView):
    """The envelope of the tile views (DRF: authentication, ``Allow``, ``Vary: Accept``)
    around an empty response."""

    def get(self, request, *args, **kwargs):
        return request._request.probe_response


def django_headers(kind, secure):
    """The headers Django adds to a tile answer of ``kind`` ("rest" or "iip"), over
    HTTPS or not: the project's ``MIDDLEWARE`` and the views' DRF envelope run once
    around an empty response, the same classes with the same settings as for every
    request Django answers. A list of ASGI header pairs, without ``Content-Type`` and
    ``Content-Length`` (the answer's own)."""
    handler = _Probe.as_view()
    for path in reversed(settings.MIDDLEWARE):
        with contextlib.suppress(MiddlewareNotUsed):  # as Django's handler skips them
            handler = import_string(path)(handler)
    scheme = "https" if secure else "http"
    request = DjangoRequest({"scheme": scheme}, {}, PROBE_PATHS[kind])
    request.get_host = lambda: "probe"  # the host is checked per request (``host_allowed``)
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


# --- one write per answer ------------------------------------------------------------
async def send_once(send, start, body):
    """Send an answer's two ASGI messages so that the socket is written once.

    uvicorn (``protocols/http/httptools_impl.py`` and ``h11_impl.py``) writes the status
    line and headers to its transport when ``http.response.start`` comes and the body
    when ``http.response.body`` comes, and uvloop writes each at once when nothing is
    queued: two ``write`` system calls and two TCP segments per tile. When ``send`` is
    uvicorn's (its request cycle holds the connection's ``transport``), the cycle writes
    through ``_OneWrite`` while the two messages are sent: it holds the head and writes
    head and body together (``writelines``: one ``writev``). Anything else: as it is."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if not type(cycle).__module__.startswith(UVICORN) or not hasattr(transport, "writelines"):
        await send(start)
        await send(body)
        return
    cycle.transport = once = _OneWrite(transport)
    try:
        await send(start)
        await send(body)
    finally:
        cycle.transport = transport
        once.flush()


UVICORN = "uvicorn.protocols.http."


class _OneWrite:
    """A transport that holds what is written until more comes (then writes it all at
    once) or ``flush``; everything else is the connection's transport's."""

    def __init__(self, transport):
        self._transport = transport
        self._held = []

    def write(self, data):
        self._held.append(data)
        if len(self._held) > 1:
            self.flush()

    def flush(self):
        held, self._held = self._held, []
        if len(held) == 1:
            self._transport.write(held[0])
        elif held:
            self._transport.writelines(held)

    def close(self):
        self.flush()
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


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
                    start = {
                        "type": "http.response.start",
                        "status": reply.status,
                        "headers": self.headers(request, reply),
                    }
                    await send_once(send, start, {"type": "http.response.body", "body": reply.body})
                    return
        await self.app(scope, receive, send)

    def headers(self, request, reply):
        call, _headers, secure = request
        own = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
        if reply.content_type is not None:
            own.append((b"content-type", reply.content_type.encode("latin-1")))
        key = (call.kind, secure)
        django = self._headers.get(key)
        if django is None:
            django = self._headers[key] = django_headers(call.kind, secure)
        return [*own, *django, (b"content-length", str(len(reply.body)).encode())]

    # --- which requests -------------------------------------------------------------
    def match(self, scope):
        """(the typed request, the request's headers, whether it is HTTPS), or None
        for Django's requests."""
        path = scope["path"]
        match = TILE_PATH.match(path)
        if match is None and path != "/iip/":
            return None
        raw_query = scope.get("query_string", b"")
        max_fields = _security_settings()[3]
        if not raw_query.isascii() or (max_fields and raw_query.count(b"&") >= max_fields):
            return None  # Django's reading of raw bytes; its 400 for too many fields
        headers = auth.request_headers(scope["headers"])
        if "origin" in headers:
            return None  # CORS: Django's
        allowed, secure = host_and_scheme(scope, headers)
        if not allowed:
            return None  # Django's 400
        redirect, refused_agents, _proxy, _fields = _security_settings()
        if not secure and redirect:
            return None  # Django's redirect to HTTPS
        if refused_agents and "user-agent" in headers:
            return None  # Django's 403, perhaps
        pairs = query_pairs(raw_query.decode("latin-1"))
        etag = headers.get("if-none-match")
        if match is None:
            return IIPCall.read(pairs, etag), headers, secure
        image_id, z, x, y, suffix = match.groups()
        query = {}
        for name, value in pairs:
            query.setdefault(name, []).append(value)
        call = TileRequest(int(image_id), int(z), int(x), int(y), FORMATS[suffix], query, etag)
        return call, headers, secure

    # --- answering ----------------------------------------------------------------------
    async def answer(self, scope, request):
        call, headers, _secure = request
        user = self.known_user(headers)
        if user is not None:
            reply = answer(call, user, wait=False)
            if reply is not None:
                return reply
        return await self.slow(request)

    def answer_sync(self, request):
        """The same answer, allowed to block (database, files); None: Django answers."""
        call, headers, _secure = request
        try:
            user = self.user(headers)
            return None if user is None else answer(call, user)
        finally:
            close_old_connections()

    # --- identity, from the caches ----------------------------------------------------
    def known_user(self, headers):
        """The user if known without blocking, else None (ask ``user`` in a thread)."""
        creds = auth.credentials(headers)
        _found, user = auth.peek_request_user(creds)
        if user is not None and auth.session_ended(creds):
            return None  # ``user`` hands it to Django
        return user  # None when unknown or refused (401): ``user`` decides, in a thread

    def user(self, headers):
        """The user, or None when Django answers: a refused token, or a cookie that
        names no session (Django's answer deletes it)."""
        creds = auth.credentials(headers)
        user = auth.request_user(creds)
        if user is None or auth.session_ended(creds):
            return None
        return user
