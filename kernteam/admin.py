from django.contrib import admin

from kernteam import admin_accounts  # noqa: F401  (the user list: second-factor actions)
from kernteam.access_log import client_ip
from kernteam.admin_base import NoDeleteAdmin, ReadOnlyAdmin
from kernteam.members import record_change
from kernteam.models import Membership, MembershipChange, Team
from kernteam.notices import Notice

MEMBERSHIP_FIELDS = [
    "team",
    "user",
    "role",
    "organisation",
    "phone",
    "agb_code",
    "uzi_number",
    "started_on",
    "ended_on",
]


def _record(request, membership: Membership, *, added: bool, changed: list[str]) -> None:
    """A membership saved in the administration, kept as the members page keeps its changes
    (`kernteam.members.record_change`): the team's history and the access log."""
    if added:
        kind = MembershipChange.Kind.ADDED
    elif "ended_on" in changed and membership.ended_on is not None:
        kind = MembershipChange.Kind.ENDED
    elif changed:
        kind = MembershipChange.Kind.CHANGED
    else:
        return
    record_change(
        membership=membership, by=request.user, kind=kind, path=request.path, ip=client_ip(request)
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    autocomplete_fields = ["user"]
    fields = [name for name in MEMBERSHIP_FIELDS if name != "team"]


@admin.register(Team)
class TeamAdmin(NoDeleteAdmin):
    list_display = ["name", "neighbourhood", "municipality"]
    search_fields = ["name", "neighbourhood", "municipality"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Membership:
            return
        for membership in formset.new_objects:
            _record(request, membership, added=True, changed=[])
        for membership, changed in formset.changed_objects:
            _record(request, membership, added=False, changed=changed)


@admin.register(Membership)
class MembershipAdmin(NoDeleteAdmin):
    list_display = ["user", "team", "role", "organisation", "started_on", "ended_on"]
    list_filter = ["role", "team"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "team__name",
        "agb_code",
        "uzi_number",
    ]
    autocomplete_fields = ["user", "team"]
    # the AGB code and UZI number: the person's identifiers on the FHIR Practitioner
    fields = MEMBERSHIP_FIELDS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _record(request, obj, added=not change, changed=form.changed_data)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Mails that failed or wait for another try (issue 19): who, what kind, which try, why.
    Never the resident or the digest's lines (`key` names the event by number only)."""

    list_display = ["created_at", "user", "kind", "delivery", "mail_status", "mail_attempts"]
    list_filter = ["mail_status", "kind", "delivery"]
    list_select_related = ["user"]
    search_fields = ["user__username", "key"]
    fields = [
        "user",
        "kind",
        "key",
        "delivery",
        "created_at",
        "read_at",
        "mail_status",
        "mail_attempts",
        "mail_next_try",
        "mailed_at",
        "mail_error",
    ]
