"""The existing caseload of a team, imported once (issue 21 §1). INTERFACE STUB: helper A fills
in the bodies; the names and signatures below are what the web page and the API call.

`preview_caseload` reads and checks the whole file (nothing saved, every problem by line, with
the same rules as the state machine); `import_caseload` imports it in one transaction, all rows
or none, each resident through the transition `Trajectory.take_over` ("overgenomen uit eerder
dossier"); the same file twice changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from kernteam.refusals import Refused
from kernteam.roles import Role

MAX_BYTES = 5 * 1024 * 1024  # an upload of this size or more is refused before it is read
MAX_ROWS = 5000


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

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class CaseloadPreview:
    file_name: str
    sha256: str
    rows: list[CaseloadRow] = field(default_factory=list)
    found: list[tuple[int, str]] = field(default_factory=list)  # (line, problem); 0: the file
    ignored_columns: list[str] = field(default_factory=list)
    imported: object | None = None  # the CaseloadImport of this very file, if imported before

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def new(self) -> list[CaseloadRow]:
        return [r for r in self.rows if not r.already]

    @property
    def already(self) -> list[CaseloadRow]:
        return [r for r in self.rows if r.already]

    def messages(self) -> list[str]:
        """Each problem as a user reads it ("Regel 4: …")."""
        raise NotImplementedError

    def imported_message(self) -> str:
        raise NotImplementedError


class RowsRefused(Refused):
    """Problems in rows: the file is refused whole (on "file"). `lines`: (line, problem)."""


class NothingNew(Refused):
    """Every row was imported before: nothing to do."""


def may_import(roles: set[str]) -> bool:
    """The GP and the POH import a caseload."""
    return bool(roles & {Role.GP, Role.POH})


def require_importer(*, team, user) -> set[str]:
    """The user's roles on `team`; Refused (forbidden, Dutch reason) unless GP or POH."""
    raise NotImplementedError


def read_upload(upload) -> tuple[str, bytes]:
    """Name and bytes of an uploaded CSV under MAX_BYTES; Refused on "file" otherwise."""
    raise NotImplementedError


def preview_caseload(*, team, by, file_name: str, data: bytes) -> CaseloadPreview:
    raise NotImplementedError


def import_caseload(*, team, by, file_name: str, data: bytes, previewed: str | None = None):
    """(the CaseloadImport, whether made now). RowsRefused / NothingNew / Refused on "file"."""
    raise NotImplementedError


def already_imported(found) -> str:
    raise NotImplementedError
