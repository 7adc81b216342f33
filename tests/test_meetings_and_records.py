"""Meetings make team decisions only while open on the day; records validate what is typed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import Consent
from kernteam.models import Meeting
from kernteam.refusals import Refused
from steps import meetings, rules
from steps.models import AgreedAction
from steps.services import agree_action, complete_action, move_resident
from tests.factories import carer_for, goal, open_meeting
from tests.helpers import exactly

MEMBERS_ONLY = "Alleen leden van het kernteam van deze cliënt kunnen dit doen."


def test_only_the_coordinator_opens_a_planned_meeting(daalhof):
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    only_opens = exactly("Alleen de coördinator van het kernteam opent een MDO.")
    with pytest.raises(Refused, match=only_opens):
        meetings.open_meeting(meeting=meeting, by=daalhof.gp)
    meetings.open_meeting(meeting=meeting, by=daalhof.coordinator)
    only_closes = exactly("Alleen de coördinator van het kernteam sluit een MDO af.")
    with pytest.raises(Refused, match=only_closes):
        meetings.close_meeting(meeting=meeting, by=daalhof.gp)
    meetings.close_meeting(meeting=meeting, by=daalhof.coordinator)
    with pytest.raises(Refused, match=exactly("Alleen een gepland MDO kan worden geopend.")):
        meetings.open_meeting(
            meeting=meeting, by=daalhof.coordinator
        )  # a closed meeting is not reopened


def test_a_meeting_left_open_does_not_decide_next_week(daalhof, resident_in):
    resident = resident_in("step3")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    Meeting.objects.filter(pk=meeting.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=7)
    )
    meeting.refresh_from_db()
    with pytest.raises(Refused) as exc:
        move_resident(
            resident=resident,
            transition="step_down_to_2",
            expected_state="step3",
            by=daalhof.poh,
            reason="Gaat beter",
            meeting=meeting,
        )
    assert "niet bezig" in exc.value.problems[0]


def test_a_former_member_is_no_care_coordinator(daalhof, resident_in):
    resident = resident_in("screening", coordinator=daalhof.poh)
    daalhof.team.memberships.filter(user=daalhof.poh).update(ended_on=timezone.localdate())
    assert rules.coordinator_named.problem(resident.trajectory, rules.Move(by=daalhof.gp))


@pytest.mark.parametrize(
    ("disciplines", "message"),
    [
        (5, "Noem de disciplines"),
        (["gp", 1], "Noem de disciplines"),
        ([], "Noem ten minste één discipline"),
        (["gp", "tandarts"], "Onbekende discipline: tandarts."),
    ],
)
def test_consent_scope_is_checked(daalhof, resident_in, disciplines, message):
    consent = Consent(
        resident=resident_in("signalled"),
        given_on=timezone.localdate(),
        recorded_by=daalhof.poh,
        disciplines=disciplines,
    )
    with pytest.raises(ValidationError) as exc:
        consent.full_clean()
    assert exc.value.message_dict["disciplines"][0].startswith(message)


def test_consent_is_recorded_by_a_team_member_and_not_in_the_future(daalhof, malberg, resident_in):
    consent = Consent(
        resident=resident_in("signalled"),
        recorded_by=malberg.poh,
        given_on=timezone.localdate() + datetime.timedelta(days=1),
        disciplines=["gp"],
    )
    with pytest.raises(ValidationError) as exc:
        consent.full_clean()
    assert exc.value.message_dict == {
        "given_on": ["De datum ligt in de toekomst."],
        "__all__": ["Toestemming wordt vastgelegd door een lid van het kernteam van de cliënt."],
    }


def test_an_action_cannot_hang_under_another_residents_goal(daalhof, resident_in):
    mine, other = resident_in("step2"), resident_in("step2")
    with pytest.raises(ValidationError) as exc:
        agree_action(
            resident=mine,
            by=daalhof.poh,
            description="Bellen",
            due_on=timezone.localdate(),
            owner_member=daalhof.poh,
            goal=goal(other, daalhof.poh),
        )
    assert "goal" in exc.value.message_dict


# --- completing agreed actions -------------------------------------------------------------


@pytest.fixture
def carers_action(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident, username="thea.carer")
    action = agree_action(
        resident=resident,
        by=daalhof.poh,
        owner_carer=carer,
        description="Personenalarmering aanvragen",
        due_on=timezone.localdate(),
    )
    return action


def test_the_owning_carer_ticks_off_her_action(carers_action):
    done = complete_action(action=carers_action, by=carers_action.owner_carer.user)
    assert (
        done.status == AgreedAction.Status.DONE and done.done_by == carers_action.owner_carer.user
    )
    again = complete_action(action=carers_action, by=carers_action.owner_carer.user)
    assert again.done_at == done.done_at  # ticking twice changes nothing


def test_a_carer_whose_link_ended_cannot_tick_off(carers_action):
    carers_action.owner_carer.links.update(ended_on=timezone.localdate())
    with pytest.raises(Refused) as refused:
        complete_action(action=carers_action, by=carers_action.owner_carer.user)
    assert refused.value.forbidden and refused.value.problems == [MEMBERS_ONLY]
    carers_action.refresh_from_db()
    assert carers_action.status == AgreedAction.Status.OPEN


def test_other_people_cannot_tick_off(carers_action, malberg, thea):
    for outsider in (malberg.gp, thea):
        with pytest.raises(Refused) as refused:
            complete_action(action=carers_action, by=outsider)
        assert refused.value.forbidden and refused.value.problems == [MEMBERS_ONLY]


def test_no_ticking_off_once_the_record_is_closed(daalhof, carers_action):
    move_resident(
        resident=carers_action.resident,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Overleden",
        closure_reason="deceased",
    )
    with pytest.raises(Refused, match="afgesloten"):
        complete_action(action=carers_action, by=daalhof.poh)


def test_a_cancelled_action_cannot_be_done(daalhof, carers_action):
    AgreedAction.objects.filter(pk=carers_action.pk).update(status="cancelled")
    with pytest.raises(Refused, match="vervallen"):
        complete_action(action=carers_action, by=daalhof.poh)
