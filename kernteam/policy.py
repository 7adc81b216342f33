"""Who may see what. Every entry point asks here; views never re-implement the rule.

Need-to-know (shared/domain.md): a professional sees the residents of their own teams only.
Anything else answers 404, so that the existence of another team's data does not leak.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from kernteam.models import Team


def team_for_member(*, user, slug: str) -> Team:
    """The team with this slug, if `user` is a member of it; else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not team.roles_of(user):
        raise Http404
    return team


def resident_for_member(*, user, pk: int):
    """The resident, if `user` is a member of the resident's team; else 404."""
    from clients.models import Resident

    resident = get_object_or_404(
        Resident.objects.select_related("team", "coordinator", "trajectory"), pk=pk
    )
    if not resident.team.roles_of(user):
        raise Http404
    return resident


def member_team_id(*, user, slug: str) -> int | None:
    """For WebSocket connects: the team's id if `user` is a member of it, else None."""
    try:
        return team_for_member(user=user, slug=slug).pk
    except Http404:
        return None
