"""The API of medication reviews: GET/POST /api/v1/residents/<id>/medication-reviews/. 201 with
the review; 400 with messages per field; 403 with the reason for a role that may not record;
404 for whoever may not see the resident (carers included). Every read and write is in the
access log."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.medication import MedicationReview
from kernteam.models import AccessLogEntry
from tests.factories import carer_for, give_consent
from tests.helpers import API, api_as

MAY_NOT_RECORD = (
    "Alleen de huisarts, de specialist ouderengeneeskunde of de POH legt een "
    "medicatiebeoordeling vast."
)
RANGE = ["Zorg ervoor dat deze waarde groter is dan of gelijk is aan 0."]


@pytest.fixture
def janssen(resident_in):
    return resident_in("step2", last_name="Janssen")


def url(resident) -> str:
    return f"{API}/residents/{resident.pk}/medication-reviews/"


def body(**kwargs) -> dict:
    return {
        "reviewed_on": timezone.localdate().isoformat(),
        "reviewer": "pharmacist",
        "medicines_in_use": 11,
        "note": "Diureticum gehalveerd",
        **kwargs,
    }


def entries(user, resident, action: str) -> int:
    return AccessLogEntry.objects.filter(
        user=user, resident=resident, action=action, what="api-medication-reviews"
    ).count()


@pytest.mark.parametrize("role", ["gp", "elderly_care_physician", "poh"])
def test_the_gp_the_so_and_the_poh_record_and_get_201(daalhof, janssen, role):
    user = daalhof.member(role)
    response = api_as(user).post(url(janssen), body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["reviewer"], data["reviewer_label"]) == ("pharmacist", "apotheker")
    assert data["medicines_in_use"] == 11 and data["note"] == "Diureticum gehalveerd"
    assert data["recorded_by"]["id"] == user.pk
    assert entries(user, janssen, "write") == 1


def test_get_lists_every_review_latest_first_and_is_logged(daalhof, janssen):
    earlier = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    api_as(daalhof.poh).post(url(janssen), body(reviewed_on=earlier), format="json")
    api_as(daalhof.gp).post(url(janssen), body(reviewer="gp", medicines_in_use=8), format="json")
    welfare = daalhof.welfare  # a member who may see the resident reads
    response = api_as(welfare).get(url(janssen))
    assert response.status_code == 200
    assert [r["medicines_in_use"] for r in response.json()] == [8, 11]
    assert entries(welfare, janssen, "read") == 1


@pytest.mark.parametrize(
    "role", ["district_nurse", "dementia_case_manager", "welfare", "coordinator"]
)
def test_a_role_that_may_not_record_gets_403_with_the_reason(daalhof, janssen, role):
    response = api_as(daalhof.member(role)).post(url(janssen), body(), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": MAY_NOT_RECORD}
    assert not MedicationReview.objects.exists()


def test_who_may_not_see_the_resident_gets_404(daalhof, malberg, resident_in):
    narrow = resident_in("step2", consent=False, last_name="Beperkt")
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    carer = carer_for(narrow, username="thea").user
    for user in (daalhof.district_nurse, malberg.gp):
        for method in ("get", "post"):
            response = getattr(api_as(user), method)(url(narrow), body(), format="json")
            assert response.status_code == 404, (user, response.status_code)
    for method in ("get", "post"):  # the API is for professionals: a carer gets nothing
        response = getattr(api_as(carer), method)(url(narrow), body(), format="json")
        assert response.status_code == 403 and "medicines_in_use" not in response.content.decode()
    assert not AccessLogEntry.objects.filter(user=carer, resident=narrow).exists()
    assert not MedicationReview.objects.exists()
    assert api_as(daalhof.gp).get(f"{API}/residents/999999/medication-reviews/").status_code == 404


def test_bad_input_is_400_per_field_and_saves_nothing(daalhof, janssen):
    gp = api_as(daalhof.gp)
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    cases = [
        (body(reviewed_on=future), {"reviewed_on": ["De datum ligt in de toekomst."]}),
        (
            body(reviewed_on="1930-01-01"),
            {
                "reviewed_on": [
                    "De beoordeling kan niet vóór de geboorte van de cliënt zijn gedaan "
                    "(14-3-1938)."
                ]
            },
        ),
        (body(reviewer="drogist"), {"reviewer": ['"drogist" is een ongeldige keuze.']}),
        (body(medicines_in_use=-1), {"medicines_in_use": RANGE}),
        (body(medicines_in_use=61), None),
        (body(medicines_in_use=10**12), None),
        (body(medicines_in_use="veel"), None),
        (body(reviewed_on="gisteren"), None),
        (body(note=12), {"note": ["Vul tekst in (een JSON-string)."]}),
    ]
    for given, expected in cases:
        response = gp.post(url(janssen), given, format="json")
        assert response.status_code == 400, (given, response.content)
        if expected is not None:
            assert response.json() == expected, response.json()
        else:
            assert set(response.json()) <= set(given), response.json()
    assert not MedicationReview.objects.exists()


def test_the_schema_documents_the_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = schema["paths"]["/api/v1/residents/{id}/medication-reviews/"]
    assert set(path) == {"get", "post"}
    assert {"201", "400", "403", "404"} <= set(path["post"]["responses"])
    fields = schema["components"]["schemas"]["MedicationReviewInputRequest"]["properties"]
    assert "pharmacist" in fields["reviewer"]["description"]
    assert fields["medicines_in_use"]["maximum"] == 60


def test_get_reads_with_the_panels_selector(daalhof, janssen, monkeypatch, client):
    """Who reads the reviews is decided once (`clients.medication_services.reviews_for`, the
    panel's selector): narrowed there, the API follows the panel, and the attempt is logged."""
    from django.urls import reverse

    from clients import medication_services

    api_as(daalhof.gp).post(url(janssen), body(), format="json")
    monkeypatch.setattr(medication_services, "may_read", lambda roles: "gp" in roles)
    welfare = daalhof.welfare
    assert api_as(welfare).get(url(janssen)).status_code == 404
    assert api_as(daalhof.gp).get(url(janssen)).status_code == 200
    client.force_login(welfare)
    html = client.get(reverse("resident", args=[janssen.pk])).content.decode()
    assert "Diureticum gehalveerd" not in html and 'id="medication-h"' not in html
    assert entries(welfare, janssen, "read") == 1
