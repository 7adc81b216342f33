"""The admin's page of local offers (issue 18 §2): the functional administrator corrects the
catalogue; nothing is deleted (an offer is ended instead). An offer whose end date has come is
kept as it was, here as in the application (`steps.referral_services.ended_refusal`): its page
only shows it. The catalogue is kept in the application by the team coordinators and the
programme office (`frontend.offer_views`)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from kernteam.admin_base import NoDeleteAdmin
from steps.referral_services import ended_refusal
from steps.referrals import LocalOffer


@admin.register(LocalOffer)
class LocalOfferAdmin(NoDeleteAdmin):
    list_display = ["name", "kind", "provider", "team", "ended_on"]
    list_filter = ["kind", "team"]
    list_select_related = ["team"]
    search_fields = ["name", "provider", "team__name"]
    autocomplete_fields = ["team"]

    def has_change_permission(self, request, obj=None) -> bool:
        """An ended offer is shown with every field read-only, and cannot be saved."""
        if obj is not None and ended_refusal(offer=obj):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
