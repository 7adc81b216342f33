"""The second factor: a six-digit code from an authenticator app (TOTP, django-otp).

The first time, the page shows a QR code to add Kernteam to the app, and the first correct
code confirms it. After that, each sign-in asks for a code."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        device = device or TOTPDevice.objects.create(
            user=request.user, name="authenticator app", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _why = device.verify_is_allowed()
        if not allowed:  # django-otp slows guessing down after each wrong code
            form.add_error("code", _("Too many wrong codes. Wait a moment, then try again."))
        elif device.verify_token(form.cleaned_data["code"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next(request))
        else:
            form.add_error(
                "code", _("This code is not right (or no longer valid). Try the new one.")
            )
    context = {"form": form, "setting_up": setting_up, "next": _next(request)}
    if setting_up:
        context["qr"] = mark_safe(segno.make(device.config_url).svg_inline(scale=5))
        context["secret"] = base64.b32encode(device.bin_key).decode()
        context["config_url"] = device.config_url  # otpauth://, for the app on this phone
    return render(request, "registration/two_factor.html", context)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"
