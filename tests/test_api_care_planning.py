"""The API of advance care planning: GET/POST /api/v1/residents/<id>/care-planning/. 201 with
the new version; 400 with messages per field (a treatment limit under its own name); 403 with
the reason for a role that may not record (or, for GET, may not read PZP); 404 for whoever may
not see the resident. Every read and write is in the access log."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.care_planning import CarePlanning
from kernteam.models import AccessLogEntry
from tests.factories import give_consent
from tests.helpers import API, api_as

MAY_NOT_RECORD = (
    "Alleen de huisarts, de specialist ouderengeneeskunde of de POH legt proactieve "
    "zorgplanning vast."
)
MAY_NOT_READ = (
    "Proactieve zorgplanning is alleen in te zien voor de huisarts, de POH, de specialist "
    "ouderengeneeskunde, de wijkverpleegkundige en de casemanager dementie."
)
MAY_NOT_SHARE = "Alleen de huisarts deelt de samenvatting van de wensen met de mantelzorgers."


@pytest.fixture
def janssen(resident_in):
    return resident_in("step3", last_name="Janssen")


def url(resident) -> str:
    return f"{API}/residents/{resident.pk}/care-planning/"


def body(**kwargs) -> dict:
    return {
        "held_on": timezone.localdate().isoformat(),
        "participants": ["resident", "representative", "elderly_care_physician"],
        "capacity": "doubt",
        "representative_name": "Jan Janssen",
        "representative_relationship": "zoon",
        "representative_kind": "authorised",
        "limits": {
            "resuscitation": {"decision": "no", "note": "Penning"},
            "tube_feeding": {"decision": "no"},
        },
        "place_of_care": "home",
        "place_of_death": "hospice",
        "other_wishes": "Muziek van André Rieu",
        "has_living_will": True,
        **kwargs,
    }


def entries(user, resident, action: str) -> int:
    return AccessLogEntry.objects.filter(
        user=user, resident=resident, action=action, what="api-care-planning"
    ).count()


def test_the_elderly_care_physician_records_and_gets_201(daalhof, janssen):
    so = daalhof.elderly_care_physician
    response = api_as(so).post(url(janssen), body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["capacity"] == "doubt" and data["superseded"] is False
    assert data["limits"]["resuscitation"] == {"decision": "no", "note": "Penning"}
    assert data["limits"]["icu"] == {"decision": "not_discussed", "note": ""}
    assert data["recorded_by"]["id"] == so.pk
    assert data["recorded_by_role"] == "elderly_care_physician"
    assert entries(so, janssen, "write") == 1


def test_get_lists_every_version_latest_first_and_is_logged(daalhof, janssen):
    api_as(daalhof.poh).post(
        url(janssen),
        body(held_on=(timezone.localdate() - datetime.timedelta(days=60)).isoformat()),
        format="json",
    )
    api_as(daalhof.gp).post(url(janssen), body(capacity="yes"), format="json")
    nurse = daalhof.district_nurse
    response = api_as(nurse).get(url(janssen))
    assert response.status_code == 200
    versions = response.json()
    assert [v["capacity"] for v in versions] == ["yes", "doubt"]
    assert [v["superseded"] for v in versions] == [False, True]
    assert entries(nurse, janssen, "read") == 1


@pytest.mark.parametrize("role", ["district_nurse", "dementia_case_manager", "welfare"])
def test_a_role_that_may_not_record_gets_403_with_the_reason(daalhof, janssen, role):
    response = api_as(daalhof.member(role)).post(url(janssen), body(), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": MAY_NOT_RECORD}
    assert not CarePlanning.objects.exists()


@pytest.mark.parametrize("role", ["welfare", "coordinator"])
def test_a_role_that_may_not_read_gets_403_and_the_attempt_is_logged(daalhof, janssen, role):
    """Nothing is shown, but the attempt on her file is in the log (as on the web)."""
    user = daalhof.member(role)
    response = api_as(user).get(url(janssen))
    assert response.status_code == 403 and response.json() == {"detail": MAY_NOT_READ}
    logged = AccessLogEntry.objects.filter(user=user, resident=janssen)
    assert list(logged.values_list("action", flat=True)) == [AccessLogEntry.Action.READ]


def test_a_member_reading_in_a_role_the_consent_does_not_name_gets_403(daalhof, janssen):
    from kernteam.models import Membership

    Membership.objects.create(team=daalhof.team, user=daalhof.welfare, role="district_nurse")
    give_consent(janssen, daalhof.poh, disciplines=["welfare"])
    response = api_as(daalhof.welfare).get(url(janssen))
    assert response.status_code == 403
    assert response.json() == {
        "detail": "De toestemming van de cliënt noemt niet de discipline waarin u proactieve "
        "zorgplanning leest."
    }


def test_sharing_with_carers_is_the_gps_alone(daalhof, janssen):
    refused = api_as(daalhof.poh).post(url(janssen), body(shared_with_carers=True), format="json")
    assert refused.status_code == 403 and refused.json() == {"detail": MAY_NOT_SHARE}
    made = api_as(daalhof.gp).post(url(janssen), body(shared_with_carers=True), format="json")
    assert made.status_code == 201 and made.json()["shared_with_carers"] is True


def test_who_may_not_see_the_resident_gets_404(daalhof, malberg, resident_in):
    narrow = resident_in("step3", consent=False, last_name="Beperkt")
    give_consent(narrow, daalhof.poh, disciplines=["gp", "poh"])
    for user in (daalhof.district_nurse, malberg.gp):
        for method in ("get", "post"):
            response = getattr(api_as(user), method)(url(narrow), body(), format="json")
            assert response.status_code == 404
    assert api_as(daalhof.gp).get(f"{API}/residents/999999/care-planning/").status_code == 404


def test_bad_input_is_400_per_field_and_saves_nothing(daalhof, janssen):
    gp = api_as(daalhof.gp)
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    cases = [
        (body(held_on=future), {"held_on": ["De datum ligt in de toekomst."]}),
        (
            body(held_on="1930-01-01"),
            {
                "held_on": [
                    "Het gesprek kan niet vóór de geboorte van de cliënt zijn gehouden (14-3-1938)."
                ]
            },
        ),
        (
            body(limits={"resuscitation": {"decision": "misschien"}}),
            {"limits": {"resuscitation": {"decision": ['"misschien" is een ongeldige keuze.']}}},
        ),
        (
            body(representative_kind="buurman"),
            {"representative_kind": ['"buurman" is een ongeldige keuze.']},
        ),
        (
            body(representative_name="", representative_kind="curator"),
            {"representative_name": ["Geef de naam van de wettelijk vertegenwoordiger."]},
        ),
        (body(participants=[]), {"participants": ["Geef aan wie er aan het gesprek meededen."]}),
        (body(held_on="gisteren"), None),
        (body(limits="geen"), None),
        (body(other_wishes=12), {"other_wishes": ["Vul tekst in (een JSON-string)."]}),
    ]
    for given, expected in cases:
        response = gp.post(url(janssen), given, format="json")
        assert response.status_code == 400, (given, response.content)
        if expected is not None:
            assert response.json() == expected, response.json()
    assert not CarePlanning.objects.exists()
    # (what the API does not know it ignores, as everywhere: it is not recorded either)
    made = gp.post(url(janssen), body(limits={"euthanasie": {"decision": "no"}}), format="json")
    assert made.status_code == 201 and "euthanasie" not in made.json()["limits"]
    assert "euthanasie" not in CarePlanning.objects.get().limits


def test_the_schema_documents_the_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    path = schema["paths"]["/api/v1/residents/{id}/care-planning/"]
    assert set(path) == {"get", "post"}
    assert {"201", "400", "403", "404"} <= set(path["post"]["responses"])
    fields = schema["components"]["schemas"]["CarePlanningInputRequest"]["properties"]
    assert "wilsbekwaam" in fields["capacity"]["description"]
    assert "Only the GP" in fields["shared_with_carers"]["description"]


BOOLEAN = ["Geef true of false (een JSON-boolean)."]


@pytest.mark.parametrize("field", ["shared_with_carers", "has_living_will", "has_dnr_medallion"])
@pytest.mark.parametrize("given", ["yes", "true", 1, 0, "on", None])
def test_booleans_are_json_true_or_false_only(daalhof, janssen, field, given):
    response = api_as(daalhof.gp).post(url(janssen), body(**{field: given}), format="json")
    assert response.status_code == 400
    if given is not None:
        assert response.json() == {field: BOOLEAN}
    else:
        assert set(response.json()) == {field}
    assert not CarePlanning.objects.exists()


def test_the_schema_says_sharing_is_decided_per_version():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    fields = schema["components"]["schemas"]["CarePlanningInputRequest"]["properties"]
    shared = fields["shared_with_carers"]
    assert shared["type"] == "boolean"
    assert "Decided per version" in shared["description"]
    assert "also when the version it supersedes was shared" in shared["description"]


def test_a_new_version_is_shared_only_when_the_gp_says_so_again(daalhof, janssen):
    gp = api_as(daalhof.gp)
    earlier = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    gp.post(url(janssen), body(held_on=earlier, shared_with_carers=True), format="json")
    again = gp.post(url(janssen), body(), format="json")
    assert again.status_code == 201 and again.json()["shared_with_carers"] is False


def test_get_shows_what_the_panels_selector_gives(daalhof, janssen, monkeypatch, client):
    """The API reads with the panel's selector (`readable_care_planning`): what it decides a
    reader sees, the API shows, and nothing of its own."""
    from django.urls import reverse

    from clients import care_planning_services

    gp = api_as(daalhof.gp)
    earlier = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    gp.post(url(janssen), body(held_on=earlier, other_wishes="Naar de bergen"), format="json")
    gp.post(url(janssen), body(other_wishes="Naar zee"), format="json")
    everything = care_planning_services.versions_of
    monkeypatch.setattr(care_planning_services, "versions_of", lambda r: everything(r)[:1])
    response = api_as(daalhof.district_nurse).get(url(janssen))
    assert [v["other_wishes"] for v in response.json()] == ["Naar zee"]
    client.force_login(daalhof.district_nurse)
    html = client.get(reverse("resident", args=[janssen.pk])).content.decode()
    assert "Naar zee" in html and "Naar de bergen" not in html  # the panel: the same
