"""Mail that must go out once, sent by the worker, never inside a request (issue 19).

A row that carries a mail (a member's notice, a carer's notice) is its own outbox entry:
`mail_status` says where it is. The worker claims a pending row with one conditional UPDATE
before it sends, so two workers, or a task run twice, send it once. A mail server that is away
is tried again with backoff (`BACKOFF`), then the row and its task are marked failed (the
administrator sees both); an address that is invalid or refused fails at once. Either way the
other mails go on: each is its own task.

A worker that died while sending leaves a row "being sent": after `LEASE` the planner puts it
back (`recover`), so a crash can mean a second mail, never a lost one; a row whose task was
lost (pending for `REQUEUE_AFTER` past its time) is handed to the worker again.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

BACKOFF = (  # after the 1st, 2nd, … failed try; then it has failed
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
)
LEASE = datetime.timedelta(minutes=10)
# Pending this long past its time: its task got lost (longer than any backlog a morning's
# digests make behind a slow mail server, so a task waiting in the queue is not doubled).
REQUEUE_AFTER = datetime.timedelta(minutes=30)


class MailStatus(models.TextChoices):
    NONE = "none", _("no e-mail")  # bell only: no address, or it waits for the digest
    PENDING = "pending", _("to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Outbox(models.Model):
    mail_status = models.CharField(
        _("e-mail"), max_length=10, choices=MailStatus.choices, default=MailStatus.NONE
    )
    mail_attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    mail_next_try = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    mail_error = models.CharField(_("why it failed"), max_length=300, blank=True)

    class Meta:
        abstract = True


def saved_once(row: models.Model) -> bool:
    """Saves a new notice in a savepoint (the caller's transaction goes on): False when its
    unique constraint says the same person heard of the same event already."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return False
    return True


class MailNotSent(Exception):
    """The task's failure, as the administrator reads it in the task results."""


class Outcome(models.TextChoices):
    SENT = "sent"
    SKIPPED = "skipped"  # sent or being sent by another worker, or nothing to send
    RETRY = "retry"
    WITHHELD = "withheld"  # the recipient may no longer hear of it


NOT_ALLOWED = "not sent: the recipient may no longer hear of this"


def is_permanent(exc: BaseException) -> bool:
    """An address that is invalid, or a refusal the server means for good (a 5xx code): trying
    again changes nothing. A 4xx refusal (greylisting, a rate limit) is worth another try."""
    if isinstance(exc, ValidationError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def deliver(
    *,
    model: type[Outbox],
    pk: int,
    compose: Callable[[Outbox], EmailMessage],
    requeue: Callable[[int, datetime.datetime], None],
    allowed: Callable[[Outbox], bool] = lambda row: True,
) -> str:
    """Send the row's mail once. Returns an `Outcome`; raises `MailNotSent` when it has failed
    for good (the task is then recorded as failed). `allowed` asks, at the moment of sending,
    whether the recipient may still hear of it (consent withdrawn, link ended, kind stopped
    meanwhile; it may drop what she may no longer read): if not, nothing is sent and the row
    says so. Every write after the claim names the claim (status and try): a worker that
    outlived its lease cannot overwrite what the worker after it did."""
    now = timezone.now()
    claimed = model.objects.filter(pk=pk, mail_status=MailStatus.PENDING).update(
        mail_status=MailStatus.SENDING,
        mail_attempts=F("mail_attempts") + 1,
        mail_next_try=now + LEASE,
    )
    if not claimed:
        return Outcome.SKIPPED
    row = model.objects.get(pk=pk)
    mine = model.objects.filter(
        pk=pk, mail_status=MailStatus.SENDING, mail_attempts=row.mail_attempts
    )
    if not allowed(row):
        mine.update(mail_status=MailStatus.NONE, mail_next_try=None, mail_error=NOT_ALLOWED)
        return Outcome.WITHHELD
    try:
        message = compose(row)
        for address in message.to:
            validate_email(address)
        message.send()
    except (OSError, smtplib.SMTPException, ValidationError) as exc:
        if is_permanent(exc) or row.mail_attempts > len(BACKOFF):
            _failed(model, mine, exc)
            raise MailNotSent(f"{model.__name__} {pk}: {_why(exc)}") from exc
        later = timezone.now() + BACKOFF[row.mail_attempts - 1]
        if mine.update(mail_status=MailStatus.PENDING, mail_next_try=later, mail_error=_why(exc)):
            requeue(pk, later)
        return Outcome.RETRY
    except Exception as exc:  # (a mail that cannot be composed: never tried again and again)
        _failed(model, mine, exc)
        raise MailNotSent(f"{model.__name__} {pk}: {_why(exc)}") from exc
    if not mine.update(
        mail_status=MailStatus.SENT, mailed_at=timezone.now(), mail_next_try=None, mail_error=""
    ):
        logger.warning("Mail %s %s was sent after its lease ran out", model.__name__, pk)
    return Outcome.SENT


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _failed(model: type[Outbox], mine, exc: BaseException) -> None:
    logger.warning("Mail %s failed for good: %s", model.__name__, _why(exc))
    mine.update(mail_status=MailStatus.FAILED, mail_next_try=None, mail_error=_why(exc))


def recover(*, model: type[Outbox], requeue: Callable[[int, datetime.datetime], None]) -> int:
    """Rows whose task got lost (pending past their time) are handed to the worker again, and
    rows whose worker died while sending (past the lease) become pending again. Returns how
    many were handed over."""
    now = timezone.now()
    model.objects.filter(mail_status=MailStatus.SENDING, mail_next_try__lt=now).update(
        mail_status=MailStatus.PENDING, mail_next_try=now - REQUEUE_AFTER
    )
    lost = model.objects.filter(
        mail_status=MailStatus.PENDING, mail_next_try__lte=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    count = 0
    for pk in lost:
        model.objects.filter(pk=pk).update(mail_next_try=now)
        requeue(pk, now)
        count += 1
    return count
