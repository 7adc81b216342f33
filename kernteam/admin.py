from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kernteam import admin_accounts  # noqa: F401  (the user list: second-factor actions)
from kernteam.admin_base import NoDeleteAdmin, ReadOnlyInline
from kernteam.models import AgendaItem, Meeting, MeetingRefused, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(NoDeleteAdmin):
    list_display = ["name", "neighbourhood", "municipality"]
    search_fields = ["name", "neighbourhood", "municipality"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(NoDeleteAdmin):
    list_display = ["user", "team", "role", "organisation", "started_on", "ended_on"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name"]
    autocomplete_fields = ["user", "team"]


class AgendaInline(ReadOnlyInline):
    """The agenda is built and reordered in meeting mode, not here."""

    model = AgendaItem
    fields = ["position", "resident", "reasons", "question", "discussed_at"]
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(NoDeleteAdmin):
    """Meetings are planned here; opening and closing are actions with their own rules."""

    inlines = [AgendaInline]
    list_display = ["team", "scheduled_for", "status", "chair"]
    list_filter = ["status", "team"]
    date_hierarchy = "scheduled_for"
    readonly_fields = ["status", "chair", "opened_at", "closed_at", "focus"]
    shown_residents = ("agenda__resident", "focus")  # the agenda, and the resident in focus
    actions = ["open_meeting", "close_meeting"]

    @admin.action(description=_("Open meeting"))
    def open_meeting(self, request, queryset):
        self._each(request, queryset, lambda m: m.open(by=request.user))

    @admin.action(description=_("Close meeting"))
    def close_meeting(self, request, queryset):
        self._each(request, queryset, lambda m: m.close(by=request.user))

    def _each(self, request, queryset, act) -> None:
        for meeting in queryset.select_related("team"):
            try:
                act(meeting)
            except MeetingRefused as exc:
                self.message_user(request, f"{meeting}: {exc}", messages.ERROR)
