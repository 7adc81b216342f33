"""The API of the resident's own goal: GET/POST /api/v1/residents/<id>/own-goal/. 201 with the
current and earlier versions; 400 with a message per field (empty, unchanged) or for a closed
record; 403 for a carer; 404 for whoever may not see the resident. Every read and write is in
the access log. Goals say whether they serve it."""

from __future__ import annotations

import pytest

from kernteam.models import AccessLogEntry
from steps.own_goal import OwnGoal
from steps.own_goal_services import note_own_goal
from tests.factories import carer_for, give_consent
from tests.helpers import API, api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def janssen(resident_in):
    return resident_in("step2", last_name="Janssen")


def url(resident) -> str:
    return f"{API}/residents/{resident.pk}/own-goal/"


def entries(user, resident, action: str) -> int:
    return AccessLogEntry.objects.filter(
        user=user, resident=resident, action=action, what="api-own-goal"
    ).count()


def test_a_member_notes_versions_and_gets_201_with_the_earlier_ones(daalhof, janssen):
    first = api_as(daalhof.poh).post(url(janssen), {"text": "Naar de markt"}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["current"]["text"] == "Naar de markt"
    assert first.json()["earlier"] == []
    second = api_as(daalhof.welfare).post(
        url(janssen), {"text": "  Thuis blijven wonen "}, format="json"
    )
    assert second.status_code == 201
    data = second.json()
    assert data["current"]["text"] == "Thuis blijven wonen"
    assert data["current"]["noted_by"]["id"] == daalhof.welfare.pk
    assert [v["text"] for v in data["earlier"]] == ["Naar de markt"]
    assert entries(daalhof.poh, janssen, "write") == 1


def test_get_gives_current_and_earlier_and_is_logged(daalhof, janssen):
    nurse = daalhof.district_nurse
    empty = api_as(nurse).get(url(janssen))
    assert empty.status_code == 200 and empty.json() == {"current": None, "earlier": []}
    api_as(daalhof.poh).post(url(janssen), {"text": "Naar de markt"}, format="json")
    api_as(daalhof.poh).post(url(janssen), {"text": "Thuis blijven"}, format="json")
    data = api_as(nurse).get(url(janssen)).json()
    assert data["current"]["text"] == "Thuis blijven"
    assert [v["text"] for v in data["earlier"]] == ["Naar de markt"]
    assert entries(nurse, janssen, "read") == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("  ", "Schrijf op wat belangrijk is voor de cliënt."),
        ("Thuis", "Dit is al het doel van de cliënt."),
    ],
    ids=["empty", "unchanged"],
)
def test_bad_text_is_400_by_field(daalhof, janssen, text, message):
    api_as(daalhof.poh).post(url(janssen), {"text": "Thuis"}, format="json")
    response = api_as(daalhof.gp).post(url(janssen), {"text": text}, format="json")
    assert response.status_code == 400
    assert response.json() == {"text": [message]}
    assert OwnGoal.objects.count() == 1


def test_a_closed_record_is_400(daalhof, resident_in):
    closed = resident_in("closed")
    response = api_as(daalhof.gp).post(url(closed), {"text": "Thuis"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Dit dossier is afgesloten: haar eigen doel kan niet meer worden aangepast."
        ]
    }
    assert not OwnGoal.objects.exists()


def test_a_carer_gets_403(daalhof, janssen):
    carer = carer_for(janssen, username="thea.api")
    response = api_as(carer.user).post(url(janssen), {"text": "Thuis"}, format="json")
    assert response.status_code == 403
    assert not OwnGoal.objects.exists()


def test_who_may_not_see_the_resident_gets_404(daalhof, malberg, resident_in):
    narrow = resident_in("step2", consent=False, last_name="Beperkt")
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    for user in (daalhof.welfare, malberg.gp):
        for method in ("get", "post"):
            response = getattr(api_as(user), method)(url(narrow), {"text": "x"}, format="json")
            assert response.status_code == 404
    assert not OwnGoal.objects.exists()


def test_a_goal_serves_her_own_goal(daalhof, janssen):
    note_own_goal(resident=janssen, by=daalhof.poh, text="Thuis blijven wonen")
    goals = f"{API}/residents/{janssen.pk}/goals/"
    made = api_as(daalhof.poh).post(
        goals,
        {"domain": "social", "description": "Naar de soos", "serves_own_goal": True},
        format="json",
    )
    assert made.status_code == 201 and made.json()["serves_own_goal"] is True
    plain = api_as(daalhof.poh).post(
        goals, {"domain": "social", "description": "Koffie"}, format="json"
    )
    assert plain.json()["serves_own_goal"] is False


@pytest.mark.parametrize("given", ["yes", "true", 1, 0])
def test_serves_own_goal_is_json_true_or_false_only(daalhof, janssen, given):
    goals = f"{API}/residents/{janssen.pk}/goals/"
    response = api_as(daalhof.poh).post(
        goals,
        {"domain": "social", "description": "Naar de soos", "serves_own_goal": given},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"serves_own_goal": ["Geef true of false (een JSON-boolean)."]}
    assert not janssen.goals.exists()
