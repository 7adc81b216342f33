"""The states of the stepped-care model, the kinds of move between them and how often each
step is reviewed (shared/domain.md)."""

from __future__ import annotations

import calendar
import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    SIGNALLED = "signalled", _("Signalled")
    SCREENING = "screening", _("Screening")
    STEP1 = "step1", _("Step 1 · Finger on the pulse")
    STEP2 = "step2", _("Step 2 · Coordinated care")
    STEP3 = "step3", _("Step 3 · Complex care")
    STEP4 = "step4", _("Step 4 · Intensive care / Wlz")
    ADMITTED = "admitted", _("Temporarily admitted")
    CLOSED = "closed", _("Closed")


STEPS: tuple[str, ...] = (State.STEP1, State.STEP2, State.STEP3, State.STEP4)
OPEN_STATES: tuple[str, ...] = tuple(s for s in State.values if s != State.CLOSED)
# Frail (*kwetsbaar*): step 2 and up. A temporarily admitted resident holds the step she left.
FRAIL_STEPS: tuple[str, ...] = (State.STEP2, State.STEP3, State.STEP4)
# A resident holding step 3 or 4 is expected to have had a PZP conversation (advance care
# planning, `clients.care_planning`): the agenda reason "PZP nog niet besproken" and the
# outcome KPI read this.
PZP_EXPECTED: tuple[str, ...] = (State.STEP3, State.STEP4)


class Kind(models.TextChoices):
    """What kind of move a history row records."""

    SIGNAL = "signal", _("signalled")
    SCREEN = "screen", _("screening started")
    ENTER = "enter", _("step assigned after screening")
    STEP_UP = "step_up", _("step up")
    STEP_DOWN = "step_down", _("step down")
    ADMIT = "admit", _("admitted")
    RETURN = "return", _("returned home")
    CLOSE = "close", _("closed")
    REOPEN = "reopen", _("reopened")
    CONFIRM = "confirm", _("urgent step-up confirmed")
    REVIEW = "review", _("discussed — step stays")
    # A resident entered in the step she held in an earlier record (the caseload import,
    # `steps.caseload_import`): not a decision of the team, and not a review.
    TAKE_OVER = "take_over", _("taken over from an earlier record")


# What counts as a *review* (shared/domain.md): a decision that gives the resident a step or
# keeps it, and so sets the next review date (`steps.effects.after`). The board's "review
# overdue" flag, the agenda, the carer portal (all through `Trajectory.review_due`) and the KPI
# "reviewed on time" (`steps.kpi.history`) read this one set. Not a review: opening a resident
# in a meeting, a goal or action agreed, a concern handled, a confirmed urgent step-up (the
# step-up itself was one), a return home (it makes a review due at once).
REVIEWING: frozenset[str] = frozenset({Kind.ENTER, Kind.STEP_UP, Kind.STEP_DOWN, Kind.REVIEW})


class ClosureReason(models.TextChoices):
    DECEASED = "deceased", _("deceased")
    MOVED = "moved", _("moved away")
    NURSING_HOME = "nursing_home", _("permanent nursing-home admission")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("consent withdrawn")
    NO_LONGER_NEEDED = "no_longer_needed", _("no longer needed")


def held_step(*, state: str, step_before_admission: str = "") -> str:
    """The step a resident holds: her state when in a step; while temporarily admitted, the step
    she left and returns to; "" before any step (signalled, screening) and once closed."""
    if state in STEPS:
        return state
    return step_before_admission if state == State.ADMITTED else ""


def holding(steps: tuple[str, ...], *, prefix: str = "") -> models.Q:
    """`held_step` in `steps`, as a filter on trajectories (`prefix`: the path to the
    trajectory, e.g. "resident__trajectory__")."""
    return models.Q(**{f"{prefix}state__in": steps}) | models.Q(
        **{f"{prefix}state": State.ADMITTED, f"{prefix}step_before_admission__in": steps}
    )


def step_number(state: str) -> int:
    """1-4 for the steps, 0 for anything else."""
    return STEPS.index(state) + 1 if state in STEPS else 0


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def review_due(state: str, since: datetime.date) -> datetime.date | None:
    """Review at least every 12 months (step 1), 6 months, 3 months, 6 weeks (step 4)."""
    if state == State.STEP1:
        return add_months(since, 12)
    if state == State.STEP2:
        return add_months(since, 6)
    if state == State.STEP3:
        return add_months(since, 3)
    if state == State.STEP4:
        return since + datetime.timedelta(weeks=6)
    return None


def review_owed(*, state: str, review_due: datetime.date | None, day: datetime.date) -> bool:
    """Whether the team owes the resident a review on `day`: in a step, with the review date
    reached. The board flags a review overdue when one was owed yesterday; the agenda takes
    the residents owed one on the meeting's day. While admitted the team waits for the return
    home (which makes a review due at once)."""
    return state in STEPS and review_due is not None and review_due <= day
