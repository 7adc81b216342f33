"""The existing caseload of a team, imported once (issue 21 §1): the file is read and checked
(`preview_caseload`: nothing saved, every problem by line, with the same rules as the state
machine), then imported (`import_caseload`: one transaction, all rows or none, each resident
through the transition `Trajectory.take_over`, "overgenomen uit eerder dossier"); the same
file twice changes nothing. docs/caseload.md describes the file.

Reading the file is `kernteam.csv_read` (shared with the casefinding list); what one row says,
`steps.caseload_rows`. The records are `steps.caseload`; the rules a row must meet are
`steps.rules.TAKING_OVER` (the transition's guard) and the models' own checks (a date of birth,
a consent's date, a score's range and date).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.casefinding_import import duplicate_lines, number_key, person_key
from clients.models import Assessment, Consent, CoordinatorChange, Resident
from clients.subscription_delivery import note_resident_changed
from clients.subscriptions import Status as SubscriptionStatus
from clients.subscriptions import Subscription, is_integration_account
from kernteam.csv_read import (
    check_same_file,
    decode,
    lone_bsn_lines,
    read_records,
    refuse_bsn_columns,
    thousands,
)
from kernteam.csv_read import read_upload as read_csv_upload
from kernteam.events import send_team_event_on_commit
from kernteam.models import Team, primary_role, shown_date
from kernteam.policy import require_member
from kernteam.refusals import Refused
from steps.caseload import CaseloadEntry, CaseloadImport
from steps.caseload_rows import (  # noqa: F401  (CaseloadRow, taken_over_reason: public here)
    CaseloadRow,
    columns_of,
    people_of,
    read_row,
    taken_over_reason,
)
from steps.models import Trajectory
from steps.rules import importer, problems_for
from steps.states import State

MAX_BYTES = 5 * 1024 * 1024  # an upload of this size or more is refused before it is read
MAX_ROWS = 5000
IMPORTERS = importer.roles  # (the take-over's own permission, `steps.rules.importer`)
EVENT = "caseload.imported"  # the live event: open boards of the team refresh


@dataclass
class CaseloadPreview:
    file_name: str
    sha256: str
    rows: list[CaseloadRow] = field(default_factory=list)
    found: list[tuple[int, str]] = field(default_factory=list)  # (line, problem); 0: the file
    ignored_columns: list[str] = field(default_factory=list)
    imported: object | None = None  # the CaseloadImport of this very file, if imported before
    # the team's residents the check names (imported before, or a likely duplicate): what a
    # view notes in the access log as read
    named: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def new(self) -> list[CaseloadRow]:
        return [r for r in self.rows if not r.already]

    @property
    def already(self) -> list[CaseloadRow]:
        return [r for r in self.rows if r.already]

    def problem(self, line: int, text: str) -> None:
        self.found.append((line, str(text)))

    def messages(self) -> list[str]:
        """Each problem as a user reads it ("Regel 4: …")."""
        return [
            (_("Line %(line)d: %(problem)s") % {"line": line, "problem": p}) if line else p
            for line, p in sorted(self.found, key=lambda found: found[0])
        ]

    def imported_message(self) -> str:
        return already_imported(self.imported) if self.imported is not None else ""

    def nothing_new_message(self) -> str:
        return nothing_new() if self.ok and self.imported is None and not self.new else ""


class RowsRefused(Refused):
    """Problems in rows: the file is refused whole (on "file"). `lines`: (line, problem);
    `named`: the team's residents the problems name (a duplicate, a number imported before),
    which a view notes in the access log as read."""

    def __init__(self, preview: CaseloadPreview):
        self.lines = sorted(preview.found, key=lambda found: found[0])
        self.named = set(preview.named)
        super().__init__(preview.messages(), field="file")


class NothingNew(Refused):
    """Every row was imported before: nothing to do."""


def nothing_new() -> str:
    return _(
        "Nothing new in this file: every resident in it was imported before. Nothing was changed."
    )


def already_imported(found) -> str:
    return _("This file was already imported on %(when)s; importing it again changes nothing.") % {
        "when": date_format(timezone.localtime(found.imported_at), "DATETIME_FORMAT")
    }


# --- who ------------------------------------------------------------------------------------------


def may_import(roles: set[str]) -> bool:
    """The GP and the POH import a caseload: the roles the take-over's permission grants
    (`steps.rules.importer`, on `Trajectory.take_over`)."""
    return bool(set(roles) & IMPORTERS)


def require_importer(*, team, user) -> set[str]:
    """The user's roles on `team`; Refused (forbidden, Dutch reason) unless GP or POH, and a
    person: an integration account (`is_integration_account`) with either role is refused too
    (the import's history, its consents and `CaseloadImport.imported_by` name the importer)."""
    roles = require_member(
        team=team, user=user, message=_("Only members of this kernteam can do this.")
    )
    if not may_import(roles):
        raise Refused(_("Only the GP or the POH imports the team's caseload."), forbidden=True)
    if is_integration_account(user):  # (the history would name a system as the importer)
        raise Refused(
            _(
                "A system's account does not import a caseload: the team's GP or POH imports "
                "it in person."
            ),
            forbidden=True,
        )
    return roles


# --- the file -------------------------------------------------------------------------------------


def read_upload(upload) -> tuple[str, bytes]:
    """Name and bytes of an uploaded CSV under MAX_BYTES; Refused on "file" otherwise."""
    return read_csv_upload(
        upload,
        max_bytes=MAX_BYTES,
        missing=_("Choose the caseload file (a CSV file)."),
        too_large=_(
            "The file is too large (%(mb)d MB or more). A caseload file has at most %(rows)s "
            "rows: export only the residents the team follows."
        )
        % {"mb": MAX_BYTES // (1024 * 1024), "rows": thousands(MAX_ROWS)},
    )


def preview_caseload(*, team, by, file_name: str, data: bytes) -> CaseloadPreview:
    """Read and check the whole file; nothing is saved. Refused (on "file") when the file as a
    whole cannot be a caseload (encoding, columns, a BSN, too many rows); the problems of rows
    are in the preview, by line: what the file says, the take-over's rules
    (`steps.rules.TAKING_OVER`, run on residents not saved), duplicates in the file and of the
    team's residents."""
    require_importer(team=team, user=by)
    preview = CaseloadPreview(file_name=file_name, sha256=hashlib.sha256(data).hexdigest())
    header, columns, records = read_records(
        decode(data),
        max_rows=MAX_ROWS,
        too_many=_(
            "The file has more than %(rows)s rows; a team's caseload is shorter. Export only "
            "the residents the team follows."
        )
        % {"rows": thousands(MAX_ROWS)},
        columns_of=lambda header: columns_of(header, preview),
    )
    if not records:
        raise Refused(_("The file has a header but no residents."), field="file")
    refuse_bsn_columns(header, records)
    bsns = lone_bsn_lines(records, columns["practice_number"])
    people = people_of(team)
    for line, cells in records:
        row = read_row(line, cells, columns, preview, people, bsn=line in bsns)
        if row is not None:
            preview.rows.append(row)
    _mark_duplicates(preview)
    _match_known(team, preview)
    _check_rules(team, by, preview)
    preview.imported = CaseloadImport.objects.filter(team=team, file_sha256=preview.sha256).first()
    return preview


# --- the rows together, and what the team knows --------------------------------------------------


def _mark_duplicates(preview: CaseloadPreview) -> None:
    repeated = duplicate_lines(preview.rows)
    for row in preview.rows:
        what, earlier = repeated.get(row.line, ("", 0))
        if what == "number":
            preview.problem(
                row.line,
                _("patient number %(number)s is on line %(earlier)d too (a duplicate line).")
                % {"number": row.practice_number, "earlier": earlier},
            )
        elif what == "person":
            preview.problem(
                row.line,
                _("the same name and date of birth as line %(earlier)d (a duplicate line).")
                % {"earlier": earlier},
            )
    preview.rows = [row for row in preview.rows if row.line not in repeated]


def _match_known(team, preview: CaseloadPreview) -> None:
    """Each row against the team's residents (closed records included), by name and date of
    birth whatever the capitals and spacing (`person_key`, as `likely_duplicates` matches),
    and against the practice numbers imported before (`number_key`): the same number and the
    same person is a row imported before (`already`, skipped: a file saved again changes
    nothing); the same person otherwise, or the number of someone else, is a problem. Two
    queries, whatever the rows."""
    residents: dict[tuple, list[tuple[int, str]]] = {}
    for pk, first, last, born, state in (
        Resident.objects.filter(team=team)
        .order_by("pk")
        .values_list("pk", "first_name", "last_name", "date_of_birth", "trajectory__state")
    ):
        residents.setdefault(person_key(first, last, born), []).append((pk, state))
    entries = {
        key: (resident, person_key(first, last, born))
        for key, resident, first, last, born in CaseloadEntry.objects.filter(team=team)
        .order_by()
        .values_list(
            "number_key",
            "resident_id",
            "resident__first_name",
            "resident__last_name",
            "resident__date_of_birth",
        )
    }
    kept = []
    for row in preview.rows:
        person = person_key(row.first_name, row.last_name, row.date_of_birth)
        entry = entries.get(number_key(row.practice_number))
        if entry is not None and entry[1] == person:
            row.already, row.resident = True, entry[0]
            preview.named.add(entry[0])
        elif entry is not None:
            preview.named.add(entry[0])
            preview.problem(
                row.line,
                _(
                    "patient number %(number)s was imported before for another resident "
                    "(resident %(id)d): check the number, the name and the date of birth."
                )
                % {"number": row.practice_number, "id": entry[0]},
            )
            continue
        elif known := residents.get(person):
            pk, state = known[-1]
            preview.named.add(pk)
            message = (
                _(
                    "the team already has %(name)s, born %(date)s, with a closed record "
                    "(resident %(id)d): reopen that record rather than import her again."
                )
                if state == State.CLOSED
                else _(
                    "the team already has %(name)s, born %(date)s (resident %(id)d): a "
                    "duplicate; remove the line."
                )
            )
            preview.problem(
                row.line,
                message % {"name": row.name, "date": shown_date(row.date_of_birth), "id": pk},
            )
            continue
        kept.append(row)
    preview.rows = kept


def _check_rules(team, by, preview: CaseloadPreview) -> None:
    """The take-over's own guard (`Trajectory.take_over`: who, and `rules.TAKING_OVER`) on each
    new row, for a resident not saved yet: the one place those rules are written."""
    guard = Trajectory.take_over
    kept = []
    for row in preview.rows:
        if row.already:
            kept.append(row)
            continue
        unsaved = Trajectory(resident=_resident(team, row))
        move = row.take_over(by=by, file_name=preview.file_name)
        found = problems_for(unsaved, move, guard.permission, guard.conditions)
        for text in found:
            preview.problem(row.line, text)
        if not found:
            kept.append(row)
    preview.rows = kept


def _resident(team, row: CaseloadRow) -> Resident:
    return Resident(
        team=team,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        neighbourhood=team.neighbourhood,
        coordinator=row.coordinator,
    )


# --- the import -----------------------------------------------------------------------------------


def import_caseload(
    *, team, by, file_name: str, data: bytes, previewed: str | None = None
) -> tuple[CaseloadImport, bool]:
    """(the CaseloadImport, whether made now). RowsRefused / NothingNew / Refused on "file".

    One transaction, the team's row locked (one import per team at a time), all rows or none:
    any problem refuses the whole file, by line. The same file imported before changes nothing
    (that import comes back, `False`); a file whose every row was imported before (the same
    file saved again) makes nothing (`NothingNew`). `previewed`: the SHA-256 of the file the
    user saw checked (the web's confirmation), which must be this one.

    Each new row: a Resident (in the team's neighbourhood), her trajectory through
    `Trajectory.take_over` (its guard runs again, on the locked team), the consent as given
    (its own date, recorded by the importer), the care coordinator named (a `CoordinatorChange`
    by the importer, as every naming is kept), the screening score with its own date
    (`assessed_by`: the importer, who transcribes it; the file does not say who screened her),
    and a `CaseloadEntry`. On commit one live event for the team's boards; the integrators'
    subscriptions hear of each new resident."""
    preview = preview_caseload(team=team, by=by, file_name=file_name, data=data)
    if preview.imported is not None:
        return preview.imported, False
    if not preview.ok:
        raise RowsRefused(preview)
    if not preview.new:
        raise NothingNew(nothing_new(), field="file")
    check_same_file(previewed=previewed, sha256=preview.sha256)
    try:
        with transaction.atomic():
            locked = Team.objects.select_for_update().get(pk=team.pk)
            done = CaseloadImport.objects.filter(team=locked, file_sha256=preview.sha256).first()
            if done is not None:  # (imported meanwhile, by someone else)
                return done, False
            _match_known(locked, preview)  # (as it is now: residents added meanwhile)
            _check_rules(locked, by, preview)  # (memberships changed meanwhile)
            if not preview.ok:
                raise RowsRefused(preview)
            if not preview.new:
                raise NothingNew(nothing_new(), field="file")
            made = _import(locked, by, preview)
    except IntegrityError as exc:  # the same file, imported by someone else at the same moment
        done = CaseloadImport.objects.filter(team=team, file_sha256=preview.sha256).first()
        if done is None:  # (another file naming the same patient numbers; the team's lock
            # keeps this from happening: said rather than a server error)
            raise Refused(
                _(
                    "Another caseload file of this team was imported at the same moment. "
                    "Check this file again."
                ),
                field="file",
            ) from exc
        return done, False
    return made, True


def _import(team, by, preview: CaseloadPreview) -> CaseloadImport:
    file_name = preview.file_name[:200] or "caseload.csv"
    new = preview.new
    made = CaseloadImport.objects.create(
        team=team, file_name=file_name, file_sha256=preview.sha256, imported_by=by, rows=len(new)
    )
    role = primary_role(team.roles_of(by) & IMPORTERS)
    consents, changes, entries = [], [], []
    residents = []
    for row in new:
        resident = _resident(team, row)
        resident.coordinator = None  # (the take-over's rules check her, below)
        _valid(row, lambda resident=resident: resident.full_clean(exclude=["team"]), preview)
        resident.coordinator = row.coordinator
        resident.save()
        trajectory = Trajectory(resident=resident)
        try:
            trajectory.take_over(row.take_over(by=by, file_name=file_name))
        except Refused as exc:
            raise _refused(row, exc, preview) from exc
        trajectory.save()
        if row.coordinator is not None:
            changes.append(
                CoordinatorChange(
                    resident=resident, to_coordinator=row.coordinator, actor=by, actor_role=role
                )
            )
        if row.consent_given_on is not None:
            consent = Consent(
                resident=resident,
                given_on=row.consent_given_on,
                disciplines=sorted(set(row.disciplines)),
                share_with_carers=row.share_with_carers,
                recorded_by=by,
            )
            # (her first consent: none to replace; the importer records it)
            check = functools.partial(
                consent.full_clean, exclude=["resident", "recorded_by"], validate_constraints=False
            )
            _valid(row, check, preview)
            consents.append(consent)
        if row.instrument:
            assessment = Assessment(
                resident=resident,
                instrument=row.instrument,
                score=row.score,
                assessed_on=row.assessed_on,
                assessed_by=by,
            )
            _valid(row, assessment.save, preview)  # (it validates and derives the outcome)
        entries.append(
            CaseloadEntry(
                caseload_import=made,
                team=team,
                resident=resident,
                line=row.line,
                practice_number=row.practice_number,
                number_key=number_key(row.practice_number)[:20],
                last_review_on=row.last_review_on,
            )
        )
        residents.append(resident)
    Consent.objects.bulk_create(consents, batch_size=500)
    CoordinatorChange.objects.bulk_create(changes, batch_size=500)
    CaseloadEntry.objects.bulk_create(entries, batch_size=500)
    _announce(team, made, residents)
    return made


def _valid(row: CaseloadRow, check, preview: CaseloadPreview) -> None:
    try:
        check()
    except ValidationError as exc:
        raise _refused(row, exc, preview) from exc


def _refused(row: CaseloadRow, exc: Exception, preview: CaseloadPreview) -> Refused:
    """A row the check let through but a model refuses (the calendar moved on): the file is
    refused whole, by line, and nothing is saved (the residents the check named: still read)."""
    problems = exc.problems if isinstance(exc, Refused) else list(exc.messages)
    found = CaseloadPreview(file_name="", sha256="", named=set(preview.named))
    for text in problems:
        found.problem(row.line, text)
    return RowsRefused(found)


def _announce(team, made: CaseloadImport, residents: list[Resident]) -> None:
    """One live event for the team's boards (they refresh; 300 events would make 300
    refreshes), naming no resident. The integrators' subscriptions hear of each new resident,
    as of any change (`note_resident_changed`), when the team has any."""
    active = Subscription.objects.filter(team=team, status=SubscriptionStatus.ACTIVE)
    if active.exists():
        for resident in residents:
            note_resident_changed(resident=resident, event=EVENT)
    send_team_event_on_commit(
        team_id=team.pk, event={"type": EVENT, "import": made.pk, "residents": len(residents)}
    )
