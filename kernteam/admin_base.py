"""Admin defaults: nothing is deleted from the admin (records are ended, withdrawn or closed),
and every resident an admin page shows or changes is in the access log.

The admin is the functional administrator's tool, not a care tool: only superusers enter it
(see config/urls.py). They are usually no member of the resident's team, so their entries have
the role "admin" and, as team, the resident's own team (whose data it is). Each page notes the
residents it names: a list every row's residents, a record's page (and its history) the record's
residents, the autocomplete the residents of its suggestions, a bulk action the residents of
the records it was given as its list names them (a write for each record it changed, a read for
the others). Saving a record's page, or adding one, is a write.

A list that does not note the residents of its rows cannot be filtered by a resident either
(`lookup_allowed`): `?resident=<pk>` would show what is known of her, unlogged.

A resident's data changed here is announced as a change made anywhere else is: a page that saved
a change, or an action that changed records (`announce`), sends `residents_changed` inside the
transaction; the clients app tells the residents' boards and the integrators' subscriptions
(`clients.visibility.send_resident_event_on_commit`, connected in clients/admin.py).
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.dispatch import Signal
from django.forms import ModelChoiceField

from kernteam.access_log import note_each
from kernteam.models import AccessLogEntry, Team

READ, WRITE = AccessLogEntry.Action.READ, AccessLogEntry.Action.WRITE
ADMIN_ROLE = "admin"
RESIDENT = "clients.resident"  # the residents' model, by its label (that app sits above this one)
CHANGED_IN_ADMIN = "resident.changed_in_admin"  # the live event's and the deliveries' name

# Sent inside the admin's transaction when a page or an action changed residents' data, with
# `resident_ids` and the `event` to announce (clients/admin.py connects it).
residents_changed = Signal()


class ResidentLogAdmin(admin.ModelAdmin):
    """Writes the access log for the residents an admin page shows. `listed_residents` are the
    ORM paths from a record to the residents its row in a list names ("" when the record is the
    resident); `shown_residents` those its own page names (by default the same);
    `announced_residents` those whose data a saved change of the record changes (`announce`,
    with `announced_event`)."""

    listed_residents: tuple[str, ...] = ()
    shown_residents: tuple[str, ...] | None = None
    announced_residents: tuple[str, ...] = ()
    announced_event: str = CHANGED_IN_ADMIN

    def residents_in(self, pks, *, listed: bool = False, paths=None) -> list[tuple[int, int]]:
        """(team id, resident id) of the residents these records name, in one query a path."""
        if paths is None:
            paths = self.listed_residents if listed else self.shown_residents
        if paths is None:
            paths = self.listed_residents
        found: dict[int, int] = {}
        for path in paths:
            fields = ("pk", "team") if path == "" else (path, f"{path}__team")
            rows = self.model._default_manager.filter(pk__in=list(pks)).values_list(*fields)
            found.update((resident, team) for resident, team in rows if resident is not None)
        return [(team, resident) for resident, team in found.items()]

    def note_residents(self, request, pks, *, what: str, action=None, listed=False) -> None:
        self.note_pairs(request, self.residents_in(pks, listed=listed), what=what, action=action)

    def note_pairs(self, request, pairs, *, what: str, action=None) -> None:
        if not pairs:
            return
        teams = Team.objects.in_bulk({team for team, _ in pairs})
        shown = [(teams.get(team), resident) for team, resident in pairs]
        note_each(request, shown, action=action, what=what, role=ADMIN_ROLE)

    def what(self, suffix: str = "") -> str:
        return f"admin:{self.model._meta.model_name}{suffix}"

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        """A list filtered by a resident (`?resident=<pk>`, or any path through one) shows what
        is known of her: only a list that notes the residents of its rows allows it."""
        if not self.listed_residents and self.through_resident(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def through_resident(self, lookup: str) -> bool:
        model = self.model
        for part in lookup.split(LOOKUP_SEP):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return False
            if field.related_model is None:
                return False
            if field.related_model._meta.label_lower == RESIDENT:
                return True
            model = field.related_model
        return False

    # --- announcing a change of residents' data --------------------------------------------

    def save_related(self, request, form, formsets, change):
        """The record and its inline rows are saved: a change is announced (`announces`), for
        the residents the record names now and those chosen before in its form."""
        super().save_related(request, form, formsets, change)
        if self.announced_residents and self.announces(form=form, formsets=formsets, change=change):
            chosen = {pk for each in (form, *_changed_forms(formsets)) for pk in _chosen(each)}
            self.announce([form.instance.pk], also=chosen)

    def announces(self, *, form, formsets, change: bool) -> bool:
        """Whether saving the page changed a resident's data nobody heard of yet: a new record,
        a changed field or inline row."""
        return not change or form.has_changed() or any(f.has_changed() for f in formsets)

    def announce(self, pks, *, also=()) -> None:
        """These records' residents' data changed (`announced_residents`, and the resident ids
        `also`): `residents_changed`, inside the caller's transaction."""
        pairs = self.residents_in(pks, paths=self.announced_residents)
        ids = {resident for _team, resident in pairs} | set(also)
        if ids:
            residents_changed.send(
                sender=self.model, resident_ids=sorted(ids), event=self.announced_event
            )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if "cl" in context and response.status_code < 400:  # the list itself, not an action
            pks = [row.pk for row in context["cl"].result_list]
            self.note_residents(request, pks, what=self.what("-list"), action=READ, listed=True)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        before = self.get_object(request, unquote(object_id))
        pairs = self.residents_in([before.pk]) if before is not None else []
        response = super().change_view(request, object_id, form_url, extra_context)
        if before is not None and response.status_code < 400:
            saved = request.method == "POST" and 300 <= response.status_code < 400
            after = self.residents_in([before.pk]) if saved else self.chosen_in_form(response)
            pairs += [pair for pair in after if pair not in pairs]
            self.note_pairs(request, pairs, what=self.what(), action=WRITE if saved else READ)
        return response

    def add_view(self, request, form_url="", extra_context=None):
        """A form shown again with its errors names the resident chosen in it: a read."""
        response = super().add_view(request, form_url, extra_context)
        if request.method == "POST" and response.status_code == 200:
            self.note_pairs(request, self.chosen_in_form(response), what=self.what(), action=READ)
        return response

    def chosen_in_form(self, response) -> list[tuple[int, int]]:
        """(team id, resident id) of the residents chosen in the fields of a form shown again
        (a field named after a path to a resident, such as `resident`)."""
        adminform = (getattr(response, "context_data", None) or {}).get("adminform")
        data = getattr(getattr(adminform, "form", None), "cleaned_data", None) or {}
        paths = {*self.listed_residents, *(self.shown_residents or ())}
        chosen = [data.get(path) for path in paths if path and "__" not in path]
        return [(r.team_id, r.pk) for r in chosen if r is not None and hasattr(r, "team_id")]

    def response_add(self, request, obj, post_url_continue=None):
        """The record was added: a write for its residents."""
        self.note_residents(request, [obj.pk], what=self.what(), action=WRITE)
        return super().response_add(request, obj, post_url_continue)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        found = self.get_object(request, unquote(object_id))
        if found is not None and response.status_code < 400:
            self.note_residents(request, [found.pk], what=self.what("-history"), action=READ)
        return response

    def get_actions(self, request):
        return {
            name: (self.logged_action(func, name), name, description)
            for name, (func, _name, description) in super().get_actions(request).items()
        }

    def logged_action(self, func, name: str):
        """The action, noting the residents of the records it was given: a write for each
        record it changed, a read for the others (a refusal names them in its message), and a
        read for all when it answered with a page (a form to fill in first). An action works on
        rows of the list, so it names the residents those rows name (`listed_residents`): none
        for a meeting, whose opening or closing changes no resident's data and shows none
        (opening builds its agenda, which the action's answer does not show)."""

        @functools.wraps(func)
        def action(modeladmin, request, queryset):
            pks = list(queryset.values_list("pk", flat=True))  # before the action moves them
            before = modeladmin.snapshot(pks)
            read = modeladmin.residents_in(pks, listed=True)
            response = func(modeladmin, request, queryset)
            changed = []
            if response is None or 300 <= response.status_code < 400:
                after = modeladmin.snapshot(pks)
                changed = [pk for pk in pks if after.get(pk) != before.get(pk)]
            written = modeladmin.residents_in(changed, listed=True)
            read = [pair for pair in read if pair not in written]
            what = modeladmin.what(f"-{name}")
            modeladmin.note_pairs(request, written, what=what, action=WRITE)
            modeladmin.note_pairs(request, read, what=what, action=READ)
            return response

        return action

    def snapshot(self, pks) -> dict:
        """The records' stored values, to tell which ones an action changed."""
        fields = [f.attname for f in self.model._meta.concrete_fields]
        rows = self.model._default_manager.filter(pk__in=pks).values_list("pk", *fields)
        return {row[0]: row[1:] for row in rows}


class LoggedAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, noting the residents its suggestions name."""

    def get(self, request, *args, **kwargs):
        self.suggested = []
        response = super().get(request, *args, **kwargs)
        if isinstance(self.model_admin, ResidentLogAdmin):
            what = f"admin:autocomplete-{self.model_admin.model._meta.model_name}"
            self.model_admin.note_residents(
                request, self.suggested, what=what, action=READ, listed=True
            )
        return response

    def serialize_result(self, obj, to_field_name):
        self.suggested.append(obj.pk)
        return super().serialize_result(obj, to_field_name)


class KernteamAdminSite(admin.AdminSite):
    """The project's admin site (`admin.site`, through kernteam.apps.KernteamAdminConfig).

    Its autocomplete notes the residents it suggests. Its index has no "Recent actions": those
    name the records the administrator changed (a resident, a consent "Janssen: given …"), and
    the index would show them to whoever opens it, long after the change was logged."""

    index_template = "admin/kernteam/index.html"

    def autocomplete_view(self, request):
        return LoggedAutocompleteJsonView.as_view(admin_site=self)(request)


class NoDeleteAdmin(ResidentLogAdmin):
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
    """For models that hold a resident's data: each record names its resident, whose data a
    saved change changes."""

    listed_residents = ("resident",)
    announced_residents = ("resident",)


def _changed_forms(formsets) -> list:
    return [each for formset in formsets for each in formset.forms if each.has_changed()]


def _chosen(form) -> set[int]:
    """The residents chosen in a form's fields, before (its initial values) and now."""
    found = set()
    for name, field in form.fields.items():
        if (
            isinstance(field, ModelChoiceField)
            and field.queryset.model._meta.label_lower == RESIDENT
        ):
            now = (getattr(form, "cleaned_data", None) or {}).get(name)
            found |= {_pk(form.initial.get(name)), _pk(now)}
    return found - {None}


def _pk(value) -> int | None:
    """A record's pk from a form's value: the record, its pk, or the pk as typed."""
    value = getattr(value, "pk", value)
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None
