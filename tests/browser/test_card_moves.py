"""Moving cards in Chromium: drag and drop, a refused drop, and a move with the keyboard only."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PROJECTOR, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


def board(browser, base, user):
    page = sign_in(browser, base, user, PROJECTOR)
    page.goto(f"{base}/teams/daalhof/board/")
    page.evaluate("window.stillTheSamePage = true")
    return page


def card(page, state: str, name: str):
    return page.locator(f".column.state-{state} .card", has_text=name)


def test_a_card_dragged_to_step_3_asks_why_and_moves(browser, live_server, daalhof, screenshot):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    page = board(browser, live_server.url, daalhof.district_nurse)

    card(page, "step2", "Janssen").drag_to(page.locator(".column.state-step3"))
    panel = page.locator("#resident-panel")
    panel.get_by_label("Reden").fill("Twee keer gevallen deze week")
    screenshot(page, "board-drop-asks-reason")
    panel.get_by_role("button", name="Opschalen naar stap 3").click()

    card(page, "step3", "Janssen").get_by_text("urgente opschaling bevestigen").wait_for()
    assert card(page, "step2", "Janssen").count() == 0
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"
    assert page.evaluate("window.stillTheSamePage") is True
    page.context.close()


def test_a_refused_drop_shows_why_and_the_card_goes_back(browser, live_server, daalhof, screenshot):
    ramakers = ResidentFactory(team=daalhof.team, state="step3", last_name="Ramakers")
    give_consent(ramakers, daalhof.poh)
    page = board(browser, live_server.url, daalhof.district_nurse)

    card(page, "step3", "Ramakers").drag_to(page.locator(".column.state-step2"))
    alert = page.locator("#resident-panel .refused")
    alert.wait_for()
    assert "Deze stapwijziging kan nu niet" in alert.inner_text()
    assert "alleen als teambesluit in een MDO, of door de huisarts" in alert.inner_text()
    card(page, "step3", "Ramakers").wait_for()  # back where it was
    assert card(page, "step2", "Ramakers").count() == 0
    screenshot(page, "board-drop-refused")
    page.context.close()


def test_a_move_with_the_keyboard_only(browser, live_server, daalhof):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    page = board(browser, live_server.url, daalhof.district_nurse)

    menu = card(page, "step2", "Janssen").locator("summary")
    for _ in range(40):  # Tab through the page until the card's menu has focus
        page.keyboard.press("Tab")
        if menu.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("The card's menu cannot be reached with Tab")
    page.keyboard.press("Enter")
    item = card(page, "step2", "Janssen").get_by_role("link", name="Opschalen naar stap 3")
    item.wait_for()
    while not item.evaluate("el => el === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    reason = page.locator("#resident-panel").get_by_label("Reden")
    reason.wait_for()
    assert reason.evaluate("el => el === document.activeElement")  # focus moved to the form
    page.keyboard.type("Twee keer gevallen")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    card(page, "step3", "Janssen").wait_for()
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"
    page.context.close()
