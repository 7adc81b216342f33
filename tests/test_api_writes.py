"""The REST API, write side: transitions with every answer the issue names (200, 400, 403,
404, 409, including a real race), and records made through the same services as the panel."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Assessment, Concern
from kernteam.models import AccessLogEntry
from steps.models import AgreedAction, Goal, StepChange
from tests.factories import ResidentFactory, carer_for, goal, open_meeting
from tests.test_api import API, api_as
from tests.test_concurrency import race


def move(client, resident, transition, expected, reason="Gevallen in de badkamer", **extra):
    body = {"transition": transition, "expected_state": expected, "reason": reason, **extra}
    return client.post(f"{API}/residents/{resident.pk}/transitions/", body, format="json")


def test_a_transition_answers_200_with_the_new_state_and_writes_history(daalhof, resident_in):
    resident = resident_in("step2")
    response = move(api_as(daalhof.district_nurse), resident, "step_up_to_3", "step2")
    assert response.status_code == 200
    body = response.json()
    assert (body["resident"], body["previous_state"], body["state"]) == (
        resident.pk,
        "step2",
        "step3",
    )
    assert body["urgent_step_up_to_confirm"] is True
    change = StepChange.objects.get(trajectory__resident=resident)
    assert body["change"]["id"] == change.pk and body["change"]["kind"] == "step_up"
    assert (change.from_state, change.to_state, change.actor) == (
        "step2",
        "step3",
        daalhof.district_nurse,
    )
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.what, entry.role) == ("write", "api-transitions", "district_nurse")
    # What may be done next is on the resident.
    after = api_as(daalhof.district_nurse).get(f"{API}/residents/{resident.pk}/").json()
    assert "urgent" in after["flags"]
    assert {t["name"] for t in after["available_transitions"]} == {"step_up_to_4", "admit"}


def test_the_history_lists_every_move(daalhof, resident_in):
    resident = resident_in("step2")
    nurse = api_as(daalhof.district_nurse)
    move(nurse, resident, "step_up_to_3", "step2")
    move(nurse, resident, "admit", "step3", reason="")
    history = nurse.get(f"{API}/residents/{resident.pk}/transitions/").json()
    assert [(h["kind"], h["to_state"], h["urgent"]) for h in history] == [
        ("step_up", "step3", True),
        ("admit", "admitted", False),
    ]


def test_409_when_the_resident_is_no_longer_in_the_expected_state(daalhof, resident_in):
    resident = resident_in("step2")
    move(api_as(daalhof.gp), resident, "step_up_to_3", "step2")
    response = move(api_as(daalhof.district_nurse), resident, "step_up_to_4", "step2")
    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == "step3"
    assert "is intussen door" in body["detail"] and "niets gewijzigd" in body["detail"]
    assert StepChange.objects.filter(trajectory__resident=resident).count() == 1


def test_400_with_a_field_message_when_the_reason_is_missing(daalhof, resident_in):
    resident = resident_in("step2")
    response = move(api_as(daalhof.district_nurse), resident, "step_up_to_3", "step2", reason="")
    assert response.status_code == 400
    assert response.json() == {"reason": ["Geef een reden op."]}
    assert resident.trajectory.__class__.objects.get(pk=resident.trajectory.pk).state == "step2"


def test_400_naming_every_condition_that_does_not_hold(daalhof, resident_in):
    resident = resident_in("screening")
    response = move(api_as(daalhof.gp), resident, "assign_step2", "screening")
    assert response.status_code == 400
    problems = response.json()["transition"]
    assert "Er is geen zorgcoördinator benoemd." in problems
    assert "Er is nog geen doel vastgelegd." in problems
    assert len(problems) == 3


def test_400_for_an_unknown_transition_or_one_not_possible_from_here(daalhof, resident_in):
    resident = resident_in("step2")
    gp = api_as(daalhof.gp)
    unknown = move(gp, resident, "teleport", "step2")
    assert unknown.status_code == 400 and set(unknown.json()) == {"transition"}
    not_here = move(gp, resident, "reopen", "step2")
    assert not_here.status_code == 400
    assert not_here.json()["transition"][0].startswith("Niet mogelijk")
    missing = gp.post(f"{API}/residents/{resident.pk}/transitions/", {}, format="json")
    assert set(missing.json()) == {"transition", "expected_state"}


def test_403_when_the_role_does_not_allow_the_transition(daalhof, resident_in):
    resident = resident_in("step2")
    response = move(api_as(daalhof.welfare), resident, "admit", "step2", reason="Ziekenhuis")
    assert response.status_code == 403
    assert "wijkverpleegkundige" in response.json()["detail"]


def test_404_for_a_resident_the_caller_may_not_see(daalhof, malberg, resident_in):
    unconsented = resident_in("signalled")
    elsewhere = ResidentFactory(team=malberg.team, state="step2")
    assert move(api_as(daalhof.welfare), unconsented, "close", "signalled").status_code == 404
    assert move(api_as(daalhof.gp), elsewhere, "step_up_to_3", "step2").status_code == 404
    assert move(api_as(daalhof.gp), elsewhere, "step_up_to_3", "step2").json() == {
        "detail": "Niet gevonden."
    }


def test_a_move_during_an_open_meeting_is_a_team_decision(daalhof, resident_in):
    resident = resident_in("step3")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    response = move(api_as(daalhof.district_nurse), resident, "step_down_to_2", "step3")
    assert response.status_code == 200
    assert StepChange.objects.get(trajectory__resident=resident).meeting == meeting


def test_a_move_asks_the_database_each_thing_once(daalhof, resident_in):
    """A move is the API's busiest write (docs/performance.md): the token (and, knox's own
    sweep, the user's other tokens, to delete expired ones), the caller's memberships (who may
    use the API, see the resident and take the transition), the resident; then in one
    transaction the lock with the meeting that takes decisions now (a subquery of it), the
    history row and the new state, and the subscriptions to notify of the change; then the
    access-log entry. (Inside the test's transaction
    BEGIN/COMMIT are a savepoint.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    resident = resident_in("step2")
    client = api_as(daalhof.gp)
    with CaptureQueriesContext(connection) as queries:
        assert move(client, resident, "step_up_to_3", "step2").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    reads = {"knox_authtoken": 2, "kernteam_membership": 1, "clients_resident": 1}
    reads["kernteam_meeting"] = 1
    reads["clients_subscription"] = 1  # (whom to notify of the change: issue 20)
    for table, times in reads.items():
        assert sum(f'FROM "{table}"' in q for q in sql) == times, (table, sql)
    assert sum(q.startswith("SAVEPOINT") for q in sql) == 1, sql
    locking = [q for q in sql if 'FROM "steps_trajectory"' in q]
    assert len(locking) == 1 and 'FROM "kernteam_meeting"' in locking[0], sql
    assert len(sql) == 11, sql


@pytest.mark.parametrize(
    ("state", "transition", "extra", "in_meeting"),
    [
        ("step2", "step_up_to_3", {}, False),  # urgent, review date kept
        ("step3", "step_down_to_2", {}, True),  # in a meeting: a new review date
        ("step1", "close", {"closure_reason": "moved"}, True),  # no review date
    ],
)
def test_a_moves_answer_says_what_its_serializer_fields_say(
    daalhof, resident_in, state, transition, extra, in_meeting
):
    """The answer is written out by hand (the API's busiest write); this keeps it equal to the
    fields the schema documents."""
    from rest_framework import serializers

    from frontend.api.serializers import MovedSerializer

    resident = resident_in(state)
    if in_meeting:
        open_meeting(daalhof.team, daalhof.coordinator)
    with timezone.override("Europe/Amsterdam"):
        response = move(api_as(daalhof.gp), resident, transition, state, **extra)
        assert response.status_code == 200, response.json()
        change = StepChange.objects.select_related("trajectory", "actor").get(
            trajectory__resident=resident
        )
        moved = {"trajectory": change.trajectory, "change": change}
        by_the_fields = serializers.Serializer.to_representation(MovedSerializer(), moved)
    assert response.json() == MovedSerializer(moved).data == by_the_fields
    assert bool(by_the_fields["change"]["meeting"]) == in_meeting


def test_a_lost_race_is_an_answer_not_a_warning_in_the_server_log(
    daalhof, malberg, resident_in, caplog
):
    """Under contention thousands of 409s would bury the warnings that matter; a refusal
    (here 404) is still logged."""
    resident = resident_in("step3")
    with caplog.at_level("WARNING", logger="django.request"):
        assert move(api_as(daalhof.gp), resident, "step_up_to_4", "step2").status_code == 409
        assert not caplog.records
        stranger = ResidentFactory(team=malberg.team, state="step3")
        assert move(api_as(daalhof.gp), stranger, "step_up_to_4", "step3").status_code == 404
    assert [r.status_code for r in caplog.records] == [404]


@pytest.mark.django_db(transaction=True)
def test_two_callers_racing_on_one_resident_one_200_one_409(daalhof):
    resident = ResidentFactory(team=daalhof.team, state="step2")
    from tests.factories import give_consent

    give_consent(resident, daalhof.poh)
    clients = [api_as(daalhof.district_nurse), api_as(daalhof.gp)]
    targets = ["step_up_to_3", "step_up_to_4"]

    results = race(2, lambda i: move(clients[i], resident, targets[i], "step2").status_code)

    assert sorted(results) == [200, 409], results
    assert StepChange.objects.filter(trajectory__resident=resident).count() == 1


# --- records --------------------------------------------------------------------------------


def test_recording_a_score_and_a_refused_one(daalhof, resident_in):
    resident = resident_in("screening")
    poh = api_as(daalhof.poh)
    url = f"{API}/residents/{resident.pk}/assessments/"
    made = poh.post(url, {"instrument": "gfi", "score": 6}, format="json")
    assert made.status_code == 201
    assert made.json()["above_cutoff"] is True and made.json()["score"] == 6.0
    refused = poh.post(url, {"instrument": "gfi", "score": 16}, format="json")
    assert refused.status_code == 400 and "score" in refused.json()
    assert Assessment.objects.filter(resident=resident).count() == 1
    assert [a["score"] for a in poh.get(url).json()] == [6.0]


def test_goals_and_actions_through_the_api(daalhof, resident_in):
    resident = resident_in("step2")
    nurse = api_as(daalhof.district_nurse)
    made_goal = nurse.post(
        f"{API}/residents/{resident.pk}/goals/",
        {"domain": "functional", "description": "Zelf douchen"},
        format="json",
    )
    assert made_goal.status_code == 201
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    made = nurse.post(
        f"{API}/residents/{resident.pk}/actions/",
        {
            "description": "Douchestoel regelen",
            "due_on": due,
            "owner_member": daalhof.district_nurse.pk,
            "goal": made_goal.json()["id"],
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["owner"]["kind"] == "member"
    done = nurse.post(f"{API}/actions/{made.json()['id']}/done/")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert AgreedAction.objects.get().status == "done"


def test_an_action_needs_a_valid_owner_and_the_residents_own_goal(daalhof, malberg, resident_in):
    resident, other = resident_in("step2"), resident_in("step2")
    foreign_goal = goal(other, daalhof.gp)
    nurse = api_as(daalhof.district_nurse)
    url = f"{API}/residents/{resident.pk}/actions/"
    due = timezone.localdate().isoformat()
    no_owner = nurse.post(url, {"description": "Iets", "due_on": due}, format="json")
    assert no_owner.status_code == 400 and "owner_member" in no_owner.json()
    outsider = nurse.post(
        url, {"description": "Iets", "due_on": due, "owner_member": malberg.gp.pk}, format="json"
    )
    assert outsider.status_code == 400 and "owner_member" in outsider.json()
    wrong_goal = nurse.post(
        url,
        {
            "description": "Iets",
            "due_on": due,
            "owner_member": daalhof.gp.pk,
            "goal": foreign_goal.pk,
        },
        format="json",
    )
    assert wrong_goal.status_code == 400 and "goal" in wrong_goal.json()
    assert not AgreedAction.objects.exists()
    assert Goal.objects.count() == 1


def test_a_concern_phoned_in_and_handled(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident)
    poh = api_as(daalhof.poh)
    url = f"{API}/residents/{resident.pk}/concerns/"
    made = poh.post(url, {"text": "Moeder eet slecht", "carer": carer.pk}, format="json")
    assert made.status_code == 201 and made.json()["open"] is True
    assert poh.get(f"{API}/residents/", {"flagged": "true"}).json()["count"] == 1
    handled = poh.post(f"{API}/concerns/{made.json()['id']}/handled/")
    assert handled.status_code == 200 and handled.json()["open"] is False
    unlinked = poh.post(url, {"text": "x", "carer": 999999}, format="json")
    assert unlinked.status_code == 400 and "carer" in unlinked.json()
    assert Concern.objects.count() == 1


def signal_body(team) -> dict:
    return {
        "team": team.slug,
        "first_name": "Jo",
        "last_name": "Kessels",
        "date_of_birth": "1940-02-01",
        "reason": "Valt vaak",
    }


def test_signalling_a_resident(daalhof, malberg):
    gp = api_as(daalhof.gp)
    body = signal_body(daalhof.team)
    made = gp.post(f"{API}/residents/", body, format="json")
    assert made.status_code == 201 and made.json()["state"] == "signalled"
    assert (
        gp.post(f"{API}/residents/", {**body, "team": malberg.team.slug}, format="json").status_code
        == 404
    )
    future = gp.post(f"{API}/residents/", {**body, "date_of_birth": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "date_of_birth" in future.json()


def test_a_discipline_without_consent_signals_and_gets_its_signal_back_not_500(daalhof):
    welfare = api_as(daalhof.welfare)
    body = signal_body(daalhof.team)
    made = welfare.post(f"{API}/residents/", body, format="json")
    assert made.status_code == 201 and made.json()["state"] == "signalled"
    assert welfare.get(f"{API}/residents/{made.json()['id']}/").status_code == 404  # no consent


def test_writes_to_a_closed_record_are_refused_not_500(daalhof, resident_in):
    resident = resident_in("closed")
    gp = api_as(daalhof.gp)
    response = gp.post(
        f"{API}/residents/{resident.pk}/goals/",
        {"domain": "social", "description": "x"},
        format="json",
    )
    assert response.status_code == 400


# --- tokens and sessions ----------------------------------------------------------------------


def signed_in_browser(user) -> APIClient:
    user.set_password("juist-wachtwoord-1")
    user.save()
    client = APIClient(enforce_csrf_checks=True)
    client.get(reverse("login"))
    login = client.post(
        reverse("login"),
        {
            "username": user.username,
            "password": "juist-wachtwoord-1",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert login.status_code == 302
    return client


def test_a_signed_in_browser_creates_a_token_that_then_works(daalhof):
    browser = signed_in_browser(daalhof.gp)
    assert browser.post(f"{API}/tokens/").status_code == 403  # no CSRF token
    made = browser.post(f"{API}/tokens/", HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert made.status_code == 201
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {made.json()['token']}")
    assert token_client.get(f"{API}/teams/").status_code == 200
    assert token_client.post(f"{API}/tokens/").status_code == 403  # tokens don't breed


@override_settings(KERNTEAM_REQUIRE_2FA=True)
def test_a_session_that_owes_its_second_factor_gets_nothing(daalhof):
    browser = signed_in_browser(daalhof.gp)
    assert browser.get(f"{API}/teams/").status_code == 401
    # (tokens are only handed to a session: no Token challenge there, so 403)
    assert browser.post(f"{API}/tokens/").status_code == 403


def test_the_api_token_command_issues_a_working_token(daalhof, capsys):
    from django.core.management import CommandError, call_command

    call_command("api_token", daalhof.gp.username, "--days", "7")
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/teams/").status_code == 200
    with pytest.raises(CommandError, match="not on a kernteam"):
        from tests.factories import UserFactory

        call_command("api_token", UserFactory(username="nobody").username)
