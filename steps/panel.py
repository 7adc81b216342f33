"""What the resident panel shows: the timeline of moves, scores with their trend, goals per
domain, agreed actions, and the moves the viewer may take now."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from clients.instruments import Instrument
from clients.models import Assessment, Resident
from kernteam.models import Meeting
from steps.models import TRANSITION_LABELS, AgreedAction, Domain, Goal, StepChange
from steps.rules import Move
from steps.services import available_moves


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
    meeting: Meeting | None = None
    today: object = field(default_factory=timezone.localdate)


def open_meeting_for(*, team) -> Meeting | None:
    """The team's meeting in progress today, if any: moves taken now are team decisions."""
    meetings = Meeting.objects.filter(team=team, status=Meeting.Status.OPEN)
    return next((m for m in meetings.order_by("-opened_at") if m.takes_decisions), None)


def resident_panel(*, resident: Resident, user) -> Panel:
    trajectory = resident.trajectory
    meeting = open_meeting_for(team=resident.team)
    history = list(trajectory.history.select_related("actor", "meeting").order_by("-at", "-pk"))
    lines: dict[str, list[Assessment]] = {}
    for a in resident.assessments.select_related("assessed_by").order_by("assessed_on", "pk"):
        lines.setdefault(a.instrument, []).append(a)
    goals_by_domain: dict[str, list[Goal]] = {}
    for g in resident.goals.order_by("created_at"):
        goals_by_domain.setdefault(g.domain, []).append(g)
    actions = list(
        resident.actions.select_related("owner_member", "owner_carer").order_by("status", "due_on")
    )
    names = available_moves(trajectory=trajectory, move=Move(by=user, meeting=meeting))
    return Panel(
        resident=resident,
        history=history,
        scores=[ScoreLine(code, Instrument(code).label, s) for code, s in lines.items()],
        goals=[(str(Domain(d).label), goals_by_domain[d]) for d in Domain if d in goals_by_domain],
        actions=actions,
        moves=[(name, str(TRANSITION_LABELS[name])) for name in names],
        meeting=meeting,
    )
