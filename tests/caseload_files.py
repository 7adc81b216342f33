"""Caseload files for the tests of the caseload import (issue 21 §1): CSV bytes as a team's
spreadsheet or GP system exports them, with the template's columns (docs/caseload-template.csv).
Every date counts from today, so no test depends on the day it runs.

    caseload([resident("P1", state="stap 2", coordinator="poh.daalhof")])

`resident` gives a row that is valid for a team built by `tests.helpers.build_team` (its members'
usernames are "<role>.<team slug>"): each keyword overrides one column, "" leaves it empty.
"""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kernteam.models import years_later

HEADER = (
    "patientnummer",
    "voornaam",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "stap",
    "zorgcoordinator",
    "toestemming_datum",
    "toestemming_disciplines",
    "mantelzorgers_zien_afspraken",
    "laatste_evaluatie",
    "volgende_evaluatie",
    "screening_instrument",
    "screening_score",
    "screening_datum",
)
KEYS = (
    "number",
    "first",
    "prefix",
    "last",
    "born",
    "state",
    "coordinator",
    "consent_on",
    "disciplines",
    "carers_see",
    "last_review",
    "next_review",
    "instrument",
    "score",
    "screened_on",
)


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def born(age: int) -> datetime.date:
    """A date of birth that gives `age` today (a month past the birthday)."""
    return years_later(today(), -age) - datetime.timedelta(days=30)


def dutch(day: datetime.date | None) -> str:
    return day.strftime("%d-%m-%Y") if day else ""


def resident(
    number: str,
    first: str = "Maria",
    last: str = "Janssen",
    *,
    state: str = "stap 2",
    coordinator: str = "poh.daalhof",
    **columns: str,
) -> dict[str, str]:
    """A row valid for the Daalhof test team: a resident of 82 in `state`, consent for all
    members a month ago, carers see shared actions, last reviewed a month ago with the next
    review a week on (within every step's interval), a GFI of 6 two months ago. Signalled: no
    coordinator, consent, reviews or score unless given; screening: no reviews."""
    row = {
        "number": number,
        "first": first,
        "prefix": "",
        "last": last,
        "born": dutch(born(82)),
        "state": state,
        "coordinator": coordinator,
        "consent_on": dutch(days_ago(30)),
        "disciplines": "alle leden",
        "carers_see": "ja",
        "last_review": dutch(days_ago(30)),
        "next_review": dutch(today() + datetime.timedelta(days=7)),
        "instrument": "GFI",
        "score": "6",
        "screened_on": dutch(days_ago(60)),
    }
    if state.strip().lower() in ("gesignaleerd", "signalled"):
        row.update(dict.fromkeys(KEYS[6:], ""))
    elif state.strip().lower() == "screening":
        row.update(last_review="", next_review="")
    unknown = set(columns) - set(KEYS)
    assert not unknown, f"unknown columns: {unknown}"
    row.update(columns)
    return row


def caseload(
    rows,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    header=HEADER,
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    """The CSV bytes of `rows` (dicts from `resident`, or tuples of cells)."""
    lines = [delimiter.join(header)]
    for row in rows:
        cells = [row.get(key, "") for key in KEYS] if isinstance(row, dict) else list(row)
        lines.append(delimiter.join(_quoted(cell, delimiter) for cell in cells))
    text = newline.join(lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def _quoted(cell: str, delimiter: str) -> str:
    if delimiter in cell or '"' in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def upload(data: bytes, name: str = "caseload.csv", content_type: str = "text/csv"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def every_step() -> bytes:
    """Six residents, one in each state a caseload holds: signalled, screening, step 1 to 4."""
    return caseload(
        [
            resident("P1", "Anna", "Brouwers", state="gesignaleerd"),
            resident("P2", "Hélène", "Smeets", state="screening"),
            resident("P3", "Jan", "Wouters", state="stap 1", coordinator=""),
            resident("P4", "Thea", "Peters", state="stap 2"),
            resident("P5", "Els", "Hendriks", state="stap 3"),
            resident("P6", "Jo", "Ramakers", state="stap 4"),
        ]
    )
