"""What the resident panel shows: the timeline of moves, scores with their trend, goals per
domain, agreed actions, and the moves the viewer may take now."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.utils import timezone

from clients.care_planning_services import CarePlanningView, care_planning_for
from clients.instruments import Instrument
from clients.models import Assessment, Concern, Consent, CoordinatorChange, Resident
from clients.services import may_name_coordinator
from kernteam.models import Meeting, deciding_meeting
from kernteam.policy import roles_on
from kernteam.roles import Role
from steps.medication import MedicationPanel, medication_for
from steps.models import TRANSITION_LABELS, AgreedAction, Domain, Goal, StepChange, Trajectory
from steps.moves import available_moves
from steps.outcomes import moves_to_offer
from steps.own_goal import OwnGoal, own_goal_versions
from steps.referral_services import referrals_of
from steps.rules import Move, problems_for


@dataclass(frozen=True)
class ScoreLine:
    instrument: str
    label: str
    scores: list[Assessment]  # oldest first

    @property
    def latest(self) -> Assessment:
        return self.scores[-1]

    @property
    def trend(self) -> str:
        """'up', 'down' or 'same' against the previous score; '' for a single score."""
        if len(self.scores) < 2:
            return ""
        before, now = self.scores[-2].score, self.scores[-1].score
        return "up" if now > before else "down" if now < before else "same"


@dataclass
class Panel:
    resident: Resident
    history: list[StepChange]
    scores: list[ScoreLine]
    goals: list[tuple[str, list[Goal]]]
    actions: list[AgreedAction]
    moves: list[tuple[str, str]]  # (transition, label) the viewer may take now
    concerns: list[Concern] = field(default_factory=list)  # open ones first
    meeting: Meeting | None = None
    can_confirm: bool = False  # the urgent step-up awaiting confirmation can be confirmed now
    can_review: bool = False  # the viewer may record "discussed, step stays" now
    consent: Consent | None = None
    carer_links: list = field(default_factory=list)  # active links, with the carer
    consent_scope: list[str] = field(default_factory=list)  # the disciplines, in words
    rendered_at: float = field(default_factory=time.time)  # live events after this are news
    # the history with the changes of care coordinator and the outcome events among the
    # moves, latest first (`timeline_order`)
    timeline: list[StepChange | CoordinatorChange] = field(default_factory=list)
    can_name_coordinator: bool = False  # the viewer may name or change the coordinator now
    today: object = field(default_factory=timezone.localdate)
    # outcome events (`steps.outcomes`): the viewer may record one; the moves they go with,
    # offered as (transition, closure reason, label) when the viewer may take them now
    can_record_event: bool = False
    event_moves: list[tuple[str, str, str]] = field(default_factory=list)
    # advance care planning as the viewer may read it (None: not theirs to read)
    care_planning: CarePlanningView | None = None
    # medication reviews as the viewer may read them (`steps.medication`; None: not theirs)
    medication: MedicationPanel | None = None
    # what matters to her in her own words (`steps.own_goal`): every version, current first;
    # who sees the panel may note a new one while the record is open
    own_goals: list[OwnGoal] = field(default_factory=list)
    can_note_own_goal: bool = False
    # referrals to local offers (`steps.referral_services`), latest first
    referrals: list = field(default_factory=list)


def open_meeting_for(*, team) -> Meeting | None:
    """The team's meeting in progress today, if any: moves taken now are team decisions."""
    return deciding_meeting(team_id=team.pk)


def resident_panel(*, resident: Resident, user) -> Panel:
    trajectory = resident.trajectory
    meeting = open_meeting_for(team=resident.team)
    history = list(trajectory.history.select_related("actor", "meeting").order_by("-at", "-pk"))
    coordinators = resident.coordinator_changes.select_related(
        "actor", "meeting", "from_coordinator", "to_coordinator"
    )
    lines: dict[str, list[Assessment]] = {}
    for a in resident.assessments.select_related("assessed_by").order_by("assessed_on", "pk"):
        lines.setdefault(a.instrument, []).append(a)
    goals_by_domain: dict[str, list[Goal]] = {}
    for g in resident.goals.order_by("created_at", "pk"):
        goals_by_domain.setdefault(g.domain, []).append(g)
    actions = list(
        resident.actions.select_related("owner_member", "owner_carer").order_by(
            "status", "due_on", "pk"
        )
    )
    move = Move(by=user, meeting=meeting)
    names = available_moves(trajectory=trajectory, move=move)
    confirm = Trajectory.confirm_step_up
    consent = resident.active_consent()
    events = list(resident.outcome_events.select_related("recorded_by"))
    referrals = referrals_of(resident=resident)
    # a referral's action is not ticked off by hand: the panel offers the referral's own form
    referral_of = {r.action_id: r.pk for r in referrals}
    for action in actions:
        action.referral_pk = referral_of.get(action.pk)
    concerns = resident.concerns.select_related("carer").order_by("-raised_at", "-pk")
    return Panel(
        resident=resident,
        history=history,
        scores=[ScoreLine(code, Instrument(code).label, s) for code, s in lines.items()],
        goals=[(str(Domain(d).label), goals_by_domain[d]) for d in Domain if d in goals_by_domain],
        actions=actions,
        moves=[(name, str(TRANSITION_LABELS[name])) for name in names],
        concerns=sorted(concerns, key=lambda c: not c.is_open),
        consent=consent,
        carer_links=list(resident.carer_links.active().select_related("carer__user")),
        consent_scope=[
            str(label) for code, label in Role.choices if consent and code in consent.disciplines
        ],
        meeting=meeting,
        can_confirm=not problems_for(trajectory, move, confirm.permission, confirm.conditions),
        can_review=may_review(trajectory=trajectory, move=move),
        timeline=sorted([*history, *coordinators, *events], key=timeline_order, reverse=True),
        can_record_event=not resident.is_closed,  # (who sees the panel may: steps.outcome_services)
        event_moves=[
            (name, closure, str(TRANSITION_LABELS[name]))
            for name, closure in moves_to_offer(events, today=timezone.localdate())
            if name in names
        ],
        can_name_coordinator=not resident.is_closed
        and may_name_coordinator(roles=roles_on(team=resident.team, user=user), meeting=meeting),
        care_planning=care_planning_for(resident=resident, user=user),
        medication=medication_for(resident=resident, user=user, today=timezone.localdate()),
        own_goals=own_goal_versions(resident=resident),
        can_note_own_goal=not resident.is_closed,  # (steps.own_goal_services)
        referrals=referrals,
    )


def timeline_order(row) -> tuple:
    """Where a row stands in the timeline: by the day it happened (an outcome event on the day
    it occurred, however late it was recorded; a move or a change of coordinator on the day
    it was made), and within a day by when it was recorded."""
    day = getattr(row, "timeline_day", None) or timezone.localdate(row.at)
    return (day, row.at)


def may_review(*, trajectory: Trajectory, move: Move) -> bool:
    """Whether `move.by` may record a review now: the rules `steps.services.review_resident`
    applies (`Trajectory.review`)."""
    review = Trajectory.review
    return not problems_for(trajectory, move, review.permission, review.conditions)
