"""How API callers sign in: a personal token (systems) or the browser session (with CSRF).

A session that still owes its second factor (production) does not count as signed in here;
tokens are only handed out to sessions that completed it (see `views.tokens`)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import authentication, exceptions

from frontend.api import token_cache
from kernteam.policy import member_roles, needs_second_factor, remember_roles


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; the token is stored hashed and expires (knox's own
    check: the token's key finds the candidates, its hash must match, the user must be active;
    expired tokens of the user are deleted on the way). What that check found, with the user's
    roles, is kept in the cache until a change to the token, the user or a membership
    (`token_cache`): a request with a known token asks the database nothing to sign in."""

    def authenticate_credentials(self, token: bytes):
        """A token is printable ASCII (hexadecimal, after an optional prefix): anything else
        (bytes that are not UTF-8, a NUL the database would refuse) is an invalid token, found
        before any query. The rest is knox's."""
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not text.isprintable():
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if knox_settings.AUTO_REFRESH:  # (each request writes the token: nothing to keep)
            return super().authenticate_credentials(token)
        digest = token_cache.digest_of(text)
        known = token_cache.cached(digest)
        if known is not None:
            auth_token, roles = known
            remember_roles(auth_token.user, roles)
            return auth_token.user, auth_token
        user, auth_token = super().authenticate_credentials(token)
        token_cache.remember(auth_token, member_roles(user))
        return user, auth_token


def issue_token(*, user, valid_for: datetime.timedelta | None = None) -> tuple[AuthToken, str]:
    """A new token for `user` (shown once; only its hash is kept), with the user's expired
    tokens deleted. `valid_for` defaults to REST_KNOX["TOKEN_TTL"]."""
    user.auth_token_set.filter(expiry__lt=timezone.now()).delete()
    if valid_for is None:
        return AuthToken.objects.create(user=user)
    return AuthToken.objects.create(user=user, expiry=valid_for)


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        if needs_second_factor(user) and not user.is_verified():
            return None
        return user, auth


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` (create one at POST /api/v1/tokens/).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
