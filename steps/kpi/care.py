"""KPIs on the care records as they stand: care plans and coordinators of frail residents,
open and overdue agreed actions, carers' burden. One aggregate query each.

These are snapshots of the records now: goals, actions and coordinators keep no history of
their status, so a past day cannot be reconstructed. `today` decides only what is overdue and
which assessments count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from clients.instruments import Instrument
from clients.models import Assessment, Carer, CarerLink
from kernteam.models import Membership, Team
from steps.kpi.scope import Scope, Table, share
from steps.models import AgreedAction, Goal, Trajectory
from steps.states import FRAIL_STEPS, OPEN_STATES, holding

BURDEN_INSTRUMENTS = (Instrument.CSI, Instrument.EDIZ_PLUS)


# --- frail residents with a care plan and a coordinator -------------------------------------


@dataclass(frozen=True)
class CarePlanCoverage:
    """KPI *share of frail residents with a care plan and a coordinator*.

    Frail residents: the teams' residents whose trajectory is now in step 2, 3 or 4, or who are
    temporarily admitted from one of these steps (they keep their step).
    - *with a coordinator*: a care coordinator is named and is still one of the people on the
      resident's team (in any role; an integration account is no person: `Team.people`);
    - *with a care plan*: at least one open goal and at least one open agreed action (an
      overdue open action still counts: the plan exists);
    - the KPI is the share with both.
    """

    frail: int
    with_coordinator: int
    with_care_plan: int
    with_both: int

    @property
    def share(self) -> float | None:
        return share(self.with_both, self.frail)

    def table(self) -> Table:
        headers = [_("measure"), _("residents"), _("of frail residents (%)")]
        rows = [
            [_("frail residents (step 2 or higher)"), self.frail, share(self.frail, self.frail)],
            [_("with a care coordinator"), self.with_coordinator, self._of(self.with_coordinator)],
            [_("with a care plan"), self.with_care_plan, self._of(self.with_care_plan)],
            [_("with both"), self.with_both, self._of(self.with_both)],
        ]
        return Table(headers, rows)

    def _of(self, n: int) -> float | None:
        return share(n, self.frail)


def care_plan_coverage_in(scope: Scope) -> CarePlanCoverage:
    open_goal = Exists(Goal.objects.filter(resident=OuterRef("resident"), status=Goal.Status.OPEN))
    open_action = Exists(
        AgreedAction.objects.filter(resident=OuterRef("resident"), status=AgreedAction.Status.OPEN)
    )
    coordinator = Exists(
        Membership.objects.active()
        .of_people()
        .filter(team=OuterRef("resident__team"), user=OuterRef("resident__coordinator"))
    )
    # (filtered by team also for the region: without it PostgreSQL's plan took twice as long)
    frail = Trajectory.objects.filter(resident__team_id__in=scope.team_ids).filter(
        holding(FRAIL_STEPS)
    )
    # Grouped by the three answers (at most 8 rows): each EXISTS is asked once per resident.
    rows = (
        frail.order_by()
        .annotate(coordinator=coordinator, goal=open_goal, action=open_action)
        .values("coordinator", "goal", "action")
        .annotate(n=Count("pk"))
        .values_list("coordinator", "goal", "action", "n")
    )
    figures = dict.fromkeys(("frail", "with_coordinator", "with_care_plan", "with_both"), 0)
    for has_coordinator, has_goal, has_action, n in rows:
        figures["frail"] += n
        figures["with_coordinator"] += n if has_coordinator else 0
        figures["with_care_plan"] += n if has_goal and has_action else 0
        figures["with_both"] += n if has_coordinator and has_goal and has_action else 0
    return CarePlanCoverage(**figures)


# --- open and overdue agreed actions --------------------------------------------------------


@dataclass(frozen=True)
class OpenActions:
    """KPI *open and overdue actions*.

    Agreed actions with status "open" of the teams' residents whose record is not closed, on
    `today`. *Overdue*: due before `today`; days late = `today` minus the due date, in bands of
    1-14, 15-42 and more than 42 days.
    """

    open: int
    overdue: int
    late_up_to_14: int
    late_15_to_42: int
    late_over_42: int

    @property
    def not_yet_due(self) -> int:
        return self.open - self.overdue

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.open)

    def table(self) -> Table:
        headers = [_("measure"), _("actions")]
        rows = [
            [_("open actions"), self.open],
            [_("not yet due"), self.not_yet_due],
            [_("overdue"), self.overdue],
            [_("overdue 1-14 days"), self.late_up_to_14],
            [_("overdue 15-42 days"), self.late_15_to_42],
            [_("overdue more than 42 days"), self.late_over_42],
        ]
        return Table(headers, rows)


def open_actions_in(scope: Scope) -> OpenActions:
    today = scope.today

    def before(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    actions = AgreedAction.objects.filter(
        **scope.of_teams("resident__team_id"),
        resident__trajectory__state__in=OPEN_STATES,
        status=AgreedAction.Status.OPEN,
    )
    figures = actions.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        late_up_to_14=Count("pk", filter=Q(due_on__lt=today, due_on__gte=before(14))),
        late_15_to_42=Count("pk", filter=Q(due_on__lt=before(14), due_on__gte=before(42))),
        late_over_42=Count("pk", filter=Q(due_on__lt=before(42))),
    )
    return OpenActions(**figures)


# --- carers with a high burden --------------------------------------------------------------


@dataclass(frozen=True)
class CarerBurden:
    """KPI *carers with a high burden score*.

    Carers with an active link (not ended) to at least one of the teams' residents whose record
    is not closed; a carer linked to several residents counts once. Per carer, their latest
    carer-burden assessment (CSI or EDIZ-plus, assessed on or before `today`; the latest
    assessment date, then the latest recorded), whichever resident it was recorded with.
    *High burden*: that latest score is at or above the instrument's cut-off (CSI >= 7,
    EDIZ-plus >= 9; `Assessment.above_cutoff`). A carer whose latest score dropped below the
    cut-off no longer counts, whatever came before. The share is of the carers assessed.

    *With support agreed* (an outcome KPI): of the carers with a high burden, those for whom
    an agreed action marked "supports the informal carer" (respite care, carer support) is in
    place for one of the residents she is linked to as above: open, or done in the window. The
    mark is on the resident's action, not on one carer: support agreed for the family of a
    resident counts for each of her carers with a high burden.
    A snapshot of today, like the rest of the care records (a cancelled action keeps no date).
    """

    carers: int
    assessed: int
    high: int
    high_supported: int = 0

    @property
    def supported_share(self) -> float | None:
        return share(self.high_supported, self.high)

    @property
    def not_assessed(self) -> int:
        return self.carers - self.assessed

    @property
    def high_share(self) -> float | None:
        return share(self.high, self.assessed)

    def table(self) -> Table:
        headers = [_("measure"), _("carers")]
        rows = [
            [_("carers of active residents"), self.carers],
            [_("burden assessed (CSI or EDIZ-plus)"), self.assessed],
            [_("high burden (latest score at or above the cut-off)"), self.high],
            [_("high burden, with carer support agreed"), self.high_supported],
            [_("high burden, without carer support"), self.high - self.high_supported],
            [_("not high (latest score below the cut-off)"), self.assessed - self.high],
            [_("never assessed"), self.not_assessed],
        ]
        return Table(headers, rows)


def carer_burden_in(scope: Scope) -> CarerBurden:
    linked = CarerLink.objects.active().filter(
        carer=OuterRef("pk"),
        **scope.of_teams("resident__team_id"),
        resident__trajectory__state__in=OPEN_STATES,
    )
    latest = Assessment.objects.filter(
        carer=OuterRef("pk"), instrument__in=BURDEN_INSTRUMENTS, assessed_on__lte=scope.today
    ).order_by("-assessed_on", "-pk")
    rows = (
        Carer.objects.filter(Exists(linked))
        .order_by()
        .annotate(latest_high=Subquery(latest.values("above_cutoff")[:1]))
        .values("latest_high")
        .annotate(n=Count("pk"))
        .values_list("latest_high", "n")
    )
    by_outcome = dict(rows)  # True: high, False: not high, None: never assessed
    high, not_high = by_outcome.get(True, 0), by_outcome.get(False, 0)
    # Of the carers with a high burden, those with support agreed for a resident they are
    # linked to as above: a second query over those few carers only (asked in the first one,
    # its planner's estimate made PostgreSQL compile it, JIT, for more than it took to run).
    supported = AgreedAction.objects.filter(
        Q(status=AgreedAction.Status.OPEN)
        | Q(status=AgreedAction.Status.DONE, done_at__gte=scope.since, done_at__lt=scope.until),
        supports_carer=True,
    ).values("resident_id")
    with_support = (
        Carer.objects.filter(Exists(linked.filter(resident_id__in=supported)))
        .annotate(latest_high=Subquery(latest.values("above_cutoff")[:1]))
        .filter(latest_high=True)
        .count()
    )
    return CarerBurden(
        carers=sum(by_outcome.values()),
        assessed=high + not_high,
        high=high,
        high_supported=with_support,
    )


# --- the public selectors -------------------------------------------------------------------


def care_plan_coverage(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> CarePlanCoverage:
    return care_plan_coverage_in(Scope(teams=teams, today=today))


def open_actions(*, teams: Iterable[Team], today: datetime.date | None = None) -> OpenActions:
    return open_actions_in(Scope(teams=teams, today=today))


def carer_burden(*, teams: Iterable[Team], today: datetime.date | None = None) -> CarerBurden:
    return carer_burden_in(Scope(teams=teams, today=today))
