"""Who may see what. Every entry point asks here; views never re-implement the rule.

Need-to-know (shared/domain.md, 'Privacy and security'):
- a professional sees the residents of their own teams only;
- within the team, the GP and the POH (directly involved in care) see every resident; the other
  disciplines see a resident while the resident's active consent names their discipline. So a
  resident without consent (typically just signalled) is visible to the GP and POH only, and a
  withdrawal takes effect at the next request.
Anything else answers 404, so that the existence of data one may not see does not leak.
"""

from __future__ import annotations

import functools
import operator

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kernteam.models import Membership, Team
from kernteam.roles import LOG_OFFICERS, PROGRAMME_OFFICE, Role

DIRECTLY_INVOLVED = frozenset({Role.GP, Role.POH})


def member_roles(user) -> dict[int, frozenset[str]]:
    """The user's roles per team (active memberships), read once and kept on this user
    instance. For a caller that holds the user for one request only (the API, which lets in
    members only: `IsProfessional`); `roles_on` then needs no query of its own."""
    if not getattr(user, "is_authenticated", False):
        return {}
    known = getattr(user, "_member_roles", None)
    if known is None:
        roles: dict[int, set[str]] = {}
        memberships = Membership.objects.active().filter(user_id=user.pk).order_by()
        for team_id, role in memberships.values_list("team_id", "role"):
            roles.setdefault(team_id, set()).add(role)
        known = {team_id: frozenset(held) for team_id, held in roles.items()}
        user._member_roles = known
    return known


def roles_on(*, team: Team, user) -> set[str]:
    """The user's roles on the team, asked once per team instance (one request), or known
    already for this user (`member_roles`)."""
    known = getattr(user, "_member_roles", None)
    if known is not None:
        return set(known.get(team.pk, ()))
    cache = team.__dict__.setdefault("_policy_roles", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = team.roles_of(user)
    return cache[key]


def team_for_member(*, user, slug: str) -> Team:
    """The team with this slug, if `user` is a member of it; else 404."""
    team = get_object_or_404(Team, slug=slug)
    if not roles_on(team=team, user=user):
        raise Http404
    return team


def may_see(*, roles: set[str], disciplines: list[str] | None) -> bool:
    """The rule itself: `disciplines` is the active consent's scope (None: no consent)."""
    if roles & DIRECTLY_INVOLVED:
        return True
    return bool(roles and disciplines and roles & set(disciplines))


def _consent_in_force(resident_id: int) -> QuerySet:
    from clients.models import Consent

    consents = Consent.objects.filter(resident_id=resident_id, withdrawn_at__isnull=True)
    return consents.order_by().values_list("disciplines")


def consent_scope(*, resident_id: int) -> list[str] | None:
    """The disciplines the resident's consent in force names (None: no consent in force), for
    `may_see`: read once when a live event is published, so that each board decides who heard
    of whom without a query of its own."""
    rows = list(_consent_in_force(resident_id))
    return list(rows[0][0]) if rows else None


def can_see_resident(*, user, resident) -> bool:
    roles = roles_on(team=resident.team, user=user)
    if not roles or roles & DIRECTLY_INVOLVED:
        return bool(roles)  # (no need to look at the consent)
    consent = resident.active_consent()
    return may_see(roles=roles, disciplines=consent.disciplines if consent else None)


def _resident_by_pk(pk: int) -> QuerySet:
    from clients.models import Resident

    return Resident.objects.select_related("team", "coordinator", "trajectory").filter(pk=pk)


def resident_for_member(*, user, pk: int):
    """The resident, if `user` may see them (team and consent); else 404."""
    resident = next(iter(_resident_by_pk(pk)), None)  # (pk: one row at most, no ORDER BY)
    if resident is None:
        raise Http404
    if not can_see_resident(user=user, resident=resident):
        raise Http404
    return resident


def resident_for_request(request, pk: int):
    """`resident_for_member` for a web request: the access is noted for the access log (a
    read for GET, a write otherwise)."""
    from kernteam.access_log import note

    resident = resident_for_member(user=request.user, pk=pk)
    note(request, team=resident.team, residents=[resident.pk])
    return resident


def visible_residents(*, user, team: Team, resident_ref: str = "pk") -> Q:
    """A filter for querysets of the team's residents (or of rows pointing at them through
    `resident_ref`, e.g. "resident" for trajectories): those `user` may see. No extra query."""
    from clients.models import Consent

    roles = roles_on(team=team, user=user)
    if not roles:
        return Q(pk__in=[])
    if roles & DIRECTLY_INVOLVED:
        return Q()
    # JSON list membership, portable across SQLite and PostgreSQL: role codes are whole,
    # quoted words in the stored list.
    covers = functools.reduce(
        operator.or_, (Q(disciplines__icontains=f'"{role}"') for role in sorted(roles))
    )
    consents = Consent.objects.filter(
        resident=OuterRef(resident_ref), withdrawn_at__isnull=True
    ).filter(covers)
    return Q(Exists(consents))


def hidden_resident_ids(*, user, team: Team) -> set[int]:
    """The team's residents `user` may not see (for lists that name residents one by one,
    such as an agenda or minutes). One query, none for the GP and POH."""
    from clients.models import Resident

    if roles_on(team=team, user=user) & DIRECTLY_INVOLVED:
        return set()
    visible = visible_residents(user=user, team=team)
    return set(Resident.objects.filter(team=team).exclude(visible).values_list("pk", flat=True))


def is_log_officer(user) -> bool:
    """Only log officers read the access log (NEN 7513); for anyone else it does not exist."""
    return bool(
        getattr(user, "is_authenticated", False) and user.groups.filter(name=LOG_OFFICERS).exists()
    )


def residents_for_carer(*, user) -> list[tuple]:
    """(carer, resident) for each resident `user` is a carer of now (an active link) and whose
    consent in force allows sharing with carers. Withdrawal ends it at the next request."""
    from clients.models import Carer, Consent

    carer = Carer.objects.filter(user=user).first() if user.is_authenticated else None
    if carer is None:
        return []
    sharing = Consent.objects.filter(
        resident=OuterRef("resident"), withdrawn_at__isnull=True, share_with_carers=True
    )
    links = (
        carer.links.active()
        .filter(Exists(sharing))
        .select_related("resident__team", "resident__trajectory", "resident__coordinator")
        .order_by("resident__last_name", "pk")
    )
    return [(carer, link.resident) for link in links if not link.resident.is_closed]


def resident_for_carer(*, user, pk: int) -> tuple:
    """(carer, resident) if `user` may see this resident as a carer; else 404."""
    for carer, resident in residents_for_carer(user=user):
        if resident.pk == pk:
            return carer, resident
    raise Http404


def needs_second_factor(user) -> bool:
    """Professionals, administrators, log officers and the programme office confirm their
    sign-in with a code where the setting asks for it (always in production); carers do not."""
    from django.conf import settings

    if not settings.KERNTEAM_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_staff
        or user.memberships.filter(ended_on__isnull=True).exists()
        or user.groups.filter(name__in=[LOG_OFFICERS, PROGRAMME_OFFICE]).exists()
    )


def member_team_id(*, user, slug: str, second_factor: bool = True) -> int | None:
    """For WebSocket connects: the team's id if `user` is a member of it (and, where required,
    signed in with the second factor), else None."""
    found = member_team_roles(user=user, slug=slug, second_factor=second_factor)
    return found[0] if found else None


def member_team_roles(
    *, user, slug: str, second_factor: bool = True
) -> tuple[int, frozenset[str]] | None:
    """`member_team_id` with the user's roles on that team (a board's live events name only
    the residents these roles may see: `may_see`)."""
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
    found = getattr(user, "_programme_office", None)  # (request.user is a lazy proxy)
    if found is None:
        found = user._programme_office = user.groups.filter(name=PROGRAMME_OFFICE).exists()
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
    found = getattr(user, "_may_see_kpis", None)
    if found is None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        member = Membership.objects.active().filter(user=OuterRef("pk"))
        office = Group.objects.filter(name=PROGRAMME_OFFICE, user=OuterRef("pk"))
        users = get_user_model().objects.filter(pk=user.pk)
        found = user._may_see_kpis = users.filter(Q(Exists(member)) | Q(Exists(office))).exists()
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
