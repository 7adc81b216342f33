"""What is checked again when a notice is sent or shown (issue 19): who may still hear of a
resident, a meeting that moved, a record closed meanwhile; which mail-server refusals are worth
another try; and a worker that outlived its lease cannot overwrite what came after it.

On a fixed Monday in Maastricht (time_machine), never on today's date."""

from __future__ import annotations

import datetime
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone

from clients.carer_notices import CarerNotice, stop
from clients.models import CarerLink
from clients.notify import bell_items, mail_notice, unread_count
from clients.services import record_consent
from kernteam.models import Meeting, Membership
from kernteam.notices import Kind, Notice
from kernteam.outbox import LEASE, MailStatus, Outcome, deliver, is_permanent, recover
from kernteam.roles import Role
from steps.digest import due_lines
from steps.notify_plan import plan
from steps.referral_services import create_offer, refer_resident
from steps.referrals import OfferKind
from steps.services import agree_action, move_resident
from tests.factories import carer_for
from tests.notifications.helpers import (
    MONDAY,
    at,
    overdue,
    send_mail_now,
    with_email,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_digest_sent_after_she_left_the_team_is_not_sent(daalhof, resident_in):
    nurse = with_email(daalhof.district_nurse)
    overdue(resident_in("step2"), nurse, daalhof.gp)
    assert plan()["digests"] == 1
    Membership.objects.filter(user=nurse).update(ended_on=MONDAY)
    send_mail_now()
    assert mail.outbox == []
    digest = Notice.objects.get(kind=Kind.DIGEST)
    assert (digest.mail_status, digest.lines) == (MailStatus.NONE, [])


def test_a_digest_keeps_only_the_lines_she_may_still_read_when_it_is_sent(daalhof, resident_in):
    welfare = with_email(daalhof.welfare)
    narrowed, still = resident_in("step2"), resident_in("step2", last_name="Peters")
    overdue(narrowed, welfare, daalhof.gp)
    overdue(still, welfare, daalhof.gp)
    plan()
    record_consent(resident=narrowed, by=daalhof.poh, given_on=MONDAY, disciplines=[Role.GP])
    send_mail_now()
    [message] = mail.outbox
    assert f"/residents/{still.pk}/" in message.body
    assert f"/residents/{narrowed.pk}/" not in message.body
    assert Notice.objects.get(kind=Kind.DIGEST).count == 1


def test_a_closed_residents_referral_does_not_come_back_every_morning(daalhof, resident_in):
    welfare = daalhof.welfare
    resident = resident_in("step1")
    with time_machine.travel(at(MONDAY - datetime.timedelta(days=50)), tick=False):
        offer = create_offer(
            by=daalhof.coordinator,
            team=daalhof.team,
            name="Maaltijden",
            kind=OfferKind.MEALS,
            provider="Envida",
        )
        refer_resident(
            resident=resident,
            by=daalhof.poh,
            offer=offer,
            owner_member=welfare,
            due_on=MONDAY + datetime.timedelta(days=30),
            shared_with_carers=False,
            note="",
        )
    kinds = [line["kind"] for line in due_lines(team=daalhof.team, day=MONDAY)[welfare.pk]]
    assert "referrals_waiting" in kinds
    move_resident(
        resident=resident,
        transition="close",
        expected_state="step1",
        by=daalhof.gp,
        reason="Overleden",
        closure_reason="deceased",
    )
    assert welfare.pk not in due_lines(team=daalhof.team, day=MONDAY)


def test_a_greylisting_refusal_is_tried_again_and_a_5xx_one_is_not():
    greylisted = smtplib.SMTPRecipientsRefused({"a@example.nl": (450, b"Greylisted")})
    gone = smtplib.SMTPRecipientsRefused({"a@example.nl": (550, b"No such user")})
    assert not is_permanent(greylisted) and is_permanent(gone)
    assert is_permanent(smtplib.SMTPDataError(554, b"Rejected as spam"))
    assert not is_permanent(smtplib.SMTPDataError(451, b"Try again later"))
    assert not is_permanent(smtplib.SMTPServerDisconnected("closed"))


class GreylistingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (450, b"Greylisted") for m in messages})


def test_a_greylisted_mail_waits_for_its_next_try(daalhof, resident_in, settings):
    settings.EMAIL_BACKEND = f"{__name__}.GreylistingBackend"
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.poh,
        description="Bellen",
        due_on=MONDAY,
        owner_member=welfare,
    )
    send_mail_now()
    notice = Notice.objects.get()
    assert notice.mail_status == MailStatus.PENDING
    assert notice.mail_error.startswith("SMTPRecipientsRefused")


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_next_ones_send(
    daalhof, resident_in, monday_morning
):
    """Worker A hangs in the mail server past the lease; the planner hands the mail to worker
    B, which sends it. A's late end changes nothing of B's record (a crash or a hang may mean a
    second mail, never a lost one, and the row tells the truth)."""
    welfare = with_email(daalhof.welfare)
    agree_action(
        resident=resident_in("step2"),
        by=daalhof.poh,
        description="Bellen",
        due_on=MONDAY,
        owner_member=welfare,
    )
    notice = Notice.objects.get()

    def requeue(pk, when):
        pass

    def hanging(row):
        monday_morning.move_to(at(MONDAY) + LEASE + datetime.timedelta(minutes=1))
        recover(model=Notice, requeue=requeue)
        assert mail_notice.call(notice.pk) == Outcome.SENT  # worker B
        return EmailMessage(subject="A", body="late", to=[welfare.email])

    assert deliver(model=Notice, pk=notice.pk, compose=hanging, requeue=requeue) == Outcome.SENT
    notice.refresh_from_db()
    assert (notice.mail_status, notice.mail_attempts) == (MailStatus.SENT, 2)
    assert len(mail.outbox) == 2


def test_a_meeting_moved_to_another_day_is_reminded_of_anew_and_the_old_reminder_is_held(
    daalhof, monday_morning
):
    coordinator = with_email(daalhof.coordinator)
    meeting = Meeting.objects.create(
        team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(days=7), 14)
    )
    assert plan()["meeting_reminders"] == 1
    meeting.scheduled_for = at(MONDAY + datetime.timedelta(days=6), 14)
    meeting.save(update_fields=["scheduled_for"])
    send_mail_now()
    assert mail.outbox == []  # the reminder of the old day is held back
    assert plan()["meeting_reminders"] == 1  # and the new day is reminded of
    send_mail_now()
    assert [m.subject for m in mail.outbox] == ["Kernteam: MDO op 13-12-2026"]
    assert mail.outbox[0].to == [coordinator.email]


def test_a_meeting_reminder_comes_later_in_its_week_when_the_worker_was_down(daalhof):
    with_email(daalhof.coordinator)
    Meeting.objects.create(
        team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(days=5), 14)
    )
    assert plan()["meeting_reminders"] == 1  # five days before: the week's reminder
    assert plan()["meeting_reminders"] == 0


def test_the_bell_forgets_a_resident_she_may_no_longer_see(daalhof, resident_in):
    welfare = daalhof.welfare
    resident = resident_in("step2")
    agree_action(
        resident=resident, by=daalhof.poh, description="Bellen", due_on=MONDAY, owner_member=welfare
    )
    assert [n.resident_id for n in bell_items(user=welfare)] == [resident.pk]
    assert unread_count(user=welfare) == 1
    record_consent(resident=resident, by=daalhof.poh, given_on=MONDAY, disciplines=[Role.GP])
    assert bell_items(user=welfare) == [] and unread_count(user=welfare) == 0


def shared(resident, by):
    record_consent(
        resident=resident,
        by=by,
        given_on=MONDAY,
        disciplines=list(Role.values),
        share_with_carers=True,
    )


def test_a_carers_mail_is_not_sent_once_the_record_was_closed(daalhof, resident_in):
    resident = resident_in("step2")
    shared(resident, daalhof.poh)
    carer = carer_for(resident, username="thea")
    carer.email = "thea@example.nl"
    carer.save(update_fields=["email"])
    agree_action(
        resident=resident,
        by=daalhof.poh,
        description="Boodschappen",
        due_on=MONDAY,
        owner_carer=carer,
    )
    move_resident(
        resident=resident,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Overleden",
        closure_reason="deceased",
    )
    send_mail_now()
    assert mail.outbox == []
    assert CarerNotice.objects.get().mail_status == MailStatus.NONE


def test_a_carer_linked_after_the_first_was_told_hears_of_the_review_too(daalhof, resident_in):
    resident = resident_in("step2")
    shared(resident, daalhof.poh)
    resident.trajectory.review_due = MONDAY + datetime.timedelta(days=3)
    resident.trajectory.save(update_fields=["review_due"])
    first = carer_for(resident, username="thea")
    first.email = "thea@example.nl"
    first.save(update_fields=["email"])
    assert plan()["carer_reminders"] == 1
    second = carer_for(resident, username="jan")
    second.email = "jan@example.nl"
    second.save(update_fields=["email"])
    stop(carer=first, kind="review_soon")
    assert plan()["carer_reminders"] == 1  # Jan; Thea was told already
    assert plan()["carer_reminders"] == 0
    assert sorted(CarerNotice.objects.values_list("carer__email", flat=True)) == [
        "jan@example.nl",
        "thea@example.nl",
    ]
    assert CarerLink.objects.count() == 2 and timezone.localdate() == MONDAY
