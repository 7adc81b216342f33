"""What the notification tests share (issue 19): a fixed Monday in Maastricht (the fixtures
are in conftest.py: never today's date), links that start with a known address, members with
an address, and the worker's sending run as `manage.py worker --once --no-planner` runs it."""

from __future__ import annotations

import datetime
import zoneinfo

from django.core.management import call_command

from steps.models import AgreedAction

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
MONDAY = datetime.date(2026, 12, 7)  # Maria Janssen (born 14 March 1938) is 88
BASE = "https://kernteam.example.nl"  # KERNTEAM_BASE_URL: where the links lead


def at(day: datetime.date, hour: int = 8, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=AMS)


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.nl"
        user.save(update_fields=["email"])
    return users[0]


def send_mail_now() -> None:
    """What `manage.py worker --once --no-planner` runs, without its random start-up delay."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def overdue(resident, owner, by) -> AgreedAction:
    return AgreedAction.objects.create(
        resident=resident,
        description="Medicatie nalopen",
        due_on=MONDAY - datetime.timedelta(days=1),
        owner_member=owner,
        created_by=by,
    )
