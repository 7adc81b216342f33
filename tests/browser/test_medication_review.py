"""Issue 17 §2 in Chromium: the POH records a medication review on her phone (390×844) from
the resident panel, without the page growing sideways; the district nurse reads it, with the
earlier review behind "eerdere beoordeling", on a desktop (1920×1080)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.medication_services import record_medication_review
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, give_consent

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Omeprazol afgebouwd; bloeddrukmedicatie gehalveerd na val."


def set_the_day(daalhof):
    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    give_consent(janssen, daalhof.poh)
    record_medication_review(
        resident=janssen,
        by=daalhof.gp,
        reviewed_on=timezone.localdate() - datetime.timedelta(days=400),
        reviewer="gp",
        medicines_in_use=13,
        note="Eerdere beoordeling",
    )
    return janssen


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_poh_records_on_her_phone_and_the_nurse_reads_it(
    browser, asgi_server, daalhof, screenshot
):
    janssen = off_the_loop(lambda: set_the_day(daalhof))
    panel_url = f"{asgi_server}/residents/{janssen.pk}/"

    poh = sign_in(browser, asgi_server, daalhof.poh, PHONE)
    poh.goto(panel_url)
    section = poh.locator("section.medication")
    assert "medicatiebeoordeling nodig" in section.inner_text()  # the last is over a year old
    section.get_by_role("link", name="Medicatiebeoordeling vastleggen").click()
    form = poh.locator("form.medication-form")
    form.wait_for()
    form.get_by_label("Beoordeeld op").fill(timezone.localdate().isoformat())
    form.get_by_label("Beoordeeld door").select_option("pharmacist")
    form.get_by_label("Geneesmiddelen in gebruik").fill("11")
    form.get_by_label("Uitkomst").fill(NOTE)
    no_sideways_scroll(poh, PHONE["width"])
    screenshot(poh, "medication_review_form_390")
    form.get_by_role("button", name="Beoordeling vastleggen").click()

    section = poh.locator("section.medication")
    section.get_by_text(NOTE).wait_for()
    text = section.inner_text()
    assert "apotheker" in text and "11 geneesmiddelen in gebruik" in text
    assert "volgende uiterlijk" in text and "medicatiebeoordeling nodig" not in text
    no_sideways_scroll(poh, PHONE["width"])
    screenshot(poh, "medication_review_panel_390")
    assert poh.evaluate("window.cspViolations") == []

    # The form by its own address is a whole page, and fits the phone too.
    poh.goto(f"{asgi_server}/residents/{janssen.pk}/medication-review/")
    poh.get_by_role("heading", name="Medicatiebeoordeling", level=1).wait_for()
    no_sideways_scroll(poh, PHONE["width"])

    nurse = sign_in(browser, asgi_server, daalhof.district_nurse, PROJECTOR)
    nurse.goto(panel_url)
    section = nurse.locator("section.medication")
    section.get_by_text(NOTE).wait_for()
    assert section.get_by_role("link", name="Medicatiebeoordeling vastleggen").count() == 0
    earlier = section.locator("details.medication-earlier")
    assert "eerdere beoordeling (1)" in earlier.locator("summary").inner_text()
    assert not earlier.get_by_text("Eerdere beoordeling", exact=True).is_visible()
    earlier.locator("summary").click()
    earlier.get_by_text("Eerdere beoordeling", exact=True).wait_for()
    assert "13 geneesmiddelen in gebruik" in earlier.inner_text()
    no_sideways_scroll(nurse, PROJECTOR["width"])
    screenshot(nurse, "medication_review_panel_1920")
