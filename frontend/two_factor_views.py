"""The second factor: a six-digit code from an authenticator app (TOTP, django-otp).

Setting up the app needs an enrolment link from the administrator (kernteam/second_factor.py)
or from the invitation of a new member (kernteam/members.py): with it, the page shows a QR code
and the first correct code confirms the app, then ten recovery codes are shown once. A new
member's account has no password yet: the link first asks her to choose one
(`enrolment_password`), then signs her in and continues with the app. Without a link, a
professional who has no app yet is told to ask for one, and sees no secret. After that, each
sign-in asks for a code, or a recovery code for a lost phone."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.access_log import client_ip
from kernteam.second_factor import (
    CodeRefused,
    app_device,
    audit,
    device_for_link,
    enrol,
    has_second_factor,
    new_recovery_codes,
    recovery_codes_left,
    use_recovery_code,
    verify_app_code,
)

LINK = "kernteam_enrolment_link"  # session keys
SHOW_CODES = "kernteam_recovery_codes"


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Recovery code"),
        regex=r"^[\sA-Za-z2-7-]{8,20}$",
        error_messages={"invalid": gettext_lazy("Enter one of your recovery codes.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


REFUSALS = {
    "throttled": gettext_lazy("Too many wrong codes. Wait a moment, then try again."),
    "wrong": gettext_lazy("This code is not right (or no longer valid). Try the new one."),
    "gone": gettext_lazy("This code is not right (or no longer valid). Try the new one."),
}
RECOVERY_REFUSALS = {
    **REFUSALS,
    "wrong": gettext_lazy("This recovery code is not right, or it was used already."),
    "gone": gettext_lazy(
        "You have no recovery codes. Sign in with the code from the app, or ask the "
        "administrator to reset your authenticator app."
    ),
}


@never_cache  # (the set-up page shows the app's secret)
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    device = app_device(request.user)
    if device is None:
        return _set_up(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_app_code(device=device, code=form.cleaned_data["code"].strip())
        except CodeRefused as refused:
            form.add_error("code", REFUSALS[refused.reason])
        else:
            otp_login(request, device)
            return redirect(_next(request))
    context = {
        "form": form,
        "next": _next(request),
        "recovery": recovery_codes_left(request.user) > 0,
    }
    return render(request, "registration/two_factor.html", context)


def _set_up(request: HttpRequest) -> HttpResponse:
    """First time: only with an enrolment link for this account."""
    device = _link_device(request)
    if device is None:
        return render(request, "registration/two_factor_no_link.html", status=403)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = enrol(
                device=device,
                code=form.cleaned_data["code"].strip(),
                path=request.path,
                ip=client_ip(request),
            )
        except CodeRefused as refused:
            form.add_error("code", REFUSALS[refused.reason])
        else:
            request.session.pop(LINK, None)
            otp_login(request, device)
            request.session[SHOW_CODES] = codes
            return redirect(f"{reverse('recovery_codes')}?{_next_query(request)}")
    context = {
        "form": form,
        "setting_up": True,
        "next": _next(request),
        "qr": mark_safe(segno.make(device.config_url).svg_inline(scale=5)),
        "secret": base64.b32encode(device.bin_key).decode(),
        "config_url": device.config_url,  # otpauth://, for the app on this phone
    }
    return render(request, "registration/two_factor.html", context)


def _link_device(request: HttpRequest) -> TOTPDevice | None:
    token = request.session.get(LINK)
    device = device_for_link(token) if isinstance(token, str) else None
    if device is None or device.user_id != request.user.pk:
        return None
    return device


def enrolment_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the administrator: kept in the session (so it leads through sign-in and
    leaves the address bar), then the set-up page."""
    device = device_for_link(token)
    if device is None:
        return render(request, "registration/enrolment_link.html", {"gone": True}, status=410)
    if request.user.is_authenticated and request.user.pk != device.user_id:
        return render(request, "registration/enrolment_link.html", {"gone": False}, status=403)
    request.session[LINK] = token
    if not request.user.is_authenticated:
        if not device.user.has_usable_password():  # invited: she chooses her password first
            return redirect("enrolment_password")
        return redirect_to_login(reverse("two_factor"))
    return redirect("two_factor")


@never_cache
@require_http_methods(["GET", "POST"])
def enrolment_password(request: HttpRequest) -> HttpResponse:
    """A new member's first visit, from her invitation (the link is in the session): she
    chooses her password (twice, with the configured validators), is signed in, and goes on to
    set up the authenticator app. An account that has a password signs in as usual."""
    token = request.session.get(LINK)
    device = device_for_link(token) if isinstance(token, str) else None
    if device is None:
        return render(request, "registration/enrolment_link.html", {"gone": True}, status=410)
    user = device.user
    if request.user.is_authenticated:
        if request.user.pk != user.pk:
            context = {"gone": False}
            return render(request, "registration/enrolment_link.html", context, status=403)
        return redirect("two_factor")
    if user.has_usable_password():
        return redirect_to_login(reverse("two_factor"))
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            locked = get_user_model().objects.select_for_update().get(pk=user.pk)
            if locked.has_usable_password():  # (chosen in another tab meanwhile)
                return redirect_to_login(reverse("two_factor"))
            form.user = locked
            form.save()
            audit(
                user=locked,
                what="password-set-by-invitation",
                path=request.path,
                ip=client_ip(request),
            )
        login(request, locked, backend="django.contrib.auth.backends.ModelBackend")
        request.session[LINK] = token  # (kept through the sign-in: the app comes next)
        return redirect("two_factor")
    return render(request, "registration/enrolment_password.html", {"form": form, "person": user})


@login_required
def recovery(request: HttpRequest) -> HttpResponse:
    """A lost phone: one recovery code instead of the app's code."""
    if getattr(request.user, "is_verified", lambda: False)():
        return redirect(_next(request))
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = use_recovery_code(
                user=request.user,
                code=form.cleaned_data["code"],
                path=request.path,
                ip=client_ip(request),
            )
        except CodeRefused as refused:
            form.add_error("code", RECOVERY_REFUSALS[refused.reason])
        else:
            otp_login(request, device)
            left = recovery_codes_left(request.user)
            messages.warning(
                request,
                _(
                    "You signed in with a recovery code; %(left)d left. Lost your phone? Ask "
                    "the administrator to reset your authenticator app."
                )
                % {"left": left},
            )
            return redirect(_next(request))
    return render(
        request, "registration/recovery_code.html", {"form": form, "next": _next(request)}
    )


@never_cache  # (it shows the codes)
@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes, shown once after enrolment or after making new ones (which voids
    the old ones)."""
    verified = getattr(request.user, "is_verified", lambda: False)()
    if not verified or not has_second_factor(request.user):
        return redirect_to_login(request.get_full_path(), reverse("two_factor"))
    if request.method == "POST":
        request.session[SHOW_CODES] = new_recovery_codes(
            user=request.user, path=request.path, ip=client_ip(request)
        )
        return redirect(f"{reverse('recovery_codes')}?{_next_query(request)}")
    codes = request.session.pop(SHOW_CODES, None)
    context = {"codes": codes, "left": recovery_codes_left(request.user), "next": _next(request)}
    return render(request, "registration/recovery_codes.html", context)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _next_query(request: HttpRequest) -> str:
    return urlencode({"next": _next(request)})
