"""The stepped-care state diagram in Mermaid, generated from the transitions in the code.

`python manage.py shell -c "from steps.diagram import mermaid; print(mermaid())"` prints it;
a test keeps the copy in README.md equal to it.
"""

from __future__ import annotations

from django_fsm import RETURN_VALUE

from steps.models import Trajectory
from steps.moves import NOT_OFFERED
from steps.states import State


def edges() -> list[tuple[str, str, str]]:
    """(source, target, transition name) for every transition a user takes, sorted (not the
    caseload import's take-over: `steps.moves.NOT_OFFERED`)."""
    found = set()
    for t in Trajectory().get_all_state_transitions():
        if t.name in NOT_OFFERED:
            continue
        targets = t.target.allowed_states if isinstance(t.target, RETURN_VALUE) else [t.target]
        found.update((t.source, target, t.name) for target in targets)
    order = {s: i for i, s in enumerate(State.values)}
    return sorted(found, key=lambda e: (order[e[0]], order[e[1]], e[2]))


def mermaid() -> str:
    lines = ["stateDiagram-v2", "    [*] --> signalled: signal"]
    lines += [f"    {src} --> {dst}: {name}" for src, dst, name in edges()]
    return "\n".join(lines)
