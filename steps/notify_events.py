"""Who hears at once of what happened to a resident (issue 19): called by the write services
inside their transaction, so that the notice exists exactly when the event does."""

from __future__ import annotations

from clients.carer_notices import CarerKind, notify_carers
from clients.notify import notify_members
from kernteam.notices import Kind
from steps.models import AgreedAction, StepChange, Trajectory


def action_agreed(*, action: AgreedAction, by) -> None:
    """The member who was given the action by someone else; the carer who was given one."""
    key = f"action:{action.pk}"
    if action.owner_member_id is not None:
        notify_members(
            users=[action.owner_member],
            resident=action.resident,
            kind=Kind.ACTION_ASSIGNED,
            key=key,
            by=by,
            on=action.due_on,
        )
    if action.owner_carer_id is not None:
        notify_carers(
            resident=action.resident, kind=CarerKind.ACTION, key=key, carers=[action.owner_carer]
        )


def urgent_step_up(*, trajectory: Trajectory, change: StepChange, by) -> None:
    """A step-up between meetings, flagged for the team's confirmation: the care coordinator
    hears of it (the GP and the team coordinator find it in their digest)."""
    if trajectory.pending_confirmation_id != change.pk:
        return
    resident = trajectory.resident
    notify_members(
        users=[resident.coordinator],
        resident=resident,
        kind=Kind.URGENT_STEP_UP,
        key=f"step-up:{change.pk}",
        by=by,
    )
