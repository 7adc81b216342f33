"""The guards of the stepped-care model, each a named rule with the message a user reads.

A rule looks at the resident's trajectory and the move being attempted, and says whether it
holds. Transitions list their rules next to them (see `steps.models.Trajectory`).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from clients.instruments import Instrument
from clients.models import Consent
from clients.visibility import may_see
from kernteam.models import person_name, shown_date
from kernteam.refusals import Refused
from kernteam.roles import Role, role_list
from steps.states import FRAIL_STEPS, STEPS, ClosureReason, State, review_due

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

    def earlier_reviews(self) -> dict[str, datetime.date | None]:
        """The review dates an earlier record gives (`TakeOver`); none for a move."""
        return {}


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


@dataclass(frozen=True)
class Check(Rule):
    """A rule whose message names what it found: `check` gives the problem (None: it holds)."""

    check: Callable[[Trajectory, Move], str | None] = lambda t, m: None

    def problem(self, trajectory: Trajectory, move: Move) -> str | None:
        found = self.check(trajectory, move)
        return None if found is None else str(found)


def checked(check: Callable[[Trajectory, Move], str | None], *, field: str) -> Check:
    return Check(holds=lambda t, m: check(t, m) is None, message="", field=field, check=check)


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


# --- taken over from an earlier record (the caseload import, issue 21 §1) ------------------


@dataclass(frozen=True)
class TakeOver(Move):
    """A resident entered in the state she holds in an earlier record (`Trajectory.take_over`):
    the facts the team's file gives about her. The rules of `TAKING_OVER` read these and the
    team, nothing on record: the caseload's check runs them on a resident not saved yet, and
    the transition's guard runs them again when she is saved."""

    state: str = ""  # signalled, screening, step1 … step4
    coordinator: Any = None  # a User
    consent_given_on: datetime.date | None = None
    disciplines: tuple[str, ...] = ()  # Role codes the consent covers
    share_with_carers: bool = False
    last_review_on: datetime.date | None = None
    next_review_on: datetime.date | None = None

    def earlier_reviews(self) -> dict[str, datetime.date | None]:
        return {"last_review": self.last_review_on, "next_review": self.next_review_on}


TAKE_OVER_STATES: tuple[str, ...] = (State.SIGNALLED, State.SCREENING, *STEPS)


def people_roles(team) -> dict[int, set[str]]:
    """The roles of the people on `team` (`Team.people`), by user id: read once per team
    instance (a caseload of 300 rows asks once)."""
    known = team.__dict__.get("kernteam_people_roles")
    if known is None:
        known = {}
        for user_id, role in team.people().order_by().values_list("user_id", "role"):
            known.setdefault(user_id, set()).add(role)
        team.__dict__["kernteam_people_roles"] = known
    return known


def _team(t: Trajectory):
    return t.resident.team


def _coordinator_roles(t: Trajectory, m: TakeOver) -> set[str] | None:
    """The coordinator's roles on the team (None: no coordinator, or not one of its people)."""
    if m.coordinator is None:
        return None
    return people_roles(_team(t)).get(m.coordinator.pk)


def _may_coordinate(t: Trajectory, m: TakeOver) -> str | None:
    roles = _coordinator_roles(t, m)
    disciplines = list(m.disciplines) if m.consent_given_on else None
    if roles is None or may_see(roles=roles, disciplines=disciplines):
        return None
    return gettext_now(
        "%(who)s may not see this resident's file (the consent does not name their "
        "discipline), so cannot coordinate the care."
    ) % {"who": person_name(m.coordinator)}


def _consent_date(t: Trajectory, m: TakeOver) -> str | None:
    """The consent's own rule (`Consent.given_on_problem`: not ahead, at most two years old);
    for one too old, what to do in the team's file."""
    if m.consent_given_on is None:
        return None
    found = Consent.given_on_problem(m.consent_given_on)
    if found is None or m.consent_given_on > timezone.localdate():
        return found
    return gettext_now(
        "%(problem)s In the file: put the date of her new consent under toestemming_datum, "
        "or import her as “gesignaleerd”, without consent (leave the consent columns empty)."
    ) % {"problem": found}


def _next_review(t: Trajectory, m: TakeOver) -> str | None:
    """The next review within the step's interval, counted from the last review (or today)."""
    if m.state not in STEPS or m.next_review_on is None:
        return None
    since = m.last_review_on or timezone.localdate()
    if m.last_review_on and m.next_review_on < m.last_review_on:
        return gettext_now("The next review lies before the last review.")
    latest = review_due(m.state, since)
    if m.next_review_on <= latest:
        return None
    return gettext_now(
        "The next review (%(next)s) lies beyond the interval of “%(step)s”: at the latest "
        "%(latest)s, counted from %(since)s."
    ) % {
        "next": shown_date(m.next_review_on),
        "step": State(m.state).label,
        "latest": shown_date(latest),
        "since": shown_date(since),
    }


taken_over_to_a_state = Rule(
    lambda t, m: m.state in TAKE_OVER_STATES,
    _("A resident is taken over as signalled, in screening or in step 1 to 4."),
    field="state",
)
taken_over_with_coordinator = Rule(
    lambda t, m: m.state not in FRAIL_STEPS or m.coordinator is not None,
    coordinator_named.message,
    field="coordinator",
)
coordinator_on_team = Rule(
    lambda t, m: m.coordinator is None or _coordinator_roles(t, m) is not None,
    _("The care coordinator must be a member of the resident's team."),
    field="coordinator",
)
taken_over_with_consent = Rule(
    lambda t, m: m.state == State.SIGNALLED or m.consent_given_on is not None,
    consent_recorded.message,
    field="consent_given_on",
)
no_reviews_before_a_step = Rule(
    lambda t, m: m.state in STEPS or (m.last_review_on is None and m.next_review_on is None),
    _("Before step 1 a resident has no reviews: leave the review dates empty."),
    field="next_review_on",
)
last_review_not_ahead = Rule(
    lambda t, m: m.last_review_on is None or m.last_review_on <= timezone.localdate(),
    _("The date of the last review lies in the future."),
    field="last_review_on",
)

# Who takes a resident over (`Trajectory.take_over`), and so imports a team's caseload
# (`steps.caseload_import.may_import` reads its roles): the GP and the POH.
importer = role_in(Role.GP, Role.POH)

# The take-over's conditions (`Trajectory.take_over`), in the order a user reads them.
TAKING_OVER: tuple[Rule, ...] = (
    taken_over_to_a_state,
    taken_over_with_coordinator,
    coordinator_on_team,
    checked(_may_coordinate, field="coordinator"),
    taken_over_with_consent,
    checked(_consent_date, field="consent_given_on"),
    no_reviews_before_a_step,
    last_review_not_ahead,
    checked(_next_review, field="next_review_on"),
)
