"""What a carer sees of a resident they are linked to (and allowed to see): the step in plain
words, the actions shared with carers, who the coordinator is and how to reach them, and when
the team looks again. Never scores, notes, other carers or unshared actions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.care_planning_services import WishesSummary, shared_summary
from clients.models import Carer, Resident
from clients.visibility import residents_for_carer, shares_with_carers
from kernteam.models import person_name
from steps.board import review_overdue
from steps.models import AgreedAction
from steps.own_goal import OwnGoal
from steps.states import State

# B1-level Dutch (through gettext): what each step means for the family.
PLAIN_STEP = {
    State.SIGNALLED: _(
        "Someone has told the team about your family member. The team will look at what is needed."
    ),
    State.SCREENING: _(
        "The team is looking at how your family member is doing, with a few questions and checks."
    ),
    State.STEP1: _(
        "Your family member is doing fairly well. "
        "The team keeps an eye on things, and helps to stay fit and active."
    ),
    State.STEP2: _(
        "Your family member needs more support. "
        "One care coordinator keeps an overview and makes agreements with everyone."
    ),
    State.STEP3: _(
        "Your family member needs a lot of care. "
        "More care providers work together, often with a specialist in elderly care."
    ),
    State.STEP4: _(
        "Your family member needs intensive care at home, "
        "or is waiting for a place with long-term care."
    ),
    State.ADMITTED: _(
        "Your family member is staying in hospital or a care home for a while. "
        "The team will look again when they are home."
    ),
    State.CLOSED: _("The team has finished its support."),
}


@dataclass
class CarerView:
    resident: Resident
    step: str
    plain_step: str
    actions: list[AgreedAction]  # shared with carers, open first
    coordinator_name: str
    coordinator_phone: str
    coordinator_email: str
    review_due: datetime.date | None  # when the team looks again at the latest
    carer: Carer
    review_overdue: bool = False  # that day has passed: the team looks again soon
    # the summary of wishes from advance care planning, when the GP shared it (else None)
    wishes: WishesSummary | None = None
    # what matters to her in her own words, when the consent in force shares with carers
    own_goal: OwnGoal | None = None

    def is_mine(self, action: AgreedAction) -> bool:
        return action.owner_carer_id == self.carer.pk


def carer_views(*, user) -> list[CarerView]:
    """Each resident the carer may see now (see `kernteam.policy.residents_for_carer`)."""
    views = []
    for carer, resident in residents_for_carer(user=user):
        views.append(carer_view(carer=carer, resident=resident))
    return views


def carer_view(*, carer: Carer, resident: Resident) -> CarerView:
    trajectory = resident.trajectory
    actions = resident.actions.filter(shared_with_carers=True).exclude(
        status=AgreedAction.Status.CANCELLED
    )
    coordinator = resident.coordinator  # (read with the resident: a change shows at once)
    # a coordinator with several roles on the team: the phone number any of them records
    membership = (
        resident.team.memberships.active().filter(user=coordinator).exclude(phone="").first()
        if coordinator
        else None
    )
    return CarerView(
        resident=resident,
        step=trajectory.get_state_display(),
        plain_step=str(PLAIN_STEP[State(trajectory.state)]),
        actions=sorted(
            actions.select_related("owner_member", "owner_carer"),
            key=lambda a: (a.status != AgreedAction.Status.OPEN, a.due_on),
        ),
        coordinator_name=person_name(coordinator),
        coordinator_phone=membership.phone if membership else "",
        coordinator_email=coordinator.email if coordinator else "",
        review_due=trajectory.review_due,
        carer=carer,
        review_overdue=review_overdue(trajectory, timezone.localdate()),
        wishes=shared_summary(resident=resident),
        own_goal=shared_own_goal(resident=resident),
    )


def shared_own_goal(*, resident: Resident) -> OwnGoal | None:
    """Her own goal (the current version), only while carers may see her: the rule
    `clients.visibility.shares_with_carers` (the one `residents_for_carer` applies), asked
    again here where it is shown."""
    if not shares_with_carers(resident=resident):
        return None
    return resident.own_goals.order_by("-noted_at", "-pk").first()
