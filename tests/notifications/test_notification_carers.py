"""What a carer hears by e-mail (issue 19 §3): a new task for them, a new care coordinator, and
a reminder three days before the team looks at their family member again (with the link to send
a concern first). In plain Dutch, naming the family member by initials only, never what was
agreed, a score or a note; only while the consent shares with carers, only for a carer with an
account and an address whose link is in force; each kind stopped with one click.

Every test runs on a fixed Monday morning in Maastricht (time_machine)."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.urls import resolve, reverse

from clients.carer_notices import (
    CarerKind,
    CarerNotice,
    read_stop_token,
    stop,
    stop_token,
)
from clients.models import CarerLink
from clients.services import change_coordinator, record_consent
from kernteam.roles import Role
from steps.models import Trajectory
from steps.notify_plan import plan
from steps.services import agree_action
from tests.factories import carer_for
from tests.notifications.helpers import (
    BASE,
    MONDAY,
    at,
    send_mail_now,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits as in production

PORTAL = f"{BASE}/mantelzorg/"


def sharing(resident, by, share: bool = True):
    record_consent(
        resident=resident,
        by=by,
        given_on=MONDAY,
        disciplines=list(Role.values),
        share_with_carers=share,
    )


@pytest.fixture
def family(daalhof, resident_in):
    """Maria Janssen (88), whose consent shares with carers, and her daughter Thea, who has a
    portal account and an address."""
    resident = resident_in("step2", consent=False)
    sharing(resident, daalhof.poh)
    thea = carer_for(resident, username="thea")
    thea.email = "thea@example.nl"
    thea.save(update_fields=["email"])
    return resident, thea


def task_for(resident, carer, by, text="Medicijnen ophalen bij de apotheek"):
    return agree_action(
        resident=resident,
        by=by,
        description=text,
        due_on=MONDAY + datetime.timedelta(days=10),
        owner_carer=carer,
        shared_with_carers=True,
    )


def stop_link(message) -> str:
    last = message.body.strip().splitlines()[-1]
    assert last.startswith(f"{BASE}/mantelzorg/berichten/stop/"), message.body
    return last


def assert_plain_and_private(message, resident, *secrets: str) -> None:
    text = message.subject + message.body
    assert "M.J." in text
    for word in (resident.last_name, "Janssen", "Maria", "(88)", *secrets):
        assert word not in text, word
    assert message.body.startswith("Beste Thea,\n")


def test_a_new_task_for_the_carer_is_mailed_without_what_it_is(daalhof, family):
    resident, thea = family
    task_for(resident, thea, daalhof.district_nurse)
    send_mail_now()

    [message] = mail.outbox
    assert message.to == ["thea@example.nl"]
    assert message.subject == "Kernteam: een nieuwe taak voor u"
    assert (
        "Voor de zorg voor M.J. heeft het team een nieuwe afspraak met u gemaakt. "
        f"In Kernteam leest u wat de afspraak is:\n{PORTAL}\n"
    ) in message.body
    assert_plain_and_private(message, resident, "Medicijnen", "apotheek")
    link = stop_link(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        "Wilt u deze e-mails niet meer krijgen (nieuwe taken voor u)? Klik hier:"
    ) in message.body
    assert resolve(urlsplit(link).path).url_name == "carer_notice_stop"
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert read_stop_token(token) == (thea, CarerKind.ACTION)
    assert CarerNotice.objects.get().mail_status == "sent"


def test_a_new_care_coordinator_is_mailed(daalhof, family):
    resident, _thea = family
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    send_mail_now()

    [message] = mail.outbox
    assert message.to == ["thea@example.nl"]
    assert message.subject == "Kernteam: een nieuwe zorgcoördinator voor M.J."
    assert (
        "De zorg voor M.J. heeft een nieuwe zorgcoördinator. In Kernteam ziet u wie dat is "
        f"en hoe u die bereikt:\n{PORTAL}\n"
    ) in message.body
    assert_plain_and_private(message, resident, daalhof.poh.last_name)
    assert "(een nieuwe zorgcoördinator)? Klik hier:" in message.body


def test_three_days_before_the_review_the_carer_is_invited_to_send_a_concern(
    daalhof, family, resident_in, monday_morning
):
    resident, thea = family
    later = resident_in("step2", consent=False)
    sharing(later, daalhof.poh)
    CarerLink.objects.create(carer=thea, resident=later, relationship="child")
    Trajectory.objects.filter(resident=resident).update(
        review_due=MONDAY + datetime.timedelta(days=3)
    )
    Trajectory.objects.filter(resident=later).update(review_due=MONDAY + datetime.timedelta(days=4))
    monday_morning.move_to(at(MONDAY, 6, 30))
    assert "carer_reminders" not in plan()  # not before seven
    monday_morning.move_to(at(MONDAY, 7, 0))
    assert plan()["carer_reminders"] == 1
    assert plan()["carer_reminders"] == 0  # the planner's next round: told already
    send_mail_now()

    [message] = mail.outbox
    assert message.subject == "Kernteam: het team kijkt op 10-12-2026 weer naar M.J."
    concern = f"{BASE}{reverse('carer_concern', args=[resident.pk])}"
    assert (
        "Op 10-12-2026 bespreekt het team hoe het met M.J. gaat. Wilt u het team iets laten "
        f"weten? Stuur het vóór die dag:\n{concern}\n"
    ) in message.body
    assert_plain_and_private(message, resident)
    assert (
        "(een herinnering voordat het team weer naar uw naaste kijkt)? Klik hier:" in message.body
    )


def test_nothing_while_the_consent_does_not_share_with_carers(daalhof, family):
    resident, thea = family
    sharing(resident, daalhof.poh, share=False)
    Trajectory.objects.filter(resident=resident).update(
        review_due=MONDAY + datetime.timedelta(days=3)
    )
    task_for(resident, thea, daalhof.district_nurse)
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    plan()
    send_mail_now()
    assert not CarerNotice.objects.exists() and mail.outbox == []


def test_nothing_once_the_link_has_ended(daalhof, family):
    resident, thea = family
    CarerLink.objects.filter(carer=thea).update(ended_on=MONDAY)
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    Trajectory.objects.filter(resident=resident).update(
        review_due=MONDAY + datetime.timedelta(days=3)
    )
    plan()
    send_mail_now()
    assert not CarerNotice.objects.exists() and mail.outbox == []


def test_nothing_for_a_carer_without_an_account_or_without_an_address(daalhof, family):
    resident, thea = family
    thea.email = ""
    thea.save(update_fields=["email"])
    invited = carer_for(resident)  # no portal account (not accepted yet)
    invited.email = "broer@example.nl"
    invited.save(update_fields=["email"])
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    send_mail_now()
    assert not CarerNotice.objects.exists() and mail.outbox == []


def test_only_carers_of_this_resident_hear_of_her(daalhof, family, resident_in):
    resident, _thea = family
    other = resident_in("step2", consent=False)
    sharing(other, daalhof.poh)
    neighbour = carer_for(other, username="buurman")
    neighbour.email = "buurman@example.nl"
    neighbour.save(update_fields=["email"])
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    send_mail_now()
    assert [m.to for m in mail.outbox] == [["thea@example.nl"]]


def test_a_task_is_told_to_the_carer_who_has_it_a_new_coordinator_to_every_carer(daalhof, family):
    resident, thea = family
    brother = carer_for(resident, username="broer")
    brother.email = "broer@example.nl"
    brother.save(update_fields=["email"])
    task_for(resident, thea, daalhof.district_nurse)
    send_mail_now()
    assert [m.to for m in mail.outbox] == [["thea@example.nl"]]
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    send_mail_now()
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["broer@example.nl", "thea@example.nl"]


def test_a_stopped_kind_stops_only_that_kind(daalhof, family):
    resident, thea = family
    stop(carer=thea, kind=CarerKind.ACTION)
    stop(carer=thea, kind=CarerKind.ACTION)  # twice: still one stop
    task_for(resident, thea, daalhof.district_nurse)
    change_coordinator(
        resident=resident, by=daalhof.gp, coordinator_id=daalhof.poh.pk, expected=None
    )
    send_mail_now()
    assert [m.subject for m in mail.outbox] == ["Kernteam: een nieuwe zorgcoördinator voor M.J."]
    assert thea.notice_stops.count() == 1


def test_a_stop_token_that_is_not_ours_names_nobody(family):
    _resident, thea = family
    assert read_stop_token(stop_token(carer=thea, kind=CarerKind.REVIEW_SOON)) == (
        thea,
        CarerKind.REVIEW_SOON,
    )
    assert read_stop_token(signing.dumps({"carer": thea.pk, "kind": "action"})) is None
    assert read_stop_token(stop_token(carer=thea, kind=CarerKind.ACTION)[:-2] + "xx") is None
    assert read_stop_token("niet-van-ons") is None
