"""How API callers sign in: a personal token (systems) or the browser session (with CSRF).

A session that still owes its second factor (production) does not count as signed in here;
tokens are only handed out to sessions that completed it (see `views.tokens`)."""

from __future__ import annotations

import binascii
import datetime
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import authentication, exceptions

from kernteam.policy import needs_second_factor
from kernteam.prepared import Prepared

_tokens = Prepared(
    lambda key: AuthToken.objects.filter(token_key=key).select_related("user"), key=""
)


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; the token is stored hashed and expires.

    Knox would also look through all the user's other tokens on every request, to delete the
    expired ones: one query more per call. Here a request only checks (and deletes, when
    expired) its own token; the user's other expired tokens go when a new one is issued
    (`issue_token`). The token is read through a prepared query (`kernteam.prepared`): every
    API request does it."""

    def authenticate_credentials(self, token: bytes):
        """knox's own check: the token's key finds the candidates, its hash must match. A
        token is printable ASCII (hexadecimal, after an optional prefix): anything else (bytes
        that are not UTF-8, a NUL the database would refuse) is an invalid token, found before
        any query."""
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not text.isprintable():
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        for auth_token in _tokens.objects(key=text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(_("Invalid token."))

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
