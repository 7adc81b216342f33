"""The administrator's tools for a professional's second factor, on the admin's user list:
send an enrolment link (by e-mail, to the person's own address) and reset the authenticator
app and recovery codes. Each is logged (kernteam/second_factor.py) and kept in the account's
admin history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
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


class AccountAdmin(UserAdmin):
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
                token = issue_enrolment_link(user=user)
            except EnrolmentRefused:
                self.message_user(
                    request,
                    _("%(user)s already has an authenticator app; reset it first.")
                    % {"user": user},
                    messages.ERROR,
                )
                continue
            link = request.build_absolute_uri(reverse("enrolment_link", args=[token]))
            send_enrolment_link(user=user, link=link)
            what = f"enrolment-link-issued: {user.username}"
            audit(user=request.user, what=what, path=request.path, ip=client_ip(request))
            self.log_change(request, user, "Enrolment link sent.")
            self.message_user(
                request, _("Enrolment link sent to %(email)s.") % {"email": user.email}
            )

    @admin.action(description=_("Reset the authenticator app and recovery codes"))
    def reset_second_factors(self, request, queryset):
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


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
