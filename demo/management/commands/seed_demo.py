"""`manage.py seed_demo`: fill the database with deterministic demo data (see demo)."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo import region

SCALES = {"default": None, "region": region.REGION_RESIDENTS_PER_TEAM}


class Command(BaseCommand):
    help = (
        "Seed demo teams, members, meetings and residents. Idempotent; the same --seed and "
        "--today give the same data. --scale region tops every team up to "
        f"{region.REGION_RESIDENTS_PER_TEAM} residents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=region.DEFAULT_SEED)
        parser.add_argument(
            "--today", type=_date, default=None, help="Reference date, YYYY-MM-DD (default: today)."
        )
        parser.add_argument("--scale", choices=sorted(SCALES), default="default")
        parser.add_argument("--teams", type=int, default=None, help="Seed only the first N teams.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.KERNTEAM_DEMO_ALLOWED:
            raise CommandError(
                "Demo data (with a published password) is never loaded under production settings."
            )
        teams = options["teams"]
        if teams is not None and not 1 <= teams <= len(region.TEAMS):
            raise CommandError(f"--teams must be between 1 and {len(region.TEAMS)}.")
        seed_options = region.SeedOptions(
            today=options["today"] or timezone.localdate(),
            seed=options["seed"],
            teams=teams,
            residents_per_team=SCALES[options["scale"]],
        )
        started = time.monotonic()
        result = region.seed(seed_options, log=self.stdout.write)
        elapsed = time.monotonic() - started
        created = ", ".join(f"{n} {name}" for name, n in sorted(result.created.items()) if n)
        self.stdout.write(f"Created: {created or 'nothing (already seeded)'} in {elapsed:.1f}s.")
        self._print_logins(result.logins)

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        width = max(len(username) for username, _role, _team in logins)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins"))
        for username, role, team in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role:<38}  {team}")
        self.stdout.write(f"  password for all: {region.PASSWORD}")


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc
