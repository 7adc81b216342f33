"""Recording an outcome event (`steps.outcomes`). One transaction; the boards hear of it on
commit. The move that goes with an event (the *admitted* move, closing as deceased or as
permanently admitted to a nursing home) records or links its event itself
(`steps.services.move_resident` → `steps.outcomes.record_for_move`)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Resident
from clients.services import lock_record
from clients.visibility import can_see_resident, send_resident_event_on_commit
from kernteam.models import person_name, shown_date, text_limit
from kernteam.refusals import Refused
from steps.models import Trajectory
from steps.outcomes import (
    ADMISSION_LINK_DAYS,
    ADMISSIONS,
    RECORDABLE_PLACES,
    EventKind,
    OutcomeEvent,
    spoken_date,
)
from steps.states import Kind, State

# An admission the *admitted* move recorded (or linked) is not recorded again while the
# resident is still admitted: one admission, one event (`steps.outcomes.record_for_move`).


def _admitted_on(trajectory: Trajectory) -> datetime.date | None:
    """The day of the admission the resident is in now, if admitted."""
    if trajectory.state != State.ADMITTED:
        return None
    admission = trajectory.history.filter(kind=Kind.ADMIT).order_by("-at", "-pk").first()
    return timezone.localdate(admission.at) if admission else None


def _admitted_already(day: datetime.date) -> str:
    return _(
        "This admission is on record already: the resident has been temporarily admitted "
        "since %(date)s."
    ) % {"date": shown_date(day)}


def _recorded_twice(same: OutcomeEvent) -> str:
    return _("%(event)s on %(date)s has been recorded already by %(who)s. Record it anyway?") % {
        "event": same.get_kind_display(),
        "date": spoken_date(same.occurred_on),
        "who": person_name(same.recorded_by),
    }


def may_record_event(*, resident: Resident, user) -> bool:
    """Any professional member of the resident's team who may see the record (team and
    consent, `clients.visibility`); never a carer."""
    return can_see_resident(user=user, resident=resident)


def record_event(
    *,
    resident: Resident,
    by,
    kind: str,
    occurred_on: datetime.date,
    place: str = "",
    note: str = "",
    confirm_duplicate: bool = False,
) -> OutcomeEvent:
    """Record what happened to the resident. Refused (forbidden) for anyone but a member who
    may see the record; ValidationError with a message per field for bad input; Refused on a
    closed record (a death is recorded before the record is closed as deceased, which then
    links it). The same kind of event on the same day for the same resident is likely a
    double entry (two members recording one fall): refused on `confirm_duplicate`, saying
    who recorded the first, unless `confirm_duplicate` (the user confirms it is another)."""
    if not may_record_event(resident=resident, user=by):
        raise Refused(
            _(
                "Only members of the resident's kernteam who may see this record can record "
                "an event."
            ),
            forbidden=True,
        )
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if kind not in EventKind.values:
        errors["kind"] = _("Choose one of the listed events.")
    if place and place not in RECORDABLE_PLACES:
        errors["place"] = _("Choose one of the listed places.")
    if len(note) > (limit := text_limit(OutcomeEvent, "note")):
        errors["note"] = _("The note may be %(limit)d characters long at most.") % {"limit": limit}
    if not isinstance(occurred_on, datetime.date) or isinstance(occurred_on, datetime.datetime):
        errors["occurred_on"] = _("Enter a valid date.")
    if errors:
        raise ValidationError(errors)
    event = OutcomeEvent(
        resident=resident,
        kind=kind,
        occurred_on=occurred_on,
        place=place or "",
        note=note,
        recorded_by=by,
    )
    event.full_clean(exclude=["resident", "recorded_by", "step_change"])
    with transaction.atomic():
        lock_record(resident)  # as closing does (`steps.services.move_resident`), first
        # the trajectory's row too, as every change of the record (`steps.services`)
        trajectory = Trajectory.objects.select_for_update().get(resident_id=resident.pk)
        if trajectory.is_closed:
            raise Refused(
                _("This record is closed: no event can be recorded on it any more."),
                field="non_field_errors",
            )
        if kind == EventKind.DEATH and resident.outcome_events.filter(kind=kind).exists():
            raise ValidationError({"kind": _("A death is already recorded for this resident.")})
        admitted_on = _admitted_on(trajectory) if kind in ADMISSIONS else None
        window = datetime.timedelta(days=ADMISSION_LINK_DAYS)
        if admitted_on is not None and occurred_on >= admitted_on - window:
            raise ValidationError({"kind": _admitted_already(admitted_on)})
        same = resident.outcome_events.filter(kind=kind, occurred_on=occurred_on)
        if not confirm_duplicate and (first := same.select_related("recorded_by").first()):
            raise ValidationError({"confirm_duplicate": _recorded_twice(first)})
        event.save()
        send_resident_event_on_commit(resident=resident, event="resident.event")
    return event
