"""KPIs read from the residents' history (StepChange rows): states over time, step moves, time
in each step, reviews on time. One query for the history."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, DateField
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from kernteam.models import Team
from steps.kpi.scope import Month, Scope, Table, share
from steps.models import Kind, StepChange
from steps.states import REVIEWING, STEPS, State, review_due

# Rows that give a resident a step: the step after screening, a step up, a step down, and the
# step a resident was taken over in from an earlier record (the caseload import).
ASSIGNING = frozenset({Kind.ENTER, Kind.STEP_UP, Kind.STEP_DOWN, Kind.TAKE_OVER})
IN_A_STEP = frozenset(STEPS)


def step_label(step: str) -> str:
    return {
        State.STEP1: _("Step 1"),
        State.STEP2: _("Step 2"),
        State.STEP3: _("Step 3"),
        State.STEP4: _("Step 4"),
    }[step]


def state_label(state: str) -> str:
    """Short enough for a table's column: "Step 2" rather than "Step 2 · Coordinated care"."""
    return step_label(state) if state in STEPS else State(state).label


# --- residents per state, and reviews on time, at every month's end --------------------------


@dataclass(frozen=True)
class StatesOverTime:
    """KPI *residents per state over time*.

    For each month of the window, the number of the teams' residents in each state at the end
    of its last day (the current month: at the end of `today`). A resident's state on a day is
    the `to` state of their last history row dated on or before that day. Residents with no
    history row by then are not counted (they were not yet signalled). Every state is counted,
    "closed" included (it only grows); "active" is every state but closed.
    """

    months: Sequence[Month]
    counts: dict[str, list[int]]  # state -> per month

    def active(self, index: int) -> int:
        return sum(n[index] for state, n in self.counts.items() if state != State.CLOSED)

    def table(self) -> Table:
        headers = [_("month"), *(state_label(s) for s in State.values), _("active (not closed)")]
        rows = [
            [month, *(self.counts[s][i] for s in State.values), self.active(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


@dataclass(frozen=True)
class ReviewsOnTime:
    """KPI *reviewed on time* (per the review intervals of `steps.states.review_due`).

    Measured at the end of each month of the window (the current month: at the end of
    `today`), over the residents then holding step 1, 2, 3 or 4 (state as in
    `StatesOverTime`; temporarily admitted residents are left out: the team waits for their
    return, as the board does).

    A *review* is what sets the resident's next review date, the date the board's "review
    overdue" flag, the agenda and the carer portal read (`steps.states.REVIEWING`): a history
    row that assigns a step (after screening, a step up or a step down) or keeps it ("discussed,
    step stays"), in a meeting or not. Not a review: the resident opened or on the agenda in a
    meeting, a goal or action agreed, a carer's concern handled, an urgent step-up confirmed
    (the step-up was one). A return home from an admission is not a review either, and unlike
    the board's flag (which asks for a review at once after a return) it does not make one
    due: the interval of the step decides.
    A resident taken over from an earlier record (`steps.caseload`) brings the last review
    that record names; the take-over itself is no review (nobody on the team reviewed her).

    A resident is *on time* at a month's end when their latest review on or before that day is
    recent enough for the step they hold: `review_due(step, last review) >= that day` (step 1:
    12 months, step 2: 6 months, step 3: 3 months, step 4: 6 weeks).
    """

    months: Sequence[Month]
    in_step: list[int]
    on_time: list[int]

    def share(self, index: int) -> float | None:
        return share(self.on_time[index], self.in_step[index])

    def table(self) -> Table:
        headers = [_("month"), _("residents in a step"), _("reviewed on time"), _("share (%)")]
        rows = [
            [month, self.in_step[i], self.on_time[i], self.share(i)]
            for i, month in enumerate(self.months)
        ]
        return Table(headers, rows)


def earliest_review(step: str, day: datetime.date) -> datetime.date:
    """The earliest last-review day that still counts as on time in `step` on `day`: the least
    r with review_due(step, r) >= day (review_due grows with r; short months make it flat)."""
    due = review_due(step, day)
    assert due is not None
    r = day - (due - day)
    one = datetime.timedelta(days=1)
    while review_due(step, r - one) >= day:
        r -= one
    while review_due(step, r) < day:
        r += one
    return r


def states_over_time_in(scope: Scope) -> StatesOverTime:
    """Counted in SQL: every history row moves one resident out of its `from` state and into its
    `to` state, so the count in a state at a month's end is the sum of those moves up to then
    (a resident's first row comes from no state). One grouped query, a few hundred rows."""
    n = len(scope.months)
    before: Counter[str] = Counter()
    moves: list[Counter[str]] = [Counter() for _ in range(n)]
    rows = (
        StepChange.objects.filter(
            **scope.of_teams("trajectory__resident__team_id"), at__lt=scope.until
        )
        .order_by()
        .annotate(month=TruncMonth("at", output_field=DateField()))
        .values("month", "from_state", "to_state")
        .annotate(n=Count("pk"))
        .values_list("month", "from_state", "to_state", "n")
    )
    for month, from_state, to_state, count in rows:
        m = scope.month_index(month)
        tally = before if m is None else moves[m]
        tally[to_state] += count
        if from_state:
            tally[from_state] -= count
    counts = {state: [0] * n for state in State.values}
    for m in range(n):
        before.update(moves[m])
        for state in State.values:
            counts[state][m] = before[state]
    return StatesOverTime(scope.months, counts)


def reviews_on_time_in(scope: Scope) -> ReviewsOnTime:
    """A replay of every resident's history to each month's end, with their review days."""
    months = scope.months
    lasts = [month.last for month in months]
    n = len(months)
    earliest = {step: [earliest_review(step, last) for last in lasts] for step in STEPS}
    in_step, on_time = [0] * n, [0] * n
    imported = scope.imported_reviews
    for resident_id, rows in scope.histories.items():
        reviews = [day for day, kind, *_rest in rows if kind in REVIEWING]
        if resident_id in imported:  # (before any row of hers: taken over with it)
            reviews.insert(0, imported[resident_id])
        i = j = 0
        state, last_review = "", None
        for m in range(scope.month_index(rows[0][0]) or 0, n):
            last = lasts[m]
            while i < len(rows) and rows[i][0] <= last:
                state = rows[i][3]
                i += 1
            if state not in IN_A_STEP:
                continue
            while j < len(reviews) and reviews[j] <= last:
                last_review = reviews[j]
                j += 1
            in_step[m] += 1
            if last_review is not None and last_review >= earliest[state][m]:
                on_time[m] += 1
    return ReviewsOnTime(months, in_step, on_time)


# --- step-ups and step-downs per month ------------------------------------------------------


@dataclass(frozen=True)
class StepMoves:
    """KPI *step-ups and step-downs per month*.

    History rows of kind "step up" and "step down" of the teams' residents, by the local day
    they were recorded. Moves are counted, not residents: a resident who stepped up and down in
    one month adds one to each. Not counted: the step given after screening, confirmations of
    an urgent step-up (the step-up itself counts, once), admissions, returns and closures.
    """

    months: Sequence[Month]
    up: list[int]
    down: list[int]

    def table(self) -> Table:
        headers = [_("month"), _("step-ups"), _("step-downs")]
        rows = [[month, self.up[i], self.down[i]] for i, month in enumerate(self.months)]
        return Table(headers, rows)


def step_moves_in(scope: Scope) -> StepMoves:
    up, down = [0] * len(scope.months), [0] * len(scope.months)
    tally = {Kind.STEP_UP: up, Kind.STEP_DOWN: down}
    for rows in scope.histories.values():
        for day, kind, *_rest in rows:
            if kind in tally and (m := scope.month_index(day)) is not None:
                tally[kind][m] += 1
    return StepMoves(scope.months, up, down)


# --- median time in each step ---------------------------------------------------------------


@dataclass(frozen=True)
class StepTime:
    step: str
    median_days: float | None  # None: no period ended in the window
    ended: int  # periods that ended in the window (the median is over these)
    running: int  # periods still running at the end of `today` (not in the median)


@dataclass(frozen=True)
class TimeInStep:
    """KPI *median time in each step*.

    A *period* in step N starts with a history row that gives the resident step N (the step
    after screening, a step up or a step down to N) and ends with the resident's next such row
    (to another step) or with the closure of their record. A temporary admission does not end
    it: the resident keeps their step and returns to it. Its length is the number of calendar
    days between the two rows' local days.

    Per step: the median length of the periods that *ended* in the window (on or after the
    first day of its first month, up to and including `today`). Periods still running at the
    end of `today` are left out of the median (their length is not known yet) and counted
    separately.
    """

    steps: list[StepTime]

    def table(self) -> Table:
        headers = [
            _("step"),
            _("median days in step"),
            _("periods ended"),
            _("periods still running"),
        ]
        rows = [[step_label(s.step), s.median_days, s.ended, s.running] for s in self.steps]
        return Table(headers, rows)


def time_in_step_in(scope: Scope) -> TimeInStep:
    lengths: dict[str, list[int]] = {step: [] for step in STEPS}
    running = dict.fromkeys(STEPS, 0)
    for rows in scope.histories.values():
        held, since = "", None
        for day, kind, _from, to, _meeting in rows:
            if kind not in ASSIGNING and kind != Kind.CLOSE:
                continue
            if held and day >= scope.first_day:
                lengths[held].append((day - since).days)
            # (a take-over can be to signalled or screening: no step yet)
            held, since = (to, day) if kind in ASSIGNING and to in IN_A_STEP else ("", None)
        if held:
            running[held] += 1
    return TimeInStep(
        [
            StepTime(
                step,
                statistics.median(lengths[step]) if lengths[step] else None,
                len(lengths[step]),
                running[step],
            )
            for step in STEPS
        ]
    )


# --- the public selectors -------------------------------------------------------------------


def residents_per_state(
    *, teams: Iterable[Team], today: datetime.date | None = None
) -> StatesOverTime:
    return states_over_time_in(Scope(teams=teams, today=today))


def reviews_on_time(*, teams: Iterable[Team], today: datetime.date | None = None) -> ReviewsOnTime:
    return reviews_on_time_in(Scope(teams=teams, today=today))


def step_moves(*, teams: Iterable[Team], today: datetime.date | None = None) -> StepMoves:
    return step_moves_in(Scope(teams=teams, today=today))


def time_in_step(*, teams: Iterable[Team], today: datetime.date | None = None) -> TimeInStep:
    return time_in_step_in(Scope(teams=teams, today=today))
