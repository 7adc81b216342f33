"""A resident's own goal, medication reviews and advance care planning (PZP), planned after
her history and care plan so that their dates fit both.

Rates (of residents, by the highest step they reached): the own goal for 85% of those who
reached step 2 and a quarter of those only in step 1; medication reviews for three in four of
the frail (who reached step 2), one in eight overdue and one in eight without any; a
PZP for 70% of those who reached step 3 or 4 (85% of those who died), 20% in step 2 and a few
in step 1, a quarter of the conversations shared with the carers (by the GP).
"""

from __future__ import annotations

import datetime
import random

from clients.care_planning import RECORDERS as PZP_RECORDERS
from clients.care_planning import (
    Capacity,
    CarePlanning,
    Decision,
    Limit,
    Participant,
    Place,
    RepresentativeKind,
)
from clients.medication import MedicationReview, Reviewer
from demo import texts
from demo.context import TeamContext
from demo.data import R, S
from demo.drafts import Draft
from demo.helpers import User, local_datetime, random_day, weighted, working_time
from demo.history import Hop
from kernteam.models import primary_role
from steps.models import Goal, Kind
from steps.own_goal import OwnGoal
from steps.states import ClosureReason

# --- the resident's own goal ----------------------------------------------------------------


def plan_own_goal(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    """What matters to her, noted when her care plan started (just before its goals); goals
    in the same domain serve it. Now and then a second version, later."""
    start = draft.care_hop
    if start is None:
        start = draft.first(Kind.ENTER)
        if start is None or rng.random() >= 0.25:
            return
    elif rng.random() >= 0.85:
        return
    by = draft.resident.coordinator or start.actor
    open_goals = [g for g in draft.goals if g.status == Goal.Status.OPEN]
    if open_goals and rng.random() < 0.7:
        domain = rng.choice(open_goals).domain
        text = rng.choice(texts.OWN_GOALS[domain])
        for goal in draft.goals:
            goal.serves_own_goal = goal.domain == domain
    else:
        text = rng.choice(texts.OWN_GOALS_OTHER)
    noted_at = start.at - datetime.timedelta(minutes=4)
    draft.own_goals.append(
        OwnGoal(resident=draft.resident, text=text, noted_by=by, noted_at=noted_at)
    )
    last = min(draft.end_day, ctx.today) - datetime.timedelta(days=1)
    first = start.day + datetime.timedelta(days=30)
    if first <= last and rng.random() < 0.2:
        pool = [t for t in texts.OWN_GOALS_OTHER if t != text]
        later = working_time(rng, random_day(rng, first, last))
        draft.own_goals.append(
            OwnGoal(resident=draft.resident, text=rng.choice(pool), noted_by=by, noted_at=later)
        )


# --- medication reviews ---------------------------------------------------------------------

REVIEWER_WEIGHTS: dict[str, int] = {
    Reviewer.PHARMACIST: 4, Reviewer.GP: 3, Reviewer.POH: 2, Reviewer.ELDERLY_CARE_PHYSICIAN: 1,
}  # fmt: skip
# Who records a review, by reviewer (a pharmacist's review is recorded by the GP or the POH).
RECORDED_BY: dict[str, tuple[str, ...]] = {
    Reviewer.PHARMACIST: (R.GP, R.POH),
    Reviewer.GP: (R.GP,),
    Reviewer.POH: (R.POH,),
    Reviewer.ELDERLY_CARE_PHYSICIAN: (R.ELDERLY_CARE_PHYSICIAN,),
}


def reached_complex(draft: Draft) -> bool:
    return any(h.target in (S.STEP3, S.STEP4) for h in draft.hops)


def plan_medication_reviews(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    """The frail (step 2 and up, now or before): most reviewed in the past year, some overdue,
    some never. In step 1 only: a few, some of them on ten or more medicines."""
    screen = draft.first(Kind.SCREEN)
    if screen is None or draft.first(Kind.ENTER) is None:
        return
    frail = draft.care_hop is not None  # (step 2 and up: `steps.medication`)
    roll = rng.random()
    if frail:
        low, high = (7, 16) if reached_complex(draft) else (5, 13)
        recent, overdue = roll < 0.75, 0.75 <= roll < 0.88
    else:
        low, high = 3, 12
        recent, overdue = roll < 0.2, 0.2 <= roll < 0.25
        if overdue:
            low = 10  # on ten or more: eligible (`steps.medication`)
    last = min(draft.end_day, ctx.today) - datetime.timedelta(days=1)
    if recent:
        first = max(
            draft.hops[0].day - datetime.timedelta(days=90),
            ctx.today - datetime.timedelta(days=350),
        )
        day = random_day(rng, min(first, last), last)
        if rng.random() < 0.3:  # and the one before it
            earlier = day - datetime.timedelta(days=rng.randint(330, 420))
            review(ctx, rng, draft, screen, earlier, rng.randint(low, high) + 1)
        review(ctx, rng, draft, screen, day, rng.randint(low, high))
    elif overdue:
        day = min(ctx.today - datetime.timedelta(days=rng.randint(380, 640)), last)
        review(ctx, rng, draft, screen, day, rng.randint(low, high))


def review(
    ctx: TeamContext,
    rng: random.Random,
    draft: Draft,
    screen: Hop,
    day: datetime.date,
    medicines: int,
) -> None:
    """A review on `day`, recorded that day, or (if done before the team knew her: taken over
    from the practice's file) when her consent was recorded."""
    weights = dict(REVIEWER_WEIGHTS)
    if reached_complex(draft):
        weights[Reviewer.ELDERLY_CARE_PHYSICIAN] = 3
    reviewer = weighted(rng, weights)
    recorded_at = max(working_time(rng, day), screen.at + datetime.timedelta(minutes=15))
    draft.reviews.append(
        MedicationReview(
            resident=draft.resident,
            reviewed_on=day,
            reviewer=reviewer,
            medicines_in_use=max(0, medicines),
            note=rng.choice(texts.MEDICATION_NOTES),
            recorded_by=ctx.staff[rng.choice(RECORDED_BY[reviewer])],
            recorded_at=recorded_at,
        )
    )


# --- advance care planning (PZP) ------------------------------------------------------------

# A resident's stance on treatment: decision weights per limit (yes, no, not discussed).
STANCES: dict[str, dict[str, tuple[int, int, int]]] = {
    "comfort": {
        Limit.RESUSCITATION: (0, 1, 0), Limit.VENTILATION: (0, 1, 0), Limit.ICU: (0, 1, 0),
        Limit.HOSPITAL: (2, 6, 2), Limit.ANTIBIOTICS: (6, 2, 2), Limit.TUBE_FEEDING: (0, 8, 2),
        Limit.BLOOD_TRANSFUSION: (2, 3, 5),
    },
    "selective": {
        Limit.RESUSCITATION: (3, 7, 0), Limit.VENTILATION: (0, 7, 3), Limit.ICU: (0, 6, 4),
        Limit.HOSPITAL: (8, 0, 2), Limit.ANTIBIOTICS: (1, 0, 0), Limit.TUBE_FEEDING: (0, 5, 5),
        Limit.BLOOD_TRANSFUSION: (5, 0, 5),
    },
    "full": {
        Limit.RESUSCITATION: (1, 0, 0), Limit.VENTILATION: (5, 0, 5), Limit.ICU: (5, 0, 5),
        Limit.HOSPITAL: (1, 0, 0), Limit.ANTIBIOTICS: (1, 0, 0), Limit.TUBE_FEEDING: (0, 0, 1),
        Limit.BLOOD_TRANSFUSION: (1, 0, 1),
    },
}  # fmt: skip
STANCE_WEIGHTS: dict[str, int] = {"comfort": 45, "selective": 40, "full": 15}
PLACE_OF_CARE: dict[str, int] = {Place.HOME: 70, Place.CARE_HOME: 20, Place.NOT_DISCUSSED: 10}
PLACE_OF_DEATH: dict[str, int] = {
    Place.HOME: 55, Place.HOSPICE: 15, Place.CARE_HOME: 12, Place.HOSPITAL: 3,
    Place.NOT_DISCUSSED: 15,
}  # fmt: skip
PZP_RECORDER_WEIGHTS: dict[str, int] = {R.GP: 5, R.POH: 3, R.ELDERLY_CARE_PHYSICIAN: 2}


def pzp_chance(draft: Draft) -> float:
    if draft.care_hop is None:
        return 0.04 if draft.first(Kind.ENTER) is not None else 0.0
    if draft.outcome.closure_reason == ClosureReason.DECEASED:
        return 0.85
    return 0.7 if reached_complex(draft) else 0.2


def plan_care_planning(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    """A PZP conversation after the care plan started (or step 1 began), and now and then a
    second one, later: a new version."""
    if rng.random() >= pzp_chance(draft):
        return
    start = draft.care_hop or draft.first(Kind.ENTER)
    assert start is not None
    last = min(draft.end_day, ctx.today) - datetime.timedelta(days=1)
    held_on = random_day(rng, start.day, last)
    stance = weighted(rng, STANCE_WEIGHTS)
    draft.care_plannings.append(conversation(ctx, rng, draft, held_on, stance))
    first = held_on + datetime.timedelta(days=30)
    if first <= last and rng.random() < 0.25:
        stance = "comfort" if stance != "full" else "selective"
        draft.care_plannings.append(
            conversation(ctx, rng, draft, random_day(rng, first, last), stance)
        )


def conversation(
    ctx: TeamContext, rng: random.Random, draft: Draft, held_on: datetime.date, stance: str
) -> CarePlanning:
    consent = draft.consents[0] if draft.consents else None
    shares = bool(draft.carers and consent and consent.share_with_carers)
    shared = shares and rng.random() < 0.45
    recorder_role = R.GP if shared else weighted(rng, PZP_RECORDER_WEIGHTS)
    by: User = ctx.staff[recorder_role]
    capacity = _capacity(rng, draft.dementia)
    name, relationship, kind = _representative(ctx, rng, draft, capacity)
    participants = [Participant.RESIDENT.value]
    if name:
        participants.append(Participant.REPRESENTATIVE.value)
    if draft.carers and rng.random() < 0.6:
        participants.append(Participant.CARER.value)
    participants.append(str(recorder_role))
    if recorder_role != R.GP and rng.random() < 0.4:
        participants.append(str(R.GP))
    limits = {}
    for code, weights in STANCES[stance].items():
        decision = rng.choices(
            (Decision.YES, Decision.NO, Decision.NOT_DISCUSSED), weights=weights
        )[0]
        note = texts.PZP_LIMIT_NOTES.get(code, "") if rng.random() < 0.3 else ""
        limits[str(code)] = {"decision": str(decision), "note": note}
    no_resuscitation = limits[Limit.RESUSCITATION]["decision"] == Decision.NO
    return CarePlanning(
        resident=draft.resident,
        held_on=held_on,
        participants=participants,
        capacity=capacity,
        representative_name=name,
        representative_relationship=relationship,
        representative_kind=kind,
        limits=limits,
        place_of_care=weighted(rng, PLACE_OF_CARE),
        place_of_death=weighted(rng, PLACE_OF_DEATH),
        other_wishes=rng.choice(texts.PZP_WISHES) if rng.random() < 0.7 else "",
        has_living_will=rng.random() < (0.35 if stance == "comfort" else 0.15),
        has_dnr_medallion=no_resuscitation and rng.random() < 0.35,
        shared_with_carers=shared,
        recorded_by=by,
        recorded_by_role=primary_role(ctx.roles[by.pk] & PZP_RECORDERS),
        recorded_at=local_datetime(held_on, rng.randint(12, 17), rng.choice((0, 15, 30, 45))),
    )


def _capacity(rng: random.Random, dementia: bool) -> str:
    if dementia:
        weights = {Capacity.NO: 40, Capacity.DOUBT: 35, Capacity.YES: 25}
    else:
        weights = {Capacity.YES: 90, Capacity.DOUBT: 10}
    return weighted(rng, weights)


def _representative(
    ctx: TeamContext, rng: random.Random, draft: Draft, capacity: str
) -> tuple[str, str, str]:
    """(name, relationship, kind): for most who cannot decide for themselves, some others."""
    if rng.random() >= (0.85 if capacity != Capacity.YES else 0.2):
        return "", "", ""
    family = [
        (link.carer, texts.REPRESENTATIVE_WORDS[link.relationship])
        for link in draft.links
        if link.relationship in texts.REPRESENTATIVE_WORDS
    ]
    if family and rng.random() < 0.8:
        carer, word = family[0]
        kind = (
            RepresentativeKind.PARTNER_FAMILY
            if rng.random() < 0.6
            else RepresentativeKind.AUTHORISED
        )
        return f"{carer.first_name} {carer.last_name}", word, kind
    return ctx.faker.name(), "mentor", RepresentativeKind.MENTOR
