"""Issue 21 §1 in Chromium: a team's first day (shared/scenarios.md §4). The board is empty; the
POH checks the practice's caseload on her phone (390×844) and the preview shows three lines to
fix (a step-2 resident without a coordinator, a typo in a date of birth, a duplicate); at the
projector (1920×1080) the GP follows "Caseload inlezen" from the board, checks the fixed file,
imports it and lands on the board with every resident in her column. The same file again
changes nothing.

`import_caseload` is the whole walk from the board to the imported caseload, for any test that
starts a team this way."""

from __future__ import annotations

import pytest

from clients.models import Resident
from steps.caseload import CaseloadImport
from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.caseload_files import caseload, resident

pytestmark = pytest.mark.django_db(transaction=True)

# (patient number, first name, last name, step, coordinator's username on Daalhof)
RESIDENTS = [
    ("1001", "Gerda", "Bemelmans", "gesignaleerd", ""),
    ("1002", "Hubert", "Lemmens", "screening", ""),
    ("1003", "Maria", "Heijden", "stap 1", ""),
    ("1004", "Jacques", "Ramakers", "stap 2", "poh.daalhof"),
    ("1005", "Anneke", "Janssen", "stap 2", "district_nurse.daalhof"),
    ("1006", "Sjef", "Dassen", "stap 2", "poh.daalhof"),
    ("1007", "Mia", "Coenen", "stap 3", "dementia_case_manager.daalhof"),
    ("1008", "Wiel", "Hendriks", "stap 3", "poh.daalhof"),
    ("1009", "Lies", "Smeets", "stap 4", "district_nurse.daalhof"),
    ("1010", "Hélène", "Wouters", "stap 1", ""),
]
STATES = {
    "gesignaleerd": "signalled",
    "screening": "screening",
    "stap 1": "step1",
    "stap 2": "step2",
    "stap 3": "step3",
    "stap 4": "step4",
}


def first_day_file(*, fixed: bool) -> bytes:
    """The team's caseload as the POH exported it: ten residents in every state a caseload
    holds; unfixed, three lines to fix (lines 6, 7 and 12)."""
    rows = [
        resident(number, first, last, state=state, coordinator=coordinator)
        for number, first, last, state, coordinator in RESIDENTS
    ]
    if not fixed:
        rows[4] = resident("1005", "Anneke", "Janssen", state="stap 2", coordinator="")
        rows[5] = resident("1006", "Sjef", "Dassen", born="31-13-1941")
        rows.append(resident("1004", "Jacques", "Ramakers", state="stap 2"))
    return caseload(rows)


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def open_caseload_page(page, base_url: str, slug: str) -> None:
    """From the team's board, follow "Caseload inlezen"."""
    page.goto(f"{base_url}/teams/{slug}/board/")
    page.get_by_role("link", name="Caseload inlezen").click()
    page.get_by_role("heading", name="Caseload inlezen", level=1).wait_for()


def check_file(page, path) -> None:
    """On the caseload page: choose the file and check it (the preview replaces the last)."""
    page.get_by_label("De caseload (CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Bestand controleren").click()
    page.get_by_role("heading", name=f"Gecontroleerd: {path.name}").wait_for()


def confirm_import(page, base_url: str, slug: str, *, residents: int) -> None:
    """After a clean check: import the `residents` new residents and land on the board."""
    page.get_by_role("button", name=f"{residents} cliënten inlezen").click()
    page.get_by_text(
        f"{residents} cliënten overgenomen uit het eerdere dossier: op het bord in hun stap."
    ).wait_for()
    assert page.url == f"{base_url}/teams/{slug}/board/"


def import_caseload(page, base_url: str, slug: str, path, *, residents: int) -> None:
    """The caseload import, from the team's board to the board with the residents on it."""
    open_caseload_page(page, base_url, slug)
    check_file(page, path)
    confirm_import(page, base_url, slug, residents=residents)


def test_a_team_goes_from_an_empty_board_to_its_imported_caseload(
    browser, asgi_server, daalhof, screenshot, tmp_path
):
    unfixed = tmp_path / "caseload-daalhof.csv"
    unfixed.write_bytes(first_day_file(fixed=False))
    fixed = tmp_path / "caseload-daalhof-verbeterd.csv"
    fixed.write_bytes(first_day_file(fixed=True))

    # the POH, on her phone: the template is there, and the file has three lines to fix
    poh = sign_in(browser, asgi_server, daalhof.poh, PHONE)
    poh.goto(f"{asgi_server}/teams/daalhof/caseload/")
    assert poh.get_by_role("link", name="Sjabloon downloaden").is_visible()
    check_file(poh, unfixed)
    poh.get_by_text("3 problemen: er wordt niets ingelezen tot ze verbeterd zijn.").wait_for()
    problems = poh.locator(".line-problems li").all_inner_texts()
    assert problems == [
        "Regel 6: Er is geen zorgcoördinator benoemd.",
        "Regel 7: de geboortedatum “31-13-1941” is niet te lezen (schrijf dd-mm-jjjj).",
        "Regel 12: patiëntnummer 1004 staat ook op regel 5 (een dubbele regel).",
    ]
    assert poh.get_by_role("button", name="cliënten inlezen").count() == 0
    no_sideways_scroll(poh, PHONE["width"])
    screenshot(poh, "caseload_problems_390")
    check_file(poh, fixed)
    poh.get_by_text("10 nieuwe cliënten, overgenomen in hun stap").wait_for()
    card = poh.locator("tr.caseload-row", has_text="Jacques Ramakers")
    assert "Stap 2 · Gecoördineerde zorg" in card.inner_text()
    no_sideways_scroll(poh, PHONE["width"])
    screenshot(poh, "caseload_preview_390")
    assert not Resident.objects.exists()

    # the GP at the projector: from the empty board to the imported caseload
    gp = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    gp.goto(f"{asgi_server}/teams/daalhof/board/")
    gp.get_by_role("heading", name="Kernteam Daalhof").wait_for()
    assert gp.locator(".card").count() == 0
    open_caseload_page(gp, asgi_server, "daalhof")
    check_file(gp, fixed)
    no_sideways_scroll(gp, PROJECTOR["width"])
    screenshot(gp, "caseload_preview_1920")
    assert not Resident.objects.exists()
    import_caseload(gp, asgi_server, "daalhof", fixed, residents=10)
    for _number, first, last, state, _coordinator in RESIDENTS:
        column = gp.locator(f"section.state-{STATES[state]}")
        column.locator(".card", has_text=f"{first} {last}").wait_for()
    assert gp.locator(".card").count() == 10
    no_sideways_scroll(gp, PROJECTOR["width"])
    screenshot(gp, "caseload_board_1920")
    assert CaseloadImport.objects.get().rows == 10
    assert gp.evaluate("window.cspViolations") == []

    # the same file again, on the phone: it says when, and nothing changes
    poh.goto(f"{asgi_server}/teams/daalhof/caseload/")
    check_file(poh, fixed)
    poh.get_by_text("Dit bestand is al ingelezen op").wait_for()
    assert poh.get_by_role("button", name="cliënten inlezen").count() == 0
    poh.goto(f"{asgi_server}/teams/daalhof/board/")
    poh.locator(".card", has_text="Lies Smeets").wait_for()
    no_sideways_scroll(poh, PHONE["width"])
    screenshot(poh, "caseload_board_390")
    assert Resident.objects.count() == 10
    assert poh.evaluate("window.cspViolations") == []
