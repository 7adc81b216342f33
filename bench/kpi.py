"""KPI page for the whole region: server time and SQL queries, as the programme office opens it
(Django's test client: the whole request path in this process, without the network).

    python -m bench.kpi [--size region|tiny] [--renders N]
"""

from __future__ import annotations

import argparse
import time

from bench.common import heading, machine, setup, summary

TARGET_MS = 500


def run(size: str, renders: int | None = None) -> dict:
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clients.models import Resident
    from kernteam.roles import PROGRAMME_OFFICE
    from steps.models import StepChange

    renders = renders or (20 if size == "region" else 3)
    office = Group.objects.get(name=PROGRAMME_OFFICE).user_set.first()
    client = Client()
    client.force_login(office)
    residents, moves = Resident.objects.count(), StepChange.objects.count()
    heading(f"KPI page, the region: {residents} residents, {moves} history rows")
    print(machine())
    figures = {}
    for label, url in (("region page", "/kpi/?team=regio"), ("region CSV", _csv_url())):
        client.get(url)  # warm
        times, counts = [], set()
        for _ in range(renders):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            counts.add(len(queries))
        stats = summary(times)
        figures[label] = {"summary": stats, "queries": sorted(counts)}
        print(f"{label:14s} {stats.ms()}  queries {'/'.join(map(str, sorted(counts)))}")
    median = figures["region page"]["summary"].median
    verdict = "meets" if median < TARGET_MS else "MISSES"
    print(f"region page: median {median:.0f} ms (target < {TARGET_MS} ms: {verdict})")
    return {"residents": residents, "history_rows": moves, "pages": figures}


def _csv_url() -> str:
    return "/kpi/states.csv?team=regio"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=["region", "tiny"], default="region")
    parser.add_argument("--renders", type=int)
    args = parser.parse_args()
    setup(args.size)
    run(args.size, args.renders)


if __name__ == "__main__":
    main()
