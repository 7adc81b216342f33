"""Issue 18 §1: casefinding rounds. The practice's list is checked row by row (the preview),
imported whole or not at all, and its candidates followed until a questionnaire comes back; a
score at or above the cut-off signals the resident with the score on record. And signalling by
hand warns about a likely duplicate."""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.casefinding import (
    MAX_BYTES,
    Candidate,
    CasefindingRound,
    change_candidate_status,
    follow_up_list,
    likely_duplicates,
)
from clients.casefinding_import import (
    import_casefinding,
    preview_casefinding,
    read_upload,
)
from clients.models import Resident
from kernteam.models import AccessLogEntry, shown_date, years_later
from kernteam.refusals import Refused
from steps.casefinding_services import record_questionnaire
from steps.services import LikelyDuplicate, signal_resident
from tests.casefinding_lists import (
    HEADER,
    born,
    dutch,
    person,
    practice_list,
    three,
    upload,
)
from tests.factories import ResidentFactory
from tests.helpers import API, api_as, race

pytestmark = pytest.mark.django_db


def check(team, by, data: bytes):
    return preview_casefinding(team=team, by=by, file_name="lijst.csv", data=data)


def refusal(team, by, data: bytes) -> list[str]:
    with pytest.raises(Refused) as caught:
        check(team, by, data)
    return caught.value.problems


# --- reading the file ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_both_encodings_and_both_delimiters_are_read(daalhof, encoding, delimiter):
    preview = check(
        daalhof.team,
        daalhof.poh,
        practice_list(
            [person("P1", "Hélène", "Smeets", prefix="van der"), person("P2", "Jan", "Brouwers")],
            delimiter=delimiter,
            encoding=encoding,
        ),
    )
    assert preview.ok
    assert [(r.first_name, r.last_name) for r in preview.rows] == [
        ("Hélène", "van der Smeets"),
        ("Jan", "Brouwers"),
    ]


def test_a_utf8_file_with_a_byte_order_mark_from_excel(daalhof):
    preview = check(daalhof.team, daalhof.poh, practice_list([person("P1")], bom=True))
    assert preview.ok and preview.rows[0].practice_number == "P1"


def test_the_risk_flags_are_read(daalhof):
    rows = [person("P1", medicines="12", multimorbidity="ja", no_contact="nee", frailty="0,35")]
    row = check(daalhof.team, daalhof.poh, practice_list(rows)).rows[0]
    assert (row.medicines, row.multimorbidity, row.no_contact) == (12, True, False)
    assert str(row.frailty_score) == "0.35"  # (two decimals, as stored)
    only_required = practice_list(
        [("P1", "Anna", "Brouwers", dutch(born(80)))],
        header=("Patiëntnummer", "Voornaam", "Achternaam", "Geboortedatum"),
    )
    row = check(daalhof.team, daalhof.poh, only_required).rows[0]
    assert (row.medicines, row.multimorbidity, row.no_contact, row.frailty_score) == (
        None,
        None,
        None,
        None,
    )


def test_a_bsn_column_is_refused_by_its_name(daalhof):
    data = practice_list([(*person("P1"), "123456782")], header=(*HEADER, "BSN"))
    assert refusal(daalhof.team, daalhof.poh, data) == [
        "Het bestand heeft een kolom “BSN”: Kernteam slaat nooit een BSN op. Verwijder de kolom "
        "en upload het bestand opnieuw; de lijst heeft het eigen patiëntnummer van de praktijk "
        "nodig."
    ]


def test_a_column_of_numbers_that_pass_the_eleven_proof_is_refused(daalhof):
    bsns = ["111222333", "123456782", "999999990"]  # each passes the 11-proof
    rows = [person(number, "Anna", f"Brouwers{i}") for i, number in enumerate(bsns)]
    assert refusal(daalhof.team, daalhof.poh, practice_list(rows)) == [
        "De kolom “patientnummer” lijkt burgerservicenummers (BSN) te bevatten: negen cijfers "
        "die de elfproef doorstaan. Kernteam slaat nooit een BSN op: gebruik het eigen "
        "patiëntnummer van de praktijk."
    ]
    # practice numbers of nine digits are fine when they are not BSNs
    rows = [person(str(n), "Anna", f"Brouwers{n}") for n in (123456789, 123456780, 100000001)]
    assert check(daalhof.team, daalhof.poh, practice_list(rows)).ok


def test_bsns_however_grouped_or_alone_and_two_names_for_one_column(daalhof, resident_in):
    """What the list shares with the caseload's reading (`kernteam.csv_read`)."""
    grouped = [person(n, "Anna", f"Brouwers{i}") for i, n in enumerate(["123 456 782", "P7"])]
    grouped.append(person("111.222.333", "Jan", "Wouters"))
    assert refusal(daalhof.team, daalhof.poh, practice_list(grouped)) == [
        "De kolom “patientnummer” lijkt burgerservicenummers (BSN) te bevatten: negen cijfers "
        "die de elfproef doorstaan. Kernteam slaat nooit een BSN op: gebruik het eigen "
        "patiëntnummer van de praktijk."
    ]
    alone = [person("P1"), person("123-456-782", "Jan", "Wouters"), person("P3", "Els", "Zorg")]
    bsn = (
        "Regel 3: het patiëntnummer lijkt een BSN (de cijfers doorstaan de elfproef): Kernteam "
        "slaat nooit een BSN op. Geef het eigen patiëntnummer van de praktijk."
    )
    assert check(daalhof.team, daalhof.poh, practice_list(alone)).messages() == [bsn]
    assert check(daalhof.team, daalhof.coordinator, practice_list(alone)).messages() == [bsn]
    # the list's own name for a column wins; two other names for it are a guess: refused
    header = ("nummer", *HEADER)
    rows = [("12", *person("P1"))]
    preview = check(daalhof.team, daalhof.poh, practice_list(rows, header=header))
    assert preview.rows[0].practice_number == "P1" and preview.ignored_columns == ["nummer"]
    header = ("gebdatum", "geboren", *HEADER[:4], *HEADER[5:])
    rows = [(p[4], p[4], *p[:4], *p[5:]) for p in [person("P1")]]
    assert refusal(daalhof.team, daalhof.poh, practice_list(rows, header=header)) == [
        "De kolommen “gebdatum” en “geboren” staan allebei voor geboortedatum: welke geldt? "
        "Noem de juiste “geboortedatum” of verwijder de andere, en upload het bestand opnieuw."
    ]
    # a name from a Mac's export (é as e and an accent) is the resident's
    helene = resident_in("step1", first_name="Hélène", last_name="Smeets", date_of_birth=born(78))
    nfd = unicodedata.normalize("NFD", "Hélène")
    preview = check(daalhof.team, daalhof.poh, practice_list([person("P9", nfd, "Smeets", age=78)]))
    assert [(r.first_name, r.known_resident) for r in preview.rows] == [("Hélène", helene.pk)]


def test_a_formula_in_a_cell_is_refused_by_line(daalhof):
    rows = [person("P1"), person("P2", '=HYPERLINK("http://x")', "Smeets")]
    preview = check(daalhof.team, daalhof.poh, practice_list(rows, delimiter=","))
    assert preview.messages() == [
        "Regel 3: een cel begint met “=” (een formule); formules worden niet ingelezen."
    ]
    for start in ("+", "-", "@"):
        rows = [person("P1", f"{start}cmd", "Smeets")]
        found = check(daalhof.team, daalhof.poh, practice_list(rows)).messages()
        assert found == [
            f"Regel 2: een cel begint met “{start}” (een formule); formules worden niet ingelezen."
        ]


def test_a_missing_column_is_refused_with_what_is_expected(daalhof):
    data = practice_list(
        [("P1", "Anna", "Brouwers")], header=("patientnummer", "voornaam", "achternaam")
    )
    (message,) = refusal(daalhof.team, daalhof.poh, data)
    assert message.startswith("Er ontbreken kolommen: geboortedatum. De eerste regel noemt")


def test_rows_with_problems_are_listed_by_line_in_dutch(daalhof):
    rows = [
        person("P1", "Anna", "Brouwers"),
        person("P2", "Kees", "Smeets", date_of_birth=""),
        person("P3", "Jo", "Peters", date_of_birth="31-02-1940"),
        person("P4", "Lies", "Hendriks", age=60),
        person("P1", "Piet", "Wouters"),
        person("P6", "Anna", "Brouwers"),
        person("P7", "Gerda", "Zorg", medicines="veel", multimorbidity="misschien"),
    ]
    preview = check(daalhof.team, daalhof.gp, practice_list(rows))
    assert not preview.ok
    sixty = shown_date(born(60))
    assert preview.messages() == [
        "Regel 3: de geboortedatum ontbreekt.",
        "Regel 4: de geboortedatum “31-02-1940” is niet te lezen (schrijf dd-mm-jjjj).",
        f"Regel 5: jonger dan 65 (geboren {sixty}): casefinding is voor ouderen.",
        "Regel 6: patiëntnummer P1 staat ook op regel 2 (een dubbele regel).",
        "Regel 7: dezelfde naam en geboortedatum als regel 2 (een dubbele regel).",
        "Regel 8: het aantal geneesmiddelen “veel” is geen heel getal van 0 tot 60.",
        "Regel 8: “misschien” bij multimorbiditeit: schrijf ja of nee.",
    ]


def test_unreadable_encodings_and_workbooks_are_refused(daalhof):
    assert refusal(daalhof.team, daalhof.poh, "patientnummer;naam".encode("utf-16")) == [
        "Het bestand is geen platte tekst (het bevat NUL-tekens: misschien een Excel-werkmap of "
        "UTF-16-tekst). Sla het op als CSV (UTF-8) en upload dat."
    ]
    assert refusal(daalhof.team, daalhof.poh, b"patientnummer;\x81\x8d\x90") == [
        "De tekens van het bestand zijn niet te lezen: het is geen UTF-8 en geen Windows-1252. "
        "Sla het op als CSV (UTF-8) en upload dat."
    ]
    assert refusal(daalhof.team, daalhof.poh, b"") == ["Het bestand is leeg."]
    assert refusal(daalhof.team, daalhof.poh, practice_list([])) == [
        "Het bestand heeft een kopregel maar geen patiënten."
    ]


def test_a_list_of_more_than_ten_thousand_rows_is_refused(daalhof):
    row = ";".join(person("P", "Anna", "Brouwers"))
    data = (";".join(HEADER) + "\n" + "\n".join([row] * 100_000)).encode()
    assert refusal(daalhof.team, daalhof.poh, data) == [
        "Het bestand heeft meer dan 10.000 regels; een casefindinglijst is korter. Exporteer "
        "alleen de patiënten van de lijst."
    ]


def test_a_file_of_twenty_megabytes_is_refused_before_it_is_read(daalhof):
    big = upload(b"x" * MAX_BYTES)
    with pytest.raises(Refused) as caught:
        read_upload(big)
    assert caught.value.problems == [
        "Het bestand is te groot (20 MB of meer). Een casefindinglijst heeft hooguit 10.000 "
        "regels: exporteer alleen de patiënten van de lijst."
    ]
    with pytest.raises(Refused, match="Dit is geen CSV-bestand"):
        read_upload(upload(b"PK\x03\x04", name="lijst.xlsx", content_type="application/zip"))


# --- importing ------------------------------------------------------------------------------------


def test_known_residents_are_matched_not_duplicated(daalhof):
    anna = ResidentFactory(
        team=daalhof.team, first_name="Anna", last_name="Brouwers", date_of_birth=born(82)
    )
    preview = check(daalhof.team, daalhof.poh, three())
    assert [r.known_resident for r in preview.known] == [anna.pk]
    made, created = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="lijst.csv", data=three()
    )
    assert created and made.known_residents == 1
    assert sorted(made.candidates.values_list("last_name", flat=True)) == ["Smeets", "van Wouters"]
    # a next list naming the open candidates again (another file) does not duplicate them
    again = practice_list(
        [person("P1002", "Hélène", "Smeets", age=78), person("P9", "Kees", "Laag")]
    )
    second, created = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="lijst2.csv", data=again
    )
    assert created and second.already_candidates == 1
    assert list(second.candidates.values_list("last_name", flat=True)) == ["Laag"]


def test_the_same_file_twice_changes_nothing(daalhof):
    first, created = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=three()
    )
    again, created_again = import_casefinding(
        team=daalhof.team, by=daalhof.gp, file_name="b.csv", data=three()
    )
    assert (created, created_again, again) == (True, False, first)
    assert Candidate.objects.count() == 3 and CasefindingRound.objects.count() == 1
    assert first.file_sha256 == hashlib.sha256(three()).hexdigest()


def test_any_problem_refuses_the_whole_file(daalhof):
    rows = [person("P1"), person("P2", "Kees", "Smeets", date_of_birth="")]
    with pytest.raises(Refused) as caught:
        import_casefinding(
            team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=practice_list(rows)
        )
    assert caught.value.fields == {"file": ["Regel 3: de geboortedatum ontbreekt."]}
    assert not CasefindingRound.objects.exists() and not Candidate.objects.exists()


def test_an_import_that_fails_halfway_leaves_nothing(daalhof, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Candidate.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        import_casefinding(team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=three())
    assert not CasefindingRound.objects.exists()


def test_the_web_import_needs_the_file_that_was_checked(daalhof):
    with pytest.raises(Refused, match="Dit is niet het bestand dat u controleerde"):
        import_casefinding(
            team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=three(), previewed="0" * 64
        )
    assert not CasefindingRound.objects.exists()


# --- candidates ---------------------------------------------------------------------------------


@pytest.fixture
def imported(daalhof):
    made, _ = import_casefinding(team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=three())
    return made


def test_status_changes_and_the_follow_up_list(daalhof, imported, time_machine):
    anna = imported.candidates.get(last_name="Brouwers")
    kees = imported.candidates.get(last_name="Smeets")
    today = timezone.localdate()
    change_candidate_status(candidate=anna, by=daalhof.poh, status="invited")
    change_candidate_status(candidate=kees, by=daalhof.gp, status="declined")
    anna.refresh_from_db()
    kees.refresh_from_db()
    assert (anna.status, anna.invited_on) == ("invited", today)
    assert anna.follow_up_on == today + datetime.timedelta(days=28)
    assert (kees.status, kees.reinvite_on) == ("declined", years_later(today, 1))
    assert list(follow_up_list(team=daalhof.team)) == []
    time_machine.move_to(timezone.now() + datetime.timedelta(days=28, hours=1))
    assert list(follow_up_list(team=daalhof.team)) == [anna]
    change_candidate_status(candidate=anna, by=daalhof.poh, status="unreachable")
    assert list(follow_up_list(team=daalhof.team)) == []
    with pytest.raises(Refused, match=r"^Deze kandidaat is afgesloten \(niet bereikt\)"):
        change_candidate_status(candidate=anna, by=daalhof.poh, status="invited")


def test_a_score_at_the_cutoff_signals_her_with_the_score_on_record(daalhof, imported, settings):
    anna = imported.candidates.get(last_name="Brouwers")
    today = timezone.localdate()
    done = record_questionnaire(
        candidate=anna, by=daalhof.poh, instrument="gfi", score=4, returned_on=today
    )
    resident = done.resident
    assert (resident.first_name, resident.last_name, resident.date_of_birth) == (
        "Anna",
        "Brouwers",
        born(82),
    )
    assert resident.trajectory.state == "signalled"
    signal = resident.trajectory.history.get()
    assert signal.reason == "Casefinding: GFI 4 teruggekomen (afkapwaarde 4)."
    assessment = resident.assessments.get()
    assert (assessment.instrument, assessment.score, assessment.assessed_on) == ("gfi", 4, today)
    assert assessment.above_cutoff and done.status == "returned"


def test_a_score_below_the_cutoff_closes_her_with_a_reinvite_date(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    today = timezone.localdate()
    done = record_questionnaire(candidate=anna, by=daalhof.gp, instrument="gfi", score=3)
    assert done.resident is None and done.status == "returned"
    assert done.reinvite_on == years_later(today, 1)
    assert not Resident.objects.exists()
    with pytest.raises(Refused, match=r"^Deze kandidaat is afgesloten"):
        record_questionnaire(candidate=anna, by=daalhof.gp, instrument="gfi", score=9)


def test_the_gfi_cutoff_is_the_setting(daalhof, imported, settings):
    settings.KERNTEAM_GFI_CUTOFF = 5
    anna = imported.candidates.get(last_name="Brouwers")
    done = record_questionnaire(candidate=anna, by=daalhof.gp, instrument="gfi", score=4)
    assert done.resident is None


def test_a_candidate_the_team_knows_already_gets_the_score_not_a_second_record(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    known = ResidentFactory(
        team=daalhof.team, first_name="anna", last_name="brouwers", date_of_birth=born(82)
    )
    done = record_questionnaire(candidate=anna, by=daalhof.poh, instrument="tfi", score=9)
    assert done.resident == known and Resident.objects.count() == 1
    assert known.assessments.get().instrument == "tfi"


def test_a_bad_score_or_date_changes_nothing(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(Refused) as caught:
        record_questionnaire(
            candidate=anna, by=daalhof.poh, instrument="gfi", score=9, returned_on=tomorrow
        )
    assert caught.value.fields == {"returned_on": ["De datum ligt in de toekomst."]}
    with pytest.raises(Refused) as caught:
        record_questionnaire(candidate=anna, by=daalhof.poh, instrument="cfs", score=6)
    assert caught.value.fields == {"instrument": ["Kies de vragenlijst: GFI of TFI."]}
    anna.refresh_from_db()
    assert anna.status == "to_invite" and not Resident.objects.exists()


def test_only_the_gp_and_poh_change_candidates(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    for who in (daalhof.coordinator, daalhof.welfare, daalhof.district_nurse):
        with pytest.raises(Refused) as caught:
            change_candidate_status(candidate=anna, by=who, status="invited")
        assert caught.value.forbidden
        assert caught.value.problems == [
            "Alleen de huisarts en de POH zien en wijzigen de kandidaten van een casefindingronde."
        ]


# --- the web pages ----------------------------------------------------------------------------


def page(client, team):
    return reverse("casefinding", args=[team.slug])


def test_the_poh_checks_then_imports_the_list_on_the_web(client, daalhof):
    client.force_login(daalhof.poh)
    url = page(client, daalhof.team)
    checked = client.post(url, {"file": upload(three()), "action": "check"}, HTTP_HX_REQUEST="true")
    html = checked.content.decode()
    assert checked.status_code == 200 and "3 nieuwe kandidaten" in html
    sha = hashlib.sha256(three()).hexdigest()
    assert f'name="previewed" value="{sha}"' in html and "Lijst inlezen" in html
    assert not CasefindingRound.objects.exists()
    done = client.post(
        url,
        {"file": upload(three()), "action": "import", "previewed": sha},
        HTTP_HX_REQUEST="true",
    )
    made = CasefindingRound.objects.get()
    assert done.headers["HX-Redirect"] == reverse("casefinding_round", args=["daalhof", made.pk])
    round_page = client.get(done.headers["HX-Redirect"]).content.decode()
    assert "Ingelezen: 3 kandidaten in een nieuwe ronde." in round_page
    assert "Hélène Smeets" in round_page and "uitnodigen: 3" in round_page
    # the same file again: nothing changes, and it says when it was imported
    again = client.post(url, {"file": upload(three()), "action": "import", "previewed": sha})
    assert again.status_code == 302
    assert "Dit bestand is al ingelezen op" in client.get(again.url).content.decode()
    assert Candidate.objects.count() == 3


def test_problems_show_by_line_and_nothing_is_imported_on_the_web(client, daalhof):
    client.force_login(daalhof.poh)
    rows = [person("P1"), person("P2", "Kees", "Smeets", age=50)]
    html = client.post(
        page(client, daalhof.team),
        {"file": upload(practice_list(rows)), "action": "check"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "1 probleem: de hele lijst wordt pas ingelezen als het is verbeterd." in html
    assert "Regel 3: jonger dan 65" in html and "Lijst inlezen" not in html
    refused = client.post(
        page(client, daalhof.team),
        {"file": upload(practice_list(rows)), "action": "import", "previewed": ""},
    ).content.decode()
    assert "Regel 3: jonger dan 65" in refused
    assert not CasefindingRound.objects.exists()


def test_an_upload_of_twenty_megabytes_gets_a_dutch_message_not_a_bare_400(client, daalhof):
    client.force_login(daalhof.poh)
    big = upload(b"a;b\n" * (MAX_BYTES // 4))
    answer = client.post(page(client, daalhof.team), {"file": big, "action": "check"})
    assert answer.status_code == 200
    assert "Het bestand is te groot (20 MB of meer)." in answer.content.decode()
    api = api_as(daalhof.poh).post(
        f"{API}/teams/daalhof/casefinding/",
        {"file": upload(b"a;b\n" * (MAX_BYTES // 4)), "dry_run": "true"},
        format="multipart",
    )
    assert api.status_code == 400
    assert api.json()["file"][0].startswith("Het bestand is te groot (20 MB of meer).")


def test_the_coordinator_sees_counts_and_problems_but_no_names(client, daalhof, imported):
    client.force_login(daalhof.coordinator)
    html = client.get(page(client, daalhof.team)).content.decode()
    assert "uitnodigen: 3" in html and "Op te volgen" not in html
    round_page = client.get(reverse("casefinding_round", args=["daalhof", imported.pk]))
    text = round_page.content.decode()
    assert round_page.status_code == 200 and "uitnodigen: 3" in text
    assert "Brouwers" not in text and "Smeets" not in text
    assert "Alleen de huisarts en de POH zien de namen van de kandidaten" in text
    rows = [person("P1"), person("P2", "Kees", "Smeets", date_of_birth="")]
    checked = client.post(
        page(client, daalhof.team),
        {"file": upload(practice_list(rows)), "action": "check"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Regel 3: de geboortedatum ontbreekt." in checked and "Smeets" not in checked
    assert not AccessLogEntry.objects.filter(what="casefinding-candidates").exists()


def test_a_welfare_worker_is_refused_and_another_team_gets_404(client, daalhof, malberg, imported):
    client.force_login(daalhof.welfare)
    refused = client.get(page(client, daalhof.team))
    assert refused.status_code == 403
    assert "Alleen de huisarts, de POH of de teamcoördinator doet casefinding." in (
        refused.content.decode()
    )
    board = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert reverse("casefinding", args=["daalhof"]) not in board
    client.force_login(malberg.poh)
    assert client.get(page(client, daalhof.team)).status_code == 404
    assert (
        client.get(reverse("casefinding_round", args=["daalhof", imported.pk])).status_code == 404
    )
    anna = imported.candidates.get(last_name="Brouwers")
    status_url = reverse("casefinding_candidate_status", args=[anna.pk])
    assert client.post(status_url, {"status": "invited"}).status_code == 404
    client.force_login(daalhof.poh)
    board = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert reverse("casefinding", args=["daalhof"]) in board


def test_status_and_score_on_the_round_page_and_the_access_log(client, daalhof, imported):
    client.force_login(daalhof.gp)
    anna = imported.candidates.get(last_name="Brouwers")
    moved = client.post(
        reverse("casefinding_candidate_status", args=[anna.pk]), {"status": "invited"}
    )
    assert moved.status_code == 302 and moved.url.endswith(f"#candidate-{anna.pk}")
    scored = client.post(
        reverse("casefinding_candidate_questionnaire", args=[anna.pk]),
        {"instrument": "gfi", "score": "8", "returned_on": timezone.localdate().isoformat()},
    )
    html = client.get(scored.url).content.decode()
    assert "Anna Brouwers scoorde op of boven de afkapwaarde: gesignaleerd bij het team" in html
    resident = Resident.objects.get(last_name="Brouwers")
    assert reverse("resident", args=[resident.pk]) in html
    assert resident.assessments.get().score == 8
    writes = AccessLogEntry.objects.filter(user=daalhof.gp, action="write")
    assert sorted(writes.values_list("what", flat=True)) == [
        "casefinding-score",
        "casefinding-status",
    ]
    assert writes.get(what="casefinding-score").resident == resident
    read = AccessLogEntry.objects.filter(what="casefinding-candidates", user=daalhof.gp)
    assert read.exists() and {e.team for e in read} == {daalhof.team}
    bad = client.post(
        reverse("casefinding_candidate_questionnaire", args=[anna.pk]),
        {"instrument": "gfi", "score": "8", "returned_on": timezone.localdate().isoformat()},
    )
    assert (
        "Deze kandidaat is afgesloten (vragenlijst terug)" in client.get(bad.url).content.decode()
    )


def test_the_follow_up_list_on_the_page(client, daalhof, imported, time_machine):
    anna = imported.candidates.get(last_name="Brouwers")
    change_candidate_status(candidate=anna, by=daalhof.poh, status="invited")
    client.force_login(daalhof.poh)
    assert (
        "Vandaag niemand op te volgen." in client.get(page(client, daalhof.team)).content.decode()
    )
    time_machine.move_to(timezone.now() + datetime.timedelta(days=29))
    client.force_login(daalhof.poh)
    html = client.get(page(client, daalhof.team)).content.decode()
    assert "Anna Brouwers" in html
    assert AccessLogEntry.objects.filter(what="casefinding-follow-up").exists()


# --- signalling by hand: a likely duplicate ------------------------------------------------


def test_likely_duplicates_ignore_capitals_and_spaces_and_other_teams(daalhof, malberg):
    same = ResidentFactory(
        team=daalhof.team, first_name="Jan", last_name="van Dijk", date_of_birth=born(85)
    )
    ResidentFactory(
        team=malberg.team, first_name="Jan", last_name="van Dijk", date_of_birth=born(85)
    )
    ResidentFactory(
        team=daalhof.team, first_name="Jan", last_name="van Dijk", date_of_birth=born(86)
    )
    found = likely_duplicates(
        team=daalhof.team, first_name=" jan ", last_name="VAN DIJK", date_of_birth=born(85)
    )
    assert list(found) == [same]


def test_signalling_warns_about_a_likely_duplicate_and_keeps_what_was_typed(client, daalhof):
    existing = ResidentFactory(
        team=daalhof.team, first_name="Jan", last_name="Ramakers", date_of_birth=born(88)
    )
    client.force_login(daalhof.district_nurse)
    typed = {
        "first_name": "Jan",
        "last_name": "Ramakers",
        "date_of_birth": born(88).isoformat(),
        "reason": "Buurvrouw maakt zich zorgen",
    }
    url = reverse("board_signal", args=["daalhof"])
    html = client.post(url, typed, HTTP_HX_REQUEST="true").content.decode()
    assert "Waarschijnlijk al gesignaleerd:" in html and "Toch signaleren" in html
    # the nurse may not see the signalled resident (no consent): not named, no link
    assert reverse("resident", args=[existing.pk]) not in html
    assert "een cliënt wiens dossier u niet mag zien" in html
    assert "Buurvrouw maakt zich zorgen" in html and Resident.objects.count() == 1
    client.force_login(daalhof.poh)
    html = client.post(url, typed, HTTP_HX_REQUEST="true").content.decode()
    assert reverse("resident", args=[existing.pk]) in html
    client.post(url, {**typed, "confirm_not_duplicate": "1"}, HTTP_HX_REQUEST="true")
    assert Resident.objects.count() == 2


# --- review fixes: reading the file ---------------------------------------------------------


def test_a_utf8_file_with_one_windows_1252_line_is_refused_naming_the_line(daalhof):
    rows = [person("P1", "Hélène", "Smeets"), person("P2", "Frédérique", "Dassen")]
    good = practice_list(rows)
    mixed = good.replace("Frédérique".encode(), "Frédérique".encode("cp1252"))
    message = (
        "Het bestand mengt tekensets: regel %d is geen UTF-8, terwijl het bestand elders wel "
        "UTF-8 bevat. Sla de hele lijst op als CSV (UTF-8) en upload die opnieuw."
    )
    assert refusal(daalhof.team, daalhof.poh, mixed) == [message % 3]
    # a UTF-8 byte-order mark, then a Windows-1252 line: the same
    one = practice_list([person("P2", "Frédérique", "Dassen")], encoding="cp1252")
    assert refusal(daalhof.team, daalhof.poh, b"\xef\xbb\xbf" + one) == [message % 2]
    # invalid UTF-8 (an encoded surrogate) is not read as Windows-1252 garbage either
    bad = practice_list([person("P1", "Anna", "Brouwers")]) + b"P2;Jo\xed\xa0\x80;;X;;;;;\r\n"
    assert refusal(daalhof.team, daalhof.poh, bad)[0].startswith(
        "Het bestand mengt tekensets: regel 3 is geen UTF-8"
    )
    assert not Resident.objects.exists() and not Candidate.objects.exists()
    # a file that is Windows-1252 throughout is still read
    whole = practice_list(rows, encoding="cp1252")
    assert [r.first_name for r in check(daalhof.team, daalhof.poh, whole).rows] == [
        "Hélène",
        "Frédérique",
    ]


def test_the_frailty_index_keeps_two_decimals_and_more_is_refused(daalhof):
    rows = [person("P1", frailty="0,32"), person("P2", "Jan", "Brouwers", frailty="-0")]
    preview = check(daalhof.team, daalhof.poh, practice_list(rows))
    assert [str(r.frailty_score) for r in preview.rows] == ["0.32", "0.00"]
    made, _ = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=practice_list(rows)
    )
    assert str(made.candidates.get(practice_number="P1").frailty_score) == "0.32"
    three_places = [person("P1", frailty="0,325")]
    assert check(daalhof.team, daalhof.gp, practice_list(three_places)).messages() == [
        "Regel 2: de kwetsbaarheidsscore “0,325” heeft meer dan 2 decimalen; geef er hoogstens 2."
    ]


def test_only_the_columns_read_are_checked_for_formulas(daalhof):
    header = (*HEADER, "telefoon")
    rows = [(*person("P1"), "+31612345678"), (*person("P2", "Jan", "Dassen"), "=1+1")]
    preview = check(daalhof.team, daalhof.poh, practice_list(rows, header=header))
    assert preview.ok and preview.ignored_columns == ["telefoon"]
    negative = [person("P1", medicines="-1")]
    assert check(daalhof.team, daalhof.poh, practice_list(negative)).messages() == [
        "Regel 2: het aantal geneesmiddelen “-1” is geen heel getal van 0 tot 60."
    ]


def test_a_cell_over_the_limit_and_a_column_twice_are_refused_by_name(daalhof):
    rows = [person("P1", "A" * 1001, "Smeets")]
    assert refusal(daalhof.team, daalhof.poh, practice_list(rows)) == [
        "Een cel is langer dan 1.000 tekens (regel 2): controleer de aanhalingstekens, of de "
        "lijst meer bevat dan haar kolommen."
    ]
    open_quote = practice_list([person("P1"), person("P2")]).replace(
        b"P2;", b'P2;"'
    ) + practice_list([person("P3", "Kees")] * 100)
    # a quote left open: the line it starts on (its cell runs on over the lines after it)
    assert refusal(daalhof.team, daalhof.poh, open_quote) == [
        "Regel 3: een aanhalingsteken staat open (de cel loopt door tot regel 104 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]
    twice = (*HEADER, "geboortedatum")
    rows = [(*person("P1"), "01-01-1930")]
    assert refusal(daalhof.team, daalhof.poh, practice_list(rows, header=twice)) == [
        "Twee kolommen heten “geboortedatum”: welke geldt? Verwijder er één en upload het "
        "bestand opnieuw."
    ]


def test_the_coordinator_reads_the_kind_of_problem_without_the_patients_data(daalhof):
    rows = [
        person("P1", "Anna", "Brouwers"),
        person("P3", "Jo", "Peters", date_of_birth="31-02-1940"),
        person("P4", "Lies", "Hendriks", age=60),
        person("P1", "Piet", "Wouters"),
        person("P7", "Gerda", "Zorg", medicines="veel", multimorbidity="misschien"),
    ]
    preview = check(daalhof.team, daalhof.coordinator, practice_list(rows))
    assert preview.messages() == [
        "Regel 3: de geboortedatum is niet te lezen (schrijf dd-mm-jjjj).",
        "Regel 4: jonger dan 65: casefinding is voor ouderen.",
        "Regel 5: hetzelfde patiëntnummer als regel 2 (een dubbele regel).",
        "Regel 6: het aantal geneesmiddelen is geen heel getal van 0 tot 60.",
        "Regel 6: multimorbiditeit: schrijf ja of nee.",
    ]
    with pytest.raises(Refused) as caught:
        import_casefinding(
            team=daalhof.team, by=daalhof.coordinator, file_name="a", data=practice_list(rows)
        )
    assert caught.value.problems == preview.messages()
    full = check(daalhof.team, daalhof.poh, practice_list(rows)).messages()
    assert full[2] == "Regel 5: patiëntnummer P1 staat ook op regel 2 (een dubbele regel)."


# --- review fixes: a list again -----------------------------------------------------------


def test_a_closed_candidate_is_not_invited_again_before_her_reinvite_date(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    helene = imported.candidates.get(last_name="Smeets")
    jan = imported.candidates.get(last_name="van Wouters")
    change_candidate_status(candidate=anna, by=daalhof.poh, status="declined")
    change_candidate_status(candidate=helene, by=daalhof.poh, status="unreachable")
    record_questionnaire(candidate=jan, by=daalhof.poh, instrument="gfi", score=2)
    # the same list re-saved: other delimiter, other line ends, other order, other spacing
    again = practice_list(
        [
            person("P1003", "jan", "WOUTERS", prefix="van", age=91),
            person("P1001", "Anna", "Brouwers", age=82),
            person("X77", "Hélène", " Smeets ", age=78),
        ],
        delimiter=",",
    ).replace(b"\r\n", b"\n")
    preview = check(daalhof.team, daalhof.poh, again)
    until = years_later(timezone.localdate(), 1)
    assert [(r.practice_number, r.closed_until) for r in preview.closed] == [
        ("P1003", until),
        ("P1001", until),
        ("X77", until),
    ]
    assert preview.new == [] and preview.nothing_new_message() == (
        "Niets nieuws op deze lijst: iedere patiënt erop is al cliënt van het team, al "
        "kandidaat, of afgesloten tot de datum van de nieuwe uitnodiging. Er wordt geen ronde "
        "gemaakt."
    )
    with pytest.raises(Refused) as caught:
        import_casefinding(team=daalhof.team, by=daalhof.poh, file_name="b.csv", data=again)
    assert caught.value.fields == {"file": [preview.nothing_new_message()]}
    assert CasefindingRound.objects.count() == 1 and Candidate.objects.count() == 3
    # with one new patient: a round of one, the closed ones counted
    more = practice_list([person("P1001", "Anna", "Brouwers", age=82), person("P5", "Kees")])
    made, created = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="c.csv", data=more
    )
    assert created and made.closed_candidates == 1
    assert list(made.candidates.values_list("practice_number", flat=True)) == ["P5"]


def test_a_year_on_the_closed_candidate_is_invited_again(daalhof, imported, time_machine):
    anna = imported.candidates.get(last_name="Brouwers")
    change_candidate_status(candidate=anna, by=daalhof.poh, status="declined")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=367))
    list_ = practice_list([person("P1001", "Anna", "Brouwers", age=83)])
    made, created = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="next.csv", data=list_
    )
    assert created and made.candidates.get().last_name == "Brouwers"


def test_an_open_candidate_is_matched_by_name_and_date_of_birth_and_leading_zeros(daalhof):
    first = practice_list([person("000123", "Anna", "Brouwers"), person("P9", "Jo", "Peters")])
    import_casefinding(team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=first)
    # Excel dropped the zeros; the other practice system numbers her otherwise
    second = practice_list(
        [person("123", "Anna", "Brouwers", age=80), person("Q-55", "JO", "peters"), person("P3")]
    )
    preview = check(daalhof.team, daalhof.poh, second)
    assert [r.practice_number for r in preview.already] == ["123", "Q-55"]
    made, _ = import_casefinding(team=daalhof.team, by=daalhof.poh, file_name="b", data=second)
    assert made.already_candidates == 2
    assert list(made.candidates.values_list("practice_number", flat=True)) == ["P3"]


# --- review fixes: candidates ---------------------------------------------------------------


def test_no_response_only_after_an_invitation(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    with pytest.raises(Refused) as caught:
        change_candidate_status(candidate=anna, by=daalhof.poh, status="no_response")
    assert caught.value.fields == {
        "status": ["“Geen reactie” volgt op een uitnodiging: leg eerst vast dat ze is uitgenodigd."]
    }
    anna.refresh_from_db()
    assert anna.status == "to_invite" and anna.follow_up_on is None
    assert list(follow_up_list(team=daalhof.team)) == []
    change_candidate_status(candidate=anna, by=daalhof.poh, status="invited")
    done = change_candidate_status(candidate=anna, by=daalhof.poh, status="no_response")
    assert done.status == "no_response"


def test_the_round_page_offers_a_follow_up_date(client, daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    client.force_login(daalhof.poh)
    html = client.get(reverse("casefinding_round", args=["daalhof", imported.pk])).content.decode()
    assert f'name="follow_up_on" id="follow-up-{anna.pk}"' in html
    assert "Opvolgen op" in html and "uitgenodigd of geen reactie; leeg: over 28 dagen" in html
    day = timezone.localdate() + datetime.timedelta(days=10)
    client.post(
        reverse("casefinding_candidate_status", args=[anna.pk]),
        {"status": "invited", "follow_up_on": day.isoformat()},
    )
    anna.refresh_from_db()
    assert (anna.status, anna.follow_up_on) == ("invited", day)


def test_importing_the_same_file_again_is_noted_as_a_read(client, daalhof):
    client.force_login(daalhof.poh)
    for _ in range(2):
        checked = client.post(
            page(client, daalhof.team), {"file": upload(three()), "action": "check"}
        )
        assert checked.status_code == 200
        client.post(
            page(client, daalhof.team),
            {
                "file": upload(three()),
                "action": "import",
                "previewed": hashlib.sha256(three()).hexdigest(),
            },
        )
    imports = AccessLogEntry.objects.filter(what="casefinding-import").order_by("pk")
    assert list(imports.values_list("action", flat=True)) == ["write", "read"]


def test_a_score_of_minus_zero_is_stored_as_zero(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    done = record_questionnaire(
        candidate=anna, by=daalhof.poh, instrument="gfi", score=Decimal("-0.0")
    )
    done.refresh_from_db()
    assert str(done.score) == "0.0" and not done.score.is_signed()


# --- review fixes: one duplicate rule, in the write service ---------------------------------


def test_signal_resident_refuses_a_likely_duplicate_unless_confirmed(daalhof):
    closed = ResidentFactory(
        team=daalhof.team,
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth=born(88),
        state="closed",
    )
    typed = {
        "team": daalhof.team,
        "by": daalhof.district_nurse,
        "first_name": " jan ",
        "last_name": "RAMAKERS",
        "date_of_birth": born(88),
        "reason": "Valt vaak",
    }
    with pytest.raises(LikelyDuplicate) as caught:
        signal_resident(**typed)
    assert caught.value.duplicates == [closed]
    assert caught.value.fields == {
        "confirm_not_duplicate": [
            "Waarschijnlijk al gesignaleerd: het team heeft een cliënt met dezelfde naam en "
            "geboortedatum."
        ]
    }
    assert Resident.objects.count() == 1
    signal_resident(**typed, confirm_not_duplicate=True)
    assert Resident.objects.count() == 2


def test_a_score_for_her_closed_record_reopens_it_with_the_score(daalhof, imported):
    anna = imported.candidates.get(last_name="Brouwers")
    closed = ResidentFactory(
        team=daalhof.team,
        first_name="Anna",
        last_name="Brouwers",
        date_of_birth=born(82),
        state="closed",
    )
    done = record_questionnaire(candidate=anna, by=daalhof.poh, instrument="gfi", score=6)
    assert done.resident == closed and Resident.objects.count() == 1
    closed.trajectory.refresh_from_db()
    assert closed.trajectory.state == "signalled"
    reopened = closed.trajectory.history.get()
    assert (reopened.kind, reopened.reason) == (
        "reopen",
        "Casefinding: GFI 6 teruggekomen (afkapwaarde 4).",
    )
    assert closed.assessments.get().score == 6


def test_a_closed_record_that_cannot_be_reopened_refuses_the_score(
    client, daalhof, imported, monkeypatch
):
    from steps import casefinding_services

    anna = imported.candidates.get(last_name="Brouwers")
    closed = ResidentFactory(
        team=daalhof.team,
        first_name="Anna",
        last_name="Brouwers",
        date_of_birth=born(82),
        state="closed",
    )

    def refuse(**kwargs):
        raise Refused("Geef een reden.", field="reason")

    monkeypatch.setattr(casefinding_services, "move_resident", refuse)
    with pytest.raises(Refused) as caught:
        record_questionnaire(candidate=anna, by=daalhof.poh, instrument="gfi", score=6)
    assert caught.value.problems == [
        f"{closed.display_name} heeft een afgesloten dossier in dit team (cliënt {closed.pk}), "
        "en dat kan nu niet heropend worden: Geef een reden. Heropen eerst haar dossier en leg "
        "dan de score vast."
    ]
    anna.refresh_from_db()
    assert anna.status == "to_invite" and Resident.objects.count() == 1
    client.force_login(daalhof.gp)
    answer = client.post(
        reverse("casefinding_candidate_questionnaire", args=[anna.pk]),
        {"instrument": "gfi", "score": "6", "returned_on": timezone.localdate().isoformat()},
    )
    html = client.get(answer.url).content.decode()
    assert "kan nu niet heropend worden" in html
    assert f'<a href="{reverse("resident", args=[closed.pk])}">Open haar dossier</a>' in html


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signals_of_one_person_make_one_resident(daalhof):
    by = [daalhof.district_nurse, daalhof.gp]
    results = race(
        2,
        lambda i: signal_resident(
            team=daalhof.team,
            by=by[i],
            first_name="Jan",
            last_name="Ramakers",
            date_of_birth=born(88),
            reason=f"Melding {i}",
        ),
    )
    made = [r for r in results if isinstance(r, Resident)]
    refused = [r for r in results if isinstance(r, LikelyDuplicate)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].duplicates == made
    assert Resident.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_scores_for_one_person_make_one_resident(daalhof):
    first, _ = import_casefinding(
        team=daalhof.team, by=daalhof.poh, file_name="a.csv", data=three()
    )
    other = CasefindingRound.objects.create(
        team=daalhof.team, file_name="b.csv", file_sha256="b" * 64, imported_by=daalhof.gp
    )
    anna = first.candidates.get(last_name="Brouwers")
    twin = Candidate.objects.create(
        round=other,
        practice_number="X1",
        first_name="Anna",
        last_name="Brouwers",
        date_of_birth=anna.date_of_birth,
    )
    candidates, by = [anna, twin], [daalhof.poh, daalhof.gp]
    results = race(
        2,
        lambda i: record_questionnaire(
            candidate=candidates[i], by=by[i], instrument="gfi", score=5 + i
        ),
    )
    assert all(isinstance(r, Candidate) for r in results), results
    resident = Resident.objects.get()
    assert {r.resident_id for r in results} == {resident.pk}
    assert sorted(resident.assessments.values_list("score", flat=True)) == [5, 6]


def test_the_web_preview_hides_her_data_from_the_coordinator_and_says_nothing_is_new(
    client, daalhof, imported
):
    rows = [person("P1"), person("P1", "Kees", "Smeets"), person("P3", "Jo", "Peters", age=50)]
    client.force_login(daalhof.coordinator)
    checked = client.post(
        page(client, daalhof.team),
        {"file": upload(practice_list(rows)), "action": "check"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Regel 4: jonger dan 65: casefinding is voor ouderen." in checked
    assert "Regel 3: hetzelfde patiëntnummer als regel 2 (een dubbele regel)." in checked
    assert "P1" not in checked and shown_date(born(50)) not in checked
    client.force_login(daalhof.poh)
    anna = imported.candidates.get(last_name="Brouwers")
    change_candidate_status(candidate=anna, by=daalhof.poh, status="declined")
    again = practice_list([person("P1001", "Anna", "Brouwers", age=82)], delimiter=",")
    html = client.post(
        page(client, daalhof.team), {"file": upload(again), "action": "check"}
    ).content.decode()
    assert "1 afgesloten kandidaat, niet opnieuw uitgenodigd vóór de datum" in html
    assert "Niets nieuws op deze lijst" in html and "Lijst inlezen" not in html
    imported_now = client.post(
        page(client, daalhof.team),
        {
            "file": upload(again),
            "action": "import",
            "previewed": hashlib.sha256(again).hexdigest(),
        },
    ).content.decode()
    assert "Niets nieuws op deze lijst" in imported_now
    assert CasefindingRound.objects.count() == 1


def test_a_line_break_in_a_column_not_read_is_kept_unless_it_holds_records(daalhof):
    """Alt+Enter in Excel: a remark over two lines, in a column the list is not read by."""
    header = (*HEADER, "opmerking")
    rows = [(*person("P1"), '"belt zelf\nna 10 uur"'), (*person("P2", "Jan", "Wouters"), "geen")]
    preview = check(daalhof.team, daalhof.poh, practice_list(rows, header=header))
    assert preview.ok, preview.messages()
    assert [(r.line, r.last_name) for r in preview.rows] == [(2, "Janssen"), (4, "Wouters")]
    assert preview.ignored_columns == ["opmerking"]
    in_name = practice_list([person("P1", '"Anna\nMaria"')])
    assert refusal(daalhof.team, daalhof.poh, in_name) == [
        "Regel 2: een aanhalingsteken staat open (de cel loopt door tot regel 3 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]
    swallowed = [(*person(f"P{i}", "Anna", f"Brouwers{i}"), "") for i in range(1, 5)]
    lines = practice_list(swallowed, header=header).split(b"\r\n")
    lines[2] += b'"belt zelf'
    assert refusal(daalhof.team, daalhof.poh, b"\r\n".join(lines)) == [
        "Regel 3: een aanhalingsteken staat open (de cel loopt door tot regel 5 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]


@pytest.mark.parametrize("bom", [False, True])
def test_excels_sep_line_names_the_delimiter_and_is_skipped(daalhof, bom):
    rows = [person("P1", "Anna", "Brouwers"), person("P2", "Jan", "Wouters")]
    data = (b"\xef\xbb\xbf" if bom else b"") + b"sep=,\r\n" + practice_list(rows, delimiter=",")
    preview = check(daalhof.team, daalhof.poh, data)
    assert preview.ok, preview.messages()
    # the lines as Excel shows them (it hides the sep line): the header is line 1
    assert [(r.line, r.last_name) for r in preview.rows] == [(2, "Brouwers"), (3, "Wouters")]
