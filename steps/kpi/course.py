"""A resident's course through the states, day by day, from her history rows: what the
outcome KPIs (`steps.kpi.outcomes`) count days and residents in care with."""

from __future__ import annotations

import bisect
import datetime

from steps.states import STEPS, State

ONE_DAY = datetime.timedelta(days=1)
IN_CARE = frozenset({*STEPS, State.ADMITTED})


FOREVER = datetime.date.max.toordinal()
NOWHERE = ("", "")  # (state, held step) before her first row


class Course:
    """One resident's state and held step at the end of each day, from her history rows (in
    the order they were written): `days[k]` is the first day that ends in `ends[k]`, a pair
    (state, held step: the step she holds, while admitted the one she left, or "")."""

    def __init__(self, rows: list[tuple]) -> None:
        self.days: list[datetime.date] = []
        self.ends: list[tuple[str, str]] = []
        for day, _kind, from_state, to_state, _meeting in rows:
            if to_state in STEPS:
                end = (to_state, to_state)
            else:
                end = (to_state, from_state if to_state == State.ADMITTED else "")
            if self.days and self.days[-1] == day:  # the last row of the day decides
                self.ends[-1] = end
            else:
                self.days.append(day)
                self.ends.append(end)
        self.ever_in_care = any(state in IN_CARE for state, _held in self.ends)

    def at_end_of(self, day: datetime.date) -> tuple[str, str]:
        """(state, held step) at the end of `day`."""
        k = bisect.bisect_right(self.days, day) - 1
        return self.ends[k] if k >= 0 else NOWHERE

    def stretches(self) -> list[tuple[int, int, tuple[str, str]]]:
        """(first day, last day, (state, held step)) of each stretch of days that end alike,
        the days as ordinals; the last runs on without end."""
        days = [day.toordinal() for day in self.days]
        return [
            (first, days[k + 1] - 1 if k + 1 < len(days) else FOREVER, self.ends[k])
            for k, first in enumerate(days)
        ]

    def in_care_on(self, day: datetime.date) -> bool:
        return self.at_end_of(day - ONE_DAY)[0] in IN_CARE or self.at_end_of(day)[0] in IN_CARE

    def care_stretches(self, until: datetime.date) -> list[tuple[int, int, bool]]:
        """(first day, last day, at home) of each stretch of days in care up to and including
        `until`, the days as ordinals (`date.toordinal`: what the KPIs add up, fast); at home:
        in a step, not admitted. A stretch runs from a day to the day before the next one that
        ends in another state."""
        found = []
        days, limit = self.days, until.toordinal()
        for k, (state, _held) in enumerate(self.ends):
            first = days[k].toordinal()
            if first > limit:
                break
            if state in IN_CARE:
                last = days[k + 1].toordinal() - 1 if k + 1 < len(days) else limit
                found.append((first, min(last, limit), state in STEPS))
        return found


class Window:
    """The KPI window's days as ordinals, for adding up stretches of days by month without a
    loop over the months: `first` to `last` (today), each day's month, each month's last day."""

    def __init__(self, months) -> None:
        self.first = months[0].first.toordinal()
        self.last = months[-1].last.toordinal()
        self.ends = [month.last.toordinal() for month in months]
        self.month_of: list[int] = []  # by day offset from `first`
        for m, month in enumerate(months):
            self.month_of += [m] * (month.last.toordinal() - month.first.toordinal() + 1)

    def months_of(self, first: int, last: int) -> tuple[int, int] | None:
        """The months (first, last index) holding days `first` to `last`, or None when none of
        those days is in the window."""
        first, last = max(first, self.first), min(last, self.last)
        if first > last:
            return None
        return self.month_of[first - self.first], self.month_of[last - self.first]

    def month_ends_in(self, first: int, last: int) -> tuple[int, int]:
        """The months whose last day (today for the current one) lies in days `first` to
        `last`, as a range (start, stop)."""
        return bisect.bisect_left(self.ends, first), bisect.bisect_right(self.ends, last)

    def days_per_month(self, stretches) -> list[int]:
        """The number of days of `stretches` ((first, last) days) in each month: a difference
        array over the window's days."""
        size = self.last - self.first + 1
        diff = [0] * (size + 1)
        for first, last in stretches:
            first, last = max(first, self.first), min(last, self.last)
            if first <= last:
                diff[first - self.first] += 1
                diff[last - self.first + 1] -= 1
        per_month = [0] * len(self.ends)
        running = 0
        for offset in range(size):
            running += diff[offset]
            per_month[self.month_of[offset]] += running
        return per_month


def added_up(diff: list[int]) -> list[int]:
    """A difference array (one longer) as the running totals it stands for."""
    totals, running = [], 0
    for change in diff[:-1]:
        running += change
        totals.append(running)
    return totals
