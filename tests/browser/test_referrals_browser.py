"""Issue 18 §2 in Chromium: on a 390 px phone the welfare worker refers Mevrouw Janssen from
the panel (shared with the carers). The meal service she chose ends while she fills in the
form: she is told why, nothing is saved, and she refers to the meeting place instead; then she
records the provider's feedback. At the desk the GP records that she started (going back is
refused, with why). Thea, the daughter, reads it in plain words on her phone, and
not the feedback. On the desktop (1920×1080) the coordinator keeps the catalogue of her area:
adds an offer, ends one (kept, under "Beëindigd aanbod"); the welfare worker who opens the form
to add one is told why not."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kernteam.models import shown_date
from steps.referral_services import create_offer, end_offer
from steps.referrals import LocalOffer, Referral
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, carer_for

pytestmark = pytest.mark.django_db(transaction=True)


def world(daalhof):
    from clients.services import record_consent

    janssen = ResidentFactory(team=daalhof.team, state="step2", last_name="Janssen")
    record_consent(
        resident=janssen,
        by=daalhof.gp,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh", "welfare", "district_nurse"],
        share_with_carers=True,
    )
    carer = carer_for(janssen, username="thea")
    meals = create_offer(
        by=daalhof.coordinator,
        team=daalhof.team,
        name="Tafeltje-dek-je Daalhof",
        kind="meals",
        provider="Envida Tafeltje-dek-je",
        contact="043 555 12 34",
        for_whom="Warme maaltijd aan huis",
    )
    create_offer(
        by=daalhof.coordinator,
        team=daalhof.team,
        name="Ontmoetingspunt Daalhof",
        kind="meeting_place",
        provider="Trajekt",
        contact="043 555 37 87",
    )
    return janssen, carer, meals


def test_the_welfare_worker_refers_on_her_phone_and_the_carer_reads_it(
    browser, asgi_server, daalhof, screenshot
):
    janssen, carer, meals = off_the_loop(lambda: world(daalhof))
    phone = sign_in(browser, asgi_server, daalhof.welfare, PHONE)
    phone.goto(f"{asgi_server}/residents/{janssen.pk}/")
    section = phone.locator("#resident-panel section.referrals")
    assert "Geen verwijzingen naar lokaal aanbod." in section.inner_text()
    section.get_by_role("link", name="Verwijzen naar lokaal aanbod").click()
    form = section.locator("form.referral-form")
    form.wait_for()
    form.get_by_label("Aanbod").select_option(str(meals.pk))
    form.get_by_label("Gedeeld met mantelzorgers").check()
    # meanwhile the coordinator ends the meal service: refused, with why; nothing saved
    off_the_loop(lambda: end_offer(offer=meals, by=daalhof.coordinator))
    form.get_by_role("button", name="Verwijzen").click()
    ended = f"Dit aanbod is beëindigd op {shown_date(timezone.localdate())}"
    form = section.locator("form.referral-form")
    form.get_by_text(ended, exact=False).wait_for()
    assert off_the_loop(lambda: Referral.objects.count()) == 0
    form.get_by_label("Aanbod").select_option(label="Ontmoetingspunt Daalhof — Trajekt (Daalhof)")
    form.get_by_role("button", name="Verwijzen").click()
    item = phone.locator("#resident-panel li.referral")
    item.wait_for()
    assert "Voorgesteld" in item.inner_text() and "Ontmoetingspunt Daalhof" in item.inner_text()

    # its agreed action is not ticked off by hand: it opens the referral's own form
    action = phone.locator("#resident-panel li.action:not(.referral)", has_text="Ontmoetingspunt")
    assert action.get_by_role("button", name="Gedaan").count() == 0
    action.get_by_role("link", name="Status of terugkoppeling").click()
    update = item.locator("form.referral-update-form")
    update.wait_for()
    update.get_by_label("Status").select_option("registered")
    update.get_by_label("Terugkoppeling van de aanbieder").fill("Start maandag; suiker in de gaten")
    update.get_by_role("button", name="Opslaan").click()
    phone.locator("#resident-panel li.referral .feedback", has_text="Start maandag").wait_for()
    assert off_the_loop(lambda: Referral.objects.get().action.status) == "done"
    assert "Aangemeld" in phone.locator("#resident-panel li.referral").inner_text()
    phone.locator("#resident-panel section.referrals").scroll_into_view_if_needed()
    screenshot(phone, "referrals-panel-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # at the desk (1920×1080) the GP records that she started
    desk = sign_in(browser, asgi_server, daalhof.gp, PROJECTOR)
    desk.goto(f"{asgi_server}/residents/{janssen.pk}/")
    item = desk.locator("#resident-panel li.referral")
    assert "Start maandag" in item.inner_text()
    item.get_by_role("link", name="Status of terugkoppeling").click()
    update = item.locator("form.referral-update-form")
    update.wait_for()
    update.get_by_label("Status").select_option("proposed")  # back: refused, with why
    update.get_by_role("button", name="Opslaan").click()
    update = item.locator("form.referral-update-form")
    update.get_by_text(
        "Een verwijzing die aangemeld is, kan niet terug naar voorgesteld."
    ).wait_for()
    update.get_by_label("Status").select_option("started")
    update.get_by_role("button", name="Opslaan").click()
    desk.locator("#resident-panel li.referral .referral-status", has_text="Gestart").wait_for()
    desk.locator("#resident-panel section.referrals").scroll_into_view_if_needed()
    screenshot(desk, "referrals-panel-desktop")

    thea = sign_in_carer(browser, asgi_server, carer.user)
    sentence = "Uw naaste is begonnen bij het ontmoetingspunt van Trajekt."
    thea.get_by_text(sentence).wait_for()
    assert "suiker" not in thea.content()
    # started: no owner and due date, as if something were still to be done
    assert "vóór" not in thea.locator("li.referral-shared").inner_text()
    screenshot(thea, "referrals-carer-phone")
    assert thea.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for page in (phone, desk, thea):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()


def sign_in_carer(browser, base_url: str, user):
    user.set_password("kernteam-demo")
    off_the_loop(user.save)
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("heading", name="Wat het team heeft afgesproken").wait_for()
    return page


def test_the_coordinator_keeps_her_areas_catalogue_on_the_desktop(
    browser, asgi_server, daalhof, screenshot
):
    _, _, meals = off_the_loop(lambda: world(daalhof))
    desk = sign_in(browser, asgi_server, daalhof.coordinator, PROJECTOR)
    desk.get_by_role("link", name="Lokaal aanbod").first.click()
    desk.get_by_role("heading", name="Lokaal aanbod · Daalhof").wait_for()
    desk.get_by_role("link", name="Nieuw aanbod voor Daalhof").click()
    desk.get_by_label("Naam").fill("Klussendienst Daalhof")
    desk.get_by_label("Soort").select_option("odd_jobs")
    desk.get_by_label("Aanbieder").fill("Klussendienst Daalhof (vrijwilligers)")
    desk.get_by_role("button", name="Opslaan").click()
    desk.get_by_role("heading", name="Klussendienst").wait_for()

    desk.locator(f"#offer-{meals.pk}").get_by_role("link", name="Beëindigen").click()
    desk.get_by_role("button", name="Aanbod beëindigen").click()
    desk.locator("details.offers-ended summary", has_text="Beëindigd aanbod (1)").click()
    assert "Tafeltje-dek-je Daalhof" in desk.locator("details.offers-ended").inner_text()
    screenshot(desk, "offers-catalogue-desktop")
    assert off_the_loop(lambda: LocalOffer.objects.count()) == 3

    welfare = sign_in(browser, asgi_server, daalhof.welfare, PROJECTOR)
    welfare.goto(f"{asgi_server}/teams/{daalhof.team.slug}/offers/new/")
    welfare.get_by_text(
        f"Alleen de coördinator van {daalhof.team.name} houdt het aanbod van die wijk bij."
    ).wait_for()
    phone = sign_in(browser, asgi_server, daalhof.welfare, PHONE)
    phone.goto(f"{asgi_server}/teams/{daalhof.team.slug}/offers/")
    screenshot(phone, "offers-catalogue-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for page in (desk, welfare, phone):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()
