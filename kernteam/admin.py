from django.contrib import admin

from kernteam.admin_base import NoDeleteAdmin
from kernteam.models import Meeting, Membership, Team


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


@admin.register(Meeting)
class MeetingAdmin(NoDeleteAdmin):
    list_display = ["team", "scheduled_for", "status", "chair"]
    list_filter = ["status", "team"]
    date_hierarchy = "scheduled_for"
    readonly_fields = ["opened_at", "closed_at"]
