"""Noting the resident's own goal (`steps.own_goal`): a new version each time; and linking the
goals per domain to it (`Goal.serves_own_goal`). Each one transaction; the boards hear of it
on commit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from clients.models import Resident
from clients.services import lock_record
from clients.visibility import can_see_resident, send_resident_event_on_commit
from kernteam.models import text_limit
from kernteam.refusals import Refused
from steps.models import Goal, Trajectory
from steps.own_goal import OwnGoal, check_may_serve


def note_own_goal(*, resident: Resident, by, text: str) -> OwnGoal:
    """Note what matters to the resident, in her own words, as a new version. Refused
    (forbidden) for anyone but a member who may see the record (team and consent; never a
    carer); Refused on a closed record; ValidationError on the text: empty, too long, or the
    same as the current version."""
    if not can_see_resident(user=by, resident=resident):
        raise Refused(
            gettext(
                "Only members of the resident's kernteam who may see this record can note "
                "her own goal."
            ),
            forbidden=True,
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": gettext("Write down what matters to the resident.")})
    if len(text) > (limit := text_limit(OwnGoal, "text")):
        too_long = gettext("The text may be %(limit)d characters long at most.")
        raise ValidationError({"text": too_long % {"limit": limit}})
    with transaction.atomic():
        lock_record(resident)
        # the trajectory's row too, as every change of the record (`steps.services`)
        trajectory = Trajectory.objects.select_for_update().get(resident_id=resident.pk)
        if trajectory.is_closed:
            raise Refused(
                gettext("This record is closed: her own goal can no longer be changed."),
                field="non_field_errors",
            )
        current = resident.own_goals.order_by("-noted_at", "-pk").first()
        if current is not None and current.text == text:
            raise ValidationError({"text": gettext("This is already the resident's goal.")})
        goal = OwnGoal.objects.create(resident=resident, text=text, noted_by=by)
        send_resident_event_on_commit(resident=resident, event="resident.own_goal")
    return goal


def link_goal_to_own_goal(*, goal: Goal, by, serves: bool) -> Goal:
    """Mark an open goal as serving the resident's own goal (`serves`), or no longer. Goals
    are changed in place, as their status is (not append-only); the boards hear of it on
    commit. Refused (forbidden) for anyone but a member who may see the record (as for
    adding a goal or noting her own goal); Refused for a closed record, a goal no longer open,
    or marking one while no own goal is noted. Marking it as it already is changes nothing."""
    resident = goal.resident
    if not can_see_resident(user=by, resident=resident):
        raise Refused(
            gettext(
                "Only members of the resident's kernteam who may see this record can link her "
                "goals to her own goal."
            ),
            forbidden=True,
        )
    with transaction.atomic():
        lock_record(resident)
        # the trajectory's row too, as every change of the record (`steps.services`)
        trajectory = Trajectory.objects.select_for_update().get(resident_id=resident.pk)
        if trajectory.is_closed:
            raise Refused(gettext("This record is closed and can no longer be changed."))
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        if locked.status != Goal.Status.OPEN:
            raise Refused(gettext("Only an open goal can be linked to her own goal."))
        if serves:
            check_may_serve(resident)
        if locked.serves_own_goal != serves:
            locked.serves_own_goal = serves
            locked.save(update_fields=["serves_own_goal"])
            send_resident_event_on_commit(
                resident=resident, event="resident.goal_changed", goal=locked.pk
            )
    return locked
