"""Scenario 1 in Chromium: the coordinator chairs the MDO on the projector, the GP follows the
chair on a laptop, decisions are taken, and closing the meeting gives minutes to print on A4."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from clients.services import raise_concern
from kernteam.models import Meeting
from steps.services import move_resident
from tests.browser.conftest import ARTIFACTS, PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, carer_for, give_consent

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def meeting_day(daalhof):
    return off_the_loop(lambda: set_the_day(daalhof))


def set_the_day(daalhof):
    """Today's MDO of Daalhof, and three residents the board puts on its agenda."""
    ResidentFactory(team=daalhof.team, state="signalled", last_name="Hendriks")
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    move_resident(
        resident=janssen,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen deze week",
    )
    ramakers = ResidentFactory(team=daalhof.team, state="step1", last_name="Ramakers")
    give_consent(ramakers, daalhof.poh)
    ramakers.trajectory.review_due = timezone.localdate() + datetime.timedelta(days=200)
    ramakers.trajectory.save(update_fields=["review_due"])
    thea = carer_for(ramakers, username="thea")
    raise_concern(resident=ramakers, by=thea.user, text="Vader lijkt verwarder sinds vorige week")
    return Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())


def meeting_page(browser, base, user, viewport, meeting):
    page = sign_in(browser, base, user, viewport)
    page.goto(f"{base}/teams/daalhof/meetings/{meeting.pk}/")
    return page


def test_the_gp_follows_the_chair_and_the_minutes_print_on_a4(
    browser, asgi_server, daalhof, meeting_day, screenshot
):
    chair = meeting_page(browser, asgi_server, daalhof.coordinator, PROJECTOR, meeting_day)
    chair.get_by_role("button", name="MDO openen").click()
    agenda = chair.locator(".agenda-item")
    agenda.first.wait_for()
    assert [agenda.nth(i).locator(".name").inner_text() for i in range(3)] == [
        "Een cliënt wiens toestemming uw discipline niet dekt",  # Hendriks: no consent yet
        "Mevrouw Maria Janssen",
        "Mevrouw Maria Ramakers",
    ]
    chair.locator("#live-status[data-state=live]").wait_for()

    gp = meeting_page(browser, asgi_server, daalhof.gp, LAPTOP, meeting_day)
    gp.get_by_label("Volg de voorzitter").check()
    welfare = meeting_page(browser, asgi_server, daalhof.welfare, PHONE, meeting_day)
    for page in (gp, welfare):
        page.locator("#live-status[data-state=live]").wait_for()
        page.evaluate("window.stillTheSamePage = true")

    # The chair opens Janssen: the GP, who follows, sees her panel; the welfare worker does not.
    chair.locator(".agenda-item", has_text="Janssen").locator(".name").click()
    chair.locator("#resident-panel h2", has_text="Janssen").wait_for()
    gp_panel = gp.locator("#resident-panel")
    gp_panel.locator("h2", has_text="Janssen").wait_for(timeout=3000)
    gp.locator(".agenda-item.current", has_text="Janssen").wait_for(timeout=3000)
    gp_panel.get_by_role("button", name="Opschaling bevestigen").click()
    gp_panel.get_by_text("Urgente opschaling bevestigd").wait_for()
    screenshot(chair, "meeting-projector")

    # Next: Ramakers and her daughter's concern; the GP agrees an action for the daughter.
    chair.locator(".agenda-item", has_text="Ramakers").locator(".name").click()
    gp_panel.locator("h2", has_text="Ramakers").wait_for(timeout=3000)
    gp_panel.get_by_role("button", name="Afgehandeld").click()
    gp_panel.get_by_role("button", name="Afgehandeld").wait_for(state="detached")
    gp_panel.get_by_role("link", name="Afspraak").click()
    gp_panel.get_by_label("Wat").fill("Dochter regelt de personenalarmering")
    gp_panel.get_by_label("Wie").select_option(label="Thea Ramakers (kind)")
    gp_panel.get_by_label("Uiterlijk op").fill(
        (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    )
    gp_panel.get_by_role("button", name="Afspraak maken").click()
    gp_panel.get_by_text("Dochter regelt de personenalarmering").wait_for()
    screenshot(gp, "meeting-laptop-following")
    assert welfare.locator("#resident-panel").count() == 0
    assert gp.evaluate("window.stillTheSamePage") and welfare.evaluate("window.stillTheSamePage")

    # Closing gives the minutes: the decisions, per resident, in agenda order.
    chair.once("dialog", lambda dialog: dialog.accept())  # "Close the meeting?"
    chair.get_by_role("button", name="MDO afsluiten").click()
    chair.get_by_role("heading", name="Verslag · Kernteam Daalhof").wait_for()
    text = chair.locator(".minutes").inner_text()
    assert "Hendriks" not in text and text.index("Janssen") < text.index("Ramakers")
    assert "Urgente opschaling bevestigd" in text
    assert "Dochter regelt de personenalarmering" in text and "Thea Ramakers" in text
    assert "Vader lijkt verwarder sinds vorige week" in text
    assert "1 cliënt is weggelaten: de toestemming dekt uw discipline niet." in text

    chair.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    chair.emulate_media(media="print")
    assert (
        chair.locator("header.top").is_hidden()
        and chair.get_by_role("button", name="Afdrukken").is_hidden()
    )
    assert chair.evaluate("document.documentElement.scrollWidth") <= 794
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot(chair, "minutes-print")
    pdf = chair.pdf(path=str(ARTIFACTS / "minutes-a4.pdf"), prefer_css_page_size=True)
    assert re.search(rb"/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", pdf)  # A4: 210 x 297 mm
    for page in (chair, gp, welfare):
        page.context.close()
