"""The board in Chromium: readable on a phone and a projector, filters without a reload."""

from __future__ import annotations

import pytest
from django.utils import timezone

from clients.medication_services import record_medication_review
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
    # (her medication reviewed today: no flag of that kind either)
    record_medication_review(
        resident=janssen,
        by=daalhof.gp,
        reviewed_on=timezone.localdate(),
        reviewer="gp",
        medicines_in_use=6,
    )
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


def test_the_board_and_panel_need_no_exception_to_the_content_security_policy(
    browser, live_server, daalhof
):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PROJECTOR)
    page.goto(f"{live_server.url}/teams/daalhof/board/")
    page.locator(".card summary").first.click()
    page.locator(".card .menu a").first.wait_for()
    page.locator(".card .name a").first.click()
    page.locator("#resident-panel").wait_for()
    page.get_by_role("link", name="Afspraak").click()
    page.get_by_label("Wat", exact=True).wait_for()
    assert page.evaluate("window.cspViolations") == []
    # and the recorder works: an inline script is refused and recorded
    page.evaluate(
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        "document.body.append(s)"
    )
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.ran") is None
    page.context.close()
