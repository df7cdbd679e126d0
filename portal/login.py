"""Logging in: the login page and the token endpoint, with failed attempts limited.

Failed logins are counted per client address and user name (in the cache); past the
limit, further attempts are refused until the window ends.
"""

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 300


def _attempts_key(request, username):
    address = (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"
    return f"fp:login-failures:{address}:{str(username or '').lower()[:150]}"


def login_blocked(request, username):
    return cache.get(_attempts_key(request, username), 0) >= LOGIN_ATTEMPTS


def count_failure(sender, credentials, request=None, **kwargs):
    key = _attempts_key(request, credentials.get("username"))
    if not cache.add(key, 1, LOGIN_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, LOGIN_WINDOW_SECONDS)


def clear_failures(sender, request, user, **kwargs):
    cache.delete(_attempts_key(request, user.get_username()))


class RateLimitedLoginView(LoginView):
    """Django's login page, refusing (429) after too many failures for a name."""

    def post(self, request, *args, **kwargs):
        if login_blocked(request, request.POST.get("username")):
            minutes = LOGIN_WINDOW_SECONDS // 60
            response = HttpResponse(
                f"Too many failed attempts: try again in {minutes} minutes.", status=429,
                content_type="text/plain; charset=utf-8",
            )  # fmt: skip
            return response
        return super().post(request, *args, **kwargs)


class ThrottledObtainAuthToken(ObtainAuthToken):
    """``POST /api/token/``: a token for a user name and password, rate-limited."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        # Failures are counted by Django's authenticate() (the user_login_failed signal).
        if login_blocked(request, request.data.get("username")):
            return Response({"detail": "Too many failed attempts: try again later."}, status=429)
        return super().post(request, *args, **kwargs)
