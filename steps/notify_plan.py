"""What the worker plans each minute (issue 19): from the digest hour on, the morning's
digests (once a day: `DigestRun`), the coordinators' meeting reminders (7 days and 1 day
before) and the carers' reminders (3 days before the team looks at their family member again;
each reminder also later within its window, should the worker have been down on the day);
and, at any hour, the mails whose task got lost or whose worker died (`kernteam.outbox.recover`),
and the same for the integrators' notifications (`clients.subscription_delivery.recover`).

Every step is idempotent (a unique row per person, kind and event): two workers, or a restart,
plan the same morning once."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clients import subscription_delivery
from clients.carer_notices import (
    REVIEW_REMINDER_DAYS,
    CarerKind,
    CarerNotice,
    enqueue_carer_mail,
    notify_carers,
)
from clients.models import CarerLink
from clients.notify import enqueue_mail, queue_mails
from clients.visibility import sharing_with_carers
from kernteam.models import Meeting
from kernteam.notices import Delivery, DigestRun, Kind, Notice, notify, preferences
from kernteam.outbox import recover
from kernteam.roles import Role
from steps.digest import send_digests
from steps.meetings import agenda_candidates
from steps.models import Trajectory
from steps.states import STEPS


def plan(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One round of the planner; returns what it did, by name."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    done = {"recovered": _recover()}
    if timezone.localtime(now).hour >= settings.KERNTEAM_DIGEST_HOUR:
        done["meeting_reminders"] = remind_coordinators(day=day)
        done["carer_reminders"] = remind_carers(day=day)
        done["digests"] = 0
        if not DigestRun.objects.filter(day=day).exists():
            # The digest goes out once a day, in the morning (or when the worker is back):
            # what comes in later waits for tomorrow's, not for the next minute.
            done["digests"] = send_digests(day=day)
            try:
                with transaction.atomic():
                    DigestRun.objects.create(day=day)
            except IntegrityError:
                pass  # another worker finished the same morning
    return done


def _recover() -> int:
    members = recover(model=Notice, requeue=lambda pk, when: enqueue_mail(pk))
    carers = recover(model=CarerNotice, requeue=lambda pk, when: enqueue_carer_mail(pk))
    return members + carers + subscription_delivery.recover()


def draft_agenda_size(meeting: Meeting) -> int:
    """What the agenda holds already and what the board would add to it."""
    on_it = set(meeting.agenda.values_list("resident_id", flat=True))
    return len(on_it | set(agenda_candidates(meeting=meeting)))


def remind_coordinators(*, day: datetime.date) -> int:
    """The team coordinators of each planned meeting: once within the week before it (from 7
    days before: "next week"), once the day before (or on the day, if the worker was down).
    The key names the meeting's date: a meeting moved to another day is reminded of anew."""
    made = 0
    for days, first in ((7, 2), (1, 0)):
        start = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=first), datetime.time.min)
        )
        end = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time.max)
        )
        meetings = Meeting.objects.filter(
            status=Meeting.Status.PLANNED, scheduled_for__gte=start, scheduled_for__lte=end
        ).select_related("team")
        for meeting in meetings:
            on = timezone.localdate(meeting.scheduled_for)
            key = f"meeting:{meeting.pk}:{on.isoformat()}:{days}"
            coordinators = [
                m.user
                for m in meeting.team.people()
                .filter(role=Role.COORDINATOR, user__is_active=True)
                .exclude(Exists(Notice.objects.filter(user=OuterRef("user"), key=key)))
                .select_related("user")
            ]
            chosen = preferences(user_ids=[u.pk for u in coordinators])
            coordinators = [
                u for u in coordinators if chosen[u.pk][Kind.MEETING_REMINDER] != Delivery.OFF
            ]
            if not coordinators:
                continue
            size = draft_agenda_size(meeting)  # (before the transaction: it reads the board)
            line = {"on": on.isoformat(), "team": meeting.team.slug, "who": meeting.team.name}
            with transaction.atomic():
                told = notify(
                    users=coordinators,
                    kind=Kind.MEETING_REMINDER,
                    key=key,
                    meeting=meeting,
                    count=size,
                    lines=[line],
                )
                queue_mails(told)
            made += len(told)
    return made


def remind_carers(*, day: datetime.date) -> int:
    """The carers of each resident whose review falls within 3 days (on the third day before
    it, or later if the worker was down), each once per review date: only residents with a
    carer who could hear of it, has not stopped it, and has not been told yet."""
    last = day + datetime.timedelta(days=REVIEW_REMINDER_DAYS)
    told = CarerNotice.objects.filter(
        carer=OuterRef("carer"),
        resident=OuterRef("resident"),
        kind=CarerKind.REVIEW_SOON,
        on=OuterRef(OuterRef("review_due")),
    )
    waiting = (
        CarerLink.objects.active()
        .filter(resident=OuterRef("resident"), carer__user__is_active=True)
        .exclude(carer__email="")
        .exclude(carer__notice_stops__kind=CarerKind.REVIEW_SOON)
        .exclude(Exists(told))
    )
    due = (
        Trajectory.objects.filter(state__in=STEPS, review_due__gte=day, review_due__lte=last)
        .filter(Exists(waiting), sharing_with_carers("resident"))
        .select_related("resident")
    )
    made = 0
    for trajectory in due:
        on = trajectory.review_due
        key = f"review:{trajectory.resident_id}:{on.isoformat()}"
        with transaction.atomic():
            made += len(
                notify_carers(
                    resident=trajectory.resident, kind=CarerKind.REVIEW_SOON, key=key, on=on
                )
            )
    return made
