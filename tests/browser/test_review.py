"""Issue 16 §1 in Chromium, on the projector (1920×1080): the chair opens a resident whose
review is overdue (the agenda says "opened", not "discussed"), records "besproken, stap blijft"
with a note, and at once the GP who follows the chair sees it in the panel, the agenda shows
her discussed, and the POH's board drops the "review overdue" flag."""

from __future__ import annotations

import datetime

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from kernteam.models import Meeting
from steps.models import Trajectory
from steps.states import review_due
from tests.browser.conftest import PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Stabiel; dochter regelt de boodschappen. Stap blijft."


def set_the_day(daalhof):
    """Janssen in step 2, her review ten days overdue; today's MDO, planned."""
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    overdue = timezone.localdate() - datetime.timedelta(days=10)
    Trajectory.objects.filter(resident=janssen).update(review_due=overdue)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    return janssen, meeting


def test_the_chair_records_a_review_and_the_flag_goes_everywhere(
    browser, asgi_server, daalhof, screenshot
):
    janssen, meeting = off_the_loop(lambda: set_the_day(daalhof))
    meeting_url = f"{asgi_server}/teams/daalhof/meetings/{meeting.pk}/"

    board = sign_in(browser, asgi_server, daalhof.poh, PROJECTOR)
    board.goto(f"{asgi_server}/teams/daalhof/board/")
    card = board.locator(".card", has_text="Janssen")
    card.locator(".flag-review_overdue").wait_for()
    assert card.locator(".flag-review_overdue").inner_text() == "evaluatie te laat"

    chair = sign_in(browser, asgi_server, daalhof.coordinator, PROJECTOR)
    chair.goto(meeting_url)
    chair.get_by_role("button", name="MDO openen").click()
    item = chair.locator(".agenda-item", has_text="Janssen")
    item.wait_for()
    assert "evaluatie nodig" in item.inner_text()
    chair.locator("#live-status[data-state=live]").wait_for()

    gp = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    gp.goto(meeting_url)
    gp.get_by_label("Volg de voorzitter").check()
    for page in (gp, board):
        page.locator("#live-status[data-state=live]").wait_for()
        page.evaluate("window.stillTheSamePage = true")

    # Opening her is not discussing her: the agenda says "opened", the flag stays.
    item.locator(".name").click()
    panel = chair.locator("#resident-panel")
    panel.locator("h2", has_text="Janssen").wait_for()
    chair.locator(".agenda-item.opened", has_text="Janssen").wait_for(timeout=10_000)
    gp.locator("#resident-panel h2", has_text="Janssen").wait_for(timeout=10_000)
    assert card.locator(".flag-review_overdue").count() == 1

    # "Besproken — stap blijft", with a note.
    panel.locator(f'a[href="/residents/{janssen.pk}/review/"]').click()
    panel.locator("#review-note").fill(NOTE)
    panel.locator("#review-form button[type=submit]").click()
    panel.locator(".timeline q", has_text=NOTE).wait_for()

    with translation.override("nl"):
        next_review = date_filter(review_due("step2", timezone.localdate()), "j M Y")
    chair.locator(".agenda-item.discussed", has_text="Janssen").wait_for(timeout=10_000)
    assert "besproken" in chair.locator(".agenda-item", has_text="Janssen").inner_text()
    gp_panel = gp.locator("#resident-panel")
    gp_panel.locator(".timeline q", has_text=NOTE).wait_for(timeout=10_000)
    assert next_review in gp_panel.locator(".panel-head").inner_text()
    card.locator(".flag-review_overdue").wait_for(state="detached", timeout=10_000)
    assert next_review in card.inner_text()
    assert board.evaluate("window.stillTheSamePage") and gp.evaluate("window.stillTheSamePage")
    screenshot(chair, "review-chair-projector")
    screenshot(board, "review-board-flag-cleared")
    for page in (chair, gp, board):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()
