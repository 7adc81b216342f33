"""Admin defaults: nothing is deleted from the admin (records are ended, withdrawn or closed).

The admin is the functional administrator's tool, not a care tool: only superusers enter it
(see config/urls.py), and every record of a resident they open there is in the access log.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote

from kernteam.access_log import note


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class ReadOnlyAdmin(NoDeleteAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ResidentDataAdmin(NoDeleteAdmin):
    """For models that hold a resident's data: opening a record, or a list of them, writes the
    access log (the list without naming residents one by one)."""

    def resident_of(self, obj):
        return obj.resident

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and response.status_code < 400:
            resident = self.resident_of(obj)
            note(
                request,
                team=resident.team,
                residents=[resident.pk],
                what=f"admin:{self.model._meta.model_name}",
                role="admin",
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        note(
            request,
            team=None,
            residents=[None],
            what=f"admin:{self.model._meta.model_name}-list",
            role="admin",
        )
        return response
