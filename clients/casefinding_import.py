"""Casefinding (issue 18 §1), the file: reading the practice's CSV list (`read_upload`,
`decode`), checking it row by row (`preview_casefinding`: nothing saved, every problem by line)
and importing it as one round of candidates (`import_casefinding`: one transaction, all rows or
none; the same list twice changes nothing). The models and rules are in `clients.casefinding`.
"""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.casefinding import (
    MAX_BYTES,
    MAX_ROWS,
    MIN_AGE,
    OPEN_STATUSES,
    Candidate,
    CasefindingRound,
    may_read_candidates,
    require_runner,
)
from kernteam.csv_read import (
    bsn_problem,
    check_same_file,
    column_indexes,
    decode,
    formula_problem,
    formula_start,
    lone_bsn_lines,
    parse_date,
    read_records,
    refuse_bsn_columns,
    thousands,
    yes_no,
)
from kernteam.csv_read import read_upload as read_csv_upload
from kernteam.models import Team, shown_date
from kernteam.refusals import Refused

# --- reading the file ---------------------------------------------------------------------------

FIELDS = {
    "practice_number": {
        "patientnummer",
        "praktijknummer",
        "patientnr",
        "patnr",
        "nummer",
        "hisnummer",
        "patientid",
    },
    "first_name": {"voornaam", "voornamen", "roepnaam", "voorletters"},
    "prefix": {"tussenvoegsel", "tussenvoegsels", "voorvoegsel"},
    "last_name": {"achternaam", "geslachtsnaam", "naam"},
    "date_of_birth": {"geboortedatum", "gebdatum", "geboren"},
    "medicines": {"aantalgeneesmiddelen", "geneesmiddelen", "aantalmedicijnen", "medicijnen"},
    "multimorbidity": {"multimorbiditeit", "multimorbide"},
    "no_contact": {"geencontact3jaar", "geenhuisartscontact3jaar", "geencontact"},
    "frailty_score": {"kwetsbaarheidsscore", "kwetsbaarheid", "frailtyscore", "frailtyindex"},
}
REQUIRED = ("practice_number", "first_name", "last_name", "date_of_birth")
HEADER_WORDS = {
    "practice_number": "patientnummer",
    "first_name": "voornaam",
    "last_name": "achternaam",
    "date_of_birth": "geboortedatum",
}
# Each column's own name (docs/casefinding.md): it wins over another name for the column.
TEMPLATE = {
    **HEADER_WORDS,
    "prefix": "tussenvoegsel",
    "medicines": "aantal_geneesmiddelen",
    "multimorbidity": "multimorbiditeit",
    "no_contact": "geen_contact_3_jaar",
    "frailty_score": "kwetsbaarheidsscore",
}
MAX_FRAILTY_SCORE = Decimal(100)
FRAILTY_PLACES = 2  # an index from 0 to 1 (0,32) or a score to 100: kept to two decimals
FRAILTY_STEP = Decimal(1).scaleb(-FRAILTY_PLACES)
NUMBERS = {"medicines", "frailty_score"}  # "-1" there is out of range, not a formula
MAX_MEDICINES = 60


def read_upload(upload) -> tuple[str, bytes]:
    """The name and bytes of an uploaded file, if it can be a casefinding list: a CSV file under
    `MAX_BYTES`. Refused (on the field "file") otherwise, before it is read."""
    return read_csv_upload(
        upload,
        max_bytes=MAX_BYTES,
        missing=_("Choose the practice's list (a CSV file)."),
        too_large=_(
            "The file is too large (%(mb)d MB or more). A casefinding list has at most "
            "%(rows)s rows: export only the patients of the list."
        )
        % {"mb": MAX_BYTES // (1024 * 1024), "rows": thousands(MAX_ROWS)},
    )


def person_key(first_name: str, last_name: str, date_of_birth) -> tuple:
    """Name and date of birth as lists and records are matched: whatever the capitals, the
    spacing and the way an accent is encoded (NFC: "é" as one character or as "e" and an
    accent, as a Mac writes it)."""
    return (
        _name(first_name),
        _name(last_name),
        date_of_birth,
    )


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def number_key(number: str) -> str:
    """A practice number as matched: whatever the capitals, spaces and leading zeros (a
    spreadsheet drops those: "000123" is "123")."""
    plain = "".join(number.split()).casefold()
    return plain.lstrip("0") or plain


def duplicate_lines(rows) -> dict[int, tuple[str, int]]:
    """The rows (with `line`, `practice_number`, `first_name`, `last_name`, `date_of_birth`) that
    repeat an earlier one, by line: ("number", the earlier line) for the same patient number
    (`number_key`), else ("person", the earlier line) for the same name and date of birth
    (`person_key`). A repeated row is not counted as an earlier one. Both imports read it."""
    by_number: dict[str, int] = {}
    by_person: dict[tuple, int] = {}
    found: dict[int, tuple[str, int]] = {}
    for row in rows:
        number = number_key(row.practice_number)
        person = person_key(row.first_name, row.last_name, row.date_of_birth)
        if (earlier := by_number.get(number)) is not None:
            found[row.line] = ("number", earlier)
        elif (earlier := by_person.get(person)) is not None:
            found[row.line] = ("person", earlier)
        else:
            by_number[number], by_person[person] = row.line, row.line
    return found


@dataclass
class Row:
    line: int
    practice_number: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    medicines: int | None = None
    multimorbidity: bool | None = None
    no_contact: bool | None = None
    frailty_score: Decimal | None = None
    known_resident: int | None = None  # the team's resident she is
    already_candidate: bool = False  # an open candidate of the team already
    closed_until: datetime.date | None = None  # a closed candidate, invited again from then

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def candidate_fields(self) -> dict:
        return {
            "practice_number": self.practice_number,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth,
            "medicines": self.medicines,
            "multimorbidity": self.multimorbidity,
            "no_contact": self.no_contact,
            "frailty_score": self.frailty_score,
        }


@dataclass
class Preview:
    """What the file would import, and every problem by line (line 0: the file as a whole)."""

    file_name: str
    sha256: str
    rows: list[Row] = field(default_factory=list)
    # (line, the problem in full, its kind without the patient's data: no patient number,
    # name or date of birth, for who may not see the candidates: the coordinator)
    found: list[tuple[int, str, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    imported: CasefindingRound | None = None  # this very file, imported before
    full: bool = True  # whether the reader sees the candidates' data (the GP and the POH)

    def problem(self, line: int, text: str, kind: str | None = None) -> None:
        self.found.append((line, text, text if kind is None else kind))

    @property
    def problems(self) -> list[tuple[int, str]]:
        """(line, problem) as this reader may read it."""
        return [(line, text if self.full else kind) for line, text, kind in self.found]

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def new(self) -> list[Row]:
        return [
            r
            for r in self.rows
            if r.known_resident is None and not r.already_candidate and r.closed_until is None
        ]

    @property
    def known(self) -> list[Row]:
        return [r for r in self.rows if r.known_resident is not None]

    @property
    def already(self) -> list[Row]:
        return [r for r in self.rows if r.known_resident is None and r.already_candidate]

    @property
    def closed(self) -> list[Row]:
        """Closed candidates of the team (declined, not reached, below the cut-off) whose
        re-invite date lies ahead: not invited again before then."""
        return [
            r
            for r in self.rows
            if r.known_resident is None and not r.already_candidate and r.closed_until is not None
        ]

    def nothing_new_message(self) -> str:
        return nothing_new() if self.ok and not self.imported and not self.new else ""

    def messages(self) -> list[str]:
        """Each problem as a user reads it: "Regel 4: …"."""
        return [
            (_("Line %(line)d: %(problem)s") % {"line": line, "problem": p}) if line else p
            for line, p in self.problems
        ]

    def imported_message(self) -> str:
        return already_imported(self.imported) if self.imported is not None else ""


def nothing_new() -> str:
    return _(
        "Nothing new on this list: every patient on it is a resident of the team, a candidate "
        "already, or closed until the re-invite date. No round is made."
    )


def already_imported(found: CasefindingRound) -> str:
    return _("This file was already imported on %(when)s; importing it again changes nothing.") % {
        "when": date_format(timezone.localtime(found.imported_at), "DATETIME_FORMAT")
    }


class NothingNew(Refused):
    """Every row is known already (a resident, a candidate, closed until her re-invite date):
    no round is made."""


class RowsRefused(Refused):
    """The preview found problems in rows: the file is refused whole. `lines`: (line, problem)."""

    def __init__(self, preview: Preview):
        self.lines = list(preview.problems)
        super().__init__(preview.messages(), field="file")


def preview_casefinding(*, team: Team, by, file_name: str, data: bytes) -> Preview:
    """Read and check the whole file; nothing is saved. Refused (on "file") when the file as a
    whole cannot be a list (encoding, columns, a BSN, too many rows); the problems of single
    rows are in the preview, by line."""
    roles = require_runner(team=team, user=by)
    digest = hashlib.sha256(data).hexdigest()
    preview = Preview(file_name=file_name, sha256=digest, full=may_read_candidates(roles))
    header, columns, records = read_records(
        decode(data),
        max_rows=MAX_ROWS,
        too_many=_(
            "The file has more than %(rows)s rows; a casefinding list is "
            "shorter. Export only the patients of the list."
        )
        % {"rows": thousands(MAX_ROWS)},
        columns_of=lambda header: _columns(header, preview),
    )
    if not records:
        raise Refused(_("The file has a header but no patients."), field="file")
    refuse_bsn_columns(header, records)
    bsns = lone_bsn_lines(records, columns["practice_number"])
    today = timezone.localdate()
    for line, cells in records:
        row = _row(line, cells, columns, preview, today, bsn=line in bsns)
        if row is not None:
            preview.rows.append(row)
    _mark_duplicates(preview)
    _match_known(team, preview)
    preview.imported = CasefindingRound.objects.filter(team=team, file_sha256=digest).first()
    return preview


def _columns(header: list[str], preview: Preview) -> dict[str, int]:
    columns = column_indexes(
        header, fields=FIELDS, template=TEMPLATE, ignored=preview.ignored_columns
    )
    missing = [HEADER_WORDS[n] for n in REQUIRED if n not in columns]
    if missing:
        raise Refused(
            _(
                "Columns are missing: %(missing)s. The first line names the columns, separated "
                "by “;” or “,”: patientnummer, voornaam, achternaam, geboortedatum (and any of "
                "aantal_geneesmiddelen, multimorbiditeit, geen_contact_3_jaar, "
                "kwetsbaarheidsscore)."
            )
            % {"missing": ", ".join(missing)},
            field="file",
        )
    return columns


def _row(line, cells, columns, preview, today, *, bsn: bool = False) -> Row | None:
    problems: list[tuple[str, str | None]] = []  # (in full, kind without her data)

    def problem(text: str, kind: str | None = None) -> None:
        problems.append((text, kind))

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    # only the columns read (the others are never stored); a number that is negative is the
    # range's problem, not a formula's
    for name in columns:
        if char := formula_start(cell(name), number=name in NUMBERS):
            problem(formula_problem(char))
            break
    number = cell("practice_number")
    first, last = cell("first_name"), " ".join(filter(None, [cell("prefix"), cell("last_name")]))
    first, last = " ".join(first.split()), " ".join(last.split())
    if not number:
        problem(_("the patient number is missing."))
    elif bsn:  # (a BSN among the practice's numbers: `lone_bsn_lines`)
        problem(bsn_problem())
    elif len(number) > 20:
        problem(_("the patient number is longer than 20 characters."))
    if not first or not last:
        problem(_("the first name or the last name is missing."))
    elif len(first) > 80 or len(last) > 120:
        problem(_("the name is too long."))
    born_text = cell("date_of_birth")
    born = None
    if not born_text:
        problem(_("the date of birth is missing."))
    elif (born := parse_date(born_text)) is None:
        problem(
            _("the date of birth “%(date)s” cannot be read (write dd-mm-jjjj).")
            % {"date": born_text[:20]},
            _("the date of birth cannot be read (write dd-mm-jjjj)."),
        )
    elif born > today:
        problem(_("the date of birth lies in the future."))
    else:
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MIN_AGE:
            problem(
                _("younger than %(min)d (born %(date)s): casefinding is for older people.")
                % {"min": MIN_AGE, "date": shown_date(born)},
                _("younger than %(min)d: casefinding is for older people.") % {"min": MIN_AGE},
            )
        elif age > 120:
            problem(
                _("born %(date)s: older than 120, check the date.") % {"date": shown_date(born)},
                _("older than 120: check the date of birth."),
            )
    medicines = None
    if text := cell("medicines"):
        if text.isascii() and text.isdigit() and int(text) <= MAX_MEDICINES:
            medicines = int(text)
        else:
            problem(
                _("the number of medicines “%(value)s” is not a whole number from 0 to 60.")
                % {"value": text[:20]},
                _("the number of medicines is not a whole number from 0 to 60."),
            )
    flags = {}
    for name, label in (
        ("multimorbidity", _("multimorbidity")),
        ("no_contact", _("no GP contact for 3+ years")),
    ):
        value = yes_no(cell(name))
        if value == "?":
            problem(
                _("“%(value)s” for %(flag)s: write ja or nee.")
                % {"value": cell(name)[:20], "flag": label},
                _("%(flag)s: write ja or nee.") % {"flag": label},
            )
            value = None
        flags[name] = value
    frailty = None
    if text := cell("frailty_score"):
        try:
            frailty = Decimal(text.replace(",", "."))
            if not (frailty.is_finite() and 0 <= frailty <= MAX_FRAILTY_SCORE):
                raise InvalidOperation
        except InvalidOperation:
            problem(
                _("the frailty score “%(value)s” is not a number from 0 to 100.")
                % {"value": text[:20]},
                _("the frailty score is not a number from 0 to 100."),
            )
            frailty = None
        else:
            if frailty != frailty.quantize(FRAILTY_STEP, rounding=ROUND_DOWN):
                problem(
                    _(
                        "the frailty score “%(value)s” has more than %(places)d decimals; "
                        "give at most %(places)d."
                    )
                    % {"value": text[:20], "places": FRAILTY_PLACES},
                    _(
                        "the frailty score has more than %(places)d decimals; give at most "
                        "%(places)d."
                    )
                    % {"places": FRAILTY_PLACES},
                )
            frailty = abs(frailty.quantize(FRAILTY_STEP))  # (no "-0")
    for text, kind in problems:
        preview.problem(line, text, kind)
    if problems:
        return None
    return Row(
        line=line,
        practice_number=number,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        medicines=medicines,
        frailty_score=frailty,
        **flags,
    )


def _mark_duplicates(preview: Preview) -> None:
    repeated = duplicate_lines(preview.rows)
    for row in preview.rows:
        what, earlier = repeated.get(row.line, ("", 0))
        if what == "number":
            preview.problem(
                row.line,
                _("patient number %(number)s is on line %(earlier)d too (a duplicate line).")
                % {"number": row.practice_number, "earlier": earlier},
                _("the same patient number as line %(earlier)d (a duplicate line).")
                % {"earlier": earlier},
            )
        elif what == "person":
            preview.problem(
                row.line,
                _("the same name and date of birth as line %(earlier)d (a duplicate line).")
                % {"earlier": earlier},
            )
    preview.rows = [row for row in preview.rows if row.line not in repeated]
    preview.found.sort(key=lambda p: p[0])


def _match_known(team: Team, preview: Preview) -> None:
    """What the team knows of each row, by name and date of birth (whatever the capitals and
    spacing) and by practice number (whatever its leading zeros): a resident of the team (or the
    practice number of a candidate who became one) is matched, not imported again; an open
    candidate of the team is not imported twice; a closed one (declined, not reached, below the
    cut-off) is not invited again before her re-invite date. Three queries, whatever the rows."""
    from clients.models import Resident

    residents = {
        person_key(first, last, born): pk
        for pk, first, last, born in Resident.objects.filter(team=team)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "date_of_birth")
    }
    became: dict = {}
    open_keys: set = set()
    closed_until: dict = {}
    today = timezone.localdate()
    for number, first, last, born, status, resident, reinvite in (
        Candidate.objects.filter(round__team=team)
        .order_by("pk")
        .values_list(
            "practice_number",
            "first_name",
            "last_name",
            "date_of_birth",
            "status",
            "resident_id",
            "reinvite_on",
        )
    ):
        keys = (number_key(number), person_key(first, last, born))
        if resident is not None:
            became.setdefault(keys[0], resident)
        if status in OPEN_STATUSES:
            open_keys.update(keys)
        elif reinvite is not None and reinvite > today:
            for key in keys:
                closed_until[key] = max(reinvite, closed_until.get(key, reinvite))
    for row in preview.rows:
        keys = (number_key(row.practice_number), person_key(*_person(row)))
        row.known_resident = residents.get(keys[1]) or became.get(keys[0])
        row.already_candidate = any(key in open_keys for key in keys)
        row.closed_until = max((closed_until[k] for k in keys if k in closed_until), default=None)


def _person(row: Row) -> tuple:
    return row.first_name, row.last_name, row.date_of_birth


def import_casefinding(
    *, team: Team, by, file_name: str, data: bytes, previewed: str | None = None
) -> tuple[CasefindingRound, bool]:
    """Import the list as a round: (the round, whether it was made now). One transaction, all
    rows or none: any problem in the preview refuses the whole file (by line, on "file"). The
    same file imported before changes nothing (that round comes back, `False`); a list with no
    new row (every row a resident, an open candidate, or closed until her re-invite date: the
    same list re-saved) makes no round (`NothingNew`, on "file"). `previewed`:
    the SHA-256 of the file the user saw previewed (the web's confirmation), which must be this
    one."""
    preview = preview_casefinding(team=team, by=by, file_name=file_name, data=data)
    if preview.imported is not None:
        return preview.imported, False
    if not preview.ok:
        raise RowsRefused(preview)
    if not preview.new:
        raise NothingNew(nothing_new(), field="file")
    check_same_file(previewed=previewed, sha256=preview.sha256)
    try:
        with transaction.atomic():
            # one import per team at a time: two lists naming the same patient make one candidate
            list(Team.objects.select_for_update().filter(pk=team.pk).values_list("pk"))
            _match_known(team, preview)
            new = preview.new
            if not new:  # (imported meanwhile, by someone else)
                raise NothingNew(nothing_new(), field="file")
            made = CasefindingRound.objects.create(
                team=team,
                file_name=file_name[:200] or "casefinding.csv",
                file_sha256=preview.sha256,
                imported_by=by,
                rows_in_file=len(preview.rows),
                known_residents=len(preview.known),
                already_candidates=len(preview.already),
                closed_candidates=len(preview.closed),
            )
            Candidate.objects.bulk_create(
                [Candidate(round=made, **row.candidate_fields()) for row in new], batch_size=1000
            )
    except IntegrityError:  # the same file, imported by someone else at the same moment
        return CasefindingRound.objects.get(team=team, file_sha256=preview.sha256), False
    return made, True
