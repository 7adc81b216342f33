"""Residents' histories: routes through the state machine, planned hop by hop.

A route is the list of states a resident passes; each move between two states becomes a `Hop`
of the kind the state machine (`steps.models.Trajectory`) gives that move. Hops are then put in
meetings, on days and in people's hands, and `replay` derives the trajectory's fields from them.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from demo import texts
from demo.context import TeamContext
from demo.data import (
    ACTOR_ROLES,
    ADMITTED_FROM,
    CLOSED_FROM,
    GAP_DAYS,
    LAST_HOP_AGE,
    MEETING_ACTOR_ROLES,
    MEETING_CHANCE,
    RETURN_AGE,
    STEP_PATHS,
    R,
    S,
)
from demo.helpers import User, local_date, weighted, working_time
from kernteam.models import Meeting
from steps.effects import Fields, after
from steps.models import Kind, Trajectory
from steps.moves import NOT_OFFERED
from steps.states import STEPS


@dataclass
class Hop:
    """One row of a resident's history, planned before it is written."""

    kind: str
    source: str
    target: str
    wants_meeting: bool = False
    day: datetime.date | None = None
    meeting: Meeting | None = None
    at: datetime.datetime | None = None
    actor: User | None = None
    reason: str = ""


@dataclass(frozen=True)
class Outcome(Fields[int]):
    """A trajectory's fields after replaying its hops the way the state machine would;
    `pending` is the index of the hop awaiting confirmation."""

    state: str = ""


def replay(hops: Sequence[Hop], closure_reason: str = "") -> Outcome:
    fields: Fields[int] = Fields()
    for index, hop in enumerate(hops):
        assert hop.day is not None
        fields = after(
            fields,
            kind=hop.kind,
            source=hop.source,
            target=hop.target,
            day=hop.day,
            urgent=hop.meeting is None,
            row=index,
            closure_reason=closure_reason,
        )
    state = hops[-1].target if hops else ""
    return Outcome(**dataclasses.asdict(fields), state=state)


# --- routes ---------------------------------------------------------------------------------


@functools.cache
def fsm_moves() -> dict[tuple[str, str], str]:
    """(source, target) → kind of transition, for every move the state machine allows."""
    moves: dict[tuple[str, str], str] = {}
    for t in Trajectory().get_all_state_transitions():
        if t.name in NOT_OFFERED:  # (the caseload import's take-over: no move of a team)
            continue
        targets = getattr(t.target, "allowed_states", None) or [t.target]
        for target in targets:
            moves[(str(t.source), str(target))] = str(t.custom["kind"])
    return moves


def plan_route(rng: random.Random, target: str, excursion: bool = True) -> list[str]:
    """The states a resident passes after being signalled, ending in `target`."""
    if target == S.SIGNALLED:
        return []
    if target == S.SCREENING:
        return [S.SCREENING]
    if target == S.CLOSED:
        return [*plan_route(rng, weighted(rng, CLOSED_FROM)), S.CLOSED]
    if target == S.ADMITTED:
        return [*plan_route(rng, weighted(rng, ADMITTED_FROM), excursion=False), S.ADMITTED]
    paths, weights = zip(*STEP_PATHS[target], strict=True)
    route = [S.SCREENING, *rng.choices(paths, weights=weights)[0]]
    if excursion and rng.random() < 0.12:  # a temporary admission somewhere along the way
        at = rng.choice([i for i, state in enumerate(route) if state in STEPS])
        route[at + 1 : at + 1] = [S.ADMITTED, route[at]]
    return route


def hops_for(route: Sequence[str]) -> list[Hop]:
    hops = [Hop(Kind.SIGNAL, "", S.SIGNALLED)]
    for state in route:
        source = hops[-1].target
        kind = fsm_moves()[(source, state)]  # KeyError: not a move the FSM allows
        hops.append(Hop(kind, source, state))
    return hops


# --- meetings, days and actors --------------------------------------------------------------


def mark_meetings(rng: random.Random, hops: list[Hop], urgent_final: bool) -> None:
    """Which hops are taken in a team meeting: every step-up except an urgent final one."""
    last_step_up = max((i for i, h in enumerate(hops) if h.kind == Kind.STEP_UP), default=-1)
    for index, hop in enumerate(hops):
        if hop.kind == Kind.STEP_UP:
            final = index == last_step_up and index == len(hops) - 1
            hop.wants_meeting = not (final and urgent_final)
        else:
            hop.wants_meeting = rng.random() < MEETING_CHANCE.get(hop.kind, 0.0)


def schedule(ctx: TeamContext, rng: random.Random, hops: list[Hop]) -> None:
    """Give every hop a day (and a time), working back from the last one. When the history
    would not fit in the past year, try again with shorter gaps."""
    for attempt in range(4):
        if _try_schedule(ctx, rng, hops, shrink=0.5**attempt, use_meetings=attempt < 3):
            break
    else:  # pragma: no cover - the last attempt always fits
        raise AssertionError("history does not fit in a year")
    for hop in hops:
        if hop.meeting is not None:
            minutes = rng.randint(5, 85)
            hop.at = hop.meeting.scheduled_for + datetime.timedelta(minutes=minutes)
        else:
            hop.at = working_time(rng, hop.day)


def _try_schedule(
    ctx: TeamContext, rng: random.Random, hops: list[Hop], shrink: float, use_meetings: bool
) -> bool:
    last = hops[-1]
    lo, hi = RETURN_AGE if last.kind == Kind.RETURN else LAST_HOP_AGE[last.target]
    day = ctx.today - datetime.timedelta(days=max(1, round(rng.randint(lo, hi) * shrink)))
    for index in reversed(range(len(hops))):
        hop = hops[index]
        if index < len(hops) - 1:
            gap = max(1, round(rng.randint(*GAP_DAYS[hops[index + 1].kind]) * shrink))
            day = hops[index + 1].day - datetime.timedelta(days=gap)
        hop.meeting = ctx.meeting_on_or_before(day) if use_meetings and hop.wants_meeting else None
        if hop.meeting is not None:
            day = local_date(hop.meeting.scheduled_for)
        if day < ctx.earliest:
            return False
        hop.day = day
    return True


def cast_actors(
    rng: random.Random, hops: Sequence[Hop], staff: dict[str, User], dementia: bool, closure: str
) -> None:
    """Who took each step, and why (in Dutch)."""
    for hop in hops:
        if hop.meeting is not None:
            roles = ACTOR_ROLES[Kind.CLOSE] if hop.kind == Kind.CLOSE else MEETING_ACTOR_ROLES
        else:
            roles = ACTOR_ROLES[hop.kind]
            if dementia and hop.kind in (Kind.SIGNAL, Kind.STEP_UP):
                roles = (*roles, R.DEMENTIA_CASE_MANAGER)
        hop.actor = staff[rng.choice(roles)]
        hop.reason = rng.choice(reasons_for(hop, closure))


def reasons_for(hop: Hop, closure: str) -> tuple[str, ...]:
    if hop.kind == Kind.SIGNAL:
        return texts.SIGNAL_REASONS
    if hop.kind == Kind.SCREEN:
        return texts.SCREEN_REASONS
    if hop.kind == Kind.ENTER:
        return texts.ENTER_REASONS[hop.target]
    if hop.kind == Kind.STEP_UP:
        return texts.STEP_UP_REASONS[hop.target]
    if hop.kind == Kind.STEP_DOWN:
        return texts.STEP_DOWN_REASONS[hop.target]
    if hop.kind == Kind.ADMIT:
        return texts.ADMIT_REASONS
    if hop.kind == Kind.RETURN:
        return texts.RETURN_REASONS
    return texts.CLOSE_REASONS[closure]
