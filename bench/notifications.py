"""The daily digest (issue 19): every member's digest for all teams computed and "sent" (to
Django's locmem mail backend, which stores messages) as the worker does it at 07:00, including
handing each mail to the task queue and running those tasks. Target: under 30 s for the region,
with a number of queries bounded per team (not per resident): both are printed.

Each run happens in a transaction that is rolled back: the database stays as it was.

    python -m bench.notifications [--size region|tiny] [--runs N]
"""

from __future__ import annotations

import argparse
import time

from bench.common import against_target, heading, machine, setup

TARGET_S = 30.0


class Rollback(Exception):
    pass


def run(size: str, runs: int | None = None) -> dict:
    from django.core import mail
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from clients.notify import mail_notice
    from kernteam.models import Membership, Team
    from kernteam.notices import DigestRun, Kind, Notice
    from steps.digest import due_lines, send_digests

    runs = runs or (3 if size == "region" else 1)
    teams = Team.objects.count()
    members = Membership.objects.active().values("user").distinct().count()
    day = timezone.localdate()
    heading(f"Daily digest: {teams} teams, {members} members, {day}")
    print(machine())
    computed, delivered, figures = [], [], {}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for _ in range(runs):
            mail.outbox = []
            try:
                with transaction.atomic():
                    today = Notice.objects.filter(kind=Kind.DIGEST, key=f"digest:{day}")
                    Notice.objects.filter(digest__in=today).update(digest=None)
                    today.delete()  # (a worker's digests of today: the run makes them anew)
                    DigestRun.objects.filter(day=day).delete()
                    with CaptureQueriesContext(connection) as queries:
                        start = time.perf_counter()
                        made = send_digests(day=day)
                        computed.append(time.perf_counter() - start)
                    figures["digests"] = made
                    figures["queries"] = len(queries)
                    with CaptureQueriesContext(connection) as due:
                        for team in Team.objects.all():
                            due_lines(team=team, day=day)
                    figures["per_team"] = (len(due) - 1) / max(teams, 1)
                    figures["per_digest"] = (len(queries) - len(due)) / max(made, 1)
                    start = time.perf_counter()
                    pending = Notice.objects.filter(
                        kind=Kind.DIGEST, key=f"digest:{day}", mail_status="pending"
                    ).values_list("pk", flat=True)
                    for pk in pending:  # what the worker does with each task
                        mail_notice.call(pk)
                    delivered.append(time.perf_counter() - start)
                    figures["mails"] = len(mail.outbox)
                    raise Rollback
            except Rollback:
                pass
    total = [c + d for c, d in zip(computed, delivered, strict=True)]
    for label, seconds in (("compute", computed), ("send", delivered), ("total", total)):
        against_target(label, seconds, target_s=TARGET_S, scope=" in all")
    print(
        f"digests {figures['digests']}, mails {figures['mails']}; queries {figures['queries']}: "
        f"{figures['per_team']:.0f} per team to find what is due, "
        f"{figures['per_digest']:.1f} per digest written"
    )
    return {"teams": teams, **figures, "max_total_s": max(total)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.runs)


if __name__ == "__main__":
    main()
