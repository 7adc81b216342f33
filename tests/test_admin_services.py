"""The admin writes through the same services as the board: a goal or an action added there
while the team's meeting is in progress is that meeting's decision, and opening a meeting there
builds its agenda, as meeting mode does."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from kernteam.models import AgendaReason, Meeting
from steps.models import AgreedAction, Goal
from tests.factories import open_meeting


@pytest.fixture
def admin_gp(client, daalhof):
    """Daalhof's GP, also an administrator (the admin's add forms are for team members)."""
    daalhof.gp.is_staff = daalhof.gp.is_superuser = True
    daalhof.gp.save()
    client.force_login(daalhof.gp)
    return daalhof.gp


def test_a_goal_added_in_the_admin_lands_in_the_meeting_in_progress(
    client, admin_gp, daalhof, resident_in
):
    resident = resident_in("step2")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    page = client.post(
        reverse("admin:steps_goal_add"),
        {"resident": resident.pk, "domain": "social", "description": "  Weer naar de soos  "},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    goal = Goal.objects.get(resident=resident)
    assert (goal.meeting, goal.created_by, goal.description) == (
        meeting,
        admin_gp,
        "Weer naar de soos",
    )
    assert goal.status == Goal.Status.OPEN


def test_a_new_goal_in_the_admin_is_open_whatever_the_form_says(client, admin_gp, resident_in):
    resident = resident_in("step2")
    client.post(
        reverse("admin:steps_goal_add"),
        {
            "resident": resident.pk,
            "domain": "social",
            "description": "Weer naar de soos",
            "status": Goal.Status.ACHIEVED,
        },
    )
    assert list(Goal.objects.values_list("status", flat=True)) == [Goal.Status.OPEN]
    form = client.get(reverse("admin:steps_goal_add")).context["adminform"].form
    assert "status" not in form.fields


def test_an_action_agreed_in_the_admin_lands_in_the_meeting_in_progress(
    client, admin_gp, daalhof, resident_in
):
    resident = resident_in("step2")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    due = timezone.localdate() + datetime.timedelta(days=14)
    page = client.post(
        reverse("admin:steps_agreedaction_add"),
        {
            "resident": resident.pk,
            "description": "Thuiszorg aanvragen",
            "owner_member": daalhof.poh.pk,
            "due_on": due.isoformat(),
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    action = AgreedAction.objects.get(resident=resident)
    assert (action.meeting, action.created_by, action.due_on) == (meeting, admin_gp, due)


def test_opening_a_meeting_in_the_admin_builds_its_agenda(client, daalhof, resident_in):
    daalhof.coordinator.is_staff = daalhof.coordinator.is_superuser = True
    daalhof.coordinator.save()
    client.force_login(daalhof.coordinator)
    signalled = resident_in("signalled")
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    client.post(
        reverse("admin:kernteam_meeting_changelist"),
        {"action": "open_meeting", "_selected_action": [meeting.pk]},
    )
    meeting.refresh_from_db()
    assert (meeting.status, meeting.chair) == (Meeting.Status.OPEN, daalhof.coordinator)
    assert [(i.resident, i.reasons) for i in meeting.agenda.all()] == [
        (signalled, [AgendaReason.SIGNAL])
    ]


def test_only_the_coordinator_opens_a_meeting_in_the_admin(client, admin_gp, daalhof):
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    page = client.post(
        reverse("admin:kernteam_meeting_changelist"),
        {"action": "open_meeting", "_selected_action": [meeting.pk]},
        follow=True,
    )
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    said = [str(m) for m in page.context["messages"]]
    assert said == [f"{meeting}: Alleen de coördinator van het kernteam opent een MDO."]
