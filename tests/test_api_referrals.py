"""The API of local offers and referrals (issue 18 §2): a team's catalogue, referring a resident,
recording the status and the provider's feedback; refusals as field errors (400), 403 and 404;
every read and write in the access log."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from kernteam.models import AccessLogEntry, shown_date
from kernteam.roles import PROGRAMME_OFFICE
from steps.referral_services import create_offer, end_offer
from steps.referrals import OfferKind, Referral
from tests.factories import UserFactory
from tests.helpers import API, api_as

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def janssen(resident_in):
    return resident_in("step2", last_name="Janssen")


@pytest.fixture
def meals(daalhof):
    return create_offer(
        by=daalhof.coordinator,
        team=daalhof.team,
        name="Tafeltje-dek-je Daalhof",
        kind=OfferKind.MEALS,
        provider="Envida Tafeltje-dek-je",
        contact="043 555 12 34",
    )


def body(offer, owner, **extra) -> dict:
    return {
        "offer": offer.pk,
        "owner_member": owner.pk,
        "due_on": (today() + datetime.timedelta(days=14)).isoformat(),
        **extra,
    }


def test_a_member_lists_her_teams_offers_and_the_regions(daalhof, malberg, meals):
    create_offer(
        by=malberg.coordinator,
        team=malberg.team,
        name="Klussendienst Malberg",
        kind="odd_jobs",
        provider="Vrijwilligers",
    )
    answer = api_as(daalhof.welfare).get(f"{API}/teams/{daalhof.team.slug}/offers/")
    assert answer.status_code == 200
    assert [(o["name"], o["team"], o["running"]) for o in answer.json()] == [
        ("Tafeltje-dek-je Daalhof", daalhof.team.slug, True)
    ]
    assert answer.json()[0]["kind_label"] == "maaltijden"
    assert (
        api_as(malberg.welfare).get(f"{API}/teams/{daalhof.team.slug}/offers/").status_code == 404
    )


def test_from_proposal_to_feedback_through_the_api(daalhof, janssen, meals):
    client = api_as(daalhof.welfare)
    made = client.post(
        f"{API}/residents/{janssen.pk}/referrals/",
        body(meals, daalhof.welfare, shared_with_carers=True, note="Warm eten"),
        format="json",
    )
    assert made.status_code == 201, made.json()
    referral = made.json()
    assert (referral["status"], referral["status_label"], referral["action_status"]) == (
        "proposed",
        "voorgesteld",
        "open",
    )
    assert referral["offer"]["name"] == "Tafeltje-dek-je Daalhof"
    assert referral["owner"] == {"id": daalhof.welfare.pk, "name": referral["owner"]["name"]}
    assert referral["feedback_due_on"] == (today() + datetime.timedelta(days=42)).isoformat()
    url = f"{API}/referrals/{referral['id']}/updates/"
    registered = client.post(url, {"status": "registered"}, format="json")
    assert registered.status_code == 201
    assert (registered.json()["status"], registered.json()["action_status"]) == (
        "registered",
        "done",
    )
    started = client.post(
        url,
        {"status": "started", "feedback": "Eet drie keer per week", "feedback_on": None},
        format="json",
    ).json()
    assert (started["feedback"], started["feedback_on"]) == (
        "Eet drie keer per week",
        today().isoformat(),
    )
    assert [u["status"] for u in client.get(url).json()] == ["proposed", "registered", "started"]
    listed = client.get(f"{API}/residents/{janssen.pk}/referrals/").json()
    assert [r["status"] for r in listed] == ["started"]


def test_bad_input_and_refusals_are_field_errors_and_save_nothing(daalhof, malberg, janssen, meals):
    client = api_as(daalhof.welfare)
    url = f"{API}/residents/{janssen.pk}/referrals/"
    theirs = create_offer(
        by=malberg.coordinator,
        team=malberg.team,
        name="Tafeltje-dek-je Malberg",
        kind="meals",
        provider="Envida",
    )
    answer = client.post(url, body(theirs, daalhof.welfare), format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "offer": [
            "Dit aanbod hoort bij de wijk van een ander kernteam: kies aanbod uit uw eigen wijk "
            "of uit de regio."
        ]
    }
    answer = client.post(url, {**body(meals, daalhof.welfare), "offer": 999999}, format="json")
    assert answer.json() == {"offer": ["Kies een aanbod uit de sociale kaart."]}
    answer = client.post(url, body(meals, malberg.welfare), format="json")
    assert answer.json() == {
        "owner_member": ["Wie het doet moet lid zijn van het kernteam van de cliënt."]
    }
    answer = client.post(url, body(meals, daalhof.welfare, shared_with_carers="ja"), format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["shared_with_carers"]
    answer = client.post(url, {"offer": "x", "due_on": "morgen"}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"offer", "owner_member", "due_on"}
    end_offer(offer=meals, by=daalhof.coordinator)
    answer = client.post(url, body(meals, daalhof.welfare), format="json")
    assert answer.json() == {
        "offer": [
            f"Dit aanbod is beëindigd op {shown_date(today())}: er kan niemand meer naar "
            "verwezen worden."
        ]
    }
    assert not Referral.objects.exists()


def test_an_update_that_does_not_fit_answers_400_by_field(daalhof, janssen, meals):
    client = api_as(daalhof.welfare)
    made = client.post(
        f"{API}/residents/{janssen.pk}/referrals/", body(meals, daalhof.welfare), format="json"
    ).json()
    url = f"{API}/referrals/{made['id']}/updates/"
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    answer = client.post(url, {"status": "started", "feedback_on": tomorrow}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "feedback": ["Schrijf op wat de aanbieder terugkoppelde, of laat de datum leeg."],
        "feedback_on": ["De terugkoppeling kan niet in de toekomst ontvangen zijn."],
    }
    answer = client.post(url, {"status": "proposed"}, format="json")
    assert answer.json() == {
        "status": [
            "Er is niets veranderd: kies een andere status of leg de terugkoppeling van de "
            "aanbieder vast."
        ]
    }
    answer = client.post(url, {"status": "gestart"}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["status"]
    answer = client.post(url, {"status": "started", "feedback": 12}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["feedback"]
    assert Referral.objects.get().updates.count() == 1


def test_someone_off_the_team_gets_404_and_the_programme_office_403(
    daalhof, malberg, janssen, meals
):
    made = api_as(daalhof.welfare).post(
        f"{API}/residents/{janssen.pk}/referrals/", body(meals, daalhof.welfare), format="json"
    )
    pk = made.json()["id"]
    other = api_as(malberg.welfare)
    assert other.get(f"{API}/residents/{janssen.pk}/referrals/").status_code == 404
    assert (
        other.post(
            f"{API}/residents/{janssen.pk}/referrals/", body(meals, malberg.welfare), format="json"
        ).status_code
        == 404
    )
    assert (
        other.post(f"{API}/referrals/{pk}/updates/", {"status": "started"}, format="json")
    ).status_code == 404
    assert not AccessLogEntry.objects.filter(user=malberg.welfare).exists()
    assert api_as(None).get(f"{API}/residents/{janssen.pk}/referrals/").status_code == 401
    office = UserFactory(username="programmabureau")
    office.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICE)[0])
    answer = api_as(office).get(f"{API}/teams/{daalhof.team.slug}/offers/")
    assert answer.status_code == 403
    assert answer.json() == {"detail": "De API is voor leden van een kernteam."}


def test_reads_and_writes_of_referrals_are_in_the_access_log(daalhof, janssen, meals):
    client = api_as(daalhof.welfare)
    url = f"{API}/residents/{janssen.pk}/referrals/"
    made = client.post(url, body(meals, daalhof.welfare), format="json").json()
    client.get(url)
    updates = f"{API}/referrals/{made['id']}/updates/"
    client.post(updates, {"status": "registered"}, format="json")
    client.get(updates)
    client.post(updates, {"status": "registered"}, format="json")  # refused: a read
    rows = list(
        AccessLogEntry.objects.filter(resident=janssen, user=daalhof.welfare)
        .order_by("pk")
        .values_list("path", "action", "role")
    )
    assert rows == [
        (url, "write", "welfare"),
        (url, "read", "welfare"),
        (updates, "write", "welfare"),
        (updates, "read", "welfare"),
        (updates, "read", "welfare"),
    ]


def test_a_status_recorded_meanwhile_answers_409_and_saves_nothing(daalhof, janssen, meals):
    client = api_as(daalhof.welfare)
    made = client.post(
        f"{API}/residents/{janssen.pk}/referrals/", body(meals, daalhof.welfare), format="json"
    ).json()
    url = f"{API}/referrals/{made['id']}/updates/"
    first = api_as(daalhof.poh).post(
        url, {"status": "started", "expected_status": "proposed"}, format="json"
    )
    assert first.status_code == 201
    late = client.post(
        url,
        {"status": "started", "feedback": "Start dinsdag", "expected_status": "proposed"},
        format="json",
    )
    assert late.status_code == 409
    assert late.json()["current_status"] == "started"
    assert late.json()["detail"].startswith("Intussen heeft ")
    assert "deze verwijzing vastgelegd als “gestart”" in late.json()["detail"]
    referral = Referral.objects.get()
    assert (referral.feedback, referral.updates.count()) == ("", 2)
