"""The database keeps a trajectory's state equal to its history: an UPDATE of the state that
the newest history row does not record is refused, by a trigger (PostgreSQL and SQLite), even
from SQL that bypasses the application. Moves through the application still pass."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from steps.models import StepChange, Trajectory
from steps.services import move_resident, signal_resident

REFUSED = "state changes only with its history"


def set_state(trajectory: Trajectory, state: str) -> None:
    """What someone with SQL access would do: change the state, write no history."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE steps_trajectory SET state = %s WHERE id = %s", [state, trajectory.pk]
        )


def state_in_database(trajectory: Trajectory) -> str:
    return Trajectory.objects.values_list("state", flat=True).get(pk=trajectory.pk)


def test_sql_cannot_change_a_state_without_history(resident_in):
    trajectory = resident_in("step2").trajectory
    with pytest.raises(DatabaseError, match=REFUSED):
        set_state(trajectory, "step4")
    with pytest.raises(DatabaseError, match=REFUSED):
        set_state(trajectory, "closed")
    assert state_in_database(trajectory) == "step2"
    # what is not the state may still be changed (the review date, …)
    due = timezone.localdate() + datetime.timedelta(days=30)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE steps_trajectory SET review_due = %s, state = state WHERE id = %s",
            [due, trajectory.pk],
        )
    assert Trajectory.objects.get(pk=trajectory.pk).review_due == due


def test_every_move_passes_and_sql_cannot_undo_one(daalhof, resident_in):
    resident = signal_resident(
        team=daalhof.team,
        by=daalhof.poh,
        first_name="Maria",
        last_name="Janssen",
        date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 85, day=1),
        reason="Valt vaak",
    )
    assert resident.trajectory.state == "signalled"
    moved = resident_in("step2")
    for transition, by, expected, extra in (
        ("step_up_to_3", daalhof.district_nurse, "step2", {"reason": "Twee keer gevallen"}),
        ("admit", daalhof.district_nurse, "step3", {}),
        ("return_home", daalhof.gp, "admitted", {}),
        ("close", daalhof.gp, "step3", {"reason": "Verhuisd", "closure_reason": "moved"}),
        ("reopen", daalhof.poh, "closed", {"reason": "Terug in de wijk"}),
    ):
        move_resident(
            resident=moved, transition=transition, expected_state=expected, by=by, **extra
        )
    trajectory = Trajectory.objects.get(resident=moved)
    assert trajectory.state == "signalled"
    assert trajectory.history.order_by("pk").last().to_state == "signalled"
    # the newest row says closed → signalled: neither back to closed nor anywhere else by SQL
    for state in ("closed", "step3", "screening"):
        with pytest.raises(DatabaseError, match=REFUSED):
            set_state(trajectory, state)
    assert state_in_database(trajectory) == "signalled"


def test_only_a_history_row_for_exactly_that_move_lets_the_state_change(daalhof, resident_in):
    trajectory = resident_in("step2").trajectory

    def recorded(source: str, target: str) -> None:
        StepChange.objects.create(
            trajectory=trajectory,
            kind="step_up",
            from_state=source,
            to_state=target,
            actor=daalhof.gp,
            reason="…",
        )

    recorded("step1", "step3")  # not from the state it has
    with pytest.raises(DatabaseError, match=REFUSED):
        set_state(trajectory, "step3")
    recorded("step2", "step4")  # not to the state set
    with pytest.raises(DatabaseError, match=REFUSED):
        set_state(trajectory, "step3")
    assert state_in_database(trajectory) == "step2"
    recorded("step2", "step3")  # the move, on record: it leaves its trace
    set_state(trajectory, "step3")
    assert state_in_database(trajectory) == "step3"
