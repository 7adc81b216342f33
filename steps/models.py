"""The stepped-care state machine, its history, goals and agreed actions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import (
    RETURN_VALUE,
    ConcurrentTransitionMixin,
    FSMField,
    transition,
)

from clients.models import Carer, Resident
from kernteam.models import (
    Meeting,
    RemembersLoaded,
    limited_text,
    person_name,
    primary_role,
    shown_date,
    years_later,
)
from kernteam.policy import roles_on
from kernteam.roles import Role
from kernteam.undeletable import AppendOnly, ProtectedRecord, Undeletable, UndeletableQuerySet
from steps import effects, rules
from steps.rules import Move, Rule, guarded
from steps.states import OPEN_STATES, STEPS, ClosureReason, Kind, State

S = State
member, reason = rules.professional_member, rules.reason_given


def _is_coordinator(t: Trajectory, m: Move) -> bool:
    coordinator_id = t.resident.coordinator_id
    return coordinator_id is not None and coordinator_id == getattr(m.by, "pk", None)


# Who records a review ("discussed, step stays"): in the team's meeting any member (the team
# decides); outside one, the GP or the resident's care coordinator.
reviewer = Rule(
    lambda t, m: bool(t.roles_of(m.by))
    and (rules.in_meeting.holds(t, m) or Role.GP in t.roles_of(m.by) or _is_coordinator(t, m)),
    _(
        "Outside a team meeting, only the GP or the resident's care coordinator can record "
        "a review."
    ),
)
review_in_a_step = Rule(
    lambda t, m: t.state in STEPS,
    _("A review can only be recorded while the resident is in step 1 to 4."),
    field="non_field_errors",
)


class TrajectoryQuerySet(UndeletableQuerySet):
    """The state moves only through transitions (which write history), never by update()."""

    guarded_fields = frozenset({"state", "step_before_admission"})

    def update(self, **kwargs):
        if self.guarded_fields & set(kwargs):
            raise ProtectedRecord("A trajectory's state changes only through its transitions.")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if self.guarded_fields & set(fields):
            raise ProtectedRecord("A trajectory's state changes only through its transitions.")
        return super().bulk_update(objs, fields, *args, **kwargs)


class Trajectory(ConcurrentTransitionMixin, Undeletable, models.Model):
    """A resident's path through stepped care. The state changes only through transitions."""

    resident = models.OneToOneField(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="trajectory"
    )
    state = FSMField(_("state"), default=S.SIGNALLED, choices=S.choices, protected=True)
    step_before_admission = models.CharField(max_length=10, blank=True, editable=False)
    review_due = models.DateField(_("review due"), null=True, blank=True, editable=False)
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    pending_confirmation = models.ForeignKey(
        "StepChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("An urgent step-up taken between meetings, to be confirmed by the team."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrajectoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("stepped-care trajectory")
        verbose_name_plural = _("stepped-care trajectories")

    def __str__(self) -> str:
        return f"{self.resident}: {self.get_state_display()}"

    def save(self, *args, **kwargs) -> None:
        """Queued effects of a transition (its history row, …) are written in the same
        transaction as the new state; see `_log`. Inside a caller's transaction no savepoint
        of its own: like Django's own saves, a failure (ConcurrentTransition) leaves that
        transaction to roll back; a caller that wants to carry on wraps the save in atomic()."""
        effects = self.__dict__.pop("_effects", [])
        adding = self._state.adding
        with transaction.atomic(savepoint=False):
            if adding:  # (a take-over: its first history row points at the new trajectory)
                super().save(*args, **kwargs)
            for effect in effects:
                effect()
            if not adding:
                # after the history row: the database refuses a state its newest row does
                # not record (trigger in migration steps 0005; an INSERT is not checked)
                super().save(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.state == S.CLOSED

    def roles_of(self, user) -> set[str]:
        """Roles `user` holds on the resident's team, asked once per team instance: the
        request that checked who may see the resident already knows (`policy.roles_on`)."""
        return roles_on(team=self.resident.team, user=user)

    # --- transitions: source → target, who may, what must hold, what follows ---------------

    @transition(field=state, source=S.SIGNALLED, target=S.SCREENING, custom={"kind": Kind.SCREEN})
    @guarded(permission=member, conditions=(rules.consent_recorded,))
    def start_screening(self, move: Move) -> None:
        self._move(move, S.SCREENING, Kind.SCREEN)

    @transition(field=state, source=S.SCREENING, target=S.STEP1, custom={"kind": Kind.ENTER})
    @guarded(permission=member, conditions=(rules.screening_below_cutoff_or_team_decision,))
    def assign_step1(self, move: Move) -> None:
        self._move(move, S.STEP1, Kind.ENTER)

    @transition(field=state, source=S.SCREENING, target=S.STEP2, custom={"kind": Kind.ENTER})
    @guarded(
        permission=member,
        conditions=(
            rules.screening_above_cutoff_or_team_override,
            rules.coordinator_named,
            rules.has_goal,
        ),
    )
    def assign_step2(self, move: Move) -> None:
        self._move(move, S.STEP2, Kind.ENTER)

    @transition(field=state, source=S.SCREENING, target=S.STEP3, custom={"kind": Kind.ENTER})
    @guarded(
        permission=member,
        conditions=(
            rules.screening_above_cutoff_or_team_override,
            rules.coordinator_named,
            rules.has_goal,
            rules.complex_needs_or_team_decision,
            rules.elderly_care_physician_on_team,
        ),
    )
    def assign_step3(self, move: Move) -> None:
        self._move(move, S.STEP3, Kind.ENTER)

    # Step up: any professional member, with a reason. Outside a meeting it is urgent and
    # awaits the team's confirmation at the next meeting.

    @transition(field=state, source=S.STEP1, target=S.STEP2, custom={"kind": Kind.STEP_UP})
    @guarded(permission=member, conditions=(reason,))
    def step_up_to_2(self, move: Move) -> None:
        self._move(move, S.STEP2, Kind.STEP_UP)

    @transition(
        field=state, source=[S.STEP1, S.STEP2], target=S.STEP3, custom={"kind": Kind.STEP_UP}
    )
    @guarded(permission=member, conditions=(reason,))
    def step_up_to_3(self, move: Move) -> None:
        self._move(move, S.STEP3, Kind.STEP_UP)

    @transition(
        field=state,
        source=[S.STEP1, S.STEP2, S.STEP3],
        target=S.STEP4,
        custom={"kind": Kind.STEP_UP},
    )
    @guarded(permission=member, conditions=(reason,))
    def step_up_to_4(self, move: Move) -> None:
        self._move(move, S.STEP4, Kind.STEP_UP)

    # Step down: a team decision in a meeting, or the GP; with a reason.

    @transition(
        field=state,
        source=[S.STEP2, S.STEP3, S.STEP4],
        target=S.STEP1,
        custom={"kind": Kind.STEP_DOWN},
    )
    @guarded(permission=member, conditions=(rules.team_decision_or_gp, reason))
    def step_down_to_1(self, move: Move) -> None:
        self._move(move, S.STEP1, Kind.STEP_DOWN)

    @transition(
        field=state, source=[S.STEP3, S.STEP4], target=S.STEP2, custom={"kind": Kind.STEP_DOWN}
    )
    @guarded(permission=member, conditions=(rules.team_decision_or_gp, reason))
    def step_down_to_2(self, move: Move) -> None:
        self._move(move, S.STEP2, Kind.STEP_DOWN)

    @transition(field=state, source=S.STEP4, target=S.STEP3, custom={"kind": Kind.STEP_DOWN})
    @guarded(permission=member, conditions=(rules.team_decision_or_gp, reason))
    def step_down_to_3(self, move: Move) -> None:
        self._move(move, S.STEP3, Kind.STEP_DOWN)

    # Temporary admission (hospital, ELV, respite) and the return to the step held before.

    @transition(field=state, source=list(STEPS), target=S.ADMITTED, custom={"kind": Kind.ADMIT})
    @guarded(permission=rules.role_in(Role.DISTRICT_NURSE, Role.GP))
    def admit(self, move: Move) -> None:
        self._move(move, S.ADMITTED, Kind.ADMIT)

    @transition(
        field=state, source=S.ADMITTED, target=RETURN_VALUE(*STEPS), custom={"kind": Kind.RETURN}
    )
    @guarded(permission=rules.role_in(Role.DISTRICT_NURSE, Role.GP))
    def return_home(self, move: Move) -> str:
        step = self.step_before_admission
        self._move(move, step, Kind.RETURN)
        return step

    # Closing keeps the record, read-only; it can be reopened as a new signal.

    @transition(field=state, source=list(OPEN_STATES), target=S.CLOSED, custom={"kind": Kind.CLOSE})
    @guarded(
        permission=rules.role_in(Role.GP, Role.COORDINATOR),
        conditions=(rules.closure_reason_given, reason),
    )
    def close(self, move: Move) -> None:
        self._move(move, S.CLOSED, Kind.CLOSE, closure_reason=move.closure_reason)
        if move.closure_reason == ClosureReason.CONSENT_WITHDRAWN:
            self._on_save(lambda: self._withdraw_consents(by=move.by))

    @transition(field=state, source=S.CLOSED, target=S.SIGNALLED, custom={"kind": Kind.REOPEN})
    @guarded(permission=member, conditions=(reason,))
    def reopen(self, move: Move) -> None:
        self._move(move, S.SIGNALLED, Kind.REOPEN)

    # Not a move a user takes: a resident of the team's existing caseload enters the state
    # machine in the state of her earlier record (`steps.caseload_import`). Never offered
    # (`steps.moves.NOT_OFFERED`); the history row names the file and the line.

    @transition(
        field=state,
        source=S.SIGNALLED,
        target=RETURN_VALUE(*rules.TAKE_OVER_STATES),
        custom={"kind": Kind.TAKE_OVER},
    )
    @guarded(permission=rules.importer, conditions=rules.TAKING_OVER)
    def take_over(self, move: rules.TakeOver) -> str:
        """A new trajectory (not saved yet) enters `move.state` from no state: its history row
        from "" to that state, by the GP or POH who imports the file. The review date follows
        from the earlier record's review dates (`steps.effects.after`)."""
        self._move(move, move.state, Kind.TAKE_OVER, from_state="")
        return move.state

    # --- not a move: the team confirms an urgent step-up ----------------------------------

    @guarded(
        permission=member,
        conditions=(rules.in_meeting, rules.in_a_step, rules.step_up_awaiting_confirmation),
    )
    def confirm_step_up(self, move: Move) -> StepChange:
        return self._move(move, self.state, Kind.CONFIRM, confirms=self.pending_confirmation)

    # --- not a move: a review that keeps the step ("besproken, stap blijft") -------------

    @guarded(permission=reviewer, conditions=(review_in_a_step,))
    def review(self, move: Move) -> StepChange:
        """The team (or, between meetings, the GP or the care coordinator) reviewed the
        resident and keeps the step: a history row from and to the step, and the next review
        date counted from today (`steps.effects.after`). `move.reason` is the optional note."""
        return self._move(move, self.state, Kind.REVIEW)

    # --- what every move does -----------------------------------------------------------
    # A transition body only prepares: the history row and other writes are queued and happen
    # in save(), in one transaction with the new state. A move that is never saved, or whose
    # save loses a race, leaves no trace.
    def _on_save(self, effect) -> None:
        self.__dict__.setdefault("_effects", []).append(effect)

    def _log(self, move: Move, to: str, kind: str, from_state=None, **extra) -> StepChange:
        roles = getattr(self, "acting_roles", None) or self.roles_of(move.by)
        change = StepChange(
            trajectory=self,
            from_state=self.state if from_state is None else from_state,
            to_state=to,
            kind=kind,
            actor=move.by,
            actor_role=primary_role(roles),
            reason=move.reason.strip(),
            meeting=move.meeting,
            **extra,
        )
        self._on_save(change.save)
        self.last_change = change
        return change

    def _move(self, move: Move, to: str, kind: str, **extra) -> StepChange:
        """Record the move and set the fields that follow from it (`steps.effects.after`).
        The step-up awaiting confirmation stands as its id before, as the new row after."""
        before = effects.Fields(
            review_due=self.review_due,
            step_before_admission=self.step_before_admission,
            pending=self.pending_confirmation_id,
            closure_reason=self.closure_reason,
        )
        source = self.state
        change = self._log(move, to, kind, **extra)
        fields = effects.after(
            before,
            kind=kind,
            source=source,
            target=to,
            day=timezone.localdate(),
            urgent=move.meeting is None,
            row=change,
            closure_reason=move.closure_reason,
            **move.earlier_reviews(),
        )
        self.review_due = fields.review_due
        self.step_before_admission = fields.step_before_admission
        self.closure_reason = fields.closure_reason
        if fields.pending != before.pending:  # kept as it was, cleared, or this row
            self.pending_confirmation = fields.pending
        return change

    def _withdraw_consents(self, *, by) -> None:
        for consent in self.resident.consents.filter(withdrawn_at__isnull=True):
            consent.withdraw(by=by)


class StepChange(AppendOnly, models.Model):
    """One move in a resident's history: from, to, who (in which role), when, why, meeting.

    Append-only: rows are never changed or deleted.
    """

    trajectory = models.ForeignKey(Trajectory, on_delete=models.PROTECT, related_name="history")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_state = models.CharField(_("from"), max_length=10, choices=S.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=S.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    actor_role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = limited_text(_("reason"), max_length=2000, blank=True)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="step_changes"
    )
    confirms = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="confirmations"
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("step change")
        verbose_name_plural = _("step history")

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '—'} → {self.get_to_state_display()}"

    @property
    def urgent(self) -> bool:
        return self.kind == Kind.STEP_UP and self.meeting_id is None


class Domain(models.TextChoices):
    """Domains for goals and problems: SFMPC plus housing."""

    SOMATIC = "somatic", _("somatic")
    FUNCTIONAL = "functional", _("functional")
    SOCIAL = "social", _("social")
    PSYCHOLOGICAL = "psychological", _("psychological")
    COMMUNICATIVE = "communicative", _("communicative")
    HOUSING = "housing", _("housing")


class GoalQuerySet(UndeletableQuerySet):
    def open(self) -> GoalQuerySet:
        return self.filter(status=Goal.Status.OPEN)


class Goal(Undeletable, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACHIEVED = "achieved", _("achieved")
        DROPPED = "dropped", _("dropped")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="goals")
    domain = models.CharField(_("domain"), max_length=16, choices=Domain.choices)
    description = limited_text(_("goal"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True)
    # serves what matters to the resident in her own words (`steps.own_goal`)
    serves_own_goal = models.BooleanField(_("serves her own goal"), default=False)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["domain", "created_at"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.description}"

    def clean(self) -> None:
        if self.resident_id:
            self.resident.check_writable()
        if not (self.description or "").strip():
            raise ValidationError({"description": _("Describe the goal.")})


class AgreedAction(RemembersLoaded, Undeletable, models.Model):
    """An afspraak: who does what by when. The owner is a team member or a carer."""

    typed_fields = ("due_on",)
    # An agreed action is for the coming years; one already past is not agreed, it is done.
    DUE_WITHIN_YEARS = 5

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="actions")
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    description = limited_text(_("what"), max_length=2000)
    owner_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_actions",
        verbose_name=_("owner (team member)"),
    )
    owner_carer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_actions",
        verbose_name=_("owner (informal carer)"),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    shared_with_carers = models.BooleanField(_("shared with informal carers"), default=False)
    # Support for an informal carer (respite care, Steunpunt Mantelzorg, a carer's course): the
    # outcome KPI "carers with a high burden who have support agreed" counts these
    # (`steps.kpi.outcomes`).
    supports_carer = models.BooleanField(_("supports the informal carer"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(owner_member__isnull=False, owner_carer__isnull=True)
                    | models.Q(owner_member__isnull=True, owner_carer__isnull=False)
                ),
                name="action_has_exactly_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.owner}, {self.due_on:%d-%m-%Y})"

    @property
    def owner(self):
        return self.owner_member or self.owner_carer

    @property
    def owner_name(self) -> str:
        member = self.owner_member
        if member is not None:
            return person_name(member)
        return str(self.owner_carer)

    def is_overdue(self, today=None) -> bool:
        return self.status == self.Status.OPEN and self.due_on < (today or timezone.localdate())

    UNDO_MINUTES = 10  # a tick-off taken back within this is a mis-tap, not a change of plan

    def may_undo(self, *, user, now=None) -> bool:
        """Whoever ticked the action off may take it back within `UNDO_MINUTES`."""
        return (
            self.status == self.Status.DONE
            and self.done_at is not None
            and self.done_by_id == getattr(user, "pk", None)
            and (now or timezone.now())
            < self.done_at + datetime.timedelta(minutes=self.UNDO_MINUTES)
        )

    @classmethod
    def due_on_problem(cls, day) -> str | None:
        """Why an action cannot be agreed for `day` (None when it can): from today to
        `DUE_WITHIN_YEARS` ahead."""
        today = timezone.localdate()
        last = years_later(today, cls.DUE_WITHIN_YEARS)
        if day < today:
            return _("The due date lies in the past: an agreed action is due today or later.")
        if day > last:
            return _("The due date must lie between %(first)s and %(last)s.") % {
                "first": shown_date(today),
                "last": shown_date(last),
            }
        return None

    def clean(self) -> None:
        if not self.resident_id:
            return  # the form reports the missing resident
        self.resident.check_writable()
        errors = {}
        if not (self.description or "").strip():
            errors["description"] = _("Describe what will be done.")
        errors.update(self.typed_problems())
        if self.goal_id and self.goal.resident_id != self.resident_id:
            errors["goal"] = _("This goal belongs to another resident.")
        if bool(self.owner_member_id) == bool(self.owner_carer_id):
            errors["owner_member"] = _("Name one owner: a team member or an informal carer.")
        elif self.owner_member_id and not self.resident.team.has_person(self.owner_member):
            errors["owner_member"] = _("The owner must be a member of the resident's team.")
        elif (
            self.owner_carer_id
            and not self.resident.carer_links.active().filter(carer_id=self.owner_carer_id).exists()
        ):
            errors["owner_carer"] = _("This informal carer is not linked to the resident.")
        if self.owner_carer_id and not self.shared_with_carers:
            errors["shared_with_carers"] = _(
                "An action a carer does must be shared with the carers."
            )
        if errors:
            raise ValidationError(errors)


TRANSITION_LABELS = {
    "start_screening": _("Start screening"),
    "assign_step1": _("Assign step 1"),
    "assign_step2": _("Assign step 2"),
    "assign_step3": _("Assign step 3"),
    "step_up_to_2": _("Step up to step 2"),
    "step_up_to_3": _("Step up to step 3"),
    "step_up_to_4": _("Step up to step 4"),
    "step_down_to_1": _("Step down to step 1"),
    "step_down_to_2": _("Step down to step 2"),
    "step_down_to_3": _("Step down to step 3"),
    "admit": _("Record temporary admission"),
    "return_home": _("Record return home"),
    "close": _("Close record"),
    "reopen": _("Reopen as a new signal"),
}

from steps.caseload import CaseloadEntry, CaseloadImport  # noqa: E402,F401
from steps.outcomes import OutcomeEvent  # noqa: E402,F401
from steps.own_goal import OwnGoal  # noqa: E402,F401
from steps.referrals import LocalOffer, Referral, ReferralUpdate  # noqa: E402,F401
