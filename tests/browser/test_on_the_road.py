"""Scenario 2: the district nurse on her phone, between home visits: she marks the visit
done, records a GFI of 7, and steps Mevrouw Janssen up to step 3 with a reason."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from steps.models import AgreedAction, Trajectory
from tests.browser.conftest import PHONE, sign_in
from tests.factories import ResidentFactory, give_consent, goal

pytestmark = pytest.mark.django_db(transaction=True)


def test_nurse_marks_a_visit_done_and_steps_up_from_her_phone(
    browser, live_server, daalhof, screenshot
):
    janssen = ResidentFactory(
        team=daalhof.team, state="step2", last_name="Janssen", coordinator=daalhof.poh
    )
    give_consent(janssen, daalhof.poh)
    goal(janssen, daalhof.poh)
    AgreedAction.objects.create(
        resident=janssen,
        description="Huisbezoek valrisico",
        created_by=daalhof.poh,
        owner_member=daalhof.district_nurse,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    page.get_by_role("link", name="Kernteam Daalhof").click()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("link", name="Mevrouw Maria Janssen").click()
    panel = page.locator("#resident-panel")
    panel.get_by_text("Huisbezoek valrisico").wait_for()
    panel.get_by_role("button", name="Gedaan").click()
    panel.locator(".action.status-done").wait_for()

    panel.get_by_role("link", name="Meting").click()
    panel.get_by_label("Instrument").select_option("gfi")
    panel.get_by_label("Score").fill("7")
    panel.get_by_role("button", name="Meting vastleggen").click()
    panel.get_by_text("(kwetsbaar").wait_for()

    panel.get_by_role("link", name="Opschalen naar stap 3").click()
    panel.get_by_role("button", name="Opschalen naar stap 3").click()  # no reason yet
    panel.get_by_text("Geef een reden op.").wait_for()
    panel.get_by_label("Reden").fill("Twee keer gevallen deze week")
    panel.get_by_role("button", name="Opschalen naar stap 3").click()
    panel.get_by_text("Twee keer gevallen deze week").wait_for()
    screenshot(page, "panel-phone")

    panel.get_by_role("button", name="Sluiten").click()
    card = page.locator(".column.state-step3 .card", has_text="Janssen")
    card.wait_for()
    assert "urgente opschaling bevestigen" in card.inner_text()
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "board-after-step-up-phone")
    assert Trajectory.objects.get(resident=janssen).state == "step3"
    page.context.close()
