"""Outcome events: what happens to a resident between meetings (a fall, an SEH visit, an
out-of-hours GP contact, a hospital or crisis admission, a permanent nursing-home admission,
a death). What stepped care tries to prevent, and what the programme's outcome KPIs count.

Append-only: an event is written once and never changed or deleted, with one exception: an
event recorded before the move it goes with (a hospital admission recorded, then the
*admitted* move taken) is linked to that move once (`link_to`). One event, one move: a move
is linked to at most one event and an event to at most one move (`MOVE_EVENTS`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Resident
from kernteam.models import MEETINGS_FROM, Meeting, limited_text, shown_date
from kernteam.undeletable import AppendOnly, AppendOnlyQuerySet, ProtectedRecord
from steps.states import ClosureReason, Kind


class EventKind(models.TextChoices):
    FALL = "fall", _("fall")
    EMERGENCY = "emergency", _("emergency-department visit")
    OUT_OF_HOURS = "out_of_hours", _("out-of-hours GP contact")
    HOSPITAL = "hospital", _("hospital admission")
    CRISIS = "crisis", _("crisis admission")
    NURSING_HOME = "nursing_home", _("permanent nursing-home admission")
    DEATH = "death", _("death")


class Place(models.TextChoices):
    """Where a resident died. `UNKNOWN` only for a death recorded by closing the record as
    deceased (the close form does not ask where); a person recording a death names the place."""

    HOME = "home", _("at home")
    NURSING_HOME = "nursing_home", _("in a nursing home")
    HOSPICE = "hospice", _("in a hospice")
    HOSPITAL = "hospital", _("in hospital")
    ELSEWHERE = "elsewhere", _("elsewhere")
    UNKNOWN = "unknown", _("not recorded")


RECORDABLE_PLACES = [p for p in Place if p != Place.UNKNOWN]

# The moves an event goes with, and the events a move goes with (no double counting): the
# *admitted* move is a hospital admission (or a crisis admission recorded just before it);
# closing as deceased is a death; closing as permanently admitted to a nursing home is that.
# A move links the newest unlinked event of one of its kinds that occurred within the window
# (days before the move; None: any earlier one, e.g. the one death); else it records one itself.
ADMISSION_LINK_DAYS = 7
NURSING_HOME_LINK_DAYS = 30


def events_for_move(*, kind: str, closure_reason: str = "") -> tuple[list[str], int | None]:
    """(event kinds a move of `kind` goes with, the first of them recorded by the move; the
    window in days), or ([], None) for a move that is no outcome event."""
    if kind == Kind.ADMIT:
        return [EventKind.HOSPITAL, EventKind.CRISIS], ADMISSION_LINK_DAYS
    if kind == Kind.CLOSE and closure_reason == ClosureReason.DECEASED:
        return [EventKind.DEATH], None
    if kind == Kind.CLOSE and closure_reason == ClosureReason.NURSING_HOME:
        return [EventKind.NURSING_HOME], NURSING_HOME_LINK_DAYS
    return [], None


# What the panel offers after an event was recorded: the move it goes with
# (transition, closure reason).
OFFERED_MOVES: dict[str, tuple[str, str]] = {
    EventKind.HOSPITAL: ("admit", ""),
    EventKind.CRISIS: ("admit", ""),
    EventKind.DEATH: ("close", ClosureReason.DECEASED),
    EventKind.NURSING_HOME: ("close", ClosureReason.NURSING_HOME),
}


class OutcomeEventQuerySet(AppendOnlyQuerySet):
    def unlinked(self) -> OutcomeEventQuerySet:
        return self.filter(step_change__isnull=True)


class OutcomeEvent(AppendOnly, models.Model):
    """One outcome event of a resident: what, when (and for a death where), who recorded it."""

    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="outcome_events",
    )
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    occurred_on = models.DateField(_("date"))
    place = models.CharField(_("place of death"), max_length=16, choices=Place.choices, blank=True)
    note = limited_text(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    step_change = models.OneToOneField(
        "steps.StepChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_event",
        verbose_name=_("step change"),
    )

    objects = OutcomeEventQuerySet.as_manager()

    # in the panel's timeline, among the moves (`steps.panel`)
    timeline_kind = "event"

    class Meta:
        ordering = ["-occurred_on", "-recorded_at", "-pk"]
        verbose_name = _("outcome event")
        verbose_name_plural = _("outcome events")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="death") & ~models.Q(place="")
                    | ~models.Q(kind="death") & models.Q(place="")
                ),
                name="outcome_event_place_only_for_death",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({shown_date(self.occurred_on)})"

    @property
    def at(self) -> datetime.datetime:
        """When it was recorded: where the timeline puts it."""
        return self.recorded_at

    def clean(self) -> None:
        errors: dict[str, str] = {}
        day = self.occurred_on
        if isinstance(day, datetime.date):
            if day > timezone.localdate():
                errors["occurred_on"] = _("The date lies in the future.")
            elif self.resident_id and day < self.resident.date_of_birth:
                errors["occurred_on"] = _("The date lies before the resident's date of birth.")
        if self.kind == EventKind.DEATH and not self.place:
            errors["place"] = _("Say where the resident died.")
        elif self.kind and self.kind != EventKind.DEATH and self.place:
            errors["place"] = _("A place is recorded only for a death.")
        if errors:
            raise ValidationError(errors)

    def link_to(self, change) -> None:
        """Link the event to the move it goes with: once, and nothing else changes (the
        database refuses anything else: migration steps 0008)."""
        if self.step_change_id is not None:
            raise ProtectedRecord("This outcome event is linked to a move already.")
        self.step_change = change
        # the one write that is not an insert (AppendOnly.save refuses it; so does
        # QuerySet.update())
        models.Model.save(self, update_fields=["step_change"])


def record_for_move(*, change, by, resident: Resident) -> OutcomeEvent | None:
    """The outcome event a move goes with (`events_for_move`): the newest unlinked one of its
    kinds within the window is linked to the move; else the move records one, dated today.
    Called by the move service in its transaction, after the move's history row is written."""
    kinds, days = events_for_move(kind=change.kind, closure_reason=change.closure_reason)
    if not kinds:
        return None
    today = timezone.localdate()
    candidates = OutcomeEvent.objects.unlinked().filter(resident_id=resident.pk, kind__in=kinds)
    if days is not None:
        candidates = candidates.filter(occurred_on__gte=today - datetime.timedelta(days=days))
    earlier = candidates.order_by("-occurred_on", "-recorded_at", "-pk").first()
    if earlier is not None:
        earlier.link_to(change)
        return earlier
    return OutcomeEvent.objects.create(
        resident=resident,
        kind=kinds[0],
        occurred_on=today,
        place=Place.UNKNOWN if kinds[0] == EventKind.DEATH else "",
        recorded_by=by,
        step_change=change,
    )


def since_last_meeting() -> QuerySet[OutcomeEvent]:
    """Events recorded since their resident's team last closed a meeting (or ever, if it has
    closed none): the board's "event" flag and the agenda reason (`steps.board`,
    `steps.meetings.agenda_candidates`) read this one rule. A queryset, for use in a
    subquery: the board stays one query."""
    last_closed = (
        Meeting.objects.filter(
            team=OuterRef("resident__team"),
            status=Meeting.Status.CLOSED,
            closed_at__isnull=False,
        )
        .order_by("-closed_at")
        .values("closed_at")[:1]
    )
    return OutcomeEvent.objects.filter(
        recorded_at__gt=Coalesce(Subquery(last_closed), Value(MEETINGS_FROM))
    )


def moves_to_offer(events, *, today: datetime.date) -> list[tuple[str, str]]:
    """(transition, closure reason) of the moves that would link one of `events` if taken
    now (`record_for_move`): what the panel offers after an event was recorded."""
    offers: list[tuple[str, str]] = []
    for event in events:
        if event.step_change_id is not None or event.kind not in OFFERED_MOVES:
            continue
        transition, closure_reason = OFFERED_MOVES[event.kind]
        kind = Kind.ADMIT if transition == "admit" else Kind.CLOSE
        _kinds, days = events_for_move(kind=kind, closure_reason=closure_reason)
        recent = days is None or event.occurred_on >= today - datetime.timedelta(days=days)
        if recent and (transition, closure_reason) not in offers:
            offers.append((transition, closure_reason))
    return offers
