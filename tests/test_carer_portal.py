"""The carers' portal: Thea sees what was agreed for her father, in plain Dutch, and nothing
else; she ticks off her own actions and raises a concern. Invitations work once, for a week."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from clients.models import CarerInvitation, Concern
from clients.services import invite_carer, record_consent, withdraw_consent
from steps.models import AgreedAction
from tests.factories import carer_for, score

SHARING = ["gp", "poh", "district_nurse", "welfare", "coordinator"]


@pytest.fixture
def ramakers(daalhof, resident_in):
    """Mijnheer Ramakers, step 2, coordinated by the POH; consent shares with carers."""
    resident = resident_in("step2", consent=False, last_name="Ramakers", coordinator=daalhof.poh)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=SHARING,
        share_with_carers=True,
    )
    daalhof.team.memberships.filter(user=daalhof.poh).update(phone="043 123 45 67")
    resident.trajectory.review_due = next_first_of_march()
    resident.trajectory.save(update_fields=["review_due"])
    score(resident, "gfi", 7, daalhof.poh)
    return resident


@pytest.fixture
def thea_carer(ramakers):
    carer = carer_for(ramakers, username="thea")
    carer.email = "thea.ramakers@example.nl"
    carer.save()
    return carer


def next_first_of_march() -> datetime.date:
    """A review date some months ahead, whatever the day the test runs."""
    return datetime.date(timezone.localdate().year + 1, 3, 1)


def action(resident, by, description, *, carer=None, shared=True, days=7):
    return AgreedAction.objects.create(
        resident=resident,
        description=description,
        created_by=by,
        owner_carer=carer,
        owner_member=None if carer else by,
        shared_with_carers=shared,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
    )


@pytest.fixture
def portal(client, thea_carer):
    client.force_login(thea_carer.user)
    return client


def test_thea_sees_what_was_agreed_in_plain_dutch(portal, daalhof, ramakers, thea_carer):
    action(ramakers, daalhof.poh, "Personenalarmering aanvragen", carer=thea_carer)
    action(ramakers, daalhof.district_nurse, "Huisbezoek valrisico")
    action(ramakers, daalhof.gp, "Medicatie herzien (intern)", shared=False)
    html = portal.get(reverse("carer_portal")).content.decode()
    assert "Stap 2 · Gecoördineerde zorg" in html
    assert "Uw naaste heeft meer hulp nodig." in html
    assert "Personenalarmering aanvragen" in html and "Dit doet u" in html
    assert "Huisbezoek valrisico" in html
    assert escape(daalhof.poh.get_full_name()) in html and "043 123 45 67" in html
    year = next_first_of_march().year
    assert f"Het team bespreekt uw naaste weer vóór 1 maart {year}." in html
    # never scores, unshared actions or other carers
    assert "Medicatie herzien" not in html and "kwetsbaar" not in html
    assert not re.search(r"\bGFI\b", html)  # (as a word: a CSRF token may hold the letters)


def test_thea_ticks_off_her_own_action_only(portal, daalhof, ramakers, thea_carer):
    hers = action(ramakers, daalhof.poh, "Personenalarmering aanvragen", carer=thea_carer)
    nurses = action(ramakers, daalhof.district_nurse, "Huisbezoek valrisico")
    portal.post(reverse("carer_action_done", args=[hers.pk]))
    portal.post(reverse("carer_action_done", args=[nurses.pk]))
    hers.refresh_from_db()
    nurses.refresh_from_db()
    assert (hers.status, hers.done_by) == ("done", thea_carer.user)
    assert nurses.status == "open"


def test_thea_raises_a_concern_that_the_team_sees(portal, daalhof, ramakers, thea_carer):
    response = portal.post(
        reverse("carer_concern", args=[ramakers.pk]),
        {"text": "Vader lijkt verwarder sinds vorige week"},
        follow=True,
    )
    assert "Het team heeft uw bericht" in response.content.decode()
    concern = Concern.objects.get()
    assert (concern.carer, concern.resident, concern.recorded_by) == (
        thea_carer,
        ramakers,
        thea_carer.user,
    )


def test_without_consent_to_share_with_carers_thea_sees_nothing(
    portal, daalhof, ramakers, thea_carer
):
    withdraw_consent(resident=ramakers, by=daalhof.gp)
    html = portal.get(reverse("carer_portal")).content.decode()
    assert "Ramakers" not in html and "Er is op dit moment niets" in html
    concern = portal.post(reverse("carer_concern", args=[ramakers.pk]), {"text": "x"})
    assert concern.status_code == 404


def test_a_carer_never_reaches_the_professional_pages(portal, ramakers):
    for url in (
        reverse("resident", args=[ramakers.pk]),
        reverse("board", args=["daalhof"]),
        reverse("resident_moves", args=[ramakers.pk]),
    ):
        assert portal.get(url).status_code == 404
    assert portal.get(reverse("home")).url == reverse("carer_portal")


def test_another_carer_sees_only_their_own_family(client, daalhof, ramakers, resident_in):
    other = resident_in("step1", last_name="Peters")
    record_consent(
        resident=other,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=SHARING,
        share_with_carers=True,
    )
    neighbour = carer_for(other, username="buurman")
    client.force_login(neighbour.user)
    html = client.get(reverse("carer_portal")).content.decode()
    assert "Peters" in html and "Ramakers" not in html
    assert (
        client.post(reverse("carer_concern", args=[ramakers.pk]), {"text": "x"}).status_code == 404
    )


def test_the_poh_invites_thea_by_email_and_the_link_works_once(client, daalhof, ramakers):
    carer = carer_for(ramakers)  # no account yet
    carer.email = "thea@example.nl"
    carer.save()
    client.force_login(daalhof.poh)
    response = client.post(
        reverse("carer_invite", args=[ramakers.pk, carer.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Uitnodiging verstuurd naar thea@example.nl." in response.content.decode()
    [email] = mail.outbox
    assert email.to == ["thea@example.nl"] and "Beste Thea" in email.body
    link = re.search(r"http://testserver(/mantelzorg/uitnodiging/\S+/)", email.body)[1]
    invitation = CarerInvitation.objects.get()
    assert invitation.token_hash not in email.body  # only the hash is stored

    client.logout()
    weak = client.post(link, {"new_password1": "1234", "new_password2": "1234"})
    assert "Dit wachtwoord bevat alleen cijfers." in weak.content.decode()
    done = client.post(
        link, {"new_password1": "Zonnebloem-2026", "new_password2": "Zonnebloem-2026"}
    )
    assert done.url == reverse("carer_portal")
    assert "Ramakers" in client.get(reverse("carer_portal")).content.decode()
    client.logout()
    assert client.get(link).status_code == 410  # used up
    signed_in = client.post(
        reverse("login"), {"username": "thea@example.nl", "password": "Zonnebloem-2026"}
    )
    assert signed_in.status_code == 302  # from now on, with her email address


def test_a_mail_server_that_is_away_fails_no_request_and_the_earlier_invitation_works(
    client, daalhof, ramakers, monkeypatch
):
    carer = carer_for(ramakers)
    carer.email = "thea@example.nl"
    carer.save()
    client.force_login(daalhof.poh)
    url = reverse("carer_invite", args=[ramakers.pk, carer.pk])
    client.post(url, HTTP_HX_REQUEST="true")
    [earlier] = mail.outbox

    def away(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("frontend.carer_views.send_mail", away)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert (
        "De e-mail aan thea@example.nl kon niet worden verstuurd (ConnectionRefusedError), "
        "dus er is geen uitnodiging verstuurd. Probeer het later opnieuw."
    ) in response.content.decode()
    assert [i.usable for i in CarerInvitation.objects.order_by("pk")] == [True, False]
    link = re.search(r"http://testserver(/mantelzorg/uitnodiging/\S+/)", earlier.body)[1]
    client.logout()
    assert client.get(link).status_code == 200  # the earlier link still works


def test_an_invitation_expires_after_a_week(client, daalhof, ramakers):
    carer = carer_for(ramakers)
    carer.email = "thea@example.nl"
    carer.save()
    token = invite_carer(resident=ramakers, carer=carer, by=daalhof.poh)
    CarerInvitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(reverse("carer_accept", args=[token]))
    assert response.status_code == 410 and "Deze link werkt niet meer" in response.content.decode()
    assert client.get(reverse("carer_accept", args=["verzonnen"])).status_code == 410


def test_another_team_cannot_invite(client, malberg, ramakers, thea_carer):
    client.force_login(malberg.poh)
    response = client.post(reverse("carer_invite", args=[ramakers.pk, thea_carer.pk]))
    assert response.status_code == 404 and not mail.outbox
