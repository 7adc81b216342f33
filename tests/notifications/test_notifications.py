"""What a member hears without opening the board (issue 19 §2): each kind of notice, mailed at
once or gathered in the morning's digest; only about residents the member may see; by the
member's own choice per kind; the bell alone for a member without an e-mail address.

Every test runs on a fixed Monday morning in Maastricht (time_machine), never on today's date.
The mails are read as the member reads them: to whom, the Dutch subject, the resident named by
initials and age (never her name, the action's text, a reason or a note) and the link."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from clients.models import Carer, CarerLink
from clients.services import change_coordinator, raise_concern, record_consent
from kernteam.models import AgendaItem, Meeting, Membership
from kernteam.notices import Delivery, Kind, Notice, set_preferences
from kernteam.roles import Role
from steps.digest import due_lines, send_digests
from steps.models import AgreedAction, Trajectory
from steps.notify_plan import plan
from steps.referral_services import create_offer, refer_resident
from steps.referrals import OfferKind
from steps.services import agree_action, move_resident
from tests.factories import ResidentFactory, open_meeting
from tests.notifications.helpers import (
    BASE,
    MONDAY,
    at,
    send_mail_now,
    with_email,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits as in production

SETTINGS_LINK = f"{BASE}/account/notifications/"


def mails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def only_mail_to(user):
    found = mails_to(user)
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return found[0]


def assert_names_only_initials(message, resident, *secrets: str) -> None:
    """The mail names her by initials and age; never her name, nor what was said about her."""
    # (not the greeting: "Beste …," names the member, whom Faker may well call Maria)
    greeting, rest = message.body.split("\n", 1)
    text = message.subject + rest
    assert greeting.startswith("Beste ") and "M.J. (88)" in text
    for word in (resident.last_name, "Janssen", "Maria", *secrets):
        assert word not in text, word
    assert f"Kies wat u ontvangt, en hoe: {SETTINGS_LINK}" in message.body


def panel_link(resident) -> str:
    return f"{BASE}{reverse('resident', args=[resident.pk])}"


def agree(resident, *, by, owner, due=MONDAY + datetime.timedelta(days=13), text="Bellen"):
    return agree_action(resident=resident, by=by, description=text, due_on=due, owner_member=owner)


# --- at once -------------------------------------------------------------------------------


def test_an_action_assigned_by_someone_else_is_mailed_at_once(daalhof, resident_in):
    resident = resident_in("step2")
    welfare = with_email(daalhof.welfare)
    agree(resident, by=daalhof.district_nurse, owner=welfare, text="Huisbezoek valrisico")
    send_mail_now()

    message = only_mail_to(welfare)
    assert message.subject == "Kernteam: een actie voor u bij M.J. (88), uiterlijk 20-12-2026"
    assert message.body.startswith(f"Beste {welfare.get_full_name()},")
    assert "Een actie voor u bij M.J. (88), uiterlijk 20-12-2026." in message.body
    assert f"Bekijk het in Kernteam: {panel_link(resident)}" in message.body
    assert_names_only_initials(message, resident, "Huisbezoek", "valrisico")
    notice = Notice.objects.get(user=welfare)
    assert (notice.kind, notice.mail_status, notice.read_at) == ("action_assigned", "sent", None)
    assert len(mail.outbox) == 1  # the nurse who agreed it hears nothing


def test_an_action_you_give_yourself_is_not_announced(daalhof, resident_in):
    resident = resident_in("step2")
    welfare = with_email(daalhof.welfare)
    agree(resident, by=welfare, owner=welfare)
    send_mail_now()
    assert not Notice.objects.exists()
    assert mail.outbox == []


def test_the_request_that_agrees_an_action_queues_the_mail_it_does_not_send_it(
    client, daalhof, resident_in
):
    resident = resident_in("step2")
    welfare = with_email(daalhof.welfare)
    client.force_login(daalhof.district_nurse)
    done = client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {"description": "Bellen", "owner": f"m{welfare.pk}", "due_on": "2026-12-20"},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200
    assert mail.outbox == []  # the worker sends it, not the request
    assert Notice.objects.get(user=welfare).mail_status == "pending"
    send_mail_now()
    assert only_mail_to(welfare).subject.startswith("Kernteam: een actie voor u bij M.J. (88)")


def test_an_urgent_step_up_is_mailed_to_the_care_coordinator(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    with_email(daalhof.poh, daalhof.gp, daalhof.coordinator, daalhof.district_nurse)
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen",
    )
    send_mail_now()

    message = only_mail_to(daalhof.poh)
    assert message.subject == "Kernteam: een urgente opschaling bij M.J. (88), die u coördineert"
    assert f"Bekijk het in Kernteam: {panel_link(resident)}" in message.body
    assert_names_only_initials(message, resident, "gevallen")
    assert len(mail.outbox) == 1  # the GP and the team coordinator read it in their digest


def test_a_step_up_in_the_meeting_is_not_urgent_and_not_announced(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    with_email(daalhof.poh)
    open_meeting(daalhof.team, daalhof.coordinator)
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Besproken",
    )
    send_mail_now()
    assert not Notice.objects.exists() and mail.outbox == []


def test_a_carers_concern_is_mailed_to_the_care_coordinator(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    with_email(daalhof.poh, daalhof.welfare)
    carer = Carer.objects.create(first_name="Thea", last_name="Ramakers")
    CarerLink.objects.create(carer=carer, resident=resident, relationship="child")
    raise_concern(
        resident=resident, by=daalhof.welfare, carer=carer, text="Moeder eet slecht sinds mei"
    )
    send_mail_now()

    message = only_mail_to(daalhof.poh)
    assert message.subject == (
        "Kernteam: een zorg van een mantelzorger over M.J. (88), die u coördineert"
    )
    assert f"Bekijk het in Kernteam: {panel_link(resident)}" in message.body
    assert_names_only_initials(message, resident, "eet slecht", "Thea", "Ramakers")
    assert len(mail.outbox) == 1


# --- meeting reminders -------------------------------------------------------------------


def test_the_team_coordinator_hears_of_a_meeting_7_days_and_1_day_before(
    daalhof, malberg, monday_morning
):
    coordinator = with_email(daalhof.coordinator)
    with_email(daalhof.gp, malberg.coordinator)
    on = MONDAY + datetime.timedelta(days=7)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=at(on, 14))
    for _ in range(3):  # three new signals: on the draft agenda
        ResidentFactory(team=daalhof.team, state="signalled")
    added = ResidentFactory(team=daalhof.team, state="signalled")
    AgendaItem.objects.create(meeting=meeting, resident=added, position=1, question="Vraag")

    monday_morning.move_to(at(MONDAY, 6, 59))
    assert "meeting_reminders" not in plan()  # not before seven
    monday_morning.move_to(at(MONDAY, 7, 0))
    assert plan()["meeting_reminders"] == 1
    send_mail_now()

    message = only_mail_to(coordinator)
    assert message.subject == "Kernteam: MDO op 14-12-2026"
    assert "MDO op 14-12-2026: 4 op de conceptagenda." in message.body
    meeting_link = f"{BASE}{reverse('meeting', args=['daalhof', meeting.pk])}"
    assert f"Bekijk het in Kernteam: {meeting_link}" in message.body
    assert len(mail.outbox) == 1  # not the GP, not Malberg's coordinator

    monday_morning.move_to(at(MONDAY + datetime.timedelta(days=1), 8))
    assert plan()["meeting_reminders"] == 0  # 6 days before: nothing
    monday_morning.move_to(at(MONDAY + datetime.timedelta(days=6), 8))
    ResidentFactory(team=daalhof.team, state="signalled")
    assert plan()["meeting_reminders"] == 1
    send_mail_now()
    assert [m.subject for m in mails_to(coordinator)] == ["Kernteam: MDO op 14-12-2026"] * 2
    assert "MDO op 14-12-2026: 5 op de conceptagenda." in mails_to(coordinator)[1].body
    assert set(Notice.objects.values_list("key", flat=True)) == {
        f"meeting:{meeting.pk}:2026-12-14:7",
        f"meeting:{meeting.pk}:2026-12-14:1",
    }


# --- the digest ----------------------------------------------------------------------------


def old_action(resident, owner, due: datetime.date, by) -> AgreedAction:
    return AgreedAction.objects.create(
        resident=resident, description="Medicatie nalopen", due_on=due, owner_member=owner,
        created_by=by,
    )  # fmt: skip


def digest_of(user) -> Notice:
    return Notice.objects.get(user=user, kind=Kind.DIGEST)


def test_the_digest_names_what_is_due_for_each_member(daalhof, resident_in, monday_morning):
    nurse = with_email(daalhof.district_nurse)
    with_email(daalhof.poh, daalhof.gp, daalhof.coordinator, daalhof.welfare)
    late = resident_in("step2", coordinator=daalhof.poh)
    old_action(late, nurse, MONDAY - datetime.timedelta(days=2), daalhof.gp)
    old_action(late, nurse, MONDAY, daalhof.gp)  # due today
    old_action(late, nurse, MONDAY + datetime.timedelta(days=1), daalhof.gp)  # not yet
    done = old_action(late, nurse, MONDAY - datetime.timedelta(days=9), daalhof.gp)
    AgreedAction.objects.filter(pk=done.pk).update(status=AgreedAction.Status.DONE)
    Trajectory.objects.filter(resident=late).update(review_due=MONDAY + datetime.timedelta(days=14))
    later = resident_in("step1", coordinator=daalhof.poh)
    Trajectory.objects.filter(resident=later).update(
        review_due=MONDAY + datetime.timedelta(days=15)
    )
    urgent = resident_in("step2", coordinator=daalhof.welfare)
    move_resident(
        resident=urgent,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.welfare,
        reason="Opgenomen geweest",
    )

    assert send_digests(day=MONDAY) == 4  # nurse, POH, GP, team coordinator
    send_mail_now()

    message = only_mail_to(nurse)
    assert message.subject == "Kernteam: uw overzicht van 7-12-2026"
    assert "Dit staat vandaag voor u klaar in Kernteam." in message.body
    assert (
        "Uw acties die vandaag vervallen of te laat zijn:\n"
        f"- M.J. (88), uiterlijk 5-12-2026: {panel_link(late)}\n"
        f"- M.J. (88), uiterlijk 7-12-2026: {panel_link(late)}\n"
    ) in message.body
    assert "8-12-2026" not in message.body and "28-11-2026" not in message.body
    assert_names_only_initials(message, late, "Medicatie")

    poh = only_mail_to(daalhof.poh)
    assert (
        "Evaluaties binnen 14 dagen (cliënten die u coördineert):\n"
        f"- M.J. (88), evaluatie 21-12-2026: {panel_link(late)}\n"
    ) in poh.body
    assert panel_link(later) not in poh.body  # 15 days ahead
    assert "Urgente opschalingen" not in poh.body  # the POH does not confirm them

    waiting = "Urgente opschalingen die wachten op bevestiging:\n" + (
        f"- M.J. (88), opgeschaald 7-12-2026: {panel_link(urgent)}\n"
    )
    assert waiting in only_mail_to(daalhof.gp).body
    assert waiting in only_mail_to(daalhof.coordinator).body
    assert_names_only_initials(only_mail_to(daalhof.gp), urgent, "Opgenomen")
    assert mails_to(daalhof.welfare) == []  # she made the step-up: nothing due for her
    assert digest_of(nurse).count == 2


def test_a_referral_without_feedback_after_six_weeks_is_in_the_digest(
    daalhof, resident_in, monday_morning
):
    welfare = with_email(daalhof.welfare)
    late, in_time = resident_in("step1"), resident_in("step1")
    for resident, days in ((late, 43), (in_time, 42)):
        monday_morning.move_to(at(MONDAY - datetime.timedelta(days=days), 10))
        offer = create_offer(
            by=daalhof.coordinator,
            team=daalhof.team,
            name=f"Maaltijden {days}",
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
            note="Valt af",
        )
    monday_morning.move_to(at(MONDAY, 7, 30))
    mail.outbox.clear()
    Notice.objects.all().delete()  # (the referrals' own "action for you" notices)

    assert plan()["digests"] == 1
    send_mail_now()
    message = only_mail_to(welfare)
    assert (
        "Verwijzingen zonder terugkoppeling van de aanbieder:\n"
        f"- M.J. (88), verwezen 25-10-2026: {panel_link(late)}\n"
    ) in message.body
    assert panel_link(in_time) not in message.body  # the 42nd day is still in time
    assert_names_only_initials(message, late, "Valt af", "Maaltijden", "Envida")


def test_events_chosen_for_the_digest_wait_for_it_and_are_not_mailed_at_once(
    daalhof, resident_in, monday_morning
):
    poh = with_email(daalhof.poh)
    set_preferences(user=poh, chosen={Kind.ACTION_ASSIGNED: Delivery.DIGEST})
    resident = resident_in("step2")
    monday_morning.move_to(at(MONDAY - datetime.timedelta(days=1), 15))
    agree(resident, by=daalhof.gp, owner=poh, text="Thuiszorg regelen")
    send_mail_now()
    notice = Notice.objects.get(user=poh, kind=Kind.ACTION_ASSIGNED)
    assert (notice.delivery, notice.mail_status) == ("digest", "none")  # in the bell
    assert mail.outbox == []

    monday_morning.move_to(at(MONDAY, 7, 5))
    assert plan()["digests"] == 1
    send_mail_now()
    message = only_mail_to(poh)
    assert (
        "Acties die aan u zijn toegewezen:\n"
        f"- M.J. (88), uiterlijk 20-12-2026: {panel_link(resident)}\n"
    ) in message.body
    assert_names_only_initials(message, resident, "Thuiszorg")
    notice.refresh_from_db()
    assert notice.digest == digest_of(poh)

    monday_morning.move_to(at(MONDAY + datetime.timedelta(days=1), 7, 5))
    assert plan()["digests"] == 0  # taken in yesterday's digest: not again
    send_mail_now()
    assert len(mail.outbox) == 1


def test_a_meeting_reminder_chosen_for_the_digest_is_in_that_mornings_digest(daalhof):
    coordinator = with_email(daalhof.coordinator)
    set_preferences(user=coordinator, chosen={Kind.MEETING_REMINDER: Delivery.DIGEST})
    meeting = Meeting.objects.create(
        team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(days=1), 9, 30)
    )
    ResidentFactory(team=daalhof.team, state="signalled")
    done = plan()
    assert (done["meeting_reminders"], done["digests"]) == (1, 1)
    send_mail_now()
    message = only_mail_to(coordinator)  # one mail: the digest, not the reminder at once
    assert message.subject == "Kernteam: uw overzicht van 7-12-2026"
    meeting_link = f"{BASE}{reverse('meeting', args=['daalhof', meeting.pk])}"
    assert (
        f"MDO's van het team:\n- Kernteam Daalhof, MDO 8-12-2026: {meeting_link}\n"
    ) in message.body


def test_an_event_waiting_for_the_digest_is_dropped_once_she_may_no_longer_be_seen(
    daalhof, resident_in, monday_morning
):
    """Need-to-know holds when the digest is made, not only when the event happened: the
    consent was narrowed in between."""
    welfare = with_email(daalhof.welfare)
    set_preferences(user=welfare, chosen={Kind.ACTION_ASSIGNED: Delivery.DIGEST})
    resident = resident_in("step2")
    monday_morning.move_to(at(MONDAY - datetime.timedelta(days=1), 15))
    agree(resident, by=daalhof.gp, owner=welfare)
    assert Notice.objects.filter(user=welfare).count() == 1  # she could see her then
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY - datetime.timedelta(days=1),
        disciplines=[Role.GP, Role.POH],
    )
    monday_morning.move_to(at(MONDAY, 7, 0))
    plan()
    send_mail_now()
    assert mails_to(welfare) == []
    assert not Notice.objects.filter(user=welfare, kind=Kind.DIGEST).exists()


def test_the_digest_goes_out_in_the_morning_not_when_an_event_comes_in_the_afternoon(
    daalhof, resident_in, monday_morning
):
    """She chose to read actions given to her in the morning's digest. On a morning with
    nothing for her there is no digest; an action given to her at three in the afternoon
    waits for the next morning, it is not mailed a minute later as "the daily digest"."""
    poh = with_email(daalhof.poh)
    set_preferences(user=poh, chosen={Kind.ACTION_ASSIGNED: Delivery.DIGEST})
    resident = resident_in("step2")
    monday_morning.move_to(at(MONDAY, 7, 0))
    assert plan()["digests"] == 0
    monday_morning.move_to(at(MONDAY, 15, 0))
    agree(resident, by=daalhof.gp, owner=poh)
    for minute in (1, 2, 30):
        monday_morning.move_to(at(MONDAY, 15, minute))
        call_command("worker", once=True, verbosity=0)  # the planner's rounds go on all day
    assert mail.outbox == []

    monday_morning.move_to(at(MONDAY + datetime.timedelta(days=1), 7, 0))
    call_command("worker", once=True, verbosity=0)
    assert only_mail_to(poh).subject == "Kernteam: uw overzicht van 8-12-2026"


def test_no_digest_on_a_day_with_nothing_to_say(daalhof, resident_in):
    with_email(daalhof.gp, daalhof.poh, daalhof.coordinator)
    resident_in("step2", coordinator=daalhof.poh)
    assert send_digests(day=MONDAY) == 0
    send_mail_now()
    assert mail.outbox == [] and not Notice.objects.exists()


# --- need to know --------------------------------------------------------------------------


def test_a_member_the_consent_does_not_name_hears_nothing_of_her(daalhof, resident_in):
    welfare = with_email(daalhof.welfare)
    resident = resident_in("step2", consent=False, coordinator=daalhof.welfare)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=MONDAY,
        disciplines=[Role.GP, Role.POH, Role.DISTRICT_NURSE],
    )
    old_action(resident, welfare, MONDAY - datetime.timedelta(days=1), daalhof.gp)
    Trajectory.objects.filter(resident=resident).update(
        review_due=MONDAY + datetime.timedelta(days=3)
    )
    agree(resident, by=daalhof.gp, owner=welfare)
    raise_concern(
        resident=resident,
        by=daalhof.poh,
        carer=CarerLink.objects.create(
            carer=Carer.objects.create(first_name="Thea", last_name="Ramakers"),
            resident=resident,
            relationship="child",
        ).carer,
        text="Valt vaak",
    )
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    assert welfare.pk not in due_lines(team=daalhof.team, day=MONDAY)
    send_digests(day=MONDAY)
    send_mail_now()
    assert not Notice.objects.filter(user=welfare).exists()
    assert mails_to(welfare) == []


def test_a_member_of_another_team_never_hears_of_her(daalhof, malberg, resident_in):
    with_email(malberg.gp, malberg.coordinator, daalhof.gp)
    resident = resident_in("step2", coordinator=daalhof.poh)
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    Meeting.objects.create(
        team=daalhof.team, scheduled_for=at(MONDAY + datetime.timedelta(days=7), 14)
    )
    assert plan()["digests"] == 2  # Daalhof's GP; its coordinator (no address: the bell)
    send_mail_now()
    assert not Notice.objects.filter(user__in=[malberg.gp, malberg.coordinator]).exists()
    assert [m.to for m in mail.outbox] == [[daalhof.gp.email]]


def test_a_member_who_left_the_team_hears_nothing_more(daalhof, resident_in):
    nurse = with_email(daalhof.district_nurse)
    resident = resident_in("step2")
    old_action(resident, nurse, MONDAY - datetime.timedelta(days=1), daalhof.gp)
    Membership.objects.filter(user=nurse, team=daalhof.team).update(
        ended_on=MONDAY - datetime.timedelta(days=1)
    )
    assert send_digests(day=MONDAY) == 0
    assert mail.outbox == []


def test_a_member_who_is_no_longer_care_coordinator_is_not_told_of_a_concern(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    with_email(daalhof.poh, daalhof.district_nurse)
    change_coordinator(
        resident=resident,
        by=daalhof.gp,
        coordinator_id=daalhof.district_nurse.pk,
        expected=daalhof.poh.pk,
    )
    carer = Carer.objects.create(first_name="Thea", last_name="Ramakers")
    CarerLink.objects.create(carer=carer, resident=resident, relationship="child")
    raise_concern(resident=resident, by=daalhof.welfare, carer=carer, text="Vergeetachtig")
    send_mail_now()
    assert [m.to for m in mail.outbox] == [[daalhof.district_nurse.email]]


# --- preferences ---------------------------------------------------------------------------


def test_off_means_no_notice_and_no_mail(daalhof, resident_in):
    welfare = with_email(daalhof.welfare)
    set_preferences(user=welfare, chosen={Kind.ACTION_ASSIGNED: Delivery.OFF})
    agree(resident_in("step2"), by=daalhof.gp, owner=welfare)
    send_mail_now()
    assert not Notice.objects.exists() and mail.outbox == []


def test_a_due_kind_turned_off_leaves_the_digest_without_it(daalhof, resident_in):
    nurse = with_email(daalhof.district_nurse)
    resident = resident_in("step2", coordinator=nurse)
    old_action(resident, nurse, MONDAY, daalhof.gp)
    Trajectory.objects.filter(resident=resident).update(
        review_due=MONDAY + datetime.timedelta(days=2)
    )
    set_preferences(user=nurse, chosen={Kind.ACTIONS_DUE: Delivery.OFF})
    assert send_digests(day=MONDAY) == 1
    send_mail_now()
    body = only_mail_to(nurse).body
    assert "Evaluaties binnen 14 dagen" in body and "Uw acties" not in body
    set_preferences(user=nurse, chosen={Kind.REVIEWS_DUE: Delivery.OFF})
    assert send_digests(day=MONDAY + datetime.timedelta(days=1)) == 0


def test_the_defaults_mail_events_at_once_and_gather_what_is_due(daalhof):
    from kernteam.notices import preferences

    chosen = preferences(user_ids=[daalhof.gp.pk])[daalhof.gp.pk]
    assert chosen == {
        "action_assigned": "at_once",
        "urgent_step_up": "at_once",
        "concern": "at_once",
        "meeting_reminder": "at_once",
        "actions_due": "digest",
        "reviews_due": "digest",
        "step_ups_waiting": "digest",
        "referrals_waiting": "digest",
    }


def test_set_preferences_refuses_what_a_kind_does_not_offer(daalhof):
    with pytest.raises(ValidationError) as refused:
        set_preferences(
            user=daalhof.gp,
            chosen={
                Kind.ACTIONS_DUE: Delivery.AT_ONCE,
                Kind.DIGEST: Delivery.OFF,
                "birthdays": Delivery.DIGEST,
                Kind.CONCERN: "sms",
                Kind.URGENT_STEP_UP: Delivery.OFF,
            },
        )
    assert refused.value.message_dict == {
        "actions_due": ["Kies een van de aangeboden mogelijkheden."],
        "digest": ["Onbekend soort melding."],
        "birthdays": ["Onbekend soort melding."],
        "concern": ["Kies een van de aangeboden mogelijkheden."],
    }
    assert not daalhof.gp.notice_preferences.exists()  # nothing of it kept, not even the valid


# --- no address: the bell only -------------------------------------------------------------


def test_a_member_without_an_address_gets_the_bell_and_no_mail(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    assert daalhof.welfare.email == "" and daalhof.poh.email == ""
    agree(resident, by=daalhof.gp, owner=daalhof.welfare)
    old_action(resident, daalhof.poh, MONDAY, daalhof.gp)
    assert send_digests(day=MONDAY) == 1
    send_mail_now()
    assert mail.outbox == []
    bell = Notice.objects.order_by("kind").values_list("user", "kind", "mail_status")
    assert list(bell) == [
        (daalhof.welfare.pk, "action_assigned", "none"),
        (daalhof.poh.pk, "digest", "none"),
    ]


# --- the bell ------------------------------------------------------------------------------


@pytest.fixture
def user_events(monkeypatch) -> list[tuple[str, dict]]:
    """What the members' open boards are told, as (group, message)."""
    sent: list[tuple[str, dict]] = []

    class RecordingLayer:
        async def group_send(self, group: str, message: dict) -> None:
            sent.append((group, message))

    monkeypatch.setattr("kernteam.events.get_channel_layer", RecordingLayer)
    return sent


def test_the_bell_hears_of_a_notice_and_keeps_it_unread_until_read(
    daalhof, resident_in, monday_morning, user_events
):
    from clients.notify import bell_items, unread_count
    from kernteam.notices import mark_all_read, mark_read

    resident = resident_in("step2", coordinator=daalhof.welfare)
    agree(resident, by=daalhof.gp, owner=daalhof.welfare)
    assert (f"user-{daalhof.welfare.pk}", {"type": "user.notice"}) in user_events
    monday_morning.move_to(at(MONDAY, 9))
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    told = [group for group, message in user_events if message == {"type": "user.notice"}]
    assert told == [f"user-{daalhof.welfare.pk}"] * 2  # nobody else's bell

    bell = bell_items(user=daalhof.welfare)
    assert [n.kind for n in bell] == ["urgent_step_up", "action_assigned"]  # newest first
    assert unread_count(user=daalhof.welfare) == 2 and bell_items(user=daalhof.gp) == []
    mark_read(notice=bell[1])
    assert unread_count(user=daalhof.welfare) == 1
    assert mark_all_read(user=daalhof.gp) == 0
    assert mark_all_read(user=daalhof.welfare) == 1
    assert unread_count(user=daalhof.welfare) == 0
