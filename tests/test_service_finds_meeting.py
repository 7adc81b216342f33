"""The write services decide which meeting a change belongs to: the team's meeting in progress
(opened today), looked up inside their transaction. A caller that says nothing about meetings
(a new entry point, a script) cannot turn a team decision into an urgent step-up."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from clients.models import Concern
from clients.services import handle_concern
from kernteam.refusals import Refused
from steps.services import add_goal, agree_action, confirm_step_up, move_resident
from tests.factories import carer_for, open_meeting

pytestmark = pytest.mark.django_db


def step_up(resident, team):
    return move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=team.district_nurse,
        reason="Valt vaker; dochter overbelast.",
    )


def test_a_move_while_the_meeting_is_open_is_the_teams_decision(daalhof, resident_in):
    resident = resident_in("step2")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    change = step_up(resident, daalhof)
    assert change.meeting == meeting
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is None  # not urgent


def test_between_meetings_a_step_up_is_urgent_and_confirmed_in_the_next(daalhof, resident_in):
    resident = resident_in("step2")
    urgent = step_up(resident, daalhof)
    assert urgent.meeting is None
    with translation.override("nl"), pytest.raises(Refused) as refused:
        confirm_step_up(resident=resident, by=daalhof.gp, step_up=urgent)
    assert refused.value.problems == ["Dit kan alleen in een MDO."]
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    confirmed = confirm_step_up(resident=resident, by=daalhof.gp, step_up=urgent)
    assert (confirmed.meeting, confirmed.confirms) == (meeting, urgent)


def test_a_meeting_left_open_since_yesterday_decides_nothing(daalhof, resident_in):
    resident = resident_in("step2")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    meeting.opened_at = timezone.now() - datetime.timedelta(days=1)
    meeting.save(update_fields=["opened_at"])
    assert step_up(resident, daalhof).meeting is None


def test_goals_actions_and_handled_concerns_are_recorded_in_the_open_meeting(daalhof, resident_in):
    resident = resident_in("step2")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    goal = add_goal(
        resident=resident, by=daalhof.poh, domain="functional", description="Veilig thuis"
    )
    action = agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Valmat bestellen",
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        owner_member=daalhof.district_nurse,
    )
    concern = Concern.objects.create(
        resident=resident, carer=carer_for(resident), text="Ze eet slecht.", recorded_by=daalhof.poh
    )
    handled = handle_concern(concern=concern, by=daalhof.poh)
    assert (goal.meeting, action.meeting, handled.handled_in) == (meeting, meeting, meeting)
