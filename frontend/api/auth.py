"""How API callers sign in: a personal token (systems) or the browser session (with CSRF).

A session that still owes its second factor (production) does not count as signed in here;
tokens are only handed out to sessions that completed it (see `views.tokens`)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework import authentication

from kernteam.policy import needs_second_factor


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; the token is stored hashed and expires.

    Knox would also look through all the user's other tokens on every request, to delete the
    expired ones: one query more per call. Here a request only checks (and deletes, when
    expired) its own token; the user's other expired tokens go when a new one is issued
    (`issue_token`)."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


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
