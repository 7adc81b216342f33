"""Scenario 1 and 2 together: a move on one member's screen appears on the others' at once."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


def open_board(browser, base, user, viewport, slug="daalhof"):
    page = sign_in(browser, base, user, viewport)
    page.goto(f"{base}/teams/{slug}/board/")
    page.locator("#live-status[data-state=live]").wait_for()
    page.evaluate("window.stillTheSamePage = true")
    return page


def test_a_move_on_the_road_appears_on_the_projector_at_once(
    browser, asgi_server, daalhof, malberg, screenshot
):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    ResidentFactory(team=malberg.team, state="step1", last_name="Wouters")
    projector = open_board(browser, asgi_server, daalhof.poh, PROJECTOR)
    elsewhere = open_board(browser, asgi_server, malberg.gp, PHONE, slug="malberg")
    nurse = open_board(browser, asgi_server, daalhof.district_nurse, PHONE)

    nurse.get_by_role("link", name="Mevrouw Maria Janssen").click()
    panel = nurse.locator("#resident-panel")
    panel.get_by_role("link", name="Opschalen naar stap 3").click()
    panel.get_by_label("Reden").fill("Twee keer gevallen deze week")
    panel.get_by_role("button", name="Opschalen naar stap 3").click()

    card = projector.locator(".column.state-step3 .card", has_text="Janssen")
    card.wait_for(timeout=3000)
    assert "urgente opschaling bevestigen" in card.inner_text()
    assert projector.evaluate("window.stillTheSamePage") is True  # no reload
    screenshot(projector, "board-live-projector")
    assert elsewhere.locator(".card", has_text="Janssen").count() == 0
    for page in (projector, elsewhere, nurse):
        page.context.close()
