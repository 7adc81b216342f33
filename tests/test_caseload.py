"""Issue 21 §1: a team's existing caseload, imported once from a CSV file. The file is checked
row by row with the state machine's own rules (nothing saved), then imported whole or not at
all, each resident through the take-over ("overgenomen uit eerder dossier"); the same file
twice changes nothing. And what the team sees afterwards: the board, the agenda, the carers'
portal, the KPIs and the FHIR export."""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Assessment, Consent, CoordinatorChange, Resident
from clients.subscriptions import Subscription, SubscriptionDelivery
from kernteam.models import Meeting, Membership, shown_date, years_later
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps.caseload import CaseloadEntry, CaseloadImport
from steps.caseload_import import (
    MAX_BYTES,
    NothingNew,
    RowsRefused,
    import_caseload,
    preview_caseload,
    read_upload,
)
from steps.diagram import edges
from steps.meetings import agenda_candidates
from steps.models import StepChange, Trajectory
from steps.moves import available_moves, transition_names
from steps.portal import carer_views
from steps.rules import Move, TakeOver
from steps.services import move_resident
from steps.states import add_months
from tests.caseload_files import (
    HEADER,
    born,
    caseload,
    days_ago,
    dutch,
    every_step,
    resident,
    today,
    upload,
)
from tests.factories import MembershipFactory, ResidentFactory, UserFactory, carer_for
from tests.helpers import API, api_as, fhir_export, race

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "caseload-example.csv"


def check(team, by, data: bytes, name: str = "caseload.csv"):
    return preview_caseload(team=team, by=by, file_name=name, data=data)


def imported(team, by, data: bytes, name: str = "caseload.csv"):
    return import_caseload(team=team, by=by, file_name=name, data=data)


def refusal(team, by, data: bytes) -> list[str]:
    with pytest.raises(Refused) as caught:
        check(team, by, data)
    return caught.value.problems


def one_row(team, by, **columns) -> list[str]:
    """The problems of a one-row file whose row is `resident("P1", **columns)`."""
    return check(team, by, caseload([resident("P1", **columns)])).messages()


def nothing_written() -> bool:
    return not (
        Resident.objects.exists()
        or Trajectory.objects.exists()
        or StepChange.objects.exists()
        or Consent.objects.exists()
        or Assessment.objects.exists()
        or CoordinatorChange.objects.exists()
        or CaseloadImport.objects.exists()
        or CaseloadEntry.objects.exists()
    )


# --- reading the file -------------------------------------------------------------------------


def test_every_step_is_read_as_the_file_says(daalhof):
    preview = check(daalhof.team, daalhof.poh, every_step())
    assert preview.ok, preview.messages()
    assert [(r.line, r.last_name, r.state) for r in preview.rows] == [
        (2, "Brouwers", "signalled"),
        (3, "Smeets", "screening"),
        (4, "Wouters", "step1"),
        (5, "Peters", "step2"),
        (6, "Hendriks", "step3"),
        (7, "Ramakers", "step4"),
    ]
    thea = preview.rows[3]
    assert thea.coordinator == daalhof.poh and thea.disciplines == sorted(Role.values)
    assert (thea.consent_given_on, thea.last_review_on) == (days_ago(30), days_ago(30))
    assert (thea.instrument, thea.score, thea.assessed_on) == ("gfi", Decimal(6), days_ago(60))
    assert thea.share_with_carers and len(preview.new) == 6 and not preview.already


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_both_encodings_and_both_delimiters(daalhof, encoding, delimiter):
    rows = [
        resident("P1", "Hélène", "Smeets", prefix="van der", disciplines="huisarts/poh"),
        resident("P2", "Jan", "Brouwers", disciplines="huisarts, wijkverpleegkundige"),
    ]
    preview = check(
        daalhof.team, daalhof.poh, caseload(rows, delimiter=delimiter, encoding=encoding)
    )
    assert preview.ok, preview.messages()
    assert [(r.first_name, r.last_name, r.disciplines) for r in preview.rows] == [
        ("Hélène", "van der Smeets", ["gp", "poh"]),
        ("Jan", "Brouwers", ["district_nurse", "gp"]),
    ]


def test_the_step_coordinator_and_disciplines_in_the_words_people_write(daalhof):
    daalhof.district_nurse.first_name, daalhof.district_nurse.last_name = "Lies", "Dekker"
    daalhof.district_nurse.save()
    rows = [
        resident("P1", "Anna", "Brouwers", state="1", coordinator=""),
        resident("P2", "Jan", "Wouters", state="Stap 2 · Gecoördineerde zorg"),
        resident("P3", "Thea", "Peters", state="step3", coordinator="  lies   DEKKER "),
        resident("P4", "Els", "Hendriks", state="STAP 4", coordinator="District_Nurse.Daalhof"),
        resident("P5", "Jo", "Zorg", disciplines="POH-ouderen + casemanager dementie + SO"),
        resident("P6", "Mia", "Laag", disciplines="All members"),
    ]
    preview = check(daalhof.team, daalhof.gp, caseload(rows))
    assert preview.ok, preview.messages()
    states = [r.state for r in preview.rows]
    assert states == ["step1", "step2", "step3", "step4", "step2", "step2"]
    assert [r.coordinator for r in preview.rows[2:4]] == [daalhof.district_nurse] * 2
    assert preview.rows[4].disciplines == ["dementia_case_manager", "elderly_care_physician", "poh"]
    assert preview.rows[5].disciplines == sorted(Role.values)


def test_steps_people_and_disciplines_that_cannot_be_read(daalhof):
    twin = UserFactory(username="tweede", first_name="Anna", last_name="Vos")
    MembershipFactory(team=daalhof.team, user=twin, role=Role.WELFARE)
    other = UserFactory(username="derde", first_name="Anna", last_name="Vos")
    MembershipFactory(team=daalhof.team, user=other, role=Role.WELFARE)
    rows = [
        resident("P1", "Anna", "Brouwers", state="opgenomen"),
        resident("P2", "Jan", "Wouters", state="afgesloten"),
        resident("P3", "Thea", "Peters", state="stap 5"),
        resident("P4", "Els", "Hendriks", coordinator="Dokter Onbekend"),
        resident("P5", "Jo", "Zorg", coordinator="anna vos"),
        resident("P6", "Mia", "Laag", disciplines="huisarts, tandarts"),
        resident("P7", "Lotte", "Rustig", state=""),
    ]
    assert check(daalhof.team, daalhof.poh, caseload(rows)).messages() == [
        "Regel 2: “opgenomen”: een cliënt die nu is opgenomen, wordt ingelezen in de stap die "
        "ze heeft (daar keert ze naar terug); leg de opname daarna vast.",
        "Regel 3: “afgesloten”: een afgesloten dossier wordt niet ingelezen, alleen de cliënten "
        "die het team nu volgt.",
        "Regel 4: de stap “stap 5” is onbekend: schrijf gesignaleerd, screening of stap 1 tot "
        "en met 4.",
        "Regel 5: niemand in het team heet “Dokter Onbekend”: noem de zorgcoördinator bij "
        "volledige naam of gebruikersnaam.",
        "Regel 6: “anna vos” past op 2 mensen in het team: gebruik de gebruikersnaam.",
        "Regel 7: de discipline “tandarts” is onbekend: schrijf “alle leden”, of disciplines "
        "zoals huisarts, poh, wijkverpleegkundige, ouderenadviseur, casemanager dementie, "
        "specialist ouderengeneeskunde, coördinator.",
        "Regel 8: de stap ontbreekt: schrijf gesignaleerd, screening of stap 1 tot en met 4.",
    ]


def test_a_bsn_column_is_refused_by_its_name_or_its_values(daalhof):
    data = caseload(
        [(*resident("P1").values(), "123456782")], header=(*HEADER, "Burgerservicenummer")
    )
    assert refusal(daalhof.team, daalhof.poh, data) == [
        "Het bestand heeft een kolom “Burgerservicenummer”: Kernteam slaat nooit een BSN op. "
        "Verwijder de kolom en upload het bestand opnieuw; de lijst heeft het eigen "
        "patiëntnummer van de praktijk nodig."
    ]
    bsns = ["111222333", "123456782", "999999990"]  # each passes the 11-proof
    rows = [resident(number, "Anna", f"Brouwers{i}") for i, number in enumerate(bsns)]
    assert refusal(daalhof.team, daalhof.poh, caseload(rows)) == [
        "De kolom “patientnummer” lijkt burgerservicenummers (BSN) te bevatten: negen cijfers "
        "die de elfproef doorstaan. Kernteam slaat nooit een BSN op: gebruik het eigen "
        "patiëntnummer van de praktijk."
    ]
    assert nothing_written()


def test_a_formula_in_a_cell_is_refused_by_line(daalhof):
    rows = [
        resident("P1"),
        resident("P2", '=HYPERLINK("http://x")', "Smeets"),
        resident("P3", "Jan", "Wouters", coordinator="@poh.daalhof"),
        resident("P4", "Els", "Hendriks", score="-3"),  # a number out of range, not a formula
    ]
    assert check(daalhof.team, daalhof.poh, caseload(rows, delimiter=",")).messages() == [
        "Regel 3: een cel begint met “=” (een formule); formules worden niet ingelezen.",
        "Regel 4: een cel begint met “@” (een formule); formules worden niet ingelezen.",
        "Regel 5: GFI-scores lopen van 0 tot 15; -3 valt daarbuiten.",
    ]


def test_files_that_are_no_caseload_are_refused_whole(daalhof):
    poh = daalhof.poh
    assert refusal(daalhof.team, poh, b"") == ["Het bestand is leeg."]
    assert refusal(daalhof.team, poh, caseload([])) == [
        "Het bestand heeft een kopregel maar geen cliënten."
    ]
    assert refusal(daalhof.team, poh, "patientnummer;stap".encode("utf-16")) == [
        "Het bestand is geen platte tekst (het bevat NUL-tekens: misschien een Excel-werkmap of "
        "UTF-16-tekst). Sla het op als CSV (UTF-8) en upload dat."
    ]
    mixed = caseload([resident("P1", "Hélène")]) + "P2;Zoë".encode("cp1252")
    (message,) = refusal(daalhof.team, poh, mixed)
    assert message.startswith("Het bestand mengt tekensets: regel 3 is geen UTF-8")
    (message,) = refusal(daalhof.team, poh, caseload([("P1", "Anna")], header=HEADER[:4]))
    assert message == (
        "Er ontbreken kolommen: geboortedatum, stap. De eerste regel noemt de kolommen, "
        "gescheiden door “;” of “,”, zoals in het sjabloon: " + ", ".join(HEADER) + "."
    )
    twice = caseload([(*resident("P1").values(), "stap 1")], header=(*HEADER, "Stap"))
    assert refusal(daalhof.team, poh, twice) == [
        "Twee kolommen heten “Stap”: welke geldt? Verwijder er één en upload het bestand opnieuw."
    ]
    assert nothing_written()


def test_more_than_five_thousand_rows_or_five_megabytes_is_refused(daalhof):
    line = ";".join(resident("P1").values())
    data = (";".join(HEADER) + "\n" + "\n".join([line] * 5001)).encode()
    assert refusal(daalhof.team, daalhof.poh, data) == [
        "Het bestand heeft meer dan 5.000 regels; de caseload van een team is kleiner. "
        "Exporteer alleen de cliënten die het team volgt."
    ]
    with pytest.raises(Refused) as caught:
        read_upload(upload(b"x" * MAX_BYTES))
    assert caught.value.fields == {
        "file": [
            "Het bestand is te groot (5 MB of meer). Een caseloadbestand heeft hooguit 5.000 "
            "regels: exporteer alleen de cliënten die het team volgt."
        ]
    }
    with pytest.raises(Refused, match="Dit is geen CSV-bestand"):
        read_upload(upload(b"PK\x03\x04", name="caseload.xlsx", content_type="application/zip"))
    with pytest.raises(Refused, match="Kies het bestand met de caseload"):
        read_upload(None)
    assert read_upload(upload(every_step())) == ("caseload.csv", every_step())


# --- the rules, by line -------------------------------------------------------------------------


NONE = {"disciplines": "", "carers_see": ""}


def test_the_state_machines_rules_by_line(daalhof):
    ended = UserFactory(username="vertrokken", first_name="Oud", last_name="Lid")
    Membership.objects.create(
        team=daalhof.team,
        user=ended,
        role=Role.DISTRICT_NURSE,
        started_on=days_ago(400),
        ended_on=today(),
    )
    far = today() + datetime.timedelta(days=200)
    rows = [
        resident("P1", "Anna", "Brouwers", coordinator=""),
        resident("P2", "Jan", "Wouters", coordinator="vertrokken"),
        resident("P3", "Thea", "Peters", state="stap 1", coordinator="", consent_on="", **NONE),
        resident("P4", "Els", "Hendriks", born="01-01-1990"),
        resident("P5", "Jo", "Zorg", next_review=dutch(far)),
        resident("P6", "Mia", "Laag", state="gesignaleerd", next_review=dutch(far)),
        resident("P7", "Lotte", "Rustig", last_review=dutch(today() + datetime.timedelta(days=1))),
    ]
    first, last = Resident.born_between()
    assert check(daalhof.team, daalhof.gp, caseload(rows)).messages() == [
        "Regel 2: Er is geen zorgcoördinator benoemd.",
        "Regel 3: De zorgcoördinator moet lid zijn van het kernteam van de cliënt.",
        "Regel 4: Er is geen toestemming vastgelegd.",
        f"Regel 5: De geboortedatum moet tussen {shown_date(first)} en {shown_date(last)} "
        "liggen: een leeftijd van 50 tot 120 jaar.",
        f"Regel 6: De volgende evaluatie ({shown_date(far)}) valt buiten de termijn van "
        f"“Stap 2 · Gecoördineerde zorg”: uiterlijk {shown_date(add_months(days_ago(30), 6))}, "
        f"gerekend vanaf {shown_date(days_ago(30))}.",
        "Regel 7: Vóór stap 1 heeft een cliënt geen evaluaties: laat de evaluatiedatums leeg.",
        "Regel 8: De datum van de laatste evaluatie ligt in de toekomst.",
    ]


def test_what_the_file_says_about_consent_reviews_and_screening(daalhof):
    two_years = shown_date(years_later(today(), -2))
    old = dutch(today() - datetime.timedelta(days=800))
    rows = [
        resident("P1", "Anna", "Brouwers", consent_on=old),
        resident("P2", "Jan", "Wouters", disciplines=""),
        resident("P3", "Thea", "Peters", consent_on=""),
        resident("P4", "Els", "Hendriks", instrument="", score=""),
        resident("P5", "Jo", "Zorg", instrument="Barthel"),
        resident("P6", "Mia", "Laag", score="16"),
        resident(
            "P7", "Lotte", "Rustig", screened_on=dutch(today() - datetime.timedelta(days=2000))
        ),
        resident("P8", "Maria", "Nieuw", next_review="31-02-2027"),
        resident("P9", "Anna", "Vraag", carers_see="misschien"),
        resident("P10", "Jan", "Beperkt", next_review=dutch(days_ago(40))),
        resident(
            "P11",
            "Els",
            "Zonder",
            state="stap 2",
            coordinator="welfare.daalhof",
            disciplines="huisarts, poh",
        ),
    ]
    five_years = shown_date(years_later(today(), -5))
    assert check(daalhof.team, daalhof.poh, caseload(rows)).messages() == [
        f"Regel 2: Toestemming van vóór {two_years} is te oud om op te vertrouwen: vraag het de "
        "bewoner opnieuw. In het bestand: zet de datum van haar nieuwe toestemming bij "
        "toestemming_datum, of lees haar in als “gesignaleerd”, zonder toestemming (laat de "
        "toestemmingskolommen leeg).",
        "Regel 3: de disciplines waarvoor de toestemming geldt ontbreken: schrijf “alle leden” "
        "of de disciplines (huisarts, poh, wijkverpleegkundige, …).",
        "Regel 4: de datum waarop toestemming is gegeven ontbreekt (toestemming_datum).",
        "Regel 4: mantelzorgers zien gedeelde afspraken alleen met toestemming van de cliënt: "
        "geef de datum daarvan.",
        "Regel 5: de screening is onvolledig: geef het instrument, de score en de datum (of geen "
        "van drieën).",
        "Regel 6: het screeningsinstrument “Barthel” is onbekend: schrijf GFI, TFI, CFS, ISAR-PC "
        "of TRAZAG.",
        "Regel 7: GFI-scores lopen van 0 tot 15; 16 valt daarbuiten.",
        f"Regel 8: De datum van de meting ligt vóór {five_years}, vijf jaar voordat de bewoner "
        "werd gesignaleerd. Laat de screeningskolommen leeg (screening_instrument, "
        "screening_score, screening_datum), of geef een recentere screening.",
        "Regel 9: de datum “31-02-2027” in volgende_evaluatie is niet te lezen (schrijf "
        "dd-mm-jjjj).",
        "Regel 10: “misschien” bij mantelzorgers_zien_afspraken: schrijf ja of nee.",
        "Regel 11: De volgende evaluatie ligt vóór de laatste evaluatie.",
        f"Regel 12: {daalhof.welfare.get_full_name()} mag het dossier van deze cliënt niet "
        "inzien (de toestemming noemt die discipline niet) en kan de zorg dus niet "
        "coördineren.",
    ]


def test_duplicates_in_the_file_and_of_the_teams_residents(daalhof):
    open_one = ResidentFactory(
        team=daalhof.team, first_name="Anna", last_name="Brouwers", date_of_birth=born(82)
    )
    closed = ResidentFactory(
        team=daalhof.team,
        first_name="Jan",
        last_name="Wouters",
        date_of_birth=born(82),
        state="closed",
    )
    rows = [
        resident("P1", "  anna ", "BROUWERS"),
        resident("P2", "Jan", "Wouters"),
        resident("P3", "Thea", "Peters"),
        resident("003", "Els", "Hendriks"),
        resident("3", "Jo", "Zorg"),  # the same number: a spreadsheet drops leading zeros
        resident("P9", "Thea", "Peters"),
    ]
    preview = check(daalhof.team, daalhof.poh, caseload(rows))
    born_on = shown_date(born(82))
    assert preview.messages() == [
        f"Regel 2: het team heeft anna BROUWERS, geboren {born_on}, al (cliënt {open_one.pk}): "
        "een dubbele; verwijder de regel.",
        f"Regel 3: het team heeft Jan Wouters, geboren {born_on}, al, met een afgesloten dossier "
        f"(cliënt {closed.pk}): heropen dat dossier in plaats van haar opnieuw in te lezen.",
        "Regel 6: patiëntnummer 3 staat ook op regel 5 (een dubbele regel).",
        "Regel 7: dezelfde naam en geboortedatum als regel 4 (een dubbele regel).",
    ]
    assert preview.named == {open_one.pk, closed.pk}  # (for the access log: read)


# --- who ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["district_nurse", "welfare", "coordinator", "elderly_care_physician"]
)
def test_only_the_gp_and_the_poh_import(daalhof, role):
    for attempt in (check, imported):
        with pytest.raises(Refused) as caught:
            attempt(daalhof.team, daalhof.member(role), every_step())
        assert caught.value.forbidden
        assert caught.value.problems == [
            "Alleen de huisarts of de POH leest de caseload van het team in."
        ]
    assert nothing_written()


def test_another_teams_gp_is_refused(daalhof, malberg):
    with pytest.raises(Refused) as caught:
        imported(daalhof.team, malberg.gp, every_step())
    assert caught.value.problems == ["Alleen leden van dit kernteam kunnen dit doen."]
    assert nothing_written()


def test_the_transitions_own_guard_refuses_anyone_but_the_gp_and_poh(daalhof):
    unsaved = Trajectory(resident=Resident(team=daalhof.team))
    move = TakeOver(by=daalhof.district_nurse, state="signalled")
    with pytest.raises(Refused) as caught:
        unsaved.take_over(move)
    assert caught.value.forbidden
    assert caught.value.problems == ["Alleen de huisarts of POH-ouderen mag dit doen."]
    assert unsaved.state == "signalled" and not StepChange.objects.exists()


def test_the_take_over_is_offered_nowhere_a_resident_is_moved(daalhof, resident_in, client):
    signalled = resident_in("signalled")
    signalled.refresh_from_db()
    assert "take_over" not in transition_names()
    assert "take_over" not in available_moves(
        trajectory=signalled.trajectory, move=Move(by=daalhof.gp)
    )
    assert not any(name == "take_over" for _src, _dst, name in edges())
    with pytest.raises(Refused) as caught:
        move_resident(
            resident=signalled, transition="take_over", expected_state="signalled", by=daalhof.gp
        )
    assert caught.value.problems == ["Niet mogelijk zolang de cliënt in “Gesignaleerd” is."]
    answer = api_as(daalhof.gp).post(
        f"{API}/residents/{signalled.pk}/transitions/",
        {"transition": "take_over", "expected_state": "signalled"},
        format="json",
    )
    assert answer.status_code == 400 and "transition" in answer.json()
    client.force_login(daalhof.gp)
    form = client.post(
        reverse("resident_move", args=[signalled.pk]),
        {"transition": "take_over", "expected_state": "signalled", "reason": "x"},
    ).content.decode()
    assert "Niet mogelijk zolang de cliënt in “Gesignaleerd” is." in form
    assert signalled.trajectory.history.count() == 0  # (the factory's: none) nothing added


# --- importing ------------------------------------------------------------------------------------


def test_the_import_enters_each_resident_in_her_step_with_one_history_row(daalhof):
    made, created = imported(daalhof.team, daalhof.poh, every_step(), name="caseload-2026.csv")
    assert created and made.rows == 6 and made.imported_by == daalhof.poh
    assert made.file_sha256 == hashlib.sha256(every_step()).hexdigest()
    residents = Resident.objects.filter(pk__in=made.resident_ids()).order_by("caseload_entry__line")
    assert [r.trajectory.state for r in residents] == [
        "signalled",
        "screening",
        "step1",
        "step2",
        "step3",
        "step4",
    ]
    assert {r.neighbourhood for r in residents} == {"Daalhof"}
    for line, resident_ in enumerate(residents, start=2):
        (row,) = resident_.trajectory.history.all()
        assert (row.kind, row.from_state, row.to_state) == (
            "take_over",
            "",
            resident_.trajectory.state,
        )
        assert (row.actor, row.actor_role, row.meeting) == (daalhof.poh, "poh", None)
        assert (
            row.reason == f"Overgenomen uit eerder dossier: bestand caseload-2026.csv, regel {line}"
        )
        assert row.get_kind_display() == "overgenomen uit eerder dossier"
        assert timezone.now() - row.at < datetime.timedelta(minutes=1)
        assert row.trajectory.pending_confirmation_id is None
    assert made.resident_ids() == [r.pk for r in residents]
    assert list(made.entries.values_list("line", "practice_number")) == [
        (2, "P1"),
        (3, "P2"),
        (4, "P3"),
        (5, "P4"),
        (6, "P5"),
        (7, "P6"),
    ]


def test_consent_coordinator_and_score_are_recorded_as_given(daalhof):
    rows = [
        resident("P1", "Thea", "Peters", disciplines="huisarts, poh, wijkverpleegkundige"),
        resident("P2", "Jan", "Wouters", state="stap 1", coordinator="", carers_see="nee"),
        resident("P3", "Anna", "Brouwers", state="gesignaleerd"),
    ]
    made, _ = imported(daalhof.team, daalhof.gp, caseload(rows))
    thea, jan, anna = Resident.objects.filter(pk__in=made.resident_ids()).order_by(
        "caseload_entry__line"
    )
    consent = thea.active_consent()
    assert (consent.given_on, consent.disciplines, consent.share_with_carers) == (
        days_ago(30),
        ["district_nurse", "gp", "poh"],
        True,
    )
    assert consent.recorded_by == daalhof.gp
    assert thea.coordinator == daalhof.poh
    change = CoordinatorChange.objects.get(resident=thea)
    assert (change.from_coordinator, change.to_coordinator, change.actor, change.actor_role) == (
        None,
        daalhof.poh,
        daalhof.gp,
        "gp",
    )
    score = thea.latest_frailty_screening()
    assert (score.instrument, score.score, score.assessed_on, score.assessed_by) == (
        "gfi",
        Decimal(6),
        days_ago(60),
        daalhof.gp,
    )
    assert score.above_cutoff  # (the outcome derived, as always)
    assert jan.coordinator is None and not jan.coordinator_changes.exists()
    assert not jan.active_consent().share_with_carers
    assert anna.active_consent() is None and not anna.assessments.exists()


def test_the_review_date_comes_from_the_file(daalhof):
    rows = [
        resident("P1", "Anna", "Brouwers", next_review=dutch(days_ago(3))),  # overdue
        resident("P2", "Jan", "Wouters", next_review=""),  # last review + 6 months
        resident("P3", "Thea", "Peters", state="stap 4", last_review="", next_review=""),
        resident("P4", "Els", "Hendriks", state="screening"),
        resident(
            "P5",
            "Jo",
            "Zorg",
            state="stap 1",
            coordinator="",
            last_review=dutch(days_ago(400)),
            next_review="",
        ),
    ]
    made, _ = imported(daalhof.team, daalhof.poh, caseload(rows))
    due = [Trajectory.objects.get(resident_id=pk).review_due for pk in made.resident_ids()]
    assert due == [
        days_ago(3),
        add_months(days_ago(30), 6),
        today(),  # no review on record: the team reviews her at its next meeting
        None,
        add_months(days_ago(400), 12),  # overdue by the step's interval
    ]


def test_any_problem_refuses_the_whole_file(daalhof):
    rows = [resident("P1"), resident("P2", "Jan", "Wouters", coordinator="")]
    with pytest.raises(RowsRefused) as caught:
        imported(daalhof.team, daalhof.poh, caseload(rows))
    assert caught.value.fields == {"file": ["Regel 3: Er is geen zorgcoördinator benoemd."]}
    assert caught.value.lines == [(3, "Er is geen zorgcoördinator benoemd.")]
    assert nothing_written()


def test_an_import_that_fails_halfway_leaves_nothing(daalhof, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(CaseloadEntry.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        imported(daalhof.team, daalhof.poh, every_step())
    assert nothing_written()


def test_a_guard_that_fails_inside_the_transaction_leaves_nothing(daalhof, monkeypatch):
    """The check passed, then the POH (a care coordinator in the file) left the team before
    the import's transaction: the take-over's rules, run again there, refuse the file whole."""
    from steps import caseload_import

    real, calls = caseload_import._match_known, []

    def meanwhile(team, preview):
        calls.append(team)
        if len(calls) == 2:  # (the second time: inside the import's transaction)
            Membership.objects.filter(user=daalhof.poh).update(ended_on=today())
        return real(team, preview)

    monkeypatch.setattr(caseload_import, "_match_known", meanwhile)
    with pytest.raises(RowsRefused) as caught:
        imported(daalhof.team, daalhof.gp, every_step())
    left = "De zorgcoördinator moet lid zijn van het kernteam van de cliënt."
    assert caught.value.lines == [(3, left), (5, left), (6, left), (7, left)]
    assert nothing_written()
    assert Membership.objects.get(user=daalhof.poh).ended_on is None  # (rolled back too)


def test_the_same_file_twice_changes_nothing(daalhof):
    first, created = imported(daalhof.team, daalhof.poh, every_step())
    again, created_again = imported(daalhof.team, daalhof.gp, every_step(), name="opnieuw.csv")
    assert (created, created_again, again) == (True, False, first)
    preview = check(daalhof.team, daalhof.gp, every_step())
    assert preview.imported == first and preview.imported_message().startswith(
        "Dit bestand is al ingelezen op "
    )
    assert Resident.objects.count() == 6 and StepChange.objects.count() == 6


def test_the_same_caseload_saved_again_changes_nothing(daalhof):
    imported(daalhof.team, daalhof.poh, every_step())
    rows = [
        resident("P1", "Anna", "Brouwers", state="gesignaleerd"),
        resident("P2", "Hélène", "Smeets", state="screening"),
    ]
    resaved = caseload(rows, delimiter=",", newline="\n", encoding="cp1252")
    preview = check(daalhof.team, daalhof.poh, resaved)
    assert preview.ok and not preview.new and len(preview.already) == 2
    assert preview.imported is None and preview.nothing_new_message() == (
        "Niets nieuws in dit bestand: elke cliënt erin is al eerder ingelezen. Er is niets "
        "gewijzigd."
    )
    assert preview.named == {r.resident for r in preview.already}
    with pytest.raises(NothingNew) as caught:
        imported(daalhof.team, daalhof.poh, resaved)
    assert caught.value.fields == {"file": [preview.nothing_new_message()]}
    # one resident more: only she is imported; the others are skipped
    more = caseload([*rows, resident("P7", "Mia", "Laag")])
    made, created = imported(daalhof.team, daalhof.poh, more)
    assert created and made.rows == 1
    assert Resident.objects.count() == 7 and CaseloadImport.objects.count() == 2


def test_a_practice_number_imported_before_for_someone_else(daalhof):
    imported(daalhof.team, daalhof.poh, every_step())
    thea = Resident.objects.get(last_name="Peters")
    rows = [resident("P4", "Thea", "Pieters")]
    assert check(daalhof.team, daalhof.poh, caseload(rows)).messages() == [
        f"Regel 2: patiëntnummer P4 is eerder ingelezen voor een andere cliënt (cliënt "
        f"{thea.pk}): controleer het nummer, de naam en de geboortedatum."
    ]


def test_the_import_needs_the_file_that_was_checked(daalhof):
    with pytest.raises(Refused, match="Dit is niet het bestand dat u controleerde"):
        import_caseload(
            team=daalhof.team,
            by=daalhof.poh,
            file_name="caseload.csv",
            data=every_step(),
            previewed="0" * 64,
        )
    assert nothing_written()
    digest = hashlib.sha256(every_step()).hexdigest()
    _made, created = import_caseload(
        team=daalhof.team, by=daalhof.poh, file_name="c.csv", data=every_step(), previewed=digest
    )
    assert created


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_make_one(daalhof):
    results = race(2, lambda i: imported(daalhof.team, [daalhof.poh, daalhof.gp][i], every_step()))
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _made, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    assert CaseloadImport.objects.count() == 1 and Resident.objects.count() == 6
    if connection.vendor == "postgresql":
        # the second waited for the team's row, then found the file imported: nothing more
        assert StepChange.objects.count() == 6


# --- what the team sees afterwards ------------------------------------------------------------


def test_one_live_event_for_the_board_and_each_resident_for_the_subscriptions(
    daalhof, team_events, django_capture_on_commit_callbacks
):
    his = UserFactory(username="his.koppeling")
    MembershipFactory(team=daalhof.team, user=his, role=Role.GP)
    from django.contrib.auth.models import Group

    from kernteam.roles import INTEGRATIONS

    his.groups.add(Group.objects.get_or_create(name=INTEGRATIONS)[0])
    Subscription.objects.create(
        team=daalhof.team,
        owner=his,
        endpoint="https://his.example.nl/hook",
        secret="geheim",
        reason="HIS",
        criteria="Patient",
    )
    with django_capture_on_commit_callbacks(execute=True):
        made, _ = imported(daalhof.team, daalhof.poh, every_step())
    assert team_events == [
        (
            f"team-{daalhof.team.pk}",
            {"type": "caseload.imported", "import": made.pk, "residents": 6},
        )
    ]
    told = SubscriptionDelivery.objects.order_by("resident_id")
    assert list(told.values_list("resident_id", "event")) == [
        (pk, "caseload.imported") for pk in sorted(made.resident_ids())
    ]


def test_imported_residents_are_on_the_board_and_the_agenda(client, daalhof):
    imported(daalhof.team, daalhof.poh, every_step())
    client.force_login(daalhof.district_nurse)  # in every consent's scope ("alle leden")
    html = client.get(reverse("board", args=[daalhof.team.slug])).content.decode()
    assert html.count('<li class="card') == 5  # the signalled one: the GP and POH only
    for resident_ in Resident.objects.exclude(trajectory__state="signalled"):
        assert f'id="resident-{resident_.pk}"' in html
    meeting = Meeting.objects.create(
        team=daalhof.team, scheduled_for=timezone.now() + datetime.timedelta(days=8)
    )
    agenda = agenda_candidates(meeting=meeting)
    by_name = {Resident.objects.get(pk=pk).last_name: reasons for pk, reasons in agenda.items()}
    assert "signal" in by_name["Brouwers"]
    # every resident in a step was due a week on: on the agenda of the meeting after that
    assert all("review" in by_name[n] for n in ("Wouters", "Peters", "Hendriks", "Ramakers"))


def test_the_board_asks_as_many_queries_for_300_imported_residents_as_for_3(client, daalhof):
    def board_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("board", args=[daalhof.team.slug])).status_code == 200
        return sum("kernteam_accesslogentry" not in q["sql"] for q in captured.captured_queries)

    def rows(first: int, count: int) -> bytes:
        steps = ["stap 1", "stap 2", "stap 3", "gesignaleerd", "screening"]
        return caseload(
            [
                resident(
                    f"N{i}", "Maria", f"Janssen{i}", state=steps[i % 5], coordinator="poh.daalhof"
                )
                for i in range(first, first + count)
            ]
        )

    client.force_login(daalhof.district_nurse)
    imported(daalhof.team, daalhof.poh, rows(0, 3), name="eerste.csv")
    with_3 = board_queries()
    made, _ = imported(daalhof.team, daalhof.poh, rows(3, 297), name="rest.csv")
    assert made.rows == 297
    assert board_queries() == with_3


def test_the_carers_portal_is_unaffected_and_shows_an_imported_resident(daalhof, resident_in):
    from clients.services import record_consent

    known = resident_in("step2", consent=False)
    record_consent(
        resident=known,
        by=daalhof.poh,
        given_on=today(),
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    carer = carer_for(known, username="mantel")
    before = [(v.resident.pk, v.step, v.review_due) for v in carer_views(user=carer.user)]
    assert len(before) == 1
    imported(daalhof.team, daalhof.poh, every_step())
    assert [(v.resident.pk, v.step, v.review_due) for v in carer_views(user=carer.user)] == before
    thea = Resident.objects.get(last_name="Peters")
    (view,) = carer_views(user=carer_for(thea, username="mantel2").user)
    assert (view.step, view.review_due) == (
        "Stap 2 · Gecoördineerde zorg",
        today() + datetime.timedelta(days=7),
    )


def test_the_kpis_and_the_fhir_export_read_a_history_that_starts_with_a_take_over(daalhof):
    from steps.kpi import dashboard

    made, _ = imported(daalhof.team, daalhof.poh, every_step())
    figures = dashboard(teams=[daalhof.team])
    counts = figures.states.counts
    assert [
        counts[s][-1] for s in ("signalled", "screening", "step1", "step2", "step3", "step4")
    ] == [1] * 6
    # the take-over is no review, but the last review the earlier record names counts: a
    # month ago, within every step's interval
    assert figures.reviews.in_step[-1] == 4 and figures.reviews.on_time[-1] == 4
    bundle = fhir_export(Resident.objects.filter(pk__in=made.resident_ids()))
    episodes = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "EpisodeOfCare"
    ]
    assert len(episodes) == 6
    kinds = [
        part["valueCoding"]
        for episode in episodes
        for extension in episode["extension"]
        if extension["url"].endswith("step-change")
        for part in extension["extension"]
        if part["url"] == "kind"
    ]
    assert {(k["code"], k["display"]) for k in kinds} == {
        ("take_over", "taken over from an earlier record")  # (FHIR displays: English)
    }


def test_reviewed_on_time_counts_the_last_review_of_the_earlier_record(daalhof):
    from steps.kpi import dashboard

    rows = [
        resident("P1", "Anna", "Smeets", state="stap 4", last_review=dutch(days_ago(20))),
        # six weeks in step 4 passed since her last review: overdue, also in the KPI
        resident(
            "P2", "Bert", "Smeets", state="stap 4", last_review=dutch(days_ago(60)), next_review=""
        ),
        resident("P3", "Cor", "Smeets", state="stap 1", last_review="", next_review=""),
    ]
    imported(daalhof.team, daalhof.poh, caseload(rows))
    reviews = dashboard(teams=[daalhof.team]).reviews
    assert (reviews.in_step[-1], reviews.on_time[-1]) == (3, 1)


def test_the_example_file_is_valid_for_a_team_with_its_coordinators(daalhof, time_machine):
    """docs/caseload-example.csv names two coordinators: Sanne Vos (by name) and l.dekker (by
    username). Its dates are written for 1 December 2026."""
    time_machine.move_to(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC))
    daalhof.poh.first_name, daalhof.poh.last_name = "Sanne", "Vos"
    daalhof.poh.save()
    dekker = UserFactory(username="l.dekker", first_name="Lies", last_name="Dekker")
    MembershipFactory(team=daalhof.team, user=dekker, role=Role.DISTRICT_NURSE)
    preview = check(daalhof.team, daalhof.gp, EXAMPLE.read_bytes(), name=EXAMPLE.name)
    assert preview.ok, preview.messages()
    assert {r.state for r in preview.rows} == {
        "signalled",
        "screening",
        "step1",
        "step2",
        "step3",
        "step4",
    }
    assert {r.coordinator for r in preview.rows} == {None, daalhof.poh, dekker}
    made, created = imported(daalhof.team, daalhof.gp, EXAMPLE.read_bytes(), name=EXAMPLE.name)
    assert created and made.rows == len(preview.rows)
    template = (EXAMPLE.parent / "caseload-template.csv").read_text(encoding="utf-8")
    assert template.strip() == ";".join(HEADER)


# --- review: what the check lets through, the import takes ---------------------------------------

BSN_COLUMN = (
    "De kolom “patientnummer” lijkt burgerservicenummers (BSN) te bevatten: negen cijfers die "
    "de elfproef doorstaan. Kernteam slaat nooit een BSN op: gebruik het eigen patiëntnummer "
    "van de praktijk."
)
BSN_ROW = (
    "het patiëntnummer lijkt een BSN (de cijfers doorstaan de elfproef): Kernteam slaat nooit "
    "een BSN op. Geef het eigen patiëntnummer van de praktijk."
)


def eleven_proof(number: str) -> bool:
    digits = [int(d) for d in number.zfill(9)]
    weighted = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (weighted - digits[8]) % 11 == 0


def numbered(numbers: list[str], **columns) -> bytes:
    return caseload([resident(n, "Anna", f"Brouwers{i}", **columns) for i, n in enumerate(numbers)])


def test_bsns_are_found_among_other_numbers_and_however_they_are_grouped(daalhof):
    # two BSNs and a practice number; BSNs written in groups: the column is refused whole
    for numbers in (
        ["111222333", "123456782", "P77"],
        ["123 456 782", "111.222.333", "999-999-990"],
    ):
        assert refusal(daalhof.team, daalhof.poh, numbered(numbers)) == [BSN_COLUMN]
    # one BSN among the practice's own numbers: refused by its line, the number not repeated
    data = numbered(["P1", "P2", "123 456 782", "P4"])
    assert check(daalhof.team, daalhof.poh, data).messages() == [f"Regel 4: {BSN_ROW}"]
    with pytest.raises(RowsRefused) as caught:
        imported(daalhof.team, daalhof.poh, data)
    assert caught.value.lines == [(4, BSN_ROW)]
    assert nothing_written()


def test_nine_digit_practice_numbers_and_dates_are_not_taken_for_bsns(daalhof):
    """A practice whose own numbers have nine digits: one in eleven passes the 11-proof by
    chance (two of twenty here), and a date of birth whose digits pass is a date."""
    own = [str(n) for n in range(200_000_000, 200_000_100) if not eleven_proof(str(n))][:18]
    numbers = [*own, "123456782", "123456794"]
    assert sum(map(eleven_proof, numbers)) == 2
    passing_day = next(
        day
        for day in (born(82) - datetime.timedelta(days=i) for i in range(366))
        if eleven_proof(dutch(day).replace("-", ""))
    )
    preview = check(daalhof.team, daalhof.poh, numbered(numbers, born=dutch(passing_day)))
    assert preview.ok, preview.messages()
    assert len(preview.new) == 20


def test_a_score_with_trailing_zeros_is_the_number_it_says(daalhof):
    rows = [
        resident("P1", "Anna", "Brouwers", score="6,00"),
        resident("P2", "Jan", "Wouters", instrument="ISAR-PC", score="4,50"),
        resident("P3", "Thea", "Peters", score="-0,0"),
    ]
    preview = check(daalhof.team, daalhof.poh, caseload(rows))
    assert preview.ok, preview.messages()
    assert [str(r.score) for r in preview.rows] == ["6", "4.5", "0"]
    made, created = imported(daalhof.team, daalhof.poh, caseload(rows))
    assert created and made.rows == 3
    scores = Assessment.objects.order_by("resident__last_name").values_list("score", flat=True)
    assert list(scores) == [Decimal(6), Decimal(0), Decimal("4.5")]


def tricky_rows() -> dict[str, tuple[dict[str, str], bool]]:
    """Rows at the edges of what the check and the models accept: (columns, whether valid)."""
    day = datetime.timedelta(days=1)
    oldest = Resident.born_between()[0]
    two_years, five_years = years_later(today(), -2), years_later(today(), -5)
    limit = add_months(days_ago(30), 6)  # (step 2, last reviewed a month ago)
    return {
        "score 6,00": ({"score": "6,00"}, True),
        "score 6.0": ({"score": "6.0"}, True),
        "score +6": ({"score": "+6"}, True),
        "score 006": ({"score": "006"}, True),
        "score 4,55": ({"score": "4,55"}, False),
        "score 1e1": ({"score": "1e1"}, False),
        "score 1_0": ({"score": "1_0"}, False),
        "score in Arabic digits": ({"score": "٦"}, False),
        "score 6,": ({"score": "6,"}, True),
        "score NaN": ({"score": "NaN"}, False),
        "ISAR-PC 2,50": ({"instrument": "ISAR-PC", "score": "2,50"}, True),
        "ISAR-PC 2,25": ({"instrument": "ISAR-PC", "score": "2,25"}, False),
        "first name of 80": ({"first": "A" * 80}, True),
        "first name of 81": ({"first": "A" * 81}, False),
        "last name of 120 with its prefix": ({"prefix": "van", "last": "B" * 116}, True),
        "last name of 121 with its prefix": ({"prefix": "van", "last": "B" * 117}, False),
        "a name with a tab": ({"first": "Anna\tMaria"}, True),
        "a name in NFD": ({"first": unicodedata.normalize("NFD", "Hélène")}, True),
        "patient number of 20": ({"number": "P" * 20}, True),
        "patient number of 21": ({"number": "P" * 21}, False),
        "aged 50": ({"born": dutch(years_later(today(), -50))}, True),
        "aged 49": ({"born": dutch(years_later(today(), -50) + day)}, False),
        "aged 120": ({"born": dutch(oldest)}, True),
        "aged 121": ({"born": dutch(oldest - day)}, False),
        "consent two years old": ({"consent_on": dutch(two_years)}, True),
        "consent a day older": ({"consent_on": dutch(two_years - day)}, False),
        "consent tomorrow": ({"consent_on": dutch(today() + day)}, False),
        "screening five years old": ({"screened_on": dutch(five_years)}, True),
        "screening a day older": ({"screened_on": dutch(five_years - day)}, False),
        "screening tomorrow": ({"screened_on": dutch(today() + day)}, False),
        "next review at the step's limit": ({"next_review": dutch(limit)}, True),
        "next review a day beyond": ({"next_review": dutch(limit + day)}, False),
        "disciplines “Huisarts En POH”": ({"disciplines": "Huisarts En POH"}, True),
    }


@pytest.mark.parametrize("case", list(tricky_rows()))
def test_the_import_never_refuses_what_the_check_passed(daalhof, case):
    """For every problem the import can raise (the models' own checks, the transition's
    guard), the check reports it first: what passes the check is imported, what does not is
    refused by the import in the same words."""
    columns, valid = tricky_rows()[case]
    data = caseload([{**resident("P1", "Anna", "Brouwers"), **columns}])
    preview = check(daalhof.team, daalhof.poh, data)
    assert preview.ok == valid, preview.messages()
    if preview.ok:
        made, created = imported(daalhof.team, daalhof.poh, data)
        assert created and made.rows == 1
    else:
        with pytest.raises(RowsRefused) as caught:
            imported(daalhof.team, daalhof.poh, data)
        assert caught.value.problems == preview.messages()
        assert nothing_written()


def test_the_templates_column_name_wins_and_two_other_names_for_one_are_refused(daalhof):
    header = ("straat", "nummer", "naam", "praktijknummer", *HEADER)
    row = ("Markt", "12", "Maria Janssen", "X9", *resident("P1").values())
    preview = check(daalhof.team, daalhof.poh, caseload([row], header=header))
    assert preview.ok, preview.messages()
    assert (preview.rows[0].practice_number, preview.rows[0].last_name) == ("P1", "Janssen")
    assert preview.ignored_columns == ["straat", "nummer", "naam", "praktijknummer"]
    # two other names for one column, neither the template's: which one holds it is a guess
    header = ("patnr", "praktijknummer", *HEADER[1:])
    row = ("P1", "P2", *list(resident("P1").values())[1:])
    assert refusal(daalhof.team, daalhof.poh, caseload([row], header=header)) == [
        "De kolommen “patnr” en “praktijknummer” staan allebei voor patientnummer: welke "
        "geldt? Noem de juiste “patientnummer” of verwijder de andere, en upload het bestand "
        "opnieuw."
    ]


def test_an_accented_name_is_the_same_however_it_is_encoded(daalhof):
    """A Mac writes "é" as "e" and an accent (NFD): the same name as "é" (NFC)."""
    imported(daalhof.team, daalhof.poh, every_step())  # (Hélène Smeets, in NFC)
    helene = Resident.objects.get(last_name="Smeets")
    nfd = unicodedata.normalize("NFD", "Hélène")
    assert nfd != "Hélène"
    data = caseload([resident("P22", nfd, "Smeets", state="screening")])
    assert check(daalhof.team, daalhof.poh, data).messages() == [
        f"Regel 2: het team heeft Hélène Smeets, geboren {shown_date(born(82))}, al (cliënt "
        f"{helene.pk}): een dubbele; verwijder de regel."
    ]
    rows = [resident("P30", *(unicodedata.normalize("NFD", n) for n in ("Françoise", "Coënen")))]
    made, _ = imported(daalhof.team, daalhof.poh, caseload(rows))
    (francoise,) = Resident.objects.filter(pk__in=made.resident_ids())
    assert (francoise.first_name, francoise.last_name) == ("Françoise", "Coënen")


def test_disciplines_joined_by_en_whatever_its_capitals(daalhof):
    rows = [
        resident("P1", disciplines="Huisarts En POH"),
        resident(
            "P2",
            "Jan",
            "Wouters",
            coordinator="gp.daalhof",
            disciplines="huisarts EN wijkverpleegkundige",
        ),
    ]
    preview = check(daalhof.team, daalhof.gp, caseload(rows, delimiter=","))
    assert preview.ok, preview.messages()
    assert [r.disciplines for r in preview.rows] == [["gp", "poh"], ["district_nurse", "gp"]]


def test_a_quote_left_open_is_named_by_the_line_it_starts_on(daalhof):
    rows = [
        resident("P1"),
        resident("P2", "Jan", "Wouters"),
        resident("P3", "Thea", "Peters"),
        resident("P4", "Els", "Hendriks"),
    ]
    data = caseload(rows).replace(b";Jan;", b';"Jan;')  # (the residents after it: swallowed)
    assert refusal(daalhof.team, daalhof.poh, data) == [
        "Regel 3: een aanhalingsteken staat open (de cel loopt door tot regel 5 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]
    assert nothing_written()


def test_who_imports_is_written_once_as_the_take_overs_permission():
    from steps import caseload_import, rules

    assert Trajectory.take_over.permission is rules.importer
    assert caseload_import.IMPORTERS == rules.importer.roles == {"gp", "poh"}
    assert caseload_import.may_import({"poh"})
    assert not caseload_import.may_import({"district_nurse", "coordinator"})


def test_a_line_break_in_a_column_not_read_is_kept_unless_it_holds_records(daalhof):
    """Alt+Enter in Excel: a remark over two lines, in a column the import does not read."""
    header = (*HEADER, "opmerking")
    rows = [
        (*resident("P1").values(), "belt zelf\nna 10 uur"),
        (*resident("P2", "Jan", "Wouters").values(), "geen"),
    ]
    preview = check(daalhof.team, daalhof.poh, caseload(rows, header=header))
    assert preview.ok, preview.messages()
    assert [(r.line, r.last_name) for r in preview.new] == [(2, "Janssen"), (4, "Wouters")]
    assert preview.ignored_columns == ["opmerking"]
    # in a column read, a line break is a quote left open
    in_name = caseload([resident("P1", "Anna\nMaria")])
    assert refusal(daalhof.team, daalhof.poh, in_name) == [
        "Regel 2: een aanhalingsteken staat open (de cel loopt door tot regel 3 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]
    # in a column not read, a quote left open that takes in whole records: refused still
    rows = [(*resident(f"P{i}", "Anna", f"Brouwers{i}").values(), "") for i in range(1, 5)]
    lines = caseload(rows, header=header).split(b"\r\n")
    lines[2] += b'"belt zelf'
    assert refusal(daalhof.team, daalhof.poh, b"\r\n".join(lines)) == [
        "Regel 3: een aanhalingsteken staat open (de cel loopt door tot regel 5 en neemt de "
        "regels daartussen mee); controleer de aanhalingstekens."
    ]
    assert nothing_written()


def test_a_column_repeating_one_number_is_no_bsn_column(daalhof):
    """The practice's AGB code on every line, a number that passes the 11-proof: one number
    is no patient's BSN. Two such numbers in a column are judged as before."""
    header = (*HEADER, "agb_code")
    agb = ["123456782", "123 456 782", "123456782"]  # (one number, however written)
    rows = [
        (*resident(f"P{i}", "Anna", f"Brouwers{i}").values(), code) for i, code in enumerate(agb)
    ]
    preview = check(daalhof.team, daalhof.poh, caseload(rows, header=header))
    assert preview.ok, preview.messages()
    assert len(preview.new) == 3
    rows[1] = (*rows[1][:-1], "111222333")
    assert refusal(daalhof.team, daalhof.poh, caseload(rows, header=header)) == [
        "De kolom “agb_code” lijkt burgerservicenummers (BSN) te bevatten: negen cijfers die de "
        "elfproef doorstaan. Kernteam slaat nooit een BSN op: gebruik het eigen patiëntnummer "
        "van de praktijk."
    ]
    # the practice number still judged by its row: a BSN among the practice's numbers
    data = numbered(["P1", "123456782", "P3"])
    assert check(daalhof.team, daalhof.poh, data).messages() == [f"Regel 3: {BSN_ROW}"]


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("delimiter", [";", ",", "|"])
def test_excels_sep_line_names_the_delimiter_and_is_skipped(daalhof, bom, delimiter):
    rows = [resident("P1"), resident("P2", "=1+1", "Wouters")]
    data = (b"\xef\xbb\xbf" if bom else b"") + f"sep={delimiter}\r\n".encode()
    data += caseload(rows, delimiter=delimiter)
    # the lines as Excel shows them (it hides the sep line): the header is line 1
    assert check(daalhof.team, daalhof.poh, data).messages() == [
        "Regel 3: een cel begint met “=” (een formule); formules worden niet ingelezen."
    ]
    assert refusal(daalhof.team, daalhof.poh, f"sep={delimiter}\r\n".encode()) == [
        "Het bestand is leeg."
    ]
