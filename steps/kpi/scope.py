"""What one set of KPIs is about: a set of teams and the 12 months up to a day; and the rows that
several KPIs share, fetched once per scope.

Days are local days (settings.TIME_ZONE, Europe/Amsterdam): a move recorded at 00:30 on the
1st of March in Maastricht counts in March, whatever the UTC time.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from kernteam.models import Team
from steps.caseload import CaseloadEntry
from steps.kpi.course import Course, Window
from steps.models import Kind, StepChange
from steps.outcomes import EventKind, OutcomeEvent
from steps.referrals import FEEDBACK_WITHIN_DAYS, Referral
from steps.states import add_months

MONTHS = 12

# One history row as the KPIs read it: (local day, kind, from state, to state, in a meeting).
HistoryRow = tuple[datetime.date, str, str, str, bool]
# One referral as the KPIs read it: (resident, offer kind, referred on, feedback received on,
# wait ended on) (`Referral.objects.with_feedback_days`).
ReferralRow = tuple[int, str, datetime.date, datetime.date | None, datetime.date | None]
# The referrals fetched reach back this far before the window: a step-down looks 30 days back
# for one, and feedback due in the window's first month was asked 42 days before it.
REFERRALS_BEFORE = datetime.timedelta(days=max(30, FEEDBACK_WITHIN_DAYS))


@dataclass(frozen=True)
class Month:
    """A calendar month of the window; `last` is its last day, or `today` in the current one."""

    first: datetime.date
    last: datetime.date
    current: bool = False  # the month of `today`


def months_up_to(today: datetime.date, count: int = MONTHS) -> list[Month]:
    """The `count` calendar months ending with today's (which runs up to and including today)."""
    this_month = today.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        first = add_months(this_month, -back)
        last = today if back == 0 else add_months(first, 1) - datetime.timedelta(days=1)
        months.append(Month(first, last, current=back == 0))
    return months


def start_of(day: datetime.date) -> datetime.datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class Table:
    """A KPI's figures as rows: what the page shows beneath a chart and what its CSV holds."""

    headers: list[str]
    rows: list[list] = field(default_factory=list)


def share(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, to one decimal (None when there is nothing to share)."""
    return round(100 * part / whole, 1) if whole else None


class LocalDay(TruncDate):
    """The local calendar day of a moment, as TruncDate, without TruncDate's own conversion of
    every row in Python: the database answers a date already (and on SQLite the date field's
    converter still applies). On the region's 17,000 history rows: 87 -> 67 ms."""

    def get_db_converters(self, connection):
        return self.output_field.get_db_converters(connection)


class Scope:
    """The teams and months of one KPI view, with the rows several KPIs read (fetched on first
    use, once). `today` defaults to the local date."""

    def __init__(
        self, *, teams: Iterable[Team], today: datetime.date | None = None, region: bool = False
    ) -> None:
        self.team_ids: list[int] = sorted({team.pk for team in teams})
        self.region = region  # `teams` are every team: nothing to filter on
        self.today = today or timezone.localdate()
        self.months: Sequence[Month] = months_up_to(self.today)
        self.first_day = self.months[0].first
        self.since = start_of(self.first_day)
        self.until = start_of(self.today + datetime.timedelta(days=1))  # exclusive

    def of_teams(self, team: str) -> dict:
        """The filter for rows whose `team` (a lookup path such as "resident__team_id") is one
        of the scope's teams. For the region none: every row is, and leaving out the join to
        the resident takes a fifth off the region's page (docs/performance.md)."""
        return {} if self.region else {f"{team}__in": self.team_ids}

    def month_index(self, day: datetime.date) -> int | None:
        """The position of `day`'s month in the window, or None outside it."""
        if not self.first_day <= day <= self.today:
            return None
        return (day.year - self.first_day.year) * 12 + day.month - self.first_day.month

    @cached_property
    def histories(self) -> dict[int, list[HistoryRow]]:
        """Per resident, in the order they were written, their history rows up to and including
        today that can concern a step: every kind but "signalled" and "screening started" (those
        come before any step; a reopened record's row to "signalled" is kept). One query."""
        rows = (
            StepChange.objects.filter(
                **self.of_teams("trajectory__resident__team_id"), at__lt=self.until
            )
            .exclude(kind__in=(Kind.SIGNAL, Kind.SCREEN))
            .order_by("trajectory_id", "at", "pk")
            .annotate(day=LocalDay("at"))
            .values_list(
                "trajectory__resident_id", "day", "kind", "from_state", "to_state", "meeting"
            )
        )
        found: dict[int, list[HistoryRow]] = defaultdict(list)
        for resident_id, day, kind, from_state, to_state, meeting in rows:
            found[resident_id].append((day, kind, from_state, to_state, meeting is not None))
        return found

    @cached_property
    def imported_reviews(self) -> dict[int, datetime.date]:
        """Per resident taken over from an earlier record (`steps.caseload`), the last review
        that record names, if any. One query."""
        rows = (
            CaseloadEntry.objects.filter(**self.of_teams("team_id"), last_review_on__isnull=False)
            .order_by()
            .values_list("resident_id", "last_review_on")
        )
        return dict(rows)

    @cached_property
    def window(self) -> Window:
        return Window(self.months)

    @cached_property
    def care_stretches(self) -> dict[int, list[tuple[int, int, bool]]]:
        """Per resident ever in care, her stretches of days in care up to today
        (`Course.care_stretches`), or up to the day before her death when one is on record:
        a record closed days after the death does not add days in care."""
        deaths, day_before = self.deaths, datetime.timedelta(days=1)
        return {
            pk: course.care_stretches(
                min(self.today, deaths[pk] - day_before) if pk in deaths else self.today
            )
            for pk, course in self.courses.items()
            if course.ever_in_care
        }

    @cached_property
    def deaths(self) -> dict[int, datetime.date]:
        """Per resident, the date of her death when one is on record (an outcome event; the
        earliest if there were two by mistake). One query."""
        rows = (
            OutcomeEvent.objects.filter(
                **self.of_teams("resident__team_id"),
                kind=EventKind.DEATH,
                occurred_on__lte=self.today,
            )
            .order_by()
            .values("resident_id")
            .annotate(day=Min("occurred_on"))
            .values_list("resident_id", "day")
        )
        return dict(rows)

    @cached_property
    def courses(self) -> dict[int, Course]:
        """Per resident, her state at the end of each day (`steps.kpi.course`), from
        `histories`."""
        return {pk: Course(rows) for pk, rows in self.histories.items()}

    @cached_property
    def referrals(self) -> list[ReferralRow]:
        """The referrals of the teams' residents to local offers (`steps.referrals`) made from
        42 days before the window up to and including today, with the days the provider's
        feedback came and the wait for it ended, by the one rule of
        `Referral.objects.with_feedback_days`. One query (`steps.kpi.referrals`)."""
        return list(
            Referral.objects.filter(
                **self.of_teams("action__resident__team_id"),
                referred_on__gte=self.first_day - REFERRALS_BEFORE,
                referred_on__lte=self.today,
            )
            .with_feedback_days()
            .order_by()
            .values_list(
                "action__resident_id",
                "offer__kind",
                "referred_on",
                "feedback_received_on",
                "wait_ended_on",
            )
        )
