"""The REST API, read side: who gets in, what they see, and what the access log records.

Personas: Daalhof's team (one member per role), Malberg's (another team), Thea (a carer)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from kernteam.models import AccessLogEntry
from kernteam.roles import LOG_OFFICERS, Role
from steps.models import Trajectory
from tests.factories import ResidentFactory, carer_for, give_consent
from tests.helpers import API, api_as


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- who gets in -----------------------------------------------------------------------


def test_without_a_token_the_api_answers_401(db):
    response = APIClient().get(f"{API}/residents/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef")
    assert client.get(f"{API}/teams/").status_code == 401


def test_an_expired_token_is_401_and_deleted(daalhof):
    expired, token = AuthToken.objects.create(
        user=daalhof.gp, expiry=datetime.timedelta(seconds=-1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/teams/").status_code == 401
    assert not AuthToken.objects.filter(pk=expired.pk).exists()


def test_the_users_expired_tokens_go_when_a_valid_one_is_used(daalhof):
    """Knox's own clean-up: a request with a valid token deletes the user's expired ones, and
    so does issuing a new token; tokens still valid stay."""
    from frontend.api.auth import issue_token

    other_expired, _ = AuthToken.objects.create(
        user=daalhof.gp, expiry=datetime.timedelta(seconds=-1)
    )
    still_valid, _ = AuthToken.objects.create(user=daalhof.gp)
    assert api_as(daalhof.gp).get(f"{API}/teams/").status_code == 200
    assert not AuthToken.objects.filter(pk=other_expired.pk).exists()
    assert AuthToken.objects.filter(pk=still_valid.pk).exists()
    again_expired, _ = AuthToken.objects.create(
        user=daalhof.gp, expiry=datetime.timedelta(seconds=-1)
    )
    issue_token(user=daalhof.gp)
    assert not AuthToken.objects.filter(pk=again_expired.pk).exists()
    assert AuthToken.objects.filter(pk=still_valid.pk).exists()


def test_a_carer_is_not_let_in(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident, username="thea.api")
    response = api_as(carer.user).get(f"{API}/residents/{resident.pk}/")
    assert response.status_code == 403
    assert response.json()["detail"] == "De API is voor leden van een kernteam."


def test_the_log_officer_without_a_team_is_not_let_in(db):
    from tests.factories import UserFactory

    officer = UserFactory(username="log.api")
    officer.groups.add(Group.objects.get_or_create(name=LOG_OFFICERS)[0])
    assert api_as(officer).get(f"{API}/teams/").status_code == 403


def test_tokens_are_stored_hashed(daalhof):
    instance, token = AuthToken.objects.create(user=daalhof.gp)
    assert token not in instance.digest
    assert token.startswith(instance.token_key) and len(token) > len(instance.token_key)


# --- what they see -------------------------------------------------------------------------


def test_teams_are_the_callers_own_with_their_roles(daalhof, malberg):
    response = api_as(daalhof.gp).get(f"{API}/teams/")
    assert response.status_code == 200
    assert [(t["slug"], t["roles"]) for t in response.json()] == [(daalhof.team.slug, ["gp"])]
    assert api_as(daalhof.gp).get(f"{API}/teams/{malberg.team.slug}/").status_code == 404


def test_residents_are_those_of_the_callers_teams_that_their_discipline_may_see(
    daalhof, malberg, resident_in
):
    consented = resident_in("step2")
    unconsented = resident_in("signalled")
    elsewhere = ResidentFactory(team=malberg.team, state="step2")
    give_consent(elsewhere, malberg.poh)

    assert ids(api_as(daalhof.gp).get(f"{API}/residents/")) == {consented.pk, unconsented.pk}
    assert ids(api_as(daalhof.welfare).get(f"{API}/residents/")) == {consented.pk}
    assert api_as(daalhof.welfare).get(f"{API}/residents/{unconsented.pk}/").status_code == 404
    assert api_as(daalhof.gp).get(f"{API}/residents/{elsewhere.pk}/").status_code == 404


def test_a_narrower_consent_hides_the_resident_from_the_discipline_at_once(daalhof, resident_in):
    resident = resident_in("step2")
    welfare = api_as(daalhof.welfare)
    assert welfare.get(f"{API}/residents/{resident.pk}/").status_code == 200
    give_consent(resident, daalhof.poh, disciplines=[Role.GP, Role.DISTRICT_NURSE])
    assert welfare.get(f"{API}/residents/{resident.pk}/").status_code == 404
    assert welfare.get(f"{API}/residents/{resident.pk}/transitions/").status_code == 404
    assert welfare.get(f"{API}/residents/{resident.pk}/fhir/").status_code == 404


def test_filters_team_state_flagged_and_review_due(daalhof, malberg, resident_in):
    quiet = resident_in("step1")
    overdue = resident_in("step2")
    Trajectory.objects.filter(pk=overdue.trajectory.pk).update(
        review_due=timezone.localdate() - datetime.timedelta(days=3)
    )
    later = resident_in("step3")
    Trajectory.objects.filter(pk=later.trajectory.pk).update(
        review_due=timezone.localdate() + datetime.timedelta(days=20)
    )
    closed = resident_in("closed")
    gp = api_as(daalhof.gp)

    assert ids(gp.get(f"{API}/residents/")) == {quiet.pk, overdue.pk, later.pk}
    assert ids(gp.get(f"{API}/residents/", {"state": "step2"})) == {overdue.pk}
    assert ids(gp.get(f"{API}/residents/", {"state": "closed"})) == {closed.pk}
    # (step 2 and up without a medication review: flagged "medication", `steps.medication`)
    assert ids(gp.get(f"{API}/residents/", {"flagged": "true"})) == {overdue.pk, later.pk}
    assert ids(gp.get(f"{API}/residents/", {"review_due": "true"})) == {overdue.pk}
    horizon = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    assert ids(gp.get(f"{API}/residents/", {"review_due_before": horizon})) == {
        overdue.pk,
        later.pk,
    }
    assert ids(gp.get(f"{API}/residents/", {"team": daalhof.team.slug})) == {
        quiet.pk,
        overdue.pk,
        later.pk,
    }
    [row] = gp.get(f"{API}/residents/", {"state": "step2"}).json()["results"]
    assert row["flags"] == ["review_overdue", "medication"]


def test_bad_filters_get_field_messages_and_another_teams_slug_404(daalhof, malberg):
    gp = api_as(daalhof.gp)
    response = gp.get(f"{API}/residents/", {"state": "step9", "review_due_before": "gisteren"})
    assert response.status_code == 400
    assert set(response.json()) == {"state", "review_due_before"}
    assert gp.get(f"{API}/residents/", {"team": malberg.team.slug}).status_code == 404


def test_residents_come_in_pages(daalhof, resident_in):
    for _ in range(3):
        resident_in("step1")
    first = api_as(daalhof.gp).get(f"{API}/residents/", {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = api_as(daalhof.gp).get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert api_as(daalhof.gp).get(f"{API}/residents/", {"page": 9}).status_code == 404


def test_the_resident_lists_the_transitions_the_caller_may_take(daalhof, resident_in):
    resident = resident_in("step2")
    nurse = api_as(daalhof.district_nurse).get(f"{API}/residents/{resident.pk}/").json()
    welfare = api_as(daalhof.welfare).get(f"{API}/residents/{resident.pk}/").json()
    assert nurse["state"] == "step2"
    assert {t["name"] for t in nurse["available_transitions"]} == {
        "step_up_to_3",
        "step_up_to_4",
        "admit",
    }
    assert {t["name"] for t in welfare["available_transitions"]} == {
        "step_up_to_3",
        "step_up_to_4",
    }
    assert nurse["consent"]["share_with_carers"] is False


def test_listing_as_many_residents_costs_the_same_queries(
    daalhof, resident_in, django_assert_max_num_queries
):
    resident_in("step1")
    gp = api_as(daalhof.gp)
    assert gp.get(f"{API}/teams/").status_code == 200  # (both measured requests: a known token)

    with CaptureQueriesContext(connection) as few:
        assert gp.get(f"{API}/residents/").status_code == 200
    for _ in range(15):
        resident_in("step2")
    with CaptureQueriesContext(connection) as many:
        assert len(gp.get(f"{API}/residents/").json()["results"]) == 16
    assert len(many) == len(few)


# --- the access log ---------------------------------------------------------------------------


def test_every_resident_read_through_the_api_is_logged(daalhof, resident_in):
    one, two = resident_in("step1"), resident_in("step2")
    gp = api_as(daalhof.gp)
    gp.get(f"{API}/residents/")
    gp.get(f"{API}/residents/{one.pk}/transitions/")
    gp.get(f"{API}/residents/{two.pk}/fhir/")
    rows = list(
        AccessLogEntry.objects.filter(user=daalhof.gp).values_list("what", "resident_id", "action")
    )
    assert sorted(rows) == sorted(
        [
            ("api-residents", one.pk, "read"),
            ("api-residents", two.pk, "read"),
            ("api-transitions", one.pk, "read"),
            ("api-resident-fhir", two.pk, "export"),
        ]
    )
    assert set(AccessLogEntry.objects.values_list("role", flat=True)) == {"gp"}


def test_a_refused_read_logs_nothing(daalhof, resident_in):
    hidden = resident_in("signalled")
    assert api_as(daalhof.welfare).get(f"{API}/residents/{hidden.pk}/").status_code == 404
    assert not AccessLogEntry.objects.exists()


# --- meetings -------------------------------------------------------------------------------


def test_meeting_agenda_names_only_residents_the_reader_may_see(daalhof, resident_in):
    from steps.meetings import add_to_agenda, plan_meeting

    seen, unseen = resident_in("step2"), resident_in("signalled")
    meeting = plan_meeting(
        team=daalhof.team,
        by=daalhof.coordinator,
        scheduled_for=timezone.now() + datetime.timedelta(days=1),
    )
    add_to_agenda(meeting=meeting, resident=seen, by=daalhof.gp, question="Valrisico?")
    add_to_agenda(meeting=meeting, resident=unseen, by=daalhof.gp, question="Nieuw")

    listed = api_as(daalhof.welfare).get(f"{API}/teams/{daalhof.team.slug}/meetings/").json()
    assert [m["id"] for m in listed] == [meeting.pk]
    agenda = api_as(daalhof.welfare).get(f"{API}/meetings/{meeting.pk}/").json()["agenda"]
    assert [(i["resident"], i["question"]) for i in agenda] == [
        (seen.pk, "Valrisico?"),
        (None, ""),
    ]
    assert list(AccessLogEntry.objects.values_list("resident_id", flat=True)) == [seen.pk]


def test_another_teams_meeting_is_404(daalhof, malberg):
    from steps.meetings import plan_meeting

    meeting = plan_meeting(team=malberg.team, by=malberg.coordinator, scheduled_for=timezone.now())
    assert api_as(daalhof.gp).get(f"{API}/meetings/{meeting.pk}/").status_code == 404
    assert api_as(daalhof.gp).get(f"{API}/meetings/999999/").status_code == 404


def _named(user, first: str, last: str) -> None:
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


def _item(agenda: list[dict], resident) -> dict:
    return next(i for i in agenda if i["resident"] == resident.pk)


def test_the_agenda_says_opened_once_presented_and_discussed_once_decided(daalhof, resident_in):
    from steps.meetings import add_to_agenda, focus_on, open_meeting, plan_meeting
    from steps.services import review_resident

    _named(daalhof.coordinator, "Carla", "Voorzitter")
    resident = resident_in("step2")
    meeting = plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())
    add_to_agenda(meeting=meeting, resident=resident, by=daalhof.gp, question="Valrisico?")
    meeting = open_meeting(meeting=meeting, by=daalhof.coordinator)
    gp = api_as(daalhof.gp)
    url = f"{API}/meetings/{meeting.pk}/"

    before = gp.get(url).json()
    assert (before["presenter"], before["focus"]) == (None, None)
    assert (_item(before["agenda"], resident)["opened_at"], "discussed_at" in before) == (
        None,
        False,
    )
    assert _item(before["agenda"], resident)["discussed"] is False

    focus_on(meeting=meeting, by=daalhof.coordinator, resident=resident)
    opened = gp.get(url).json()
    item = _item(opened["agenda"], resident)
    stored = meeting.agenda.get(resident=resident).opened_at
    assert stored is not None
    assert datetime.datetime.fromisoformat(item["opened_at"]) == stored
    assert item["discussed"] is False  # opening is not discussing
    assert opened["presenter"] == {"id": daalhof.coordinator.pk, "name": "Carla Voorzitter"}
    assert opened["focus"] == resident.pk

    review_resident(resident=resident, by=daalhof.gp, expected_state="step2", note="Stap blijft")
    item = _item(gp.get(url).json()["agenda"], resident)
    assert (item["discussed"], datetime.datetime.fromisoformat(item["opened_at"])) == (
        True,
        stored,
    )


def test_an_item_and_the_focus_the_reader_may_not_see_say_nothing_but_who_presents(
    daalhof, resident_in
):
    from steps.meetings import add_to_agenda, focus_on, open_meeting, plan_meeting
    from steps.services import review_resident

    _named(daalhof.gp, "Gijs", "Huisman")
    seen = resident_in("step2")
    unseen = resident_in("step2", consent=False)  # consent for the GP and the POH only
    give_consent(unseen, daalhof.poh, disciplines=[Role.GP, Role.POH])
    meeting = plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())
    add_to_agenda(meeting=meeting, resident=seen, by=daalhof.gp, question="Valrisico?")
    add_to_agenda(meeting=meeting, resident=unseen, by=daalhof.gp, question="Eenzaam")
    meeting = open_meeting(meeting=meeting, by=daalhof.coordinator)
    focus_on(meeting=meeting, by=daalhof.gp, resident=unseen)
    review_resident(resident=unseen, by=daalhof.gp, expected_state="step2")
    position = meeting.agenda.get(resident=unseen).position
    url = f"{API}/meetings/{meeting.pk}/"

    # the GP may see her: opened, discussed, presented now
    mine = api_as(daalhof.gp).get(url).json()
    assert mine["focus"] == unseen.pk
    assert _item(mine["agenda"], unseen)["discussed"] is True
    assert _item(mine["agenda"], unseen)["opened_at"] is not None

    theirs = api_as(daalhof.welfare).get(url).json()
    hidden = next(i for i in theirs["agenda"] if i["position"] == position)
    assert hidden == {
        "position": position,
        "resident": None,
        "name": "",
        "reasons": [],
        "question": "",
        "opened_at": None,
        "discussed": False,
    }
    assert theirs["focus"] is None
    assert theirs["presenter"] == {"id": daalhof.gp.pk, "name": "Gijs Huisman"}
    logged = AccessLogEntry.objects.filter(user=daalhof.welfare)
    assert list(logged.values_list("resident_id", flat=True)) == [seen.pk]


def test_the_meeting_lists_who_was_present_by_name(daalhof):
    from steps.meetings import open_meeting, plan_meeting

    _named(daalhof.gp, "Zeger", "Aarts")
    _named(daalhof.welfare, "Anna", "Bakker")
    _named(daalhof.coordinator, "Mia", "Claes")
    meeting = plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())
    url = f"{API}/meetings/{meeting.pk}/"
    assert api_as(daalhof.gp).get(url).json()["attendees"] == []

    open_meeting(
        meeting=meeting, by=daalhof.coordinator, attendees=[daalhof.gp.pk, daalhof.welfare.pk]
    )
    assert api_as(daalhof.poh).get(url).json()["attendees"] == [
        {"id": daalhof.welfare.pk, "name": "Anna Bakker"},
        {"id": daalhof.coordinator.pk, "name": "Mia Claes"},
        {"id": daalhof.gp.pk, "name": "Zeger Aarts"},
    ]


def test_a_longer_agenda_costs_no_more_queries(daalhof, resident_in):
    from steps.meetings import add_to_agenda, focus_on, open_meeting, plan_meeting
    from steps.services import review_resident

    meeting = plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())
    first = resident_in("step2")
    add_to_agenda(meeting=meeting, resident=first, by=daalhof.gp, question="Valrisico?")
    meeting = open_meeting(meeting=meeting, by=daalhof.coordinator, attendees=[daalhof.gp.pk])
    focus_on(meeting=meeting, by=daalhof.coordinator, resident=first)
    review_resident(resident=first, by=daalhof.gp, expected_state="step2")
    welfare = api_as(daalhof.welfare)
    url = f"{API}/meetings/{meeting.pk}/"
    assert welfare.get(f"{API}/teams/").status_code == 200  # (measured: with a known token)

    with CaptureQueriesContext(connection) as few:
        assert len(welfare.get(url).json()["agenda"]) == 1
    more = [resident_in("step2") for _ in range(6)] + [resident_in("signalled") for _ in range(4)]
    for resident in more:
        add_to_agenda(meeting=meeting, resident=resident, by=daalhof.gp, question="Nieuw")
        # the chair presents whom she may see; the GP a new signal she may not
        chair_sees = resident.trajectory.state == "step2"
        presenter = daalhof.coordinator if chair_sees else daalhof.gp
        focus_on(meeting=meeting, by=presenter, resident=resident)
    for resident in more[:3]:
        review_resident(resident=resident, by=daalhof.gp, expected_state="step2")
    meeting.attendees.add(daalhof.poh, daalhof.welfare, daalhof.district_nurse)
    with CaptureQueriesContext(connection) as many:
        body = welfare.get(url).json()
    assert [i["discussed"] for i in body["agenda"]] == [True] * 4 + [False] * 7
    assert len(body["attendees"]) == 5
    assert len(many) == len(few)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_docs_are_served_from_our_own_origin(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn." not in body and "unpkg" not in body


# --- FHIR ---------------------------------------------------------------------------------


def test_the_fhir_export_of_a_resident_is_a_valid_bundle_and_logged_as_export(daalhof, resident_in):
    from fhir.resources.R4B.bundle import Bundle

    resident = resident_in("step2")
    response = api_as(daalhof.district_nurse).get(f"{API}/residents/{resident.pk}/fhir/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    Bundle.model_validate(bundle)
    patients = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["resource"]["id"] for p in patients] == [f"resident-{resident.pk}"]
    assert patients[0]["fullUrl"].startswith("http://127.0.0.1:8000/fhir/Patient/")
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.resident_id, entry.role) == (
        "export",
        resident.pk,
        "district_nurse",
    )


def test_the_team_export_holds_only_the_residents_the_caller_may_see(daalhof, malberg, resident_in):
    consented, unconsented = resident_in("step1"), resident_in("signalled")
    ResidentFactory(team=malberg.team, state="step1")

    def patients(user) -> set[str]:
        bundle = api_as(user).get(f"{API}/teams/{daalhof.team.slug}/fhir/").json()
        entries = bundle["entry"]
        return {e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient"}

    assert patients(daalhof.gp) == {f"resident-{consented.pk}", f"resident-{unconsented.pk}"}
    assert patients(daalhof.welfare) == {f"resident-{consented.pk}"}
    exported = AccessLogEntry.objects.filter(user=daalhof.welfare, action="export")
    assert list(exported.values_list("resident_id", flat=True)) == [consented.pk]
    assert api_as(daalhof.gp).get(f"{API}/teams/{malberg.team.slug}/fhir/").status_code == 404


def test_an_unknown_api_address_answers_json_404(daalhof):
    response = api_as(daalhof.gp).get(f"{API}/residents/abc/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Niet gevonden."}
