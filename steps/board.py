"""The team board: a column per stepped-care state, a card per active resident, with flags.

One query for the cards, whatever the number of residents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.care_planning import READERS as PZP_READERS
from clients.models import CarePlanning, Concern, Consent
from clients.visibility import DIRECTLY_INVOLVED, consent_names, visible_residents
from kernteam.models import Team, person_name
from kernteam.policy import roles_on
from steps.medication import due as medication_review_due
from steps.medication import due_filter as medication_review_due_filter
from steps.medication import with_last_review
from steps.meetings import coordinator_left_q
from steps.models import AgreedAction, Trajectory
from steps.outcomes import since_last_meeting
from steps.states import STEPS, State, review_owed

BOARD_STATES = [s for s in State if s != State.CLOSED]

FLAGS = {
    "urgent": _("urgent step-up to confirm"),
    "review_overdue": _("review overdue"),
    "action_overdue": _("action overdue"),
    "concern": _("carer's concern"),
    "consent_missing": _("consent missing"),
    "event": _("event"),
    "medication": _("medication"),  # a medication review is needed (`steps.medication`)
    # the care coordinator is no longer a person on the team (`steps.meetings.coordinator_left_q`)
    "coordinator_left": _("care coordinator left"),
}


@dataclass(frozen=True)
class Card:
    """What a card shows. Hundreds are rendered per board, so the template gets them cheap:
    items as well as attributes (Django's template engine tries `card[key]` first, and an
    exception per lookup is a measurable part of a board), and the age as a ready label."""

    resident_id: int
    name: str
    age: int
    age_label: str
    coordinator: str
    coordinator_id: int | None
    review_due: datetime.date | None
    state: str
    flags: tuple[str, ...]
    # a PZP on record ("PZP" marker), shown to those who may read PZP (`clients.care_planning`)
    care_planning: bool = False

    @property
    def flag_labels(self) -> list[tuple[str, str]]:
        return [(flag, str(FLAGS[flag])) for flag in self.flags]

    def __getitem__(self, key: str):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


@dataclass(frozen=True)
class Column:
    state: str
    label: str
    cards: list[Card]


def flagged_trajectories(*, today: datetime.date) -> QuerySet[Trajectory]:
    """Trajectories with their resident and coordinator, annotated with what the flags need
    (see `flags_of`): one query for any number of them."""
    rows = with_last_review(Trajectory.objects.all())  # (steps.medication: subqueries)
    return rows.select_related("resident__coordinator").annotate(
        has_consent=Exists(
            Consent.objects.filter(resident=OuterRef("resident"), withdrawn_at__isnull=True)
        ),
        has_overdue_action=Exists(
            AgreedAction.objects.filter(
                resident=OuterRef("resident"),
                status=AgreedAction.Status.OPEN,
                due_on__lt=today,
            )
        ),
        has_open_concern=Exists(Concern.objects.open().filter(resident=OuterRef("resident"))),
        has_new_event=Exists(
            since_last_meeting(team=OuterRef(OuterRef("resident__team"))).filter(
                resident=OuterRef("resident")
            )
        ),
        has_care_planning=Exists(CarePlanning.objects.filter(resident=OuterRef("resident"))),
        coordinator_left=ExpressionWrapper(coordinator_left_q(), output_field=BooleanField()),
    )


def any_flag(*, today: datetime.date) -> Q:
    """The flags as a filter on `flagged_trajectories` (the same rules as `flags_of`)."""
    return (
        Q(pending_confirmation__isnull=False)
        | Q(review_due__lt=today, state__in=STEPS)  # `review_owed` yesterday
        | Q(has_overdue_action=True)
        | Q(has_open_concern=True)
        | Q(has_consent=False)
        | Q(has_new_event=True)
        | medication_review_due_filter(day=today)
        | Q(coordinator_left=True)
    )


def board_columns(
    *, team: Team, user, mine: bool = False, flagged: bool = False, search: str = ""
) -> list[Column]:
    today = timezone.localdate()
    rows = (
        flagged_trajectories(today=today)
        .filter(resident__team=team)
        .filter(visible_residents(user=user, team=team, resident_ref="resident"))
        .exclude(state=State.CLOSED)
        .order_by("resident__last_name", "resident__first_name", "pk")
    )
    if mine:
        rows = rows.filter(resident__coordinator=user)
    for word in search.split():
        rows = rows.filter(
            Q(resident__first_name__icontains=word) | Q(resident__last_name__icontains=word)
        )
    cards: dict[str, list[Card]] = {state: [] for state in BOARD_STATES}
    years = str(_("%(age)s yrs"))  # translated once per board, not per card
    # The "PZP" marker: for a member who may read the PZP in a role that sees the resident
    # (`clients.care_planning_services.reads_care_planning`), in the same query.
    pzp_roles = roles_on(team=team, user=user) & PZP_READERS  # (known: no query)
    every_pzp = bool(pzp_roles & DIRECTLY_INVOLVED)
    by_consent = bool(pzp_roles) and not every_pzp
    if by_consent:
        rows = rows.annotate(reads_pzp=consent_names(roles=pzp_roles, resident_ref="resident"))
    for row in rows:
        pzp = every_pzp or (by_consent and row.reads_pzp)
        card = _card(row, today, years, care_planning=pzp)
        if not flagged or card.flags:
            cards[row.state].append(card)
    return [Column(state=s.value, label=str(s.label), cards=cards[s]) for s in BOARD_STATES]


def flags_of(row: Trajectory, today: datetime.date) -> tuple[str, ...]:
    """The flags of an annotated trajectory (`flagged_trajectories`)."""
    flags = []
    if row.pending_confirmation_id:
        flags.append("urgent")
    if review_overdue(row, today):
        flags.append("review_overdue")
    if row.has_overdue_action:
        flags.append("action_overdue")
    if row.has_open_concern:
        flags.append("concern")
    if not row.has_consent:
        flags.append("consent_missing")
    if row.has_new_event:
        flags.append("event")
    if medication_review_due(
        state=row.state,
        step_before_admission=row.step_before_admission,
        last_reviewed_on=row.last_medication_review_on,
        medicines_in_use=row.last_medicines_in_use,
        day=today,
    ):
        flags.append("medication")
    if coordinator_gone(row):
        flags.append("coordinator_left")
    return tuple(flags)


def coordinator_gone(row: Trajectory) -> bool:
    """The resident's care coordinator left (`steps.meetings.coordinator_left_q`, annotated)."""
    return bool(row.coordinator_left)


def review_overdue(trajectory: Trajectory, today: datetime.date) -> bool:
    """A review was owed yesterday and none was recorded since (a review, or a move, sets
    `review_due` again: `steps.states.REVIEWING`). While admitted the team waits for the
    return home. The carer portal reads the same rule."""
    yesterday = today - datetime.timedelta(days=1)
    return review_owed(state=trajectory.state, review_due=trajectory.review_due, day=yesterday)


def _card(row: Trajectory, today: datetime.date, years: str, *, care_planning=False) -> Card:
    resident = row.resident
    coordinator = resident.coordinator
    age = resident.age(today)
    return Card(
        resident_id=resident.pk,
        name=resident.display_name,
        age=age,
        age_label=years % {"age": age},
        coordinator=person_name(coordinator),
        coordinator_id=resident.coordinator_id,
        review_due=row.review_due,
        state=row.state,
        flags=flags_of(row, today),
        care_planning=care_planning and row.has_care_planning,
    )
