"""Scenario 2: the district nurse on her phone, between home visits: she marks the visit
done, records a GFI of 7, and steps Mevrouw Janssen up to step 3 with a reason."""

from __future__ import annotations

import datetime

import pytest
from django.utils import dateformat, timezone, translation

from clients.models import Resident
from steps.models import AgreedAction, Trajectory
from tests.browser.conftest import PHONE, PROJECTOR, sign_in
from tests.factories import ResidentFactory, carer_for, give_consent, goal

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


# --- issue 16 §5: the district nurse on the road ---------------------------------------------


def nl(message) -> str:
    with translation.override("nl"):
        return str(message)


def janssen_with_a_plan(daalhof):
    """Mevrouw Janssen in step 2: consent, a carer, an open action, a review in a month."""
    janssen = ResidentFactory(
        team=daalhof.team, state="step2", last_name="Janssen", coordinator=daalhof.poh
    )
    give_consent(janssen, daalhof.poh)
    janssen.trajectory.review_due = timezone.localdate() + datetime.timedelta(days=30)
    janssen.trajectory.save(update_fields=["review_due"])
    carer_for(janssen, username="thea")
    goal(janssen, daalhof.poh)
    AgreedAction.objects.create(
        resident=janssen,
        description="Huisbezoek valrisico",
        created_by=daalhof.poh,
        owner_member=daalhof.district_nurse,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    return janssen


def open_panel(page, base_url: str, name: str = "Mevrouw Maria Janssen"):
    page.goto(f"{base_url}/teams/daalhof/board/")
    page.get_by_role("link", name=name).click()
    panel = page.locator("#resident-panel")
    panel.wait_for()
    return panel


def top(page, locator) -> float:
    """Where `locator` starts on the screen (px from its top edge)."""
    return locator.evaluate("e => e.getBoundingClientRect().top")


def test_on_a_phone_open_actions_and_the_next_review_come_before_consent(
    browser, live_server, daalhof, screenshot
):
    janssen = janssen_with_a_plan(daalhof)
    for viewport, name in ((PHONE, "phone"), (PROJECTOR, "projector")):
        page = sign_in(browser, live_server.url, daalhof.district_nurse, viewport)
        panel = open_panel(page, live_server.url)
        actions = panel.get_by_role("heading", name="Afspraken")
        consent = panel.get_by_role("heading", name="Toestemming")
        carers = panel.get_by_role("heading", name="Mantelzorgers")
        review = panel.locator(".panel-head .meta")
        due = janssen.trajectory.review_due
        with translation.override("nl"):
            assert dateformat.format(due, "j M Y") in review.inner_text()
        # Both in the first screen, without scrolling; consent and carers after.
        assert top(page, review) < viewport["height"] / 2
        assert top(page, actions) + 60 < viewport["height"], top(page, actions)
        assert top(page, actions) < top(page, consent) < top(page, carers)
        assert panel.get_by_text("Huisbezoek valrisico").is_visible()
        screenshot(page, f"panel-order-{name}")
        page.context.close()


def test_a_step_up_on_the_road_says_it_waits_for_the_team(
    browser, live_server, daalhof, screenshot
):
    from frontend.views import AWAITS_CONFIRMATION

    janssen_with_a_plan(daalhof)
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    panel = open_panel(page, live_server.url)
    panel.get_by_role("link", name="Opschalen naar stap 3").click()
    panel.get_by_label("Reden").fill("Twee keer gevallen deze week")
    panel.get_by_role("button", name="Opschalen naar stap 3").click()
    told = panel.get_by_role("status").filter(has_text=nl(AWAITS_CONFIRMATION))
    told.wait_for()
    assert told.is_visible()
    assert top(page, told) < PHONE["height"]  # at once: no scrolling to find it
    screenshot(page, "step-up-awaits-confirmation-phone")
    page.context.close()


def test_her_signal_waits_under_signalled_by_me_until_consent(
    browser, live_server, daalhof, screenshot
):
    from frontend.views import SIGNALLED_UNSEEN

    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    page.goto(f"{live_server.url}/teams/daalhof/board/")
    own = page.locator("#own-signals")
    assert own.is_hidden()
    page.get_by_role("link", name="Cliënt signaleren").click()
    form = page.locator("#panel form.signal-form")
    form.get_by_label("Aanhef").select_option("Mijnheer")
    form.get_by_label("Voornaam").fill("Jan")
    form.get_by_label("Achternaam").fill("Ramakers")
    form.get_by_label("Geboortedatum").fill("1934-06-21")
    form.get_by_label("Waarom signaleert u deze cliënt?").fill("Buurvrouw: eet slecht")
    form.get_by_role("button", name="Signaleren").click()
    page.locator("#panel").get_by_text(nl(SIGNALLED_UNSEEN)).wait_for(timeout=5000)
    own.get_by_text("Mijnheer Jan Ramakers").wait_for()  # the board refreshed, list and all
    assert own.is_visible() and "eet slecht" not in own.inner_text()
    assert page.locator(".card", has_text="Ramakers").count() == 0
    screenshot(page, "signalled-confirmation-phone")
    page.locator("#panel").get_by_role("button", name="Sluiten").click()
    assert own.is_visible()
    screenshot(page, "signalled-by-me-phone")

    ramakers = Resident.objects.get(last_name="Ramakers")
    give_consent(ramakers, daalhof.poh)
    page.reload()
    page.locator(".column.state-signalled .card", has_text="Ramakers").wait_for()
    assert own.is_hidden()
    page.context.close()


def test_offline_a_submit_says_not_sent_keeps_the_text_and_sends_again(
    browser, live_server, daalhof, screenshot
):
    janssen = janssen_with_a_plan(daalhof)
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    panel = open_panel(page, live_server.url)
    panel.get_by_role("link", name="Opschalen naar stap 3").click()
    panel.get_by_label("Reden").fill("Twee keer gevallen deze week")

    page.context.set_offline(True)
    panel.get_by_role("button", name="Opschalen naar stap 3").click()
    bar = page.get_by_role("alert").filter(has_text="Niet verstuurd — geen verbinding")
    bar.wait_for()
    assert panel.get_by_label("Reden").input_value() == "Twee keer gevallen deze week"
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]  # in sight, at the bottom
    screenshot(page, "not-sent-offline-phone")
    assert Trajectory.objects.get(resident=janssen).state == "step2"

    page.context.set_offline(False)
    bar.get_by_role("button", name="Opnieuw versturen").click()
    bar.wait_for(state="detached")
    panel.get_by_text("Twee keer gevallen deze week").wait_for()  # in the history now
    assert Trajectory.objects.get(resident=janssen).state == "step3"
    page.context.close()


def test_a_tap_that_fails_on_the_way_says_not_sent_and_goes_on_resend(
    browser, live_server, daalhof
):
    """The connection drops while the request is on its way (the device thinks it is online):
    the same bar, and one tap sends it again."""
    janssen_with_a_plan(daalhof)
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    panel = open_panel(page, live_server.url)
    page.route("**/actions/*/done/", lambda route: route.abort("internetdisconnected"))
    panel.get_by_role("button", name="Gedaan").click()
    bar = page.get_by_role("alert").filter(has_text="Niet verstuurd — geen verbinding")
    bar.wait_for()
    assert AgreedAction.objects.get().status == "open"
    assert panel.locator(".action.status-done").count() == 0

    page.unroute("**/actions/*/done/")
    bar.get_by_role("button", name="Opnieuw versturen").click()
    panel.locator(".action.status-done").wait_for()
    bar.wait_for(state="detached")
    assert AgreedAction.objects.get().status == "done"
    assert page.evaluate("window.cspViolations") == []
    page.context.close()
