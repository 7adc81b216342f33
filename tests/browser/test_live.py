"""Scenario 1 and 2 together: a move on one member's screen appears on the others' at once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from steps.models import AgreedAction
from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.factories import ResidentFactory, carer_for, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


def open_board(browser, base, user, viewport, slug="daalhof", query=""):
    page = sign_in(browser, base, user, viewport)
    page.goto(f"{base}/teams/{slug}/board/{query}")
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
    card.wait_for(timeout=10_000)
    assert "urgente opschaling bevestigen" in card.inner_text()
    assert projector.evaluate("window.stillTheSamePage") is True  # no reload
    screenshot(projector, "board-live-projector")
    assert elsewhere.locator(".card", has_text="Janssen").count() == 0
    for page in (projector, elsewhere, nurse):
        page.context.close()


BOARD_AS_SEEN = """() => [...document.querySelectorAll('#board .column')].map(column => ({
  state: column.dataset.dropState,
  count: column.querySelector('.count').textContent,
  cards: [...column.querySelectorAll('.card')].map(card =>
    [card.id, card.className.replace(/htmx-\\S+/g, '').trim(), card.innerText].join('|')),
}))"""


def test_a_board_that_applied_live_updates_equals_a_fresh_render(
    browser, asgi_server, daalhof, screenshot
):
    """Whatever changes, one after another as fast as they come, an open board ends up
    showing what a fresh load of the board shows (with and without a filter)."""
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    peters = ResidentFactory(team=daalhof.team, state="step3", last_name="Peters")
    ramakers = ResidentFactory(team=daalhof.team, state="step1", last_name="Ramakers")
    for resident in (peters, ramakers):
        give_consent(resident, daalhof.poh)
    thea = carer_for(ramakers)
    action = AgreedAction.objects.create(
        resident=peters,
        description="Huisbezoek",
        created_by=daalhof.poh,
        owner_member=daalhof.district_nurse,
        due_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    everything = open_board(browser, asgi_server, daalhof.poh, PROJECTOR)
    flagged = open_board(browser, asgi_server, daalhof.gp, PHONE, query="?flagged=1")

    nurse = sign_in(browser, asgi_server, daalhof.district_nurse, PHONE)
    token = next(c["value"] for c in nurse.context.cookies() if c["name"] == "csrftoken")

    def post(url: str, **form) -> None:
        response = nurse.request.post(
            f"{asgi_server}{url}", form=form, headers={"X-CSRFToken": token}
        )
        assert response.ok, (url, response.status)

    post(
        f"/residents/{janssen.pk}/move/",
        transition="step_up_to_3",
        expected_state="step2",
        reason="Gevallen",
    )
    post(f"/residents/{peters.pk}/move/", transition="admit", expected_state="step3")
    post(f"/actions/{action.pk}/done/")
    post(f"/residents/{ramakers.pk}/add/concern/", carer=str(thea.pk), text="Belde: verward")
    post(
        f"/residents/{ramakers.pk}/add/assessment/",
        instrument="gfi",
        score="5",
        assessed_on=timezone.localdate().isoformat(),
    )
    post(
        "/teams/daalhof/signal/",
        first_name="Jan",
        last_name="Nieuwenhuis",
        date_of_birth="1940-01-01",
        reason="Vergeetachtig",
    )

    for page, query in ((everything, ""), (flagged, "?flagged=1")):
        page.locator(".column.state-signalled .card", has_text="Nieuwenhuis").wait_for(timeout=5000)
        fresh = page.context.new_page()
        fresh.goto(f"{asgi_server}/teams/daalhof/board/{query}")
        expected = fresh.evaluate(BOARD_AS_SEEN)
        fresh.close()
        # the live board comes to show what a fresh load shows (a refresh may still be on its way)
        for _ in range(50):
            seen = page.evaluate(BOARD_AS_SEEN)
            if seen == expected:
                break
            page.wait_for_timeout(200)
        assert seen == expected
        assert page.evaluate("window.stillTheSamePage") is True
    assert (
        "urgente opschaling bevestigen"
        in everything.locator("#resident-" + str(janssen.pk)).inner_text()
    )
    assert everything.locator(".column.state-admitted .card", has_text="Peters").count() == 1
    assert "zorg van mantelzorger" in flagged.locator(f"#resident-{ramakers.pk}").inner_text()
    screenshot(everything, "board-after-live-updates")
    for page in (everything, flagged, nurse):
        page.context.close()


def test_a_withdrawn_consent_takes_the_card_off_another_disciplines_board(
    browser, asgi_server, daalhof, screenshot
):
    ramakers = ResidentFactory(team=daalhof.team, state="step2", last_name="Ramakers")
    give_consent(ramakers, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])
    nurse = open_board(browser, asgi_server, daalhof.district_nurse, PHONE)
    card = nurse.locator(".card", has_text="Ramakers")
    card.locator(".name a").click()
    nurse.locator("#resident-panel h2", has_text="Ramakers").wait_for()

    gp = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    token = next(c["value"] for c in gp.context.cookies() if c["name"] == "csrftoken")
    response = gp.request.post(
        f"{asgi_server}/residents/{ramakers.pk}/consent/withdraw/",
        headers={"X-CSRFToken": token},
    )
    assert response.ok

    card.wait_for(state="detached", timeout=10_000)
    nurse.get_by_text("Dit dossier is niet (meer) zichtbaar voor u.").wait_for(timeout=10_000)
    assert nurse.locator("#resident-panel").count() == 0
    assert nurse.evaluate("window.stillTheSamePage") is True
    screenshot(nurse, "board-consent-withdrawn-phone")
    for page in (nurse, gp):
        page.context.close()
