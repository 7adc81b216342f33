"""Recovery codes for a lost phone (shown once after setting up the app, each good for one
sign-in, renewable), and the administrator's reset of a professional's second factor."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from kernteam.models import AccessLogEntry
from kernteam.second_factor import issue_enrolment_link
from tests.helpers import set_up, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def second_factor_required(settings):
    settings.KERNTEAM_REQUIRE_2FA = True


def enrolled(client, user) -> list[str]:
    """Sign in, open the link, set up the app; returns the recovery codes shown."""
    sign_in(client, user)
    client.get(reverse("enrolment_link", args=[issue_enrolment_link(user=user)]))
    set_up(client, user)
    page = client.get(reverse("recovery_codes")).content.decode()
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)


def test_ten_codes_are_shown_once_after_setting_up_the_app(client, daalhof):
    codes = enrolled(client, daalhof.district_nurse)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get(reverse("recovery_codes")).content.decode()
    assert not any(code in again for code in codes)
    assert "U heeft nog 10 ongebruikte herstelcodes." in again


def test_a_recovery_code_signs_in_once(client, daalhof):
    nurse = daalhof.district_nurse
    codes = enrolled(client, nurse)
    client.logout()
    sign_in(client, nurse)
    prompt = client.get(reverse("two_factor")).content.decode()
    assert "Telefoon kwijt? Gebruik een herstelcode" in prompt
    board = reverse("board", args=["daalhof"])
    used = client.post(
        f"{reverse('recovery_code')}?next={board}",
        {"code": codes[3].upper()[:4] + " " + codes[3][4:]},
    )
    assert used.status_code == 302 and used.url == board
    assert client.get(board).status_code == 200
    entry = AccessLogEntry.objects.get(what="recovery-code-used")
    assert (entry.user, entry.resident) == (nurse, None)

    client.logout()
    sign_in(client, nurse)
    refused = client.post(reverse("recovery_code"), {"code": codes[3]})
    assert "Deze herstelcode klopt niet, of is al gebruikt." in refused.content.decode()
    assert client.get(board).status_code == 302  # still owes the second factor


def test_new_codes_void_the_old_ones(client, daalhof):
    nurse = daalhof.district_nurse
    old = enrolled(client, nurse)
    made = client.post(reverse("recovery_codes"))
    assert made.status_code == 302
    page = client.get(made.url).content.decode()
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    client.logout()
    sign_in(client, nurse)
    refused = client.post(reverse("recovery_code"), {"code": old[0]})
    assert "Deze herstelcode klopt niet" in refused.content.decode()
    StaticDevice.objects.get(user=nurse).throttle_reset()  # (as if she waited a moment)
    assert client.post(reverse("recovery_code"), {"code": new[0]}).status_code == 302


def test_only_a_verified_session_sees_or_makes_codes(client, daalhof):
    nurse = daalhof.district_nurse
    enrolled(client, nurse)
    client.logout()
    sign_in(client, nurse)  # password only
    for response in (client.get(reverse("recovery_codes")), client.post(reverse("recovery_codes"))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor"))
    assert StaticDevice.objects.get(user=nurse).token_set.count() == 10


def test_guessing_recovery_codes_is_slowed_down(client, daalhof):
    nurse = daalhof.district_nurse
    codes = enrolled(client, nurse)
    client.logout()
    sign_in(client, nurse)
    client.post(reverse("recovery_code"), {"code": "aaaaaaaa"})
    right_too_soon = client.post(reverse("recovery_code"), {"code": codes[0]})
    assert "Te veel foute codes" in right_too_soon.content.decode()


def _admin_client(client_class):
    from tests.factories import UserFactory

    admin = UserFactory(username="beheer", is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    client = client_class()
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return admin, client


def test_the_administrators_reset_makes_her_enrol_again(client, daalhof):
    from django.test import Client

    nurse = daalhof.district_nurse
    enrolled(client, nurse)
    board = reverse("board", args=["daalhof"])
    assert client.get(board).status_code == 200
    admin, admin_client = _admin_client(Client)
    chosen = {"action": "reset_second_factors", "_selected_action": [nurse.pk]}
    asked = admin_client.post(reverse("admin:auth_user_changelist"), chosen)
    assert asked.status_code == 200  # first a confirmation page; nothing is reset yet
    assert "Weet u het zeker?" in asked.text and nurse.username in asked.text
    assert "worden verwijderd" in asked.text
    assert TOTPDevice.objects.filter(user=nurse).exists()
    assert client.get(board).status_code == 200
    reset = admin_client.post(reverse("admin:auth_user_changelist"), {**chosen, "post": "yes"})
    assert reset.status_code == 302
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    # her session verified with the removed app owes the second factor again, and without a
    # new link she cannot set one up
    assert client.get(board).status_code == 302
    page = client.get(reverse("two_factor"))
    assert page.status_code == 403 and "<svg" not in page.content.decode()

    entry = AccessLogEntry.objects.get(what=f"second-factor-reset: {nurse.username}")
    assert (entry.user, entry.role, entry.resident) == (admin, "admin", None)
    history = LogEntry.objects.get(user=admin, object_id=str(nurse.pk))
    assert history.get_change_message() == "Authenticator app and recovery codes reset."


def test_the_header_leads_a_verified_professional_to_the_recovery_codes(client, daalhof):
    nurse = daalhof.district_nurse
    link = f'href="{reverse("recovery_codes")}"'
    sign_in(client, nurse)
    assert link not in client.get(reverse("two_factor")).content.decode()  # not verified yet
    enrolled(client, nurse)
    assert link in client.get(reverse("board", args=["daalhof"])).content.decode()


def test_without_recovery_codes_the_page_says_so(client, daalhof):
    nurse = daalhof.district_nurse
    enrolled(client, nurse)
    StaticDevice.objects.filter(user=nurse).delete()  # (as before recovery codes existed)
    client.logout()
    sign_in(client, nurse)
    refused = client.post(reverse("recovery_code"), {"code": "aaaaaaaa"}).content.decode()
    assert (
        "U heeft geen herstelcodes. Log in met de code uit de app, of vraag de beheerder om uw "
        "authenticator-app te resetten." in refused
    )
    assert "Probeer de nieuwe" not in refused


def test_the_pages_with_the_secret_or_the_codes_are_never_cached(client, daalhof):
    nurse = daalhof.district_nurse
    sign_in(client, nurse)
    client.get(reverse("enrolment_link", args=[issue_enrolment_link(user=nurse)]))
    secret = client.get(reverse("two_factor"))
    assert "otpauth" in secret.content.decode()
    assert {"no-store", "private"} <= set(secret["Cache-Control"].replace(" ", "").split(","))
    set_up(client, nurse)
    codes = client.get(reverse("recovery_codes"))
    assert re.search(r"<li><code>[a-z2-7]{8}</code></li>", codes.content.decode())
    assert {"no-store", "private"} <= set(codes["Cache-Control"].replace(" ", "").split(","))
