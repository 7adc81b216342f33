"""Questions about moves that change nothing: which transitions exist, which one leads to a
state, what a person may take now and why not. The panel, the board, the API and the write
services (`steps.services`) ask here; nothing in this module writes."""

from __future__ import annotations

import dataclasses
import functools

from django.utils.translation import gettext as _

from kernteam.refusals import Refused
from steps.models import Trajectory
from steps.rules import Move, problems_for
from steps.states import ClosureReason, State

# Transitions no user takes on a resident: a take-over enters a new resident of the team's
# caseload in the state of her earlier record (`steps.caseload_import`). Never offered, never
# taken by name (the panel, the board, the API, the admin), not on the diagram.
NOT_OFFERED = frozenset({"take_over"})


@functools.cache
def transition_names() -> list[str]:
    """The moves a user may ask for by name."""
    names = {t.name for t in Trajectory().get_all_state_transitions()}
    return sorted(names - NOT_OFFERED)


def transition_method(trajectory: Trajectory, name: str):
    if name in NOT_OFFERED:
        raise Refused(not_from_here(trajectory), field="transition")
    if name not in transition_names():
        raise Refused(_("Unknown step change: %(name)s.") % {"name": name}, field="transition")
    return getattr(trajectory, name)


def offered(trajectory: Trajectory) -> list:
    """The transitions the state machine allows from the trajectory's state, but those no user
    takes (`NOT_OFFERED`)."""
    return [t for t in trajectory.get_available_state_transitions() if t.name not in NOT_OFFERED]


def check_move(*, trajectory: Trajectory, transition: str, move: Move) -> list[str]:
    """The reasons `move` would be refused now (empty when it would succeed)."""
    transition_method(trajectory, transition)  # (an unknown name is refused)
    found = (t for t in offered(trajectory) if t.name == transition)
    fsm_transition = next(found, None)
    if fsm_transition is None:
        return [not_from_here(trajectory)]
    guarded = fsm_transition.method  # (its rules: steps.rules.guarded)
    return problems_for(trajectory, move, guarded.permission, guarded.conditions)


def available_moves(*, trajectory: Trajectory, move: Move) -> list[str]:
    """Names of the transitions `move.by` may take on this trajectory now. A reason (and a
    closure reason) is assumed: the form that offers the move asks for it."""
    move = _with_assumed_input(move)
    return [
        t.name
        for t in offered(trajectory)
        if not check_move(trajectory=trajectory, transition=t.name, move=move)
    ]


def _with_assumed_input(move: Move) -> Move:
    """The move as it will be once its form is filled in (a reason, a closure reason)."""
    return dataclasses.replace(
        move,
        reason=move.reason or "…",
        closure_reason=move.closure_reason or ClosureReason.NO_LONGER_NEEDED,
    )


def transition_towards(*, trajectory: Trajectory, to: str, move: Move) -> tuple[str, list[str]]:
    """The transition that takes the resident to state `to` (as when a card is dropped on a
    column), and why `move.by` may not take it now (empty when they may; a reason is assumed,
    the form asks for it). Returns ("", [why]) when no single move leads there."""
    labels = dict(State.choices)
    if to == trajectory.state:
        return "", []
    for t in offered(trajectory):
        targets = [trajectory.step_before_admission] if t.name == "return_home" else [t.target]
        if to in targets:
            assumed = _with_assumed_input(move)
            return t.name, check_move(trajectory=trajectory, transition=t.name, move=assumed)
    message = _("From “%(from)s” a resident cannot go straight to “%(to)s”.") % {
        "from": trajectory.get_state_display(),
        "to": labels.get(to, to),
    }
    return "", [message]


def not_from_here(trajectory: Trajectory) -> str:
    return _("Not possible while the resident is in “%(state)s”.") % {
        "state": trajectory.get_state_display()
    }
