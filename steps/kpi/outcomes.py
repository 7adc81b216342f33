"""The programme's outcome KPIs, per month: outcome events per 1,000 residents in care, days at
home, PZP in step 3-4, medication reviews of eligible residents. They read the residents'
history (`Scope.histories`, shared with the other KPIs) and one query each for the events, the
PZP conversations and the medication reviews.

*In care* on a day: holding a step (1-4) or temporarily admitted from one at the start or at the
end of that day, that is at the end of the day before or of the day itself (a resident's state
at the end of a day is the `to` state of her last history row of that day or before). So the
day she is given her first step counts, and so does the day she died or her record was closed.
Signalled and screening are not yet in care; closed is no longer. When her death is on record
(the outcome event), care ends that day, however many days later the record was closed.

Figures for past months are as the records stand now: a PZP conversation, a medication review
or an event recorded late counts from the date it gives (the day it was held, done, occurred).
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from clients.care_planning import CarePlanning
from clients.models import MedicationReview
from kernteam.models import Team
from steps.kpi.course import added_up
from steps.kpi.scope import Month, Scope, Table, share
from steps.medication import covered, eligible, next_review
from steps.outcomes import EventKind, OutcomeEvent
from steps.states import PZP_EXPECTED

NO_REVIEW = (None, None)  # (reviewed on, medicines in use) without a review
# The events counted per 1,000 residents in care, in the order of the table.
RATED = (EventKind.FALL, EventKind.EMERGENCY, EventKind.OUT_OF_HOURS, EventKind.HOSPITAL)


def per_thousand(count: int, residents: int) -> float | None:
    """`count` per 1,000 `residents`, to one decimal (None without residents)."""
    return round(1000 * count / residents, 1) if residents else None


# --- outcome events per 1,000 residents in care -----------------------------------------------


@dataclass(frozen=True)
class OutcomeRates:
    """KPI *falls, SEH visits, out-of-hours contacts and hospital admissions per 1,000
    residents in care*, per month.

    *Residents in care in a month*: the teams' residents in care (see the module) on at least
    one day of the month. *Events*: the outcome events of each kind that occurred on a day of
    the month (their date, not when they were recorded) on which their resident was in care;
    every event counts, so a resident who fell twice adds two. An admission recorded by the
    *admitted* move and the event it goes with are one event (`steps.outcomes`). The rate is
    events / residents in care x 1,000, to one decimal.
    """

    months: Sequence[Month]
    residents: list[int]
    events: dict[str, list[int]]  # kind -> per month

    def rate(self, kind: str, index: int) -> float | None:
        return per_thousand(self.events[kind][index], self.residents[index])

    def total_rate(self, index: int) -> float | None:
        """All four kinds together, per 1,000 (not a sum of rounded rates)."""
        return per_thousand(sum(self.events[k][index] for k in RATED), self.residents[index])

    def table(self) -> Table:
        headers = [_("month"), _("residents in care")]
        for kind in RATED:
            label = EventKind(kind).label
            headers += [label, _("%(event)s per 1,000") % {"event": label}]
        rows = []
        for i, month in enumerate(self.months):
            row = [month, self.residents[i]]
            for kind in RATED:
                row += [self.events[kind][i], self.rate(kind, i)]
            rows.append(row)
        return Table(headers, rows)


def outcome_rates_in(scope: Scope) -> OutcomeRates:
    courses = scope.courses
    months = scope.months
    n = len(months)
    window = scope.window
    diff = [0] * (n + 1)
    for stretches in scope.care_stretches.values():
        # in care on a day: a day of a stretch, or the day after its last (the months touched,
        # merged so that a resident counts once in each)
        ranges: list[list[int]] = []
        for first, last, _home in stretches:
            if span := window.months_of(first, last + 1):
                if ranges and span[0] <= ranges[-1][1]:
                    ranges[-1][1] = max(ranges[-1][1], span[1])
                else:
                    ranges.append(list(span))
        for low, high in ranges:
            diff[low] += 1
            diff[high + 1] -= 1
    residents = added_up(diff)
    events = {kind: [0] * n for kind in RATED}
    rows = (
        OutcomeEvent.objects.filter(
            **scope.of_teams("resident__team_id"),
            kind__in=RATED,
            occurred_on__gte=scope.first_day,
            occurred_on__lte=scope.today,
        )
        .order_by()
        .values_list("resident_id", "kind", "occurred_on")
    )
    for resident_id, kind, day in rows:
        course = courses.get(resident_id)
        if course is not None and course.in_care_on(day):
            events[kind][scope.month_index(day)] += 1
    return OutcomeRates(months, residents, events)


# --- days at home -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaysAtHome:
    """KPI *days at home*, per month.

    *Resident-days in care*: for each day of the month (the current month: up to and including
    today) and each of the teams' residents, one when her state at the end of that day is a
    step (1-4) or temporarily admitted. *Days at home*: those of them in a step, that is not
    admitted (closed, signalled and screening are not in care). The KPI is days at home as a
    share of resident-days in care.
    """

    months: Sequence[Month]
    in_care: list[int]
    at_home: list[int]

    def share(self, index: int) -> float | None:
        return share(self.at_home[index], self.in_care[index])

    def table(self) -> Table:
        headers = [
            _("month"),
            _("resident-days in care"),
            _("of which at home"),
            _("of which admitted"),
            _("days at home (%)"),
        ]
        rows = [
            [
                month,
                self.in_care[i],
                self.at_home[i],
                self.in_care[i] - self.at_home[i],
                self.share(i),
            ]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def days_at_home_in(scope: Scope) -> DaysAtHome:
    months = scope.months
    stretches = [s for found in scope.care_stretches.values() for s in found]
    in_care = scope.window.days_per_month((first, last) for first, last, _home in stretches)
    at_home = scope.window.days_per_month((first, last) for first, last, home in stretches if home)
    return DaysAtHome(months, in_care, at_home)


# --- PZP in step 3-4 and medication reviews of the eligible, at each month's end -------------


@dataclass(frozen=True)
class PzpCoverage:
    """KPI *share of residents in step 3-4 with a PZP on record*, at the end of each month (the
    current month: at the end of `today`).

    *In step 3-4*: holding step 3 or 4 at the end of that day, temporarily admitted from it
    included (`steps.states.PZP_EXPECTED`). *With a PZP*: a PZP conversation held on or before
    that day (`clients.care_planning`; any version counts).
    """

    months: Sequence[Month]
    high_steps: list[int]
    with_pzp: list[int]

    def share(self, index: int) -> float | None:
        return share(self.with_pzp[index], self.high_steps[index])

    def table(self) -> Table:
        headers = [_("month"), _("residents in step 3-4"), _("with a PZP"), _("share (%)")]
        rows = [
            [month, self.high_steps[i], self.with_pzp[i], self.share(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def pzp_coverage_in(scope: Scope) -> PzpCoverage:
    n = len(scope.months)
    first_pzp = dict(
        CarePlanning.objects.filter(**scope.of_teams("resident__team_id"))
        .order_by()
        .values("resident_id")
        .annotate(first=Min("held_on"))
        .values_list("resident_id", "first")
    )
    window = scope.window
    high, with_pzp = [0] * (n + 1), [0] * (n + 1)  # difference arrays over the months
    for resident_id, course in scope.courses.items():
        if not any(held in PZP_EXPECTED for _state, held in course.ends):
            continue
        pzp_on = first_pzp.get(resident_id)
        pzp_day = pzp_on.toordinal() if pzp_on is not None else None
        for first, last, (_state, held) in course.stretches():
            if held not in PZP_EXPECTED:
                continue
            start, stop = window.month_ends_in(first, last)
            if start < stop:
                high[start] += 1
                high[stop] -= 1
                if (
                    pzp_day is not None
                    and (since := max(start, bisect.bisect_left(window.ends, pzp_day))) < stop
                ):
                    with_pzp[since] += 1
                    with_pzp[stop] -= 1
    return PzpCoverage(scope.months, added_up(high), added_up(with_pzp))


@dataclass(frozen=True)
class MedicationCoverage:
    """KPI *share of eligible residents with a medication review in the last 12 months*, at the
    end of each month (the current month: at the end of `today`).

    *Eligible* on that day by the one rule of `steps.medication.eligible`: holding step 2-4
    (admitted from it included), or step 1 with ten or more medicines on her last review until
    then. *Reviewed*: her last review until then still covers the day, that is it was done
    less than 12 months before (`steps.medication.covered`).
    """

    months: Sequence[Month]
    eligible: list[int]
    reviewed: list[int]

    def share(self, index: int) -> float | None:
        return share(self.reviewed[index], self.eligible[index])

    def table(self) -> Table:
        headers = [
            _("month"),
            _("eligible for a medication review"),
            _("reviewed in the last 12 months"),
            _("share (%)"),
        ]
        rows = [
            [month, self.eligible[i], self.reviewed[i], self.share(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def medication_coverage_in(scope: Scope) -> MedicationCoverage:
    n = len(scope.months)
    reviews: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for resident_id, day, medicines in (
        MedicationReview.objects.filter(
            **scope.of_teams("resident__team_id"), reviewed_on__lte=scope.today
        )
        .order_by("resident_id", "reviewed_on", "pk")
        .values_list("resident_id", "reviewed_on", "medicines_in_use")
    ):
        reviews[resident_id].append((day, medicines))
    window = scope.window
    eligible_n, reviewed = [0] * (n + 1), [0] * (n + 1)  # difference arrays over the months
    for resident_id, course in scope.courses.items():
        if not course.ever_in_care:
            continue
        own = reviews.get(resident_id, ())
        # The answer changes only on a day her state changes, she is reviewed, or a review
        # stops covering: between two such days it holds for every month's end.
        changes = sorted(
            {*course.days, *(day for day, _n in own), *(next_review(day) for day, _n in own)}
        )
        k = -1  # her last review until then
        for i, day in enumerate(changes):
            while k + 1 < len(own) and own[k + 1][0] <= day:
                k += 1
            last_on, medicines = own[k] if k >= 0 else NO_REVIEW
            state, held = course.at_end_of(day)
            if not eligible(state=state, step_before_admission=held, medicines_in_use=medicines):
                continue
            until = changes[i + 1].toordinal() - 1 if i + 1 < len(changes) else window.last
            start, stop = window.month_ends_in(day.toordinal(), until)
            if start < stop:
                eligible_n[start] += 1
                eligible_n[stop] -= 1
                if covered(last_reviewed_on=last_on, day=day):
                    reviewed[start] += 1
                    reviewed[stop] -= 1
    return MedicationCoverage(scope.months, added_up(eligible_n), added_up(reviewed))


# --- shared ---------------------------------------------------------------------------------


def outcome_rates(*, teams: Iterable[Team], today: datetime.date | None = None) -> OutcomeRates:
    return outcome_rates_in(Scope(teams=teams, today=today))


def days_at_home(*, teams: Iterable[Team], today: datetime.date | None = None) -> DaysAtHome:
    return days_at_home_in(Scope(teams=teams, today=today))


def pzp_coverage(*, teams: Iterable[Team], today: datetime.date | None = None) -> PzpCoverage:
    return pzp_coverage_in(Scope(teams=teams, today=today))


def medication_coverage(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> MedicationCoverage:
    return medication_coverage_in(Scope(teams=teams, today=today))
