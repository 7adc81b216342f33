"""The API's care coordinator (PUT /residents/<id>/coordinator/), reviews that keep the step
(POST /residents/<id>/reviews/) and carers linked (POST /residents/<id>/carers/): the answers,
field errors, refusals by role, what one may not see, and changes made meanwhile."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from clients.models import CarerLink, CoordinatorChange
from clients.services import change_coordinator
from kernteam.models import person_name
from steps.models import StepChange
from steps.services import move_resident
from steps.states import review_due
from tests.factories import open_meeting
from tests.helpers import API, api_as

pytestmark = pytest.mark.django_db


def nl(message: str) -> str:
    with translation.override("nl"):
        return gettext(message)


def url(resident, what: str) -> str:
    return f"{API}/residents/{resident.pk}/{what}/"


# --- the care coordinator ---------------------------------------------------------------------


def put_coordinator(user, resident, body):
    return api_as(user).put(url(resident, "coordinator"), body, format="json")


def test_the_gp_names_the_coordinator_and_the_change_is_listed(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    body = {"coordinator": daalhof.district_nurse.pk, "expected": daalhof.poh.pk}
    answer = put_coordinator(daalhof.gp, resident, body)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    change = CoordinatorChange.objects.get()
    nurse = {"id": daalhof.district_nurse.pk, "name": person_name(daalhof.district_nurse)}
    assert data["resident"] == resident.pk and data["coordinator"] == nurse
    assert data["change"]["id"] == change.pk
    assert data["change"]["from_coordinator"] == {
        "id": daalhof.poh.pk,
        "name": person_name(daalhof.poh),
    }
    assert (data["change"]["actor"]["id"], data["change"]["actor_role"]) == (daalhof.gp.pk, "gp")
    assert data["change"]["meeting"] is None
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.district_nurse

    listed = api_as(daalhof.poh).get(url(resident, "coordinator"))
    assert listed.status_code == 200
    assert [row["to_coordinator"]["id"] for row in listed.json()] == [daalhof.district_nurse.pk]
    # the resident's own answer names the new one too
    shown = api_as(daalhof.poh).get(f"{API}/residents/{resident.pk}/").json()
    assert shown["coordinator"] == nurse


def test_in_a_meeting_any_member_names_the_coordinator(daalhof, resident_in):
    resident = resident_in("screening")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    answer = put_coordinator(
        daalhof.welfare, resident, {"coordinator": daalhof.poh.pk, "expected": None}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["change"]["meeting"] == meeting.pk


def test_field_errors(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    missing = put_coordinator(daalhof.gp, resident, {"coordinator": daalhof.poh.pk})
    assert missing.status_code == 400 and list(missing.json()) == ["expected"]
    wrong = put_coordinator(daalhof.gp, resident, {"coordinator": "poh", "expected": None})
    assert wrong.status_code == 400 and list(wrong.json()) == ["coordinator"]
    huge = put_coordinator(daalhof.gp, resident, {"coordinator": 2**40, "expected": None})
    assert huge.status_code == 400 and list(huge.json()) == ["coordinator"]
    outsider = put_coordinator(
        daalhof.gp, resident, {"coordinator": malberg.poh.pk, "expected": None}
    )
    assert outsider.status_code == 400
    assert outsider.json() == {
        "coordinator": [nl("The care coordinator must be a member of the resident's team.")]
    }
    assert not CoordinatorChange.objects.exists()


def test_outside_a_meeting_another_member_is_forbidden(daalhof, resident_in):
    resident = resident_in("step2")
    answer = put_coordinator(
        daalhof.poh, resident, {"coordinator": daalhof.poh.pk, "expected": None}
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": nl(
            "Outside a team meeting, only the GP or the team coordinator can name the care "
            "coordinator."
        )
    }


def test_a_resident_one_may_not_see_is_not_found(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    body = {"coordinator": malberg.poh.pk, "expected": None}
    assert put_coordinator(malberg.gp, resident, body).status_code == 404
    assert api_as(malberg.gp).get(url(resident, "coordinator")).status_code == 404
    assert not CoordinatorChange.objects.exists()


def test_a_coordinator_named_meanwhile_is_a_conflict(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    change_coordinator(
        resident=resident,
        by=daalhof.coordinator,
        coordinator_id=daalhof.welfare.pk,
        expected=daalhof.poh.pk,
    )
    body = {"coordinator": daalhof.district_nurse.pk, "expected": daalhof.poh.pk}
    answer = put_coordinator(daalhof.gp, resident, body)
    assert answer.status_code == 409
    data = answer.json()
    assert data["current_coordinator"] == daalhof.welfare.pk
    assert person_name(daalhof.welfare) in data["detail"]
    resident.refresh_from_db()
    assert resident.coordinator == daalhof.welfare and CoordinatorChange.objects.count() == 1


# --- reviews ------------------------------------------------------------------------------------


def post_review(user, resident, body):
    return api_as(user).post(url(resident, "reviews"), body, format="json")


def test_the_gp_records_a_review_and_gets_the_next_review_date(daalhof, resident_in):
    resident = resident_in("step2")
    answer = post_review(daalhof.gp, resident, {"expected_state": "step2", "note": "Gaat goed"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    change = StepChange.objects.get(trajectory__resident=resident)
    assert (data["state"], data["previous_state"]) == ("step2", "step2")
    assert data["review_due"] == review_due("step2", timezone.localdate()).isoformat()
    assert data["change"]["id"] == change.pk and data["change"]["kind"] == "review"
    assert data["change"]["reason"] == "Gaat goed"
    # no note: none is kept
    again = post_review(daalhof.gp, resident, {"expected_state": "step2"})
    assert again.status_code == 200 and again.json()["change"]["reason"] == ""


def test_review_field_errors(daalhof, resident_in):
    resident = resident_in("step2")
    missing = post_review(daalhof.gp, resident, {"note": "x"})
    assert missing.status_code == 400 and list(missing.json()) == ["expected_state"]
    unknown = post_review(daalhof.gp, resident, {"expected_state": "step9"})
    assert unknown.status_code == 400 and list(unknown.json()) == ["expected_state"]
    number = post_review(daalhof.gp, resident, {"expected_state": "step2", "note": 5})
    assert number.status_code == 400 and list(number.json()) == ["note"]
    long = post_review(daalhof.gp, resident, {"expected_state": "step2", "note": "x" * 2001})
    assert long.status_code == 400 and list(long.json()) == ["note"]
    assert not StepChange.objects.filter(trajectory__resident=resident).exists()


def test_a_review_outside_a_meeting_by_another_member_is_forbidden(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    answer = post_review(daalhof.district_nurse, resident, {"expected_state": "step2"})
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": nl(
            "Outside a team meeting, only the GP or the resident's care coordinator can "
            "record a review."
        )
    }
    assert post_review(daalhof.poh, resident, {"expected_state": "step2"}).status_code == 200


def test_a_review_of_a_resident_moved_meanwhile_is_a_conflict(daalhof, resident_in):
    resident = resident_in("step2")
    move_resident(
        resident=resident, transition="admit", expected_state="step2", by=daalhof.gp, reason="SEH"
    )
    answer = post_review(daalhof.gp, resident, {"expected_state": "step2"})
    assert answer.status_code == 409 and answer.json()["current_state"] == "admitted"
    assert not StepChange.objects.filter(trajectory__resident=resident, kind="review").exists()


def test_a_review_of_a_resident_one_may_not_see(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    assert post_review(malberg.gp, resident, {"expected_state": "step2"}).status_code == 404


# --- carers --------------------------------------------------------------------------------------


def post_carer(user, resident, body):
    return api_as(user).post(url(resident, "carers"), body, format="json")


JAN = {
    "first_name": "Jan",
    "last_name": "Ramakers",
    "relationship": "son",
    "phone": "06 12345678",
    "email": "jan.ramakers@example.nl",
}


def test_a_member_links_a_carer(daalhof, resident_in):
    resident = resident_in("step2")
    answer = post_carer(daalhof.welfare, resident, JAN)
    assert answer.status_code == 201, answer.content
    link = CarerLink.objects.get(resident=resident)
    assert answer.json() == {
        "carer": link.carer_id,
        "first_name": "Jan",
        "last_name": "Ramakers",
        "email": "jan.ramakers@example.nl",
        "relationship": "son",
        "relationship_label": nl("son"),
        "since": timezone.localdate().isoformat(),
    }
    assert link.carer.phone == "06 12345678"


def test_carer_field_errors(daalhof, resident_in):
    resident = resident_in("step2")
    missing = post_carer(daalhof.gp, resident, {"first_name": "Jan", "relationship": "son"})
    assert missing.status_code == 400 and list(missing.json()) == ["last_name"]
    unknown = post_carer(daalhof.gp, resident, {**JAN, "relationship": "cousin"})
    assert unknown.status_code == 400 and list(unknown.json()) == ["relationship"]
    blank = post_carer(daalhof.gp, resident, {**JAN, "first_name": "   "})
    assert blank.status_code == 400 and list(blank.json()) == ["first_name"]
    address = post_carer(daalhof.gp, resident, {**JAN, "email": "geen adres"})
    assert address.status_code == 400 and list(address.json()) == ["email"]
    assert not CarerLink.objects.exists()


def test_a_carer_account_may_not_link_and_another_team_does_not_find_her(
    daalhof, malberg, resident_in, thea
):
    resident = resident_in("step2")
    assert post_carer(thea, resident, JAN).status_code == 403  # the API is for members
    assert post_carer(malberg.gp, resident, JAN).status_code == 404
    assert not CarerLink.objects.exists()


NEUTRAL = ["child", "child_in_law", "grandchild", "sibling", "neighbour", "friend"]


@pytest.mark.parametrize("code", NEUTRAL)
def test_a_neutral_code_of_older_links_is_not_for_a_new_one(daalhof, resident_in, code):
    resident = resident_in("step2")
    answer = post_carer(daalhof.gp, resident, {**JAN, "relationship": code})
    assert answer.status_code == 400
    assert answer.json() == {"relationship": ["Kies wie de mantelzorger voor de cliënt is."]}
    assert not CarerLink.objects.exists()


def test_the_schema_offers_a_new_link_only_the_codes_that_name_the_person(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    def component(holder: dict) -> dict:
        return schema["components"]["schemas"][holder["$ref"].rsplit("/", 1)[-1]]

    operation = schema["paths"]["/api/v1/residents/{id}/carers/"]["post"]
    asked = component(operation["requestBody"]["content"]["application/json"]["schema"])
    offered = component(asked["properties"]["relationship"])["enum"]
    assert offered == [code for code, _label in CarerLink.Relationship.offered()]
    assert not set(NEUTRAL) & set(offered)
    # a link recorded before still reads with its neutral code
    answered = component(operation["responses"]["201"]["content"]["application/json"]["schema"])
    assert set(NEUTRAL) <= set(component(answered["properties"]["relationship"])["enum"])
