"""Deliveries of the integrators' subscriptions (issue 20 §2): made in the write's transaction,
sent by the background worker, signed, retried for 24 hours.

Made: every change of a resident's data passes `clients.visibility.send_resident_event_on_commit`,
which calls `note_resident_changed` inside the write's transaction. For every active
subscription of her team whose owner may see her (`clients.subscriptions.may_notify`) a
delivery row is saved there and then, and handed to the worker when the transaction commits: a
change that is rolled back notifies nobody, and a request never waits for an endpoint.
Coalesced: while a delivery for (subscription, resident) waits to be sent, a later change adds
none (a unique constraint on the pending rows); the receiver fetches her as she is by then.

Sent (`send_delivery`, a django-tasks task, like the mails of `kernteam.outbox`): the worker
claims the row with one conditional UPDATE (a second worker, or the task run twice, skips it),
asks again whether the subscription is still active and its owner may still see her (if not:
"withheld", not sent), and POSTs the notification with a timeout of TIMEOUT seconds. Every write
after the claim names the claim (status and try), as in the outbox.

The notification is a FHIR R4 id-only notification of the Subscriptions R5 Backport IG: a
Bundle of type `history` whose first entry is the subscription status (Parameters) with the
event's focus, the Patient's fullUrl, and whose second entry is that fullUrl only (no resource).

Signed as Standard Webhooks do: `webhook-id` (the delivery's, the same on every try),
`webhook-timestamp` (this try, Unix seconds), `webhook-signature: v1,<base64 HMAC-SHA256>` over
`<id>.<timestamp>.<body>` with the secret's bytes (base64 after `whsec_`). `verify` is the
receiver's side, as the README shows it.

Retried: an answer other than 2xx (redirects included) or no answer is tried again after
BACKOFF (1, 5, 15, 30, 60 minutes, then every 2 hours) until RETRY_FOR (24 hours) after the
first try; a try then fails the delivery for good and puts the subscription in `error`. A later
success after failures leaves it active. A worker that died while sending leaves the row
"being sent": after LEASE the planner puts it back (`recover`, from `steps.notify_plan`), and
hands over pending rows whose task got lost.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import logging
import urllib.error
import urllib.request
import uuid

from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from clients.models import Resident
from clients.subscriptions import (
    BACKPORT,
    FHIR_JSON,
    DeliveryStatus,
    Status,
    Subscription,
    SubscriptionDelivery,
    mark_in_error,
    may_notify,
    patient_url,
)
from kernteam.access_log import write as write_log
from kernteam.models import AccessLogEntry, primary_role
from kernteam.outbox import Outcome, saved_once

logger = logging.getLogger(__name__)

TIMEOUT = 10  # seconds per POST
BACKOFF = tuple(datetime.timedelta(minutes=m) for m in (1, 5, 15, 30, 60))
THEN_EVERY = datetime.timedelta(hours=2)
RETRY_FOR = datetime.timedelta(hours=24)
LEASE = datetime.timedelta(minutes=5)  # far longer than one POST may take
REQUEUE_AFTER = datetime.timedelta(minutes=30)  # pending this long past its time: task lost

# Live events that change no resident's data (the meeting's screen follows her).
NOT_A_CHANGE = frozenset({"meeting.focus"})

STOPPED = "not sent: the subscription is no longer active"
NOT_VISIBLE = "not sent: the subscription's account may no longer see this resident"
SUPERSEDED = "not sent: a later notification about this resident replaces it"


class NotificationNotSent(Exception):
    """The task's failure, as the administrator reads it in the task results."""


# --- made in the write's transaction --------------------------------------------------------


def note_resident_changed(*, resident: Resident, event: str) -> list[SubscriptionDelivery]:
    """Inside the caller's transaction: a delivery for each active subscription of her team
    whose owner may see her, unless one waits already; each goes to the worker on commit."""
    if event in NOT_A_CHANGE:
        return []
    subscriptions = Subscription.objects.filter(
        team_id=resident.team_id, status=Status.ACTIVE
    ).select_related("owner")
    made = []
    for subscription in subscriptions:
        waiting = SubscriptionDelivery.objects.filter(
            subscription=subscription, resident_id=resident.pk, status=DeliveryStatus.PENDING
        )
        if waiting.exists() or not may_notify(subscription=subscription, resident=resident):
            continue
        delivery = SubscriptionDelivery(
            subscription=subscription,
            resident_id=resident.pk,
            event=event[:60],
            next_try=timezone.now(),
        )
        if saved_once(delivery):  # (False: a concurrent change made it first)
            made.append(delivery)
            transaction.on_commit(lambda pk=delivery.pk: enqueue_delivery(pk), robust=True)
    return made


def enqueue_delivery(pk: int, when: datetime.datetime | None = None) -> None:
    (send_delivery.using(run_after=when) if when else send_delivery).enqueue(pk)


@task()
def send_delivery(delivery_id: int) -> str:
    return deliver(pk=delivery_id)


LOGGED_AS = "fhir-notification"  # the access log's "what" for a sent notification


# --- sent by the worker --------------------------------------------------------------------


def deliver(*, pk: int) -> str:
    """Send the delivery once. Returns an `Outcome`; raises `NotificationNotSent` when it has
    failed for good (the task is then recorded as failed)."""
    now = timezone.now()
    claimed = SubscriptionDelivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        next_try=now + LEASE,
        first_try_at=Coalesce(F("first_try_at"), Value(now, output_field=models.DateTimeField())),
    )
    if not claimed:
        return Outcome.SKIPPED
    row = SubscriptionDelivery.objects.select_related(
        "subscription__owner", "subscription__team", "resident__team"
    ).get(pk=pk)
    mine = SubscriptionDelivery.objects.filter(
        pk=pk, status=DeliveryStatus.SENDING, attempts=row.attempts
    )
    subscription = row.subscription
    if not may_notify(subscription=subscription, resident=row.resident):
        why = STOPPED if subscription.status != Status.ACTIVE else NOT_VISIBLE
        mine.update(status=DeliveryStatus.WITHHELD, next_try=None, error=why)
        return Outcome.WITHHELD
    body = json.dumps(notification(row), separators=(",", ":")).encode()
    headers = signed_headers(
        message_id=message_id(row),
        timestamp=int(timezone.now().timestamp()),
        body=body,
        secret=subscription.secret_bytes(),
    )
    code, why = post(url=subscription.endpoint, body=body, headers=headers)
    now = timezone.now()
    if code is not None and 200 <= code < 300:
        if not mine.update(
            status=DeliveryStatus.SENT, sent_at=now, next_try=None, error="", last_status_code=code
        ):
            logger.warning("Delivery %s was sent after its lease ran out", pk)
        log_disclosure(row)
        return Outcome.SENT
    give_up_at = row.first_try_at + RETRY_FOR
    if now >= give_up_at:
        mine.update(status=DeliveryStatus.FAILED, next_try=None, error=why, last_status_code=code)
        mark_in_error(
            subscription_id=subscription.pk,
            why=f"Notification {pk} could not be delivered for 24 hours: {why}",
        )
        raise NotificationNotSent(f"SubscriptionDelivery {pk}: {why}")
    later = min(now + backoff(row.attempts), give_up_at)
    outcome = _back_to_pending(row=row, mine=mine, next_try=later, error=why, last_status_code=code)
    if outcome == Outcome.RETRY:
        enqueue_delivery(pk, later)
    return outcome


def log_disclosure(row: SubscriptionDelivery) -> None:
    """A sent notification told the integration account that she changed (her id only): one
    access-log entry, as an export to that account, to the endpoint it went to (NEN 7513: the
    resident may ask who heard of her). The account's own fetch is logged as any read."""
    subscription = row.subscription
    role = primary_role(subscription.team.roles_of(subscription.owner))
    entry = (subscription.team, row.resident_id, AccessLogEntry.Action.EXPORT, LOGGED_AS, role)
    write_log(user=subscription.owner, rows=[entry], path=subscription.endpoint, ip=None)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed try."""
    return BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else THEN_EVERY


def _back_to_pending(*, row: SubscriptionDelivery, mine, **values) -> str:
    """Pending again, to be tried later (RETRY; SKIPPED if its lease ran out meanwhile: the
    planner handed it over). If a later change made a new pending delivery for her meanwhile
    (while this one was being sent), that one carries on, within this one's 24 hours, and this
    one is withheld (WITHHELD)."""
    try:
        with transaction.atomic():
            updated = mine.update(status=DeliveryStatus.PENDING, **values)
        return Outcome.RETRY if updated else Outcome.SKIPPED
    except IntegrityError:
        SubscriptionDelivery.objects.filter(
            subscription_id=row.subscription_id,
            resident_id=row.resident_id,
            status=DeliveryStatus.PENDING,
        ).update(first_try_at=row.first_try_at)
        mine.update(status=DeliveryStatus.WITHHELD, next_try=None, error=SUPERSEDED)
        return Outcome.WITHHELD


def recover() -> int:
    """Rows whose worker died while sending (past the lease) become pending again, and rows
    whose task got lost (pending past their time) are handed to the worker again. Returns how
    many were handed over."""
    now = timezone.now()
    stuck = SubscriptionDelivery.objects.filter(status=DeliveryStatus.SENDING, next_try__lt=now)
    for row in stuck:
        mine = SubscriptionDelivery.objects.filter(
            pk=row.pk, status=DeliveryStatus.SENDING, attempts=row.attempts
        )
        _back_to_pending(row=row, mine=mine, next_try=now - REQUEUE_AFTER)
    lost = SubscriptionDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_try__lte=now - REQUEUE_AFTER
    ).values_list("pk", flat=True)
    count = 0
    for pk in lost:
        SubscriptionDelivery.objects.filter(pk=pk).update(next_try=now)
        enqueue_delivery(pk)
        count += 1
    return count


# --- the notification ----------------------------------------------------------------------


def message_id(delivery: SubscriptionDelivery) -> str:
    return f"delivery-{delivery.pk}"


def notification(delivery: SubscriptionDelivery) -> dict:
    """The id-only notification (Backport IG, R4): status first, then the Patient's fullUrl."""
    subscription = delivery.subscription
    number = str(
        SubscriptionDelivery.objects.filter(subscription=subscription, pk__lte=delivery.pk).count()
    )
    focus = patient_url(delivery.resident_id)
    status_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{subscription.full_url}/{delivery.pk}"))
    status = {
        "resourceType": "Parameters",
        "id": status_id,
        "meta": {"profile": [BACKPORT + "backport-subscription-status-r4"]},
        "parameter": [
            {"name": "subscription", "valueReference": {"reference": subscription.full_url}},
            {"name": "status", "valueCode": subscription.status},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": number},
            {
                "name": "notification-event",
                "part": [
                    {"name": "event-number", "valueString": number},
                    {"name": "timestamp", "valueInstant": delivery.created_at.isoformat()},
                    {"name": "focus", "valueReference": {"reference": focus}},
                ],
            },
        ],
    }
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [BACKPORT + "backport-subscription-notification-r4"]},
        "type": "history",
        "timestamp": timezone.now().isoformat(),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{status_id}",
                "resource": status,
                "request": {"method": "GET", "url": f"{subscription.full_url}/$status"},
                "response": {"status": "200"},
            },
            {
                "fullUrl": focus,
                "request": {"method": "PUT", "url": f"Patient/resident-{delivery.resident_id}"},
                "response": {"status": "200"},
            },
        ],
    }


# --- signing (Standard Webhooks) -----------------------------------------------------------


def signature(*, message_id: str, timestamp: int, body: bytes, secret: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def signed_headers(*, message_id: str, timestamp: int, body: bytes, secret: bytes) -> dict:
    sig = signature(message_id=message_id, timestamp=timestamp, body=body, secret=secret)
    return {
        "Content-Type": FHIR_JSON,
        "User-Agent": "Kernteam-Subscriptions/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{sig}",
    }


# --- the POST ------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx (urllib would follow a 302 as a GET, unsigned
    body lost): tried again later, like any other."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(*, url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """(HTTP status, why it failed: "" for 2xx); no status when no answer came."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timeout, TLS
        return None, f"{type(exc).__name__}: {exc}"[:300]
