"""The administrator's tools for a professional's second factor, on the admin's user list:
send an enrolment link (by e-mail, to the person's own address) and reset the authenticator
app and recovery codes (after a confirmation page, as the admin's "delete selected"). Each is
logged (kernteam/second_factor.py) and kept in the account's admin history."""

from __future__ import annotations

import smtplib

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kernteam.access_log import client_ip
from kernteam.second_factor import (
    EnrolmentRefused,
    audit,
    issue_enrolment_link,
    reset_second_factor,
    send_enrolment_link,
)

User = get_user_model()


class AccountChangeForm(UserChangeForm):
    """One person, one account: an e-mail address (any capitals) is on one account only (the
    database's index, kernteam migration 0013); said at the field, not as a failed save."""

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email", "")
        others = User.objects.exclude(pk=self.instance.pk).filter(email__iexact=email)
        if email and others.exists():
            raise ValidationError(_("Another account has this e-mail address."))
        return email


class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    actions = ["send_enrolment_links", "reset_second_factors"]

    @admin.action(description=_("Send an enrolment link for the authenticator app"))
    def send_enrolment_links(self, request, queryset):
        for user in queryset:
            if not user.email:
                self.message_user(
                    request, _("%(user)s has no e-mail address.") % {"user": user}, messages.ERROR
                )
                continue
            try:
                # A mail that fails undoes the new link: an earlier link keeps working.
                with transaction.atomic():
                    token = issue_enrolment_link(user=user)
                    link = request.build_absolute_uri(reverse("enrolment_link", args=[token]))
                    send_enrolment_link(user=user, link=link)
            except EnrolmentRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                continue
            except (smtplib.SMTPException, OSError) as exc:
                self.message_user(
                    request,
                    _(
                        "The e-mail to %(email)s could not be sent (%(error)s), so no link was "
                        "sent to %(user)s. Try again later."
                    )
                    % {"email": user.email, "error": exc.__class__.__name__, "user": user},
                    messages.ERROR,
                )
                continue
            what = f"enrolment-link-issued: {user.username}"
            ip = client_ip(request)
            audit(user=request.user, what=what, path=request.path, ip=ip, role="admin")
            self.log_change(request, user, "Enrolment link sent.")
            self.message_user(
                request, _("Enrolment link sent to %(email)s.") % {"email": user.email}
            )

    @admin.action(description=_("Reset the authenticator app and recovery codes"))
    def reset_second_factors(self, request, queryset):
        if request.POST.get("post") != "yes":  # first the confirmation page
            context = {
                **self.admin_site.each_context(request),
                "title": _("Are you sure?"),
                "opts": self.model._meta,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(
                request, "registration/reset_second_factors_confirm.html", context
            )
        for user in queryset:
            reset_second_factor(
                user=user, by=request.user, path=request.path, ip=client_ip(request)
            )
            self.log_change(request, user, "Authenticator app and recovery codes reset.")
            self.message_user(
                request,
                _("%(user)s must set up the authenticator app again, with a new link.")
                % {"user": user},
            )
        return None


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
