"""How API callers sign in: a personal token (systems) or the browser session (with CSRF).

A session that still owes its second factor (production) does not count as signed in here;
tokens are only handed out to sessions that completed it (see `views.tokens`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import authentication

from kernteam.policy import needs_second_factor


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; the token is stored hashed and expires."""


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
