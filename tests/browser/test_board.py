"""The board in Chromium: readable on a phone and a projector, filters without a reload."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("projector", PROJECTOR)])
def test_search_filters_the_board_without_reloading(
    browser, live_server, daalhof, screenshot, size, viewport
):
    janssen = ResidentFactory(
        team=daalhof.team, state="step2", last_name="Janssen", coordinator=daalhof.district_nurse
    )
    give_consent(janssen, daalhof.poh)
    give_consent(
        ResidentFactory(team=daalhof.team, state="step1", last_name="Ramakers"), daalhof.poh
    )
    page = sign_in(browser, live_server.url, daalhof.district_nurse, viewport)
    page.get_by_role("link", name="Kernteam Daalhof").click()
    page.get_by_role("heading", name="Kernteam Daalhof").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"board-{size}")

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_placeholder("Zoek op naam").fill("jans")
    page.locator(".card", has_text="Ramakers").wait_for(state="detached")
    assert page.locator(".card", has_text="Janssen").is_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, not reloaded
    assert page.url.endswith("?q=jans")

    page.get_by_label("Alleen met signaal").check()
    page.locator(".card", has_text="Janssen").wait_for(state="detached")
    page.context.close()
