"""What a carer hears by e-mail (issue 19 §3), in plain Dutch and only what the resident's
consent shares with carers: a new action for them, a change of the care coordinator, and a
reminder three days before the team looks at their family member again (with an invitation to
send a concern first). Never scores, notes or the action's text: the mail names the family
member by initials and links to the carers' portal, where the rest is.

Only carers with a portal account (they accepted their invitation) and an address hear
anything: the links need a sign-in. Each kind can be stopped with one click (`stop_link`).
One row per carer, kind and event (`key`) makes each mail go out once; the worker sends it
(`kernteam.outbox`)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from clients.models import Carer, CarerLink, Resident
from clients.visibility import shares_with_carers
from kernteam.models import shown_date
from kernteam.notices import initials_and_age
from kernteam.outbox import MailStatus, Outbox, deliver, saved_once

REVIEW_REMINDER_DAYS = 3


class CarerKind(models.TextChoices):
    ACTION = "action", gettext_lazy("new tasks for you")
    COORDINATOR = "coordinator", gettext_lazy("a new care coordinator")
    REVIEW_SOON = (
        "review_soon",
        gettext_lazy("a reminder before the team looks at your family member again"),
    )


class CarerNotice(Outbox):
    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="notices")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=CarerKind.choices)
    key = models.CharField(max_length=80)
    on = models.DateField(null=True, blank=True)  # the review's date (a reminder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = gettext_lazy("carer's notification")
        verbose_name_plural = gettext_lazy("carers' notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["carer", "kind", "key"], name="one_carer_notice_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.carer} · {self.get_kind_display()} · {self.key}"


class CarerNoticeStop(models.Model):
    """The carer stopped this kind (one click in any of its mails)."""

    carer = models.ForeignKey(Carer, on_delete=models.PROTECT, related_name="notice_stops")
    kind = models.CharField(max_length=16, choices=CarerKind.choices)
    stopped_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("stopped carer's notification")
        verbose_name_plural = gettext_lazy("stopped carers' notifications")
        constraints = [
            models.UniqueConstraint(fields=["carer", "kind"], name="one_stop_per_carer_kind")
        ]

    def __str__(self) -> str:
        return f"{self.carer} · {self.get_kind_display()}"


def reachable(carer: Carer) -> bool:
    user = carer.user
    return bool(user is not None and user.is_active and (carer.email or "").strip())


def notify_carers(
    *,
    resident: Resident,
    kind: str,
    key: str,
    carers: list[Carer] | None = None,
    on: datetime.date | None = None,
) -> list[CarerNotice]:
    """Inside the caller's transaction: a notice for each carer (`carers`, else every carer
    linked now) who may see the resident (her consent shares with carers), has an account and
    an address, and has not stopped this kind. Each mail goes to the worker on commit."""
    if not shares_with_carers(resident=resident):
        return []
    ids = CarerLink.objects.active().filter(resident=resident).values("carer_id")
    linked = Carer.objects.filter(pk__in=ids).select_related("user").order_by("pk")
    if carers is not None:
        linked = linked.filter(pk__in=[c.pk for c in carers])
    stopped = set(CarerNoticeStop.objects.filter(kind=kind).values_list("carer_id", flat=True))
    made = []
    for carer in linked:
        if carer.pk in stopped or not reachable(carer):
            continue
        notice = CarerNotice(
            carer=carer,
            resident=resident,
            kind=kind,
            key=key,
            on=on,
            mail_status=MailStatus.PENDING,
            mail_next_try=timezone.now(),
        )
        if not saved_once(notice):
            continue  # told already
        made.append(notice)
        transaction.on_commit(lambda pk=notice.pk: enqueue_carer_mail(pk), robust=True)
    return made


def enqueue_carer_mail(pk: int, when: datetime.datetime | None = None) -> None:
    (mail_carer_notice.using(run_after=when) if when else mail_carer_notice).enqueue(pk)


@task()
def mail_carer_notice(notice_id: int) -> str:
    return deliver(
        model=CarerNotice,
        pk=notice_id,
        compose=compose,
        requeue=enqueue_carer_mail,
        allowed=may_still_hear,
    )


def may_still_hear(notice: CarerNotice) -> bool:
    """At the moment of sending, as when it was made: her link in force, the consent sharing
    with carers, the record not closed (a death, a move), an account and an address, and this
    kind not stopped."""
    carer = notice.carer
    return (
        reachable(carer)
        and not notice.resident.is_closed
        and CarerLink.objects.active().filter(carer=carer, resident=notice.resident).exists()
        and shares_with_carers(resident=notice.resident)
        and not CarerNoticeStop.objects.filter(carer=carer, kind=notice.kind).exists()
    )


# --- stopping ------------------------------------------------------------------------------

STOP_SALT = "kernteam.carer-notice-stop"


def stop_token(*, carer: Carer, kind: str) -> str:
    return signing.dumps({"carer": carer.pk, "kind": kind}, salt=STOP_SALT, compress=True)


def read_stop_token(token: str) -> tuple[Carer, str] | None:
    """(carer, kind) the token was made for, or None when it is not one of ours."""
    try:
        data = signing.loads(token, salt=STOP_SALT)
        carer = Carer.objects.get(pk=int(data["carer"]))
        kind = CarerKind(data["kind"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Carer.DoesNotExist):
        return None
    return carer, kind


def stop(*, carer: Carer, kind: str) -> None:
    """Idempotent: stopping twice keeps the first moment."""
    CarerNoticeStop.objects.get_or_create(carer=carer, kind=kind)


# --- the mail ------------------------------------------------------------------------------


def compose(notice: CarerNotice) -> EmailMessage:
    base = settings.KERNTEAM_BASE_URL
    stop_url = base + reverse(
        "carer_notice_stop", args=[stop_token(carer=notice.carer, kind=notice.kind)]
    )
    with translation.override(settings.LANGUAGE_CODE):
        who = initials_and_age(notice.resident, with_age=False)
        context = {
            "carer": notice.carer.first_name,
            "kind": notice.kind,
            "who": who,
            "on": shown_date(notice.on) if notice.on else "",
            "portal": base + reverse("carer_portal"),
            "concern": base + reverse("carer_concern", args=[notice.resident_id]),
            "stop": stop_url,
            "stop_what": CarerKind(notice.kind).label,
        }
        subjects = {
            CarerKind.ACTION: _("Kernteam: a new task for you"),
            CarerKind.COORDINATOR: _("Kernteam: a new care coordinator for %(who)s"),
            CarerKind.REVIEW_SOON: _("Kernteam: the team looks at %(who)s again on %(on)s"),
        }
        subject = subjects[notice.kind] % context
        body = render_to_string("clients/mail/carer_notice.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[notice.carer.email.strip()])
    message.extra_headers = {
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return message
