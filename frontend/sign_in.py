"""Signing in: professionals with their username, carers with their e-mail address (whatever
its capitals), as the invitation promises. One form for both.

The e-mail backend comes after axes' backend (AUTHENTICATION_BACKENDS), so a locked-out name
or address is refused before any password is checked, and a wrong password counts as a failure
like any other. Axes counts failures per account (`sign_in_name`): an address and the account's
username are one name, however it is spelled, so switching between them or their capitals
gives no extra tries. The second factor does not depend on how one signed in: the account
decides (kernteam.policy.needs_second_factor)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.contrib.auth.views import LoginView
from django.utils.translation import gettext_lazy as _

from clients.services import carer_account


class CarerEmailBackend(ModelBackend):
    """A carer's e-mail address (case-insensitive) signs in to the carer's account. Anything
    else is left to the username backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None or "@" not in username:
            return None
        user = carer_account(username)
        if user is None:
            # As long as a wrong password takes, so that the answer's timing does not tell
            # whether a carer has this address (as Django's own backend does for a username).
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def sign_in_name(request, credentials=None) -> str:
    """The name axes counts failures under: the account's username for a carer's e-mail
    address, else what was typed (a username is compared exactly, as Django does)."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = getattr(request, "POST", {}).get("username", "")
    typed = (typed or "").strip()
    if "@" in typed:
        user = carer_account(typed)
        return user.get_username() if user is not None else typed.casefold()
    return typed


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "This e-mail address or username and this password do not belong together. Mind "
            "the capitals in the password."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address or username")


sign_in = LoginView.as_view(authentication_form=SignInForm)


class NotLikeThePerson(UserAttributeSimilarityValidator):
    """Django's check, in a sentence that reads well in Dutch ("lijkt te veel op uw
    e-mailadres"; Django's own says "op de e-mailadres")."""

    def get_error_message(self):
        return _("The password is too much like your %(verbose_name)s.")
