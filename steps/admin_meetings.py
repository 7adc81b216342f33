"""Meetings in the admin: planned here; opening and closing are actions that go through the
same services as meeting mode (the coordinator only; opening prepares the agenda)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kernteam.admin_base import NoDeleteAdmin, ReadOnlyInline
from kernteam.models import AgendaItem, Meeting
from kernteam.refusals import Refused
from steps import meetings


class AgendaInline(ReadOnlyInline):
    """The agenda is built and reordered in meeting mode, not here."""

    model = AgendaItem
    fields = ["position", "resident", "reasons", "question", "opened_at"]
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(NoDeleteAdmin):
    inlines = [AgendaInline]
    list_display = ["team", "scheduled_for", "status", "chair"]
    list_filter = ["status", "team"]
    date_hierarchy = "scheduled_for"
    readonly_fields = ["status", "chair", "opened_at", "closed_at", "focus"]
    shown_residents = ("agenda__resident", "focus")  # the agenda, and the resident in focus
    actions = ["open_meeting", "close_meeting"]

    @admin.action(description=_("Open meeting"))
    def open_meeting(self, request, queryset):
        self._each(request, queryset, meetings.open_meeting)

    @admin.action(description=_("Close meeting"))
    def close_meeting(self, request, queryset):
        self._each(request, queryset, meetings.close_meeting)

    def _each(self, request, queryset, service) -> None:
        for meeting in queryset.select_related("team"):
            try:
                service(meeting=meeting, by=request.user)
            except Refused as exc:
                self.message_user(request, f"{meeting}: {exc}", messages.ERROR)
