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
from rest_framework import authentication, exceptions

from kernteam.policy import needs_second_factor


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; the token is stored hashed and expires (knox's own
    check: the token's key finds the candidates, its hash must match; expired tokens of the
    user are deleted on the way)."""

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
        return super().authenticate_credentials(token)


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
