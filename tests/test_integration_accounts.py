"""An integration account (issue 20: a GP information system's connector, a member account of a
team in the group `kernteam.roles.INTEGRATIONS`) is a system, not a person on the team
(`Team.people`). It is not offered or accepted as a care coordinator or as an action's owner,
does not satisfy a rule that asks for a role on the team, gets no digest, notice or reminder, is
not counted in the KPIs and is not on a meeting's attendance list. What it may see stays what
its role may see."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from clients.models import Resident
from clients.services import change_coordinator, coordinator_candidates, raise_concern
from clients.visibility import can_see_resident
from frontend.forms import ActionForm
from frontend.referral_views import ReferralForm
from kernteam.models import Meeting, person_name
from kernteam.notices import Kind, Notice
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps import kpi, meetings, rules
from steps.digest import due_lines, send_digests
from steps.models import AgreedAction
from steps.notify_plan import remind_coordinators
from steps.referral_services import create_offer
from steps.referrals import OfferKind
from steps.services import agree_action, move_resident
from tests.factories import carer_for, goal, open_meeting, score
from tests.helpers import API, api_as
from tests.notifications.helpers import MONDAY, at, with_email
from tests.subscription_helpers import integration_account, nl

pytestmark = pytest.mark.django_db

NOT_A_MEMBER = "The care coordinator must be a member of the resident's team."
NOT_AN_OWNER = "The owner must be a member of the resident's team."


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(at(MONDAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def his(daalhof):
    """The GP information system's account: on the team in the GP's role."""
    return integration_account(daalhof.team, role=Role.GP)


def step(resident, transition: str, by, **kwargs):
    resident.trajectory.refresh_from_db()
    return move_resident(
        resident=resident,
        transition=transition,
        expected_state=resident.trajectory.state,
        by=by,
        reason=kwargs.pop("reason", "Besproken"),
        **kwargs,
    )


def legacy_coordinator(resident, user) -> Resident:
    """`user` as the care coordinator, as if named before the rule existed."""
    Resident.objects.filter(pk=resident.pk).update(coordinator=user)
    resident.refresh_from_db()
    return resident


# --- care coordinator ----------------------------------------------------------------------


def test_an_integration_account_is_not_offered_nor_named_as_care_coordinator(
    daalhof, resident_in, his
):
    resident = resident_in("step2")
    assert can_see_resident(user=his, resident=resident)  # (its role sees her file)
    offered = {pk for pk, _label in coordinator_candidates(resident)}
    assert daalhof.gp.pk in offered and his.pk not in offered
    with translation.override("en"), pytest.raises(Refused) as refused:
        change_coordinator(resident=resident, by=daalhof.gp, coordinator_id=his.pk, expected=None)
    assert (refused.value.fields, refused.value.forbidden) == (
        {"coordinator": [NOT_A_MEMBER]},
        False,
    )
    resident.refresh_from_db()
    assert resident.coordinator_id is None


def test_an_integration_account_named_before_is_no_care_coordinator_for_the_rules(
    daalhof, resident_in, his
):
    resident = resident_in("screening")
    score(resident, "gfi", 7, daalhof.poh)
    goal(resident, daalhof.poh)
    legacy_coordinator(resident, his)
    with pytest.raises(Refused) as refused:
        step(resident, "assign_step2", daalhof.poh)
    assert refused.value.problems == [str(rules.coordinator_named.message)]
    with pytest.raises(ValidationError) as invalid:
        resident.full_clean()
    assert invalid.value.message_dict == {"coordinator": [nl(NOT_A_MEMBER)]}
    legacy_coordinator(resident, daalhof.poh)
    step(resident, "assign_step2", daalhof.poh)
    assert resident.trajectory.state == "step2"


# --- owner of an agreed action or a referral -------------------------------------------------


def test_an_integration_account_is_not_offered_as_an_actions_or_a_referrals_owner(
    daalhof, resident_in, his
):
    resident = resident_in("step2")
    owners = {value for value, _label in ActionForm(resident=resident).fields["owner"].choices}
    assert f"m{daalhof.gp.pk}" in owners and f"m{his.pk}" not in owners
    owners = {value for value, _label in ReferralForm(resident=resident).fields["owner"].choices}
    assert str(daalhof.gp.pk) in owners and str(his.pk) not in owners


def test_an_integration_account_is_refused_as_an_actions_owner(daalhof, resident_in, his):
    resident = resident_in("step2")
    due = MONDAY + datetime.timedelta(days=7)
    with pytest.raises(ValidationError) as invalid:
        agree_action(
            resident=resident,
            by=daalhof.poh,
            description="Medicatie nalopen",
            due_on=due,
            owner_member=his,
        )
    assert invalid.value.message_dict == {"owner_member": [nl(NOT_AN_OWNER)]}
    answer = api_as(daalhof.poh).post(
        f"{API}/residents/{resident.pk}/actions/",
        {"description": "Medicatie nalopen", "due_on": due.isoformat(), "owner_member": his.pk},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"owner_member": [nl(NOT_AN_OWNER)]}
    assert not AgreedAction.objects.exists()


def test_an_integration_account_is_refused_as_a_referrals_owner(daalhof, resident_in, his):
    resident = resident_in("step2")
    offer = create_offer(
        by=daalhof.coordinator,
        team=daalhof.team,
        name="Tafeltje-dek-je Daalhof",
        kind=OfferKind.MEALS,
        provider="Envida Tafeltje-dek-je",
    )
    body = {
        "offer": offer.pk,
        "owner_member": his.pk,
        "due_on": (MONDAY + datetime.timedelta(days=14)).isoformat(),
    }
    answer = api_as(daalhof.welfare).post(
        f"{API}/residents/{resident.pk}/referrals/", body, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"owner_member": [nl(NOT_AN_OWNER)]}
    assert not AgreedAction.objects.exists()


# --- a role a rule asks for ----------------------------------------------------------------


def test_an_integration_account_is_no_elderly_care_physician_on_the_team(daalhof, resident_in):
    resident = resident_in("screening", coordinator=daalhof.poh)
    score(resident, "gfi", 7, daalhof.poh)
    score(resident, "intermed", 20, daalhof.poh)
    goal(resident, daalhof.poh)
    daalhof.team.memberships.filter(role=Role.ELDERLY_CARE_PHYSICIAN).update(ended_on=MONDAY)
    integration_account(daalhof.team, role=Role.ELDERLY_CARE_PHYSICIAN)
    assert not daalhof.team.has_active_role(Role.ELDERLY_CARE_PHYSICIAN)
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    with pytest.raises(Refused) as refused:
        step(resident, "assign_step3", daalhof.poh, meeting=meeting)
    assert refused.value.problems == [str(rules.elderly_care_physician_on_team.message)]


# --- digests, notices, reminders -------------------------------------------------------------


def test_an_integration_account_gets_no_digest(daalhof, resident_in, his):
    with_email(daalhof.gp, his)
    urgent = resident_in("step2", coordinator=daalhof.welfare)
    step(urgent, "step_up_to_3", daalhof.welfare, reason="Opgenomen geweest")
    lines = due_lines(team=daalhof.team, day=MONDAY)
    assert daalhof.gp.pk in lines and his.pk not in lines
    assert send_digests(day=MONDAY) >= 1
    assert Notice.objects.filter(user=daalhof.gp, kind=Kind.DIGEST).exists()
    assert not Notice.objects.filter(user=his).exists()


def test_an_integration_account_in_the_coordinators_role_is_not_reminded_of_a_meeting(daalhof):
    system = integration_account(daalhof.team, role=Role.COORDINATOR, username="rdp.koppeling")
    with_email(daalhof.coordinator, system)
    Meeting.objects.create(
        team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(days=1), 9, 30)
    )
    assert remind_coordinators(day=MONDAY) == 1
    reminded = Notice.objects.filter(kind=Kind.MEETING_REMINDER)
    assert list(reminded.values_list("user", flat=True)) == [daalhof.coordinator.pk]


def test_an_integration_account_named_before_hears_no_notice(daalhof, resident_in, his):
    resident = legacy_coordinator(resident_in("step2"), his)
    carer = carer_for(resident)
    raise_concern(resident=resident, by=daalhof.poh, text="Valt vaak", carer=carer)
    assert not Notice.objects.filter(user=his).exists()
    legacy_coordinator(resident, daalhof.gp)
    raise_concern(resident=resident, by=daalhof.poh, text="Eet slecht", carer=carer)
    assert Notice.objects.filter(user=daalhof.gp, kind=Kind.CONCERN).count() == 1


# --- KPIs --------------------------------------------------------------------------------------


def test_a_coordinator_who_is_an_integration_account_is_not_counted_in_the_kpi(
    daalhof, resident_in, his
):
    for coordinator in (daalhof.poh, his):
        resident = legacy_coordinator(resident_in("step2"), coordinator)
        goal(resident, daalhof.poh)
        AgreedAction.objects.create(
            resident=resident,
            description="Medicatie nalopen",
            due_on=MONDAY,
            owner_member=daalhof.poh,
            created_by=daalhof.poh,
        )
    care = kpi.care_plan_coverage(teams=[daalhof.team], today=MONDAY)
    assert care == kpi.CarePlanCoverage(frail=2, with_coordinator=1, with_care_plan=2, with_both=1)


# --- meetings ------------------------------------------------------------------------------


def test_an_integration_account_is_not_on_the_attendance_list(client, daalhof, his):
    assert his not in meetings.team_members(team=daalhof.team)
    assert daalhof.gp in meetings.team_members(team=daalhof.team)
    meeting = Meeting.objects.create(
        team=daalhof.team, scheduled_for=timezone.now() + datetime.timedelta(hours=1)
    )
    client.force_login(daalhof.coordinator)
    page = client.get(reverse("meeting", args=[daalhof.team.slug, meeting.pk]))
    assert page.status_code == 200
    assert escape(person_name(daalhof.gp)) in page.content.decode()
    assert escape(person_name(his)) not in page.content.decode()
    opened = meetings.open_meeting(
        meeting=meeting, by=daalhof.coordinator, attendees=[his.pk, daalhof.gp.pk]
    )
    assert set(opened.attendees.all()) == {daalhof.coordinator, daalhof.gp}
