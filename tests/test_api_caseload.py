"""Issue 21 §1 through the API: POST /api/v1/teams/<slug>/caseload/ with the team's caseload
(CSV). `dry_run=true` answers every row as it would be imported, and the problems by line,
writing nothing; without it the file is imported whole (201) or refused whole (400, by line);
the same file again is 200 and changes nothing. Only the GP and the POH; another team: 404.
Bad files get a Dutch message on "file", never a 500."""

from __future__ import annotations

import hashlib

import pytest

from clients.models import Assessment, Consent, CoordinatorChange, Resident
from kernteam.models import AccessLogEntry, person_name, shown_date
from steps.caseload import CaseloadEntry, CaseloadImport
from steps.caseload_import import MAX_BYTES
from steps.models import StepChange
from tests.caseload_files import HEADER, born, caseload, every_step, resident, upload
from tests.factories import ResidentFactory
from tests.helpers import API, api_as
from tests.subscription_helpers import integration_account

pytestmark = pytest.mark.django_db

RECORDS = (
    Resident,
    StepChange,
    Consent,
    Assessment,
    CoordinatorChange,
    CaseloadImport,
    CaseloadEntry,
)


def post(user, team, data: bytes, *, dry_run: bool = False, name="caseload.csv", **kwargs):
    body = {"file": upload(data, name=name, **kwargs)}
    if dry_run:
        body["dry_run"] = "true"
    return api_as(user).post(f"{API}/teams/{team.slug}/caseload/", body, format="multipart")


def counts() -> dict[str, int]:
    """What an import writes, and the access log's writes: the same before and after means
    nothing was written."""
    found = {model.__name__: model.objects.count() for model in RECORDS}
    found["access log writes"] = AccessLogEntry.objects.filter(action="write").count()
    return found


def nothing_written() -> bool:
    return not any(model.objects.exists() for model in RECORDS)


def test_the_dry_run_answers_every_row_resolved_and_writes_nothing(daalhof):
    answer = post(daalhof.poh, daalhof.team, every_step(), dry_run=True)
    assert answer.status_code == 200
    body = answer.json()
    assert body["sha256"] == hashlib.sha256(every_step()).hexdigest()
    assert (body["new"], body["already"], body["already_imported_at"]) == (6, 0, None)
    assert [(r["line"], r["last_name"], r["state"]) for r in body["rows"]] == [
        (2, "Brouwers", "signalled"),
        (3, "Smeets", "screening"),
        (4, "Wouters", "step1"),
        (5, "Peters", "step2"),
        (6, "Hendriks", "step3"),
        (7, "Ramakers", "step4"),
    ]
    peters = body["rows"][3]
    assert peters["coordinator"] == {"id": daalhof.poh.pk, "name": person_name(daalhof.poh)}
    assert peters["date_of_birth"] == born(82).isoformat()
    assert (peters["instrument"], peters["score"]) == ("gfi", 6)
    assert peters["share_with_carers"] is True and len(peters["disciplines"]) == 7
    assert body["rows"][0]["coordinator"] is None and body["rows"][0]["consent_given_on"] is None
    assert nothing_written()
    entry = AccessLogEntry.objects.get(what="caseload-preview")
    assert (entry.user, entry.action, entry.resident) == (daalhof.poh, "read", None)


def test_problems_come_back_by_line_and_nothing_is_written(daalhof):
    rows = [
        resident("P1", "Anna", "Brouwers"),
        resident("P2", "Kees", "Smeets", coordinator=""),
        resident("P3", "Jo", "Peters", state="stap 5"),
        resident("P1", "Lies", "Hendriks"),
    ]
    messages = [
        "Regel 3: Er is geen zorgcoördinator benoemd.",
        "Regel 4: de stap “stap 5” is onbekend: schrijf gesignaleerd, screening of stap 1 tot "
        "en met 4.",
        "Regel 5: patiëntnummer P1 staat ook op regel 2 (een dubbele regel).",
    ]
    for dry_run in (True, False):
        answer = post(daalhof.gp, daalhof.team, caseload(rows), dry_run=dry_run)
        assert answer.status_code == 400
        assert answer.json()["file"] == messages
        assert answer.json()["lines"] == [
            {"line": 3, "problems": [messages[0].removeprefix("Regel 3: ")]},
            {"line": 4, "problems": [messages[1].removeprefix("Regel 4: ")]},
            {"line": 5, "problems": [messages[2].removeprefix("Regel 5: ")]},
        ]
    assert nothing_written()


def test_the_import_makes_every_resident_in_her_step(daalhof):
    answer = post(daalhof.poh, daalhof.team, every_step())
    assert answer.status_code == 201
    body = answer.json()
    made = CaseloadImport.objects.get()
    assert body["id"] == made.pk and body["file_name"] == "caseload.csv"
    assert body["sha256"] == hashlib.sha256(every_step()).hexdigest()
    assert body["imported_by"]["id"] == daalhof.poh.pk and body["residents_count"] == 6
    ids = [r["id"] for r in body["residents"]]
    assert ids == made.resident_ids()
    assert body["residents"][0]["url"] == f"{API}/residents/{ids[0]}/"
    assert Resident.objects.get(pk=ids[3]).trajectory.state == "step2"
    shown = api_as(daalhof.gp).get(body["residents"][3]["url"])
    assert shown.status_code == 200 and shown.json()["last_name"] == "Peters"
    written = AccessLogEntry.objects.filter(what="caseload-import")
    assert {(e.user, e.action) for e in written} == {(daalhof.poh, "write")}
    assert sorted(e.resident_id for e in written) == sorted(ids)


def test_the_same_file_again_is_200_and_changes_nothing(daalhof):
    first = post(daalhof.poh, daalhof.team, every_step()).json()
    before = counts()
    log_before = AccessLogEntry.objects.count()
    again = post(daalhof.gp, daalhof.team, every_step(), name="opnieuw.csv")
    assert again.status_code == 200
    body = again.json()
    assert body["id"] == first["id"] and body["file_name"] == "caseload.csv"
    assert body["already_imported_at"] == first["imported_at"]
    assert body["detail"].startswith("Dit bestand is al ingelezen op ")
    assert counts() == before
    # the only new entry in the access log: that the GP read what was imported before
    new = AccessLogEntry.objects.order_by("pk")[log_before:]
    assert [(e.user, e.action, e.what, e.resident) for e in new] == [
        (daalhof.gp, "read", "caseload-import", None)
    ]
    preview = post(daalhof.poh, daalhof.team, every_step(), dry_run=True).json()
    assert preview["already_imported_at"] == first["imported_at"]
    assert preview["detail"].startswith("Dit bestand is al ingelezen op ")


def test_the_same_residents_saved_again_are_skipped_not_doubled(daalhof):
    post(daalhof.poh, daalhof.team, every_step())
    resaved = every_step().replace(b";", b",").replace(b"\r\n", b"\n")
    before = counts()
    preview = post(daalhof.poh, daalhof.team, resaved, dry_run=True).json()
    assert (preview["new"], preview["already"]) == (0, 6)
    assert preview["detail"] == (
        "Niets nieuws in dit bestand: elke cliënt erin is al eerder ingelezen. Er is niets "
        "gewijzigd."
    )
    assert all(row["resident"] for row in preview["rows"])
    refused = post(daalhof.poh, daalhof.team, resaved)
    assert refused.status_code == 400 and refused.json() == {"file": [preview["detail"]]}
    assert counts() == before


@pytest.mark.parametrize("role", ["district_nurse", "welfare", "coordinator"])
def test_other_roles_get_403_with_the_reason(daalhof, role):
    for dry_run in (True, False):
        answer = post(daalhof.member(role), daalhof.team, every_step(), dry_run=dry_run)
        assert answer.status_code == 403
        assert answer.json() == {
            "detail": "Alleen de huisarts of de POH leest de caseload van het team in."
        }
    assert nothing_written()
    assert not AccessLogEntry.objects.filter(what__startswith="caseload").exists()


@pytest.mark.parametrize("role", ["gp", "poh"])
def test_an_integration_account_with_the_gps_or_pohs_role_gets_403(daalhof, role):
    """The history, the consents and the import would name a system as the GP or the POH."""
    his = integration_account(daalhof.team, role=role)
    for dry_run in (True, False):
        answer = post(his, daalhof.team, every_step(), dry_run=dry_run)
        assert answer.status_code == 403
        assert answer.json() == {
            "detail": "Een systeemaccount leest geen caseload in: de huisarts of de POH van het "
            "team leest die zelf in."
        }
    assert nothing_written()
    assert not AccessLogEntry.objects.filter(what__startswith="caseload").exists()


def test_another_team_gets_404(daalhof, malberg):
    assert post(malberg.poh, daalhof.team, every_step()).status_code == 404
    answer = api_as(malberg.gp).post(f"{API}/teams/bestaat-niet/caseload/", {}, format="multipart")
    assert answer.status_code == 404
    assert nothing_written()


def test_a_windows_1252_file_is_read(daalhof):
    data = caseload(
        [resident("P1", "Hélène", "Smeets"), resident("P2", "Françoise", "Coënen")],
        encoding="cp1252",
        delimiter=",",
    )
    assert "é".encode("cp1252") in data
    answer = post(daalhof.poh, daalhof.team, data)
    assert answer.status_code == 201, answer.json()
    assert sorted(Resident.objects.values_list("first_name", "last_name")) == [
        ("Françoise", "Coënen"),
        ("Hélène", "Smeets"),
    ]


def many(n: int) -> bytes:
    return caseload([resident(f"P{i}", "Anna", f"Brouwers{i}") for i in range(n)])


REFUSED = {
    "over 5 MB": (
        lambda: b"a;b\n" * (MAX_BYTES // 4),
        "caseload.csv",
        "Het bestand is te groot (5 MB of meer).",
    ),
    "5,001 rows": (lambda: many(5001), "caseload.csv", "Het bestand heeft meer dan 5.000 regels"),
    "a BSN column": (
        lambda: caseload([(*resident("P1").values(), "123456782")], header=(*HEADER, "BSN")),
        "caseload.csv",
        "Het bestand heeft een kolom “BSN”: Kernteam slaat nooit een BSN op.",
    ),
    "UTF-16": (
        lambda: ";".join(HEADER).encode("utf-16"),
        "caseload.csv",
        "Het bestand is geen platte tekst (het bevat NUL-tekens",
    ),
    "mixed encodings": (
        lambda: caseload([resident("P1", "Hélène")]) + "P2;Zoë;;Smeets\r\n".encode("cp1252"),
        "caseload.csv",
        "Het bestand mengt tekensets",
    ),
    "a workbook": (lambda: b"PK\x03\x04", "caseload.xlsx", "Dit is geen CSV-bestand."),
    "no rows": (lambda: caseload([]), "caseload.csv", "Het bestand heeft een kopregel"),
}


@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_file_that_cannot_be_a_caseload_is_refused_in_dutch(daalhof, case, dry_run):
    make, name, start = REFUSED[case]
    answer = post(
        daalhof.poh,
        daalhof.team,
        make(),
        dry_run=dry_run,
        name=name,
        content_type="application/octet-stream",
    )
    assert answer.status_code == 400
    assert answer.json()["file"][0].startswith(start), answer.json()
    assert nothing_written()
    # the refused upload is in the access log, naming no resident
    entry = AccessLogEntry.objects.get(what__startswith="caseload")
    assert (entry.user, entry.action, entry.resident, entry.what) == (
        daalhof.poh,
        "read",
        None,
        "caseload-preview" if dry_run else "caseload-import",
    )


def test_a_formula_is_refused_by_line(daalhof):
    data = caseload([resident("P1"), resident("P2", "@SUM(A1)", "Smeets")], delimiter=",")
    answer = post(daalhof.poh, daalhof.team, data)
    assert answer.status_code == 400
    assert answer.json()["lines"] == [
        {
            "line": 3,
            "problems": ["een cel begint met “@” (een formule); formules worden niet ingelezen."],
        }
    ]
    assert nothing_written()


def test_no_file_and_a_bad_dry_run_are_field_errors(daalhof):
    client = api_as(daalhof.poh)
    url = f"{API}/teams/daalhof/caseload/"
    nothing = client.post(url, {}, format="multipart")
    assert nothing.status_code == 400 and list(nothing.json()) == ["file"]
    maybe = client.post(
        url, {"file": upload(every_step()), "dry_run": "misschien"}, format="multipart"
    )
    assert maybe.status_code == 400 and maybe.json() == {"dry_run": ["Geef true of false."]}
    assert nothing_written()


def test_a_refused_import_notes_the_residents_its_problems_name(daalhof):
    """The problems name the team's residents (a duplicate): read, as the dry run notes them."""
    anna = ResidentFactory(
        team=daalhof.team, first_name="Anna", last_name="Brouwers", date_of_birth=born(82)
    )
    answer = post(daalhof.poh, daalhof.team, caseload([resident("P1", "Anna", "Brouwers")]))
    assert answer.status_code == 400
    assert answer.json()["file"] == [
        f"Regel 2: het team heeft Anna Brouwers, geboren {shown_date(born(82))}, al (cliënt "
        f"{anna.pk}): een dubbele; verwijder de regel."
    ]
    entries = AccessLogEntry.objects.filter(what="caseload-import")
    assert {(e.user, e.action, e.resident_id) for e in entries} == {
        (daalhof.poh, "read", None),
        (daalhof.poh, "read", anna.pk),
    }
    assert not CaseloadImport.objects.exists()
