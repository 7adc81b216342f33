"""Issue 21 §1 on the web: the GP or the POH uploads the team's caseload, checks it (the
preview: every line as it will be imported, problems by line in Dutch), imports it and lands on
the board with the residents in their steps; the same file again changes nothing. Other roles
are refused with the reason, another team's page does not exist, and every preview and import
is in the access log."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from clients.models import Resident
from kernteam.models import AccessLogEntry, shown_date
from steps.caseload import CaseloadImport
from steps.caseload_import import MAX_BYTES
from tests.caseload_files import HEADER, born, caseload, every_step, resident, upload
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


def page(team) -> str:
    return reverse("caseload", args=[team.slug])


def check(client, team, data: bytes, **extra):
    return client.post(page(team), {"file": upload(data), "action": "check"}, **extra)


def do_import(client, team, data: bytes, *, previewed: str | None = None, **extra):
    sha = hashlib.sha256(data).hexdigest() if previewed is None else previewed
    body = {"file": upload(data), "action": "import", "previewed": sha}
    return client.post(page(team), body, **extra)


@pytest.mark.parametrize("role", ["gp", "poh"])
def test_the_gp_and_the_poh_find_the_page_on_the_board(client, daalhof, role):
    client.force_login(daalhof.member(role))
    board = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert f'href="{page(daalhof.team)}">Caseload inlezen</a>' in board
    html = client.get(page(daalhof.team)).content.decode()
    assert "<title>Caseload inlezen · Kernteam Daalhof</title>" in html
    assert "Sjabloon downloaden" in html and "Voorbeeldbestand downloaden" in html
    assert "zorgcoordinator" in html and "Verplicht vanaf stap 2." in html
    assert "Bestand controleren" in html


def test_the_template_and_the_example_download_as_csv(client, daalhof):
    client.force_login(daalhof.poh)
    template = client.get(page(daalhof.team), {"download": "template"})
    assert template.status_code == 200
    assert template["Content-Disposition"] == 'attachment; filename="caseload-template.csv"'
    assert b"".join(template.streaming_content).startswith(b"patientnummer;voornaam;")
    example = client.get(page(daalhof.team), {"download": "example"})
    assert example.status_code == 200 and "caseload-example.csv" in example["Content-Disposition"]
    assert client.get(page(daalhof.team), {"download": "../settings"}).status_code == 404


@pytest.mark.parametrize(
    "role", ["district_nurse", "welfare", "coordinator", "dementia_case_manager"]
)
def test_other_roles_are_refused_with_the_reason_and_see_no_link(client, daalhof, role):
    client.force_login(daalhof.member(role))
    refused = client.get(page(daalhof.team))
    assert refused.status_code == 403
    assert "Alleen de huisarts of de POH leest de caseload van het team in." in (
        refused.content.decode()
    )
    posted = check(client, daalhof.team, every_step())
    assert posted.status_code == 403 and not Resident.objects.exists()
    download = client.get(page(daalhof.team), {"download": "template"})
    assert download.status_code == 403
    board = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert page(daalhof.team) not in board


def test_another_teams_page_does_not_exist(client, daalhof, malberg):
    client.force_login(malberg.poh)
    assert client.get(page(daalhof.team)).status_code == 404
    assert check(client, daalhof.team, every_step()).status_code == 404
    assert not Resident.objects.exists()


def test_the_preview_shows_every_line_and_saves_nothing(client, daalhof):
    client.force_login(daalhof.poh)
    checked = check(client, daalhof.team, every_step(), HTTP_HX_REQUEST="true")
    html = checked.content.decode()
    assert checked.status_code == 200 and "<html" not in html  # (the preview only, for htmx)
    assert "Gecontroleerd: caseload.csv" in html
    assert "6 nieuwe cliënten, overgenomen in hun stap" in html
    assert "Stap 3 · Complexe zorg" in html and "Hélène Smeets" in html
    sha = hashlib.sha256(every_step()).hexdigest()
    assert f'name="previewed" value="{sha}"' in html and "6 cliënten inlezen" in html
    assert not Resident.objects.exists() and not CaseloadImport.objects.exists()
    entry = AccessLogEntry.objects.get(what="caseload-preview")
    assert (entry.user, entry.action, entry.resident) == (daalhof.poh, "read", None)


def test_problems_are_listed_by_line_in_dutch_and_nothing_is_imported(client, daalhof):
    client.force_login(daalhof.gp)
    rows = [
        resident("P1", "Anna", "Brouwers"),
        resident("P2", "Kees", "Smeets", state="stap 2", coordinator=""),
        resident("P3", "Jo", "Peters", born="31-02-1940"),
        resident("P1", "Lies", "Hendriks"),
    ]
    html = check(client, daalhof.team, caseload(rows), HTTP_HX_REQUEST="true").content.decode()
    assert "3 problemen: er wordt niets ingelezen tot ze verbeterd zijn." in html
    assert "Regel 3: Er is geen zorgcoördinator benoemd." in html
    assert "Regel 4: de geboortedatum “31-02-1940” is niet te lezen (schrijf dd-mm-jjjj)." in html
    assert "Regel 5: patiëntnummer P1 staat ook op regel 2 (een dubbele regel)." in html
    assert "cliënten inlezen" not in html and 'name="previewed"' not in html
    refused = do_import(client, daalhof.team, caseload(rows)).content.decode()
    assert "Regel 5: patiëntnummer P1 staat ook op regel 2" in refused
    assert "Er is niets ingelezen." in refused
    assert not Resident.objects.exists() and not CaseloadImport.objects.exists()


def test_import_lands_on_the_board_with_the_residents_in_their_steps(client, daalhof):
    client.force_login(daalhof.poh)
    done = do_import(client, daalhof.team, every_step(), HTTP_HX_REQUEST="true")
    assert done.headers["HX-Redirect"] == reverse("board", args=["daalhof"])
    board = client.get(done.headers["HX-Redirect"]).content.decode()
    assert "6 cliënten overgenomen uit het eerdere dossier: op het bord in hun stap." in board
    states = dict(Resident.objects.values_list("last_name", "trajectory__state"))
    assert states == {
        "Brouwers": "signalled",
        "Smeets": "screening",
        "Wouters": "step1",
        "Peters": "step2",
        "Hendriks": "step3",
        "Ramakers": "step4",
    }
    for name, state in states.items():
        column = board.split(f'id="col-{state}"')[1].split("</section>")[0]
        assert name in column
    made = CaseloadImport.objects.get()
    written = AccessLogEntry.objects.filter(what="caseload-import")
    assert {(e.user, e.action) for e in written} == {(daalhof.poh, "write")}
    assert sorted(e.resident_id for e in written) == sorted(made.resident_ids())


def test_the_same_file_again_says_when_it_was_imported_and_changes_nothing(client, daalhof):
    client.force_login(daalhof.gp)
    do_import(client, daalhof.team, every_step())
    checked = check(client, daalhof.team, every_step()).content.decode()
    assert "Dit bestand is al ingelezen op " in checked and "cliënten inlezen" not in checked
    again = do_import(client, daalhof.team, every_step())
    assert again.status_code == 302 and again.url == reverse("board", args=["daalhof"])
    board = client.get(again.url).content.decode()
    assert "Dit bestand is al ingelezen op " in board and "opnieuw inlezen verandert niets" in board
    assert Resident.objects.count() == 6 and CaseloadImport.objects.count() == 1
    actions = AccessLogEntry.objects.filter(what="caseload-import", user=daalhof.gp)
    assert list(actions.filter(resident=None).values_list("action", flat=True)) == ["read"]


def test_a_resaved_file_shows_the_residents_as_imported_before(client, daalhof):
    client.force_login(daalhof.poh)
    do_import(client, daalhof.team, every_step())
    resaved = caseload(
        [resident("P4", "Thea", "Peters"), resident("P7", "Wim", "Dassen", state="stap 1")],
        delimiter=",",
    )
    html = check(client, daalhof.team, resaved).content.decode()
    peters = Resident.objects.get(last_name="Peters")
    assert "1 nieuwe cliënt, overgenomen in de eigen stap" in html
    assert "1 cliënt eerder ingelezen (overgeslagen)" in html
    assert f'href="{reverse("resident", args=[peters.pk])}">eerder ingelezen</a>' in html
    named = AccessLogEntry.objects.filter(what="caseload-preview", resident=peters)
    assert named.get().action == "read"


def test_the_import_needs_the_file_that_was_checked(client, daalhof):
    client.force_login(daalhof.poh)
    html = do_import(client, daalhof.team, every_step(), previewed="0" * 64).content.decode()
    assert "Dit is niet het bestand dat u controleerde" in html
    assert not Resident.objects.exists()


def test_bad_uploads_get_a_dutch_message_never_a_500(client, daalhof):
    client.force_login(daalhof.poh)
    big = check(client, daalhof.team, b"a;b\n" * (MAX_BYTES // 4))
    assert big.status_code == 200
    assert "Het bestand is te groot (5 MB of meer)." in big.content.decode()
    utf16 = check(client, daalhof.team, "patientnummer;voornaam".encode("utf-16"))
    assert "Het bestand is geen platte tekst" in utf16.content.decode()
    nothing = client.post(page(daalhof.team), {"action": "check"}).content.decode()
    assert "Kies het bestand met de caseload (een CSV-bestand)." in nothing
    formula = caseload([resident("P1", "=HYPERLINK(1)", "Brouwers")])
    html = check(client, daalhof.team, formula).content.decode()
    assert "Regel 2: een cel begint met “=” (een formule)" in html
    assert not Resident.objects.exists()


def test_a_file_refused_whole_is_in_the_access_log(client, daalhof):
    """Checked or imported, a file refused as a whole is noted as read, naming no resident."""
    client.force_login(daalhof.poh)
    bsn = caseload([(*resident("P1").values(), "123456782")], header=(*HEADER, "BSN"))
    assert "Kernteam slaat nooit een BSN op" in check(client, daalhof.team, bsn).content.decode()
    html = do_import(client, daalhof.team, "x".encode("utf-16")).content.decode()
    assert "Het bestand is geen platte tekst" in html
    entries = AccessLogEntry.objects.filter(what__startswith="caseload").order_by("pk")
    assert [(e.user, e.action, e.resident, e.what) for e in entries] == [
        (daalhof.poh, "read", None, "caseload-preview"),
        (daalhof.poh, "read", None, "caseload-import"),
    ]
    assert not Resident.objects.exists()


def test_a_refusal_under_htmx_reloads_the_page_which_shows_it(client, daalhof):
    """Her role ended after the page loaded: htmx swaps no 403, so the page is loaded again."""
    nurse = daalhof.member("district_nurse")
    client.force_login(nurse)
    clicked = check(client, daalhof.team, every_step(), HTTP_HX_REQUEST="true")
    assert clicked.status_code == 200 and clicked["HX-Redirect"] == page(daalhof.team)
    reloaded = client.get(clicked["HX-Redirect"])
    assert reloaded.status_code == 403
    assert "Alleen de huisarts of de POH leest de caseload van het team in." in (
        reloaded.content.decode()
    )
    assert not Resident.objects.exists()
    assert not AccessLogEntry.objects.filter(what__startswith="caseload").exists()


def test_a_long_file_shows_its_first_500_lines_and_counts_every_line(client, daalhof):
    client.force_login(daalhof.poh)
    rows = [resident(f"P{i}", "Anna", f"Brouwers{i}", state="stap 1") for i in range(502)]
    html = check(client, daalhof.team, caseload(rows)).content.decode()
    assert "502 nieuwe cliënten, overgenomen in hun stap" in html
    assert html.count('class="caseload-row state-') == 500 and "Brouwers499" in html
    assert "Brouwers500" not in html
    assert (
        "De eerste 500 regels staan hier; nog 2 regels zijn op dezelfde manier gecontroleerd en "
        "worden zo ingelezen."
    ) in html


def test_a_refused_import_notes_the_residents_its_problems_name(client, daalhof):
    """The problems name the team's residents (a duplicate): read, as the check notes them."""
    anna = ResidentFactory(
        team=daalhof.team, first_name="Anna", last_name="Brouwers", date_of_birth=born(82)
    )
    client.force_login(daalhof.poh)
    rows = [resident("P1", "Anna", "Brouwers"), resident("P2", "Jan", "Wouters")]
    html = do_import(client, daalhof.team, caseload(rows)).content.decode()
    assert (
        f"Regel 2: het team heeft Anna Brouwers, geboren {shown_date(born(82))}, al (cliënt "
        f"{anna.pk}): een dubbele; verwijder de regel."
    ) in html
    assert not CaseloadImport.objects.exists()
    entries = AccessLogEntry.objects.filter(what="caseload-import")
    assert {(e.user, e.action, e.resident_id) for e in entries} == {
        (daalhof.poh, "read", None),
        (daalhof.poh, "read", anna.pk),
    }
