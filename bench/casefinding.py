"""Casefinding (issue 18 §1): a practice's list of 3,000 patients checked (the preview) and
imported, through Django's whole request path in this process (the POH's upload form, with
Django's test client: server time without the network). Target: under 5 s each.

Each run happens in a transaction that is rolled back: the benchmark database stays as it was,
and the next run imports the same list anew.

    python -m bench.casefinding [--size region|tiny] [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import time

from bench.common import against_target, heading, machine, setup

TARGET_S = 5.0


class Rollback(Exception):
    pass


def practice_list(rows: int, today: datetime.date) -> bytes:
    """`rows` patients of 75 to 95 with risk flags, none of them a resident of any team."""
    lines = [
        "patientnummer;voornaam;tussenvoegsel;achternaam;geboortedatum;aantal_geneesmiddelen;"
        "multimorbiditeit;geen_contact_3_jaar;kwetsbaarheidsscore"
    ]
    for i in range(rows):
        born = today.replace(year=today.year - 75 - i % 20, day=1) - datetime.timedelta(days=i % 27)
        lines.append(
            f"B{i:06d};Benchmarkje;{'van' if i % 7 == 0 else ''};Lijstpatiënt{i};"
            f"{born:%d-%m-%Y};{i % 15};{'ja' if i % 3 else 'nee'};{'ja' if i % 11 == 0 else 'nee'};"
            f"0,{i % 10}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run(size: str, rows: int | None = None, runs: int | None = None) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from clients.casefinding import Candidate
    from kernteam.models import Membership

    rows = rows or (3000 if size == "region" else 200)
    runs = runs or (3 if size == "region" else 1)
    poh = Membership.objects.active().filter(role="poh").select_related("team", "user").first()
    slug = poh.team.slug
    data = practice_list(rows, timezone.localdate())
    sha = hashlib.sha256(data).hexdigest()
    client = Client()
    client.force_login(poh.user)
    url = f"/teams/{slug}/casefinding/"
    heading(f"Casefinding: a list of {rows} rows ({len(data) / 1024:.0f} KiB), team {slug}")
    print(machine())
    checks, imports = [], []
    for _ in range(runs):
        try:
            with transaction.atomic():
                upload = SimpleUploadedFile("lijst.csv", data, content_type="text/csv")
                start = time.perf_counter()
                checked = client.post(
                    url, {"file": upload, "action": "check"}, HTTP_HX_REQUEST="true"
                )
                checks.append(time.perf_counter() - start)
                assert checked.status_code == 200, checked.status_code
                assert f'value="{sha}"' in checked.content.decode(), "the preview found problems"
                upload = SimpleUploadedFile("lijst.csv", data, content_type="text/csv")
                start = time.perf_counter()
                done = client.post(
                    url,
                    {"file": upload, "action": "import", "previewed": sha},
                    HTTP_HX_REQUEST="true",
                )
                imports.append(time.perf_counter() - start)
                assert "HX-Redirect" in done.headers, done.status_code
                assert Candidate.objects.filter(practice_number__startswith="B").count() >= rows
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
