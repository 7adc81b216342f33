"""Meeting mode (MDO): the agenda, following the chair, and closing the meeting.

Each action is one transaction; the team's boards and meeting screens hear of it on commit.
Decisions themselves (moves, confirmations, reviews, goals, actions) are taken with the
services in `steps.services`; taken while a meeting is open, they carry the meeting. A resident
is *discussed* in a meeting when a decision about her was recorded with it (`decided_residents`);
opening her file in the meeting is not a decision.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.instruments import FRAILTY_INSTRUMENTS
from clients.models import Assessment, CarePlanning, Concern, CoordinatorChange, Resident
from clients.visibility import (
    can_see_resident,
    hidden_resident_ids,
    send_resident_event_on_commit,
)
from kernteam.events import send_team_event_on_commit
from kernteam.models import AgendaItem, AgendaReason, Meeting, on_the_team, text_limit
from kernteam.policy import require_member
from kernteam.refusals import Refused
from steps.medication import due as medication_review_due
from steps.medication import with_last_review
from steps.models import AgreedAction, Goal, StepChange, Trajectory
from steps.outcomes import since_last_meeting
from steps.referrals import Referral
from steps.states import PZP_EXPECTED, STEPS, State, held_step, review_owed


def plan_meeting(*, team, by, scheduled_for) -> Meeting:
    """The coordinator plans the team's next meeting, on a day in `Meeting.plannable` (else
    ValidationError, by field)."""
    meeting = Meeting(team=team, scheduled_for=scheduled_for)
    _require_coordinator(meeting, by, _("Only the team coordinator plans a meeting."))
    meeting.full_clean()
    meeting.save()
    return meeting


def agenda_candidates(*, meeting: Meeting) -> dict[int, list[str]]:
    """Residents the board puts on this meeting's agenda, each with why (in agenda order):
    new signals, screenings above the cut-off, reviews due by the meeting's date, urgent
    step-ups awaiting confirmation, carers' open concerns, referrals to a local offer without
    the provider's feedback (`Referral.objects.awaiting_feedback`), and residents whose care
    coordinator left the team (`coordinator_left`)."""
    day = timezone.localdate(meeting.scheduled_for)
    latest_screening = Assessment.objects.filter(
        resident=OuterRef("resident"), instrument__in=FRAILTY_INSTRUMENTS
    ).order_by("-assessed_on", "-pk")
    rows = (
        with_last_review(Trajectory.objects.filter(resident__team=meeting.team))
        .exclude(state=State.CLOSED)
        .annotate(screened_above=Subquery(latest_screening.values("above_cutoff")[:1]))
        .values_list(
            "resident_id",
            "state",
            "step_before_admission",
            "review_due",
            "pending_confirmation",
            "screened_above",
            "last_medication_review_on",
            "last_medicines_in_use",
        )
    )
    # residents holding step 3 or 4 are expected to have had a PZP conversation (PZP_EXPECTED)
    pzp = CarePlanning.objects.filter(resident__team=meeting.team)
    with_pzp = set(pzp.values_list("resident_id", flat=True))
    found: dict[int, set[str]] = {}
    for row in rows:
        resident_id, state, left, review_due, pending, screened_above, reviewed_on, medicines = row
        reasons = found.setdefault(resident_id, set())
        if state == State.SIGNALLED:
            reasons.add(AgendaReason.SIGNAL)
        if state == State.SCREENING and screened_above:
            reasons.add(AgendaReason.SCREENING)
        if review_owed(state=state, review_due=review_due, day=day):
            reasons.add(AgendaReason.REVIEW)
        if pending:
            reasons.add(AgendaReason.URGENT)
        held = held_step(state=state, step_before_admission=left)  # (admitted: the step left)
        if held in PZP_EXPECTED and resident_id not in with_pzp:
            reasons.add(AgendaReason.CARE_PLANNING)
        # (steps.medication: eligible, and none on record or overdue by the meeting's date)
        if medication_review_due(
            state=state,
            step_before_admission=left,
            last_reviewed_on=reviewed_on,
            medicines_in_use=medicines,
            day=day,
        ):
            reasons.add(AgendaReason.MEDICATION)
    concerned = Concern.objects.open().filter(resident__team=meeting.team)
    for resident_id in concerned.values_list("resident_id", flat=True):
        if resident_id in found:  # closed residents are not discussed
            found[resident_id].add(AgendaReason.CONCERN)
    events = since_last_meeting(team=meeting.team).filter(resident__team=meeting.team)
    for resident_id in events.values_list("resident_id", flat=True):
        if resident_id in found:
            found[resident_id].add(AgendaReason.EVENT)
    # a referral to a local offer whose provider's feedback is late by the meeting's date
    late = Referral.objects.awaiting_feedback(day).filter(action__resident__team=meeting.team)
    for resident_id in late.values_list("action__resident_id", flat=True):
        if resident_id in found:
            found[resident_id].add(AgendaReason.REFERRAL)
    for resident_id in coordinator_left(team=meeting.team).values_list("resident_id", flat=True):
        found.setdefault(resident_id, set()).add(AgendaReason.COORDINATOR_LEFT)
    order = list(AgendaReason.values)
    return {  # by first reason, then in the order residents came to the team
        pk: sorted(reasons, key=order.index)
        for pk, reasons in sorted(found.items(), key=lambda kv: (_first(kv[1], order), kv[0]))
        if reasons
    }


# Residents who have a care coordinator: in a step, or admitted (and returning to one).
COORDINATED = (*STEPS, State.ADMITTED)


def coordinator_left_q(
    *, resident: str = "resident", state: str = "state", besides: int | None = None
) -> Q:
    """The one rule of "care coordinator left": the resident (in a step, or admitted) has a
    care coordinator who is no longer a person on her team (`kernteam.models.on_the_team`): her
    membership ended (`kernteam.members`) or her account was switched off. The team names a new
    one (`AgendaReason.COORDINATOR_LEFT`, the board's flag). On trajectories by default; on
    residents with `resident=""`, `state="trajectory__state"`. `besides`: as if this membership
    had ended (what ending it would leave)."""

    def at(name: str) -> str:
        return f"{resident}__{name}" if resident else name

    return Q(**{at("coordinator__isnull"): False, f"{state}__in": COORDINATED}) & ~on_the_team(
        team=OuterRef(at("team")), user=OuterRef(at("coordinator")), besides=besides
    )


def coordinator_left(*, team):
    """The trajectories of the team's residents whose care coordinator left
    (`coordinator_left_q`)."""
    return Trajectory.objects.filter(resident__team=team).filter(coordinator_left_q())


def _first(reasons: set[str], order: list[str]) -> int:
    return min((order.index(r) for r in reasons), default=len(order))


def prepare_agenda(*, meeting: Meeting, by) -> int:
    """Put what the board asks for on the agenda, after what is there already. Items already
    on it keep their place and gain any new reason. Returns the number of residents added."""
    _require_coordinator(meeting, by)
    with transaction.atomic():
        locked = _locked_open_for_agenda(meeting)
        existing = {item.resident_id: item for item in locked.agenda.all()}
        position = max((item.position for item in existing.values()), default=0)
        added = 0
        for resident_id, reasons in agenda_candidates(meeting=locked).items():
            item = existing.get(resident_id)
            if item is None:
                position += 1
                AgendaItem.objects.create(
                    meeting=locked, resident_id=resident_id, position=position, reasons=reasons
                )
                added += 1
            elif set(reasons) - set(item.reasons):
                item.reasons = [r for r in AgendaReason.values if r in {*reasons, *item.reasons}]
                item.save(update_fields=["reasons"])
        _announce(locked, "meeting.agenda")
    return added


def open_meeting(*, meeting: Meeting, by, attendees=()) -> Meeting:
    """The coordinator opens a planned meeting and chairs it; the agenda is brought up to date.
    Decisions taken in it (today) are team decisions (`kernteam.models.deciding_meeting`).
    `attendees`: who is present (user ids); only the team's members count, and the chair is."""
    _require_coordinator(meeting, by, _("Only the team coordinator opens a meeting."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != Meeting.Status.PLANNED:
            raise Refused(_("Only a planned meeting can be opened."))
        locked.status, locked.chair, locked.opened_at = Meeting.Status.OPEN, by, timezone.now()
        locked.save(update_fields=["status", "chair", "opened_at"])
        members = {user.pk for user in team_members(team=locked.team)}
        locked.attendees.set((_user_ids(attendees) & members) | {by.pk})
        prepare_agenda(meeting=locked, by=by)
        _announce(locked, "meeting.opened")
    return locked


def close_meeting(*, meeting: Meeting, by) -> Meeting:
    """The coordinator closes the meeting in progress: that ends the team decisions, and what
    was decided in it is its minutes."""
    _require_coordinator(meeting, by, _("Only the team coordinator closes a meeting."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != Meeting.Status.OPEN:
            raise Refused(_("Only a meeting in progress can be closed."))
        locked.status, locked.closed_at = Meeting.Status.CLOSED, timezone.now()
        locked.focus = locked.presenter = None
        locked.save(update_fields=["status", "closed_at", "focus", "presenter"])
        _announce(locked, "meeting.closed")
    return locked


def add_to_agenda(*, meeting: Meeting, by, resident: Resident, question: str) -> AgendaItem:
    """Any member raises a resident with a question. A resident already on the agenda keeps
    their place; the question is added to it."""
    require_member(
        team=meeting.team,
        user=by,
        message=_("Only members of this kernteam can add to its agenda."),
    )
    if resident.team_id != meeting.team_id or resident.is_closed:
        raise Refused(_("Choose an active resident of this kernteam."))
    question = (question or "").strip()
    if not question:
        raise Refused(_("Say what you want the team to discuss."))
    with transaction.atomic():
        locked = _locked_open_for_agenda(meeting)
        item = locked.agenda.filter(resident=resident).first()
        if item is None:
            last = locked.agenda.aggregate(last=Max("position"))["last"] or 0
            item = AgendaItem(meeting=locked, resident=resident, position=last + 1, reasons=[])
        if AgendaReason.QUESTION not in item.reasons:
            item.reasons = [*item.reasons, AgendaReason.QUESTION]
        item.question = f"{item.question}\n{question}".strip()
        if len(item.question) > (limit := text_limit(AgendaItem, "question")):
            raise Refused(
                _(
                    "The questions about this resident may together be %(limit)d characters "
                    "long; shorten yours or add it to the question already there."
                )
                % {"limit": limit}
            )
        item.added_by = item.added_by or by
        item.save()
        _announce(locked, "meeting.agenda")
    return item


def move_agenda_item(*, item: AgendaItem, by, direction: str) -> None:
    """The coordinator moves an item one place up or down; at either end nothing changes."""
    meeting = item.meeting
    _require_coordinator(meeting, by)
    with transaction.atomic():
        _locked_open_for_agenda(meeting)
        items = list(meeting.agenda.order_by("position", "pk"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(items):
            return
        items[index], items[other] = items[other], items[index]
        for position, each in enumerate(items, start=1):
            if each.position != position:
                each.position = position
                each.save(update_fields=["position"])
        _announce(meeting, "meeting.agenda")


def presentable(*, meeting: Meeting, user, resident_ids: Iterable[int]) -> set[int]:
    """Of these residents (ones `user` may see), those `user` may put on the room's screens.
    The chair presents; another member presents only a resident the chair may not see (their
    consent does not cover the chair's discipline), so that the room can still discuss them.
    Anyone else who opens a resident during the meeting opens them on their own screen only."""
    ids = set(resident_ids)
    if not meeting.is_open or meeting.chair_id is None:
        return set()
    if meeting.chair_id == user.pk:
        return ids
    return ids & hidden_resident_ids(user=meeting.chair, team=meeting.team)


def focus_on(*, meeting: Meeting, by, resident: Resident) -> Meeting:
    """`by` presents a resident (`presentable`): members who follow see the same panel, or,
    when they may not see her, that someone is presented they may not see; the resident's
    agenda item shows it was opened (the first time). Opening is not discussing: that takes a
    decision (`decided_residents`). Two presenting at once: the later one stands, and every
    follower shows what the meeting presents then (it asks, it does not replay events). A
    meeting closed meanwhile presents nothing."""
    require_member(
        team=meeting.team,
        user=by,
        message=_("Only members of this kernteam present in its meeting."),
    )
    if not meeting.is_open:
        raise Refused(_("The meeting is not in progress."))
    if resident.team_id != meeting.team_id:
        raise Refused(_("Choose a resident of this kernteam."))
    if not can_see_resident(user=by, resident=resident):
        raise Refused(
            _(
                "You cannot present this resident: their consent does not cover your "
                "discipline. A member whose discipline it covers can present them."
            ),
            forbidden=True,
        )
    if resident.pk not in presentable(meeting=meeting, user=by, resident_ids=[resident.pk]):
        raise Refused(
            _(
                "The chair presents this resident; you have opened them on your own screen. "
                "A member presents only a resident the chair may not see."
            ),
            forbidden=True,
        )
    with transaction.atomic():
        still_open = Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.OPEN)
        if not still_open.update(focus=resident, presenter=by):  # (closed meanwhile)
            raise Refused(_("The meeting is not in progress."))
        meeting.focus, meeting.presenter = resident, by
        meeting.agenda.filter(resident=resident, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
        send_resident_event_on_commit(resident=resident, event="meeting.focus", meeting=meeting.pk)
    return meeting


def set_attendees(*, meeting: Meeting, by, attendees: Iterable[object]) -> Meeting:
    """The chair (the team coordinator) corrects who is present while the meeting is in
    progress: someone came late, or left. Only the team's members count; the chair always
    does. The minutes list them."""
    _require_coordinator(meeting, by, _("Only the team coordinator records who is present."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.status != Meeting.Status.OPEN:
            raise Refused(_("Who is present is recorded while the meeting is in progress."))
        members = {user.pk for user in team_members(team=locked.team)}
        present = _user_ids(attendees) & members
        locked.attendees.set(present | {locked.chair_id or by.pk})
        _announce(locked, "meeting.attendees")
    return locked


def _user_ids(values: Iterable[object]) -> set[int]:
    """User ids from form input; anything that is not a plain number is ignored."""
    return {int(pk) for pk in map(str, values) if pk.isascii() and pk.isdigit()}


def team_members(*, team) -> list:
    """The people on the team (`Team.people`: no integration account), by name (each once),
    for the attendance list."""
    users = get_user_model().objects.filter(pk__in=team.people().values("user_id"))
    return list(users.distinct().order_by("first_name", "last_name", "pk"))


def decided_residents(*, meeting: Meeting) -> set[int]:
    """The residents about whom a decision was recorded with `meeting`: a move, a confirmation
    or a review (history rows), a goal, an agreed action, a carer's concern handled, a care
    coordinator named. The
    agenda's "discussed" and the minutes' entries read the same records. One query (a UNION)."""
    rows = (
        StepChange.objects.filter(meeting=meeting)
        .order_by()
        .values_list("trajectory__resident_id")
        .union(
            Goal.objects.filter(meeting=meeting).order_by().values_list("resident_id"),
            AgreedAction.objects.filter(meeting=meeting).order_by().values_list("resident_id"),
            Concern.objects.filter(handled_in=meeting).order_by().values_list("resident_id"),
            CoordinatorChange.objects.filter(meeting=meeting).order_by().values_list("resident_id"),
        )
    )
    return {resident_id for (resident_id,) in rows}


def _require_coordinator(meeting: Meeting, by, message: str = "") -> None:
    if not meeting.is_coordinator(by):
        message = message or _("Only the team coordinator sets the agenda.")
        raise Refused(message, forbidden=True)


def _locked_open_for_agenda(meeting: Meeting) -> Meeting:
    """The meeting, locked against a concurrent change of its agenda; refused once closed."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status == Meeting.Status.CLOSED:
        raise Refused(_("This meeting is closed; its agenda can no longer change."))
    return locked


def _announce(meeting: Meeting, what: str) -> None:
    send_team_event_on_commit(team_id=meeting.team_id, event={"type": what, "meeting": meeting.pk})
