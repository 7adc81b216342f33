"""Each notice is mailed once (issue 19 §4), whatever runs twice: the planner on one morning,
two workers at the same moment, a task run again. A mail server that refuses never fails the
request that made the notice: the worker tries again with backoff and then records the mail and
its task as failed; an invalid or refused address fails at once and does not stop the others;
a mail whose worker died is handed over again. `manage.py worker --once` plans and sends.

Every test runs on a fixed Monday in Maastricht (time_machine), never on today's date."""

from __future__ import annotations

import datetime
import io
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clients.carer_notices import CarerNotice
from clients.notify import enqueue_mail, mail_notice
from clients.services import record_consent
from kernteam.models import AccessLogEntry, Meeting
from kernteam.notices import Kind, Notice
from kernteam.outbox import BACKOFF, LEASE, MailStatus, Outcome
from kernteam.roles import Role
from steps.digest import send_digests
from steps.models import AgreedAction, Trajectory
from steps.notify_plan import plan
from steps.services import agree_action
from tests.factories import carer_for
from tests.helpers import race
from tests.notifications.helpers import (
    BASE,
    MONDAY,
    at,
    overdue,
    send_mail_now,
    with_email,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits as in production


@pytest.fixture
def due_for_three(daalhof, resident_in):
    """An overdue action each for the nurse, the POH and the welfare worker: three digests."""
    resident = resident_in("step2")
    members = [daalhof.district_nurse, daalhof.poh, daalhof.welfare]
    with_email(*members)
    for member in members:
        overdue(resident, member, daalhof.gp)
    return members


def digest_mails() -> list[tuple[str, ...]]:
    return sorted(tuple(m.to) for m in mail.outbox if "overzicht" in m.subject)


# --- exactly once --------------------------------------------------------------------------


def test_the_planner_twice_on_one_morning_sends_one_digest_each(due_for_three, monday_morning):
    monday_morning.move_to(at(MONDAY, 7, 0))
    assert plan()["digests"] == 3
    monday_morning.move_to(at(MONDAY, 7, 1))
    assert plan()["digests"] == 0  # the next round, or a restarted worker
    assert send_digests(day=MONDAY) == 0
    send_mail_now()
    monday_morning.move_to(at(MONDAY, 9, 30))
    call_command("worker", once=True, verbosity=0)
    assert digest_mails() == sorted((m.email,) for m in due_for_three)
    assert Notice.objects.filter(kind=Kind.DIGEST).count() == 3


def test_the_next_morning_brings_the_next_digest(due_for_three, monday_morning):
    plan()
    monday_morning.move_to(at(MONDAY + datetime.timedelta(days=1), 7, 0))
    assert plan()["digests"] == 3  # still overdue: a new day, a new digest
    send_mail_now()
    assert len(digest_mails()) == 6


def test_two_workers_planning_at_the_same_moment_send_one_digest_each(due_for_three):
    results = race(2, lambda i: send_digests(day=MONDAY))
    assert all(isinstance(r, int) for r in results) and sum(results) == 3, results
    assert Notice.objects.filter(kind=Kind.DIGEST).count() == 3
    send_mail_now()
    assert digest_mails() == sorted((m.email,) for m in due_for_three)


def test_two_whole_planner_rounds_at_the_same_moment_send_everything_once(daalhof, due_for_three):
    """Digests, the coordinator's meeting reminder and a carer's reminder: once each."""
    coordinator = with_email(daalhof.coordinator)
    Meeting.objects.create(team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(7), 14))
    resident = AgreedAction.objects.first().resident
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY,
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    thea = carer_for(resident, username="thea")
    thea.email = "thea@example.nl"
    thea.save(update_fields=["email"])
    Trajectory.objects.filter(resident=resident).update(review_due=MONDAY + datetime.timedelta(3))

    results = race(2, lambda i: plan())
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["digests"] for r in results) == 3
    assert sum(r["meeting_reminders"] for r in results) == 1
    assert sum(r["carer_reminders"] for r in results) == 1
    send_mail_now()
    assert digest_mails() == sorted((m.email,) for m in due_for_three)
    assert sorted(m.to[0] for m in mail.outbox if "overzicht" not in m.subject) == [
        coordinator.email,
        "thea@example.nl",
    ]


def test_a_mail_task_run_twice_sends_one_mail(daalhof, resident_in):
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.gp,
        description="Bellen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_member=welfare,
    )
    notice = Notice.objects.get(user=welfare)
    enqueue_mail(notice.pk)  # the same mail handed to the worker a second time
    send_mail_now()
    assert [m.to for m in mail.outbox] == [[welfare.email]]
    tasks = DBTaskResult.objects.filter(task_path="clients.notify.mail_notice")
    assert sorted(tasks.values_list("status", "return_value")) == [
        (TaskResultStatus.SUCCESSFUL, Outcome.SENT),
        (TaskResultStatus.SUCCESSFUL, Outcome.SKIPPED),
    ]
    assert mail_notice.call(notice.pk) == Outcome.SKIPPED  # and a third time, later
    assert len(mail.outbox) == 1


def test_a_row_claimed_by_one_worker_is_skipped_by_the_other(daalhof, resident_in):
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.gp,
        description="Bellen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_member=welfare,
    )
    notice = Notice.objects.get(user=welfare)
    Notice.objects.filter(pk=notice.pk).update(mail_status=MailStatus.SENDING)  # claimed
    assert mail_notice.call(notice.pk) == Outcome.SKIPPED
    assert mail.outbox == []

    Notice.objects.filter(pk=notice.pk).update(mail_status=MailStatus.PENDING)
    results = race(2, lambda i: mail_notice.call(notice.pk))
    assert sorted(results) == [Outcome.SENT, Outcome.SKIPPED], results
    assert [m.to for m in mail.outbox] == [[welfare.email]]
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.SENT, 1)


# --- a mail server that refuses ------------------------------------------------------------


class RefusingBackend(BaseEmailBackend):
    """A mail server that is away."""

    error: type[Exception] = smtplib.SMTPServerDisconnected

    def send_messages(self, messages):
        raise self.error("Connection unexpectedly closed")


class ConnectionRefusedBackend(RefusingBackend):
    error = ConnectionRefusedError


class BouncingBackend(BaseEmailBackend):
    """A mail server that refuses one recipient and delivers the rest."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["weg@example.nl"]:
                raise smtplib.SMTPRecipientsRefused({"weg@example.nl": (550, b"No such user")})
            mail.outbox.append(message)
        return len(messages)


@pytest.fixture
def server_away(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    return settings


def mail_tasks(**filters):
    return DBTaskResult.objects.filter(task_path="clients.notify.mail_notice", **filters)


def test_a_refusing_server_never_fails_the_request_and_is_tried_again_with_backoff(
    client, daalhof, resident_in, server_away, monday_morning
):
    resident = resident_in("step2")
    welfare = with_email(daalhof.welfare)
    client.force_login(daalhof.district_nurse)
    done = client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {"description": "Bellen", "owner": f"m{welfare.pk}", "due_on": "2026-12-20"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200 and resident.actions.count() == 1
    notice = Notice.objects.get(user=welfare)

    now = at(MONDAY)
    for tries, wait in enumerate(BACKOFF, start=1):
        send_mail_now()
        notice.refresh_from_db()
        assert (notice.mail_status, notice.mail_attempts) == (MailStatus.PENDING, tries)
        assert notice.mail_next_try == now + wait
        assert notice.mail_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        retry = mail_tasks(status=TaskResultStatus.READY).get()
        assert retry.run_after == now + wait and retry.args_kwargs["args"] == [notice.pk]
        assert not DBTaskResult.objects.ready().exists()  # the worker waits for its time
        now += wait
        monday_morning.move_to(now)

    send_mail_now()  # the fifth try: failed for good
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.FAILED, 1 + len(BACKOFF))
    assert notice.mail_next_try is None
    assert not mail_tasks(status=TaskResultStatus.READY).exists()
    failed = mail_tasks(status=TaskResultStatus.FAILED).get()
    assert failed.exception_class_path == "kernteam.outbox.MailNotSent"
    assert f"Notice {notice.pk}: SMTPServerDisconnected" in failed.traceback
    assert mail_tasks(status=TaskResultStatus.SUCCESSFUL).count() == len(BACKOFF)  # "retry"

    server_away.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("worker", once=True, verbosity=0)  # failed is final: not sent after all
    assert mail.outbox == []


def test_a_server_that_comes_back_delivers_on_the_next_try(
    daalhof, resident_in, server_away, monday_morning
):
    server_away.EMAIL_BACKEND = f"{__name__}.ConnectionRefusedBackend"
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.gp,
        description="Bellen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_member=welfare,
    )
    send_mail_now()
    notice = Notice.objects.get(user=welfare)
    assert notice.mail_error.startswith("ConnectionRefusedError")
    server_away.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monday_morning.move_to(at(MONDAY) + BACKOFF[0])
    send_mail_now()
    assert [m.to for m in mail.outbox] == [[welfare.email]]
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts, notice.mail_error) == ("sent", 2, "")


def test_an_invalid_or_refused_address_fails_at_once_and_the_others_go_out(due_for_three, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BouncingBackend"
    nurse, poh, welfare = due_for_three
    nurse.email = "wijkverpleging@@example"
    nurse.save(update_fields=["email"])
    welfare.email = "weg@example.nl"
    welfare.save(update_fields=["email"])
    assert send_digests(day=MONDAY) == 3
    send_mail_now()

    assert [m.to for m in mail.outbox] == [[poh.email]]
    failed = dict(
        Notice.objects.filter(mail_status=MailStatus.FAILED).values_list("user", "mail_attempts")
    )
    assert failed == {nurse.pk: 1, welfare.pk: 1}  # no second try
    errors = dict(Notice.objects.values_list("user", "mail_error"))
    assert errors[nurse.pk].startswith("ValidationError")
    assert errors[welfare.pk].startswith("SMTPRecipientsRefused")
    assert mail_tasks(status=TaskResultStatus.FAILED).count() == 2
    assert not mail_tasks(status=TaskResultStatus.READY).exists()
    assert Notice.objects.get(user=poh).mail_status == MailStatus.SENT


def test_a_refusing_server_does_not_stop_a_carers_mail_from_being_tried_again(
    daalhof, resident_in, server_away, monday_morning
):
    resident = resident_in("step2", consent=False)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY,
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    thea = carer_for(resident, username="thea")
    thea.email = "thea@example.nl"
    thea.save(update_fields=["email"])
    agree_action(
        resident=resident,
        by=daalhof.gp,
        description="Boodschappen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_carer=thea,
        shared_with_carers=True,
    )
    send_mail_now()
    notice = CarerNotice.objects.get()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.PENDING, 1)
    server_away.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monday_morning.move_to(at(MONDAY) + BACKOFF[0])
    send_mail_now()
    assert [m.to for m in mail.outbox] == [["thea@example.nl"]]


def test_a_mail_that_cannot_be_composed_fails_for_good_and_is_not_tried_forever(
    daalhof, resident_in, monday_morning
):
    """A notice the mail cannot be made of (here: an action's line without its due date) is
    recorded as failed at once, as an invalid address is; it must not stay "being sent" and
    come back after every lease."""
    welfare = with_email(daalhof.welfare)
    notice = Notice.objects.create(
        user=welfare,
        kind=Kind.ACTION_ASSIGNED,
        key="action:0",
        resident=resident_in("step2"),
        lines=[{"who": "M.J. (88)"}],
        delivery="at_once",
        mail_status=MailStatus.PENDING,
        mail_next_try=at(MONDAY),
    )
    enqueue_mail(notice.pk)
    send_mail_now()
    monday_morning.move_to(at(MONDAY) + LEASE + datetime.timedelta(minutes=5))
    plan()
    send_mail_now()
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.FAILED, 1)
    assert mail.outbox == []


# --- a worker that died --------------------------------------------------------------------


def test_a_mail_stuck_in_sending_past_its_lease_is_handed_over_again(
    daalhof, resident_in, monday_morning
):
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.gp,
        description="Bellen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_member=welfare,
    )
    notice = Notice.objects.get(user=welfare)
    DBTaskResult.objects.all().delete()  # the worker died with it
    Notice.objects.filter(pk=notice.pk).update(
        mail_status=MailStatus.SENDING, mail_attempts=1, mail_next_try=at(MONDAY) + LEASE
    )
    monday_morning.move_to(at(MONDAY) + LEASE - datetime.timedelta(seconds=1))
    assert plan()["recovered"] == 0  # still within its lease
    monday_morning.move_to(at(MONDAY) + LEASE + datetime.timedelta(seconds=1))
    assert plan()["recovered"] == 1
    send_mail_now()
    assert [m.to for m in mail.outbox] == [[welfare.email]]
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.SENT, 2)


def test_a_pending_mail_whose_task_got_lost_is_handed_over_at_night(
    daalhof, resident_in, monday_morning
):
    monday_morning.move_to(at(MONDAY, 2, 0))
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.gp,
        description="Bellen",
        due_on=MONDAY + datetime.timedelta(days=5),
        owner_member=welfare,
    )
    DBTaskResult.objects.all().delete()  # lost
    monday_morning.move_to(at(MONDAY, 2, 29))
    assert plan() == {"recovered": 0}  # its task may still come (a backlog behind a slow server)
    monday_morning.move_to(at(MONDAY, 2, 31))
    assert plan() == {"recovered": 1}  # at night: nothing else is planned
    assert plan() == {"recovered": 0}
    send_mail_now()
    assert [m.to for m in mail.outbox] == [[welfare.email]]


# --- manage.py worker ----------------------------------------------------------------------


def test_the_worker_once_plans_and_sends(due_for_three, monday_morning):
    monday_morning.move_to(at(MONDAY, 7, 2))
    logged = AccessLogEntry.objects.count()
    out = io.StringIO()
    call_command("worker", once=True, no_planner=True, verbosity=0, stdout=out)
    assert mail.outbox == [] and out.getvalue() == ""  # --no-planner: another worker plans

    call_command("worker", once=True, verbosity=0, stdout=out)
    assert "'digests': 3" in out.getvalue()
    assert digest_mails() == sorted((m.email,) for m in due_for_three)
    message = mail.outbox[0]
    assert message.subject == "Kernteam: uw overzicht van 7-12-2026"
    digest = Notice.objects.get(user__email=message.to[0], kind=Kind.DIGEST)
    assert f"{BASE}/residents/" in message.body
    assert digest.mail_status == MailStatus.SENT
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    assert AccessLogEntry.objects.count() == logged  # nothing read until a link is opened


# --- who may still hear of it when it is sent ----------------------------------------------


def test_a_mail_queued_before_the_consent_narrowed_is_not_sent_after_it(daalhof, resident_in):
    """The welfare worker was given an action; before the worker sent the mail, the consent was
    narrowed to the GP and the nurse. The mail is withheld (the bell keeps the notice she had)."""
    welfare = with_email(daalhof.welfare)
    resident = resident_in("step2")
    agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Dagbesteding regelen",
        due_on=MONDAY,
        owner_member=welfare,
    )
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY,
        disciplines=[Role.GP, Role.DISTRICT_NURSE],
    )
    send_mail_now()
    assert mail.outbox == []
    notice = Notice.objects.get(user=welfare)
    assert notice.mail_status == MailStatus.NONE
    assert notice.mail_error == "not sent: the recipient may no longer hear of this"


def test_a_carers_mail_queued_before_her_link_ended_is_not_sent(daalhof, resident_in):
    resident = resident_in("step2")
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY,
        disciplines=list(Role.values),
        share_with_carers=True,
    )
    carer = carer_for(resident, username="thea")
    carer.email = "thea@example.nl"
    carer.save(update_fields=["email"])
    agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Boodschappen doen",
        due_on=MONDAY,
        owner_carer=carer,
    )
    carer.links.update(ended_on=MONDAY)
    send_mail_now()
    assert mail.outbox == []
    assert CarerNotice.objects.get().mail_status == MailStatus.NONE
