"""Who may use the API at all: professionals on a kernteam. Which resident they may see is
decided per request by `kernteam.policy` (404 otherwise), as on the web pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from kernteam.policy import member_roles


class IsProfessional(BasePermission):
    message = _("The API is for members of a kernteam.")

    def has_permission(self, request, view) -> bool:
        # (read once for the whole request: the checks after this one need no query)
        return bool(member_roles(request.user))
