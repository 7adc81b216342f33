"""KPI on the team meetings (MDO): meetings held and decisions taken per month. One query."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from clients.models import Concern
from kernteam.models import Meeting, Team
from steps.kpi.scope import Month, Scope, Table
from steps.models import AgreedAction, Goal, StepChange


@dataclass(frozen=True)
class MeetingsAndDecisions:
    """KPI *meetings held and decisions taken*, per month.

    *Meetings held*: the teams' meetings that were opened (in progress or closed; a planned
    meeting nobody opened was not held), in the month of the local day they were opened.
    *Decisions taken*: the records tied to those meetings, in the month the meeting was opened;
    each record is one decision:
    - step decisions: history rows recorded in the meeting (a step after screening, step up or
      down, a confirmed urgent step-up, a review that keeps the step, an admission, return,
      closure, ...);
    - goals set in the meeting;
    - agreed actions made in the meeting;
    - carers' concerns handled in the meeting.
    """

    months: Sequence[Month]
    meetings: list[int]
    step_decisions: list[int]
    goals: list[int]
    actions: list[int]
    concerns: list[int]

    def decisions(self, index: int) -> int:
        return (
            self.step_decisions[index]
            + self.goals[index]
            + self.actions[index]
            + self.concerns[index]
        )

    @property
    def total_meetings(self) -> int:
        return sum(self.meetings)

    @property
    def total_decisions(self) -> int:
        return sum(self.decisions(i) for i in range(len(self.months)))

    def table(self) -> Table:
        headers = [
            _("month"),
            _("meetings held"),
            _("step decisions"),
            _("goals set"),
            _("actions agreed"),
            _("concerns handled"),
            _("decisions in total"),
        ]
        rows = [
            [
                month,
                self.meetings[i],
                self.step_decisions[i],
                self.goals[i],
                self.actions[i],
                self.concerns[i],
                self.decisions(i),
            ]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def _count(model, field: str):
    """The number of `model` rows whose `field` is the outer meeting."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0), output_field=IntegerField())


def meetings_and_decisions_in(scope: Scope) -> MeetingsAndDecisions:
    n = len(scope.months)
    meetings, changes, goals, actions, concerns = ([0] * n for _ in range(5))
    rows = (
        Meeting.objects.filter(
            **scope.of_teams("team_id"), opened_at__gte=scope.since, opened_at__lt=scope.until
        )
        .order_by()
        .annotate(
            day=TruncDate("opened_at"),
            changes=_count(StepChange, "meeting"),
            goals=_count(Goal, "meeting"),
            actions=_count(AgreedAction, "meeting"),
            concerns=_count(Concern, "handled_in"),
        )
        .values_list("day", "changes", "goals", "actions", "concerns")
    )
    for day, n_changes, n_goals, n_actions, n_concerns in rows:
        m = scope.month_index(day)
        if m is None:  # pragma: no cover - the filter keeps to the window
            continue
        meetings[m] += 1
        changes[m] += n_changes
        goals[m] += n_goals
        actions[m] += n_actions
        concerns[m] += n_concerns
    return MeetingsAndDecisions(scope.months, meetings, changes, goals, actions, concerns)


def meetings_and_decisions(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> MeetingsAndDecisions:
    return meetings_and_decisions_in(Scope(teams=teams, today=today))
