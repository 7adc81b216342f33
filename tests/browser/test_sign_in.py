"""A district nurse signs in on her phone and sees her team, in Dutch."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, PROJECTOR
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("projector", PROJECTOR)])
def test_sign_in_and_see_my_team(browser, live_server, daalhof, screenshot, size, viewport):
    ResidentFactory(team=daalhof.team, state="step2")
    nurse = daalhof.district_nurse
    nurse.set_password("kernteam-demo")
    nurse.save()

    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_label("Gebruikersnaam").fill(nurse.username)
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()

    page.get_by_role("heading", name="Mijn kernteams").wait_for()
    assert page.get_by_role("heading", name="Kernteam Daalhof").is_visible()
    assert "1 actieve cliënt" in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the page scrolls sideways"
    screenshot(page, f"home-{size}")
    context.close()


def test_wrong_password_says_so_in_dutch(browser, live_server, daalhof):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(daalhof.gp.username)
    page.get_by_label("Wachtwoord").fill("fout")
    page.get_by_role("button", name="Inloggen").click()
    said = page.locator(".error").inner_text()
    assert said.startswith("Dit e-mailadres of deze gebruikersnaam hoort niet bij dit wachtwoord")
    page.close()
