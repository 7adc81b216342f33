"""GET/POST /api/v1/residents/<id>/events/: outcome events in the API, with the same rules,
field errors and access log as the panel."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kernteam.models import AccessLogEntry
from steps.outcome_services import record_event
from steps.outcomes import OutcomeEvent
from tests.factories import carer_for, give_consent
from tests.helpers import API, api_as

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def url(resident) -> str:
    return f"{API}/residents/{resident.pk}/events/"


def test_a_member_records_an_event_and_lists_them(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.district_nurse)
    answer = client.post(
        url(resident),
        {"kind": "fall", "occurred_on": today().isoformat(), "note": "In de tuin"},
        format="json",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["kind"] == "fall" and body["kind_label"] == "val"
    assert body["occurred_on"] == today().isoformat()
    assert (body["place"], body["note"], body["step_change"]) == ("", "In de tuin", None)
    assert body["recorded_by"]["id"] == daalhof.district_nurse.pk
    listed = client.get(url(resident)).json()
    assert [e["id"] for e in listed] == [body["id"]]


def test_the_date_defaults_to_today_and_a_death_has_its_place(daalhof, resident_in):
    resident = resident_in("step3")
    answer = api_as(daalhof.gp).post(
        url(resident), {"kind": "death", "place": "hospice"}, format="json"
    )
    assert answer.status_code == 201
    assert (answer.json()["occurred_on"], answer.json()["place"]) == (
        today().isoformat(),
        "hospice",
    )


@pytest.mark.parametrize(
    "body, errors",
    [
        (
            {"kind": "fall", "occurred_on": "+1"},
            {"occurred_on": ["De datum ligt in de toekomst."]},
        ),
        (
            {"kind": "fall", "occurred_on": "1900-01-01"},
            {"occurred_on": ["De datum ligt vóór de geboortedatum van de cliënt."]},
        ),
        ({"kind": "death"}, {"place": ["Geef aan waar de cliënt is overleden."]}),
        (
            {"kind": "fall", "place": "home"},
            {"place": ["Een plaats wordt alleen bij een overlijden vastgelegd."]},
        ),
        ({"kind": "burglary"}, {"kind": ['"burglary" is een ongeldige keuze.']}),
        (
            {"kind": "death", "place": "unknown"},
            {"place": ['"unknown" is een ongeldige keuze.']},
        ),
        ({}, {"kind": ["Dit veld is verplicht."]}),
    ],
)
def test_bad_input_answers_400_by_field(daalhof, resident_in, body, errors):
    resident = resident_in("step2")
    if body.get("occurred_on") == "+1":
        body["occurred_on"] = (today() + datetime.timedelta(days=1)).isoformat()
    answer = api_as(daalhof.gp).post(url(resident), body, format="json")
    assert answer.status_code == 400
    assert answer.json() == errors
    assert not OutcomeEvent.objects.exists()


def test_a_closed_record_answers_400(daalhof, resident_in):
    resident = resident_in("closed")
    answer = api_as(daalhof.gp).post(url(resident), {"kind": "fall"}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": [
            "Dit dossier is afgesloten: er kan geen gebeurtenis meer worden vastgelegd."
        ]
    }


def test_a_carer_gets_403_with_the_reason(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident, username="thea.events.api")
    for answer in (
        api_as(carer.user).get(url(resident)),
        api_as(carer.user).post(url(resident), {"kind": "fall"}, format="json"),
    ):
        assert answer.status_code == 403
        assert answer.json() == {"detail": "De API is voor leden van een kernteam."}
    assert not OutcomeEvent.objects.exists()


def test_a_resident_one_may_not_see_answers_404(daalhof, malberg, resident_in):
    resident = resident_in("step2", consent=False)
    give_consent(resident, daalhof.poh, disciplines=["gp", "poh"])
    record_event(resident=resident, by=daalhof.poh, kind="fall", occurred_on=today())
    for user in (malberg.gp, daalhof.welfare):
        assert api_as(user).get(url(resident)).status_code == 404
        posted = api_as(user).post(url(resident), {"kind": "fall"}, format="json")
        assert posted.status_code == 404
    assert api_as(daalhof.gp).get(f"{API}/residents/999999/events/").status_code == 404
    assert OutcomeEvent.objects.count() == 1
    assert not AccessLogEntry.objects.filter(user__in=[malberg.gp, daalhof.welfare]).exists()


def test_reads_and_writes_are_logged(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.poh)
    client.get(url(resident))
    client.post(url(resident), {"kind": "emergency"}, format="json")
    client.post(url(resident), {"kind": "emergency", "occurred_on": "1900-01-01"}, format="json")
    entries = AccessLogEntry.objects.filter(resident=resident, what="api-events").order_by("pk")
    assert list(entries.values_list("action", flat=True)) == ["read", "write", "read"]
    assert {e.role for e in entries} == {"poh"}


def test_the_admitted_move_links_the_event_recorded_in_the_api(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.district_nurse)
    event = client.post(url(resident), {"kind": "hospital"}, format="json").json()
    moved = client.post(
        f"{API}/residents/{resident.pk}/transitions/",
        {"transition": "admit", "expected_state": "step2", "reason": ""},
        format="json",
    )
    assert moved.status_code == 200
    listed = client.get(url(resident)).json()
    assert len(listed) == 1
    assert listed[0]["id"] == event["id"]
    assert listed[0]["step_change"] == moved.json()["change"]["id"]


def test_the_resident_shows_the_event_flag(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.poh)
    assert "event" not in client.get(f"{API}/residents/{resident.pk}/").json()["flags"]
    client.post(url(resident), {"kind": "fall"}, format="json")
    assert "event" in client.get(f"{API}/residents/{resident.pk}/").json()["flags"]


# --- the moves an event goes with, and double entries (review of issue 17 §4) ----------------


def move(client, resident, **body):
    return client.post(f"{API}/residents/{resident.pk}/transitions/", body, format="json")


def test_the_admitted_move_names_the_kind_of_admission(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.district_nurse)
    moved = move(client, resident, transition="admit", expected_state="step2", admission="crisis")
    assert moved.status_code == 200
    listed = client.get(url(resident)).json()
    assert [(e["kind"], e["step_change"]) for e in listed] == [
        ("crisis", moved.json()["change"]["id"])
    ]


def test_a_hospital_admission_does_not_link_the_crisis_on_record(daalhof, resident_in):
    resident = resident_in("step2")
    client = api_as(daalhof.district_nurse)
    client.post(url(resident), {"kind": "crisis"}, format="json")
    moved = move(client, resident, transition="admit", expected_state="step2")  # (default)
    assert moved.status_code == 200
    listed = client.get(url(resident)).json()
    assert sorted((e["kind"], e["step_change"]) for e in listed) == [
        ("crisis", None),
        ("hospital", moved.json()["change"]["id"]),
    ]


def test_an_unknown_kind_of_admission_answers_400(daalhof, resident_in):
    resident = resident_in("step2")
    answer = move(
        api_as(daalhof.gp), resident, transition="admit", expected_state="step2", admission="fall"
    )
    assert answer.status_code == 400
    assert answer.json() == {"admission": ['"fall" is een ongeldige keuze.']}
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step2"
    assert not OutcomeEvent.objects.exists()


def close_body(**kwargs) -> dict:
    return {
        "transition": "close",
        "expected_state": "step3",
        "reason": "Overleden",
        "closure_reason": "deceased",
        **kwargs,
    }


def test_closing_as_deceased_records_the_date_and_place(daalhof, resident_in):
    resident = resident_in("step3")
    day = today() - datetime.timedelta(days=1)
    answer = move(
        api_as(daalhof.gp), resident, **close_body(event_on=day.isoformat(), event_place="home")
    )
    assert answer.status_code == 200
    event = OutcomeEvent.objects.get()
    assert (event.kind, event.occurred_on, event.place) == ("death", day, "home")


def test_an_older_client_closing_as_deceased_records_place_unknown(daalhof, resident_in):
    resident = resident_in("step3")
    assert move(api_as(daalhof.gp), resident, **close_body()).status_code == 200
    event = OutcomeEvent.objects.get()
    assert (event.occurred_on, event.place) == (today(), "unknown")


@pytest.mark.parametrize(
    "given, errors",
    [
        ({"event_on": "+1"}, {"event_on": ["De datum ligt in de toekomst."]}),
        (
            {"event_on": "1938-03-13"},
            {"event_on": ["De datum ligt vóór de geboortedatum van de cliënt."]},
        ),
        (
            {"event_on": "gisteren"},
            {
                "event_on": [
                    "Date heeft het verkeerde formaat, gebruik 1 van deze formaten: YYYY-MM-DD."
                ]
            },
        ),
        ({"event_place": "unknown"}, {"event_place": ['"unknown" is een ongeldige keuze.']}),
    ],
)
def test_bad_event_input_of_a_close_answers_400_by_field(daalhof, resident_in, given, errors):
    resident = resident_in("step3")
    if given.get("event_on") == "+1":
        given = {"event_on": (today() + datetime.timedelta(days=1)).isoformat()}
    answer = move(api_as(daalhof.gp), resident, **close_body(**given))
    assert answer.status_code == 400
    assert answer.json() == errors
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step3"
    assert not OutcomeEvent.objects.exists()


def test_the_same_event_twice_on_one_day_needs_confirm_duplicate(daalhof, resident_in):
    resident = resident_in("step2")
    record_event(resident=resident, by=daalhof.welfare, kind="fall", occurred_on=today())
    client = api_as(daalhof.poh)
    refused = client.post(url(resident), {"kind": "fall"}, format="json")
    assert refused.status_code == 400
    [message] = refused.json()["confirm_duplicate"]
    assert message.startswith("Er is al een val op ") and message.endswith(" Toch vastleggen?")
    assert list(refused.json()) == ["confirm_duplicate"]
    assert OutcomeEvent.objects.count() == 1
    confirmed = client.post(
        url(resident), {"kind": "fall", "confirm_duplicate": True}, format="json"
    )
    assert confirmed.status_code == 201
    assert OutcomeEvent.objects.count() == 2
