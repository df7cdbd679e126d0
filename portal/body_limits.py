"""Request bodies refused from their headers, before Django reads them.

Django's ASGI handler reads a whole body into a temporary file before any view runs, so
a view's size or permission check comes after the bytes were received and written.
``BodyLimit`` sits in front of Django (inside the tile fast path) and, for a request
with a body:

- on the upload routes, asks who is sending it (``portal.auth``, the same answer the
  views get) and whether they may contribute, before reading a byte of it:
  ``POST /api/collections/<slug>/images/`` answers 404 ``Not found.`` to anonymous users
  and to users who may not add images to ``<slug>`` (the answer of a made-up slug);
  ``POST /api/catalogs/`` names its collection in the body: anonymous users get the
  view's own answer at once, a ``?collection=<slug>`` is checked like an image upload's
  slug, and a user who may contribute to no collection is refused at once; otherwise
  the collection named in the body is checked by the view, after a body bounded by
  ``MAX_CATALOG_BYTES``; the admin's add forms of images and catalogs ask for an active
  staff user who may contribute somewhere;
- refuses a ``Content-Length`` over the route's limit at once (413): image uploads
  ``MAX_UPLOAD_BYTES``, catalog uploads ``MAX_CATALOG_BYTES`` (each plus the multipart
  framing), any other request ``DATA_UPLOAD_MAX_MEMORY_SIZE``;
- counts the bytes of bodies without a length (chunked) or longer than they said, and
  stops at the limit: a 413, then Django sees the client gone and answers nothing.

Every refusal closes the connection (``Connection: close``): the server does not read
the rest of the body.
"""

import json
import re

from asgiref.sync import sync_to_async
from django.conf import settings

from portal import auth, permissions
from portal.uploads import MULTIPART_SLACK, size_limit_message
from tiles.engine.claims import size_text

IMAGE_UPLOAD = re.compile(r"^/api/collections/(?P<slug>[^/]+)/images/?$")
CATALOG_UPLOAD = re.compile(r"^/api/catalogs/?$")
ADMIN_IMAGE_ADD = re.compile(r"^/admin/portal/image/add/?$")
ADMIN_CATALOG_ADD = re.compile(r"^/admin/catalogs/[a-z]+/add/?$")
NOT_FOUND = "Not found."  # what a collection that does not exist answers


class Refusal(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class BodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = auth.request_headers(scope["headers"])
        length = _content_length(headers)
        if not length and "chunked" not in headers.get("transfer-encoding", "").lower():
            return await self.app(scope, receive, send)  # no body
        limit, message = _limit(scope)
        try:
            await _gate(scope, headers)
            if length is not None and length > limit:
                raise Refusal(413, message)
        except Refusal as refusal:
            return await _refuse(send, refusal)
        guarded = _Guarded(send)
        await self.app(scope, _Counted(receive, guarded, limit, message), guarded)


def _content_length(headers):
    """The declared length; None if absent or not a number (a server refuses the latter)."""
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _limit(scope):
    """The largest body the route accepts, and the refusal's message."""
    path = scope["path"]
    if IMAGE_UPLOAD.match(path) or ADMIN_IMAGE_ADD.match(path):
        return settings.MAX_UPLOAD_BYTES + MULTIPART_SLACK, size_limit_message()
    if CATALOG_UPLOAD.match(path) or ADMIN_CATALOG_ADD.match(path):
        limit = settings.MAX_CATALOG_BYTES
        return limit + MULTIPART_SLACK, size_limit_message(limit)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    return limit + MULTIPART_SLACK, f"Request body too large: the limit is {size_text(limit)}."


async def _gate(scope, headers):
    """Refuse, from the headers alone, a body its sender may not send here."""
    if scope["method"] != "POST":
        return
    path = scope["path"]
    upload, catalogs = IMAGE_UPLOAD.match(path), CATALOG_UPLOAD.match(path)
    admin = ADMIN_IMAGE_ADD.match(path) or ADMIN_CATALOG_ADD.match(path)
    if not (upload or catalogs or admin):
        return
    creds = auth.credentials(headers)
    found, user = auth.peek_request_user(creds, api=not admin)
    if not found:
        user = await sync_to_async(auth.request_user)(creds, api=not admin)
    if user is None:
        raise Refusal(403, "Invalid token.")  # what DRF answers
    if upload:
        slug = upload["slug"]
    elif catalogs:
        if not user.is_authenticated:
            raise Refusal(403, "Authentication credentials were not provided.")  # as the view
        slug = _query_value(scope, "collection")
    else:
        if not (user.is_authenticated and user.is_active and user.is_staff):
            raise Refusal(404, NOT_FOUND)
        slug = None
    allowed = await sync_to_async(permissions.may_contribute)(user, slug)
    if not allowed:
        if catalogs and slug is None:
            raise Refusal(403, "You may not add catalogs to any collection.")
        raise Refusal(404, NOT_FOUND)


def _query_value(scope, name):
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[-1] if values else None


async def _refuse(send, refusal):
    body = json.dumps({"detail": refusal.message}, separators=(",", ":")).encode()
    await send({
        "type": "http.response.start",
        "status": refusal.status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class _Guarded:
    """``send`` that drops what the app sends after a refusal (none is expected)."""

    def __init__(self, send):
        self.send, self.refused = send, False

    async def __call__(self, message):
        if not self.refused:
            await self.send(message)


class _Counted:
    """``receive`` that counts body bytes: past the limit it answers 413 itself and
    tells the app the client is gone."""

    def __init__(self, receive, guard, limit, message):
        self.receive, self.guard, self.limit, self.message = receive, guard, limit, message
        self.received = 0

    async def __call__(self):
        if self.guard.refused:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                await _refuse(self.guard.send, Refusal(413, self.message))
                self.guard.refused = True
                return {"type": "http.disconnect"}
        return message
