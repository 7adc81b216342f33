"""The moves a member is offered are exactly the moves they may take now (a reason assumed)."""

from __future__ import annotations

from steps.moves import available_moves, check_move
from steps.rules import Move
from tests.factories import open_meeting


def offered(resident, by, meeting=None) -> set[str]:
    return set(available_moves(trajectory=resident.trajectory, move=Move(by=by, meeting=meeting)))


def test_on_the_road_the_district_nurse_may_step_up_or_admit(daalhof, resident_in):
    resident = resident_in("step2")
    assert offered(resident, daalhof.district_nurse) == {"step_up_to_3", "step_up_to_4", "admit"}


def test_the_gp_may_also_step_down_and_close(daalhof, resident_in):
    resident = resident_in("step2")
    assert offered(resident, daalhof.gp) == {
        "step_up_to_3",
        "step_up_to_4",
        "step_down_to_1",
        "admit",
        "close",
    }


def test_in_a_meeting_any_member_may_step_down(daalhof, resident_in):
    resident = resident_in("step3")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    assert offered(resident, daalhof.welfare, meeting) == {
        "step_up_to_4",
        "step_down_to_1",
        "step_down_to_2",
    }


def test_nothing_is_offered_to_a_carer_or_another_team(daalhof, malberg, thea, resident_in):
    resident = resident_in("step2")
    assert offered(resident, thea) == set()
    assert offered(resident, malberg.gp) == set()


def test_check_move_explains_a_move_from_the_wrong_state(daalhof, resident_in):
    resident = resident_in("signalled")
    problems = check_move(
        trajectory=resident.trajectory, transition="admit", move=Move(by=daalhof.gp)
    )
    assert problems == ["Niet mogelijk zolang de cliënt in “Gesignaleerd” is."]
