"""A colleague closes the record while someone else is adding to it. Whatever was read when the
page opened, a goal, an action, an assessment or a carer's concern added after the closing has
committed is refused with the reason, and the closed record stays as it was closed."""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clients.models import Assessment, Concern, Resident
from clients.services import raise_concern, record_assessment
from steps.models import AgreedAction, Goal, StepChange
from steps.services import add_goal, agree_action, move_resident
from tests.factories import ResidentFactory, carer_for, give_consent
from tests.helpers import race

pytestmark = pytest.mark.django_db

CLOSED = "Dit dossier is afgesloten en kan niet meer worden gewijzigd."


def add(what: str, resident: Resident, team):
    if what == "goal":
        return add_goal(
            resident=resident, by=team.poh, domain="functional", description="Veilig wonen"
        )
    if what == "action":
        due = timezone.localdate() + datetime.timedelta(days=14)
        return agree_action(
            resident=resident,
            by=team.poh,
            description="Valmat bestellen",
            due_on=due,
            owner_member=team.district_nurse,
        )
    if what == "assessment":
        return record_assessment(
            resident=resident,
            by=team.poh,
            instrument="gfi",
            score=Decimal(5),
            assessed_on=timezone.localdate(),
        )
    carer = carer_for(resident)
    return raise_concern(resident=resident, by=team.poh, text="Ze valt vaak.", carer=carer)


def close(resident: Resident, team) -> StepChange:
    return move_resident(
        resident=Resident.objects.get(pk=resident.pk),
        transition="close",
        expected_state="step2",
        by=team.gp,
        reason="Verhuisd naar Heerlen.",
        closure_reason="moved",
    )


MODELS = {"goal": Goal, "action": AgreedAction, "assessment": Assessment, "concern": Concern}


@pytest.mark.parametrize("what", list(MODELS))
def test_what_is_added_after_the_closing_is_refused(daalhof, resident_in, what):
    resident = resident_in("step2")
    opened = Resident.objects.select_related("team", "trajectory").get(pk=resident.pk)
    assert not opened.is_closed  # the page was opened before the closing

    close(resident, daalhof)  # a colleague closes the record meanwhile

    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        add(what, opened, daalhof)
    assert refused.value.messages == [CLOSED]
    assert not MODELS[what].objects.filter(resident=resident).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["goal", "action", "assessment", "concern"])
def test_closing_while_something_is_added_is_no_deadlock(daalhof, monkeypatch, what):
    """The addition holds its lock (the trajectory's, or the resident's) when the closing comes
    in: the closing waits for it and then closes; neither side fails."""
    import steps.services
    from clients import services as client_services

    resident = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(resident, daalhof.poh)
    locked = threading.Event()
    module, name = (
        (steps.services, "_check_still_open")
        if what in ("goal", "action")
        else (client_services, "_as_it_is_now")
    )
    original = getattr(module, name)

    def hold(*args):
        found = original(*args)
        locked.set()
        time.sleep(0.5)  # the closing asks for its locks meanwhile
        return found

    monkeypatch.setattr(module, name, hold)

    def attempt(i: int):
        if i == 0:
            return add(what, Resident.objects.get(pk=resident.pk), daalhof)
        locked.wait(timeout=10)
        return close(resident, daalhof)

    added, closed = race(2, attempt)
    assert isinstance(added, MODELS[what]), added
    assert isinstance(closed, StepChange), closed
