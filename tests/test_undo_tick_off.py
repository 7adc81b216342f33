"""A carer who ticked off an agreement by mistake takes it back within ten minutes; later, or
someone else's tick, stays: the team may have acted on it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clients.services import record_consent
from kernteam.refusals import Refused
from steps.models import AgreedAction
from steps.services import complete_action, move_resident, undo_complete
from tests.factories import carer_for
from tests.helpers import exactly

MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def ticked(daalhof, resident_in):
    """Thea's agreement about her father, ticked off by her at T (an hour from now); returns
    (the agreement, Thea, T)."""
    T = timezone.now().replace(microsecond=0) + 60 * MINUTE
    resident = resident_in("step2", consent=False)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=timezone.localdate(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    thea = carer_for(resident, username="thea")
    with time_machine.travel(T - datetime.timedelta(days=1), tick=False):
        agreed = AgreedAction.objects.create(
            resident=resident,
            description="Personenalarmering aanvragen",
            created_by=daalhof.poh,
            owner_carer=thea,
            shared_with_carers=True,
            due_on=timezone.localdate() + datetime.timedelta(days=7),
        )
    with time_machine.travel(T, tick=False):
        complete_action(action=agreed, by=thea.user)
    agreed.refresh_from_db()
    return agreed, thea, T


def test_within_ten_minutes_the_tick_off_is_taken_back(ticked, client):
    agreed, thea, T = ticked
    with time_machine.travel(T + datetime.timedelta(minutes=9, seconds=59), tick=False):
        client.force_login(thea.user)
        page = client.get(reverse("carer_portal")).content.decode()
        assert "Ongedaan maken" in page
        client.post(reverse("carer_action_undo", args=[agreed.pk]))
    agreed.refresh_from_db()
    assert (agreed.status, agreed.done_at, agreed.done_by) == ("open", None, None)


def test_after_ten_minutes_it_stays_done_and_says_why(ticked, client):
    agreed, thea, T = ticked
    with time_machine.travel(T + datetime.timedelta(minutes=10), tick=False):
        client.force_login(thea.user)
        assert "Ongedaan maken" not in client.get(reverse("carer_portal")).content.decode()
        page = client.post(reverse("carer_action_undo", args=[agreed.pk]), follow=True)
    said = [str(m) for m in page.context["messages"]]
    assert said == [
        "Meer dan 10 minuten geleden afgevinkt: dat kan niet meer worden teruggedraaid. "
        "Laat het team weten als het niet gebeurd is."
    ]
    agreed.refresh_from_db()
    assert agreed.status == "done"


def test_only_who_ticked_it_off_takes_it_back(ticked, daalhof):
    agreed, _thea, T = ticked
    with (
        time_machine.travel(T + datetime.timedelta(minutes=1), tick=False),
        pytest.raises(
            Refused, match=exactly("Alleen wie deze afspraak afvinkte, kan dat terugdraaien.")
        ),
    ):
        undo_complete(action=agreed, by=daalhof.poh)
    agreed.refresh_from_db()
    assert agreed.status == "done"


def test_not_on_a_closed_record(ticked, daalhof):
    agreed, thea, T = ticked
    move_resident(
        resident=agreed.resident,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Verhuisd",
        closure_reason="moved",
    )
    with (
        time_machine.travel(T + datetime.timedelta(minutes=1), tick=False),
        pytest.raises(Refused) as refused,
    ):
        undo_complete(action=agreed, by=thea.user)
    closed = "Dit dossier is afgesloten en kan niet meer worden gewijzigd."
    assert refused.value.problems == [closed]
