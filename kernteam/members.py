"""A team's members: who is on it, added and ended in the application (issue 21 §2). STUB:
helper C builds it out."""

from __future__ import annotations

from kernteam.policy import roles_on
from kernteam.roles import Role


def may_manage_members(*, team, user) -> bool:
    """The functional administrator (a superuser) and the team's coordinator, for her own team,
    add and end members."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser) or Role.COORDINATOR in roles_on(team=team, user=user)
