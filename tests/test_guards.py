"""Each guard of shared/domain.md: with only that condition missing, the move is refused with a
message naming it, and nothing changes. (Remove the guard and its test fails.)"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kernteam.refusals import Refused
from steps import meetings, rules
from steps.models import Kind
from steps.services import StateConflict, confirm_step_up, move_resident
from steps.states import add_months
from tests.factories import give_consent, goal, open_meeting, score


def move(resident, transition, by, **kwargs):
    resident.trajectory.refresh_from_db()
    kwargs.setdefault("reason", "Besproken")
    change = move_resident(
        resident=resident,
        transition=transition,
        expected_state=resident.trajectory.state,
        by=by,
        **kwargs,
    )
    resident.trajectory.refresh_from_db()
    return change


def refused(resident, transition, by, **kwargs) -> list[str]:
    state = resident.trajectory.state
    count = resident.trajectory.history.count()
    with pytest.raises(Refused) as exc:
        move(resident, transition, by, **kwargs)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == state, "a refused move must not change the state"
    assert resident.trajectory.history.count() == count, "a refused move writes no history"
    return exc.value.problems


def msg(rule) -> str:
    return str(rule.message)


# --- signalled → screening ---------------------------------------------------------------


def test_screening_needs_consent(daalhof, resident_in):
    resident = resident_in("signalled")
    assert refused(resident, "start_screening", daalhof.poh) == [
        "Er is geen toestemming vastgelegd."
    ]
    give_consent(resident, daalhof.poh)
    move(resident, "start_screening", daalhof.poh)
    assert resident.trajectory.state == "screening"


def test_withdrawn_consent_does_not_count(daalhof, resident_in):
    resident = resident_in("signalled")
    give_consent(resident, daalhof.poh).withdraw(by=daalhof.poh)
    assert refused(resident, "start_screening", daalhof.poh) == [msg(rules.consent_recorded)]


# --- screening → step 1 ------------------------------------------------------------------


def test_step1_needs_a_screening_below_the_cutoff(daalhof, resident_in):
    resident = resident_in("screening")
    expected = [msg(rules.screening_below_cutoff_or_team_decision)]
    assert refused(resident, "assign_step1", daalhof.poh) == expected
    score(resident, "gfi", 6, daalhof.poh)  # frail: not step 1 without the team
    assert refused(resident, "assign_step1", daalhof.poh) == expected
    score(resident, "gfi", 3, daalhof.poh)
    move(resident, "assign_step1", daalhof.poh)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step1"
    assert resident.trajectory.review_due == add_months(timezone.localdate(), 12)


def test_step1_by_team_decision_without_screening(daalhof, resident_in):
    resident = resident_in("screening")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    change = move(resident, "assign_step1", daalhof.poh, meeting=meeting)
    assert change.meeting == meeting


# --- screening → step 2 / step 3 ---------------------------------------------------------


@pytest.fixture
def frail(daalhof, resident_in):
    resident = resident_in("screening", coordinator=daalhof.poh)
    score(resident, "gfi", 7, daalhof.poh)
    goal(resident, daalhof.poh)
    return resident


@pytest.fixture
def complex_(daalhof, frail):
    score(frail, "intermed", 20, daalhof.poh)
    return frail


STEP2_OR_3 = pytest.mark.parametrize("transition", ["assign_step2", "assign_step3"])


@STEP2_OR_3
def test_step2_and_3_need_a_screening_above_the_cutoff(daalhof, complex_, transition):
    score(complex_, "tfi", 3, daalhof.poh)  # the latest screening is below the cut-off
    assert refused(complex_, transition, daalhof.poh) == [
        msg(rules.screening_above_cutoff_or_team_override)
    ]


@STEP2_OR_3
def test_step2_and_3_team_override_needs_a_meeting_and_a_reason(daalhof, complex_, transition):
    score(complex_, "tfi", 3, daalhof.poh)
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    expected = [msg(rules.screening_above_cutoff_or_team_override)]
    assert refused(complex_, transition, daalhof.poh, meeting=meeting, reason=" ") == expected
    move(complex_, transition, daalhof.poh, meeting=meeting, reason="Zorgen van de dochter")
    assert complex_.trajectory.state == transition[-1].join(["step", ""])


@STEP2_OR_3
def test_step2_and_3_need_a_coordinator(daalhof, complex_, transition):
    complex_.coordinator = None
    complex_.save()
    assert refused(complex_, transition, daalhof.poh) == ["Er is geen zorgcoördinator benoemd."]


@STEP2_OR_3
def test_step2_and_3_need_an_open_goal(daalhof, resident_in, transition):
    resident = resident_in("screening", coordinator=daalhof.poh)
    score(resident, "gfi", 7, daalhof.poh)
    score(resident, "intermed", 20, daalhof.poh)
    goal(resident, daalhof.poh, status="achieved")
    assert refused(resident, transition, daalhof.poh) == [msg(rules.has_goal)]


def test_step2_names_every_missing_condition(daalhof, resident_in):
    resident = resident_in("screening")
    assert refused(resident, "assign_step2", daalhof.poh) == [
        msg(rules.screening_above_cutoff_or_team_override),
        msg(rules.coordinator_named),
        msg(rules.has_goal),
    ]


def test_step2_sets_the_review_six_months_ahead(daalhof, frail):
    move(frail, "assign_step2", daalhof.poh)
    today = timezone.localdate()
    frail.trajectory.refresh_from_db()
    assert (frail.trajectory.review_due - today).days in range(181, 185)


def test_step3_needs_a_complex_needs_finding(daalhof, frail):
    assert refused(frail, "assign_step3", daalhof.poh) == [
        msg(rules.complex_needs_or_team_decision)
    ]
    score(frail, "intermed", 15, daalhof.poh)  # below 16: not complex
    assert refused(frail, "assign_step3", daalhof.poh) == [
        msg(rules.complex_needs_or_team_decision)
    ]
    score(frail, "intermed", 16, daalhof.poh)
    move(frail, "assign_step3", daalhof.poh)
    assert frail.trajectory.state == "step3"


def test_step3_by_team_decision_without_intermed(daalhof, frail):
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    move(frail, "assign_step3", daalhof.poh, meeting=meeting)
    assert frail.trajectory.state == "step3"


def test_step3_needs_an_elderly_care_physician_on_the_team(daalhof, frail):
    score(frail, "intermed", 20, daalhof.poh)
    daalhof.team.memberships.filter(role="elderly_care_physician").update(
        ended_on=timezone.localdate()
    )
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    assert refused(frail, "assign_step3", daalhof.poh, meeting=meeting) == [
        msg(rules.elderly_care_physician_on_team)
    ]


# --- step up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transition", "source"),
    [
        ("step_up_to_2", "step1"),
        ("step_up_to_3", "step2"),
        ("step_up_to_4", "step3"),
        ("step_down_to_1", "step2"),
        ("step_down_to_2", "step3"),
        ("step_down_to_3", "step4"),
        ("close", "step2"),
        ("reopen", "closed"),
    ],
)
def test_step_decisions_need_a_reason(daalhof, resident_in, transition, source):
    resident = resident_in(source)
    problems = refused(resident, transition, daalhof.gp, reason="  ", closure_reason="moved")
    assert problems == ["Geef een reden op."]


def test_urgent_step_up_awaits_confirmation_at_the_next_meeting(daalhof, resident_in):
    resident = resident_in("step2")
    change = move(resident, "step_up_to_3", daalhof.district_nurse, reason="Twee keer gevallen")
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation == change
    assert change.urgent and change.meeting is None
    assert (resident.trajectory.review_due - timezone.localdate()).days in range(89, 93)

    # Confirmation is a team decision: not from the road.
    with pytest.raises(Refused) as exc:
        confirm_step_up(resident=resident, by=daalhof.gp, meeting=None, step_up=change)
    assert exc.value.problems == [msg(rules.in_meeting)]

    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    confirmation = confirm_step_up(
        resident=resident, by=daalhof.gp, meeting=meeting, step_up=change
    )
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is None
    assert confirmation.kind == Kind.CONFIRM and confirmation.confirms == change
    assert resident.trajectory.state == "step3"

    with pytest.raises(StateConflict, match="al bevestigd"):
        confirm_step_up(resident=resident, by=daalhof.gp, meeting=meeting, step_up=change)


def test_step_up_in_a_meeting_is_not_urgent(daalhof, resident_in):
    resident = resident_in("step1")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    move(resident, "step_up_to_2", daalhof.poh, meeting=meeting)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is None


def test_a_step_cannot_be_skipped_from_the_wrong_state(daalhof, resident_in):
    resident = resident_in("step3")
    assert refused(resident, "step_up_to_2", daalhof.gp) == [
        "Niet mogelijk zolang de cliënt in “Stap 3 · Complexe zorg” is."
    ]


# --- step down ----------------------------------------------------------------------------


def test_step_down_needs_a_team_decision_or_the_gp(daalhof, resident_in):
    resident = resident_in("step3")
    assert refused(resident, "step_down_to_2", daalhof.poh) == [msg(rules.team_decision_or_gp)]
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    move(resident, "step_down_to_2", daalhof.poh, meeting=meeting)
    assert resident.trajectory.state == "step2"
    move(resident, "step_down_to_1", daalhof.gp)
    assert resident.trajectory.state == "step1"


def test_step_down_needs_a_reason(daalhof, resident_in):
    resident = resident_in("step3")
    assert refused(resident, "step_down_to_2", daalhof.gp, reason="") == [msg(rules.reason_given)]


def test_a_closed_meeting_is_no_team_decision(daalhof, resident_in):
    resident = resident_in("step3")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    meeting = meetings.close_meeting(meeting=meeting, by=daalhof.coordinator)
    problems = refused(resident, "step_down_to_2", daalhof.poh, meeting=meeting)
    assert problems == [
        str(rules.meeting_problem(resident.trajectory, rules.Move(by=daalhof.poh, meeting=meeting)))
    ]
    assert "niet" in problems[0]


def test_another_teams_meeting_is_no_team_decision(daalhof, malberg, resident_in):
    resident = resident_in("step3")
    meeting = open_meeting(malberg.team, malberg.coordinator)
    assert refused(resident, "step_down_to_2", daalhof.poh, meeting=meeting) == [
        "Dat MDO hoort bij een ander kernteam."
    ]


def test_step_down_clears_a_pending_step_up(daalhof, resident_in):
    resident = resident_in("step2")
    move(resident, "step_up_to_3", daalhof.district_nurse, reason="Gevallen")
    move(resident, "step_down_to_2", daalhof.gp, reason="Valt mee, fysio loopt")
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is None


# --- admitted -----------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["step1", "step2", "step3", "step4"])
def test_admission_returns_to_the_step_held_before(daalhof, resident_in, step):
    resident = resident_in(step)
    move(resident, "admit", daalhof.district_nurse, reason="Heupfractuur, MUMC+")
    assert resident.trajectory.state == "admitted"
    change = move(resident, "return_home", daalhof.gp, reason="Ontslagen naar huis")
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == step
    assert (change.from_state, change.to_state) == ("admitted", step)
    assert resident.trajectory.review_due == timezone.localdate()  # review due at once


def test_only_residents_in_a_step_can_be_admitted(daalhof, resident_in):
    resident = resident_in("screening")
    assert refused(resident, "admit", daalhof.district_nurse) == [
        "Niet mogelijk zolang de cliënt in “Screening” is."
    ]


# --- closed -------------------------------------------------------------------------------


def test_closing_needs_a_closure_reason(daalhof, resident_in):
    resident = resident_in("step2")
    assert refused(resident, "close", daalhof.gp, closure_reason="") == [
        msg(rules.closure_reason_given)
    ]
    move(resident, "close", daalhof.gp, closure_reason="deceased", reason="Overleden op 12-11")
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "closed"
    assert resident.trajectory.closure_reason == "deceased"
    assert resident.trajectory.review_due is None


def test_a_closed_record_can_be_reopened_as_a_signal(daalhof, resident_in):
    resident = resident_in("step2")
    move(resident, "close", daalhof.coordinator, closure_reason="moved", reason="Verhuisd")
    move(resident, "reopen", daalhof.poh, reason="Terug in Daalhof")
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "signalled"
    kinds = list(resident.trajectory.history.values_list("kind", flat=True))
    assert kinds[-2:] == ["close", "reopen"]


def test_review_intervals_follow_the_step(daalhof, resident_in):
    resident = resident_in("step3")
    move(resident, "step_up_to_4", daalhof.gp)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.review_due == timezone.localdate() + datetime.timedelta(weeks=6)


def test_only_team_members_confirm_an_urgent_step_up(daalhof, malberg, thea, resident_in):
    resident = resident_in("step2")
    change = move(resident, "step_up_to_3", daalhof.district_nurse, reason="Gevallen")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    for outsider in (malberg.gp, thea):
        with pytest.raises(Refused) as exc:
            confirm_step_up(resident=resident, by=outsider, meeting=meeting, step_up=change)
        assert exc.value.problems == [msg(rules.professional_member)]
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is not None


def test_closing_for_withdrawn_consent_withdraws_it(daalhof, resident_in):
    resident = resident_in("step1")
    consent = give_consent(resident, daalhof.poh)
    move(resident, "close", daalhof.gp, closure_reason="consent_withdrawn", reason="Wil niet meer")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == daalhof.gp
    assert resident.active_consent() is None


def test_confirming_a_superseded_step_up_is_a_conflict(daalhof, malberg, resident_in):
    """The team was shown 2→3; meanwhile it was undone and a new urgent 2→4 taken."""
    resident = resident_in("step2")
    shown = move(resident, "step_up_to_3", daalhof.district_nurse, reason="Gevallen")
    move(resident, "step_down_to_2", daalhof.gp, reason="Viel mee")
    move(resident, "step_up_to_4", daalhof.district_nurse, reason="Weer gevallen, nu met breuk")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    with pytest.raises(StateConflict) as exc:
        confirm_step_up(resident=resident, by=daalhof.poh, meeting=meeting, step_up=shown)
    assert "Stap 4" in str(exc.value)
    assert daalhof.district_nurse.get_full_name() in str(exc.value)
    with pytest.raises(Refused) as exc:  # an outsider is refused, not told who moved her
        confirm_step_up(resident=resident, by=malberg.gp, meeting=meeting, step_up=shown)
    assert exc.value.forbidden and exc.value.problems == [msg(rules.professional_member)]
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.pending_confirmation is not None


def test_no_confirmation_while_admitted(daalhof, resident_in):
    resident = resident_in("step2")
    change = move(resident, "step_up_to_3", daalhof.district_nurse, reason="Gevallen")
    move(resident, "admit", daalhof.district_nurse, reason="Ziekenhuis")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    with pytest.raises(Refused) as exc:
        confirm_step_up(resident=resident, by=daalhof.poh, meeting=meeting, step_up=change)
    assert exc.value.problems == [msg(rules.in_a_step)]


def test_history_names_the_role_that_authorised_the_move(daalhof, resident_in):
    """Someone who is welfare worker and coordinator closes a record: as coordinator."""
    from tests.factories import MembershipFactory

    MembershipFactory(team=daalhof.team, user=daalhof.welfare, role="coordinator")
    resident = resident_in("step1")
    change = move(resident, "close", daalhof.welfare, closure_reason="moved", reason="Verhuisd")
    assert change.actor_role == "coordinator"
    assert change.closure_reason == "moved"  # kept on the row, also after a reopen
    move(resident, "reopen", daalhof.poh, reason="Terug")
    assert resident.trajectory.history.get(kind="close").closure_reason == "moved"
