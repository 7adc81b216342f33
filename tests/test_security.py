"""Sign-in and browser hardening: throttled sign-in, sessions that end, strict CSP, strong
passwords."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failed_sign_ins_block_the_name_from_that_address(client, daalhof):
    nurse = daalhof.district_nurse
    nurse.set_password("juist-wachtwoord-1")
    nurse.save()
    for _ in range(4):
        assert sign_in(client, nurse.username, "fout").status_code == 200  # the form again
    blocked = sign_in(client, nurse.username, "fout")
    assert blocked.status_code == 429
    assert "Inloggen tijdelijk geblokkeerd" in blocked.content.decode()
    # even the right password is refused while blocked
    assert sign_in(client, nurse.username, "juist-wachtwoord-1").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_count(client, daalhof):
    nurse = daalhof.district_nurse
    nurse.set_password("juist-wachtwoord-1")
    nurse.save()
    for _ in range(4):
        sign_in(client, nurse.username, "fout")
    assert sign_in(client, nurse.username, "juist-wachtwoord-1").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, nurse.username, "fout").status_code == 200


def test_sessions_end_after_half_an_hour_without_activity(client, daalhof):
    client.force_login(daalhof.poh)
    response = client.get(reverse("home"))
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request renews the half hour
    assert client.session.get_expiry_age() == 30 * 60
    assert client.session.get_expire_at_browser_close()
    assert response.status_code == 200


def test_every_page_forbids_inline_script_and_other_origins(client, daalhof):
    client.force_login(daalhof.poh)
    policy = client.get(reverse("board", args=["daalhof"]))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy


@pytest.mark.parametrize("weak", ["kernteam", "1234567890", "wachtwoord"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)
