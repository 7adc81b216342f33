"""The rules around the care records of issue 17 that read a resident's step: a temporarily
admitted resident holds the step she left (medication review, PZP agenda reason), the board's
"flagged" view and its card flags read one medication rule, and the "PZP" marker is shown only
in a role that reads the PZP of that resident."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from clients.care_planning_services import record_care_planning
from clients.medication_services import record_medication_review
from clients.services import record_consent
from kernteam.models import AgendaReason, Meeting, Membership
from kernteam.roles import Role
from steps.board import any_flag, board_columns, flagged_trajectories
from steps.meetings import agenda_candidates
from steps.services import move_resident


def today() -> datetime.date:
    return timezone.localdate()


def admitted_from(resident_in, nurse, step: str):
    resident = resident_in(step)
    move_resident(resident=resident, transition="admit", expected_state=step, by=nurse)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.step_before_admission == step
    return resident


def review(resident, by, *, medicines: int, months_ago: int = 0):
    return record_medication_review(
        resident=resident,
        by=by,
        reviewed_on=today() - datetime.timedelta(days=31 * months_ago),
        reviewer="gp",
        medicines_in_use=medicines,
    )


def cards(team, user, **kwargs) -> dict[int, object]:
    return {
        c.resident_id: c for col in board_columns(team=team, user=user, **kwargs) for c in col.cards
    }


def reasons_of(daalhof, resident) -> list[str]:
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    return agenda_candidates(meeting=meeting).get(resident.pk, [])


@pytest.mark.django_db
def test_an_admitted_resident_holds_the_step_she_left(daalhof, resident_in):
    nurse = daalhof.district_nurse
    from_one = admitted_from(resident_in, nurse, "step1")
    from_two = admitted_from(resident_in, nurse, "step2")
    from_three = admitted_from(resident_in, nurse, "step3")
    # Medication review: frail from step 2; from step 1 only with ten or more medicines.
    assert AgendaReason.MEDICATION not in reasons_of(daalhof, from_one)
    assert AgendaReason.MEDICATION in reasons_of(daalhof, from_two)
    review(from_one, daalhof.gp, medicines=10, months_ago=13)
    assert AgendaReason.MEDICATION in reasons_of(daalhof, from_one)
    # PZP: expected in step 3 and 4, admitted from them too.
    assert AgendaReason.CARE_PLANNING in reasons_of(daalhof, from_three)
    assert AgendaReason.CARE_PLANNING not in reasons_of(daalhof, from_two)
    board = cards(daalhof.team, daalhof.gp)
    assert "medication" in board[from_two.pk].flags
    assert "medication" in board[from_one.pk].flags  # (the old review of ten medicines)


@pytest.mark.django_db
def test_not_yet_in_care_means_no_medication_review_whatever_the_medicines(daalhof, resident_in):
    screening = resident_in("screening")
    review(screening, daalhof.gp, medicines=14, months_ago=13)
    assert "medication" not in cards(daalhof.team, daalhof.gp)[screening.pk].flags
    assert AgendaReason.MEDICATION not in reasons_of(daalhof, screening)


@pytest.mark.django_db
def test_the_flagged_board_and_the_card_flags_read_one_medication_rule(daalhof, resident_in):
    """Residents at home have nothing else to flag: the flags as a filter (the API's
    ?flagged=true) give exactly those whose card says "medicatie"."""
    gp = daalhof.gp
    step1_few = resident_in("step1")
    review(step1_few, gp, medicines=4, months_ago=14)
    step1_many = resident_in("step1")
    review(step1_many, gp, medicines=11, months_ago=14)
    step1_many_recent = resident_in("step1")
    review(step1_many_recent, gp, medicines=11, months_ago=2)
    step2_none = resident_in("step2")
    step2_recent = resident_in("step2")
    review(step2_recent, gp, medicines=3, months_ago=11)
    step2_old = resident_in("step2")
    review(step2_old, gp, medicines=3, months_ago=12)
    admitted_one = admitted_from(resident_in, daalhof.district_nurse, "step1")
    admitted_four = admitted_from(resident_in, daalhof.district_nurse, "step4")
    review(admitted_four, gp, medicines=2, months_ago=1)
    screening_many = resident_in("screening")
    review(screening_many, gp, medicines=14, months_ago=14)

    every = cards(daalhof.team, gp)
    # the flags as a filter in SQL (the API's ?flagged=true) against the cards' flags
    rows = flagged_trajectories(today=today()).filter(resident__team=daalhof.team)
    flagged = set(rows.filter(any_flag(today=today())).values_list("resident_id", flat=True))
    medication = {pk for pk, card in every.items() if "medication" in card.flags}
    assert medication == {step1_many.pk, step2_none.pk, step2_old.pk}
    assert set(flagged) == {pk for pk, card in every.items() if card.flags}
    # (the admitted ones are flagged for their admission, an outcome event, not medication)
    assert every[admitted_one.pk].flags == every[admitted_four.pk].flags == ("event",)
    at_home = set(every) - {admitted_one.pk, admitted_four.pk}
    assert set(flagged) & at_home == medication


@pytest.mark.django_db
def test_the_pzp_marker_shows_only_in_a_role_that_reads_her_pzp(daalhof, resident_in):
    """A welfare worker who is also district nurse: the consent names only the welfare worker.
    She sees the resident, but not that a PZP exists; once the consent names the district
    nurse, she does."""
    resident = resident_in("step3", consent=False)
    record_care_planning(
        resident=resident,
        by=daalhof.gp,
        held_on=today(),
        participants=["resident", "gp"],
        capacity="yes",
        limits={},
    )
    welfare = daalhof.welfare
    Membership.objects.create(team=daalhof.team, user=welfare, role=Role.DISTRICT_NURSE)
    record_consent(resident=resident, by=daalhof.poh, given_on=today(), disciplines=[Role.WELFARE])
    card = cards(daalhof.team, welfare)[resident.pk]
    assert not card.care_planning
    record_consent(
        resident=resident, by=daalhof.poh, given_on=today(), disciplines=[Role.DISTRICT_NURSE]
    )
    assert cards(daalhof.team, welfare)[resident.pk].care_planning
    assert cards(daalhof.team, daalhof.gp)[resident.pk].care_planning  # (directly involved)
    assert not cards(daalhof.team, daalhof.dementia_case_manager).get(resident.pk)  # not named
