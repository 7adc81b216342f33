"""The guards of the stepped-care model, each a named rule with the message a user reads.

A rule looks at the resident's trajectory and the move being attempted, and says whether it
holds. Transitions list their rules next to them (see `steps.models.Trajectory`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clients.instruments import Instrument
from kernteam.refusals import Refused
from kernteam.roles import Role, role_list
from steps.states import STEPS, ClosureReason

if TYPE_CHECKING:
    from kernteam.models import Meeting
    from steps.models import Trajectory


@dataclass(frozen=True)
class Move:
    """Who attempts a move, why, and in which meeting (if any)."""

    by: Any
    reason: str = ""
    meeting: Meeting | None = None
    closure_reason: str = ""


@dataclass(frozen=True)
class Rule:
    holds: Callable[[Trajectory, Move], bool]
    message: str | Promise | Callable[[], str]
    roles: frozenset[str] = frozenset()  # for permissions: the roles that grant it
    field: str = "transition"  # the input a failure concerns (API field errors)

    def problem(self, trajectory: Trajectory, move: Move) -> str | None:
        if self.holds(trajectory, move):
            return None
        return str(self.message() if callable(self.message) else self.message)


def guarded(*, permission: Rule, conditions: tuple[Rule, ...] = ()):
    """Check the permission, then every condition, before the transition's body runs.

    Refusals raise `Refused` naming every condition that is missing; the state is left
    as it was (django-fsm only changes it after the body returns).
    """

    def decorate(method):
        @functools.wraps(method)
        def wrapper(trajectory: Trajectory, move: Move, *args, **kwargs):
            if refusal := refusal_for(trajectory, move, permission, conditions):
                raise refusal
            # History names the role that authorised the move, not just any role held.
            held = trajectory.roles_of(move.by)
            trajectory.acting_roles = (held & permission.roles) if permission.roles else held
            return method(trajectory, move, *args, **kwargs)

        wrapper.permission = permission
        wrapper.conditions = conditions
        return wrapper

    return decorate


def refusal_for(trajectory: Trajectory, move: Move, permission: Rule, conditions) -> Refused | None:
    """Why the move is refused (None when it may go ahead): the meeting, then the permission,
    then every condition that does not hold."""
    if problem := meeting_problem(trajectory, move):
        return Refused(problem, field="meeting")
    if problem := permission.problem(trajectory, move):
        return Refused(problem, forbidden=True)
    failing = [(rule, p) for rule in conditions if (p := rule.problem(trajectory, move))]
    if not failing:
        return None
    fields: dict[str, list[str]] = {}
    for rule, problem in failing:
        fields.setdefault(rule.field, []).append(problem)
    return Refused([p for _, p in failing], fields=fields)


def problems_for(trajectory: Trajectory, move: Move, permission: Rule, conditions) -> list[str]:
    refusal = refusal_for(trajectory, move, permission, conditions)
    return refusal.problems if refusal else []


def meeting_problem(trajectory: Trajectory, move: Move) -> str | None:
    meeting = move.meeting
    if meeting is None:
        return None
    if meeting.team_id != trajectory.resident.team_id:
        return str(_("That meeting belongs to another team."))
    if not meeting.takes_decisions:
        return str(_("That meeting is not in progress, so no team decision can be recorded in it."))
    return None


# --- who ---------------------------------------------------------------------------------


def _roles(trajectory: Trajectory, move: Move) -> set[str]:
    return trajectory.roles_of(move.by)


professional_member = Rule(
    lambda t, m: bool(_roles(t, m)),
    _("Only members of this resident's kernteam can change the step."),
)


def role_in(*roles: str) -> Rule:
    return Rule(
        lambda t, m: bool(_roles(t, m) & set(roles)),
        lambda: _("Only the %(roles)s can do this.") % {"roles": role_list(roles)},
        roles=frozenset(roles),
    )


def _team_decision(t: Trajectory, m: Move) -> bool:
    return m.meeting is not None and meeting_problem(t, m) is None


team_decision_or_gp = Rule(
    lambda t, m: _team_decision(t, m) or Role.GP in _roles(t, m),
    _("Stepping down needs a team decision in a meeting, or the GP."),
)

# --- why ---------------------------------------------------------------------------------

reason_given = Rule(lambda t, m: bool(m.reason.strip()), _("Give a reason."), field="reason")

closure_reason_given = Rule(
    lambda t, m: m.closure_reason in ClosureReason.values,
    _("Choose why the record is closed."),
    field="closure_reason",
)


# --- what is on record -------------------------------------------------------------------

consent_recorded = Rule(
    lambda t, m: t.resident.active_consent() is not None,
    _("No consent recorded."),
)


def _screening(t: Trajectory):
    return t.resident.latest_frailty_screening()


screening_below_cutoff_or_team_decision = Rule(
    lambda t, m: _team_decision(t, m) or ((s := _screening(t)) is not None and not s.above_cutoff),
    _("No screening result below the cut-off on record (or a team decision in a meeting)."),
)

screening_above_cutoff_or_team_override = Rule(
    lambda t, m: ((s := _screening(t)) is not None and s.above_cutoff)
    or (_team_decision(t, m) and bool(m.reason.strip())),
    _(
        "No screening result above the cut-off on record (a team decision in a meeting, "
        "with a reason, can override this)."
    ),
)

complex_needs_or_team_decision = Rule(
    lambda t, m: _team_decision(t, m)
    or ((a := t.resident.latest_assessment([Instrument.INTERMED])) is not None and a.above_cutoff),
    _("No complex-needs finding on record (INTERMED 16 or more), nor a team decision."),
)

coordinator_named = Rule(
    lambda t, m: t.resident.coordinator_id is not None
    and t.resident.team.has_person(t.resident.coordinator),
    _("No care coordinator named."),
)

has_goal = Rule(
    lambda t, m: t.resident.goals.open().exists(),
    _("No goal recorded."),
)

elderly_care_physician_on_team = Rule(
    lambda t, m: t.resident.team.has_active_role(Role.ELDERLY_CARE_PHYSICIAN),
    _("There is no elderly-care physician on the team."),
)

in_a_step = Rule(
    lambda t, m: t.state in STEPS,
    _("Only possible while the resident is in step 1 to 4."),
)

step_up_awaiting_confirmation = Rule(
    lambda t, m: t.pending_confirmation_id is not None,
    _("There is no urgent step-up awaiting confirmation."),
)

in_meeting = Rule(_team_decision, _("This can only be done in a team meeting."))
