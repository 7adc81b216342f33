"""One word for "no": every domain refusal is a `Refused`.

A refusal carries the reasons a user reads (in the active language), the input each concerns
(for field errors in the API) and whether the actor's role itself forbids it (no input would
change that: 403 rather than 400). The web views show `problems`; the API's error handler turns
it into an answer (`frontend.api.errors`): 409 for a conflict, 403 when forbidden, else 400.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.functional import Promise


class Refused(Exception):
    """`problems`: one reason or several. `field` files them all under one input, `fields`
    each under its own; with neither the refusal concerns no single input. `forbidden`: the
    actor's role does not allow it. `conflict`: someone else changed it first; what it is now
    (e.g. {"current_state": …}), for a 409 that lets the client catch up."""

    def __init__(
        self,
        problems: str | Promise | Sequence[str | Promise],
        *,
        field: str = "",
        fields: dict[str, list[str]] | None = None,
        forbidden: bool = False,
        conflict: dict[str, str] | None = None,
    ):
        if isinstance(problems, str | Promise):
            problems = [problems]
        self.problems = [str(p) for p in problems]
        self.fields = fields or ({field: list(self.problems)} if field else None)
        self.forbidden = forbidden
        self.conflict = conflict
        super().__init__(" ".join(self.problems))
