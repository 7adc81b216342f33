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
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Resident
from kernteam.models import MEETINGS_FROM, Meeting, limited_text, person_name, shown_date
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
    """Where a resident died. A person recording a death names the place (the event form, and
    the close form when no death is on record yet). `UNKNOWN` only for a death recorded by
    closing the record as deceased by a caller that does not say where (the admin, API
    clients that leave out `event_place`)."""

    HOME = "home", _("at home")
    NURSING_HOME = "nursing_home", _("in a nursing home")
    HOSPICE = "hospice", _("in a hospice")
    HOSPITAL = "hospital", _("in hospital")
    ELSEWHERE = "elsewhere", _("elsewhere")
    UNKNOWN = "unknown", _("not recorded")


RECORDABLE_PLACES = [p for p in Place if p != Place.UNKNOWN]
# (as form and API choices; one enum in the API schema: ENUM_NAME_OVERRIDES)
RECORDABLE_PLACE_CHOICES = [(p.value, p.label) for p in RECORDABLE_PLACES]

# The two kinds of admission the *admitted* move can be (its form asks which; hospital for
# callers that do not say, such as the admin).
ADMISSIONS = (EventKind.HOSPITAL, EventKind.CRISIS)

# The moves an event goes with, and the events a move goes with (no double counting): the
# *admitted* move is a hospital or a crisis admission (as its form says); closing as deceased
# is a death; closing as permanently admitted to a nursing home is that. A move links the
# newest unlinked event of its kind that occurred within the window (days before the move;
# None: any earlier one, e.g. the one death); else it records one itself.
ADMISSION_LINK_DAYS = 7
NURSING_HOME_LINK_DAYS = 30


def events_for_move(
    *, kind: str, closure_reason: str = "", admission: str = EventKind.HOSPITAL
) -> tuple[list[str], int | None]:
    """([the event kind a move of `kind` goes with], the window in days), or ([], None) for a
    move that is no outcome event. An *admitted* move is the `admission` it names; anything
    but a hospital or a crisis admission is refused (ValidationError on `admission`)."""
    if kind == Kind.ADMIT:
        if admission not in ADMISSIONS:
            raise ValidationError({"admission": _("Choose a hospital or a crisis admission.")})
        return [admission], ADMISSION_LINK_DAYS
    if kind == Kind.CLOSE and closure_reason == ClosureReason.DECEASED:
        return [EventKind.DEATH], None
    if kind == Kind.CLOSE and closure_reason == ClosureReason.NURSING_HOME:
        return [EventKind.NURSING_HOME], NURSING_HOME_LINK_DAYS
    return [], None


# The move an event goes with, as its form is filled in: (transition, closure reason, kind of
# admission). What the panel offers after an event was recorded (`moves_to_offer`; the form
# then says which recorded event the move links, `linkable_events`), and the window in which
# that move links it (`events_for_move`).
MOVE_FOR_EVENT: dict[str, tuple[str, str, str]] = {
    EventKind.HOSPITAL: ("admit", "", EventKind.HOSPITAL),
    EventKind.CRISIS: ("admit", "", EventKind.CRISIS),
    EventKind.DEATH: ("close", ClosureReason.DECEASED, ""),
    EventKind.NURSING_HOME: ("close", ClosureReason.NURSING_HOME, ""),
}
OFFERED_MOVES: dict[str, tuple[str, str]] = {
    event: (transition, closure_reason)
    for event, (transition, closure_reason, _admission) in MOVE_FOR_EVENT.items()
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
        """When it was recorded (within its day, where the timeline puts it: `timeline_day`)."""
        return self.recorded_at

    @property
    def timeline_day(self) -> datetime.date:
        """The day the timeline puts it on: when it happened, not when it was recorded (an
        event recorded days later stands among the moves of the day it happened)."""
        return self.occurred_on

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


def _to_link(*, resident_id: int, kinds, today: datetime.date) -> dict[str, OutcomeEvent]:
    """Per event kind in `kinds`: the newest unlinked event of that kind within the window of
    the move it goes with (`events_for_move`), the one that move would link now. One query."""
    found: dict[str, OutcomeEvent] = {}
    rows = OutcomeEvent.objects.unlinked().filter(resident_id=resident_id, kind__in=kinds)
    rows = rows.select_related("recorded_by").order_by("-occurred_on", "-recorded_at", "-pk")
    for event in rows:
        if _within_window(event, today=today):
            found.setdefault(event.kind, event)
    return found


def _within_window(event: OutcomeEvent, *, today: datetime.date) -> bool:
    """Whether the move `event` goes with would link it if taken `today` (`events_for_move`)."""
    transition, closure_reason, admission = MOVE_FOR_EVENT[event.kind]
    kind = Kind.ADMIT if transition == "admit" else Kind.CLOSE
    _kinds, days = events_for_move(
        kind=kind, closure_reason=closure_reason, admission=admission or EventKind.HOSPITAL
    )
    return days is None or event.occurred_on >= today - datetime.timedelta(days=days)


def linkable_events(*, resident: Resident, transition: str, today: datetime.date) -> dict:
    """For the form of a move: the recorded events it would link if taken now, by what the form
    chooses (the admission kind of the *admitted* move, the closure reason of a close): the
    form prefills the admission's kind, and does not ask again for a death or a nursing-home
    admission on record (`record_for_move` applies the same rule)."""
    if transition == "admit":
        return _to_link(resident_id=resident.pk, kinds=ADMISSIONS, today=today)
    if transition == "close":
        found = _to_link(
            resident_id=resident.pk, kinds=[EventKind.DEATH, EventKind.NURSING_HOME], today=today
        )
        return {MOVE_FOR_EVENT[kind][1]: event for kind, event in found.items()}
    return {}


def record_for_move(
    *,
    change,
    by,
    resident: Resident,
    admission: str = EventKind.HOSPITAL,
    event_on: datetime.date | None = None,
    event_place: str = "",
) -> OutcomeEvent | None:
    """The outcome event a move goes with (`events_for_move`: the *admitted* move is the
    `admission` it names): the newest unlinked one of its kind within the window is linked to
    the move, as it was recorded; else the move records one, on `event_on` (default today) and,
    for a death, at `event_place` (default `Place.UNKNOWN`: a caller that does not say).
    Called by the move service in its transaction, after the move's history row is written:
    a ValidationError (by field: `admission`, `event_on`, `event_place`) undoes the move."""
    kinds, _days = events_for_move(
        kind=change.kind, closure_reason=change.closure_reason, admission=admission
    )
    if not kinds:
        return None
    kind, today = kinds[0], timezone.localdate()
    if event_place and (kind != EventKind.DEATH or event_place not in RECORDABLE_PLACES):
        raise ValidationError({"event_place": _("Choose one of the listed places.")})
    earlier = _to_link(resident_id=resident.pk, kinds=[kind], today=today).get(kind)
    if earlier is not None:
        _check_as_recorded(earlier, event_on=event_on, event_place=event_place)
        earlier.link_to(change)
        return earlier
    event = OutcomeEvent(
        resident=resident,
        kind=kind,
        occurred_on=event_on or today,
        place=(event_place or Place.UNKNOWN) if kind == EventKind.DEATH else "",
        recorded_by=by,
        step_change=change,
    )
    try:  # (no query: the resident's date of birth is at hand, the constraints are the clean's)
        event.full_clean(
            exclude=["resident", "recorded_by", "step_change"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        names = {"occurred_on": "event_on", "place": "event_place"}
        raise ValidationError(
            {names.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from exc
    event.save()
    return event


def _check_as_recorded(event: OutcomeEvent, *, event_on, event_place: str) -> None:
    """A move links an event on record as it was recorded: a date or place given that differs
    is refused (a double entry, or a mistake), not silently dropped."""
    given = {"event_on": bool(event_on) and event_on != event.occurred_on}
    given["event_place"] = bool(event_place) and event_place != event.place
    if any(given.values()):
        message = already_recorded(event)
        raise ValidationError({field: message for field, differs in given.items() if differs})


def already_recorded(event: OutcomeEvent) -> str:
    """What the move's form says of the event on record it links."""
    what = event.get_kind_display()
    if event.place:
        what = f"{what} ({event.get_place_display()})"
    return gettext(
        "Already on record: %(event)s on %(date)s, recorded by %(who)s. This move is linked "
        "to it as recorded."
    ) % {
        "event": what,
        "date": spoken_date(event.occurred_on),
        "who": person_name(event.recorded_by),
    }


def spoken_date(day: datetime.date) -> str:
    """A date as a sentence says it ("3 december 2026")."""
    return date_format(day, "j F Y")


def since_last_meeting(*, team=None) -> QuerySet[OutcomeEvent]:
    """Events recorded since their resident's team last closed a meeting (or ever, if it has
    closed none): the board's "event" flag and the agenda reason (`steps.board`,
    `steps.meetings.agenda_candidates`) read this one rule. A queryset, for use in a
    subquery: the board stays one query. `team`, when the caller knows it (a Team, or an
    OuterRef to the team of the rows it asks for): the last meeting is looked up once for it
    rather than once for every event of the region (PostgreSQL would otherwise hash the whole
    subquery: 20 ms of a board's 32)."""
    last_closed = (
        Meeting.objects.filter(
            team=OuterRef("resident__team") if team is None else team,
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
        if _within_window(event, today=today) and (transition, closure_reason) not in offers:
            offers.append((transition, closure_reason))
    return offers
