"""History is never rewritten; nothing a user entered is hard-deleted."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import ConcurrentTransition

from clients.models import Resident
from kernteam.undeletable import ProtectedRecord
from steps.models import StepChange, Trajectory
from steps.rules import Move
from steps.services import add_goal, agree_action, move_resident
from tests.factories import UserFactory, score
from tests.helpers import exactly


def in_a_month() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def moved(daalhof, resident_in):
    resident = resident_in("step2")
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen",
    )
    return resident


def test_history_rows_cannot_be_changed_through_the_orm(moved):
    change = StepChange.objects.get(trajectory__resident=moved)
    change.reason = "herschreven"
    with pytest.raises(ProtectedRecord, match=exactly("StepChange records cannot be changed.")):
        change.save()
    with pytest.raises(ProtectedRecord, match=exactly("StepChange records cannot be changed.")):
        StepChange.objects.filter(pk=change.pk).update(reason="herschreven")
    with pytest.raises(ProtectedRecord, match=exactly("StepChange records cannot be changed.")):
        StepChange.objects.bulk_update([change], ["reason"])
    assert StepChange.objects.get(pk=change.pk).reason == "Twee keer gevallen"


def test_history_rows_cannot_be_deleted_through_the_orm(moved):
    change = StepChange.objects.get(trajectory__resident=moved)
    never = pytest.raises(ProtectedRecord, match=exactly("StepChange records are never deleted."))
    with never:
        change.delete()
    with never:
        StepChange.objects.all().delete()
    assert StepChange.objects.filter(pk=change.pk).exists()


def test_residents_and_trajectories_are_never_deleted(moved):
    with pytest.raises(ProtectedRecord, match=exactly("Resident records are never deleted.")):
        moved.delete()
    with pytest.raises(ProtectedRecord, match=exactly("Trajectory records are never deleted.")):
        Trajectory.objects.all().delete()
    assert Resident.objects.filter(pk=moved.pk).exists()


def test_the_state_cannot_be_assigned_or_updated_directly(moved):
    trajectory = Trajectory.objects.get(resident=moved)
    with pytest.raises(AttributeError, match=exactly("Direct state modification is not allowed")):
        trajectory.state = "step1"
    only_transitions = exactly("A trajectory's state changes only through its transitions.")
    with pytest.raises(ProtectedRecord, match=only_transitions):
        Trajectory.objects.filter(pk=trajectory.pk).update(state="closed")
    with pytest.raises(ProtectedRecord, match=only_transitions):
        Trajectory.objects.bulk_update([trajectory], ["state"])
    assert Trajectory.objects.get(pk=trajectory.pk).state == "step3"


def test_a_transition_that_is_not_saved_leaves_no_history(daalhof, moved):
    trajectory = Trajectory.objects.get(resident=moved)
    count = trajectory.history.count()
    trajectory.step_up_to_4(Move(by=daalhof.gp, reason="Nooit opgeslagen"))
    assert trajectory.history.count() == count


def test_a_stale_transition_leaves_no_history(daalhof, resident_in):
    """Two in-memory copies; the second is saved after the first moved the resident."""
    resident = resident_in("step2")
    first = Trajectory.objects.get(resident=resident)
    stale = Trajectory.objects.get(resident=resident)
    first.step_up_to_3(Move(by=daalhof.district_nurse, reason="Gevallen"))
    first.save()
    stale.step_up_to_4(Move(by=daalhof.gp, reason="Oud scherm"))
    stale_state = "The state has been changed since fetched from the database"
    with pytest.raises(ConcurrentTransition, match=stale_state), transaction.atomic():
        stale.save()
    assert list(first.history.values_list("to_state", flat=True)) == ["step3"]
    assert Trajectory.objects.get(pk=first.pk).state == "step3"


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="beheer", is_staff=True, is_superuser=True))
    return client


def test_admin_shows_history_read_only(admin_client, moved):
    change = StepChange.objects.get(trajectory__resident=moved)
    url = reverse("admin:steps_stepchange_change", args=[change.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="reason"' not in page.content  # shown, not editable
    assert admin_client.post(url, {"reason": "herschreven"}).status_code == 403
    delete = reverse("admin:steps_stepchange_delete", args=[change.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert StepChange.objects.get(pk=change.pk).reason == "Twee keer gevallen"


def test_admin_offers_no_delete_anywhere(admin_client, moved):
    names = (
        "clients_resident",
        "steps_trajectory",
        "kernteam_team",
        "clients_assessment",
        "clients_concern",
        "kernteam_meeting",
    )
    for name in names:
        page = admin_client.get(reverse(f"admin:{name}_changelist"))
        assert page.status_code == 200
        assert b"delete_selected" not in page.content


def test_admin_never_edits_the_state_and_offers_transitions(admin_client, moved):
    trajectory = Trajectory.objects.get(resident=moved)
    page = admin_client.get(reverse("admin:steps_trajectory_change", args=[trajectory.pk]))
    assert b'name="state"' not in page.content
    changelist = admin_client.get(reverse("admin:steps_trajectory_changelist"))
    assert b"do_step_down_to_2" in changelist.content


def test_admin_transition_goes_through_the_rules(admin_client, daalhof, moved):
    """The admin user is not on the team: the move is refused with the reason, nothing moves."""
    trajectory = Trajectory.objects.get(resident=moved)
    url = reverse("admin:steps_trajectory_changelist")
    form = admin_client.post(
        url, {"action": "do_step_down_to_2", "_selected_action": [trajectory.pk]}
    )
    assert b'name="reason"' in form.content  # asks for the reason first
    done = admin_client.post(
        url,
        {
            "action": "do_step_down_to_2",
            "_selected_action": [trajectory.pk],
            "apply": "1",
            "reason": "Gaat beter",
            f"seen_state_{trajectory.pk}": "step3",
        },
        follow=True,
    )
    assert "Alleen leden van het kernteam van deze cliënt" in done.content.decode()
    trajectory.refresh_from_db()
    assert trajectory.state == "step3"


def test_admin_transition_by_the_gp(client, daalhof, moved):
    daalhof.gp.is_staff = True
    daalhof.gp.is_superuser = True
    daalhof.gp.save()
    client.force_login(daalhof.gp)
    trajectory = Trajectory.objects.get(resident=moved)
    client.post(
        reverse("admin:steps_trajectory_changelist"),
        {
            "action": "do_step_down_to_2",
            "_selected_action": [trajectory.pk],
            "apply": "1",
            "reason": "Gaat beter",
            f"seen_state_{trajectory.pk}": "step3",
        },
    )
    trajectory.refresh_from_db()
    assert trajectory.state == "step2"
    assert trajectory.history.last().actor == daalhof.gp


def test_a_closed_record_is_read_only(daalhof, resident_in):
    resident = resident_in("step2")
    move_resident(
        resident=resident,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Overleden",
        closure_reason="deceased",
    )
    resident.refresh_from_db()
    with pytest.raises(ValidationError, match="afgesloten"):
        add_goal(resident=resident, by=daalhof.poh, domain="somatic", description="x")
    with pytest.raises(ValidationError, match="afgesloten"):
        agree_action(
            resident=resident,
            by=daalhof.poh,
            description="x",
            due_on=in_a_month(),
            owner_member=daalhof.poh,
        )
    with pytest.raises(ValidationError, match="afgesloten"):
        score(resident, "gfi", 5, daalhof.poh)
    assert resident.goals.count() == resident.actions.count() == resident.assessments.count() == 0


def test_admin_asks_for_a_closure_reason_only_when_closing(admin_client, moved):
    trajectory = Trajectory.objects.get(resident=moved)
    url = reverse("admin:steps_trajectory_changelist")
    step_up = admin_client.post(
        url, {"action": "do_step_up_to_4", "_selected_action": [trajectory.pk]}
    )
    close = admin_client.post(url, {"action": "do_close", "_selected_action": [trajectory.pk]})
    assert b'name="closure_reason"' not in step_up.content
    assert b'name="closure_reason"' in close.content


def test_admin_move_on_a_resident_moved_meanwhile_is_a_conflict(client, daalhof, moved):
    """The GP's form showed step 2; the nurse had already stepped up to 3."""
    daalhof.gp.is_staff = daalhof.gp.is_superuser = True
    daalhof.gp.save()
    client.force_login(daalhof.gp)
    trajectory = Trajectory.objects.get(resident=moved)
    done = client.post(
        reverse("admin:steps_trajectory_changelist"),
        {
            "action": "do_step_up_to_4",
            "_selected_action": [trajectory.pk],
            "apply": "1",
            "reason": "Achteruitgang",
            f"seen_state_{trajectory.pk}": "step2",
        },
        follow=True,
    )
    assert "is intussen door" in done.content.decode()
    trajectory.refresh_from_db()
    assert trajectory.state == "step3"


def test_admin_adds_goals_only_for_members(client, malberg, resident_in):
    resident = resident_in("step2")
    malberg.gp.is_staff = malberg.gp.is_superuser = True
    malberg.gp.save()
    client.force_login(malberg.gp)
    page = client.post(
        reverse("admin:steps_goal_add"),
        {"resident": resident.pk, "domain": "social", "description": "Dagbesteding"},
    )
    assert "Alleen leden van het kernteam van deze cliënt" in page.content.decode()
    assert resident.goals.count() == 0


def test_admin_without_a_resident_gives_a_form_error_not_a_500(admin_client, daalhof):
    page = admin_client.post(
        reverse("admin:steps_agreedaction_add"),
        {"description": "Bellen", "owner_member": daalhof.poh.pk, "due_on": in_a_month()},
    )
    assert page.status_code == 200
    assert "Dit veld is verplicht" in page.content.decode()


def test_the_database_refuses_to_rewrite_history(moved):
    """Even raw SQL, bypassing the application, cannot change a history row."""
    change = StepChange.objects.get(trajectory__resident=moved)
    # the trigger refuses; the application's own role (CI's PostgreSQL pass) has no right to try
    refused = pytest.raises(DatabaseError, match=r"append-only|permission denied")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE steps_stepchange SET reason = 'x' WHERE id = %s", [change.pk])
    if connection.vendor == "postgresql":
        refused = pytest.raises(DatabaseError, match=r"append-only|permission denied")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM steps_stepchange WHERE id = %s", [change.pk])
    assert StepChange.objects.get(pk=change.pk).reason == "Twee keer gevallen"
