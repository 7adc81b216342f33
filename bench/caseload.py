"""A team's existing caseload (issue 21 §1): 300 residents checked (the preview) and imported
through the domain services the web page and the API call (`steps.caseload_import`), as the
team's GP, on PostgreSQL. Target: under 10 s each.

Each run happens in a transaction that is rolled back: the benchmark database stays as it was,
and the next run imports the same file anew.

    python -m bench.caseload [--size region|tiny] [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import datetime
import time

from bench.common import against_target, heading, machine, setup

TARGET_S = 10.0
STEPS = ("gesignaleerd", "screening", "stap 1", "stap 2", "stap 2", "stap 3", "stap 4")
FRAIL = ("stap 2", "stap 3", "stap 4")  # named with a care coordinator


class Rollback(Exception):
    pass


def caseload_file(rows: int, today: datetime.date, coordinators: list[str]) -> bytes:
    """`rows` residents of 75 to 95 in every state a caseload holds, none of them a resident of
    any team yet; step 2 and up with a coordinator (by username), all with consent."""
    lines = [
        "patientnummer;voornaam;tussenvoegsel;achternaam;geboortedatum;stap;zorgcoordinator;"
        "toestemming_datum;toestemming_disciplines;mantelzorgers_zien_afspraken;"
        "laatste_evaluatie;volgende_evaluatie;screening_instrument;screening_score;"
        "screening_datum"
    ]
    last = today - datetime.timedelta(days=20)
    for i in range(rows):
        step = STEPS[i % len(STEPS)]
        born = today.replace(year=today.year - 75 - i % 20, day=1) - datetime.timedelta(days=i % 27)
        in_step = step.startswith("stap")
        coordinator = coordinators[i % len(coordinators)] if step in FRAIL else ""
        given = today - datetime.timedelta(days=60)
        consent = "" if step == "gesignaleerd" else f"{given:%d-%m-%Y}"
        lines.append(
            ";".join(
                [
                    f"C{i:06d}",
                    "Benchmarkje",
                    "van" if i % 7 == 0 else "",
                    f"Caseloadcliënt{i}",
                    f"{born:%d-%m-%Y}",
                    step,
                    coordinator,
                    consent,
                    ("alle leden" if i % 3 else "huisarts, poh, wijkverpleegkundige")
                    if consent
                    else "",
                    "ja" if consent and i % 2 else "nee" if consent else "",
                    f"{last:%d-%m-%Y}" if in_step else "",
                    f"{today + datetime.timedelta(days=10):%d-%m-%Y}" if in_step else "",
                    "GFI" if consent else "",
                    str(i % 16) if consent else "",
                    f"{today - datetime.timedelta(days=90):%d-%m-%Y}" if consent else "",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run(size: str, rows: int | None = None, runs: int | None = None) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from kernteam.models import Membership
    from kernteam.roles import Role
    from steps.caseload_import import import_caseload, preview_caseload

    rows = rows or 300
    runs = runs or (3 if size == "region" else 1)
    gp = Membership.objects.active().filter(role=Role.GP).select_related("team", "user").first()
    team = gp.team
    coordinators = sorted(
        set(
            team.people()
            .filter(role__in=[Role.POH, Role.DISTRICT_NURSE, Role.GP])
            .values_list("user__username", flat=True)
        )
    )
    data = caseload_file(rows, timezone.localdate(), coordinators)
    heading(f"Caseload: a file of {rows} residents ({len(data) / 1024:.0f} KiB), team {team.slug}")
    print(machine())
    checks, imports = [], []
    for _ in range(runs):
        try:
            with transaction.atomic():
                start = time.perf_counter()
                preview = preview_caseload(team=team, by=gp.user, file_name="c.csv", data=data)
                checks.append(time.perf_counter() - start)
                assert preview.ok and len(preview.new) == rows, preview.messages()[:5]
                start = time.perf_counter()
                made, created = import_caseload(
                    team=team, by=gp.user, file_name="c.csv", data=data, previewed=preview.sha256
                )
                imports.append(time.perf_counter() - start)
                assert created and made.rows == rows
                raise Rollback
        except Rollback:
            pass
    figures = {}
    for label, seconds in (("preview", checks), ("import", imports)):
        stats = against_target(label, seconds, target_s=TARGET_S)
        figures[label] = {"summary": stats, "max_s": max(seconds)}
    return {"rows": rows, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.rows, args.runs)


if __name__ == "__main__":
    main()
