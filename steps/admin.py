"""Stepped care in the admin: the state is never edited; transitions are actions that ask for
a reason (and a meeting) and go through the same service as every other entry point."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from kernteam.admin_base import ReadOnlyAdmin, ReadOnlyInline, ResidentDataAdmin
from kernteam.models import Meeting, text_limit
from kernteam.policy import require_member
from kernteam.refusals import Refused
from steps import (
    admin_meetings,  # noqa: F401  (meetings: opened and closed by the services)
    admin_referrals,  # noqa: F401  (the catalogue of local offers)
)
from steps.models import TRANSITION_LABELS, AgreedAction, Goal, StepChange, Trajectory
from steps.moves import transition_names
from steps.outcomes import OutcomeEvent
from steps.own_goal import OwnGoal
from steps.services import add_goal, agree_action, complete_action, move_resident
from steps.states import ClosureReason


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=text_limit(StepChange, "reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    meeting = forms.ModelChoiceField(
        label=_("Team meeting (for a team decision)"),
        queryset=Meeting.objects.filter(status=Meeting.Status.OPEN).select_related("team"),
        required=False,
    )
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"),
        choices=[("", "—"), *ClosureReason.choices],
        required=False,
    )


def transition_form(name: str, data=None) -> TransitionForm:
    form = TransitionForm(data)
    if name != "close":
        del form.fields["closure_reason"]
    return form


def transition_action(name: str):
    def action(modeladmin, request, queryset):
        if "apply" in request.POST:
            form = transition_form(name, request.POST)
            if form.is_valid():
                for trajectory in queryset.select_related("resident"):
                    try:
                        move_resident(
                            resident=trajectory.resident,
                            transition=name,
                            # the state shown on the form: a move made meanwhile is a conflict
                            expected_state=request.POST.get(f"seen_state_{trajectory.pk}", ""),
                            by=request.user,
                            **form.cleaned_data,
                        )
                        modeladmin.message_user(
                            request, f"{trajectory.resident}: {TRANSITION_LABELS[name]}"
                        )
                    except Refused as exc:
                        modeladmin.message_user(
                            request, f"{trajectory.resident}: {exc}", messages.ERROR
                        )
                return None
        else:
            form = transition_form(name)
        return TemplateResponse(
            request,
            "admin/steps/transition_form.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": TRANSITION_LABELS[name],
                "action": name,
                "form": form,
                "trajectories": queryset.select_related("resident"),
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = f"do_{name}"
    action.short_description = TRANSITION_LABELS[name]
    return action


class HistoryInline(ReadOnlyInline):
    model = StepChange
    fk_name = "trajectory"
    fields = ["at", "kind", "from_state", "to_state", "actor", "actor_role", "reason", "meeting"]
    readonly_fields = fields


@admin.register(Trajectory)
class TrajectoryAdmin(ResidentDataAdmin):
    list_display = ["resident", "team", "state", "review_due", "awaiting_confirmation"]
    list_filter = ["state", "resident__team"]
    search_fields = ["resident__first_name", "resident__last_name"]
    list_select_related = ["resident__team"]
    ordering = ["resident__last_name", "resident__first_name"]
    readonly_fields = ["resident", "state", "review_due", "closure_reason", "pending_confirmation"]
    inlines = [HistoryInline]
    actions = [transition_action(name) for name in transition_names()]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("team"))
    def team(self, obj):
        return obj.resident.team

    @admin.display(description=_("urgent step-up awaiting confirmation"), boolean=True)
    def awaiting_confirmation(self, obj):
        return obj.pending_confirmation_id is not None


@admin.register(StepChange)
class StepChangeAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    list_display = ["at", "trajectory", "kind", "from_state", "to_state", "actor", "actor_role"]
    list_filter = ["kind", "to_state"]
    date_hierarchy = "at"
    listed_residents = ("trajectory__resident",)


@admin.register(OutcomeEvent)
class OutcomeEventAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """Outcome events are history: recorded from the panel or the API, never edited here."""

    list_display = ["occurred_on", "resident", "kind", "place", "recorded_by", "recorded_at"]
    list_filter = ["kind"]
    list_select_related = ["resident", "recorded_by"]
    date_hierarchy = "occurred_on"
    raw_id_fields = ["resident", "recorded_by", "step_change"]


@admin.register(OwnGoal)
class OwnGoalAdmin(ResidentDataAdmin, ReadOnlyAdmin):
    """The resident's own goal, every version: noted from the panel or the API, never edited
    here."""

    list_display = ["noted_at", "resident", "text", "noted_by"]
    list_select_related = ["resident", "noted_by"]
    date_hierarchy = "noted_at"
    raw_id_fields = ["resident", "noted_by"]


class TeamWorkAdmin(ResidentDataAdmin):
    """Goals and actions are team work: added and changed by a member of the resident's team,
    and read-only once the record is closed."""

    added_as = ()  # fields a new record takes from its service, not from the form

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.resident.is_closed:
            return [f.name for f in obj._meta.fields]
        fields = super().get_readonly_fields(request, obj)
        return [*fields, *self.added_as] if obj is None else fields

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        user = request.user

        class MemberOnlyForm(base):
            def clean(self):
                data = super().clean()
                resident = data.get("resident") or (
                    self.instance.resident if self.instance.resident_id else None
                )
                if resident is not None:
                    try:
                        require_member(team=resident.team, user=user)
                    except Refused as refused:
                        raise forms.ValidationError(refused.problems) from refused
                return data

        return MemberOnlyForm

    def save_model(self, request, obj, form, change):
        """A new goal or action is added through its service, as everywhere else: in the
        team's meeting in progress unless the form names one, with its live event. A record
        closed since the form was checked refuses it: said, and nothing is saved."""
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = self.create(request.user, form.cleaned_data)
        except (Refused, ValidationError) as exc:
            obj.refused = True
            self.message_user(request, " ".join(_messages(exc)), messages.ERROR)
            return
        for field in created._meta.concrete_fields:  # (the log entry names what was saved)
            setattr(obj, field.attname, getattr(created, field.attname))

    def announces(self, *, form, formsets, change: bool) -> bool:
        """A new goal or action: its service announced it (or refused it, saving nothing)."""
        return change and super().announces(form=form, formsets=formsets, change=change)

    def create(self, user, data):
        raise NotImplementedError

    def log_addition(self, request, obj, message):
        if not getattr(obj, "refused", False):
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)


def _messages(exc: Exception) -> list[str]:
    return exc.problems if isinstance(exc, Refused) else list(exc.messages)


@admin.register(Goal)
class GoalAdmin(TeamWorkAdmin):
    list_display = ["resident", "domain", "description", "status"]
    list_filter = ["domain", "status"]
    search_fields = ["description", "resident__last_name"]
    readonly_fields = ["created_by", "created_at"]
    added_as = ("status",)  # a new goal is open
    autocomplete_fields = ["resident"]

    def create(self, user, data):
        return add_goal(
            resident=data["resident"],
            by=user,
            domain=data["domain"],
            description=data["description"],
            meeting=data.get("meeting"),
        )


@admin.register(AgreedAction)
class AgreedActionAdmin(TeamWorkAdmin):
    list_display = ["resident", "description", "owner", "due_on", "status", "shared_with_carers"]
    list_filter = ["status", "shared_with_carers", "supports_carer"]
    search_fields = ["description", "resident__last_name"]
    readonly_fields = ["status", "created_by", "created_at", "done_at", "done_by"]
    autocomplete_fields = ["resident", "owner_member", "owner_carer", "goal"]
    actions = ["mark_done"]

    def create(self, user, data):
        return agree_action(
            resident=data["resident"],
            by=user,
            description=data["description"],
            due_on=data["due_on"],
            owner_member=data.get("owner_member"),
            owner_carer=data.get("owner_carer"),
            shared_with_carers=data.get("shared_with_carers", False),
            supports_carer=data.get("supports_carer", False),
            goal=data.get("goal"),
            meeting=data.get("meeting"),
        )

    @admin.action(description=_("Mark as done"))
    def mark_done(self, request, queryset):
        for action in queryset.select_related("resident"):
            try:
                complete_action(action=action, by=request.user)
            except Refused as exc:
                self.message_user(request, f"{action}: {exc}", messages.ERROR)
