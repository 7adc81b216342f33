"""Issue 21's first day in Chromium, end to end, with the second factor required as in
production: the team's board is empty; the GP imports the caseload from the board; the
coordinator invites a new district nurse; she opens the invitation on her phone, chooses her
password, sets up her authenticator app and finds the imported residents on her team's board.

The parts are tested on their own in test_caseload_browser.py (the import, its preview and
its problems) and test_member_invitation_browser.py (the invitation, ending a member)."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Resident
from tests.browser import test_member_invitation_browser as invitation
from tests.browser.conftest import PHONE
from tests.browser.test_caseload_browser import RESIDENTS, first_day_file, import_caseload
from tests.browser.test_member_invitation_browser import PASSWORD, new_page, sign_in_with_app
from tests.helpers import code_for

pytestmark = pytest.mark.django_db(transaction=True)

# the server that requires the second factor and mails into `mailbox`
server, mailbox = invitation.server, invitation.mailbox


def test_from_an_empty_board_to_the_caseload_and_a_new_member_signed_in(
    browser, server, mailbox, daalhof, tmp_path_factory, screenshot
):
    caseload = tmp_path_factory.mktemp("caseload") / "caseload-daalhof.csv"
    caseload.write_bytes(first_day_file(fixed=True))

    # the GP: an empty board, then the caseload from the practice's file
    gp = sign_in_with_app(browser, f"{server.url}/teams/daalhof/board/", daalhof.gp)
    gp.get_by_role("heading", name="Kernteam Daalhof").wait_for()
    assert gp.locator(".card").count() == 0
    import_caseload(gp, server.url, "daalhof", caseload, residents=len(RESIDENTS))
    assert gp.locator(".card").count() == len(RESIDENTS)

    # the coordinator adds a new district nurse; the server mails her the invitation
    members = sign_in_with_app(browser, f"{server.url}/teams/daalhof/board/", daalhof.coordinator)
    members.get_by_role("link", name="Leden").click()
    members.get_by_role("heading", name="Leden van Kernteam Daalhof").wait_for()
    members.get_by_role("link", name="Lid toevoegen").click()
    form = members.locator("form.member-form")
    form.get_by_label("Voornaam").fill("Noor")
    form.get_by_label("Achternaam").fill("Kusters")
    form.get_by_label("E-mailadres").fill("n.kusters@wijkzorg.nl")
    form.get_by_label("Discipline").select_option(label="wijkverpleegkundige")
    form.get_by_role("button", name="Toevoegen en uitnodiging versturen").click()
    members.get_by_role("heading", name="Leden van Kernteam Daalhof").wait_for()
    (sent,) = [path.read_text() for path in mailbox.iterdir()]
    assert "To: n.kusters@wijkzorg.nl" in sent
    # a link, never a password, and nothing about the residents
    assert "stuurt u nooit een wachtwoord: u kiest het zelf." in " ".join(sent.split())
    assert not [last for _n, _f, last, _s, _c in RESIDENTS if last in sent]
    link = re.search(rf"{re.escape(server.url)}/accounts/enrol/[^/\s]+/", sent)[0]

    # she opens it on her phone: her password, her app, then her team's board
    phone = new_page(browser, PHONE)
    phone.goto(link)
    phone.get_by_role("heading", name="Welkom, Noor").wait_for()
    phone.get_by_label("Nieuw wachtwoord", exact=True).fill(PASSWORD)
    phone.get_by_label("Nieuw wachtwoord bevestigen").fill(PASSWORD)
    phone.get_by_role("button", name="Wachtwoord opslaan en verder").click()
    phone.get_by_role("heading", name="Tweede stap van het inloggen").wait_for()
    device = TOTPDevice.objects.get(user__username="n.kusters", confirmed=False)
    phone.get_by_label("Code uit uw authenticator-app").fill(code_for(device))
    phone.get_by_role("button", name="Bevestigen").click()
    phone.get_by_role("heading", name="Herstelcodes").wait_for()
    phone.get_by_role("link", name="Ik heb ze bewaard: verder").click()
    phone.get_by_role("link", name="Kernteam Daalhof").click()
    phone.locator("#live-status[data-state=live]").wait_for()
    # every imported consent covers all members: she sees everyone but the one signalled
    # without consent yet (only the GP and the POH see her: need to know)
    consented = [(f, last) for _n, f, last, state, _c in RESIDENTS if state != "gesignaleerd"]
    for first, last in consented:
        phone.locator(".card", has_text=f"{first} {last}").first.wait_for()
    assert phone.locator(".card").count() == len(consented) == Resident.objects.count() - 1
    assert phone.locator(".card", has_text="Gerda Bemelmans").count() == 0
    screenshot(phone, "first_day_new_member_board_390")
    for page in (gp, members, phone):
        assert page.evaluate("window.cspViolations") == []
        page.context.close()
