"""A professional signs in on a phone where the second factor is required (as in production):
password, then the QR code to set up the app, then the code."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import PHONE
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_nurse_sets_up_her_authenticator_app_on_her_phone(browser, daalhof, screenshot):
    nurse = daalhof.district_nurse
    nurse.set_password("kernteam-demo")
    nurse.save()
    server = Uvicorn(extra_env={"KERNTEAM_REQUIRE_2FA": "1"})
    try:
        server.wait_until_up()
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{server.url}/teams/daalhof/board/")
        page.get_by_label("Gebruikersnaam").fill(nurse.username)
        page.get_by_label("Wachtwoord").fill("kernteam-demo")
        page.get_by_role("button", name="Inloggen").click()

        page.get_by_role("heading", name="Tweede stap van het inloggen").wait_for()
        assert page.locator(".qr svg").is_visible()
        link = page.get_by_role("link", name="Op deze telefoon: open in de authenticator-app")
        assert link.get_attribute("href").startswith("otpauth://totp/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "two-factor-setup-phone")
        device = TOTPDevice.objects.get(user=nurse)
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        page.get_by_label("Code uit uw authenticator-app").fill(f"{code:06d}")
        page.get_by_role("button", name="Bevestigen").click()

        page.get_by_role("heading", name="Kernteam Daalhof").wait_for()  # where she was going
        page.locator("#live-status[data-state=live]").wait_for()  # the live board lets her in
        page.context.close()
    finally:
        server.stop()
