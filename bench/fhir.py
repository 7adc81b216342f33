"""The FHIR export (issue 20): what an integrator pulls. The largest team's bundle (collection
and transaction), one resident's bundle (what `GET /fhir/<Type>/<id>` and `$everything` build),
each read by the team's GP. Target: a team bundle under 2 s, a resident's under 100 ms, with
a number of queries that does not grow with the residents (printed).

Each run reads only.

    python -m bench.fhir [--size region|tiny] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import heading, machine, setup, summary

TEAM_TARGET_S = 2.0
RESIDENT_TARGET_MS = 100.0


def run(size: str, runs: int | None = None) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from clients.models import Resident
    from kernteam.models import Membership, Team
    from kernteam.policy import member_roles
    from kernteam.roles import Role
    from steps.fhir import export_bundle

    runs = runs or (5 if size == "region" else 1)
    team = Team.objects.annotate(n=Count("residents")).order_by("-n", "pk").first()
    gp = Membership.objects.active().filter(team=team, role=Role.GP).first().user
    member_roles(gp)  # (known for the request, as the API's token sign-in knows them)
    residents = Resident.objects.filter(team=team)
    heading(f"FHIR export: team {team.slug}, {residents.count()} residents")
    print(machine())
    figures: dict[str, object] = {}
    for bundle_type in ("collection", "transaction"):
        seconds = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                bundle = export_bundle(residents=residents, reader=gp, bundle_type=bundle_type)
                seconds.append(time.perf_counter() - start)
        size_mb = len(json.dumps(bundle, separators=(",", ":"))) / 1e6
        verdict = "meets" if max(seconds) < TEAM_TARGET_S else "MISSES"
        stats = summary([s * 1000 for s in seconds])
        print(
            f"team {bundle_type:11s} {stats.ms()}  {len(bundle['entry'])} entries, "
            f"{size_mb:.1f} MB, {len(queries)} queries (target < {TEAM_TARGET_S:.0f} s: {verdict})"
        )
        figures[f"team_{bundle_type}_max_s"] = max(seconds)
    one = Resident.objects.filter(pk=residents.order_by("-pk").first().pk)
    times = []
    for _ in range(runs * 4):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            export_bundle(residents=one, reader=gp)
            times.append((time.perf_counter() - start) * 1000)
    stats = summary(times)
    verdict = "meets" if max(times) < RESIDENT_TARGET_MS else "MISSES"
    print(
        f"resident         {stats.ms()}  {len(queries)} queries "
        f"(target < {RESIDENT_TARGET_MS:.0f} ms: {verdict})"
    )
    figures["resident_max_ms"] = max(times)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.runs)


if __name__ == "__main__":
    main()
