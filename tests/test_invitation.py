"""A new member's invitation (issue 21 §2): the one-time enrolment link of sign-in hardening, for
an account without a password. She chooses her password (twice, with the configured rules), is
signed in, and goes on to set up the authenticator app; an account that has a password signs in
first, as before. A used or expired link shows the "no longer works" page."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kernteam.members import add_member
from kernteam.models import AccessLogEntry
from kernteam.roles import Role
from kernteam.second_factor import issue_enrolment_link
from tests.helpers import set_up

pytestmark = pytest.mark.django_db

PASSWORD = "Herfstbladeren-2026"


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.KERNTEAM_REQUIRE_2FA = True


@pytest.fixture
def anna(daalhof):
    """Invited by the coordinator: an account without a password, and her link."""
    added = add_member(
        team=daalhof.team,
        by=daalhof.coordinator,
        first_name="Anna",
        last_name="Vermeulen",
        email="a.vermeulen@groenekruis.nl",
        role=Role.DISTRICT_NURSE,
    )
    added.membership.user.link = re.search(r"/accounts/enrol/[^/\s]+/", mail.outbox[0].body)[0]
    return added.membership.user


def choose(client, first: str = PASSWORD, second: str | None = None):
    return client.post(
        reverse("enrolment_password"),
        {"new_password1": first, "new_password2": second if second is not None else first},
    )


def test_the_link_asks_her_to_choose_a_password(client, anna):
    opened = client.get(anna.link)
    assert opened.status_code == 302 and opened.url == reverse("enrolment_password")
    page = client.get(opened.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Welkom, Anna" in html and "a.vermeulen" in html
    assert ">Nieuw wachtwoord</label>" in html and ">Nieuw wachtwoord bevestigen</label>" in html
    assert "<svg" not in html  # (no secret before she has a password)
    assert page.headers["Cache-Control"].startswith("max-age=0")


def test_with_her_password_she_is_signed_in_and_sets_up_the_app(client, anna):
    client.get(anna.link)
    done = choose(client)
    assert done.status_code == 302 and done.url == reverse("two_factor")
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(anna.pk)
    assert "<svg" in client.get(reverse("two_factor")).content.decode()  # the QR code
    set_up(client, anna)
    codes = client.get(reverse("recovery_codes")).content.decode()
    assert codes.count("<code>") == 10
    assert client.get(reverse("board", args=["daalhof"])).status_code == 200
    entry = AccessLogEntry.objects.get(what="password-set-by-invitation")
    assert (entry.user, entry.resident, entry.ip) == (anna, None, "127.0.0.1")


def test_until_the_app_is_set_up_she_reaches_nothing_else(client, anna):
    client.get(anna.link)
    choose(client)
    board = client.get(reverse("board", args=["daalhof"]))
    assert board.status_code == 302 and board.url.startswith(reverse("two_factor"))


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (PASSWORD, "Herfstbladeren-2027", "De twee wachtwoordvelden komen niet overeen."),
        ("kort-1", "kort-1", "Dit wachtwoord is te kort: het moet minstens 10 tekens lang zijn."),
        ("7305918264", "7305918264", "Dit wachtwoord bevat alleen cijfers."),
        ("a.vermeulen1", "a.vermeulen1", "Het wachtwoord lijkt te veel op uw"),
    ],
)
def test_a_bad_password_is_refused_in_dutch(client, anna, first, second, message):
    client.get(anna.link)
    page = choose(client, first, second)
    assert page.status_code == 200 and message in page.content.decode()
    anna.refresh_from_db()
    assert not anna.has_usable_password()
    assert "_auth_user_id" not in client.session
    assert not AccessLogEntry.objects.filter(what="password-set-by-invitation").exists()


def test_mistakes_here_do_not_lock_her_out(client, anna, settings):
    """Choosing a password is not signing in: mistyped confirmations are not failed sign-ins
    (the link itself is what she proves), so the sign-in throttle neither counts nor blocks
    them."""
    client.get(anna.link)
    for _ in range(settings.KERNTEAM_LOGIN_ATTEMPTS + 1):
        choose(client, PASSWORD, "iets-anders-123")
    assert choose(client).status_code == 302


def test_a_used_link_no_longer_works(client, anna):
    client.get(anna.link)
    choose(client)
    set_up(client, anna)
    client.logout()
    again = client.get(anna.link)
    assert again.status_code == 410 and "Deze link werkt niet meer" in again.content.decode()
    assert choose(client, "Nog-een-wachtwoord-9").status_code == 410


def test_after_the_password_the_link_leads_through_sign_in(client, anna):
    """She chose her password but closed the browser before the app: the link then asks her to
    sign in, as for any account with a password."""
    client.get(anna.link)
    choose(client)
    client.logout()
    opened = client.get(anna.link)
    assert opened.status_code == 302 and opened.url.startswith(reverse("login"))
    assert client.get(reverse("enrolment_password")).url.startswith(reverse("login"))


def test_an_expired_link_no_longer_works(client, daalhof):
    user = daalhof.welfare
    user.set_unusable_password()
    user.save()
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=73)):
        token = issue_enrolment_link(user=user)
    opened = client.get(reverse("enrolment_link", args=[token]))
    assert opened.status_code == 410 and "Deze link werkt niet meer" in opened.content.decode()
    assert client.get(reverse("enrolment_password")).status_code == 410


def test_without_a_link_there_is_nothing_to_choose(client, anna):
    page = client.get(reverse("enrolment_password"))
    assert page.status_code == 410
    assert choose(client).status_code == 410
    anna.refresh_from_db()
    assert not anna.has_usable_password()


def test_someone_else_signed_in_gets_no_password_form(client, anna, daalhof):
    client.get(anna.link)
    client.force_login(daalhof.gp)
    session = client.session
    session["kernteam_enrolment_link"] = anna.link.split("/")[-2]
    session.save()
    page = client.get(reverse("enrolment_password"))
    assert page.status_code == 403 and "Deze link is voor iemand anders" in page.content.decode()
    assert choose(client).status_code == 403
    anna.refresh_from_db()
    assert not anna.has_usable_password()


def test_an_account_with_a_password_signs_in_first(client, daalhof):
    """As before the invitation existed (tests/test_enrolment.py)."""
    token = issue_enrolment_link(user=daalhof.district_nurse)
    opened = client.get(reverse("enrolment_link", args=[token]))
    assert opened.url == f"{reverse('login')}?next={reverse('two_factor')}"
    assert client.get(reverse("enrolment_password")).url.startswith(reverse("login"))
