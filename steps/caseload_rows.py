"""A team's caseload file (issue 21 §1), one row at a time: the columns the file may have,
and what one row says (`read_row`: the problems of that row alone, in Dutch, or the
`CaseloadRow`). The rows together, the take-over's rules and the import are in
`steps.caseload_import`; docs/caseload.md describes the file.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.instruments import FRAILTY_INSTRUMENTS, Instrument, spec
from clients.models import Assessment, Resident
from kernteam.csv_read import (
    bsn_problem,
    column_indexes,
    formula_problem,
    formula_start,
    header_key,
    parse_date,
    yes_no,
)
from kernteam.models import Membership
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps.rules import TakeOver
from steps.states import STEPS, State

# --- the columns ------------------------------------------------------------------------------

# The names each column may have (as `header_key` gives them). Not the generic "nummer" and
# "naam": a house number or a full name would be read as the patient number or last name.
FIELDS = {
    "practice_number": {
        "patientnummer",
        "praktijknummer",
        "patientnr",
        "patnr",
        "hisnummer",
        "patientid",
    },
    "first_name": {"voornaam", "voornamen", "roepnaam"},
    "prefix": {"tussenvoegsel", "tussenvoegsels", "voorvoegsel"},
    "last_name": {"achternaam", "geslachtsnaam"},
    "date_of_birth": {"geboortedatum", "gebdatum", "geboren"},
    "state": {"stap", "huidigestap", "status", "fase"},
    "coordinator": {"zorgcoordinator", "regiehouder", "coordinator", "zorgcoordinatrice"},
    "consent_given_on": {"toestemmingdatum", "datumtoestemming", "toestemminggegevenop"},
    "disciplines": {"toestemmingdisciplines", "disciplines", "toestemmingvoor"},
    "share_with_carers": {
        "mantelzorgerszienafspraken",
        "mantelzorgerzietafspraken",
        "delenmetmantelzorgers",
        "mantelzorgers",
    },
    "last_review_on": {"laatsteevaluatie", "datumlaatsteevaluatie", "laatsteevaluatiedatum"},
    "next_review_on": {"volgendeevaluatie", "datumvolgendeevaluatie", "volgendeevaluatiedatum"},
    "instrument": {"screeninginstrument", "instrument"},
    "score": {"screeningscore", "score"},
    "assessed_on": {"screeningdatum", "datumscreening"},
}
REQUIRED = ("practice_number", "first_name", "last_name", "date_of_birth", "state")
# The template's names (docs/caseload-template.csv), in its order.
HEADER_WORDS = {
    "practice_number": "patientnummer",
    "first_name": "voornaam",
    "prefix": "tussenvoegsel",
    "last_name": "achternaam",
    "date_of_birth": "geboortedatum",
    "state": "stap",
    "coordinator": "zorgcoordinator",
    "consent_given_on": "toestemming_datum",
    "disciplines": "toestemming_disciplines",
    "share_with_carers": "mantelzorgers_zien_afspraken",
    "last_review_on": "laatste_evaluatie",
    "next_review_on": "volgende_evaluatie",
    "instrument": "screening_instrument",
    "score": "screening_score",
    "assessed_on": "screening_datum",
}
DATES = ("consent_given_on", "last_review_on", "next_review_on", "assessed_on")

STATE_WORDS = {
    "gesignaleerd": State.SIGNALLED,
    "signaal": State.SIGNALLED,
    "gemeld": State.SIGNALLED,
    "signalled": State.SIGNALLED,
    "signaled": State.SIGNALLED,
    "screening": State.SCREENING,
    "inscreening": State.SCREENING,
}
ADMITTED_WORDS = {"opgenomen", "tijdelijkopgenomen", "admitted", "opname"}
CLOSED_WORDS = {"afgesloten", "gesloten", "closed", "overleden"}
_STEP = re.compile(r"(?:stap|step)?([1-4])(?:[^0-9].*)?")

ALL_MEMBERS = {"allemembers", "alleleden", "alle", "iedereen", "allmembers", "all", "allen"}
DISCIPLINE_WORDS = {
    **{header_key(code): code for code in Role.values},
    "huisarts": Role.GP,
    "ha": Role.GP,
    "poh": Role.POH,
    "pohouderen": Role.POH,
    "poho": Role.POH,
    "praktijkondersteuner": Role.POH,
    "praktijkondersteunerouderen": Role.POH,
    "wijkverpleegkundige": Role.DISTRICT_NURSE,
    "wijkverpleging": Role.DISTRICT_NURSE,
    "wvk": Role.DISTRICT_NURSE,
    "ouderenadviseur": Role.WELFARE,
    "welzijn": Role.WELFARE,
    "welzijnswerker": Role.WELFARE,
    "welzijnscoach": Role.WELFARE,
    "sociaalwerker": Role.WELFARE,
    "casemanagerdementie": Role.DEMENTIA_CASE_MANAGER,
    "casemanager": Role.DEMENTIA_CASE_MANAGER,
    "specialistouderengeneeskunde": Role.ELDERLY_CARE_PHYSICIAN,
    "so": Role.ELDERLY_CARE_PHYSICIAN,
    "elderlycarephysician": Role.ELDERLY_CARE_PHYSICIAN,
    "coordinator": Role.COORDINATOR,
    "coordinatorkernteam": Role.COORDINATOR,
    "teamcoordinator": Role.COORDINATOR,
}
_DISCIPLINE_SEPARATORS = re.compile(r"[,/+;&]|\s+en\s+", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?[0-9]{1,15}(?:[.,][0-9]{0,15})?")  # ASCII digits: no "1_0", no "1e1"


@dataclass
class CaseloadRow:
    """One resident of the file, as read (only rows without problems are kept whole)."""

    line: int
    practice_number: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    state: str  # steps.states.State: signalled, screening, step1 … step4
    coordinator: object | None = None  # the member (a User), when named
    consent_given_on: datetime.date | None = None
    disciplines: list[str] = field(default_factory=list)  # Role codes
    share_with_carers: bool = False
    last_review_on: datetime.date | None = None
    next_review_on: datetime.date | None = None
    instrument: str = ""  # clients.instruments.Instrument, with score and assessed_on
    score: Decimal | None = None
    assessed_on: datetime.date | None = None
    already: bool = False  # imported before (same practice number and person): skipped
    resident: int | None = None  # when `already`: the resident she is

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def take_over(self, *, by, file_name: str) -> TakeOver:
        """The move that enters her in the state machine (`Trajectory.take_over`)."""
        return TakeOver(
            by=by,
            reason=taken_over_reason(file_name=file_name, line=self.line),
            state=self.state,
            coordinator=self.coordinator,
            consent_given_on=self.consent_given_on,
            disciplines=tuple(self.disciplines),
            share_with_carers=self.share_with_carers,
            last_review_on=self.last_review_on,
            next_review_on=self.next_review_on,
        )


def taken_over_reason(*, file_name: str, line: int) -> str:
    """The history row's reason: where she came from, so nobody mistakes it for a decision."""
    return _("Taken over from an earlier record: file %(file)s, line %(line)d") % {
        "file": file_name,
        "line": line,
    }


def columns_of(header: list[str], preview) -> dict[str, int]:
    """Which column holds what (by index; the template's name wins over another name for it,
    `column_indexes`); the names not read go to `preview.ignored_columns`. Refused (on
    "file"): a BSN column, a column named twice, two columns for one field, a required column
    missing."""
    columns = column_indexes(
        header, fields=FIELDS, template=HEADER_WORDS, ignored=preview.ignored_columns
    )
    missing = [HEADER_WORDS[n] for n in REQUIRED if n not in columns]
    if missing:
        raise Refused(
            _(
                "Columns are missing: %(missing)s. The first line names the columns, separated "
                "by “;” or “,”, as in the template: %(columns)s."
            )
            % {"missing": ", ".join(missing), "columns": ", ".join(HEADER_WORDS.values())},
            field="file",
        )
    return columns


# --- a row ----------------------------------------------------------------------------------------


def read_row(line, cells, columns, preview, people, *, bsn: bool = False) -> CaseloadRow | None:
    """The row, or None with its problems noted on `preview` (`preview.problem(line, text)`).
    `people`: `people_of` the team; `bsn`: its practice number is a BSN
    (`kernteam.csv_read.lone_bsn_lines`)."""
    problems: list[str] = []
    problem = problems.append

    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for name in columns:  # only the columns read (the others are never stored)
        if char := formula_start(cell(name), number=name == "score"):
            preview.problem(line, formula_problem(char))
            return None  # (nothing more is read of a row a spreadsheet would run)
    number = cell("practice_number")
    first, last = cell("first_name"), " ".join(filter(None, [cell("prefix"), cell("last_name")]))
    first, last = " ".join(first.split()), " ".join(last.split())
    if not number:
        problem(_("the patient number is missing."))
    elif bsn:
        problem(bsn_problem())
    elif len(number) > 20:
        problem(_("the patient number is longer than 20 characters."))
    if not first or not last:
        problem(_("the first name or the last name is missing."))
    elif len(first) > 80 or len(last) > 120:
        problem(_("the name is too long."))
    born = _date(cell("date_of_birth"), problem, missing=_("the date of birth is missing."))
    if born is not None and (found := Resident.date_of_birth_problem(born)):
        problem(found)
    state = _state(cell("state"), problem)
    coordinator = _coordinator(cell("coordinator"), people, problem)
    dates = {name: _date(cell(name), problem, column=HEADER_WORDS[name]) for name in DATES}
    disciplines = _disciplines(cell("disciplines"), problem)
    if dates["consent_given_on"] and not disciplines and cell("disciplines") == "":
        problem(
            _(
                "the disciplines the consent covers are missing: write “alle leden” or the "
                "disciplines (huisarts, poh, wijkverpleegkundige, …)."
            )
        )
    elif disciplines and not cell("consent_given_on"):
        problem(_("the date consent was given is missing (toestemming_datum)."))
    share = yes_no(cell("share_with_carers"))
    if share == "?":
        problem(
            _("“%(value)s” for %(flag)s: write ja or nee.")
            % {"value": cell("share_with_carers")[:20], "flag": "mantelzorgers_zien_afspraken"}
        )
    elif share and not cell("consent_given_on"):
        problem(_("carers see shared actions only with the resident's consent: give its date."))
    instrument, score = _screening(cell("instrument"), cell("score"), cell("assessed_on"), problem)
    if instrument and score is not None and dates["assessed_on"]:
        assessment = Assessment(
            instrument=instrument, score=score, assessed_on=dates["assessed_on"]
        )
        if found := assessment.assessed_on_problem():
            problem(_screening_date_problem(found, dates["assessed_on"]))
    for text in problems:
        preview.problem(line, text)
    if problems:
        return None
    return CaseloadRow(
        line=line,
        practice_number=number,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        state=state,
        coordinator=coordinator,
        disciplines=disciplines,
        share_with_carers=bool(share),
        instrument=instrument,
        score=score,
        **dates,
    )


def _date(text: str, problem, *, column: str = "", missing: str = "") -> datetime.date | None:
    if not text:
        if missing:
            problem(missing)
        return None
    found = parse_date(text)
    if found is None:
        if column:
            problem(
                _("the date “%(date)s” in %(column)s cannot be read (write dd-mm-jjjj).")
                % {"date": text[:20], "column": column}
            )
        else:
            problem(
                _("the date of birth “%(date)s” cannot be read (write dd-mm-jjjj).")
                % {"date": text[:20]}
            )
    return found


def _state(text: str, problem) -> str:
    key = header_key(text)
    if not key:
        problem(_("the step is missing: write gesignaleerd, screening or stap 1 to 4."))
        return ""
    if key in STATE_WORDS:
        return STATE_WORDS[key]
    if match := _STEP.fullmatch(key):
        return STEPS[int(match[1]) - 1]
    if key in ADMITTED_WORDS:
        problem(
            _(
                "“%(value)s”: a resident admitted for now is imported in the step she holds "
                "(she returns to it); record the admission afterwards."
            )
            % {"value": text[:40]}
        )
    elif key in CLOSED_WORDS:
        problem(
            _(
                "“%(value)s”: a closed record is not imported, only the residents the team "
                "follows now."
            )
            % {"value": text[:40]}
        )
    else:
        problem(
            _("the step “%(value)s” is not known: write gesignaleerd, screening or stap 1 to 4.")
            % {"value": text[:40]}
        )
    return ""


def people_of(team) -> dict[str, list]:
    """Everyone who is or was on the team, by username and by full name (as matched: capitals
    and spacing aside): the rules decide whether the one named may coordinate."""
    found: dict[str, list] = {}
    memberships = Membership.objects.filter(team=team).select_related("user").order_by("pk")
    users = {m.user_id: m.user for m in memberships}
    for user in users.values():
        for key in {_name_key(user.get_username()), _name_key(user.get_full_name())} - {""}:
            found.setdefault(key, []).append(user)
    return found


def _name_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _coordinator(text: str, people: dict[str, list], problem):
    if not text:
        return None
    named = people.get(_name_key(text), [])
    if len(named) == 1:
        return named[0]
    if not named:
        problem(
            _(
                "nobody on the team is called “%(name)s”: name the care coordinator by full name "
                "or username."
            )
            % {"name": text[:80]}
        )
    else:
        problem(
            _("“%(name)s” names %(count)d people on the team: use the username.")
            % {"name": text[:80], "count": len(named)}
        )
    return None


def _disciplines(text: str, problem) -> list[str]:
    if not text:
        return []
    if header_key(text) in ALL_MEMBERS:
        return sorted(Role.values)
    found, unknown = set(), []
    for part in _DISCIPLINE_SEPARATORS.split(text):
        if not (key := header_key(part)):
            continue
        if key in DISCIPLINE_WORDS:
            found.add(DISCIPLINE_WORDS[key])
        else:
            unknown.append(part.strip()[:40])
    if unknown:
        problem(
            _(
                "the discipline “%(value)s” is not known: write “alle leden”, or disciplines "
                "such as huisarts, poh, wijkverpleegkundige, ouderenadviseur, casemanager "
                "dementie, specialist ouderengeneeskunde, coördinator."
            )
            % {"value": unknown[0]}
        )
        return []
    if not found:
        problem(_("the disciplines the consent covers cannot be read."))
    return sorted(found)


def _screening(instrument_text, score_text, date_text, problem) -> tuple[str, Decimal | None]:
    given = [bool(instrument_text), bool(score_text), bool(date_text)]
    if not any(given):
        return "", None
    if not all(given):
        problem(
            _("the screening is incomplete: give its instrument, score and date (or none of them).")
        )
        return "", None
    codes = {header_key(code): code for code in FRAILTY_INSTRUMENTS}
    codes |= {header_key(Instrument(code).label): code for code in FRAILTY_INSTRUMENTS}
    instrument = codes.get(header_key(instrument_text), "")
    if not instrument:
        problem(
            _(
                "the screening instrument “%(value)s” is not known: write GFI, TFI, CFS, "
                "ISAR-PC or TRAZAG."
            )
            % {"value": instrument_text[:20]}
        )
    if not _NUMBER.fullmatch(score_text):
        problem(_("the screening score “%(value)s” is not a number.") % {"value": score_text[:20]})
        return "", None
    score = plain_score(Decimal(score_text.replace(",", ".")))
    if instrument and (found := spec(instrument).range_error(score)):
        problem(found)
    elif found := score_problems(score):
        for text in found:
            problem(
                _("the screening score “%(value)s”: %(problem)s")
                % {"value": score_text[:20], "problem": text}
            )
    return instrument, score


def plain_score(score: Decimal) -> Decimal:
    """A score as the file means it: without trailing zeros after the decimal point ("6,00" is
    6, "4,50" is 4.5) and without "-0"."""
    plain = score.quantize(Decimal(1)) if score == score.to_integral_value() else score.normalize()
    return abs(plain) if plain.is_zero() else plain


def score_problems(score: Decimal) -> list[str]:
    """What the model's own field (`Assessment.score`: its digits and decimal places) refuses
    in `score`: the import saves it through that field, so the check asks the same."""
    try:
        Assessment._meta.get_field("score").clean(score, None)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _screening_date_problem(found: str, day: datetime.date) -> str:
    """The model's reason a screening date is refused; for one too old to transcribe, what to
    do in the file."""
    if day > timezone.localdate():
        return found
    return _(
        "%(problem)s Leave the screening columns empty (screening_instrument, screening_score, "
        "screening_datum), or give a more recent screening."
    ) % {"problem": found}
