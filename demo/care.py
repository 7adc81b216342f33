"""A resident's care records: coordinator, consent, assessments, goals and agreed actions."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from clients.instruments import Instrument, spec
from clients.models import Assessment, Carer, Consent, Resident
from demo import texts
from demo.context import TeamContext
from demo.data import COORDINATOR_WEIGHTS, DOMAIN_WEIGHTS, FRAILTY_WEIGHTS, R, S
from demo.drafts import Draft
from demo.helpers import User, local_date, random_day, weighted, working_time
from demo.history import Hop
from kernteam.models import Meeting
from kernteam.roles import ROLE_PRECEDENCE
from steps.models import AgreedAction, Domain, Goal, Kind
from steps.states import ClosureReason


def plan_coordinator(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    if draft.care_hop is not None:
        weights = dict(COORDINATOR_WEIGHTS)
        if draft.dementia:
            weights[R.DEMENTIA_CASE_MANAGER] = 4
        draft.resident.coordinator = ctx.staff[weighted(rng, weights)]
    elif draft.first(Kind.ENTER) is not None and rng.random() < 0.25:
        draft.resident.coordinator = ctx.staff[rng.choice((R.POH, R.WELFARE))]


def plan_consent(rng: random.Random, draft: Draft) -> None:
    screen = draft.first(Kind.SCREEN)
    if screen is None:
        return
    disciplines = list(ROLE_PRECEDENCE)
    if not draft.dementia and rng.random() < 0.3:
        disciplines.remove(R.DEMENTIA_CASE_MANAGER)
    consent = Consent(
        resident=draft.resident,
        given_on=screen.day,
        disciplines=[str(d) for d in disciplines],
        share_with_carers=bool(draft.carers) and rng.random() < 0.85,
        recorded_by=screen.actor,
        recorded_at=screen.at - datetime.timedelta(minutes=5),
    )
    close = draft.first(Kind.CLOSE)
    if close and draft.outcome.closure_reason == ClosureReason.CONSENT_WITHDRAWN:
        consent.withdrawn_at = close.at - datetime.timedelta(hours=1)
        consent.withdrawn_by = close.actor
    draft.consents.append(consent)


# --- assessments ----------------------------------------------------------------------------


def assess(
    draft: Draft,
    rng: random.Random,
    instrument: str,
    positive: bool,
    day: datetime.date,
    by: User,
    carer: Carer | None = None,
    score: Decimal | None = None,
) -> None:
    assessment = Assessment(
        resident=draft.resident,
        instrument=instrument,
        score=score_for(rng, instrument, positive) if score is None else score,
        assessed_on=day,
        assessed_by=by,
        carer=carer,
    )
    assessment.derive_outcome()  # bulk_create skips save(), which derives it
    draft.assessments.append(assessment)


def score_for(rng: random.Random, instrument: str, positive: bool) -> Decimal:
    """A plausible score on the given side of the instrument's cut-off."""
    s = spec(instrument)
    step = Decimal("0.5") if s.half_points else Decimal(1)
    values, value = [], s.minimum
    while value <= s.maximum:
        values.append(value)
        value += step
    side = [v for v in values if s.is_positive(v) == positive]
    band = max(3, len(side) // 2)
    return rng.choice(side[:band] if positive else side[-band:])


def plan_assessments(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    screen, enter = draft.first(Kind.SCREEN), draft.first(Kind.ENTER)
    if screen is None:
        return
    if enter is None:  # still screening (or closed during it): half have a result
        if rng.random() < 0.6:
            day = random_day(rng, screen.day, draft.end_day - datetime.timedelta(days=1))
            instrument = weighted(rng, FRAILTY_WEIGHTS)
            assess(draft, rng, instrument, rng.random() < 0.5, day, screen.actor)
        return
    _entry_assessments(ctx, rng, draft, screen, enter)
    _follow_up_assessments(ctx, rng, draft, enter)
    _carer_assessments(ctx, rng, draft)


def _entry_assessments(
    ctx: TeamContext, rng: random.Random, draft: Draft, screen: Hop, enter: Hop
) -> None:
    day = random_day(rng, screen.day, enter.day - datetime.timedelta(days=1))
    positive = enter.target != S.STEP1
    instrument = weighted(rng, FRAILTY_WEIGHTS)
    if rng.random() < 0.25 and instrument != Instrument.CFS:
        assess(draft, rng, Instrument.CFS, positive, day, screen.actor)
    assess(draft, rng, instrument, positive, day, screen.actor)
    if enter.target == S.STEP3:
        by = ctx.staff[R.ELDERLY_CARE_PHYSICIAN]
        assess(draft, rng, Instrument.INTERMED, True, day, by)
    elif enter.target == S.STEP2 and rng.random() < 0.2:
        assess(draft, rng, Instrument.INTERMED, False, day, screen.actor)


def _follow_up_assessments(ctx: TeamContext, rng: random.Random, draft: Draft, enter: Hop) -> None:
    """Re-screen when the frailty picture changes; INTERMED when needs become complex."""
    frail = enter.target != S.STEP1
    complex_ = enter.target == S.STEP3
    for hop in draft.hops[draft.hops.index(enter) + 1 :]:
        if hop.kind not in (Kind.STEP_UP, Kind.STEP_DOWN):
            continue
        if (hop.target != S.STEP1) != frail:
            frail = not frail
            assess(draft, rng, Instrument.GFI, frail, hop.day, hop.actor)
        if hop.target in (S.STEP3, S.STEP4) and not complex_:
            complex_ = True
            by = ctx.staff[R.ELDERLY_CARE_PHYSICIAN]
            assess(draft, rng, Instrument.INTERMED, True, hop.day, by)


def _carer_assessments(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    care = draft.care_hop
    if care is None or not draft.carers or rng.random() >= 0.35:
        return
    instrument = Instrument.EDIZ_PLUS if rng.random() < 0.6 else Instrument.CSI
    day = random_day(rng, care.day, draft.end_day - datetime.timedelta(days=1))
    by = ctx.staff[rng.choice((R.POH, R.WELFARE, R.DEMENTIA_CASE_MANAGER))]
    assess(draft, rng, instrument, rng.random() < 0.35, day, by, carer=draft.carers[0])


# --- care plan: goals and agreed actions ----------------------------------------------------


def care_goal(
    resident: Resident, domain: str, text: str, hop: Hop, status: str = Goal.Status.OPEN
) -> Goal:
    """A goal set when `hop` was taken, by whoever took it."""
    return Goal(
        resident=resident,
        domain=domain,
        description=text,
        status=status,
        created_by=hop.actor,
        created_at=hop.at - datetime.timedelta(minutes=2),
        meeting=hop.meeting,
    )


def plan_goals(rng: random.Random, draft: Draft) -> None:
    care = draft.care_hop
    if care is None:
        return
    domains = pick_domains(rng, rng.choice((1, 2, 2, 3, 3, 4)), draft.dementia)
    state = draft.outcome.state
    for index, domain in enumerate(domains):
        if state == S.CLOSED:
            status = Goal.Status.ACHIEVED if rng.random() < 0.5 else Goal.Status.DROPPED
        elif state == S.STEP1:
            status = Goal.Status.ACHIEVED if rng.random() < 0.7 else Goal.Status.OPEN
        elif index > 0 and rng.random() < 0.15:
            status = Goal.Status.ACHIEVED
        else:
            status = Goal.Status.OPEN
        description = rng.choice(texts.GOALS[domain])
        if domain == Domain.PSYCHOLOGICAL and draft.dementia:
            description = texts.GOALS[domain][1]
        draft.goals.append(care_goal(draft.resident, domain, description, care, status))


def pick_domains(rng: random.Random, count: int, dementia: bool) -> list[str]:
    """`count` distinct domains, weighted; psychological first for residents with dementia."""
    chosen = [Domain.PSYCHOLOGICAL.value] if dementia else []
    pool = dict(DOMAIN_WEIGHTS)
    while len(chosen) < count:
        for domain in chosen:
            pool.pop(domain, None)
        chosen.append(weighted(rng, pool))
    return chosen


def plan_actions(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    start = draft.care_hop or (draft.first(Kind.ENTER) if rng.random() < 0.3 else None)
    if start is None:
        return
    count = rng.randint(1, 4) if draft.care_hop else 1
    for _ in range(count):
        _plan_action(ctx, rng, draft, start)


def _plan_action(ctx: TeamContext, rng: random.Random, draft: Draft, start: Hop) -> None:
    goal = rng.choice(draft.goals) if draft.goals and rng.random() < 0.7 else None
    domain = goal.domain if goal else weighted(rng, DOMAIN_WEIGHTS)
    carer = rng.choice(draft.carers) if draft.carers and rng.random() < 0.3 else None
    if carer is not None:
        text, owner = rng.choice(texts.CARER_ACTIONS), None
    else:
        options = texts.MEMBER_ACTIONS[domain] if draft.care_hop else texts.PREVENTION_ACTIONS
        text, roles = rng.choice(options)
        owner = ctx.staff[rng.choice(roles)]
    created_at, meeting = _action_moment(ctx, rng, draft, start)
    created_day = local_date(created_at)
    due = created_day + datetime.timedelta(days=rng.randint(7, 56))
    status = _action_status(ctx, rng, draft, due)
    consent = draft.consents[0] if draft.consents else None
    shares = bool(consent and consent.share_with_carers)
    action = AgreedAction(
        resident=draft.resident,
        goal=goal,
        description=text,
        owner_member=owner,
        owner_carer=carer,
        due_on=due,
        status=status,
        shared_with_carers=carer is not None or (shares and rng.random() < 0.5),
        created_by=draft.resident.coordinator or ctx.staff[R.POH],
        created_at=created_at,
        meeting=meeting,
    )
    if status == AgreedAction.Status.DONE:
        _done(ctx, rng, draft, action, by=owner or action.created_by)  # carers have no login
    draft.actions.append(action)


def _done(ctx: TeamContext, rng: random.Random, draft: Draft, action: AgreedAction, *, by) -> None:
    """Ticked off by `by` on a day between agreeing it and its due date (before today)."""
    day_before = datetime.timedelta(days=1)
    last = min(action.due_on, draft.end_day - day_before, ctx.today - day_before)
    days = max(0, (last - local_date(action.created_at)).days)
    action.done_at = action.created_at + datetime.timedelta(days=rng.randint(0, days), hours=2)
    action.done_by = by


def _action_moment(
    ctx: TeamContext, rng: random.Random, draft: Draft, start: Hop
) -> tuple[datetime.datetime, Meeting | None]:
    """When an action was agreed: mostly in a meeting after the care plan started."""
    last = draft.end_day - datetime.timedelta(days=1)
    meetings = ctx.meetings_between(start.day, last)
    if meetings and rng.random() < 0.7:
        meeting = rng.choice(meetings)
        return meeting.scheduled_for + datetime.timedelta(minutes=rng.randint(5, 85)), meeting
    moment = working_time(rng, random_day(rng, start.day, last))
    return max(moment, start.at + datetime.timedelta(minutes=5)), None


def _action_status(ctx: TeamContext, rng: random.Random, draft: Draft, due: datetime.date) -> str:
    done, cancelled, open_ = (
        AgreedAction.Status.DONE,
        AgreedAction.Status.CANCELLED,
        AgreedAction.Status.OPEN,
    )
    if draft.outcome.state == S.CLOSED:
        return done if rng.random() < 0.7 else cancelled
    roll = rng.random()
    if due < ctx.today:
        return done if roll < 0.65 else cancelled if roll < 0.75 else open_
    return done if roll < 0.1 else open_


# --- support for an overburdened carer ------------------------------------------------------


def plan_carer_support(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    """Most carers with a high burden score get support agreed after it (respite care, the
    Steunpunt Mantelzorg): an action marked as carer support, by the welfare worker or the
    POH (the outcome KPI counts the carers who have it)."""
    high = [a for a in draft.assessments if a.carer is not None and a.above_cutoff]
    if not high or rng.random() >= 0.6:
        return
    assessed = max(a.assessed_on for a in high)
    last = draft.end_day - datetime.timedelta(days=1)
    if assessed > last:
        return
    text = rng.choice(texts.CARER_SUPPORT_ACTIONS)
    owner = ctx.staff[rng.choice((R.WELFARE, R.POH))]
    within = min(last, assessed + datetime.timedelta(days=21))
    created_at = working_time(rng, random_day(rng, assessed, within))
    due = local_date(created_at) + datetime.timedelta(days=rng.randint(14, 42))
    status = _action_status(ctx, rng, draft, due)
    action = AgreedAction(
        resident=draft.resident,
        description=text,
        owner_member=owner,
        due_on=due,
        status=status,
        supports_carer=True,
        created_by=draft.resident.coordinator or ctx.staff[R.POH],
        created_at=created_at,
    )
    if status == AgreedAction.Status.DONE:
        _done(ctx, rng, draft, action, by=owner)
    draft.actions.append(action)
