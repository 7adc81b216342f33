"""Setting up the authenticator app needs an enrolment link from the administrator: printed by
`manage.py enrolment_link` or e-mailed from the admin. It leads through sign-in, works once, for
72 hours, only for its own account, and only the newest one."""

from __future__ import annotations

import datetime
import smtplib
from io import StringIO

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.models import AccessLogEntry
from kernteam.second_factor import issue_enrolment_link
from tests.helpers import set_up, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.KERNTEAM_REQUIRE_2FA = True


def link(token: str) -> str:
    return reverse("enrolment_link", args=[token])


def test_the_link_leads_through_sign_in_to_the_qr_code(client, daalhof):
    nurse = daalhof.district_nurse
    opened = client.get(link(issue_enrolment_link(user=nurse)))
    assert opened.status_code == 302
    assert opened.url == f"{reverse('login')}?next={reverse('two_factor')}"
    assert "token" not in opened.url and "enrol" not in opened.url  # the link stays private
    signed_in = sign_in(client, nurse)  # (the login page sends her on to `next`)
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert signed_in.status_code == 302


def test_the_link_works_once(client, daalhof):
    nurse = daalhof.district_nurse
    token = issue_enrolment_link(user=nurse)
    sign_in(client, nurse)
    client.get(link(token))
    set_up(client, nurse)
    again = client.get(link(token))
    assert again.status_code == 410
    assert "Deze link werkt niet meer" in again.content.decode()


def test_the_link_expires_after_72_hours(client, daalhof):
    nurse = daalhof.district_nurse
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=72, minutes=1)):
        token = issue_enrolment_link(user=nurse)
    sign_in(client, nurse)
    assert client.get(link(token)).status_code == 410
    session = client.session  # (even if it were in her session already)
    session["kernteam_enrolment_link"] = token
    session.save()
    page = client.get(reverse("two_factor"))
    assert page.status_code == 403 and "<svg" not in page.content.decode()


def test_a_link_of_71_hours_still_works(client, daalhof):
    nurse = daalhof.district_nurse
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=71)):
        token = issue_enrolment_link(user=nurse)
    sign_in(client, nurse)
    assert client.get(link(token)).status_code == 302
    assert "<svg" in client.get(reverse("two_factor")).content.decode()


def test_a_newer_link_replaces_the_older_one(client, daalhof):
    nurse = daalhof.district_nurse
    older = issue_enrolment_link(user=nurse)
    newer = issue_enrolment_link(user=nurse)
    sign_in(client, nurse)
    assert client.get(link(older)).status_code == 410
    assert client.get(link(newer)).status_code == 302


def test_a_forged_or_mangled_link_is_refused(client, daalhof):
    token = issue_enrolment_link(user=daalhof.district_nurse)
    sign_in(client, daalhof.district_nurse)
    assert client.get(link(token[:-2] + "xx")).status_code == 410
    assert client.get(link("not-a-token")).status_code == 410
    assert client.get(reverse("two_factor")).status_code == 403


def test_someone_elses_link_shows_no_secret(client, daalhof):
    """The GP signed in on a shared computer opens the nurse's link: nothing to scan."""
    token = issue_enrolment_link(user=daalhof.district_nurse)
    sign_in(client, daalhof.gp)
    opened = client.get(link(token))
    assert opened.status_code == 403
    assert "Deze link is voor iemand anders" in opened.content.decode()
    page = client.get(reverse("two_factor"))
    assert page.status_code == 403 and "<svg" not in page.content.decode()
    assert not TOTPDevice.objects.filter(user=daalhof.gp).exists()


def test_enrolling_is_in_the_access_log(client, daalhof):
    nurse = daalhof.district_nurse
    sign_in(client, nurse)
    client.get(link(issue_enrolment_link(user=nurse)))
    set_up(client, nurse)
    entry = AccessLogEntry.objects.get(what="second-factor-enrolled")
    assert (entry.user, entry.resident, entry.ip) == (nurse, None, "127.0.0.1")


def test_the_log_officer_finds_the_enrolment(client, daalhof, settings):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    nurse = daalhof.district_nurse
    sign_in(client, nurse)
    client.get(link(issue_enrolment_link(user=nurse)))
    set_up(client, nurse)
    client.logout()
    officer = UserFactory(username="logfunctionaris")
    officer.groups.add(Group.objects.get_or_create(name="log officers")[0])
    settings.KERNTEAM_REQUIRE_2FA = False  # (her own second factor is another test's matter)
    client.force_login(officer)
    page = client.get(reverse("access_log"), {"user": nurse.username}).content.decode()
    assert "second-factor-enrolled" in page


def test_the_command_prints_a_link_that_works(client, daalhof):
    out, err = StringIO(), StringIO()
    call_command("enrolment_link", daalhof.poh.username, stdout=out, stderr=err)
    printed = out.getvalue().strip()
    assert printed.startswith("http://127.0.0.1:8000/accounts/enrol/")
    assert "72 hours" in err.getvalue()
    sign_in(client, daalhof.poh)
    assert client.get(printed.removeprefix("http://127.0.0.1:8000")).status_code == 302
    assert "<svg" in client.get(reverse("two_factor")).content.decode()


def test_the_command_uses_the_base_url_given(daalhof):
    out = StringIO()
    call_command(
        "enrolment_link", daalhof.poh.username, "--base-url", "https://kt.example.nl/", stdout=out
    )
    assert out.getvalue().startswith("https://kt.example.nl/accounts/enrol/")


@pytest.mark.parametrize(
    ("hosts", "secure", "base"),
    [
        ([".example.nl"], True, None),
        (["*"], False, None),
        (["localhost"], True, None),  # (production behind a proxy: not a link for a person)
        (["127.0.0.1", "localhost"], False, "http://127.0.0.1:8000"),  # the demo
        (["localhost", "kt.example.nl", ".example.nl"], True, "https://kt.example.nl"),
    ],
)
def test_the_command_needs_a_base_url_it_cannot_derive(daalhof, settings, hosts, secure, base):
    settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE = hosts, secure
    out = StringIO()
    if base is None:
        with pytest.raises(CommandError, match=r"Give --base-url \(e\.g\. https://"):
            call_command("enrolment_link", daalhof.poh.username, stdout=out, stderr=StringIO())
        assert not out.getvalue() and not TOTPDevice.objects.filter(user=daalhof.poh).exists()
    else:
        call_command("enrolment_link", daalhof.poh.username, stdout=out, stderr=StringIO())
        assert out.getvalue().startswith(f"{base}/accounts/enrol/")
    given = StringIO()
    call_command(
        "enrolment_link", daalhof.poh.username, "--base-url", "https://kt.example.nl", stdout=given
    )
    assert given.getvalue().startswith("https://kt.example.nl/accounts/enrol/")


def test_the_command_refuses_someone_who_has_an_app(daalhof):
    TOTPDevice.objects.create(user=daalhof.poh, name="app", confirmed=True)
    with pytest.raises(CommandError, match="heeft al een authenticator-app; reset die eerst"):
        call_command("enrolment_link", daalhof.poh.username, stdout=StringIO())
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        call_command("enrolment_link", "nobody", stdout=StringIO())


def test_the_admin_sends_the_link_to_the_persons_own_email(client, daalhof, resident_in):
    resident = resident_in("step2")
    nurse = daalhof.district_nurse
    nurse.email = "j.smeets@wijkzorg.example.nl"
    nurse.save()
    admin = _superuser(client)
    changelist = reverse("admin:auth_user_changelist")
    assert "Een inschrijflink voor de authenticator-app sturen" in client.get(changelist).text
    response = client.post(
        changelist, {"action": "send_enrolment_links", "_selected_action": [nurse.pk]}
    )
    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["j.smeets@wijkzorg.example.nl"]
    assert sent.subject == "Kernteam: stel uw authenticator-app in"
    assert "72 uur lang" in sent.body and nurse.username in sent.body
    token_link = next(w for w in sent.body.split() if "/accounts/enrol/" in w)
    assert token_link.startswith("http://testserver/accounts/enrol/")
    assert resident.last_name not in sent.body and resident.first_name not in sent.body
    assert LogEntry.objects.filter(user=admin, object_id=str(nurse.pk)).exists()
    entry = AccessLogEntry.objects.get(what=f"enrolment-link-issued: {nurse.username}")
    assert (entry.user, entry.role) == (admin, "admin")  # (as the reset's entry)
    client.logout()
    sign_in(client, nurse)
    assert client.get(token_link.removeprefix("http://testserver")).status_code == 302
    assert "<svg" in client.get(reverse("two_factor")).content.decode()


def test_the_admin_is_told_why_no_link_was_sent(client, daalhof):
    nurse, poh = daalhof.district_nurse, daalhof.poh
    nurse.email, nurse.is_active = "j.smeets@wijkzorg.example.nl", False
    nurse.save()
    poh.email = "poh@example.nl"
    poh.save()
    TOTPDevice.objects.create(user=poh, name="app", confirmed=True)
    _superuser(client)
    answer = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_enrolment_links", "_selected_action": [nurse.pk, poh.pk]},
        follow=True,
    ).text
    # (the admin writes a message with a capital)
    assert f"{capfirst(nurse.username)} is geen actief account: activeer het eerst." in answer
    assert f"{capfirst(poh.username)} heeft al een authenticator-app; reset die eerst." in answer
    assert f"{capfirst(nurse.username)} heeft al een authenticator-app" not in answer
    assert not mail.outbox


def test_a_mail_that_fails_is_reported_and_the_earlier_link_keeps_working(
    client, daalhof, monkeypatch
):
    nurse = daalhof.district_nurse
    nurse.email = "j.smeets@wijkzorg.example.nl"
    nurse.save()
    earlier = link(issue_enrolment_link(user=nurse))

    def refused(**kwargs):
        raise smtplib.SMTPRecipientsRefused({nurse.email: (550, b"no such user")})

    monkeypatch.setattr("kernteam.admin_accounts.send_enrolment_link", refused)
    _superuser(client)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_enrolment_links", "_selected_action": [nurse.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "De e-mail aan j.smeets@wijkzorg.example.nl kon niet worden verstuurd "
        f"(SMTPRecipientsRefused), dus {nurse.username} heeft geen link gekregen." in response.text
    )
    assert not AccessLogEntry.objects.filter(what__startswith="enrolment-link-issued").exists()
    client.logout()
    sign_in(client, nurse)
    assert client.get(earlier).status_code == 302
    assert "<svg" in client.get(reverse("two_factor")).content.decode()


def _superuser(client):
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.factories import UserFactory

    admin = UserFactory(username="beheer", is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return admin


def test_the_admin_says_an_address_is_another_accounts(client, daalhof):
    """One address, one account (kernteam migration 0013): the admin's account form says so at
    the field rather than failing on the database's index."""
    daalhof.poh.email = "k.david@praktijk.example.nl"
    daalhof.poh.save()
    nurse = daalhof.district_nurse
    _superuser(client)
    page = reverse("admin:auth_user_change", args=[nurse.pk])
    form = client.get(page).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"email": "K.David@Praktijk.example.nl", "date_joined_0": "2026-01-01"}
    data |= {"date_joined_1": "09:00", "groups": [], "user_permissions": []}
    data.pop("date_joined", None)
    data.pop("last_login", None)
    answer = client.post(page, data)
    assert answer.status_code == 200
    assert "Een ander account heeft dit e-mailadres." in answer.text
    nurse.refresh_from_db()
    assert nurse.email != "K.David@Praktijk.example.nl"


def test_an_account_without_a_password_is_told_to_choose_one(client, daalhof):
    """Review of issue 21: the admin's link for an account with no password (an invited member
    who lost her mail) says what the invitation says, not "sign in with your password"."""
    nurse = daalhof.district_nurse
    nurse.email = "j.smeets@wijkzorg.example.nl"
    nurse.set_unusable_password()
    nurse.save()
    _superuser(client)
    changelist = reverse("admin:auth_user_changelist")
    client.post(changelist, {"action": "send_enrolment_links", "_selected_action": [nurse.pk]})
    [sent] = mail.outbox
    body = " ".join(sent.body.split())
    assert body.startswith(f"Beste {nurse.get_full_name()}, Uw gebruikersnaam is {nurse.username}.")
    assert (
        "Kernteam stuurt u nooit een wachtwoord: u kiest het zelf. Open deze link om uw "
        "wachtwoord te kiezen en de authenticator-app op uw telefoon in te stellen (de link "
        "werkt één keer, 72 uur lang):"
    ) in body
    assert "en uw wachtwoord" not in body
    assert body.endswith(
        "Had u deze e-mail niet verwacht? Meld het dan aan de beheerder van Kernteam."
    )
    assert "/accounts/enrol/" in body
