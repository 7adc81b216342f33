"""When a resident needs a medication review (*medicatiebeoordeling*): the one rule, here
because it needs her step. The record itself and who records or reads it: `clients.medication`.

Eligible: frail, that is holding step 2 and up (step 2, 3 or 4, or temporarily admitted from
one of them: `steps.states.held_step`), or holding step 1 with ten or more medicines in use on
the last review. Not eligible: not yet in a step (signalled, screening), closed, and step 1
(or admitted from it) with fewer than ten medicines. The next review is due 12 months after the
last; an eligible resident with none on record, or with one that is overdue, needs one
("medicatiebeoordeling nodig": agenda reason, card flag). `due` and `due_filter` are the one
rule, in Python and as a filter; the outcome KPI (`steps.kpi.outcomes`) reads `covered`.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, QuerySet, Subquery

from clients.medication import may_record
from clients.medication_services import reviews_for
from clients.models import MedicationReview
from kernteam.policy import roles_on
from steps.states import FRAIL_STEPS, STEPS, held_step, holding

MANY_MEDICINES = 10
REVIEW_EVERY_MONTHS = 12


def eligible(*, state: str, step_before_admission: str, medicines_in_use: int | None) -> bool:
    """Whether a resident in `state` (admitted: from `step_before_admission`), taking
    `medicines_in_use` on her last review (None: no review on record), is eligible for a
    medication review."""
    step = held_step(state=state, step_before_admission=step_before_admission)
    return step in FRAIL_STEPS or (step in STEPS and (medicines_in_use or 0) >= MANY_MEDICINES)


def next_review(last_reviewed_on: datetime.date) -> datetime.date:
    """12 months after the last review (29 February → 28 February)."""
    year = last_reviewed_on.year + REVIEW_EVERY_MONTHS // 12
    try:
        return last_reviewed_on.replace(year=year)
    except ValueError:
        return last_reviewed_on.replace(year=year, day=28)


def due_if_reviewed_by(day: datetime.date) -> datetime.date:
    """The latest day a last review may have been done for the next one to be due by `day`
    (`next_review(last) <= day` exactly when `last <= due_if_reviewed_by(day)`): for filters."""
    year = day.year - REVIEW_EVERY_MONTHS // 12
    if day.month == 2 and day.day == 28 and calendar.isleap(year):
        return datetime.date(year, 2, 29)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def covered(*, last_reviewed_on: datetime.date | None, day: datetime.date) -> bool:
    """Whether a review on `last_reviewed_on` still covers `day` (the next is not due yet)."""
    return last_reviewed_on is not None and next_review(last_reviewed_on) > day


def due(
    *,
    state: str,
    step_before_admission: str,
    last_reviewed_on: datetime.date | None,
    medicines_in_use: int | None,
    day: datetime.date,
) -> bool:
    """Whether the resident needs a review on `day`: eligible, and none on record or the next
    one due by `day`."""
    if not eligible(
        state=state, step_before_admission=step_before_admission, medicines_in_use=medicines_in_use
    ):
        return False
    return not covered(last_reviewed_on=last_reviewed_on, day=day)


def due_filter(*, day: datetime.date) -> Q:
    """`due` as a filter on trajectories annotated by `with_last_review` (the board's "flagged"
    view): the same rule, in SQL."""
    many = Q(last_medicines_in_use__gte=MANY_MEDICINES)
    return (holding(FRAIL_STEPS) | holding(STEPS) & many) & (
        Q(last_medication_review_on__isnull=True)
        | Q(last_medication_review_on__lte=due_if_reviewed_by(day))
    )


def with_last_review(rows: QuerySet, *, resident_ref: str = "resident") -> QuerySet:
    """`rows` annotated with the last review's date and number of medicines
    (`last_medication_review_on`, `last_medicines_in_use`; None without one): subqueries in
    the same query, whatever the number of rows."""
    last = MedicationReview.objects.filter(resident=OuterRef(resident_ref)).order_by(
        "-reviewed_on", "-pk"
    )
    return rows.annotate(
        last_medication_review_on=Subquery(last.values("reviewed_on")[:1]),
        last_medicines_in_use=Subquery(last.values("medicines_in_use")[:1]),
    )


@dataclass
class MedicationPanel:
    """The panel's section: the last review and the earlier ones (latest first), when the next
    is due, whether one is needed now, and whether the viewer may record one."""

    last: MedicationReview | None
    earlier: list[MedicationReview] = field(default_factory=list)
    next_due: datetime.date | None = None
    needed: bool = False
    can_record: bool = False


def medication_for(*, resident, user, today: datetime.date) -> MedicationPanel | None:
    """The resident's medication reviews as `user` may read them (None: not theirs to read)."""
    reviews = reviews_for(resident=resident, user=user)
    if reviews is None:
        return None
    last = reviews[0] if reviews else None
    trajectory = resident.trajectory
    return MedicationPanel(
        last=last,
        earlier=reviews[1:],
        next_due=next_review(last.reviewed_on) if last else None,
        needed=due(
            state=trajectory.state,
            step_before_admission=trajectory.step_before_admission,
            last_reviewed_on=last.reviewed_on if last else None,
            medicines_in_use=last.medicines_in_use if last else None,
            day=today,
        ),
        can_record=may_record(roles_on(team=resident.team, user=user)) and not resident.is_closed,
    )
