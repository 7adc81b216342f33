"""Two people move the same resident at the same moment: exactly one wins, the other is told
what happened, and the history has exactly one new row. Real connections, real threads."""

from __future__ import annotations

import pytest

from steps.models import StepChange, Trajectory
from steps.services import StateConflict, move_resident
from tests.factories import ResidentFactory
from tests.helpers import race


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["step_up_to_3", "admit", "step_up_to_4"])
def test_two_moves_on_one_resident_exactly_one_wins(daalhof, second):
    resident = ResidentFactory(team=daalhof.team, state="step2")
    before = StepChange.objects.count()
    by = [daalhof.district_nurse, daalhof.gp]
    transitions = ["step_up_to_3", second]

    results = race(
        2,
        lambda i: move_resident(
            resident=resident,
            transition=transitions[i],
            expected_state="step2",
            by=by[i],
            reason="Gevallen",
        ),
    )

    wins = [r for r in results if isinstance(r, StepChange)]
    conflicts = [r for r in results if isinstance(r, StateConflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert StepChange.objects.count() == before + 1
    trajectory = Trajectory.objects.get(resident=resident)
    assert trajectory.state == wins[0].to_state
    assert conflicts[0].current_state == trajectory.state
    winner = wins[0].actor
    assert (winner.get_full_name() or winner.username) in str(conflicts[0])


@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_moves_on_one_resident(daalhof):
    """Eight people, one resident, one moment: row locks on PostgreSQL, the write lock taken
    at BEGIN (IMMEDIATE) on SQLite."""
    resident = ResidentFactory(team=daalhof.team, state="step1")
    results = race(
        8,
        lambda i: move_resident(
            resident=resident,
            transition="step_up_to_2",
            expected_state="step1",
            by=daalhof.district_nurse,
            reason=f"Melding {i}",
        ),
    )
    assert sum(isinstance(r, StepChange) for r in results) == 1, results
    assert sum(isinstance(r, StateConflict) for r in results) == 7, results
    trajectory = Trajectory.objects.get(resident=resident)
    assert trajectory.state == "step2"
    assert list(trajectory.history.values_list("to_state", flat=True)) == ["step2"]
