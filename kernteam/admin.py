from django.contrib import admin

from kernteam import admin_accounts  # noqa: F401  (the user list: second-factor actions)
from kernteam.admin_base import NoDeleteAdmin, ReadOnlyAdmin
from kernteam.models import Membership, Team
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
