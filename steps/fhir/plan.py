"""CareTeam, CarePlan, Goal and Task: who is around the resident and what they agreed."""

from __future__ import annotations

from clients.fhir_refs import patient_id
from clients.models import Resident
from steps.fhir.codes import (
    CS_CARE_PLAN,
    CS_DOMAIN,
    EXT_SHARED_WITH_CARERS,
    GOAL_ACHIEVEMENT,
    carer_concept,
    coding,
    concept,
    naming_system,
    role_concept,
)
from steps.fhir.context import (
    Resource,
    Shared,
    care_plan_id,
    care_plan_ref,
    care_team_id,
    care_team_ref,
    date_time,
    goal_ref,
    local_date,
    patient_ref,
    task_ref,
)
from steps.models import AgreedAction, Domain, Goal

GOAL_STATUS = {
    Goal.Status.OPEN: "active",
    Goal.Status.ACHIEVED: "completed",
    Goal.Status.DROPPED: "cancelled",
}
TASK_STATUS = {
    AgreedAction.Status.OPEN: "requested",
    AgreedAction.Status.DONE: "completed",
    AgreedAction.Status.CANCELLED: "cancelled",
}


def care_team(*, resident: Resident, is_open: bool, shared: Shared) -> Resource:
    """The kernteam around the resident: one participant per active membership (a person with
    two roles appears twice), and the carers linked now. One CareTeam per resident, so its
    identifier is the resident's (NamingSystem care-team-id, value `resident-<id>`), never the
    team's: a server that matches by identifier finds exactly this one."""
    team = resident.team
    participants = [
        {
            "role": [role_concept(membership.role)],
            "member": shared.practitioner(membership.user),
            "period": {"start": membership.started_on.isoformat()},
        }
        for membership in team.fhir_memberships
    ]
    for link in resident.carer_links.all():
        if link.ended_on is None:
            participants.append(
                {
                    "role": [carer_concept()],
                    "member": shared.related_person(carer=link.carer, resident=resident),
                    "period": {"start": link.since.isoformat()},
                }
            )
    resource: Resource = {
        "resourceType": "CareTeam",
        "id": care_team_id(resident),
        "identifier": [{"system": naming_system("care-team-id"), "value": patient_id(resident.pk)}],
        "status": "active" if is_open else "inactive",
        "name": team.name,
        "subject": patient_ref(resident),
    }
    if participants:
        resource["participant"] = participants
    return resource


def care_plan(*, resident: Resident, status: str) -> Resource:
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": care_plan_id(resident),
        "status": status,
        "intent": "plan",
        "category": [
            concept(coding(CS_CARE_PLAN, "stepped-care", "Kernteam Ouderen stepped care plan"))
        ],
        "subject": patient_ref(resident),
        "careTeam": [care_team_ref(resident)],
    }
    if goals := [goal_ref(g.pk) for g in resident.goals.all()]:
        resource["goal"] = goals
    if activities := [{"reference": task_ref(a.pk)} for a in resident.actions.all()]:
        resource["activity"] = activities
    return resource


def goal(*, goal: Goal, resident: Resident, shared: Shared) -> Resource:
    resource: Resource = {
        "resourceType": "Goal",
        "id": f"goal-{goal.pk}",
        "identifier": [{"system": naming_system("goal-id"), "value": str(goal.pk)}],
        "lifecycleStatus": GOAL_STATUS[goal.status],
        "category": [concept(coding(CS_DOMAIN, goal.domain, Domain(goal.domain).label))],
        "description": {"text": goal.description},
        "subject": patient_ref(resident),
        "startDate": local_date(goal.created_at),
        "expressedBy": shared.practitioner(goal.created_by),
    }
    if goal.status == Goal.Status.ACHIEVED:
        resource["achievementStatus"] = concept(coding(GOAL_ACHIEVEMENT, "achieved", "Achieved"))
    return resource


def task(*, action: AgreedAction, resident: Resident, shared: Shared) -> Resource:
    """An agreed action (afspraak). The owner is a Practitioner or the carer's RelatedPerson
    (whose display says so when the carer is no longer linked to the resident: that
    RelatedPerson is inactive, with the link's end); the due date is the restriction's end;
    done_at ends the execution period."""
    if action.owner_member_id:
        owner = shared.practitioner(action.owner_member)
    else:
        owner = shared.related_person(
            carer=action.owner_carer, resident=resident, say_if_unlinked=True
        )
    resource: Resource = {
        "resourceType": "Task",
        "id": f"action-{action.pk}",
        "extension": [{"url": EXT_SHARED_WITH_CARERS, "valueBoolean": action.shared_with_carers}],
        "identifier": [{"system": naming_system("action-id"), "value": str(action.pk)}],
        "basedOn": [care_plan_ref(resident)],
        "status": TASK_STATUS[action.status],
        "intent": "plan",
        "description": action.description,
        "for": patient_ref(resident),
        "authoredOn": date_time(action.created_at),
        "requester": shared.practitioner(action.created_by),
        "owner": owner,
        "restriction": {"period": {"end": action.due_on.isoformat()}},
    }
    if action.goal_id:
        resource["reasonReference"] = goal_ref(action.goal_id)
    if action.status == AgreedAction.Status.DONE and action.done_at:
        resource["executionPeriod"] = {"end": date_time(action.done_at)}
    return resource
