"""One length limit per free-text field, on the model, and every entry point keeps to it: the
web forms, the carer's portal, the API and the admin. The API takes text only as text."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Concern, Resident
from clients.services import record_consent
from kernteam.models import AgendaItem, Meeting, text_limit
from steps.models import AgreedAction, Goal, StepChange
from tests.factories import ResidentFactory, carer_for, give_consent

WEB_TOO_LONG = "Zorg dat deze waarde niet meer dan {limit} tekens bevat (het zijn er nu {n})."
API_TOO_LONG = "Zorg ervoor dat dit veld niet meer dan {limit} karakters bevat."


@pytest.fixture
def resident(daalhof):
    subject = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(subject, daalhof.poh)
    return subject


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_limits_are_on_the_models():
    assert text_limit(Goal, "description") == 2000
    assert text_limit(AgreedAction, "description") == 2000
    assert text_limit(StepChange, "reason") == 2000
    assert text_limit(Concern, "text") == 4000
    assert text_limit(AgendaItem, "question") == 4000
    assert text_limit(Resident, "last_name") == 120


def test_the_model_refuses_a_goal_too_long_whoever_saves_it(daalhof, resident):
    goal = Goal(resident=resident, domain="social", description="x" * 2001, created_by=daalhof.gp)
    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert refused.value.message_dict == {
        "description": [
            "Zorg dat deze waarde niet meer dan 2000 tekens bevat (het zijn er nu 2001)."
        ]
    }


def test_a_goal_of_100000_characters_is_refused_on_the_web_and_in_the_api(
    client, daalhof, resident
):
    client.force_login(daalhof.poh)
    long = "x" * 100_000
    web = client.post(
        reverse("resident_add", args=[resident.pk, "goal"]),
        {"domain": "social", "description": long},
    )
    assert WEB_TOO_LONG.format(limit=2000, n=100_000) in web.content.decode()
    answer = api(daalhof.poh).post(
        f"/api/v1/residents/{resident.pk}/goals/",
        {"domain": "social", "description": long},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"description": [API_TOO_LONG.format(limit=2000)]}
    assert not Goal.objects.exists()
    at_limit = {"domain": "social", "description": "x" * 2000}
    made = client.post(reverse("resident_add", args=[resident.pk, "goal"]), at_limit)
    assert made.status_code == 200 and Goal.objects.count() == 1


def test_an_action_too_long_is_refused_on_the_web(client, daalhof, resident):
    client.force_login(daalhof.poh)
    answer = client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {
            "description": "x" * 2001,
            "owner": f"m{daalhof.poh.pk}",
            "due_on": timezone.localdate().isoformat(),
        },
    )
    assert WEB_TOO_LONG.format(limit=2000, n=2001) in answer.content.decode()
    assert not AgreedAction.objects.exists()


def test_a_concern_too_long_is_refused_by_the_team_and_in_the_carers_portal(
    client, daalhof, resident
):
    carer = carer_for(resident, username="thea")
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    client.force_login(daalhof.poh)
    long = "x" * 4001
    web = client.post(
        reverse("resident_add", args=[resident.pk, "concern"]), {"carer": carer.pk, "text": long}
    )
    assert WEB_TOO_LONG.format(limit=4000, n=4001) in web.content.decode()
    client.force_login(carer.user)
    portal = client.post(reverse("carer_concern", args=[resident.pk]), {"text": long})
    assert WEB_TOO_LONG.format(limit=4000, n=4001) in portal.content.decode()
    assert not Concern.objects.exists()


def test_a_signal_reason_and_names_keep_to_the_model(client, daalhof):
    client.force_login(daalhof.poh)
    answer = client.post(
        reverse("board_signal", args=[daalhof.team.slug]),
        {
            "first_name": "Maria",
            "last_name": "x" * 121,
            "date_of_birth": timezone.localdate().replace(year=timezone.localdate().year - 80),
            "reason": "x" * 2001,
        },
    )
    page = answer.content.decode()
    assert WEB_TOO_LONG.format(limit=120, n=121) in page
    assert WEB_TOO_LONG.format(limit=2000, n=2001) in page
    assert not Resident.objects.exists()


def test_a_move_reason_too_long_is_refused(client, daalhof, resident):
    client.force_login(daalhof.poh)
    answer = client.post(
        reverse("resident_move", args=[resident.pk]),
        {"transition": "step_up_to_3", "expected_state": "step2", "reason": "x" * 2001},
    )
    assert WEB_TOO_LONG.format(limit=2000, n=2001) in answer.content.decode()
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step2"


def test_the_admin_keeps_to_the_same_limit(client, daalhof, resident):
    daalhof.gp.is_staff = daalhof.gp.is_superuser = True
    daalhof.gp.save()
    client.force_login(daalhof.gp)
    answer = client.post(
        reverse("admin:steps_goal_add"),
        {"resident": resident.pk, "domain": "social", "description": "x" * 2001, "status": "open"},
    )
    assert WEB_TOO_LONG.format(limit=2000, n=2001) in answer.content.decode()
    assert not Goal.objects.exists()


def test_agenda_questions_keep_to_the_limit_together(client, daalhof, resident):
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    client.force_login(daalhof.poh)
    url = reverse("agenda_add", args=[daalhof.team.slug, meeting.pk])
    too_long = client.post(url, {"resident": resident.pk, "question": "x" * 4001}, follow=True)
    assert WEB_TOO_LONG.format(limit=4000, n=4001) in too_long.content.decode()
    client.post(url, {"resident": resident.pk, "question": "x" * 3000})
    together = client.post(url, {"resident": resident.pk, "question": "y" * 1500}, follow=True)
    assert (
        "De vragen over deze bewoner mogen samen 4000 tekens lang zijn; maak uw vraag korter "
        "of vul de vraag aan die er al staat." in together.content.decode()
    )
    assert AgendaItem.objects.get().question == "x" * 3000


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (12345, "Vul tekst in (een JSON-string)."),
        (["a"], "Vul tekst in (een JSON-string)."),
        ("   ", "Schrijf tekst: meer dan spaties, en zonder NUL-tekens."),
    ],
)
def test_the_api_takes_text_only_as_text(daalhof, resident, description, message):
    answer = api(daalhof.poh).post(
        f"/api/v1/residents/{resident.pk}/goals/",
        {"domain": "social", "description": description},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"description": [message]}
    assert not Goal.objects.exists()


def test_a_long_text_with_a_nul_is_refused_at_once(daalhof, resident):
    """The not-blank pattern runs in linear time: a NUL at the end of 60,000 characters (a
    pattern that backtracked took about a second per 16,000)."""
    started = time.monotonic()
    answer = api(daalhof.poh).post(
        f"/api/v1/residents/{resident.pk}/goals/",
        {"domain": "social", "description": "x" * 60_000 + "\x00"},
        format="json",
    )
    assert time.monotonic() - started < 2
    assert answer.status_code == 400
    assert "Null-tekens zijn niet toegestaan." in answer.json()["description"]
    assert not Goal.objects.exists()


def test_the_api_takes_a_score_as_a_number(daalhof, resident):
    url = f"/api/v1/residents/{resident.pk}/assessments/"
    refused = api(daalhof.poh).post(url, {"instrument": "gfi", "score": "6"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"score": ["Vul de score in als getal."]}
    made = api(daalhof.poh).post(url, {"instrument": "gfi", "score": 6.0}, format="json")
    assert made.status_code == 201 and made.json()["score"] == 6.0
