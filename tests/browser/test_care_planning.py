"""Issue 17 §1 in Chromium: the GP records a PZP conversation on her phone (390×844) from the
resident panel, without the page growing sideways; the district nurse reads it, with the
earlier version behind "eerdere versies", on a desktop (1920×1080)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.care_planning_services import record_care_planning
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)

WISH = "Thuis blijven bij haar kat Minoes; liever geen ziekenhuis meer, wel pijnbestrijding."


def set_the_day(daalhof):
    janssen = ResidentFactory(team=daalhof.team, state="step3", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    record_care_planning(
        resident=janssen,
        by=daalhof.poh,
        held_on=timezone.localdate() - datetime.timedelta(days=200),
        participants=["resident", "poh"],
        capacity="yes",
        limits={"resuscitation": {"decision": "yes"}},
        other_wishes="Eerder gesprek",
    )
    return janssen


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_gp_records_on_her_phone_and_the_nurse_reads_it(
    browser, asgi_server, daalhof, screenshot
):
    janssen = off_the_loop(lambda: set_the_day(daalhof))
    panel_url = f"{asgi_server}/residents/{janssen.pk}/"

    gp = sign_in(browser, asgi_server, daalhof.gp, PHONE)
    gp.goto(panel_url)
    section = gp.locator("section.care-planning")
    section.get_by_role("link", name="Nieuw gesprek vastleggen").click()
    form = gp.locator("form.care-planning-form")
    form.wait_for()
    form.get_by_label("Gehouden op").fill(timezone.localdate().isoformat())
    form.get_by_label("de cliënt").check()
    form.get_by_label("een mantelzorger").check()
    form.get_by_label("Wilsbekwaam").select_option("doubt")
    form.get_by_label("Reanimatie", exact=True).select_option("no")
    form.get_by_label("Ziekenhuisopname", exact=True).select_option("no")
    form.get_by_label("Voorkeursplek van overlijden").select_option("home")
    form.get_by_role("textbox", name="Overige wensen").fill(WISH)
    form.get_by_label("Deel de samenvatting").check()
    no_sideways_scroll(gp, PHONE["width"])
    screenshot(gp, "care_planning_form_390")
    form.get_by_role("button", name="Gesprek vastleggen").click()

    current = gp.locator("section.care-planning > dl.pzp-version")
    current.get_by_text(WISH).wait_for()
    assert "Reanimatie: niet" in current.inner_text()
    assert "Twijfel" in current.inner_text()
    assert "samenvatting van de wensen gedeeld met mantelzorgers" in current.inner_text()
    no_sideways_scroll(gp, PHONE["width"])
    screenshot(gp, "care_planning_panel_390")
    assert gp.evaluate("window.cspViolations") == []

    # The form by its own address is a whole page, and fits the phone too.
    gp.goto(f"{asgi_server}/residents/{janssen.pk}/care-planning/")
    gp.get_by_role("heading", name="Proactieve zorgplanning", level=1).wait_for()
    no_sideways_scroll(gp, PHONE["width"])

    nurse = sign_in(browser, asgi_server, daalhof.district_nurse, PROJECTOR)
    nurse.goto(panel_url)
    section = nurse.locator("section.care-planning")
    section.get_by_text(WISH).wait_for()
    assert section.get_by_role("link", name="Nieuw gesprek vastleggen").count() == 0
    earlier = section.locator("details.pzp-earlier")
    assert "eerdere versie (1)" in earlier.locator("summary").inner_text()
    assert not earlier.get_by_text("Eerder gesprek").is_visible()
    earlier.locator("summary").click()
    earlier.get_by_text("Eerder gesprek").wait_for()
    assert "Vervangen door een later gesprek" in earlier.inner_text()
    no_sideways_scroll(nurse, PROJECTOR["width"])
    screenshot(nurse, "care_planning_panel_1920")
