"""What a move does to a trajectory's other fields: the one place this rule is written.

Pure: no database and no clock. The state machine (`steps.models.Trajectory`), the demo's
replay of planned hops (`demo.history.replay`) and the seed test all derive the fields here.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Generic, TypeVar

from steps.states import REVIEWING, STEPS, Kind, review_due

Row = TypeVar("Row")


@dataclass(frozen=True)
class Fields(Generic[Row]):
    """A trajectory's fields that follow from its moves. `pending` stands for the urgent
    step-up awaiting the team's confirmation: whatever the caller uses for a history row (the
    model its StepChange, the demo a hop's index, a test the row's primary key)."""

    review_due: datetime.date | None = None
    step_before_admission: str = ""
    pending: Row | None = None
    closure_reason: str = ""


def after(
    before: Fields[Row],
    *,
    kind: str,
    source: str,
    target: str,
    day: datetime.date,
    urgent: bool,
    row: Row,
    closure_reason: str = "",
    last_review: datetime.date | None = None,
    next_review: datetime.date | None = None,
) -> Fields[Row]:
    """The fields after a move of `kind` from `source` to `target` on `day`, recorded as `row`.

    `urgent`: the move was taken outside a team meeting. `closure_reason`: a close's reason.
    `last_review`, `next_review`: a take-over's review dates from the earlier record.
    """
    change = dataclasses.replace
    if kind == Kind.TAKE_OVER:
        # a new trajectory in the step of the earlier record: the next review it names; else
        # the step's interval from its last review; else due at once (the team reviews her at
        # its next meeting). Before a step (signalled, screening): none.
        if target not in STEPS:
            return Fields()
        if next_review is None and last_review is not None:
            next_review = review_due(target, last_review)
        return Fields(review_due=next_review or day)
    if kind in REVIEWING:  # a step given or kept: the next review counts from today
        before = change(before, review_due=review_due(target, day))
    if kind == Kind.STEP_UP:
        # outside a meeting it awaits the team's confirmation; in one, the team decided
        return change(before, pending=row if urgent else None)
    if kind in (Kind.STEP_DOWN, Kind.CONFIRM):
        return change(before, pending=None)  # superseded, or confirmed
    if kind == Kind.ADMIT:
        return change(before, step_before_admission=source)
    if kind == Kind.RETURN:
        # back home: the team reviews at its next meeting
        return change(before, step_before_admission="", review_due=day)
    if kind == Kind.CLOSE:
        return Fields(closure_reason=closure_reason)
    if kind == Kind.REOPEN:
        return change(before, closure_reason="")
    return before  # SIGNAL, SCREEN, ENTER and REVIEW (after their review date)
