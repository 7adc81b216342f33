"""Sign-in throttling across names: one address trying many names is blocked after 20 failures
(KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS), for every name; a name is still blocked at one address
after 5 (tests/test_security.py). Colleagues behind one address may mistype now and then."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

GUESSER = "203.0.113.9"
ELSEWHERE = "198.51.100.4"


def attempt(client, username: str, password: str, address: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def nurse(daalhof):
    user = daalhof.district_nurse
    user.set_password("juist-wachtwoord-1")
    user.save()
    return user


def test_many_names_from_one_address_block_that_address(client, nurse):
    for i in range(19):
        assert attempt(client, f"naam{i}", "fout", GUESSER).status_code == 200
    blocked = attempt(client, "naam19", "fout", GUESSER)
    assert blocked.status_code == 429
    assert "Inloggen tijdelijk geblokkeerd" in blocked.content.decode()
    assert "Probeer het over 15 minuten opnieuw" in blocked.content.decode()  # (not "even")
    # every name, even with the right password, from that address
    assert attempt(client, nurse.username, "juist-wachtwoord-1", GUESSER).status_code == 429
    assert "_auth_user_id" not in client.session
    # a different address is not blocked
    assert attempt(client, nurse.username, "juist-wachtwoord-1", ELSEWHERE).status_code == 302


def test_colleagues_mistyping_behind_one_address_block_nobody(client, nurse, daalhof):
    colleagues = (daalhof.gp, daalhof.poh, daalhof.welfare, daalhof.coordinator)
    for user in colleagues:
        for _ in range(4):  # each a few typos, under both limits
            assert attempt(client, user.username, "fout", GUESSER).status_code == 200
    assert attempt(client, nurse.username, "juist-wachtwoord-1", GUESSER).status_code == 302
    client.logout()
    # yet they count: four more failures make the address's 20
    for _ in range(3):
        assert attempt(client, nurse.username, "fout", GUESSER).status_code == 200
    assert attempt(client, nurse.username, "fout", GUESSER).status_code == 429


def test_a_valid_account_does_not_clear_the_addresss_count(client, nurse):
    for i in range(15):
        attempt(client, f"naam{i}", "fout", GUESSER)
    assert attempt(client, nurse.username, "juist-wachtwoord-1", GUESSER).status_code == 302
    client.logout()
    for i in range(15, 19):
        assert attempt(client, f"naam{i}", "fout", GUESSER).status_code == 200
    assert attempt(client, "naam19", "fout", GUESSER).status_code == 429


def test_the_limit_per_address_is_a_setting(client, nurse, settings):
    settings.KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS = 8
    for i in range(7):
        assert attempt(client, f"naam{i}", "fout", GUESSER).status_code == 200
    assert attempt(client, "naam7", "fout", GUESSER).status_code == 429
