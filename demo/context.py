"""One team as the seeder sees it: its staff, its closed meetings and its random keys."""

from __future__ import annotations

import bisect
import datetime
import random
from collections import Counter
from typing import Any

from faker import Faker

from demo.data import HISTORY_DAYS, SeedOptions
from demo.helpers import User, local_date, local_datetime
from kernteam.models import Meeting, Team
from kernteam.roles import Role
from steps.states import add_months


class TeamContext:
    """What every part of a team's seeding shares; creates the team's meetings if missing."""

    def __init__(
        self, team: Team, options: SeedOptions, faker: Faker, created: Counter[str]
    ) -> None:
        self.team = team
        self.options = options
        self.today = options.today
        self.faker = faker
        self.created = created
        self.earliest = self.today - datetime.timedelta(days=HISTORY_DAYS)
        self.roles: dict[int, set[str]] = {}  # user id -> the roles they hold on the team
        self.staff = self._staff()
        self.meetings = self._ensure_meetings()
        self.meeting_days = [local_date(m.scheduled_for) for m in self.meetings]

    def key(self, *parts: object) -> str:
        """A random seed that depends only on the demo seed, the team and `parts`."""
        return ":".join(str(p) for p in (self.options.seed, self.team.slug, *parts))

    def bulk(self, model: type, objects: list[Any]) -> None:
        model.objects.bulk_create(objects)
        self.created[model._meta.model_name] += len(objects)

    def _staff(self) -> dict[str, User]:
        staff: dict[str, User] = {}
        for m in self.team.memberships.active().select_related("user").order_by("pk"):
            staff.setdefault(m.role, m.user)
            self.roles.setdefault(m.user_id, set()).add(m.role)
        return staff

    # --- meetings -------------------------------------------------------------------------

    def _ensure_meetings(self) -> list[Meeting]:
        """Monthly closed meetings over the past year (only when the team has none yet)."""
        closed = Meeting.Status.CLOSED
        existing = list(self.team.meetings.filter(status=closed).order_by("scheduled_for", "pk"))
        if existing:
            return existing
        weekday, week, hour = self.meeting_slot()
        meetings = []
        for months_back in range(13, -1, -1):
            day = nth_weekday(add_months(self.today.replace(day=1), -months_back), weekday, week)
            if not self.earliest <= day < self.today:
                continue
            start = local_datetime(day, hour)
            meetings.append(
                Meeting(
                    team=self.team,
                    scheduled_for=start,
                    status=closed,
                    chair=self.staff[Role.COORDINATOR],
                    opened_at=start,
                    closed_at=start + datetime.timedelta(minutes=90),
                )
            )
        self.bulk(Meeting, meetings)
        return meetings

    def meeting_slot(self) -> tuple[int, int, int]:
        """The team meets on the `week`-th `weekday` of the month at `hour`."""
        rng = random.Random(self.key("meetings"))
        return rng.randint(0, 3), rng.randint(0, 2), rng.choice((9, 10, 13, 14))

    def ensure_next_meeting(self, *, today: bool = False) -> None:
        """A planned meeting to open: the next in the team's rhythm, or today's (the scenario
        team, so the demo shows meeting mode at once). Not when one is planned or open."""
        if self.team.meetings.exclude(status=Meeting.Status.CLOSED).exists():
            return
        weekday, week, hour = self.meeting_slot()
        day = self.today
        if not today:
            day = nth_weekday(self.today.replace(day=1), weekday, week)
            if day < self.today:
                day = nth_weekday(add_months(self.today.replace(day=1), 1), weekday, week)
        self.bulk(Meeting, [Meeting(team=self.team, scheduled_for=local_datetime(day, hour))])

    def meeting_on_or_before(self, day: datetime.date) -> Meeting | None:
        index = bisect.bisect_right(self.meeting_days, day) - 1
        if index < 0 or self.meeting_days[index] < self.earliest:
            return None
        return self.meetings[index]

    def meetings_between(self, first: datetime.date, last: datetime.date) -> list[Meeting]:
        lo = bisect.bisect_left(self.meeting_days, first)
        hi = bisect.bisect_right(self.meeting_days, last)
        return self.meetings[lo:hi]


def nth_weekday(first_of_month: datetime.date, weekday: int, week: int) -> datetime.date:
    """The `week`-th (0-based) `weekday` (0 = Monday) of the month starting at `first_of_month`."""
    offset = (weekday - first_of_month.weekday()) % 7
    return first_of_month + datetime.timedelta(days=offset + 7 * week)
