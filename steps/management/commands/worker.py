"""`manage.py worker`: Kernteam's background process (issue 19). It runs the task worker of
django-tasks-db (sending mail, with retries) and, in a thread beside it, the planner
(`steps.notify_plan.plan`: digests, reminders, lost mails) once a minute. `make run` starts one
beside the server; in production it runs as its own service (README, "Production").

Several workers may run at once: tasks are claimed with a row lock, and everything the planner
makes is one database row per person and event, so nothing goes out twice."""

from __future__ import annotations

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from steps.notify_plan import plan

logger = logging.getLogger("steps.worker")


class Planner(threading.Thread):
    def __init__(self, every: float) -> None:
        super().__init__(name="kernteam-planner", daemon=True)
        self.every = every
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                done = plan()
                if any(done.values()):
                    logger.info("Planned: %s", done)
            except Exception:  # a failed round is tried again next round
                logger.exception("The planner's round failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.every)


class Command(BaseCommand):
    help = "Send mail in the background and plan the digests and reminders (issue 19)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--plan-every", type=float, default=60.0, help="Seconds between planner rounds."
        )
        parser.add_argument(
            "--no-planner", action="store_true", help="Only run tasks (another worker plans)."
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="One planner round, then every task that is due, then exit.",
        )

    def handle(self, *args, plan_every: float, no_planner: bool, once: bool, **options) -> None:
        verbosity = options.get("verbosity", 1)
        if once:
            if not no_planner:
                self.stdout.write(f"Planned: {plan()}")
            call_command(
                "db_worker", batch=True, reload=False, verbosity=verbosity, startup_delay=False
            )
            return
        planner = None
        if not no_planner:
            planner = Planner(plan_every)
            planner.start()
        try:
            call_command("db_worker", reload=False, verbosity=verbosity, startup_delay=False)
        finally:
            if planner is not None:
                planner.stopping.set()
