"""What each kind of move does to a trajectory's other fields (`steps.effects.after`), with the
expected values written out by hand rather than derived."""

from __future__ import annotations

import datetime

import pytest

from steps.effects import Fields, after
from steps.states import ClosureReason, Kind, State

DAY = datetime.date(2026, 3, 31)  # a month's last day: later months are shorter
EARLIER = datetime.date(2026, 1, 15)
PENDING = Fields(review_due=EARLIER, pending="old step-up")


def move(before: Fields, kind: str, source: str, target: str, urgent: bool = False, **kw):
    return after(
        before, kind=kind, source=source, target=target, day=DAY, urgent=urgent, row="this", **kw
    )


@pytest.mark.parametrize(
    ("kind", "source", "target"),
    [(Kind.SIGNAL, "", State.SIGNALLED), (Kind.SCREEN, State.SIGNALLED, State.SCREENING)],
)
def test_signalling_and_screening_change_nothing_else(kind, source, target):
    before = Fields(review_due=EARLIER, step_before_admission=State.STEP2, pending="old")
    assert move(before, kind, source, target, urgent=True) == before


@pytest.mark.parametrize(
    ("target", "due"),
    [
        (State.STEP1, datetime.date(2027, 3, 31)),  # 12 months
        (State.STEP2, datetime.date(2026, 9, 30)),  # 6 months, to the month's last day
        (State.STEP3, datetime.date(2026, 6, 30)),  # 3 months
    ],
)
def test_entering_a_step_sets_its_review_date(target, due):
    assert move(Fields(), Kind.ENTER, State.SCREENING, target) == Fields(review_due=due)


def test_an_urgent_step_up_awaits_confirmation_and_is_reviewed_within_six_weeks():
    after_move = move(PENDING, Kind.STEP_UP, State.STEP2, State.STEP4, urgent=True)
    assert after_move == Fields(review_due=datetime.date(2026, 5, 12), pending="this")


def test_a_step_up_in_a_meeting_awaits_nothing_not_even_an_earlier_urgent_one():
    after_move = move(PENDING, Kind.STEP_UP, State.STEP2, State.STEP3, urgent=False)
    assert after_move == Fields(review_due=datetime.date(2026, 6, 30), pending=None)


def test_a_step_down_supersedes_the_step_up_awaiting_confirmation():
    after_move = move(PENDING, Kind.STEP_DOWN, State.STEP3, State.STEP1)
    assert after_move == Fields(review_due=datetime.date(2027, 3, 31), pending=None)


def test_confirming_clears_the_pending_step_up_and_keeps_the_review_date():
    after_move = move(PENDING, Kind.CONFIRM, State.STEP3, State.STEP3)
    assert after_move == Fields(review_due=EARLIER, pending=None)


def test_admission_remembers_the_step_and_keeps_the_rest():
    after_move = move(PENDING, Kind.ADMIT, State.STEP3, State.ADMITTED, urgent=True)
    expected = Fields(review_due=EARLIER, step_before_admission=State.STEP3, pending="old step-up")
    assert after_move == expected


def test_back_home_the_team_reviews_at_its_next_meeting():
    before = Fields(review_due=EARLIER, step_before_admission=State.STEP2, pending="old")
    after_move = move(before, Kind.RETURN, State.ADMITTED, State.STEP2)
    assert after_move == Fields(review_due=DAY, step_before_admission="", pending="old")


def test_closing_clears_everything_but_records_the_reason():
    before = Fields(review_due=EARLIER, step_before_admission=State.STEP2, pending="old")
    reason = ClosureReason.MOVED
    after_move = move(before, Kind.CLOSE, State.ADMITTED, State.CLOSED, closure_reason=reason)
    assert after_move == Fields(closure_reason=ClosureReason.MOVED)


def test_reopening_forgets_the_closure_reason():
    before = Fields(closure_reason=ClosureReason.DECEASED)
    assert move(before, Kind.REOPEN, State.CLOSED, State.SIGNALLED) == Fields()


def test_a_closure_reason_given_with_another_move_is_ignored():
    after_move = move(Fields(), Kind.ENTER, State.SCREENING, State.STEP1, closure_reason="moved")
    assert after_move.closure_reason == ""


@pytest.mark.parametrize(
    ("step", "due"),
    [
        (State.STEP1, datetime.date(2027, 3, 31)),  # 12 months
        (State.STEP2, datetime.date(2026, 9, 30)),  # 6 months, to the month's last day
        (State.STEP3, datetime.date(2026, 6, 30)),  # 3 months
        (State.STEP4, datetime.date(2026, 5, 12)),  # 6 weeks
    ],
)
def test_a_review_keeps_the_step_and_sets_the_next_review_date_from_today(step, due):
    """A review ("besproken, stap blijft"): an overdue review date (EARLIER) counts again from
    today; the urgent step-up awaiting confirmation still awaits it (a review confirms
    nothing)."""
    after_review = move(PENDING, Kind.REVIEW, step, step)
    assert after_review == Fields(review_due=due, pending="old step-up")


def test_a_review_forgets_nothing_else():
    before = Fields(review_due=EARLIER, step_before_admission="", pending=None)
    after_review = move(before, Kind.REVIEW, State.STEP2, State.STEP2, urgent=True)
    assert after_review == Fields(review_due=datetime.date(2026, 9, 30))
