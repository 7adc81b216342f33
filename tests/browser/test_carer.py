"""Scenario 3 in Chromium: Thea, on her phone, opens the invitation, sets a password, sees what
was agreed for her father, ticks off her own action and raises a concern, which the team's
board shows at once."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.models import Concern
from clients.services import handle_concern, invite_carer, link_carer, record_consent
from steps.models import AgreedAction
from tests.browser.conftest import PHONE, PROJECTOR, off_the_loop, sign_in
from tests.factories import ResidentFactory, carer_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_thea_ticks_off_her_action_and_the_board_shows_her_concern_live(
    browser, asgi_server, daalhof, screenshot
):
    ramakers = ResidentFactory(
        team=daalhof.team,
        state="step2",
        salutation="Mijnheer",
        first_name="Jan",
        last_name="Ramakers",
        coordinator=daalhof.poh,
    )
    record_consent(
        resident=ramakers,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh", "district_nurse"],
        share_with_carers=True,
    )
    thea = carer_for(ramakers)
    thea.email = "thea.ramakers@example.nl"
    thea.save()
    AgreedAction.objects.create(
        resident=ramakers,
        description="Personenalarmering aanvragen",
        owner_carer=thea,
        shared_with_carers=True,
        created_by=daalhof.poh,
        due_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    token = invite_carer(resident=ramakers, carer=thea, by=daalhof.poh)

    board = sign_in(browser, asgi_server, daalhof.poh, PROJECTOR)
    board.goto(f"{asgi_server}/teams/daalhof/board/")
    board.locator("#live-status[data-state=live]").wait_for()
    card = board.locator(f"#resident-{ramakers.pk}")
    assert "zorg van mantelzorger" not in card.inner_text()

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{asgi_server}/mantelzorg/uitnodiging/{token}/")
    phone.get_by_role("heading", name="Welkom, Thea").wait_for()
    phone.get_by_label("Nieuw wachtwoord", exact=True).fill("Zonnebloem-2026")
    phone.get_by_label("Nieuw wachtwoord bevestigen").fill("Zonnebloem-2026")
    phone.get_by_role("button", name="Wachtwoord opslaan").click()

    phone.get_by_role("heading", name="Wat het team heeft afgesproken").wait_for()
    assert "Uw naaste heeft meer hulp nodig." in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Gedaan").click()
    phone.get_by_text("Het team ziet dat het gedaan is").wait_for()
    phone.get_by_label("Laat het het team weten").fill("Vader lijkt verwarder sinds vorige week")
    phone.get_by_role("button", name="Naar het team sturen").click()
    phone.get_by_text("Het team heeft uw bericht").wait_for()
    screenshot(phone, "carer-portal-phone")

    card.get_by_text("zorg van mantelzorger").wait_for(timeout=10_000)  # live, no reload
    assert AgreedAction.objects.get().status == "done"
    for page in (board, phone):
        page.context.close()


def test_thea_signs_in_with_her_address_and_follows_her_concern_on_her_phone(
    browser, asgi_server, daalhof, screenshot
):
    """Issue 16 §3: linked from the panel, invited, she sets a password, signs out, signs in
    again with her e-mail address (as the invitation said, capitals and all), sends a concern
    and later sees that the team has handled it."""
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
    thea = off_the_loop(
        lambda: link_carer(
            resident=ramakers,
            by=daalhof.poh,
            first_name="Thea",
            last_name="Ramakers",
            relationship="daughter",
            email="thea.ramakers@example.nl",
        ).carer
    )
    token = invite_carer(resident=ramakers, carer=thea, by=daalhof.poh)

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{asgi_server}/mantelzorg/uitnodiging/{token}/")
    phone.get_by_text("Daarna logt u in met uw e-mailadres").wait_for()
    phone.get_by_label("Nieuw wachtwoord", exact=True).fill("Zonnebloem-2026")
    phone.get_by_label("Nieuw wachtwoord bevestigen").fill("Zonnebloem-2026")
    phone.get_by_role("button", name="Wachtwoord opslaan").click()
    phone.get_by_role("heading", name="Wat het team heeft afgesproken").wait_for()
    phone.get_by_role("button", name="Afmelden").click()

    phone.get_by_label("E-mailadres of gebruikersnaam").fill("Thea.Ramakers@Example.nl")
    phone.get_by_label("Wachtwoord").fill("Zonnebloem-2026")
    screenshot(phone, "carer-sign-in-email-phone")
    phone.get_by_role("button", name="Inloggen").click()
    phone.get_by_role("heading", name="Wat het team heeft afgesproken").wait_for()

    phone.get_by_label("Laat het het team weten").fill("Vader lijkt verwarder sinds vorige week")
    phone.get_by_role("button", name="Naar het team sturen").click()
    sent = phone.get_by_role("heading", name="Wat u het team liet weten")
    sent.wait_for()
    told = phone.locator(".concerns li")
    assert "Vader lijkt verwarder sinds vorige week" in told.inner_text()
    assert "Ontvangen door het team, nog niet besproken." in told.inner_text()

    concern = Concern.objects.get(resident=ramakers)
    off_the_loop(lambda: handle_concern(concern=concern, by=daalhof.poh))
    phone.reload()
    told.get_by_text("Het team heeft dit op").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "carer-portal-concerns-phone")
    phone.context.close()
