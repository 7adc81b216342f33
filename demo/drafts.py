"""A resident and everything that hangs off them, planned in memory and then bulk-written."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from clients.models import (
    Assessment,
    CarePlanning,
    Carer,
    CarerLink,
    Consent,
    MedicationReview,
    Resident,
)
from demo.context import TeamContext
from demo.history import Hop, Outcome, replay
from kernteam.models import Team, primary_role
from steps.models import AgreedAction, Goal, Kind, StepChange, Trajectory
from steps.outcomes import OutcomeEvent
from steps.own_goal import OwnGoal
from steps.states import STEPS


@dataclass
class Draft:
    """One resident and everything that hangs off them, before it is written."""

    resident: Resident
    female: bool
    hops: list[Hop]
    outcome: Outcome = field(default_factory=Outcome)
    dementia: bool = False
    carers: list[Carer] = field(default_factory=list)
    links: list[CarerLink] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    actions: list[AgreedAction] = field(default_factory=list)
    own_goals: list[OwnGoal] = field(default_factory=list)
    reviews: list[MedicationReview] = field(default_factory=list)
    care_plannings: list[CarePlanning] = field(default_factory=list)
    events: list[OutcomeEvent] = field(default_factory=list)
    # hop index -> the event its move recorded or linked (`steps.outcomes.record_for_move`)
    move_events: dict[int, OutcomeEvent] = field(default_factory=dict)
    end_day: datetime.date = datetime.date.max  # closing day, or the reference date

    def first(self, *kinds: str) -> Hop | None:
        return next((h for h in self.hops if h.kind in kinds), None)

    @property
    def care_hop(self) -> Hop | None:
        """The move that put the resident on a care plan (step 2 or higher)."""
        return next((h for h in self.hops[1:] if h.target in STEPS[1:]), None)

    def add_carer(self, carer: Carer, relationship: str) -> None:
        """A carer, linked to the resident since they were signalled."""
        self.carers.append(carer)
        self.links.append(
            CarerLink(
                carer=carer,
                resident=self.resident,
                relationship=relationship,
                since=self.hops[0].day,
            )
        )


def make_draft(
    today: datetime.date,
    resident: Resident,
    female: bool,
    hops: list[Hop],
    closure: str = "",
    dementia: bool = False,
) -> Draft:
    """A draft for scheduled hops, with the trajectory's fields replayed from them."""
    draft = Draft(resident, female, hops, replay(hops, closure), dementia=dementia)
    close = draft.first(Kind.CLOSE)
    draft.end_day = close.day if close is not None else today
    return draft


def new_resident(
    team: Team, salutation: str, first: str, last: str, born: datetime.date
) -> Resident:
    return Resident(
        team=team,
        salutation=salutation,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        neighbourhood=team.neighbourhood,
        gp_practice=f"Huisartsenpraktijk {team.neighbourhood}",
    )


def write(ctx: TeamContext, drafts: Sequence[Draft]) -> None:
    """Bulk-create the drafts in dependency order."""
    if not drafts:
        return
    for draft in drafts:  # a resident is recorded when first signalled
        draft.resident.created_at = draft.hops[0].at - datetime.timedelta(minutes=1)
    ctx.bulk(Resident, [d.resident for d in drafts])
    trajectories = [
        Trajectory(
            resident=d.resident,
            state=d.outcome.state,
            review_due=d.outcome.review_due,
            step_before_admission=d.outcome.step_before_admission,
            closure_reason=d.outcome.closure_reason,
        )
        for d in drafts
    ]
    ctx.bulk(Trajectory, trajectories)
    rows = [history_rows(ctx, d, t) for d, t in zip(drafts, trajectories, strict=True)]
    ctx.bulk(StepChange, [row for per_resident in rows for row in per_resident])
    for draft, trajectory, per_resident in zip(drafts, trajectories, rows, strict=True):
        if draft.outcome.pending is not None:
            change = per_resident[draft.outcome.pending]
            Trajectory.objects.filter(pk=trajectory.pk).update(pending_confirmation=change)
    for model, attribute in (
        (Carer, "carers"),
        (CarerLink, "links"),
        (Consent, "consents"),
        (Assessment, "assessments"),
        (Goal, "goals"),
        (AgreedAction, "actions"),
        (OwnGoal, "own_goals"),
        (MedicationReview, "reviews"),
        (CarePlanning, "care_plannings"),
    ):
        ctx.bulk(model, [obj for d in drafts for obj in getattr(d, attribute)])
    for draft, per_resident in zip(drafts, rows, strict=True):
        for index, event in draft.move_events.items():
            event.step_change = per_resident[index]
    ctx.bulk(OutcomeEvent, [event for d in drafts for event in d.events])


def history_rows(ctx: TeamContext, draft: Draft, trajectory: Trajectory) -> list[StepChange]:
    return [
        StepChange(
            trajectory=trajectory,
            kind=hop.kind,
            from_state=hop.source,
            to_state=hop.target,
            actor=hop.actor,
            # the role a history row names: the first that applies, as the FSM does
            actor_role=primary_role(ctx.roles[hop.actor.pk]),
            at=hop.at,
            reason=hop.reason,
            meeting=hop.meeting,
            closure_reason=draft.outcome.closure_reason if hop.kind == Kind.CLOSE else "",
        )
        for hop in draft.hops
    ]
