"""What a member hears without opening the board (issue 19): a notice per person and event,
shown under the bell and, by the member's choice per kind, mailed at once, taken into the daily
digest, or not at all. A mail names a resident by initials and age only, never health data.

Exactly once is a database fact: one row per person, kind and event (`key`), created in the
transaction of the event itself (`notify`) or by the planner (`steps.notify_plan`) for the
digest and the reminders; a second run finds the row and sends nothing. Its mail is composed by
`kernteam.notice_mail` and sent by the worker (`clients.notify.mail_notice`), which claims the
row before it sends.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernteam.events import send_user_event_on_commit
from kernteam.outbox import MailStatus, Outbox, saved_once


class Kind(models.TextChoices):
    # events: at once, in the digest, or not at all
    ACTION_ASSIGNED = "action_assigned", _("An action someone else assigned to me")
    URGENT_STEP_UP = "urgent_step_up", _("An urgent step-up of a resident I coordinate")
    CONCERN = "concern", _("A carer's concern about a resident I coordinate")
    MEETING_REMINDER = (
        "meeting_reminder",
        _("A meeting I coordinate: 7 days and 1 day before, with the draft agenda"),
    )
    # what is due: in the digest, or not at all
    ACTIONS_DUE = "actions_due", _("My actions due today or overdue")
    REVIEWS_DUE = "reviews_due", _("Reviews due within 14 days of residents I coordinate")
    STEP_UPS_WAITING = "step_ups_waiting", _("Urgent step-ups waiting for the team's confirmation")
    REFERRALS_WAITING = "referrals_waiting", _("Referrals still without the provider's feedback")
    # the digest itself (not a choice)
    DIGEST = "digest", _("Daily digest")


class Delivery(models.TextChoices):
    AT_ONCE = "at_once", _("At once by e-mail")
    DIGEST = "digest", _("In the daily digest")
    OFF = "off", _("Not at all")


EVENT_KINDS = (Kind.ACTION_ASSIGNED, Kind.URGENT_STEP_UP, Kind.CONCERN, Kind.MEETING_REMINDER)
DUE_KINDS = (Kind.ACTIONS_DUE, Kind.REVIEWS_DUE, Kind.STEP_UPS_WAITING, Kind.REFERRALS_WAITING)
CHOOSABLE = EVENT_KINDS + DUE_KINDS
DEFAULTS: dict[str, str] = {
    **{kind: Delivery.AT_ONCE for kind in EVENT_KINDS},
    **{kind: Delivery.DIGEST for kind in DUE_KINDS},
}


def choices_for(kind: str) -> list[tuple[str, str]]:
    """What a member may choose for a kind: what is due goes in the digest or nowhere."""
    if kind in DUE_KINDS:
        return [(Delivery.DIGEST, Delivery.DIGEST.label), (Delivery.OFF, Delivery.OFF.label)]
    return list(Delivery.choices)


class NoticePreference(models.Model):
    """A member's choice for one kind (none stored: `DEFAULTS`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind"),
            models.CheckConstraint(
                condition=~models.Q(kind="digest"), name="the_digest_is_not_a_preference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}: {self.get_delivery_display()}"


class Notice(Outbox):
    """One thing one member hears about. `key` names the event ("action:12", "meeting:3:7",
    "digest:2026-12-07"): one row per member, kind and key. `lines` (the digest only) are what
    was due that morning, by kind and resident id; initials and age are read when shown."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=80)
    resident = models.ForeignKey(
        "clients.Resident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    meeting = models.ForeignKey(
        "kernteam.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)  # a meeting reminder: the draft agenda's size
    lines = models.JSONField(default=list, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="taken_in"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="one_notice_per_event")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["mail_status", "mail_next_try"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.key}"


class DigestRun(models.Model):
    """The morning's digests were made (`steps.notify_plan.plan`): once a day, not again when
    something comes in later that day."""

    day = models.DateField(unique=True)
    finished_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.day)


# --- preferences --------------------------------------------------------------------------


def preferences(*, user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each member's choice per kind (defaults filled in), in one query."""
    ids = list(user_ids)
    chosen: dict[int, dict[str, str]] = {pk: dict(DEFAULTS) for pk in ids}
    for user_id, kind, delivery in NoticePreference.objects.filter(user_id__in=ids).values_list(
        "user_id", "kind", "delivery"
    ):
        chosen[user_id][kind] = delivery
    return chosen


def set_preferences(*, user, chosen: dict[str, str]) -> None:
    """Keeps the member's choices; a choice a kind does not offer is refused by field."""
    from django.core.exceptions import ValidationError

    errors = {}
    for kind, delivery in chosen.items():
        if kind not in CHOOSABLE:
            errors[kind] = _("Unknown kind of notification.")
        elif delivery not in dict(choices_for(kind)):
            errors[kind] = _("Choose one of the options offered.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, delivery in chosen.items():
            NoticePreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )


def initials_and_age(resident, *, with_age: bool = True, on: datetime.date | None = None) -> str:
    """How a mail names a resident: "M.R. (84)" (Maria van 't Riet, 84): never her name."""
    first = (resident.first_name.strip() or "?")[:1].upper()
    words = resident.last_name.split()
    last = ([w for w in words if w[:1].isupper()] or words or ["?"])[-1][:1].upper()
    label = f"{first}.{last}."
    return f"{label} ({resident.age(on)})" if with_age else label


# --- notifying ----------------------------------------------------------------------------


def has_address(user) -> bool:
    return bool(user.is_active and (user.email or "").strip())


def notify(
    *,
    users: Iterable,
    kind: str,
    key: str,
    resident=None,
    meeting=None,
    count: int = 0,
    lines: list | None = None,
    delivery: str | None = None,
) -> list[Notice]:
    """One notice per member for this event, by their choice for `kind` (`delivery` overrides
    it: the digest). Inside the caller's transaction; a member who has it already (the planner
    ran twice) gets nothing new. On commit the bell hears it. Returns the notices created: the
    caller hands their mails to the worker (`clients.notify.queue_mails`), which knows who may
    still hear of what when it sends."""
    people = {user.pk: user for user in users if user is not None}
    if not people:
        return []
    chosen = preferences(user_ids=people) if delivery is None else {}
    made: list[Notice] = []
    for pk, user in people.items():
        how = delivery or chosen[pk].get(kind, Delivery.AT_ONCE)
        if how == Delivery.OFF:
            continue
        at_once = (how == Delivery.AT_ONCE or kind == Kind.DIGEST) and has_address(user)
        mail = MailStatus.PENDING if at_once else MailStatus.NONE
        notice = Notice(
            user=user,
            kind=kind,
            key=key,
            resident=resident,
            meeting=meeting,
            count=count,
            lines=lines or [],
            delivery=how,
            mail_status=mail,
            mail_next_try=timezone.now() if mail == MailStatus.PENDING else None,
        )
        if not saved_once(notice):
            continue  # this member heard of this event already
        made.append(notice)
        send_user_event_on_commit(user_id=pk, message={"type": "user.notice"})
    return made


# --- the bell (which notices it shows: `clients.notify.bell_items`) ---------------------------


def mark_read(*, notice: Notice) -> None:
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(*, user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
