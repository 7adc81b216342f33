"""Deliveries of the integrators' subscriptions (issue 20 §2): made in the write's transaction,
sent by the background worker, signed, retried for 24 hours.

Made: every change of a resident's data passes `clients.visibility.send_resident_event_on_commit`,
which calls `note_resident_changed` inside the write's transaction. For every active
subscription of her team whose owner may see her (`clients.subscriptions.may_notify`) a
delivery row is saved there and then, and handed to the worker when the transaction commits: a
change that is rolled back notifies nobody, and a request never waits for an endpoint.
Coalesced: while a delivery for (subscription, resident) waits to be sent, a later change adds
none (a unique constraint on the pending rows); the receiver fetches her as she is by then.
The change's transaction locks the waiting row it coalesces into (SELECT ... FOR UPDATE): a
worker's claim (a conditional UPDATE of that row) then waits until the change commits, so the
receiver never fetches her before the change it is told of is visible. Had the worker claimed
the row first, it is no longer pending, and the change makes a delivery of its own. (SQLite
has no row locks; there the change's transaction holds the database's write lock already.)
A subscription's account that was made `off` because its owner left the team or the group
(`clients.subscriptions.retire_if_orphaned`) makes no more; a PZP change is told only to an
account that reads her PZP (`may_notify`).

Sent (`send_delivery`, a django-tasks task, like the mails of `kernteam.outbox`): the worker
claims the row with one conditional UPDATE (a second worker, or the task run twice, skips it),
asks again whether the subscription is still active and its owner may still see her (if not:
"withheld", not sent), writes the access-log entry of the disclosure (before the POST: every try
may reach the receiver, and a crash after it leaves the trace), and POSTs the notification
(`post`): the name's addresses are looked up and every one must be public (else the try fails
as "refused: not a public address"; loopback only with the tests' setting), the connection goes
to the address checked (no second lookup), and the whole POST, lookup and a slow trickle of an
answer included, ends after DEADLINE seconds. Every write after the claim names the claim
(status and try), as in the outbox. The reasons stored (`delivery.error`, `Subscription.error`)
are generic ("no answer", "HTTP 404", "refused: not a public address"): the integrator reads
them back, and they must not describe the hosting network.

Numbered: `events-since-subscription-start` and `event-number` count the subscription's
deliveries, up to this one, that were tried; a withheld one never counts (a gap would tell that
something about a resident was kept back).

The breaker, per subscription: when a try fails, the subscription's other pending deliveries
wait for this one's next try (their next_try moves there, their tasks with it; a task that
comes earlier finds its row not yet due and skips it), and a delivery made meanwhile waits
too. At that time one worker tries them one by one: the first failure moves the rest on again,
so a dead endpoint costs one try per round, not one per changed resident. A success releases
the waiting ones at once.

The deliveries share the worker and the "default" queue with the mails of issue 19 (a separate
queue needs the queue named in settings.TASKS, which this module does not own); the DEADLINE
and the breaker keep a dead endpoint's cost to the mails at one DEADLINE per round.

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
import contextlib
import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
import uuid
from urllib.parse import urlsplit

from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tasks import task

from clients.fhir_refs import FHIR_JSON, patient_id, patient_url
from clients.models import Resident
from clients.subscriptions import (
    BACKPORT,
    DeliveryStatus,
    Status,
    Subscription,
    SubscriptionDelivery,
    address_allowed,
    mark_in_error,
    may_notify,
    retire_if_orphaned,
)
from kernteam.access_log import write as write_log
from kernteam.models import AccessLogEntry, primary_role
from kernteam.outbox import Outcome, saved_once

logger = logging.getLogger(__name__)

DEADLINE = 10.0  # seconds for one POST, all of it (lookup, connect, TLS, the answer)
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
NO_ANSWER = "no answer"
REFUSED_ADDRESS = "refused: not a public address"


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
        if retire_if_orphaned(subscription) or not may_notify(
            subscription=subscription, resident=resident, event=event
        ):
            continue
        if _lock_waiting(subscription=subscription, resident=resident):
            continue
        now = timezone.now()
        when = breaker_until(subscription_id=subscription.pk, now=now)
        delivery = SubscriptionDelivery(
            subscription=subscription,
            resident_id=resident.pk,
            event=event[:60],
            next_try=when or now,
        )
        if saved_once(delivery):  # (False: a concurrent change made it first)
            made.append(delivery)
            transaction.on_commit(
                lambda pk=delivery.pk, when=when: enqueue_delivery(pk, when), robust=True
            )
    return made


def _lock_waiting(*, subscription: Subscription, resident: Resident) -> bool:
    """Whether a delivery for her waits (pending), locking it until the caller's transaction
    ends: a worker cannot claim and send it before this change commits (module docstring)."""
    with transaction.atomic():  # (a savepoint in the caller's transaction; the lock stays)
        waiting = SubscriptionDelivery.objects.select_for_update().filter(
            subscription=subscription, resident_id=resident.pk, status=DeliveryStatus.PENDING
        )
        return bool(list(waiting.values_list("pk", flat=True)[:1]))


def breaker_until(*, subscription_id: int, now: datetime.datetime) -> datetime.datetime | None:
    """While the subscription's latest try failed: the time its next try is due (a failed
    delivery waits for it), else None."""
    failed = SubscriptionDelivery.objects.filter(
        subscription_id=subscription_id,
        status=DeliveryStatus.PENDING,
        attempts__gt=0,
        next_try__gt=now,
    )
    return failed.aggregate(at=models.Min("next_try"))["at"]


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
    claimed = SubscriptionDelivery.objects.filter(
        pk=pk, status=DeliveryStatus.PENDING, next_try__lte=now
    ).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        next_try=now + LEASE,
        first_try_at=Coalesce(F("first_try_at"), Value(now, output_field=models.DateTimeField())),
    )
    if not claimed:  # sent, taken by another worker, or not yet due (the breaker moved it)
        return Outcome.SKIPPED
    row = SubscriptionDelivery.objects.select_related(
        "subscription__owner", "subscription__team", "resident__team"
    ).get(pk=pk)
    mine = SubscriptionDelivery.objects.filter(
        pk=pk, status=DeliveryStatus.SENDING, attempts=row.attempts
    )
    subscription = row.subscription
    retire_if_orphaned(subscription)
    if not may_notify(subscription=subscription, resident=row.resident, event=row.event):
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
    log_disclosure(row)  # before the POST: any try may reach the receiver
    code, why = post(url=subscription.endpoint, body=body, headers=headers)
    now = timezone.now()
    if code is not None and 200 <= code < 300:
        if not mine.update(
            status=DeliveryStatus.SENT, sent_at=now, next_try=None, error="", last_status_code=code
        ):
            logger.warning("Delivery %s was sent after its lease ran out", pk)
        _release_waiting(subscription_id=subscription.pk, now=now)
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
    _hold_waiting(subscription_id=subscription.pk, until=later, but=pk)
    return outcome


def _hold_waiting(*, subscription_id: int, until: datetime.datetime, but: int) -> None:
    """The breaker opens: the subscription's other pending deliveries due before `until` wait
    until then (each handed to the worker for that time)."""
    held = SubscriptionDelivery.objects.filter(
        subscription_id=subscription_id, status=DeliveryStatus.PENDING, next_try__lt=until
    ).exclude(pk=but)
    for other in list(held.values_list("pk", flat=True)):
        moved = SubscriptionDelivery.objects.filter(
            pk=other, status=DeliveryStatus.PENDING, next_try__lt=until
        ).update(next_try=until)
        if moved:
            enqueue_delivery(other, until)


def _release_waiting(*, subscription_id: int, now: datetime.datetime) -> None:
    """The breaker closes: the endpoint answered, the subscription's waiting deliveries go now."""
    waiting = SubscriptionDelivery.objects.filter(
        subscription_id=subscription_id, status=DeliveryStatus.PENDING, next_try__gt=now
    )
    for other in list(waiting.values_list("pk", flat=True)):
        moved = SubscriptionDelivery.objects.filter(
            pk=other, status=DeliveryStatus.PENDING, next_try__gt=now
        ).update(next_try=now)
        if moved:
            enqueue_delivery(other)


def log_disclosure(row: SubscriptionDelivery) -> None:
    """A try tells the integration account that she changed (her id only): one access-log
    entry per try, as an export to that account, to the address it goes to (NEN 7513: the
    resident may ask who heard of her). Written before the POST, so no try goes untraced; the
    path is the endpoint without its query (which may hold a token). The account's own fetch
    is logged as any read."""
    subscription = row.subscription
    role = primary_role(subscription.team.roles_of(subscription.owner))
    entry = (subscription.team, row.resident_id, AccessLogEntry.Action.EXPORT, LOGGED_AS, role)
    path = logged_address(subscription.endpoint)
    write_log(user=subscription.owner, rows=[entry], path=path, ip=None)


def logged_address(url: str) -> str:
    """scheme://host[:port]/path of an endpoint: no user, password, query or fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path or '/'}"


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
    return sum(requeue_lost(pk=pk, now=now) for pk in list(lost))


def requeue_lost(*, pk: int, now: datetime.datetime) -> bool:
    """A pending delivery whose task got lost goes to the worker again: only if it is still
    pending and overdue (a worker may have claimed it since: its lease stays). True if so."""
    if SubscriptionDelivery.objects.filter(
        pk=pk, status=DeliveryStatus.PENDING, next_try__lte=now - REQUEUE_AFTER
    ).update(next_try=now):
        enqueue_delivery(pk)
        return True
    return False


# --- the notification ----------------------------------------------------------------------


def message_id(delivery: SubscriptionDelivery) -> str:
    return f"delivery-{delivery.pk}"


def notification(delivery: SubscriptionDelivery) -> dict:
    """The id-only notification (Backport IG, R4): status first, then the Patient's fullUrl."""
    subscription = delivery.subscription
    tried = SubscriptionDelivery.objects.filter(
        subscription=subscription, pk__lte=delivery.pk, first_try_at__isnull=False
    ).exclude(status=DeliveryStatus.WITHHELD)
    number = str(tried.count())
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
                "request": {"method": "PUT", "url": f"Patient/{patient_id(delivery.resident_id)}"},
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


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to the addresses that were checked (`post`), in turn, not to a second
    lookup of the name (which could answer another address); TLS, if any, checks the name."""

    def __init__(self, host: str, port: int, *, addresses: list[str], tls: bool, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses, self.tls = addresses, tls

    def connect(self) -> None:
        for n, address in enumerate(self.addresses, start=1):
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                break
            except OSError:
                if n == len(self.addresses):
                    raise
        if self.tls:
            context = ssl.create_default_context()
            self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def resolve(host: str, port: int, *, deadline: float) -> list[str] | None:
    """The addresses of `host` (None: no answer before the deadline). An address as host is
    itself; a name is looked up in a thread, as getaddrinfo has no timeout of its own."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass  # a name
    found: list = []

    def lookup() -> None:
        with contextlib.suppress(OSError, UnicodeError):
            found.extend(
                info[4][0] for info in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
            )

    thread = threading.Thread(target=lookup, name="kernteam-webhook-dns", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    return list(found) if not thread.is_alive() and found else None


def post(*, url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """(HTTP status, why it failed: "" for 2xx); no status when no answer came within DEADLINE
    seconds, all of it, or when the name has an address that is not public. Redirects are not
    followed: an answer other than 2xx, tried again later."""
    deadline = time.monotonic() + DEADLINE
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except UnicodeError:
        return None, NO_ANSWER
    addresses = resolve(host, port, deadline=deadline)
    if addresses is None:
        return None, NO_ANSWER
    try:
        if not all(address_allowed(address) for address in addresses):
            return None, REFUSED_ADDRESS
    except ValueError:
        return None, REFUSED_ADDRESS
    left = deadline - time.monotonic()
    connection = _PinnedHTTP(host, port, addresses=addresses, tls=tls, timeout=left)
    if tls:
        connection.default_port = 443  # (the Host header then names no port for 443)
    watchdog = threading.Timer(left, _cut, args=(connection,))
    watchdog.start()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)  # (a few KB at most; the status is what counts)
        code = response.status
    except (OSError, ValueError, http.client.HTTPException):  # refused, timeout, TLS, cut
        return None, NO_ANSWER
    finally:
        watchdog.cancel()
        connection.close()
    if time.monotonic() > deadline:
        return None, NO_ANSWER
    return code, "" if 200 <= code < 300 else f"HTTP {code}"


def _cut(connection: http.client.HTTPConnection) -> None:
    """At the deadline: end the connection, whatever it waits for (a blocked read returns)."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
