"""Logging in: the login page and the token endpoint, with failed attempts limited.

Failed logins are counted per client address and user name (in the cache); past the
limit, further attempts are refused until the window ends.
"""

from collections.abc import Mapping

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.settings import api_settings
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
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # bounded JSON, not DRF's own
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        # Failures are counted by Django's authenticate() (the user_login_failed signal).
        if not isinstance(request.data, Mapping):  # a JSON list, string, number, null
            return Response({"detail": "Send username and password as an object."}, status=400)
        if login_blocked(request, request.data.get("username")):
            return Response({"detail": "Too many failed attempts: try again later."}, status=429)
        return super().post(request, *args, **kwargs)


ONE_TIME_SECONDS = 120


def one_time_login(request, token):
    """Sign in through a link made by ``fitsportal view`` on this machine (signed with
    the server's secret, valid two minutes, usable once), then go to ``next``."""
    from django.conf import settings
    from django.contrib.auth import get_user_model, login
    from django.core import signing
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    try:
        user_id = signing.TimestampSigner(salt="fitsportal.view").unsign(
            token, max_age=ONE_TIME_SECONDS
        )
    except signing.BadSignature:
        return HttpResponse("This sign-in link is invalid or has expired.", status=403)
    if not cache.add(f"fp:once:{token}", 1, ONE_TIME_SECONDS * 2):
        return HttpResponse("This sign-in link was used already.", status=403)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return HttpResponse("This sign-in link is invalid or has expired.", status=403)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
