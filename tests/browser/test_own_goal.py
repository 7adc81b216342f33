"""Issue 17 §3 in Chromium: on a 390 px phone the POH asks "Wat is belangrijk voor u?" and
notes the answer in her own words from the top of the panel, then changes it: the new words
are quoted, the earlier ones kept under "eerdere versies"; on the desktop (1920×1080) the GP
sees the same at the top of the panel, and the form by its own address is a whole page."""

from __future__ import annotations

import pytest

from steps.own_goal import OwnGoal
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


def janssen_in_step2(daalhof):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    return janssen


def test_her_own_words_at_the_top_of_the_panel(browser, asgi_server, daalhof, screenshot):
    janssen = off_the_loop(lambda: janssen_in_step2(daalhof))
    phone = sign_in(browser, asgi_server, daalhof.poh, PHONE)
    phone.goto(f"{asgi_server}/residents/{janssen.pk}/")
    section = phone.locator("#resident-panel section.own-goal")
    assert "Nog niet vastgelegd" in section.inner_text()

    section.get_by_role("link", name="Vastleggen").click()
    form = section.locator("form.own-goal-form")
    form.wait_for()
    form.get_by_role("button", name="Opslaan").click()  # empty: told why, nothing saved
    form.get_by_text("Schrijf op wat belangrijk is voor de cliënt.").wait_for()
    form.get_by_label("In haar eigen woorden").fill("Weer zelf boodschappen doen")
    form.get_by_role("button", name="Opslaan").click()
    quote = phone.locator("#resident-panel section.own-goal blockquote")
    quote.wait_for()
    assert quote.inner_text() == "Weer zelf boodschappen doen"

    section = phone.locator("#resident-panel section.own-goal")
    section.get_by_role("link", name="Aanpassen").click()
    form = section.locator("form.own-goal-form")
    form.wait_for()
    form.get_by_label("In haar eigen woorden").fill("Thuis blijven wonen, met mijn kat")
    form.get_by_role("button", name="Opslaan").click()
    phone.locator("#resident-panel section.own-goal blockquote", has_text="met mijn kat").wait_for()
    earlier = phone.locator("#resident-panel details.own-goal-earlier")
    earlier.locator("summary", has_text="eerdere versies").click()
    assert "Weer zelf boodschappen doen" in earlier.inner_text()
    screenshot(phone, "own-goal-panel-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert off_the_loop(lambda: OwnGoal.objects.count()) == 2

    desk = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    desk.goto(f"{asgi_server}/residents/{janssen.pk}/")
    top = desk.locator("#resident-panel section").first
    assert "Thuis blijven wonen, met mijn kat" in top.inner_text()
    screenshot(desk, "own-goal-panel-desktop")
    desk.goto(f"{asgi_server}/residents/{janssen.pk}/own-goal/")  # its own address: a page
    desk.get_by_role("heading", name="Wat is belangrijk voor u?").wait_for()
    screenshot(desk, "own-goal-form-desktop")
    for page in (phone, desk):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()
