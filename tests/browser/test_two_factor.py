"""A professional signs in on a phone where the second factor is required (as in production):
without an enrolment link she is told to ask for one; with it, password, QR code, the app's
code, and her recovery codes; later a recovery code when the phone is not at hand."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.second_factor import issue_enrolment_link
from tests.browser.conftest import PHONE, PROJECTOR
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server():
    running = Uvicorn(extra_env={"KERNTEAM_REQUIRE_2FA": "1"})
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


@pytest.fixture
def nurse(daalhof):
    user = daalhof.district_nurse
    user.set_password("kernteam-demo")
    user.save()
    return user


def password(page, user) -> None:
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()


def fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("projector", PROJECTOR)])
def test_without_a_link_she_is_told_to_ask_for_one(
    browser, server, nurse, screenshot, size, viewport
):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{server.url}/teams/daalhof/board/")
    password(page, nurse)
    page.get_by_role("heading", name="Uw authenticator-app instellen").wait_for()
    assert "vraag de beheerder van Kernteam erom" in page.get_by_role("alert").inner_text()
    assert page.locator(".qr, code").count() == 0  # no secret to copy
    assert page.get_by_role("button", name="Afmelden").count() == 2  # (header and page)
    fits(page, viewport)
    screenshot(page, f"two-factor-no-link-{size}")
    page.context.close()


def test_the_nurse_sets_up_her_authenticator_app_with_her_link(browser, server, nurse, screenshot):
    link = f"{server.url}/accounts/enrol/{issue_enrolment_link(user=nurse)}/"
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(link)  # from her e-mail, on her phone
    password(page, nurse)

    page.get_by_role("heading", name="Tweede stap van het inloggen").wait_for()
    assert "/enrol/" not in page.url  # the link left the address bar
    assert page.locator(".qr svg").is_visible()
    link = page.get_by_role("link", name="Op deze telefoon: open in de authenticator-app")
    assert link.get_attribute("href").startswith("otpauth://totp/")
    fits(page, PHONE)
    screenshot(page, "two-factor-setup-phone")
    device = TOTPDevice.objects.get(user=nurse)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code uit uw authenticator-app").fill(f"{code:06d}")
    page.get_by_role("button", name="Bevestigen").click()

    page.get_by_role("heading", name="Herstelcodes").wait_for()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    fits(page, PHONE)
    screenshot(page, "two-factor-recovery-codes-phone")
    page.get_by_role("link", name="Ik heb ze bewaard: verder").click()
    page.get_by_role("heading", name="Mijn kernteams").wait_for()
    # (the bell fetches its count as the page loads; the answer renews the session's cookie,
    # so it must be in before the cookies go, or "another day" would still be signed in)
    page.locator("#bell-summary[data-unread]").wait_for(state="attached")

    # another day, without her phone
    page.context.clear_cookies()
    page.goto(f"{server.url}/teams/daalhof/board/")
    password(page, nurse)
    fits(page, PHONE)
    screenshot(page, "two-factor-code-phone")
    page.get_by_role("link", name="Telefoon kwijt? Gebruik een herstelcode").click()
    page.get_by_label("Herstelcode").fill(codes[0])
    fits(page, PHONE)
    screenshot(page, "two-factor-recovery-code-phone")
    page.get_by_role("button", name="Bevestigen").click()
    page.get_by_role("heading", name="Kernteam Daalhof").wait_for()  # where she was going
    assert "nog 9" in page.locator(".messages").inner_text()
    page.locator("#live-status[data-state=live]").wait_for()  # the live board lets her in
    page.context.close()
