"""Deliveries reach the integrator (issue 20 §2): after a move, on the background worker (never
in the request), signed (Standard Webhooks, checked with the README's code), id-only FHIR R4
(the Backport IG's notification), retried with backoff after a 500 and for 24 hours, then the
subscription is in error; stopped, or no longer visible: not sent; a worker that died is
replaced by the planner. A receiver started by each test (http.server on 127.0.0.1) answers.

Every test runs at a fixed moment (time_machine), never on today's date; the worker commits
as in production."""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import threading
import time
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from fhir.resources.R4B.bundle import Bundle

from clients import subscription_delivery
from clients.services import record_consent
from clients.subscription_delivery import (
    BACKOFF,
    LEASE,
    NO_ANSWER,
    NOT_VISIBLE,
    REFUSED_ADDRESS,
    REQUEUE_AFTER,
    RETRY_FOR,
    STOPPED,
    SUPERSEDED,
    THEN_EVERY,
    requeue_lost,
    send_delivery,
)
from clients.subscriptions import DeliveryStatus, Status, Subscription, SubscriptionDelivery
from kernteam.models import AccessLogEntry
from kernteam.outbox import Outcome
from kernteam.roles import Role
from steps.notify_plan import plan
from steps.services import add_goal
from tests.factories import give_consent
from tests.helpers import API, api_as
from tests.subscription_helpers import (
    SUBSCRIPTIONS,
    Receiver,
    integration_account,
    step_up,
    subscribe,
    verifier,
)

pytestmark = pytest.mark.django_db(transaction=True)

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
MONDAY_NINE = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=AMS)
BASE = "https://kernteam.example.nl/fhir/"


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(MONDAY_NINE, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST = True  # the tests' receivers: http
    settings.KERNTEAM_FHIR_BASE = BASE


@pytest.fixture
def his(daalhof):
    return integration_account(daalhof.team)


def run_worker() -> None:
    """What `manage.py worker --once --no-planner` runs, without its random start-up delay."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def delivery_tasks(**filters):
    return DBTaskResult.objects.filter(
        task_path="clients.subscription_delivery.send_delivery", **filters
    )


# --- a notification reaches the receiver ---------------------------------------------------


def test_a_move_reaches_the_receiver_signed_and_id_only_after_the_request(
    his, daalhof, resident_in
):
    resident = resident_in("step2")
    with Receiver(200, delay=3) as receiver:  # a slow endpoint
        subscription_id, secret = subscribe(his, receiver.url)
        started = time.perf_counter()
        moved = api_as(daalhof.gp).post(
            f"{API}/residents/{resident.pk}/transitions/",
            {"transition": "step_up_to_3", "expected_state": "step2", "reason": "Gevallen"},
            format="json",
        )
        took = time.perf_counter() - started
        assert moved.status_code == 200
        assert took < 2 and receiver.received == []  # the request called nobody
        delivery = SubscriptionDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

        run_worker()  # the worker sends it
        assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert verifier()(secret=secret, headers=headers, body=body)
    assert not verifier()(secret=secret, headers=headers, body=body.replace(b"9", b"8"))
    other_secret = Subscription(secret="whsec_" + "A" * 44)
    assert not verifier()(secret=other_secret.secret, headers=headers, body=body)
    assert headers["content-type"] == "application/fhir+json"
    assert headers["webhook-id"] == f"delivery-{delivery.pk}"
    assert headers["webhook-timestamp"] == str(int(MONDAY_NINE.timestamp()))

    notification = json.loads(body)
    Bundle.model_validate(notification)  # valid FHIR R4 (R4B's Bundle is R4's)
    patient = f"{BASE}Patient/resident-{resident.pk}"
    assert notification["type"] == "history"
    status, focus = notification["entry"]
    parameters = {p["name"]: p for p in status["resource"]["parameter"]}
    assert status["resource"]["resourceType"] == "Parameters"
    assert parameters["subscription"]["valueReference"] == {
        "reference": f"{BASE}Subscription/{subscription_id}"
    }
    assert parameters["status"]["valueCode"] == "active"
    assert parameters["type"]["valueCode"] == "event-notification"
    assert parameters["events-since-subscription-start"]["valueString"] == "1"
    event = {p["name"]: p for p in parameters["notification-event"]["part"]}
    assert event["focus"]["valueReference"] == {"reference": patient}
    assert focus["fullUrl"] == patient and "resource" not in focus  # id-only
    assert resident.last_name not in body.decode() and resident.first_name not in body.decode()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert delivery.sent_at == delivery.first_try_at == MONDAY_NINE
    # The access log: the account heard of her (an export to it), to the endpoint it went to.
    told = AccessLogEntry.objects.filter(user=his, what="fhir-notification")
    assert list(told.values_list("resident", "team", "action", "path", "role")) == [
        (resident.pk, daalhof.team.pk, "export", receiver.url, Role.GP)
    ]


def test_a_500_is_tried_again_with_backoff_and_then_delivered(
    his, daalhof, resident_in, monday_morning
):
    resident = resident_in("step2")
    with Receiver(500, 200) as receiver:
        subscription_id, secret = subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        run_worker()
        delivery = SubscriptionDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert (delivery.last_status_code, delivery.error) == (500, "HTTP 500")
        assert delivery.next_try == MONDAY_NINE + BACKOFF[0]
        retry = delivery_tasks(status=TaskResultStatus.READY).get()
        assert retry.run_after == MONDAY_NINE + BACKOFF[0]

        run_worker()  # not yet its time
        assert len(receiver.received) == 1
        monday_morning.move_to(MONDAY_NINE + BACKOFF[0])
        run_worker()
        assert len(receiver.received) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 200)
    assert (delivery.error, delivery.first_try_at) == ("", MONDAY_NINE)
    assert Subscription.objects.get(pk=subscription_id).status == Status.ACTIVE  # still
    (first, _), (second, _) = receiver.received
    assert first["webhook-id"] == second["webhook-id"]  # the same message, tried again
    assert int(second["webhook-timestamp"]) - int(first["webhook-timestamp"]) == 60
    for headers, body in receiver.received:
        assert verifier()(secret=secret, headers=headers, body=body)


def test_after_24_hours_of_failures_the_subscription_is_in_error(
    his, daalhof, resident_in, monday_morning
):
    resident = resident_in("step2")
    with Receiver(503) as receiver:
        subscription_id, _ = subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        tries = []
        delivery = SubscriptionDelivery.objects.get()
        for _ in range(40):
            run_worker()
            delivery.refresh_from_db()
            tries.append(delivery.attempts)
            if delivery.status != DeliveryStatus.PENDING:
                break
            monday_morning.move_to(delivery.next_try)
    waits = [BACKOFF[0], *BACKOFF[1:]]
    schedule, at = [MONDAY_NINE], MONDAY_NINE
    for wait in [*waits, *[THEN_EVERY] * 20]:
        at += wait
        if at >= MONDAY_NINE + RETRY_FOR:
            break
        schedule.append(at)
    schedule.append(MONDAY_NINE + RETRY_FOR)  # the last try: 24 hours after the first
    assert len(receiver.received) == len(schedule) == delivery.attempts
    sent_at = [
        datetime.datetime.fromtimestamp(int(h["webhook-timestamp"]), tz=datetime.UTC)
        for h, _ in receiver.received
    ]
    assert sent_at == schedule
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 503)
    subscription = Subscription.objects.get(pk=subscription_id)
    assert subscription.status == Status.ERROR
    assert subscription.error == (
        f"Notification {delivery.pk} could not be delivered for 24 hours: HTTP 503"
    )
    failed = delivery_tasks(status=TaskResultStatus.FAILED).get()
    assert failed.exception_class_path == "clients.subscription_delivery.NotificationNotSent"
    answer = api_as(his).get(f"{SUBSCRIPTIONS}/{subscription_id}").json()
    assert (answer["status"], answer["error"]) == ("error", subscription.error)

    add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
    assert SubscriptionDelivery.objects.count() == 1  # none for a subscription in error


def test_an_endpoint_that_does_not_answer_is_tried_again(his, daalhof, resident_in):
    with Receiver() as receiver:
        gone = receiver.url  # the port is free again once it stops
    resident = resident_in("step2")
    subscribe(his, gone)
    step_up(resident=resident, by=daalhof.gp)
    run_worker()
    delivery = SubscriptionDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_status_code is None
    assert delivery.error == NO_ANSWER  # generic: nothing about the hosting network


def test_a_redirect_is_not_followed_and_counts_as_a_failure(his, daalhof, resident_in):
    resident = resident_in("step2")
    with Receiver(302) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        run_worker()
    delivery = SubscriptionDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 302)
    assert len(receiver.received) == 1


# --- not sent ------------------------------------------------------------------------------


def test_a_stopped_subscription_sends_nothing(his, daalhof, resident_in):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        subscription_id, _ = subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        assert api_as(his).delete(f"{SUBSCRIPTIONS}/{subscription_id}").status_code == 200
        run_worker()
        assert receiver.received == []
    delivery = SubscriptionDelivery.objects.get()
    assert (delivery.status, delivery.error) == (DeliveryStatus.WITHHELD, STOPPED)


def test_a_resident_no_longer_visible_when_it_is_sent_is_not_named(daalhof, resident_in):
    """The welfare-role account could see her when she changed; her consent narrowed before the
    worker sent it: nothing goes out, and the narrowing itself tells nobody."""
    welfare_his = integration_account(daalhof.team, role=Role.WELFARE, username="wmo.koppeling")
    resident = resident_in("step2")  # consent for every discipline
    with Receiver(200) as receiver:
        subscribe(welfare_his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        record_consent(
            resident=resident,
            by=daalhof.poh,
            given_on=MONDAY_NINE.date(),
            disciplines=[Role.GP, Role.POH],
        )
        run_worker()
        assert receiver.received == []
    assert list(SubscriptionDelivery.objects.values_list("status", "error")) == [
        (DeliveryStatus.WITHHELD, NOT_VISIBLE)
    ]
    give_consent(resident, daalhof.poh)  # visible again: this change is told
    assert SubscriptionDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 1


# --- exactly once, and a worker that died --------------------------------------------------


def test_a_delivery_task_run_twice_sends_once(his, daalhof, resident_in):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        delivery = SubscriptionDelivery.objects.get()
        assert send_delivery.call(delivery.pk) == Outcome.SENT
        assert send_delivery.call(delivery.pk) == Outcome.SKIPPED
        run_worker()  # the task enqueued on commit: skipped too
        assert len(receiver.received) == 1


def test_a_delivery_stuck_in_sending_is_handed_over_by_the_planner(
    his, daalhof, resident_in, monday_morning
):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        delivery = SubscriptionDelivery.objects.get()
        DBTaskResult.objects.all().delete()  # the worker died with it
        SubscriptionDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENDING,
            attempts=1,
            first_try_at=MONDAY_NINE,
            next_try=MONDAY_NINE + LEASE,
        )
        monday_morning.move_to(MONDAY_NINE + LEASE - datetime.timedelta(seconds=1))
        assert plan()["recovered"] == 0  # still within its lease
        monday_morning.move_to(MONDAY_NINE + LEASE + datetime.timedelta(seconds=1))
        assert plan()["recovered"] == 1
        run_worker()
        assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert delivery.first_try_at == MONDAY_NINE  # its 24 hours count from the first try


def test_a_change_while_one_is_being_sent_is_sent_after_it(
    his, daalhof, resident_in, monday_morning
):
    """Coalescing waits only for a pending delivery: a change while one is being sent makes a
    new one. When the one being sent then fails, the new one carries on (within the first's 24
    hours) and the first is withheld: she is not notified twice."""
    resident = resident_in("step2")

    def meanwhile() -> None:  # in the receiver's thread, while the worker waits for its answer
        add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
        connection.close()

    with Receiver(500, 200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        first = SubscriptionDelivery.objects.get()
        receiver.during = meanwhile
        assert send_delivery.call(first.pk) == Outcome.WITHHELD
        first.refresh_from_db()
        assert (first.status, first.error) == (DeliveryStatus.WITHHELD, SUPERSEDED)
        second = SubscriptionDelivery.objects.exclude(pk=first.pk).get()
        assert (second.status, second.first_try_at) == (DeliveryStatus.PENDING, MONDAY_NINE)
        run_worker()  # the breaker: the endpoint just failed, the second waits for its retry
        assert len(receiver.received) == 1
        monday_morning.move_to(MONDAY_NINE + BACKOFF[0])
        run_worker()
        assert len(receiver.received) == 2
    second.refresh_from_db()
    assert (second.status, second.event) == (DeliveryStatus.SENT, "resident.goal_added")


# --- a slow or dead endpoint: the deadline and the breaker ---------------------------------


def test_a_slowly_trickling_answer_is_cut_at_the_deadline(monkeypatch):
    """One byte of the answer every 0.2 s: each read is quick, the whole is not."""
    monkeypatch.setattr(subscription_delivery, "DEADLINE", 1.0)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def trickle() -> None:
        peer, _ = server.accept()
        peer.recv(65536)
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                peer.send(bytes([byte]))
                time.sleep(0.2)
        peer.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    started = time.monotonic()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    answer = subscription_delivery.post(url=url, body=b"{}", headers={})
    took = time.monotonic() - started
    server.close()
    assert answer == (None, NO_ANSWER)
    assert took < 2.5


def test_a_failing_endpoint_is_tried_once_per_round_and_new_ones_wait(
    his, daalhof, resident_in, monday_morning
):
    first, second, third = (resident_in("step2") for _ in range(3))
    with Receiver(500, 200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=first, by=daalhof.gp)
        step_up(resident=second, by=daalhof.gp)
        run_worker()  # the first fails; the second waits for its retry instead of trying now
        assert len(receiver.received) == 1
        retry = MONDAY_NINE + BACKOFF[0]
        waiting = SubscriptionDelivery.objects.order_by("pk")
        assert [(d.status, d.attempts, d.next_try) for d in waiting] == [
            (DeliveryStatus.PENDING, 1, retry),
            (DeliveryStatus.PENDING, 0, retry),
        ]
        step_up(resident=third, by=daalhof.gp)  # made while the breaker is open: waits too
        assert SubscriptionDelivery.objects.order_by("pk").last().next_try == retry
        run_worker()
        assert len(receiver.received) == 1
        monday_morning.move_to(retry)
        run_worker()
        assert len(receiver.received) == 4
    assert set(SubscriptionDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_success_releases_the_waiting_deliveries(his, daalhof, resident_in, monday_morning):
    first, second = resident_in("step2"), resident_in("step2")
    with Receiver(500, 200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=first, by=daalhof.gp)
        run_worker()  # fails: the breaker opens
        step_up(resident=second, by=daalhof.gp)
        later = SubscriptionDelivery.objects.order_by("pk")
        assert later.last().next_try == MONDAY_NINE + BACKOFF[0]
        assert send_delivery.call(later.first().pk) == Outcome.SKIPPED  # not yet due
        SubscriptionDelivery.objects.filter(pk=later.first().pk).update(next_try=MONDAY_NINE)
        assert send_delivery.call(later.first().pk) == Outcome.SENT  # answered: it closes
        assert later.last().next_try == MONDAY_NINE
        run_worker()
        assert len(receiver.received) == 3


# --- the access log, the numbering, recover ------------------------------------------------


def test_every_try_is_in_the_access_log_without_the_endpoint_s_query(
    his, daalhof, resident_in, monday_morning
):
    resident = resident_in("step2")
    with Receiver(500, 200) as receiver:
        subscribe(his, receiver.url + "?token=geheim")
        step_up(resident=resident, by=daalhof.gp)
        run_worker()  # a 500: the receiver heard of her all the same
        told = AccessLogEntry.objects.filter(user=his, what="fhir-notification")
        assert list(told.values_list("resident", "path")) == [(resident.pk, receiver.url)]
        monday_morning.move_to(MONDAY_NINE + BACKOFF[0])
        run_worker()
        assert receiver.received[1][0]["webhook-id"] == receiver.received[0][0]["webhook-id"]
    assert told.count() == 2
    assert not AccessLogEntry.objects.filter(path__contains="geheim").exists()


def test_withheld_deliveries_are_never_counted(daalhof, resident_in):
    welfare_his = integration_account(daalhof.team, role=Role.WELFARE, username="wmo.koppeling")
    hidden, seen = resident_in("step2"), resident_in("step2")
    with Receiver(200) as receiver:
        subscribe(welfare_his, receiver.url)
        step_up(resident=hidden, by=daalhof.gp)
        record_consent(
            resident=hidden,
            by=daalhof.poh,
            given_on=MONDAY_NINE.date(),
            disciplines=[Role.GP, Role.POH],
        )
        step_up(resident=seen, by=daalhof.gp)
        run_worker()
        assert len(receiver.received) == 1
    parameters = {
        p["name"]: p
        for p in json.loads(receiver.received[0][1])["entry"][0]["resource"]["parameter"]
    }
    assert parameters["events-since-subscription-start"]["valueString"] == "1"
    event = {p["name"]: p for p in parameters["notification-event"]["part"]}
    assert event["event-number"]["valueString"] == "1"
    assert SubscriptionDelivery.objects.filter(status=DeliveryStatus.WITHHELD).count() == 1


def test_recover_never_breaks_a_live_lease(his, daalhof, resident_in, monday_morning):
    """A worker claimed the lost delivery between the planner's query and its update."""
    resident = resident_in("step2")
    subscribe(his, "https://his.example.nl/hook")
    step_up(resident=resident, by=daalhof.gp)
    delivery = SubscriptionDelivery.objects.get()
    DBTaskResult.objects.all().delete()
    late = MONDAY_NINE + REQUEUE_AFTER + datetime.timedelta(minutes=1)
    monday_morning.move_to(late)
    SubscriptionDelivery.objects.filter(pk=delivery.pk).update(  # the worker's claim
        status=DeliveryStatus.SENDING, attempts=1, next_try=late + LEASE
    )
    assert requeue_lost(pk=delivery.pk, now=late) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_try) == (DeliveryStatus.SENDING, late + LEASE)
    assert not delivery_tasks().exists()


# --- addresses that are not public ---------------------------------------------------------


def test_a_name_with_an_address_that_is_not_public_is_refused_when_sending(
    his, daalhof, resident_in, monkeypatch
):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        subscribe(his, f"https://his.example.nl:{port}/hook")

        def lookup(host, port, *args):  # the name now answers an address in the network
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", int(port)))]

        monkeypatch.setattr(subscription_delivery.socket, "getaddrinfo", lookup)
        step_up(resident=resident, by=daalhof.gp)
        run_worker()
        assert receiver.received == []
    delivery = SubscriptionDelivery.objects.get()
    assert (delivery.status, delivery.error) == (DeliveryStatus.PENDING, REFUSED_ADDRESS)
    assert delivery.last_status_code is None


def test_loopback_only_while_the_setting_allows_it(his, daalhof, resident_in, settings):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        subscribe(his, receiver.url.replace("127.0.0.1", "localhost"))
        settings.KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST = False
        step_up(resident=resident, by=daalhof.gp)
        run_worker()
        assert receiver.received == []
    assert SubscriptionDelivery.objects.get().error == REFUSED_ADDRESS


# --- the race of a change and the worker (on PostgreSQL: row locks) ---------------------------


def test_a_change_coalesced_into_a_waiting_delivery_commits_before_it_is_sent(
    his, daalhof, resident_in
):
    resident = resident_in("step2")
    with Receiver(200) as receiver:
        subscribe(his, receiver.url)
        step_up(resident=resident, by=daalhof.gp)
        waiting = SubscriptionDelivery.objects.get()
        if connection.vendor != "postgresql":
            # SQLite lets one writer at a time: a worker's claim cannot come between the change
            # and its commit. What is left to see: the change coalesces into the waiting
            # delivery, which then tells of both.
            with transaction.atomic():
                add_goal(
                    resident=resident, by=daalhof.gp, domain="social", description="Naar de soos"
                )
                assert SubscriptionDelivery.objects.count() == 1
            run_worker()
            assert len(receiver.received) == 1
            return
        outcomes = []

        def worker() -> None:
            try:
                outcomes.append(send_delivery.call(waiting.pk))
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        with transaction.atomic():
            add_goal(resident=resident, by=daalhof.gp, domain="social", description="Naar de soos")
            assert SubscriptionDelivery.objects.count() == 1  # coalesced into the waiting one
            thread.start()
            thread.join(1.5)
            assert thread.is_alive() and receiver.received == []  # the claim waits for us
        thread.join(15)
        assert outcomes == [Outcome.SENT] and len(receiver.received) == 1
