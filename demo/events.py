"""A resident's outcome events (`steps.outcomes`): those that go with a move of her history, and
those that happen between meetings.

Every *admitted* move, and every closing as deceased or as permanently admitted to a nursing
home, has exactly one event linked to it, as `steps.outcomes.record_for_move` leaves it: either
recorded just before the move by a member (then linked) or recorded by the move itself. Falls,
emergency-department (SEH) visits and out-of-hours GP contacts happen at yearly rates that
grow with the step (falls: about one in eight a year in step 1, over a third in steps 3-4),
on days she was known to the team and at home, never after the record was closed. Hospital and
crisis admissions only come with an *admitted* move.
"""

from __future__ import annotations

import datetime
import math
import random

from demo import texts
from demo.context import TeamContext
from demo.data import R, S
from demo.drafts import Draft
from demo.helpers import User, random_day, weighted, working_time
from demo.history import Hop
from steps.models import Kind
from steps.outcomes import EventKind, OutcomeEvent, Place
from steps.states import ClosureReason

E = EventKind

# Expected events per resident per year, by the state she is in.
YEARLY_RATES: dict[str, dict[str, float]] = {
    E.FALL: {
        S.SIGNALLED: 0.15, S.SCREENING: 0.15, S.STEP1: 0.12, S.STEP2: 0.3, S.STEP3: 0.45,
        S.STEP4: 0.5,
    },
    E.EMERGENCY: {
        S.SIGNALLED: 0.08, S.SCREENING: 0.08, S.STEP1: 0.05, S.STEP2: 0.15, S.STEP3: 0.25,
        S.STEP4: 0.3,
    },
    E.OUT_OF_HOURS: {
        S.SIGNALLED: 0.12, S.SCREENING: 0.12, S.STEP1: 0.08, S.STEP2: 0.25, S.STEP3: 0.45,
        S.STEP4: 0.55,
    },
}  # fmt: skip
FALL_TO_EMERGENCY = 0.25  # a fall that ends in the emergency department, the same day
# Who records an event between meetings: before consent only those directly involved.
RECORDERS: dict[str, tuple[str, ...]] = {
    E.FALL: (R.DISTRICT_NURSE, R.DISTRICT_NURSE, R.POH, R.GP),
    E.EMERGENCY: (R.GP, R.POH, R.DISTRICT_NURSE),
    E.OUT_OF_HOURS: (R.GP, R.POH),
}
DIRECTLY_INVOLVED = (R.GP, R.POH)
# The admission each reason for the *admitted* move is, and whether a fall caused it.
ADMISSIONS: dict[str, tuple[str, bool]] = {
    texts.ADMIT_REASONS[0]: (E.HOSPITAL, True),  # in hospital after a fall
    texts.ADMIT_REASONS[1]: (E.CRISIS, False),  # short stay (ELV)
    texts.ADMIT_REASONS[2]: (E.CRISIS, False),  # respite
    texts.ADMIT_REASONS[3]: (E.HOSPITAL, False),  # heart failure
}
# Where she died, when the closing reason does not say (half of them say "thuis").
PLACE_OF_DEATH: dict[str, int] = {
    Place.HOME: 20, Place.HOSPITAL: 30, Place.HOSPICE: 25, Place.NURSING_HOME: 15,
    Place.ELSEWHERE: 10,
}  # fmt: skip


def plan_events(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    for index, hop in enumerate(draft.hops):
        if hop.kind == Kind.ADMIT:
            _admission(ctx, rng, draft, index)
        elif hop.kind == Kind.CLOSE:
            _closure(ctx, rng, draft, index)
    _between_meetings(ctx, rng, draft)


def event(
    draft: Draft,
    kind: str,
    day: datetime.date,
    by: User,
    at: datetime.datetime,
    note: str = "",
    place: str = "",
) -> OutcomeEvent:
    made = OutcomeEvent(
        resident=draft.resident,
        kind=kind,
        occurred_on=day,
        place=place,
        note=note,
        recorded_by=by,
        recorded_at=at,
    )
    draft.events.append(made)
    return made


# --- events that go with a move -------------------------------------------------------------


def _link(
    ctx: TeamContext,
    rng: random.Random,
    draft: Draft,
    index: int,
    kind: str,
    before: int,
    recorder_roles: tuple[str, ...],
    note: str = "",
    place: str = "",
) -> None:
    """The move at `index` links an event recorded up to `before` days earlier (when `place`
    says where she died, or by chance for other kinds), or records one itself (dated the
    move's day; a death then without its place)."""
    hop, previous = draft.hops[index], draft.hops[index - 1]
    if place or (kind != E.DEATH and rng.random() < 0.5):
        earliest = max(previous.day, hop.day - datetime.timedelta(days=before))
        day = random_day(rng, earliest, hop.day)
        at = min(
            max(working_time(rng, day), previous.at + datetime.timedelta(minutes=10)),
            hop.at - datetime.timedelta(minutes=20),
        )
        by = ctx.staff[rng.choice(recorder_roles)]
        draft.move_events[index] = event(draft, kind, day, by, at, note, place)
    else:
        place = Place.UNKNOWN if kind == E.DEATH else ""
        draft.move_events[index] = event(draft, kind, hop.day, hop.actor, hop.at, "", place)


def _admission(ctx: TeamContext, rng: random.Random, draft: Draft, index: int) -> None:
    hop = draft.hops[index]
    kind, after_fall = ADMISSIONS.get(hop.reason, (E.HOSPITAL, False))
    note = rng.choice(texts.ADMISSION_NOTES[kind]) if rng.random() < 0.6 else ""
    _link(ctx, rng, draft, index, kind, 2, (R.DISTRICT_NURSE, R.GP), note)
    if after_fall:  # the fall itself: an event of its own
        linked = draft.move_events[index]
        at = min(linked.recorded_at, hop.at) - datetime.timedelta(minutes=5)
        by = ctx.staff[rng.choice((R.DISTRICT_NURSE, R.GP))]
        event(draft, E.FALL, linked.occurred_on, by, at, rng.choice(texts.FALL_NOTES))


def _closure(ctx: TeamContext, rng: random.Random, draft: Draft, index: int) -> None:
    reason = draft.outcome.closure_reason
    hop = draft.hops[index]
    if reason == ClosureReason.DECEASED:
        place = ""
        if "thuis" in hop.reason:  # "Rustig thuis overleden ..."
            place = Place.HOME
        elif rng.random() < 0.7:
            place = Place.HOSPITAL if hop.source == S.ADMITTED else weighted(rng, PLACE_OF_DEATH)
        _link(ctx, rng, draft, index, E.DEATH, 3, (R.GP,), place=place)
    elif reason == ClosureReason.NURSING_HOME:
        note = rng.choice(texts.NURSING_HOME_NOTES) if rng.random() < 0.5 else ""
        _link(ctx, rng, draft, index, E.NURSING_HOME, 20, (R.DISTRICT_NURSE, R.GP), note)


# --- events between meetings ----------------------------------------------------------------


def poisson(rng: random.Random, mean: float) -> int:
    """A number of events with this mean (Knuth's method: means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _between_meetings(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    """Falls, SEH visits and out-of-hours contacts, in each stretch she was at home."""
    hops = draft.hops
    last_day = min(draft.end_day, ctx.today) - datetime.timedelta(days=1)
    for index, hop in enumerate(hops):
        if hop.target in (S.ADMITTED, S.CLOSED):
            continue
        end = hops[index + 1].day - datetime.timedelta(days=1) if index + 1 < len(hops) else None
        end = min(end or last_day, last_day)
        if end < hop.day:
            continue
        years = ((end - hop.day).days + 1) / 365
        for kind, rates in YEARLY_RATES.items():
            for _ in range(poisson(rng, rates[hop.target] * years)):
                _one_event(ctx, rng, draft, hop, kind, random_day(rng, hop.day, end), last_day)


def _one_event(
    ctx: TeamContext,
    rng: random.Random,
    draft: Draft,
    hop: Hop,
    kind: str,
    day: datetime.date,
    last_day: datetime.date,
) -> None:
    roles = DIRECTLY_INVOLVED if hop.target == S.SIGNALLED else RECORDERS[kind]
    recorded = min(day + datetime.timedelta(days=rng.choice((0, 0, 0, 1, 1, 2))), last_day)
    at = max(working_time(rng, recorded), draft.hops[0].at + datetime.timedelta(minutes=20))
    by = ctx.staff[rng.choice(roles)]
    notes = {
        E.FALL: texts.FALL_NOTES,
        E.EMERGENCY: texts.EMERGENCY_NOTES,
        E.OUT_OF_HOURS: texts.OUT_OF_HOURS_NOTES,
    }[kind]
    event(draft, kind, day, by, at, rng.choice(notes) if rng.random() < 0.75 else "")
    if kind == E.FALL and rng.random() < FALL_TO_EMERGENCY:
        later = at + datetime.timedelta(minutes=5)
        event(draft, E.EMERGENCY, day, by, later, rng.choice(texts.FALL_EMERGENCY_NOTES))
