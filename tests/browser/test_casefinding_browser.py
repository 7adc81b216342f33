"""Issue 18 §1 in Chromium: the POH uploads the practice's list at her desk (1920×1080), checks
it, fixes nothing because a clean list imports at once, then records what happened per candidate
on the round page; a score above the cut-off makes a signalled resident. On her phone (390×844)
the candidates are cards and nothing grows sideways. A list with a BSN column is refused, and
signalling the same person by hand warns with a link to her record."""

from __future__ import annotations

import pytest

from clients.casefinding import Candidate
from clients.models import Resident
from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.casefinding_lists import HEADER, born, person, practice_list, three

pytestmark = pytest.mark.django_db(transaction=True)


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_poh_uploads_checks_imports_and_records_scores(
    browser, asgi_server, daalhof, screenshot, tmp_path
):
    good = tmp_path / "casefinding-2026.csv"
    good.write_bytes(three())
    with_bsn = tmp_path / "met-bsn.csv"
    with_bsn.write_bytes(practice_list([(*person("P1"), "123456782")], header=(*HEADER, "BSN")))

    poh = sign_in(browser, asgi_server, daalhof.poh, PROJECTOR)
    poh.goto(f"{asgi_server}/teams/daalhof/board/")
    poh.get_by_role("link", name="Casefinding").click()
    poh.get_by_role("heading", name="Casefinding", level=1).wait_for()

    # a list with a BSN column: refused, nothing imported
    poh.get_by_label("De lijst (CSV)").set_input_files(str(with_bsn))
    poh.get_by_role("button", name="Lijst controleren").click()
    poh.get_by_text("Kernteam slaat nooit een BSN op").wait_for()
    assert poh.get_by_role("button", name="Lijst inlezen").count() == 0

    # the practice's list: checked, then imported (the form keeps the file)
    poh.get_by_label("De lijst (CSV)").set_input_files(str(good))
    poh.get_by_role("button", name="Lijst controleren").click()
    poh.get_by_text("3 nieuwe kandidaten").wait_for()
    no_sideways_scroll(poh, PROJECTOR["width"])
    screenshot(poh, "casefinding_preview_1920")
    assert not Candidate.objects.exists()
    poh.get_by_role("button", name="Lijst inlezen").click()
    poh.get_by_text("Ingelezen: 3 kandidaten in een nieuwe ronde.").wait_for()
    assert Candidate.objects.count() == 3

    anna = Candidate.objects.get(last_name="Brouwers")
    row = poh.locator(f"#candidate-{anna.pk}")
    row.get_by_label("Wat gebeurde er").select_option("invited")
    row.get_by_role("button", name="Opslaan").click()
    poh.get_by_text("Anna Brouwers: uitgenodigd.").wait_for()
    row = poh.locator(f"#candidate-{anna.pk}")
    row.get_by_label("Vragenlijst").select_option("gfi")
    row.get_by_label("Score").fill("6")
    row.get_by_role("button", name="Score vastleggen").click()
    poh.get_by_text("Anna Brouwers scoorde op of boven de afkapwaarde").wait_for()
    no_sideways_scroll(poh, PROJECTOR["width"])
    screenshot(poh, "casefinding_round_1920")
    resident = Resident.objects.get(last_name="Brouwers")
    assert resident.trajectory.state == "signalled"
    assert resident.assessments.get().score == 6
    assert poh.evaluate("window.cspViolations") == []

    # on the phone: cards, and a score below the cut-off closes the candidate
    phone = sign_in(browser, asgi_server, daalhof.poh, PHONE)
    round_id = anna.round_id
    phone.goto(f"{asgi_server}/teams/daalhof/casefinding/{round_id}/")
    smeets = Candidate.objects.get(last_name="Smeets")
    card = phone.locator(f"#candidate-{smeets.pk}")
    card.wait_for()
    no_sideways_scroll(phone, PHONE["width"])
    screenshot(phone, "casefinding_round_390")
    card.get_by_label("Vragenlijst").select_option("tfi")
    card.get_by_label("Score").fill("2")
    card.get_by_role("button", name="Score vastleggen").click()
    phone.get_by_text("Hélène Smeets scoorde onder de afkapwaarde").wait_for()
    no_sideways_scroll(phone, PHONE["width"])
    phone.goto(f"{asgi_server}/teams/daalhof/casefinding/")
    no_sideways_scroll(phone, PHONE["width"])
    screenshot(phone, "casefinding_page_390")


def test_signalling_the_same_person_by_hand_warns_with_a_link(
    browser, asgi_server, daalhof, screenshot
):
    from tests.factories import ResidentFactory

    existing = ResidentFactory(
        team=daalhof.team, first_name="Jan", last_name="Ramakers", date_of_birth=born(88)
    )
    gp = sign_in(browser, asgi_server, daalhof.gp, PHONE)
    gp.goto(f"{asgi_server}/teams/daalhof/signal/")
    gp.get_by_label("Voornaam").fill("Jan")
    gp.get_by_label("Achternaam").fill("Ramakers")
    gp.get_by_label("Geboortedatum").fill(born(88).isoformat())
    gp.get_by_label("Waarom signaleert u deze cliënt?").fill("Valt vaak")
    gp.get_by_role("button", name="Signaleren").click()
    gp.get_by_text("Waarschijnlijk al gesignaleerd:").wait_for()
    assert gp.get_by_label("Waarom signaleert u deze cliënt?").input_value() == "Valt vaak"
    link = gp.get_by_role("link", name="Mevrouw Jan Ramakers")
    assert link.get_attribute("href") == f"/residents/{existing.pk}/"
    no_sideways_scroll(gp, PHONE["width"])
    screenshot(gp, "signal_duplicate_390")
    gp.get_by_role("button", name="Toch signaleren").click()
    gp.wait_for_url(f"{asgi_server}/**")
    gp.wait_for_function("() => !document.querySelector('.duplicate-warning')", timeout=10_000)
    assert Resident.objects.filter(last_name="Ramakers").count() == 2
