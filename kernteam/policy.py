"""Who may act for which team. Every entry point asks here; views never re-implement the rule.

A professional acts for the teams they are an active member of, in the roles they hold there
(`roles_on`, `require_member`). Which of a team's residents they may see is the residents'
rule (`clients.visibility`). Anything one may not see answers 404, so that the existence of
data one may not see does not leak.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from kernteam.models import Membership, Team
from kernteam.refusals import Refused
from kernteam.roles import LOG_OFFICERS, PROGRAMME_OFFICE


def member_roles(user) -> dict[int, frozenset[str]]:
    """The user's roles per team (active memberships), read once and kept on this user
    instance. For a caller that holds the user for one request only (the API, which lets in
    members only: `IsProfessional`); `roles_on` then needs no query of its own."""
    if not getattr(user, "is_authenticated", False):
        return {}
    known = getattr(user, "kernteam_roles", None)
    if known is None:
        roles: dict[int, set[str]] = {}
        memberships = Membership.objects.active().filter(user_id=user.pk).order_by()
        for team_id, role in memberships.values_list("team_id", "role"):
            roles.setdefault(team_id, set()).add(role)
        known = {team_id: frozenset(held) for team_id, held in roles.items()}
        user.kernteam_roles = known
    return known


def remember_roles(user, roles: dict[int, frozenset[str]]) -> None:
    """For an authentication that knows them already (e.g. from a cache it keeps current): the
    user's roles per team, so that `member_roles` and `roles_on` ask no query this request."""
    user.kernteam_roles = roles


def roles_on(*, team: Team, user) -> set[str]:
    """The user's roles on the team, asked once per team instance (one request), or known
    already for this user (`member_roles`)."""
    known = getattr(user, "kernteam_roles", None)
    if known is not None:
        return set(known.get(team.pk, ()))
    cache = team.__dict__.setdefault("kernteam_roles_of", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = team.roles_of(user)
    return cache[key]


def require_member(*, team: Team, user, message: str = "") -> set[str]:
    """The user's roles on the team; `Refused` (forbidden) unless they are a member. The one
    membership check of every write service (the message by default: the team is the
    resident's). Read now, unless this user's request read them at its start (the API)."""
    known = getattr(user, "kernteam_roles", None)
    roles = set(known.get(team.pk, ())) if known is not None else team.roles_of(user)
    if not roles:
        raise Refused(
            message or _("Only members of this resident's kernteam can do this."), forbidden=True
        )
    return roles


def team_for_member(*, user, slug: str) -> Team:
    """The team with this slug, if `user` is a member of it; else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not roles_on(team=team, user=user):
        raise Http404
    return team


def is_log_officer(user) -> bool:
    """Only log officers read the access log (NEN 7513); for anyone else it does not exist."""
    return bool(
        getattr(user, "is_authenticated", False) and user.groups.filter(name=LOG_OFFICERS).exists()
    )


def needs_second_factor(user) -> bool:
    """Professionals, administrators, log officers and the programme office confirm their
    sign-in with a code where the setting asks for it (always in production); carers do not."""
    if not settings.KERNTEAM_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_staff
        or user.memberships.filter(ended_on__isnull=True).exists()
        or user.groups.filter(name__in=[LOG_OFFICERS, PROGRAMME_OFFICE]).exists()
    )


def member_team_roles(
    *, user, slug: str, second_factor: bool = True
) -> tuple[int, frozenset[str]] | None:
    """For WebSocket connects: the team's id and the user's roles on it, if `user` is a member
    of it (and, where required, signed in with the second factor), else None. A board's live
    events name only the residents these roles may see (`clients.visibility.may_see`)."""
    if not second_factor and needs_second_factor(user):
        return None
    try:
        team = team_for_member(user=user, slug=slug)
    except Http404:
        return None
    return team.pk, frozenset(roles_on(team=team, user=user))


# --- the KPI dashboard ------------------------------------------------------------------------
# Its pages show aggregates only (counts, shares, medians over groups of residents), never one
# resident's data: they write no access-log entries (NEN 7513 logs access to a resident's data).


def is_programme_office(user) -> bool:
    """A member of the regional programme office (asked once per user instance: one request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    found = getattr(user, "kernteam_programme_office", None)  # (request.user is a lazy proxy)
    if found is None:
        found = user.kernteam_programme_office = user.groups.filter(name=PROGRAMME_OFFICE).exists()
    return found


def may_see_region(user) -> bool:
    """The region's totals: the programme office only (superusers are not let in by status)."""
    return is_programme_office(user)


def kpi_teams(user) -> QuerySet[Team]:
    """The teams whose KPIs `user` may see: every team for the programme office, else the teams
    they are an active member of, in any role. None for carers, a log officer without a
    membership, or anyone signed out."""
    if not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    if is_programme_office(user):
        return Team.objects.all()
    member = Membership.objects.active().filter(team=OuterRef("pk"), user=user)
    return Team.objects.filter(Exists(member))


def may_see_kpis(user) -> bool:
    """Whether the navigation offers the KPI dashboard: an active member of a team, or the
    programme office. One query per user instance (one request), none when signed out."""
    if not getattr(user, "is_authenticated", False):
        return False
    found = getattr(user, "kernteam_may_see_kpis", None)
    if found is None:
        member = Membership.objects.active().filter(user=OuterRef("pk"))
        office = Group.objects.filter(name=PROGRAMME_OFFICE, user=OuterRef("pk"))
        users = get_user_model().objects.filter(pk=user.pk)
        found = users.filter(Q(Exists(member)) | Q(Exists(office))).exists()
        user.kernteam_may_see_kpis = found
    return found


def kpi_selection(
    *, user, slug: str = "", region: bool = False
) -> tuple[list[Team], list[Team], bool]:
    """(the teams `user` may choose from, the teams one KPI view adds up, whether that is the
    whole region). With `region`, every team (the programme office only); with `slug`, that
    team if `user` may see its KPIs; with neither, the region for the programme office and the
    user's first team for anyone else. Anything else is a 404, so that nobody learns which
    teams exist. Two queries at most (the user's groups, the teams)."""
    choices = list(kpi_teams(user).order_by("name"))
    office = may_see_region(user)
    if region or (not slug and office):
        if not office:
            raise Http404
        return choices, choices, True
    selected = [team for team in choices if team.slug == slug] if slug else choices[:1]
    if not selected:
        raise Http404
    return choices, selected, False
