"""Small helpers shared by the demo modules: weighted choices, days and times."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

User = Any  # the auth user model (typing only)


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def local_datetime(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(hour, minute))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def working_time(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return local_datetime(day, rng.randint(8, 16), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))


def random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    """A day in [first, last]; `first` when the range is empty."""
    span = (last - first).days
    return first + datetime.timedelta(days=rng.randint(0, span)) if span > 0 else first
