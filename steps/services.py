"""Actions on a resident's stepped care. Each is one transaction; broadcasts go out on commit.

Views, the admin and the API call these; they never change a trajectory themselves.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from clients.casefinding import likely_duplicates
from clients.models import Carer, Resident
from clients.services import lock_record
from clients.visibility import send_resident_event_on_commit
from kernteam.models import (
    Meeting,
    Team,
    deciding_meeting,
    deciding_meetings,
    person_name,
    text_limit,
)
from kernteam.policy import require_member
from kernteam.refusals import Refused
from steps import notify_events, rules
from steps.models import AgreedAction, Goal, Kind, StepChange, Trajectory
from steps.moves import not_from_here, transition_method
from steps.outcomes import EventKind, record_for_move
from steps.own_goal import check_may_serve
from steps.rules import Move, refusal_for
from steps.states import State


class StateConflict(Refused):
    """Someone else moved the resident first. The message says who, to what, and when."""

    def __init__(self, message: str, *, current_state: str):
        self.current_state = current_state
        super().__init__(message, conflict={"current_state": current_state})


class LikelyDuplicate(Refused):
    """The team has a resident with the same name and date of birth (`likely_duplicates`):
    signalled only when the caller confirms it is someone else. `duplicates`: those residents,
    for the caller to show (to whoever may see them) with a way to signal anyway."""

    def __init__(self, duplicates: list[Resident]):
        self.duplicates = duplicates
        super().__init__(
            _(
                "Likely signalled already: the team has a resident with the same name and date "
                "of birth."
            ),
            field="confirm_not_duplicate",
        )


def move_resident(
    *,
    resident: Resident,
    transition: str,
    expected_state: str,
    by,
    reason: str = "",
    meeting: Meeting | None = None,
    closure_reason: str = "",
    admission: str = EventKind.HOSPITAL,
    event_on: datetime.date | None = None,
    event_place: str = "",
) -> StepChange:
    """Take a named transition. Exactly one of two simultaneous moves wins; the other gets
    StateConflict (the resident is no longer in `expected_state`). Guards raise
    Refused with every missing condition. Taken while the team's meeting is open
    (`deciding_meeting`), it is a team decision in that meeting; `meeting` names another (the
    admin). The outcome event the move goes with (`steps.outcomes.record_for_move`): the
    *admitted* move is the `admission` named; closing as deceased or for a nursing home records
    it on `event_on` (default today), a death at `event_place` (default "not recorded"), unless
    one is on record; ValidationError by field for bad event input, and nothing is saved."""
    try:
        with transaction.atomic():
            if transition == "close":  # it may withdraw consent: the lock consent takes, first
                lock_record(resident)
            trajectory, deciding = _locked_with_meeting(resident)
            move = Move(
                by=by,
                reason=reason or "",
                meeting=meeting or deciding,
                closure_reason=closure_reason or "",
            )
            if trajectory.state != expected_state:
                raise _conflict(trajectory)
            method = transition_method(trajectory, transition)
            try:
                method(move)
            except TransitionNotAllowed as exc:
                raise Refused(not_from_here(trajectory), field="transition") from exc
            trajectory.save()
            change = trajectory.last_change
            # the outcome event the move goes with (admitted, closed as deceased, …): linked
            # or recorded here, in the move's transaction (`steps.outcomes.record_for_move`)
            record_for_move(
                change=change,
                by=by,
                resident=resident,
                admission=admission,
                event_on=event_on,
                event_place=event_place,
            )
            _announce(trajectory, change)
            notify_events.urgent_step_up(trajectory=trajectory, change=change, by=by)
    except ConcurrentTransition as exc:  # only without row locks (never on PostgreSQL)
        # (after the rollback: the history row written before the state went with it)
        raise _conflict(Trajectory.objects.get(resident_id=resident.pk)) from exc
    return change


def confirm_step_up(
    *, resident: Resident, by, step_up: StepChange, meeting: Meeting | None = None
) -> StepChange:
    """The team confirms, in its meeting in progress, the urgent step-up it was shown
    (`step_up`). If that one was already confirmed or superseded meanwhile, StateConflict says
    so."""
    with transaction.atomic():
        trajectory, deciding = _locked_with_meeting(resident)
        move = Move(by=by, meeting=meeting or deciding)
        if refusal := refusal_for(trajectory, move, rules.professional_member, ()):
            raise refusal  # before saying anything about the resident
        if trajectory.pending_confirmation_id != step_up.pk:
            raise _confirmation_conflict(trajectory, step_up)
        change = trajectory.confirm_step_up(move)
        trajectory.save(update_fields=["pending_confirmation", "updated_at"])
        _announce(trajectory, change)
    return change


def review_resident(*, resident: Resident, by, expected_state: str, note: str = "") -> StepChange:
    """A review that keeps the step ("besproken, stap blijft"). In the team's meeting in
    progress (`deciding_meeting`, looked up here) any member records it; outside one, the GP
    or the resident's care coordinator (`Trajectory.review`). A history row from
    and to the step, with the meeting and the note; the next review date counts from today;
    the boards hear of it on commit. StateConflict when the resident is no longer in
    `expected_state`."""
    note = (note or "").strip()
    if len(note) > (limit := text_limit(StepChange, "reason")):
        raise Refused(
            _("The note may be %(limit)d characters long at most.") % {"limit": limit},
            field="note",
        )
    try:
        with transaction.atomic():
            trajectory, deciding = _locked_with_meeting(resident)
            move = Move(by=by, reason=note, meeting=deciding)
            if refusal := refusal_for(trajectory, move, rules.professional_member, ()):
                raise refusal  # before saying anything about the resident
            if trajectory.state != expected_state:
                raise _conflict(trajectory)
            change = trajectory.review(move)
            trajectory.save(update_fields=["review_due", "updated_at"])
            send_resident_event_on_commit(
                resident=trajectory.resident,
                event="resident.reviewed",
                state=trajectory.state,
                change=change.pk,
            )
    except ConcurrentTransition as exc:  # only without row locks (never on PostgreSQL)
        raise _conflict(Trajectory.objects.get(resident_id=resident.pk)) from exc
    return change


def signal_resident(
    *,
    team: Team,
    by,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    reason: str,
    salutation: str = "",
    neighbourhood: str = "",
    gp_practice: str = "",
    confirm_not_duplicate: bool = False,
) -> Resident:
    """Flag a resident to the team. Any professional member of the team may signal. A likely
    duplicate (the team knows someone with the same name and date of birth, closed records
    included) refuses with `LikelyDuplicate` unless `confirm_not_duplicate`; the team's row is
    locked first, so two simultaneous signals of one person make one resident."""
    require_member(
        team=team, user=by, message=_("Only members of this kernteam can signal a resident.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you signal this resident.")})
    resident = Resident(
        team=team,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        salutation=salutation.strip(),
        date_of_birth=date_of_birth,
        neighbourhood=neighbourhood.strip() or team.neighbourhood,
        gp_practice=gp_practice.strip(),
    )
    resident.full_clean(exclude=["coordinator"])
    with transaction.atomic():
        list(Team.objects.select_for_update().filter(pk=team.pk).values_list("pk"))
        if not confirm_not_duplicate:
            found = likely_duplicates(
                team=team,
                first_name=resident.first_name,
                last_name=resident.last_name,
                date_of_birth=date_of_birth,
            )
            if found := list(found):
                raise LikelyDuplicate(found)
        resident.save()
        trajectory = Trajectory.objects.create(resident=resident)
        move = Move(by=by, reason=reason)
        change = trajectory._log(move, State.SIGNALLED, Kind.SIGNAL, from_state="")
        trajectory.save()
        _announce(trajectory, change)
    return resident


def add_goal(
    *,
    resident: Resident,
    by,
    domain: str,
    description: str,
    meeting=None,
    serves_own_goal: bool = False,
) -> Goal:
    require_member(team=resident.team, user=by)
    goal = Goal(
        resident=resident,
        domain=domain,
        description=description.strip(),
        created_by=by,
        meeting=meeting,
        serves_own_goal=serves_own_goal,
    )
    goal.full_clean(exclude=["resident", "created_by", "meeting"])
    if serves_own_goal:
        check_may_serve(resident)
    with transaction.atomic():
        _check_still_open(resident)
        goal.meeting = meeting or deciding_meeting(team_id=resident.team_id)
        goal.save()
        send_resident_event_on_commit(resident=resident, event="resident.goal_added")
    return goal


def agree_action(
    *,
    resident: Resident,
    by,
    description: str,
    due_on: datetime.date,
    owner_member=None,
    owner_carer: Carer | None = None,
    shared_with_carers: bool = False,
    supports_carer: bool = False,
    goal: Goal | None = None,
    meeting: Meeting | None = None,
) -> AgreedAction:
    require_member(team=resident.team, user=by)
    action = AgreedAction(
        resident=resident,
        description=description.strip(),
        due_on=due_on,
        owner_member=owner_member,
        owner_carer=owner_carer,
        shared_with_carers=shared_with_carers or owner_carer is not None,
        supports_carer=supports_carer,
        goal=goal,
        meeting=meeting,
        created_by=by,
    )
    action.full_clean(exclude=["resident", "created_by", "meeting", "goal"])
    with transaction.atomic():
        _check_still_open(resident)
        action.meeting = meeting or deciding_meeting(team_id=resident.team_id)
        action.save()
        send_resident_event_on_commit(resident=resident, event="resident.action_added")
        notify_events.action_agreed(action=action, by=by)
    return action


def complete_action(*, action: AgreedAction, by) -> AgreedAction:
    """Mark an action done: by a team member, or by the linked carer who owns it. Ticking off
    an action someone else just ticked off is fine; a cancelled action cannot be done, nor a
    referral's open action by hand (it is done when the referral's status is recorded)."""
    with transaction.atomic():
        locked = _locked_action(action, by)
        resident = locked.resident
        if locked.status == AgreedAction.Status.CANCELLED:
            raise Refused(_("This action was cancelled."), field="transition")
        if locked.status == AgreedAction.Status.OPEN and hasattr(locked, "referral"):
            # a referral's action follows the referral (`steps.referral_services`)
            referral = _(
                "This action is a referral: record the referral's status under Referrals "
                "(registered, started …); the action follows."
            )
            raise Refused(referral, field="transition")
        if locked.status == AgreedAction.Status.OPEN:
            locked.status = AgreedAction.Status.DONE
            locked.done_at = timezone.now()
            locked.done_by = by
            locked.save(update_fields=["status", "done_at", "done_by"])
            send_resident_event_on_commit(resident=resident, event="resident.action_done")
    return locked


def undo_complete(*, action: AgreedAction, by) -> AgreedAction:
    """Whoever ticked the action off takes it back within `AgreedAction.UNDO_MINUTES` (a
    mis-tap): it is open again. Later, or by anyone else, it is refused: the team may have
    acted on it. Taking back what was taken back already changes nothing."""
    with transaction.atomic():
        locked = _locked_action(action, by)
        resident = locked.resident
        if locked.status != AgreedAction.Status.DONE:
            return locked
        if locked.done_by_id != by.pk:
            raise Refused(
                _("Only whoever ticked this action off can take it back."), forbidden=True
            )
        if not locked.may_undo(user=by):
            raise Refused(
                _(
                    "Ticked off more than %(minutes)d minutes ago: it can no longer be taken "
                    "back. Tell the team if it was not done."
                )
                % {"minutes": AgreedAction.UNDO_MINUTES}
            )
        locked.status, locked.done_at, locked.done_by = AgreedAction.Status.OPEN, None, None
        locked.save(update_fields=["status", "done_at", "done_by"])
        send_resident_event_on_commit(resident=resident, event="resident.action_reopened")
    return locked


def _locked_action(action: AgreedAction, by) -> AgreedAction:
    """The action, locked (after its resident's trajectory, as every change of the record),
    if `by` may change it (a team member, or the linked carer who owns it) and the record is
    not closed."""
    trajectory = _locked_trajectory(action.resident)
    locked = (
        AgreedAction.objects.select_for_update(of=("self",))
        .select_related("owner_carer", "resident__team")
        .get(pk=action.pk)
    )
    if not _is_owning_carer(locked, by):
        require_member(team=locked.resident.team, user=by)
    if trajectory.is_closed:
        closed = _("This record is closed and can no longer be changed.")
        raise Refused(closed, field="transition")
    return locked


def _is_owning_carer(action: AgreedAction, by) -> bool:
    carer = action.owner_carer
    return (
        carer is not None
        and carer.user_id is not None
        and carer.user_id == getattr(by, "pk", None)
        and action.shared_with_carers
        and carer.links.active().filter(resident_id=action.resident_id).exists()
    )


# --- helpers ---------------------------------------------------------------------------


def _check_still_open(resident: Resident) -> None:
    """Lock the trajectory, as a move does, and refuse a record closed meanwhile: what is added
    while a colleague closes the record lands before the closing, or is refused."""
    if _locked_trajectory(resident).is_closed:
        raise ValidationError(_("This record is closed and can no longer be changed."))


def _locked_trajectory(resident: Resident) -> Trajectory:
    """The resident's trajectory as it is now, its row locked until the transaction ends (only
    that row: other moves in the team need not wait). It hangs on `resident`, so the checks of
    the move see the team the caller's access was checked on, and their roles on it are asked
    once (`policy.roles_on`)."""
    return _locked(resident, Trajectory.objects.all())


def _locked_with_meeting(resident: Resident) -> tuple[Trajectory, Meeting | None]:
    """`_locked_trajectory`, and the team's meeting that takes decisions now, read in the same
    query (`deciding_meetings` as a subquery: a decision outside a meeting costs no query)."""
    meeting_id = Subquery(deciding_meetings(team_id=resident.team_id).values("pk")[:1])
    trajectory = _locked(resident, Trajectory.objects.annotate(deciding_meeting_id=meeting_id))
    found = trajectory.deciding_meeting_id
    return trajectory, Meeting.objects.get(pk=found) if found is not None else None


def _locked(resident: Resident, trajectories) -> Trajectory:
    locked = trajectories.select_for_update().filter(resident_id=resident.pk)
    trajectory = next(iter(locked), None)  # (one per resident, no ORDER BY)
    if trajectory is None:
        raise Trajectory.DoesNotExist(f"resident {resident.pk} has no trajectory")
    trajectory.resident = resident
    return trajectory


def _confirmation_conflict(trajectory: Trajectory, step_up: StepChange) -> StateConflict:
    later = (
        trajectory.history.filter(pk__gt=step_up.pk).select_related("actor").order_by("-pk").first()
    )
    who = person_name(later.actor) if later else "?"
    message = _(
        "The urgent step-up you wanted to confirm was already confirmed or superseded by %(who)s. "
        "%(resident)s is now in “%(state)s”; check the new situation."
    ) % {
        "who": who,
        "resident": trajectory.resident.display_name,
        "state": trajectory.get_state_display(),
    }
    return StateConflict(message, current_state=trajectory.state)


def _conflict(trajectory: Trajectory) -> StateConflict:
    last = trajectory.history.select_related("actor").order_by("-at", "-pk").first()
    who = person_name(last.actor) if last else "?"
    when = date_format(timezone.localtime(last.at), "DATETIME_FORMAT") if last else ""
    message = _(
        "%(resident)s was moved to “%(state)s” by %(who)s (%(when)s) while you were working. "
        "Nothing was changed; check the new situation and try again."
    ) % {
        "resident": trajectory.resident.display_name,
        "state": trajectory.get_state_display(),
        "who": who,
        "when": when,
    }
    return StateConflict(message, current_state=trajectory.state)


def _announce(trajectory: Trajectory, change: StepChange) -> None:
    send_resident_event_on_commit(
        resident=trajectory.resident,
        event="resident.moved",
        state=trajectory.state,
        change=change.pk,
    )
