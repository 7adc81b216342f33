"""Practice lists for the casefinding tests (issue 18 §1): CSV bytes as Dutch practice systems
export them. Dates of birth count back from today, so no test depends on the day it runs."""

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
    "aantal_geneesmiddelen",
    "multimorbiditeit",
    "geen_contact_3_jaar",
    "kwetsbaarheidsscore",
)


def born(age: int) -> datetime.date:
    """A date of birth that gives `age` today (a month past the birthday)."""
    return years_later(timezone.localdate(), -age) - datetime.timedelta(days=30)


def dutch(day: datetime.date) -> str:
    return day.strftime("%d-%m-%Y")


def person(
    number: str,
    first: str = "Maria",
    last: str = "Janssen",
    *,
    age: int = 80,
    prefix: str = "",
    medicines: str = "7",
    multimorbidity: str = "ja",
    no_contact: str = "nee",
    frailty: str = "",
    date_of_birth: str | None = None,
) -> tuple[str, ...]:
    dob = date_of_birth if date_of_birth is not None else dutch(born(age))
    return (number, first, prefix, last, dob, medicines, multimorbidity, no_contact, frailty)


def practice_list(
    rows, *, delimiter: str = ";", encoding: str = "utf-8", header=HEADER, bom: bool = False
) -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def upload(data: bytes, name: str = "casefinding-2026.csv", content_type: str = "text/csv"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def three() -> bytes:
    """Three patients 75+: Brouwers, Smeets (with an accent: Hélène) and Wouters."""
    return practice_list(
        [
            person("P1001", "Anna", "Brouwers", age=82, medicines="11"),
            person("P1002", "Hélène", "Smeets", age=78, multimorbidity="nee", no_contact="ja"),
            person("P1003", "Jan", "Wouters", prefix="van", age=91, frailty="0,4"),
        ]
    )
