"""Issue 18 §1 through the API: upload a practice's list (preview with dry_run, then import),
the rounds and their candidates, a candidate's status and returned questionnaire, and the
duplicate warning when signalling."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.casefinding import Candidate, CasefindingRound
from clients.models import Resident
from kernteam.models import AccessLogEntry, years_later
from tests.casefinding_lists import HEADER, born, person, practice_list, three, upload
from tests.factories import ResidentFactory
from tests.helpers import API, api_as

pytestmark = pytest.mark.django_db


def post_list(user, team, data: bytes, *, dry_run: bool = False, name="lijst.csv"):
    body = {"file": upload(data, name=name)}
    if dry_run:
        body["dry_run"] = "true"
    return api_as(user).post(f"{API}/teams/{team.slug}/casefinding/", body, format="multipart")


def test_the_preview_checks_every_row_and_saves_nothing(daalhof):
    answer = post_list(daalhof.poh, daalhof.team, three(), dry_run=True)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["rows"], body["new"], body["known_residents"]) == (3, 3, 0)
    assert [c["last_name"] for c in body["candidates"]] == ["Brouwers", "Smeets", "van Wouters"]
    assert body["candidates"][1]["first_name"] == "Hélène"
    assert body["already_imported_at"] is None
    assert not CasefindingRound.objects.exists() and not Candidate.objects.exists()


def test_problems_come_back_as_field_errors_with_line_numbers(daalhof):
    rows = [
        person("P1", "Anna", "Brouwers"),
        person("P2", "Kees", "Smeets", date_of_birth=""),
        person("P3", "Jo", "Peters", age=50),
        person("P1", "Lies", "Hendriks"),
    ]
    answer = post_list(daalhof.poh, daalhof.team, practice_list(rows), dry_run=True)
    assert answer.status_code == 400
    body = answer.json()
    assert body["file"][0] == "Regel 3: de geboortedatum ontbreekt."
    assert body["file"][1].startswith("Regel 4: jonger dan 65 (geboren ")
    assert body["file"][2] == "Regel 5: patiëntnummer P1 staat ook op regel 2 (een dubbele regel)."
    assert [line["line"] for line in body["lines"]] == [3, 4, 5]
    # importing the same file: refused whole, nothing saved
    again = post_list(daalhof.gp, daalhof.team, practice_list(rows))
    assert again.status_code == 400 and again.json()["file"] == body["file"]
    assert not Candidate.objects.exists()
    # the coordinator reads the line and the kind of problem: no number, no date of birth
    kinds = [
        "Regel 3: de geboortedatum ontbreekt.",
        "Regel 4: jonger dan 65: casefinding is voor ouderen.",
        "Regel 5: hetzelfde patiëntnummer als regel 2 (een dubbele regel).",
    ]
    for dry_run in (True, False):
        answer = post_list(daalhof.coordinator, daalhof.team, practice_list(rows), dry_run=dry_run)
        assert answer.status_code == 400 and answer.json()["file"] == kinds
        assert answer.json()["lines"][2] == {"line": 5, "problems": [kinds[2][9:]]}


def test_import_makes_one_round_and_the_same_file_twice_changes_nothing(daalhof):
    made = post_list(daalhof.poh, daalhof.team, three())
    assert made.status_code == 201
    body = made.json()
    assert body["candidates"] == 3 and body["per_status"]["to_invite"] == 3
    again = post_list(daalhof.gp, daalhof.team, three(), name="andere-naam.csv")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["detail"].startswith("Dit bestand is al ingelezen op ")
    assert CasefindingRound.objects.count() == 1 and Candidate.objects.count() == 3
    preview = post_list(daalhof.poh, daalhof.team, three(), dry_run=True).json()
    assert preview["already_imported_at"] is not None
    imports = AccessLogEntry.objects.filter(what="casefinding-import").order_by("pk")
    assert list(imports.values_list("action", flat=True)) == ["write", "read"]
    # the same list re-saved (another delimiter and order): nothing new, no round
    resaved = practice_list(
        [
            person("P1003", "Jan", "Wouters", prefix="van", age=91),
            person("P1001", "Anna", "Brouwers", age=82),
            person("P1002", "Hélène", "Smeets", age=78),
        ],
        delimiter=",",
    )
    nothing = (
        "Niets nieuws op deze lijst: iedere patiënt erop is al cliënt van het team, al "
        "kandidaat, of afgesloten tot de datum van de nieuwe uitnodiging. Er wordt geen ronde "
        "gemaakt."
    )
    checked = post_list(daalhof.poh, daalhof.team, resaved, dry_run=True).json()
    assert (checked["new"], checked["already_candidates"], checked["detail"]) == (0, 3, nothing)
    refused = post_list(daalhof.poh, daalhof.team, resaved)
    assert refused.status_code == 400 and refused.json() == {"file": [nothing]}
    assert CasefindingRound.objects.count() == 1


def test_a_closed_candidate_is_counted_not_imported_again(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    client = api_as(daalhof.gp)
    declined = client.post(
        f"{API}/casefinding/candidates/{anna.pk}/status/", {"status": "declined"}, format="json"
    )
    assert declined.status_code == 200, declined.json()
    again = practice_list([person("P1001", "Anna", "Brouwers", age=82), person("P5", "Kees")])
    preview = post_list(daalhof.poh, daalhof.team, again, dry_run=True).json()
    until = years_later(timezone.localdate(), 1).isoformat()
    assert (preview["new"], preview["closed_candidates"]) == (1, 1)
    assert preview["candidates"][0]["closed_until"] == until
    made = post_list(daalhof.poh, daalhof.team, again).json()
    assert (made["candidates"], made["closed_candidates"]) == (1, 1)


def test_stock_english_messages_do_not_reach_the_api(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    client = api_as(daalhof.poh)
    url = f"{API}/casefinding/candidates/{anna.pk}/questionnaire/"
    wrong = client.post(url, {"instrument": ["gfi"], "score": 4}, format="json")
    assert wrong.json() == {"instrument": ["Kies de vragenlijst: GFI of TFI."]}
    body = {"file": upload(three()), "dry_run": "misschien"}
    maybe = client.post(f"{API}/teams/daalhof/casefinding/", body, format="multipart")
    assert maybe.status_code == 400 and maybe.json() == {"dry_run": ["Geef true of false."]}
    signal = {
        "team": "daalhof",
        "first_name": "Jan",
        "last_name": "Ramakers",
        "date_of_birth": born(88).isoformat(),
        "reason": "Valt vaak",
        "confirm_not_duplicate": "ja",
    }
    refused = client.post(f"{API}/residents/", signal, format="json")
    assert refused.json() == {"confirm_not_duplicate": ["Geef true of false (een JSON-boolean)."]}
    zero = client.post(url, {"instrument": "gfi", "score": -0.0}, format="json")
    assert zero.status_code == 200 and zero.json()["score"] == 0
    assert str(Candidate.objects.get(pk=anna.pk).score) == "0.0"


def test_the_coordinator_uploads_and_sees_counts_but_no_names(daalhof):
    preview = post_list(daalhof.coordinator, daalhof.team, three(), dry_run=True).json()
    assert "candidates" not in preview and preview["new"] == 3
    made = post_list(daalhof.coordinator, daalhof.team, three()).json()
    rounds = api_as(daalhof.coordinator).get(f"{API}/teams/daalhof/casefinding/")
    assert rounds.status_code == 200 and rounds.json()[0]["per_status"]["to_invite"] == 3
    assert "Brouwers" not in rounds.content.decode()
    names = api_as(daalhof.coordinator).get(
        f"{API}/teams/daalhof/casefinding/{made['id']}/candidates/"
    )
    assert names.status_code == 403
    assert names.json()["detail"] == (
        "Alleen de huisarts en de POH zien en wijzigen de kandidaten van een casefindingronde."
    )


def test_a_welfare_worker_is_refused_and_another_team_gets_404(daalhof, malberg):
    refused = post_list(daalhof.welfare, daalhof.team, three(), dry_run=True)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Alleen de huisarts, de POH of de teamcoördinator doet casefinding."
    )
    assert api_as(daalhof.welfare).get(f"{API}/teams/daalhof/casefinding/").status_code == 403
    made = post_list(daalhof.poh, daalhof.team, three()).json()
    other = api_as(malberg.poh)
    assert other.get(f"{API}/teams/daalhof/casefinding/").status_code == 404
    assert other.get(f"{API}/teams/daalhof/casefinding/{made['id']}/candidates/").status_code == 404
    candidate = Candidate.objects.first()
    moved = other.post(
        f"{API}/casefinding/candidates/{candidate.pk}/status/", {"status": "invited"}, format="json"
    )
    assert moved.status_code == 404
    assert post_list(malberg.poh, daalhof.team, three()).status_code == 404


def test_reading_the_candidates_is_in_the_access_log(daalhof):
    made = post_list(daalhof.poh, daalhof.team, three()).json()
    imported = AccessLogEntry.objects.get(what="casefinding-import")
    assert (imported.user, imported.action, imported.resident) == (daalhof.poh, "write", None)
    shown = api_as(daalhof.gp).get(f"{API}/teams/daalhof/casefinding/{made['id']}/candidates/")
    assert shown.status_code == 200 and len(shown.json()) == 3
    entry = AccessLogEntry.objects.get(what="casefinding-candidates")
    assert (entry.user, entry.role, entry.action, entry.team) == (
        daalhof.gp,
        "gp",
        "read",
        daalhof.team,
    )
    assert entry.path == f"/api/v1/teams/daalhof/casefinding/{made['id']}/candidates/"


def test_a_score_above_the_cutoff_signals_her_with_the_score_on_record(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    client = api_as(daalhof.poh)
    invited = client.post(
        f"{API}/casefinding/candidates/{anna.pk}/status/", {"status": "invited"}, format="json"
    )
    assert invited.status_code == 200 and invited.json()["status"] == "invited"
    today = timezone.localdate()
    assert invited.json()["follow_up_on"] == (today + datetime.timedelta(days=28)).isoformat()
    answer = client.post(
        f"{API}/casefinding/candidates/{anna.pk}/questionnaire/",
        {"instrument": "gfi", "score": 7, "returned_on": today.isoformat()},
        format="json",
    )
    assert answer.status_code == 200
    body = answer.json()
    resident = Resident.objects.get(pk=body["resident"])
    assert (resident.first_name, resident.last_name) == ("Anna", "Brouwers")
    assert resident.trajectory.state == "signalled"
    assessment = resident.assessments.get()
    assert (assessment.instrument, assessment.score, assessment.above_cutoff) == ("gfi", 7, True)
    assert body["status"] == "returned" and body["reinvite_on"] is None
    entry = AccessLogEntry.objects.get(what="casefinding-score")
    assert entry.resident == resident and entry.action == "write"


def test_a_score_below_the_cutoff_closes_her_until_next_year(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    smeets = Candidate.objects.get(last_name="Smeets")
    today = timezone.localdate()
    answer = api_as(daalhof.gp).post(
        f"{API}/casefinding/candidates/{smeets.pk}/questionnaire/",
        {"instrument": "tfi", "score": 4},
        format="json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["resident"] is None and body["status"] == "returned"
    assert body["reinvite_on"] == years_later(today, 1).isoformat()
    assert not Resident.objects.exists()


def test_a_score_outside_the_range_is_a_field_error_and_changes_nothing(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    answer = api_as(daalhof.poh).post(
        f"{API}/casefinding/candidates/{anna.pk}/questionnaire/",
        {"instrument": "gfi", "score": 16},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"score": ["GFI-scores lopen van 0 tot 15; 16 valt daarbuiten."]}
    anna.refresh_from_db()
    assert anna.status == "to_invite" and not Resident.objects.exists()


def test_the_coordinator_may_not_record_a_score(daalhof):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    answer = api_as(daalhof.coordinator).post(
        f"{API}/casefinding/candidates/{anna.pk}/questionnaire/",
        {"instrument": "gfi", "score": 8},
        format="json",
    )
    assert answer.status_code == 403 and not Resident.objects.exists()


def test_the_follow_up_list_is_in_the_access_log(daalhof, time_machine):
    post_list(daalhof.poh, daalhof.team, three())
    anna = Candidate.objects.get(last_name="Brouwers")
    client = api_as(daalhof.poh)
    invited = client.post(
        f"{API}/casefinding/candidates/{anna.pk}/status/", {"status": "invited"}, format="json"
    )
    assert invited.status_code == 200
    assert client.get(f"{API}/teams/daalhof/casefinding/follow-up/").json() == []
    time_machine.move_to(timezone.now() + datetime.timedelta(days=29))
    due = api_as(daalhof.poh).get(f"{API}/teams/daalhof/casefinding/follow-up/").json()
    assert [c["last_name"] for c in due] == ["Brouwers"]
    entry = AccessLogEntry.objects.filter(what="casefinding-follow-up").latest("pk")
    assert (entry.user, entry.action, entry.resident) == (daalhof.poh, "read", None)


def test_signalling_a_likely_duplicate_is_refused_unless_confirmed(daalhof):
    existing = ResidentFactory(
        team=daalhof.team, first_name="Jan", last_name="Ramakers", date_of_birth=born(88)
    )
    body = {
        "team": "daalhof",
        "first_name": "jan",
        "last_name": "RAMAKERS",
        "date_of_birth": born(88).isoformat(),
        "reason": "Valt vaak",
    }
    client = api_as(daalhof.gp)
    refused = client.post(f"{API}/residents/", body, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "confirm_not_duplicate": [
            f"Waarschijnlijk al gesignaleerd: het team kent Mevrouw Jan Ramakers (cliënt "
            f"{existing.pk}, Gesignaleerd) met dezelfde naam en geboortedatum. Stuur "
            "confirm_not_duplicate: true om toch te signaleren."
        ]
    }
    assert Resident.objects.count() == 1
    made = client.post(f"{API}/residents/", {**body, "confirm_not_duplicate": True}, format="json")
    assert made.status_code == 201 and Resident.objects.count() == 2


REFUSED_FILES = {
    "a BSN column": (
        lambda: practice_list([(*person("P1"), "123456782")], header=(*HEADER, "bsn")),
        "lijst.csv",
        "Het bestand heeft een kolom “bsn”: Kernteam slaat nooit een BSN op.",
    ),
    "a missing column": (
        lambda: practice_list([("P1", "Anna")], header=("patientnummer", "voornaam")),
        "lijst.csv",
        "Er ontbreken kolommen: achternaam, geboortedatum.",
    ),
    "UTF-16": (
        lambda: ";".join(HEADER).encode("utf-16"),
        "lijst.csv",
        "Het bestand is geen platte tekst (het bevat NUL-tekens",
    ),
    "a workbook": (lambda: b"PK\x03\x04", "lijst.xlsx", "Dit is geen CSV-bestand."),
    "100,000 rows": (
        lambda: practice_list([person("P1")] * 100_000),
        "lijst.csv",
        "Het bestand heeft meer dan 10.000 regels",
    ),
}


@pytest.mark.parametrize("case", REFUSED_FILES)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_file_that_cannot_be_a_list_is_refused_with_a_dutch_message(daalhof, case, dry_run):
    make, name, start = REFUSED_FILES[case]
    body = {"file": upload(make(), name=name, content_type="application/octet-stream")}
    if dry_run:
        body["dry_run"] = "true"
    answer = api_as(daalhof.poh).post(f"{API}/teams/daalhof/casefinding/", body, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["file"][0].startswith(start)
    assert not CasefindingRound.objects.exists()


def test_a_formula_is_refused_by_line_through_the_api(daalhof):
    data = practice_list([person("P1"), person("P2", "@SUM(A1)", "Smeets")], delimiter=",")
    answer = post_list(daalhof.poh, daalhof.team, data)
    assert answer.status_code == 400
    assert answer.json()["lines"] == [
        {
            "line": 3,
            "problems": ["een cel begint met “@” (een formule); formules worden niet ingelezen."],
        }
    ]
    assert not CasefindingRound.objects.exists()
