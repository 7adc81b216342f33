"""EpisodeOfCare: the stepped-care trajectory, with every move it made.

`status` and `statusHistory` give the coarse FHIR view (planned / active / onhold / finished).
The full history, which FHIR has no element for, is one `step-change` extension per StepChange
row, in order, with these sub-extensions (absent when the row has no value):

    identifier     valueIdentifier  the row's id (NamingSystem step-change-id)
    kind           valueCoding      CodeSystem step-change-kind (signal, step_up, admit, ...)
    from           valueCoding      CodeSystem stepped-care-state (absent for the first signal)
    to             valueCoding      CodeSystem stepped-care-state
    at             valueDateTime    when
    actor          valueReference   the Practitioner who made the move
    actorRole      valueCoding      CodeSystem team-role (the role the actor acted in)
    reason         valueString      why, as recorded
    meeting        valueReference   logical reference (identifier meeting-id) to the MDO
    confirms       valueIdentifier  for a confirmation: the urgent step-up it confirms
    closureReason  valueCoding      CodeSystem closure-reason; on every close (see below)

A closed episode always carries its closure reason, on its close move. A close row without
one (rows written before StepChange.closure_reason existed, or by the demo seeder before issue
15; the history is append-only, so they are not rewritten) takes the trajectory's own closure
reason when it is the close in force, and else says it is not known: v3-NullFlavor UNK.
"""

from __future__ import annotations

from django.utils import timezone

from clients.models import Resident
from steps.fhir.codes import (
    CS_CLOSURE_REASON,
    CS_MOVE_KIND,
    CS_TEAM_ROLE,
    EPISODE_STATUS,
    EXT_REVIEW_DUE,
    EXT_STEP_CHANGE,
    UNKNOWN_CLOSURE_REASON,
    Coding,
    coding,
    concept,
    naming_system,
    state_coding,
)
from steps.fhir.context import Resource, Shared, care_team_ref, date_time, patient_ref
from steps.models import Kind, StepChange, Trajectory
from steps.states import ClosureReason, State


def episode_of_care(*, trajectory: Trajectory, resident: Resident, shared: Shared) -> Resource:
    moves = list(trajectory.history.all())
    extensions = [
        move_extension(
            change=change,
            shared=shared,
            closure=closure_reason(change=change, trajectory=trajectory, last=change is moves[-1]),
        )
        for change in moves
    ]
    if trajectory.review_due:
        extensions.append({"url": EXT_REVIEW_DUE, "valueDate": trajectory.review_due.isoformat()})
    resource: Resource = {
        "resourceType": "EpisodeOfCare",
        "id": f"trajectory-{trajectory.pk}",
        "identifier": [{"system": naming_system("trajectory-id"), "value": str(trajectory.pk)}],
        "status": EPISODE_STATUS[trajectory.state],
        "type": [concept(state_coding(trajectory.state), text=State(trajectory.state).label)],
        "patient": patient_ref(resident),
        "team": [care_team_ref(resident)],
    }
    if extensions:
        resource["extension"] = extensions
    if history := status_history(moves):
        resource["statusHistory"] = history
    if moves:
        period = {"start": date_time(moves[0].at)}
        if trajectory.is_closed:
            period["end"] = date_time(moves[-1].at)
        resource["period"] = period
    if resident.coordinator_id:
        resource["careManager"] = shared.practitioner(resident.coordinator)
    return resource


def status_history(moves: list[StepChange]) -> list[dict[str, object]]:
    """One entry per run of moves with the same FHIR status; each period runs from the first
    move of the run to the first move of the next run (open for the current status)."""
    history: list[dict[str, object]] = []
    for change in moves:
        status = EPISODE_STATUS[change.to_state]
        if history and history[-1]["status"] == status:
            continue
        if history:
            history[-1]["period"]["end"] = date_time(change.at)
        history.append({"status": status, "period": {"start": date_time(change.at)}})
    return history


def closure_reason(*, change: StepChange, trajectory: Trajectory, last: bool) -> Coding | None:
    """The closure reason of a move: its own; for a close without one, the trajectory's when
    this close is the one in force (`last`), else UNK; None for other moves."""
    reason = change.closure_reason
    if not reason and change.kind == Kind.CLOSE and last and trajectory.is_closed:
        reason = trajectory.closure_reason
    if reason:
        return coding(CS_CLOSURE_REASON, reason, ClosureReason(reason).label)
    return UNKNOWN_CLOSURE_REASON if change.kind == Kind.CLOSE else None


def move_extension(
    *, change: StepChange, shared: Shared, closure: Coding | None = None
) -> dict[str, object]:
    parts: list[dict[str, object]] = [
        {"url": "identifier", "valueIdentifier": _id("step-change-id", change.pk)},
        {"url": "kind", "valueCoding": coding(CS_MOVE_KIND, change.kind, Kind(change.kind).label)},
    ]
    if change.from_state:
        parts.append({"url": "from", "valueCoding": state_coding(change.from_state)})
    parts += [
        {"url": "to", "valueCoding": state_coding(change.to_state)},
        {"url": "at", "valueDateTime": date_time(change.at)},
        {"url": "actor", "valueReference": shared.practitioner(change.actor)},
    ]
    if change.actor_role:
        role = coding(CS_TEAM_ROLE, change.actor_role, change.get_actor_role_display())
        parts.append({"url": "actorRole", "valueCoding": role})
    if change.reason:
        parts.append({"url": "reason", "valueString": change.reason})
    if change.meeting_id:
        parts.append({"url": "meeting", "valueReference": _meeting(change.meeting)})
    if change.confirms_id:
        confirms = _id("step-change-id", change.confirms_id)
        parts.append({"url": "confirms", "valueIdentifier": confirms})
    if closure:
        parts.append({"url": "closureReason", "valueCoding": closure})
    return {"url": EXT_STEP_CHANGE, "extension": parts}


def _id(kind: str, pk: int) -> dict[str, str]:
    return {"system": naming_system(kind), "value": str(pk)}


def _meeting(meeting) -> dict[str, object]:
    when = timezone.localtime(meeting.scheduled_for).date().isoformat()
    return {"identifier": _id("meeting-id", meeting.pk), "display": f"MDO {when}"}
