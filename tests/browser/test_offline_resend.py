"""Issue 16 §5, on the road: what was sent again is saved once (only the answer was lost), the
carer's portal says "not sent" offline and keeps what she typed, and a member who follows the
chair with a form open is told why her panel waits."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.models import Concern
from clients.services import record_consent
from steps.meetings import open_meeting
from steps.models import AgreedAction
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.browser.test_meeting import meeting_page, set_the_day
from tests.browser.test_on_the_road import janssen_with_a_plan, open_panel
from tests.factories import ResidentFactory, carer_for

pytestmark = pytest.mark.django_db(transaction=True)

NOT_SENT = "Niet verstuurd — geen verbinding"
ALREADY_SENT = "Al verstuurd: het was al aangekomen. Er is niets dubbel opgeslagen."


def answer_lost(route):
    """The request reaches the server and is done there; its answer never arrives."""
    route.fetch()
    route.abort("internetdisconnected")


def in_two_weeks() -> str:
    return (timezone.localdate() + datetime.timedelta(days=14)).isoformat()


def test_an_action_whose_answer_was_lost_is_saved_once_when_sent_again(
    browser, live_server, daalhof, screenshot
):
    janssen_with_a_plan(daalhof)
    page = sign_in(browser, live_server.url, daalhof.district_nurse, PHONE)
    panel = open_panel(page, live_server.url)
    panel.get_by_role("link", name="Afspraak").click()
    panel.get_by_label("Wat", exact=True).fill("Rollator aanvragen")
    panel.get_by_label("Wie").select_option(index=1)
    panel.get_by_label("Uiterlijk op").fill(in_two_weeks())

    page.route("**/residents/*/add/action/", answer_lost)
    panel.get_by_role("button", name="Afspraak maken").click()
    bar = page.get_by_role("alert").filter(has_text=NOT_SENT)
    bar.wait_for()
    assert AgreedAction.objects.filter(description="Rollator aanvragen").count() == 1  # it arrived
    assert panel.get_by_label("Wat", exact=True).input_value() == "Rollator aanvragen"

    page.unroute("**/residents/*/add/action/")
    bar.get_by_role("button", name="Opnieuw versturen").click()
    bar.wait_for(state="detached")
    # the form sent makes way for the panel
    panel.get_by_label("Wat", exact=True).wait_for(state="detached")
    panel.locator(".action", has_text="Rollator aanvragen").first.wait_for()
    assert AgreedAction.objects.filter(description="Rollator aanvragen").count() == 1
    assert panel.locator(".action", has_text="Rollator aanvragen").count() == 1
    page.get_by_role("status").filter(has_text=ALREADY_SENT).wait_for()  # and she is told
    screenshot(page, "already-sent-phone")

    # The next one is a new write (a new key), and is saved.
    panel.get_by_role("link", name="Afspraak").click()
    panel.get_by_label("Wat", exact=True).fill("Rollator aanvragen")
    panel.get_by_label("Wie").select_option(index=1)
    panel.get_by_label("Uiterlijk op").fill(in_two_weeks())
    panel.get_by_role("button", name="Afspraak maken").click()
    panel.locator(".action", has_text="Rollator aanvragen").nth(1).wait_for()
    assert AgreedAction.objects.filter(description="Rollator aanvragen").count() == 2
    assert page.evaluate("window.cspViolations") == []
    page.context.close()


def thea_on_her_portal(browser, base_url: str, daalhof):
    """Thea, signed in on her phone, on the portal of her father (consent shared with carers)."""
    ramakers = ResidentFactory(
        team=daalhof.team,
        state="step2",
        salutation="Mijnheer",
        first_name="Jan",
        last_name="Ramakers",
    )
    record_consent(
        resident=ramakers,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    user = carer_for(ramakers, username="thea").user
    user.set_password("kernteam-demo")
    user.save()
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(  # (Content Security Policy violations, as sign_in counts them)
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mailadres of gebruikersnaam").fill("thea")
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("heading", name="Wat het team heeft afgesproken").wait_for()
    return page, ramakers


def test_offline_the_carers_concern_says_not_sent_keeps_her_text_and_goes_once(
    browser, live_server, daalhof, screenshot
):
    page, ramakers = thea_on_her_portal(browser, live_server.url, daalhof)
    text = page.get_by_label("Laat het het team weten")
    text.fill("Vader lijkt verwarder sinds vorige week")

    page.context.set_offline(True)
    page.get_by_role("button", name="Naar het team sturen").click()
    bar = page.get_by_role("alert").filter(has_text=NOT_SENT)
    bar.wait_for()
    assert text.input_value() == "Vader lijkt verwarder sinds vorige week"  # still on her page
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    screenshot(page, "carer-not-sent-offline-phone")
    assert Concern.objects.filter(resident=ramakers).count() == 0

    page.context.set_offline(False)
    bar.get_by_role("button", name="Opnieuw versturen").click()
    page.get_by_text("Het team heeft uw bericht").wait_for()
    bar.wait_for(state="detached")
    assert "Vader lijkt verwarder" in page.locator(".concerns").inner_text()
    assert page.url == f"{live_server.url}/mantelzorg/"  # (a reload shows the portal again)
    assert Concern.objects.filter(resident=ramakers).count() == 1
    assert page.evaluate("window.cspViolations") == []
    page.context.close()


def test_the_carers_concern_whose_answer_was_lost_is_raised_once(
    browser, live_server, daalhof, screenshot
):
    page, ramakers = thea_on_her_portal(browser, live_server.url, daalhof)
    page.get_by_label("Laat het het team weten").fill("Vader eet slecht")
    page.route("**/mantelzorg/*/zorg/", answer_lost)
    page.get_by_role("button", name="Naar het team sturen").click()
    bar = page.get_by_role("alert").filter(has_text=NOT_SENT)
    bar.wait_for()
    assert Concern.objects.filter(resident=ramakers).count() == 1  # it arrived

    page.unroute("**/mantelzorg/*/zorg/")
    bar.get_by_role("button", name="Opnieuw versturen").click()
    bar.wait_for(state="detached")
    page.locator(".concerns li", has_text="Vader eet slecht").first.wait_for()  # her page, again
    assert Concern.objects.filter(resident=ramakers).count() == 1
    assert page.locator(".concerns li").count() == 1
    assert page.get_by_label("Laat het het team weten").input_value() == ""
    page.get_by_role("status").filter(has_text=ALREADY_SENT).wait_for()
    screenshot(page, "carer-already-sent-phone")
    page.context.close()


def test_a_follower_with_a_form_open_is_told_why_her_panel_waits(
    browser, asgi_server, daalhof, screenshot
):
    meeting = off_the_loop(lambda: set_the_day(daalhof))
    meeting = off_the_loop(lambda: open_meeting(meeting=meeting, by=daalhof.coordinator))
    chair = meeting_page(browser, asgi_server, daalhof.coordinator, PROJECTOR, meeting)
    gp = meeting_page(browser, asgi_server, daalhof.gp, PHONE, meeting)
    gp.get_by_label("Volg de voorzitter").check()
    for page in (chair, gp):
        page.locator("#live-status[data-state=live]").wait_for()
    hint = gp.get_by_role("status").filter(has_text="De voorzitter toont een andere cliënt")

    chair.locator(".agenda-item", has_text="Janssen").locator(".name").click()
    panel = gp.locator("#resident-panel")
    panel.locator("h2", has_text="Janssen").wait_for(timeout=10_000)
    assert hint.count() == 0  # following, nothing to say
    panel.get_by_role("link", name="Afspraak").click()
    panel.get_by_label("Wat", exact=True).fill("Valrisico bespreken met de fysiotherapeut")

    chair.locator(".agenda-item", has_text="Ramakers").locator(".name").click()
    chair.locator("#resident-panel h2", has_text="Ramakers").wait_for()
    hint.wait_for(timeout=10_000)
    assert hint.inner_text() == (
        "De voorzitter toont een andere cliënt. U volgt zodra u uw formulier verstuurt of sluit."
    )
    assert "Janssen" in panel.locator("h2").inner_text()  # what she typed stays
    typed = panel.get_by_label("Wat", exact=True).input_value()
    assert typed == "Valrisico bespreken met de fysiotherapeut"
    on_top = "e => { const r = e.getBoundingClientRect();"
    on_top += (
        " return e.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"
    )
    assert hint.evaluate(on_top)  # in sight on her phone, above the panel that covers the page
    assert hint.bounding_box()["y"] < PHONE["height"]
    screenshot(gp, "meeting-follow-waits-for-form-phone")

    panel.get_by_label("Wie").select_option(index=1)
    panel.get_by_label("Uiterlijk op").fill(in_two_weeks())
    panel.get_by_role("button", name="Afspraak maken").click()
    panel.locator("h2", has_text="Ramakers").wait_for(timeout=10_000)  # it follows now
    hint.wait_for(state="detached")
    assert gp.locator("#follow-hint").is_hidden()
    action = AgreedAction.objects.get(description="Valrisico bespreken met de fysiotherapeut")
    assert action.resident.last_name == "Janssen"
    for page in (chair, gp):
        page.context.close()
