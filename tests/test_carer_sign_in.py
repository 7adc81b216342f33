"""Carers sign in with their e-mail address, whatever its capitals, as the invitation promises
("Daarna logt u in met uw e-mailadres"); professionals keep their usernames. Throttling counts
an address and its account as one name; the second factor depends on the account, not on how
one signed in. Invitations come from the configured sender; password refusals are Dutch."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import Carer
from clients.services import (
    AddressInUse,
    accept_invitation,
    invitation_for,
    invite_carer,
    record_consent,
)
from kernteam.roles import Role
from tests.factories import MembershipFactory, carer_for
from tests.helpers import PRODUCTION, race, run_manage

pytestmark = pytest.mark.django_db

PASSWORD = "Zonnebloem-2026"
WRONG = "Zonnebloem-2025"
ADDRESS = "thea.ramakers@example.nl"
HERE = "192.0.2.10"
IN_USE = "Een ander account gebruikt het e-mailadres {} al, dus u kunt er hier niet mee inloggen."


@pytest.fixture
def ramakers(resident_in, daalhof):
    resident = resident_in("step2", last_name="Ramakers")
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    return resident


@pytest.fixture
def thea_carer(ramakers):
    """Thea, whose account's username is not her address (as the demo's "thea")."""
    carer = carer_for(ramakers, username="thea")
    carer.email = ADDRESS
    carer.save()
    carer.user.set_password(PASSWORD)
    carer.user.save()
    return carer


def sign_in(client, name: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": name, "password": password}, REMOTE_ADDR=HERE)


@pytest.mark.parametrize("typed", [ADDRESS, "Thea.Ramakers@Example.NL", f"  {ADDRESS.upper()} "])
def test_thea_signs_in_with_her_address_whatever_its_capitals(client, thea_carer, typed):
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(thea_carer.user.pk)
    assert client.get(response.url).url == reverse("carer_portal")


def test_an_invited_carer_signs_in_with_her_address_after_setting_a_password(
    client, daalhof, ramakers
):
    carer = carer_for(ramakers)
    carer.email = "Thea.Ramakers@Example.nl"
    carer.save()
    token = invite_carer(resident=ramakers, carer=carer, by=daalhof.poh)
    client.post(
        reverse("carer_accept", args=[token]),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    client.logout()
    assert sign_in(client, "THEA.RAMAKERS@EXAMPLE.NL").status_code == 302


def test_a_wrong_password_is_refused_in_words_that_fit_an_address(client, thea_carer):
    response = sign_in(client, ADDRESS, WRONG)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        "Dit e-mailadres of deze gebruikersnaam hoort niet bij dit wachtwoord. Let op "
        "hoofdletters in het wachtwoord." in response.content.decode()
    )
    # counted under her account's name, however the address was spelled
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("thea", 1)
    ]


def test_the_sign_in_page_asks_for_an_address_or_a_username(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">E-mailadres of gebruikersnaam</label>' in html
    assert 'autocapitalize="none"' in html


def test_professionals_keep_their_usernames_and_not_their_addresses(client, daalhof):
    nurse = daalhof.district_nurse
    nurse.email = "wijkverpleging@example.nl"
    nurse.set_password(PASSWORD)
    nurse.save()
    assert sign_in(client, "wijkverpleging@example.nl").status_code == 200
    assert "_auth_user_id" not in client.session
    assert sign_in(client, nurse.username).status_code == 302


def test_the_database_keeps_her_address_to_one_account(client, thea_carer, resident_in):
    """Her address in other capitals cannot sign in another carer's account too (it would sign
    in neither): the database refuses, and the admin says why. A carer without an account may
    share it (a couple's address)."""
    other = carer_for(resident_in("step1", last_name="Peters"), username="annie")
    other.email = ADDRESS.upper()
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()
    with pytest.raises(ValidationError) as refused:
        other.full_clean()
    assert refused.value.messages == [
        "Een andere mantelzorger met een account logt al in met dit e-mailadres."
    ]
    partner = carer_for(resident_in("step1", last_name="Maas"))
    partner.email = ADDRESS.upper()
    partner.save()
    assert sign_in(client, ADDRESS.upper()).status_code == 302
    assert client.session["_auth_user_id"] == str(thea_carer.user.pk)


def test_an_account_not_named_by_her_address_still_keeps_it(client, daalhof, thea_carer, ramakers):
    """Thea's account is called "thea" (as in the demo). Annie, invited with her own address
    that the administrator then changed to Thea's, is told the address is in use; nothing is
    half made, and her invitation works once she has an address of her own."""
    annie = carer_for(ramakers)
    annie.email = "annie@example.nl"
    annie.save()
    token = invite_carer(resident=ramakers, carer=annie, by=daalhof.poh)
    annie.email = "Thea.Ramakers@Example.nl"
    annie.save()
    accounts = get_user_model().objects.count()
    link = reverse("carer_accept", args=[token])
    refused = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert refused.status_code == 409
    assert IN_USE.format("Thea.Ramakers@Example.nl") in refused.content.decode()
    assert "_auth_user_id" not in client.session
    annie.refresh_from_db()
    assert annie.user is None and invitation_for(token) is not None
    assert get_user_model().objects.count() == accounts
    assert sign_in(client, ADDRESS).status_code == 302  # still Thea's
    assert client.session["_auth_user_id"] == str(thea_carer.user.pk)
    client.logout()

    annie.email = "annie@example.nl"
    annie.save()
    accepted = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert accepted.status_code == 302 and accepted.url == reverse("carer_portal")
    annie.refresh_from_db()
    assert annie.user.username == "annie@example.nl"


@pytest.mark.django_db(transaction=True)
def test_two_acceptances_with_one_address_at_the_same_moment(client, daalhof, ramakers):
    """Two carers, one address in two spellings (the administrator changed one after the
    invitations went out), accept at the same moment: one account, and the other carer is
    told the address is in use; her invitation still works once she has another address."""
    carers, tokens = [], []
    for first, address in (("Thea", "thea@example.nl"), ("Annie", "annie@example.nl")):
        carer = carer_for(ramakers)
        carer.first_name, carer.email = first, address
        carer.save()
        carers.append(carer)
        tokens.append(invite_carer(resident=ramakers, carer=carer, by=daalhof.poh))
    carers[1].email = "Thea@Example.NL"
    carers[1].save()
    invitations = [invitation_for(token) for token in tokens]

    results = race(2, lambda i: accept_invitation(invitation=invitations[i], password=PASSWORD))

    [won] = [i for i, result in enumerate(results) if not isinstance(result, Exception)]
    [lost] = [i for i, result in enumerate(results) if isinstance(result, AddressInUse)]
    assert Carer.objects.filter(user__isnull=False).count() == 1
    assert get_user_model().objects.filter(email__iexact="thea@example.nl").count() == 1
    loser = Carer.objects.get(pk=carers[lost].pk)
    assert loser.user is None and invitation_for(tokens[lost]) is not None
    assert invitation_for(tokens[won]) is None  # used
    link = reverse("carer_accept", args=[tokens[lost]])
    page = client.get(link)
    assert page.status_code == 409
    assert IN_USE.format(loser.email) in page.content.decode()

    loser.email = "annie@example.nl"
    loser.save()
    accepted = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert accepted.status_code == 302 and accepted.url == reverse("carer_portal")
    client.logout()
    assert sign_in(client, "thea@example.nl").status_code == 302
    assert client.session["_auth_user_id"] == str(results[won].pk)


def test_throttling_counts_every_spelling_of_her_address_as_one_name(client, thea_carer):
    spellings = [ADDRESS, ADDRESS.upper(), "Thea.Ramakers@example.nl", "thea", ADDRESS]
    for typed in spellings[: settings.KERNTEAM_LOGIN_ATTEMPTS - 1]:
        assert sign_in(client, typed, WRONG).status_code == 200
    blocked = sign_in(client, spellings[-1], WRONG)
    assert blocked.status_code == 429
    assert "Inloggen tijdelijk geblokkeerd" in blocked.content.decode()
    # now even the right password, by address or by username, is refused from here
    assert sign_in(client, ADDRESS, PASSWORD).status_code == 429
    assert sign_in(client, "thea", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_unknown_address_is_throttled_too(client):
    for _ in range(settings.KERNTEAM_LOGIN_ATTEMPTS - 1):
        assert sign_in(client, "Niemand@Example.nl", WRONG).status_code == 200
    assert sign_in(client, "niemand@example.nl", WRONG).status_code == 429


def test_a_success_clears_the_failures_made_with_her_address(client, thea_carer):
    for _ in range(settings.KERNTEAM_LOGIN_ATTEMPTS - 1):
        sign_in(client, ADDRESS.upper(), WRONG)
    assert sign_in(client, ADDRESS).status_code == 302
    client.logout()
    for _ in range(settings.KERNTEAM_LOGIN_ATTEMPTS - 1):
        assert sign_in(client, ADDRESS, WRONG).status_code == 200


def test_a_carer_is_not_asked_for_a_second_factor_but_a_member_still_is(
    client, settings, daalhof, thea_carer
):
    settings.KERNTEAM_REQUIRE_2FA = True
    sign_in(client, ADDRESS)
    assert client.get(reverse("carer_portal")).status_code == 200
    client.logout()
    # a member of a team who is also a carer: her address does not skip the code
    MembershipFactory(team=daalhof.team, user=thea_carer.user, role=Role.WELFARE)
    sign_in(client, ADDRESS)
    page = client.get(reverse("carer_portal"))
    assert page.status_code == 302 and page.url.startswith(reverse("two_factor"))


def test_password_refusals_on_the_invitation_page_are_dutch(client, daalhof, ramakers):
    carer = carer_for(ramakers)
    carer.email = ADDRESS
    carer.save()
    token = invite_carer(resident=ramakers, carer=carer, by=daalhof.poh)
    url = reverse("carer_accept", args=[token])
    cases = {
        "kort": "Dit wachtwoord is te kort: het moet minstens 10 tekens lang zijn.",
        "thea.ramakers.example": "Het wachtwoord lijkt te veel op uw e-mailadres.",
        "1234567890": "Dit wachtwoord bevat alleen cijfers.",
        "password123": "Dit wachtwoord is te algemeen.",
    }
    for password, refusal in cases.items():
        html = client.post(url, {"new_password1": password, "new_password2": password})
        assert refusal in html.content.decode(), password
    mismatch = client.post(url, {"new_password1": PASSWORD, "new_password2": WRONG})
    assert "De twee wachtwoordvelden komen niet overeen." in mismatch.content.decode()
    carer.refresh_from_db()
    assert carer.user is None


def test_mail_comes_from_a_configured_sender():
    assert settings.DEFAULT_FROM_EMAIL == "Kernteam <noreply@kernteam.localhost>"
    shown = "from django.conf import settings; print(settings.DEFAULT_FROM_EMAIL)"
    production = run_manage("shell", "-c", shown, env=PRODUCTION)
    assert production.stdout.strip().splitlines()[-1] == "Kernteam <noreply@kernteam.example.nl>", (
        production.stderr
    )
    chosen = run_manage(
        "shell", "-c", shown, env={**PRODUCTION, "DEFAULT_FROM_EMAIL": "zorg@daalhof.nl"}
    )
    assert chosen.stdout.strip().splitlines()[-1] == "zorg@daalhof.nl", chosen.stderr


def test_a_professionals_address_is_refused_when_the_carer_is_invited(daalhof, ramakers):
    """One address, one account (kernteam migration 0013): a carer recorded with the address of
    a member's account is refused when she is invited, with the reason, rather than sent an
    invitation she could never accept."""
    daalhof.district_nurse.email = "w.janssen@wijkzorg.example.nl"
    daalhof.district_nurse.save()
    carer = carer_for(ramakers)
    carer.email = "W.Janssen@Wijkzorg.example.nl"
    carer.save()
    with pytest.raises(AddressInUse) as refused:
        invite_carer(resident=ramakers, carer=carer, by=daalhof.poh)
    assert "gebruikt het e-mailadres W.Janssen@Wijkzorg.example.nl al" in str(refused.value)
    assert not carer.invitations.exists()
