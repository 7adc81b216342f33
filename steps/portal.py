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
from steps.referrals import OfferKind, Referral, ReferralStatus
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


# A referral to a local offer, in plain words for the family (issue 18 §2): what kind of help,
# from whom, and how far it got. Never the provider's feedback (it may say how she is doing).
PLAIN_OFFER = {
    OfferKind.MEALS: _("the meal service"),
    OfferKind.MEETING_PLACE: _("the meeting place"),
    OfferKind.ODD_JOBS: _("the odd-jobs service"),
    OfferKind.PERSONAL_ALARM: _("the personal alarm service"),
    OfferKind.DAY_ACTIVITIES: _("the day activities"),
    OfferKind.WELFARE_COACH: _("a welfare coach"),
    OfferKind.CARER_SUPPORT: _("the support for carers"),
    OfferKind.FALL_PREVENTION: _("a course to prevent falls"),
    OfferKind.OTHER: _("an activity"),
}
PLAIN_REFERRAL = {
    ReferralStatus.PROPOSED: _(
        "The team proposes to register your family member with %(offer)s of %(provider)s."
    ),
    ReferralStatus.REGISTERED: _(
        "Your family member has been registered with %(offer)s of %(provider)s."
    ),
    ReferralStatus.STARTED: _("Your family member has started with %(offer)s of %(provider)s."),
    ReferralStatus.DECLINED: _("The registration with %(offer)s of %(provider)s did not go ahead."),
    ReferralStatus.STOPPED: _("Your family member has stopped with %(offer)s of %(provider)s."),
}


def plain_referral(referral: Referral) -> str:
    """The referral in one plain sentence: "Uw naaste is aangemeld bij de maaltijdservice van
    Tafeltje-dek-je." """
    offer = referral.offer
    return str(PLAIN_REFERRAL[ReferralStatus(referral.status)]) % {
        "offer": PLAIN_OFFER.get(offer.kind, PLAIN_OFFER[OfferKind.OTHER]),
        "provider": offer.provider,
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
    # a referral on a shared action: its plain sentence and the offer's public contact
    referrals = Referral.objects.filter(action__in=actions).select_related("offer")
    plain = {
        r.action_id: (plain_referral(r), r.offer, r.status == ReferralStatus.PROPOSED)
        for r in referrals
    }
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
            _with_referrals(actions.select_related("owner_member", "owner_carer"), plain),
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


def _with_referrals(actions, plain: dict) -> list[AgreedAction]:
    """Each action with `plain_referral` (the sentence, or '') and `referral_offer`, and
    `shows_due`: whether its owner and due date mean something is still to be done (not for
    a referral past "proposed": it was registered, or it is off)."""
    found = []
    for action in actions:
        sentence, offer, proposed = plain.get(action.pk, ("", None, True))
        action.plain_referral, action.referral_offer, action.shows_due = sentence, offer, proposed
        found.append(action)
    return found


def shared_own_goal(*, resident: Resident) -> OwnGoal | None:
    """Her own goal (the current version), only while carers may see her: the rule
    `clients.visibility.shares_with_carers` (the one `residents_for_carer` applies), asked
    again here where it is shown."""
    if not shares_with_carers(resident=resident):
        return None
    return resident.own_goals.order_by("-noted_at", "-pk").first()
