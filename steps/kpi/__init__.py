"""The KPIs of the Kernteam Ouderen programme, per team or for the region (a set of teams).

The regional funding is paid against KPI milestones, so every figure has an exact definition:
it is written in the docstring of the class that holds the figure. In short:

- `StatesOverTime`: residents per state at the end of each month (last history row on or before
  that day);
- `StepMoves`: step-ups and step-downs per month (moves, not residents);
- `TimeInStep`: median calendar days of the periods in each step that ended in the window; an
  admission does not end a period; still-running periods are counted apart, not in the median;
- `CarePlanCoverage`: residents now in step 2-4 (or admitted from it) with an active care
  coordinator and a care plan (an open goal and an open agreed action);
- `ReviewsOnTime`: at each month's end, residents in a step whose latest review (a step
  given or kept: a step assignment, or "discussed, step stays") is within the step's review
  interval;
- `OpenActions`: open agreed actions of active residents now, and how many are overdue;
- `CarerBurden`: carers of active residents whose latest CSI/EDIZ-plus is at/above the cut-off;
- `MeetingsAndDecisions`: meetings opened per month and the decisions recorded with them.

The outcome KPIs (`steps.kpi.outcomes`, per month; *in care*: in a step or admitted from one):
- `OutcomeRates`: falls, SEH visits, out-of-hours GP contacts and hospital admissions that
  occurred while in care, per 1,000 residents in care that month;
- `DaysAtHome`: resident-days in a step as a share of resident-days in care (a step or
  admitted), each day by the state at its end;
- `PzpCoverage`: at each month's end, the share of residents holding step 3-4 with a PZP
  conversation held by then;
- `MedicationCoverage`: at each month's end, the share of residents eligible for a medication
  review (`steps.medication`) whose last review is less than 12 months old;
- `CarerBurden.high_supported` (today): carers with a high burden for whom an action marked
  "supports the informal carer" is open or was done in the window.

The referral KPIs (`steps.kpi.referrals`, per month; every referral status counts):
- `ReferralsPerKind`: referrals to local offers by the month they were made and the offer's
  kind;
- `StepDownReferrals`: step-downs whose resident was referred to a local offer from 30 days
  before to 30 days after;
- `ReferralFeedback`: of the referrals whose 42 days ended in the month (before today), the
  share with the provider's first feedback on or before day 42 (typed, or a status only the
  provider gives: `Referral.objects.with_feedback_days`, the agenda's rule); one stopped in
  time without feedback is not counted.

The window is the 12 calendar months up to and including `today` (the current month counts up
to `today`); days are local days (Europe/Amsterdam). Every selector takes the teams and `today`
(default: the local date) as keywords and runs a constant number of queries, whatever the
number of teams or residents; `dashboard` computes them all from one shared fetch (12 queries).

Aggregates only: no selector returns anything about one resident.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kernteam.models import Team
from steps.kpi.care import (
    CarePlanCoverage,
    CarerBurden,
    OpenActions,
    care_plan_coverage,
    care_plan_coverage_in,
    carer_burden,
    carer_burden_in,
    open_actions,
    open_actions_in,
)
from steps.kpi.history import (
    ReviewsOnTime,
    StatesOverTime,
    StepMoves,
    StepTime,
    TimeInStep,
    residents_per_state,
    reviews_on_time,
    reviews_on_time_in,
    states_over_time_in,
    step_label,
    step_moves,
    step_moves_in,
    time_in_step,
    time_in_step_in,
)
from steps.kpi.meetings import (
    MeetingsAndDecisions,
    meetings_and_decisions,
    meetings_and_decisions_in,
)
from steps.kpi.outcomes import (
    DaysAtHome,
    MedicationCoverage,
    OutcomeRates,
    PzpCoverage,
    days_at_home,
    days_at_home_in,
    medication_coverage,
    medication_coverage_in,
    outcome_rates,
    outcome_rates_in,
    pzp_coverage,
    pzp_coverage_in,
)
from steps.kpi.referrals import (
    ReferralFeedback,
    ReferralsPerKind,
    StepDownReferrals,
    referral_feedback,
    referral_feedback_in,
    referrals_per_kind,
    referrals_per_kind_in,
    step_down_referrals,
    step_down_referrals_in,
)
from steps.kpi.scope import Month, Scope, Table, months_up_to, share

# Every KPI by name (the names are also the CSV downloads': /kpi/<name>.csv).
KPIS: dict[str, Callable[[Scope], object]] = {
    "states": states_over_time_in,
    "moves": step_moves_in,
    "time_in_step": time_in_step_in,
    "care_plans": care_plan_coverage_in,
    "reviews": reviews_on_time_in,
    "actions": open_actions_in,
    "carers": carer_burden_in,
    "meetings": meetings_and_decisions_in,
    "outcomes": outcome_rates_in,
    "days_at_home": days_at_home_in,
    "pzp": pzp_coverage_in,
    "medication": medication_coverage_in,
    "referrals": referrals_per_kind_in,
    "step_down_referrals": step_down_referrals_in,
    "referral_feedback": referral_feedback_in,
}


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    months: Sequence[Month]
    states: StatesOverTime
    moves: StepMoves
    time_in_step: TimeInStep
    care_plans: CarePlanCoverage
    reviews: ReviewsOnTime
    actions: OpenActions
    carers: CarerBurden
    meetings: MeetingsAndDecisions
    outcomes: OutcomeRates
    days_at_home: DaysAtHome
    pzp: PzpCoverage
    medication: MedicationCoverage
    referrals: ReferralsPerKind
    step_down_referrals: StepDownReferrals
    referral_feedback: ReferralFeedback


def dashboard(
    *, teams: Iterable[Team], today: datetime.date | None = None, region: bool = False
) -> Dashboard:
    """Every KPI for `teams` (`region`: they are every team), sharing one fetch of the
    history."""
    scope = Scope(teams=teams, today=today, region=region)
    figures = {name: compute(scope) for name, compute in KPIS.items()}
    return Dashboard(today=scope.today, months=scope.months, **figures)


def kpi(
    name: str, *, teams: Iterable[Team], today: datetime.date | None = None, region: bool = False
):
    """One KPI by its name (KeyError for an unknown name)."""
    return KPIS[name](Scope(teams=teams, today=today, region=region))


__all__ = [
    "KPIS",
    "CarePlanCoverage",
    "CarerBurden",
    "Dashboard",
    "DaysAtHome",
    "MedicationCoverage",
    "MeetingsAndDecisions",
    "Month",
    "OpenActions",
    "OutcomeRates",
    "PzpCoverage",
    "ReferralFeedback",
    "ReferralsPerKind",
    "ReviewsOnTime",
    "Scope",
    "StatesOverTime",
    "StepDownReferrals",
    "StepMoves",
    "StepTime",
    "Table",
    "TimeInStep",
    "care_plan_coverage",
    "carer_burden",
    "dashboard",
    "days_at_home",
    "kpi",
    "medication_coverage",
    "meetings_and_decisions",
    "months_up_to",
    "open_actions",
    "outcome_rates",
    "pzp_coverage",
    "referral_feedback",
    "referrals_per_kind",
    "residents_per_state",
    "reviews_on_time",
    "share",
    "step_down_referrals",
    "step_label",
    "step_moves",
    "time_in_step",
]
