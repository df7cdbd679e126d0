"""Who a request is, without a database query on every request.

Sessions live in the cache (``cached_db``); the session's user and API tokens are
remembered per process for ``USER_CACHE_SECONDS`` at most: a logout, a password change,
a deactivated or deleted user, a deleted token drop them in every process at once
(``portal/invalidation.py`` calls ``forget_user``).

The functions below answer "who is this request" from raw ASGI headers exactly as
Django and DRF would for the same request -- Django's header joining, Django's cookie
parser, DRF's order (a signed-in session first, then ``Authorization: Token``) -- so the
ASGI-level code (the tile fast path, refusing uploads before their body is read) never
sees a different user than the views would:

    creds = credentials(scope["headers"])
    found, user = peek_request_user(creds)          # no I/O: (False, None) if unknown
    user = request_user(creds)                      # may block: run it in a thread

``request_user`` gives a user, ``AnonymousUser``, or ``None`` when DRF would refuse the
request (401: a malformed or unknown token and no signed-in session).
"""

from importlib import import_module
from typing import NamedTuple

from django.conf import settings
from django.contrib import auth as django_auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections
from django.http.cookie import parse_cookie
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from portal.cached import ExpiringCache

USER_CACHE_SECONDS = settings.ACCESS_CACHE_SECONDS  # FITSPORTAL_ACCESS_CACHE_SECONDS
_users = ExpiringCache(USER_CACHE_SECONDS)  # user id -> User (the session backend)
_tokens = ExpiringCache(USER_CACHE_SECONDS)  # token key -> Token (DRF)
_identities = ExpiringCache(USER_CACHE_SECONDS)  # ("session"|"token", key) -> user


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        return _users.get(user_id, lambda: super(CachedModelBackend, self).get_user(user_id))


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = _tokens.get(
            key, lambda: Token.objects.select_related("user").filter(key=key).first()
        )
        if token is None or not token.user.is_active:
            _tokens.forget(key)  # failures are not remembered: a new token works at once
            return super().authenticate_credentials(key)  # raises the usual error
        return token.user, token


# --- a request's credentials, read as Django and DRF read them ----------------------
BAD_TOKEN = object()  # an ``Authorization: Token`` header DRF refuses before any lookup


class Credentials(NamedTuple):
    session: str | None  # the session cookie's value ("" too), None without one
    token: object  # None (no token header), a token key, or BAD_TOKEN


def request_headers(raw):
    """ASGI header pairs as Django's ``ASGIRequest`` reads them: lower-case names (those
    with ``_`` dropped, as Django drops them), latin-1 values, repeats joined by ``,``."""
    joined = {}
    for name, value in raw:
        name = name.decode("latin-1").lower()
        if "_" in name:
            continue
        value = value.decode("latin-1")
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def credentials(headers):
    """The ``Credentials`` of a request; ``headers`` is the ASGI list of pairs or the
    dict ``request_headers`` gives."""
    if not isinstance(headers, dict):
        headers = request_headers(headers)
    key = (headers.get("cookie", ""), headers.get("authorization", ""))
    creds = _read.get(key)
    if creds is None:
        session = parse_cookie(key[0]).get(settings.SESSION_COOKIE_NAME)
        creds = Credentials(session, _token(key[1]))
        if len(_read) >= MAX_READ:
            _read.clear()
        if len(key[0]) + len(key[1]) <= MAX_READ_LENGTH:
            _read[key] = creds
    return creds


# Headers read before, and what they said (a tile stream repeats the same ones).
_read = {}
MAX_READ, MAX_READ_LENGTH = 4096, 4096


def _token(authorization):
    """What DRF's ``TokenAuthentication.authenticate`` reads in the header."""
    parts = authorization.encode("latin-1").split()
    if not parts or parts[0].lower() != TokenAuthentication.keyword.lower().encode():
        return None
    if len(parts) != 2:
        return BAD_TOKEN
    try:
        return parts[1].decode()
    except UnicodeError:
        return BAD_TOKEN


# --- who they are ---------------------------------------------------------------------
class EndedSession(AnonymousUser):
    """The anonymous user of a session cookie that names no session (ended, expired,
    made up): Django answers such a request with a ``Set-Cookie`` that deletes it."""


class _SessionOnly:
    """What ``django.contrib.auth.get_user`` needs of a request."""

    def __init__(self, session):
        self.session = session


def user_for_session(session_key):
    """The user of a session (Django's own checks: backend, active, session hash),
    ``AnonymousUser``, or ``EndedSession`` if there is no such session (any more). Not
    cached; may query the database."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    try:
        user = django_auth.get_user(_SessionOnly(store))
        if not user.is_authenticated and store.is_empty():
            return EndedSession()
        return user
    finally:
        close_old_connections()


def user_for_token(key):
    """The active user of API token ``key``, or None. May query the database."""
    try:
        return CachedTokenAuthentication().authenticate_credentials(key)[0]
    except AuthenticationFailed:
        return None
    finally:
        close_old_connections()


def request_user(creds, api=True):
    """The user Django would see for ``creds``: a user, ``AnonymousUser``, or None when
    DRF would refuse the request (401). ``api``: a DRF view (tokens count); otherwise a
    plain Django view, which knows only the session. Cached; may block on a miss."""
    user = AnonymousUser()
    if creds.session is not None:
        user = _identities.get(("session", creds.session), lambda: user_for_session(creds.session))
    if user.is_authenticated or not api or creds.token is None:
        return user
    if creds.token is BAD_TOKEN:
        return None
    return _identities.get(
        ("token", creds.token), lambda: user_for_token(creds.token), keep=_is_user
    )


def peek_request_user(creds, api=True):
    """(True, what ``request_user`` gives) when it is known without I/O, else (False, None)."""
    user = None  # no session cookie: anonymous, made only if it is the answer
    if creds.session is not None:
        found, user = _identities.peek(("session", creds.session))
        if not found:
            return False, None
        if user.is_authenticated:
            return True, user
    if not api or creds.token is None:
        return True, AnonymousUser() if user is None else user
    if creds.token is BAD_TOKEN:
        return True, None
    return _identities.peek(("token", creds.token))


def session_ended(creds):
    """Whether the session cookie of ``creds`` names no session, as far as the cache
    knows (after ``request_user`` or a successful ``peek_request_user``)."""
    if creds.session is None:
        return False
    return isinstance(_identities.peek(("session", creds.session))[1], EndedSession)


def _is_user(value):
    return value is not None  # unknown tokens are not remembered: a new one works at once


# --- forgetting -----------------------------------------------------------------------
def forget_user(user_id):
    """Forget everything cached about user ``user_id`` (their sessions and tokens)."""
    _users.forget(user_id)
    _tokens.forget_where(lambda key, token: token is None or token.user_id == user_id)
    _identities.forget_where(lambda key, user: getattr(user, "pk", None) == user_id)


def forget_everyone():
    for cache in (_users, _tokens, _identities):
        cache.clear()
