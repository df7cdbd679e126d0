"""Authentication that does not hit the database on every request.

Sessions live in the cache (``cached_db``); the session's user and API tokens are
remembered per process for ``USER_CACHE_SECONDS``: a deactivated user or deleted token
is refused within that time.
"""

from django.contrib.auth.backends import ModelBackend
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from portal.cached import ExpiringCache

USER_CACHE_SECONDS = 10
_users = ExpiringCache(USER_CACHE_SECONDS)
_tokens = ExpiringCache(USER_CACHE_SECONDS)


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


def forget_cached_user(user_id):
    _users.forget(user_id)
    _tokens.clear()
