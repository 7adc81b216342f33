"""The minutes (*verslag*) of a meeting: nobody types them; they are the decisions taken in it.

Per resident, in agenda order: why they were on the agenda, the moves, confirmations and reviews
("discussed, step stays"), goals set, actions agreed (who, what, by when), carers' concerns
dealt with and the care coordinator named. A resident on the agenda without any of these was
not discussed (opening her file is no decision; `steps.meetings.decided_residents` reads the
same records). Residents decided on without being on the agenda follow, by name. A constant
number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clients.models import Concern, CoordinatorChange, Resident
from kernteam.models import AgendaItem, Meeting
from steps.models import AgreedAction, Goal, StepChange
from steps.own_goal import OwnGoal


@dataclass
class MinutesEntry:
    resident: Resident
    item: AgendaItem | None = None
    changes: list[StepChange] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    actions: list[AgreedAction] = field(default_factory=list)
    concerns: list[Concern] = field(default_factory=list)
    coordinators: list[CoordinatorChange] = field(default_factory=list)
    # what mattered to her in her own words when the meeting closed (or now, while it runs)
    own_goal: OwnGoal | None = None

    @property
    def decided(self) -> bool:
        return bool(
            self.changes or self.goals or self.actions or self.concerns or self.coordinators
        )


@dataclass
class Minutes:
    meeting: Meeting
    entries: list[MinutesEntry]
    hidden: int = 0  # residents left out: the reader's discipline may not see them

    @property
    def action_count(self) -> int:
        return sum(len(e.actions) for e in self.entries)

    @property
    def decision_count(self) -> int:
        return sum(len(e.changes) for e in self.entries)


def meeting_minutes(*, meeting: Meeting, hidden: set[int] = frozenset()) -> Minutes:
    entries: dict[int, MinutesEntry] = {}

    def entry(resident: Resident) -> MinutesEntry:
        return entries.setdefault(resident.pk, MinutesEntry(resident=resident))

    for item in meeting.agenda.select_related("resident").order_by("position", "pk"):
        entry(item.resident).item = item
    changes = StepChange.objects.filter(meeting=meeting).select_related(
        "trajectory__resident", "actor"
    )
    for change in changes.order_by("at", "pk"):
        entry(change.trajectory.resident).changes.append(change)
    for goal in Goal.objects.filter(meeting=meeting).select_related("resident").order_by("pk"):
        entry(goal.resident).goals.append(goal)
    actions = AgreedAction.objects.filter(meeting=meeting).select_related(
        "resident", "owner_member", "owner_carer"
    )
    for action in actions.order_by("due_on", "pk"):
        entry(action.resident).actions.append(action)
    handled = meeting.handled_concerns.select_related("resident", "carer").order_by(
        "raised_at", "pk"
    )
    for concern in handled:
        entry(concern.resident).concerns.append(concern)
    named = meeting.coordinator_changes.select_related(
        "resident", "actor", "from_coordinator", "to_coordinator"
    )
    for change in named.order_by("at", "pk"):
        entry(change.resident).coordinators.append(change)
    own_goals = OwnGoal.objects.filter(resident_id__in=list(entries))
    if meeting.closed_at is not None:
        own_goals = own_goals.filter(noted_at__lte=meeting.closed_at)
    for version in own_goals.order_by("noted_at", "pk"):  # the latest wins
        entries[version.resident_id].own_goal = version
    shown = [e for e in entries.values() if e.resident.pk not in hidden]
    on_agenda = [e for e in shown if e.item is not None]
    others = sorted(
        (e for e in shown if e.item is None),
        key=lambda e: (e.resident.last_name, e.resident.first_name, e.resident.pk),
    )
    return Minutes(meeting=meeting, entries=on_agenda + others, hidden=len(entries) - len(shown))
