"""Members in (issue 21 §2) in Chromium, with the second factor required as in production: the
team's coordinator adds a new district nurse on the members page; the invitation the server
mails holds the one-time link; the new member opens it on her phone, chooses her password,
scans the QR code (the test computes the app's code from the device's key), enters the code,
sees her recovery codes and lands on her team's live board."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.mail.backends import filebased
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import PHONE, PROJECTOR
from tests.helpers import code_for
from tests.servers import Uvicorn

pytestmark = pytest.mark.django_db(transaction=True)

MAILBOX = "KERNTEAM_TEST_MAILBOX"
PASSWORD = "Herfstbladeren-2026"


class MailToFolder(filebased.EmailBackend):
    """The server's mail (it runs in a process of its own, so no `mail.outbox`): one file per
    message in the folder $KERNTEAM_TEST_MAILBOX, for the test to read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, file_path=os.environ[MAILBOX], **kwargs)


@pytest.fixture
def mailbox(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def server(mailbox):
    running = Uvicorn(
        extra_env={
            "KERNTEAM_REQUIRE_2FA": "1",
            "EMAIL_BACKEND": f"{__name__}.MailToFolder",
            MAILBOX: str(mailbox),
        }
    )
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


def fits(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def both_sizes(page, screenshot, name: str) -> None:
    """Screenshots on a projector and on a phone; the page fits the phone's width."""
    before = page.viewport_size
    for size, viewport in (("projector", PROJECTOR), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        fits(page)
        screenshot(page, f"{name}-{size}")
    page.set_viewport_size(before)


def new_page(browser, viewport):
    """A fresh browser context that records Content Security Policy violations."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return context.new_page()


def sign_in_with_app(browser, url: str, user) -> object:
    """The coordinator, who signs in with her password and her app's code."""
    user.set_password("kernteam-demo")
    user.save()
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    page = new_page(browser, PROJECTOR)
    page.goto(url)
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill("kernteam-demo")
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_label("Code uit uw authenticator-app").fill(code_for(device))
    page.get_by_role("button", name="Bevestigen").click()
    return page


def test_a_coordinator_invites_a_new_member_who_signs_in_with_her_second_factor(
    browser, server, mailbox, daalhof, screenshot
):
    members = sign_in_with_app(browser, f"{server.url}/teams/daalhof/members/", daalhof.coordinator)
    members.get_by_role("heading", name="Leden van Kernteam Daalhof").wait_for()
    members.get_by_role("link", name="Lid toevoegen").click()

    form = members.locator("form.member-form")
    form.get_by_label("Voornaam").fill("Anna")
    form.get_by_label("Achternaam").fill("Vermeulen")
    form.get_by_label("E-mailadres").fill("a.vermeulen@groenekruis")  # (a typo first)
    form.get_by_label("Discipline").select_option(label="wijkverpleegkundige")
    form.get_by_label("AGB-code (als bekend)").fill("01234567")
    form.get_by_role("button", name="Toevoegen en uitnodiging versturen").click()
    said = members.get_by_text("Vul een geldig e-mailadres in, bijvoorbeeld naam@praktijk.nl.")
    said.wait_for()
    assert form.get_by_label("Achternaam").input_value() == "Vermeulen"  # nothing lost
    both_sizes(members, screenshot, "member-add-error")
    form.get_by_label("E-mailadres").fill("a.vermeulen@groenekruis.nl")
    form.get_by_role("button", name="Toevoegen en uitnodiging versturen").click()

    members.get_by_role("heading", name="Leden van Kernteam Daalhof").wait_for()
    assert (
        "Anna Vermeulen zit in het team als wijkverpleegkundige"
        in members.locator(".messages").inner_text()
    )
    anna_row = members.locator(".member", has_text="Anna Vermeulen")
    assert "Uitgenodigd: heeft de authenticator-app nog niet ingesteld" in anna_row.inner_text()
    both_sizes(members, screenshot, "members")

    (sent,) = [path.read_text() for path in mailbox.iterdir()]
    assert "To: a.vermeulen@groenekruis.nl" in sent
    link = re.search(rf"{re.escape(server.url)}/accounts/enrol/[^/\s]+/", sent)[0]

    phone = new_page(browser, PHONE)  # her own phone
    phone.goto(link)
    phone.get_by_role("heading", name="Welkom, Anna").wait_for()
    assert "/enrol/" in phone.url and link not in phone.url  # (the token left the address bar)
    assert "a.vermeulen" in phone.locator(".username").inner_text()
    both_sizes(phone, screenshot, "member-set-password")
    phone.get_by_label("Nieuw wachtwoord", exact=True).fill(PASSWORD)
    phone.get_by_label("Nieuw wachtwoord bevestigen").fill(PASSWORD)
    phone.get_by_role("button", name="Wachtwoord opslaan en verder").click()

    phone.get_by_role("heading", name="Tweede stap van het inloggen").wait_for()
    assert phone.locator(".qr svg").is_visible()
    fits(phone)
    device = TOTPDevice.objects.get(user__username="a.vermeulen", confirmed=False)
    phone.get_by_label("Code uit uw authenticator-app").fill(code_for(device))
    phone.get_by_role("button", name="Bevestigen").click()

    phone.get_by_role("heading", name="Herstelcodes").wait_for()
    assert len(phone.locator(".recovery-codes code").all_inner_texts()) == 10
    phone.get_by_role("link", name="Ik heb ze bewaard: verder").click()
    phone.get_by_role("heading", name="Mijn kernteams").wait_for()
    phone.get_by_role("link", name="Kernteam Daalhof").click()
    phone.get_by_role("heading", name="Kernteam Daalhof").wait_for()
    phone.locator("#live-status[data-state=live]").wait_for()  # the live board lets her in
    fits(phone)

    members.reload()
    anna_row = members.locator(".member", has_text="Anna Vermeulen")
    assert "Logt in met de authenticator-app" in anna_row.inner_text()
    for page in (members, phone):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()


def test_a_member_who_is_ended_loses_her_open_board_at_once(browser, server, daalhof, screenshot):
    """The coordinator ends the district nurse, whose board is open: the confirmation names the
    residents she coordinated; once confirmed, her board's live channel closes and a reload
    finds no board."""
    from tests.factories import ResidentFactory, give_consent

    nurse = daalhof.district_nurse
    for name in ("Gulpers", "Hameleers"):
        give_consent(
            ResidentFactory(team=daalhof.team, state="step2", coordinator=nurse, last_name=name),
            daalhof.poh,
        )
    board = sign_in_with_app(browser, f"{server.url}/teams/daalhof/board/", nurse)
    board.locator("#live-status[data-state=live]").wait_for()

    members = sign_in_with_app(browser, f"{server.url}/teams/daalhof/members/", daalhof.coordinator)
    row = members.locator(".member", has_text=nurse.get_full_name())
    row.get_by_role("link", name="Lidmaatschap beëindigen").click()
    members.get_by_text("2 cliënten krijgen een nieuwe zorgcoördinator").wait_for()
    assert "Mevrouw Maria Gulpers" in members.locator(".coordinated").inner_text()
    both_sizes(members, screenshot, "member-end")
    members.get_by_role("button", name="Lidmaatschap beëindigen").click()
    members.get_by_role("heading", name="Leden van Kernteam Daalhof").wait_for()
    assert (
        "zit niet meer in het team als wijkverpleegkundige"
        in members.locator(".messages").inner_text()
    )

    # her board says why it stopped, and does not pretend to reconnect
    board.locator("#live-status[data-state=ended]").wait_for(timeout=5000)
    status = board.locator("#live-status")
    assert status.inner_text() == "Geen lid meer van dit team — bord niet bijgewerkt"
    both_sizes(board, screenshot, "member-ended-board")
    board.wait_for_timeout(2500)  # (longer than a retry would take)
    assert status.get_attribute("data-state") == "ended"
    assert board.reload().status == 404
    for page in (members, board):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()
