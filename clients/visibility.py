"""Which residents a person may see (need-to-know, shared/domain.md 'Privacy and security').

- A professional sees the residents of their own teams only;
- within the team, the GP and the POH (directly involved in care) see every resident; the other
  disciplines see a resident while the resident's active consent names their discipline. So a
  resident without consent (typically just signalled) is visible to the GP and POH only, and a
  withdrawal takes effect at the next request.
- A carer sees the residents they are actively linked to whose consent in force allows sharing
  with carers.
Anything else answers 404, so that the existence of data one may not see does not leak.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from clients.models import Carer, Concern, Consent, Resident
from kernteam.events import send_team_event_on_commit
from kernteam.models import Membership, Team
from kernteam.policy import roles_on
from kernteam.roles import Role

DIRECTLY_INVOLVED = frozenset({Role.GP, Role.POH})


def may_see(*, roles: set[str] | frozenset[str], disciplines: list[str] | None) -> bool:
    """The rule itself: `disciplines` is the active consent's scope (None: no consent)."""
    if roles & DIRECTLY_INVOLVED:
        return True
    return bool(roles and disciplines and roles & set(disciplines))


def consent_scope(*, resident_id: int) -> list[str] | None:
    """The disciplines the resident's consent in force names (None: no consent in force), for
    `may_see`: read once when a live event is published, so that each board decides who heard
    of whom without a query of its own."""
    consents = Consent.objects.filter(resident_id=resident_id, withdrawn_at__isnull=True)
    rows = list(consents.order_by().values_list("disciplines"))
    return list(rows[0][0]) if rows else None


def send_resident_event_on_commit(*, resident: Resident, event: str, **extra) -> None:
    """A live event about a resident (`event`, e.g. "resident.moved") to their team's boards,
    after commit.
    It carries the consent's scope at that moment, so each board names the resident only to
    members who may see them (`may_see`).
    Also the hook of the integrators' subscriptions: inside the caller's transaction, a
    delivery for each subscription that may hear of her (`note_resident_changed`)."""
    from clients.subscription_delivery import note_resident_changed  # (it imports this module)

    note_resident_changed(resident=resident, event=event)
    send_team_event_on_commit(
        team_id=resident.team_id,
        event={"type": event, "resident": resident.pk, **extra},
        audience=lambda: consent_scope(resident_id=resident.pk),
    )


def can_see_resident(*, user, resident: Resident) -> bool:
    roles = roles_on(team=resident.team, user=user)
    if not roles or roles & DIRECTLY_INVOLVED:
        return bool(roles)  # (no need to look at the consent)
    consent = resident.active_consent()
    return may_see(roles=roles, disciplines=consent.disciplines if consent else None)


def visible_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of (user id, resident id) pairs, those where the user may see the resident now (`may_see`
    on their active memberships of her team and her consent in force): three queries, however
    many pairs. For lists that name residents of several teams to several people (the digest,
    the bell)."""
    pairs = set(pairs)
    if not pairs:
        return set()
    team_of = dict(
        Resident.objects.filter(pk__in={r for _, r in pairs}).values_list("pk", "team_id")
    )
    held: dict[tuple[int, int], set[str]] = {}
    memberships = Membership.objects.active().filter(
        team_id__in=set(team_of.values()), user_id__in={u for u, _ in pairs}, user__is_active=True
    )
    for user_id, team_id, role in memberships.values_list("user_id", "team_id", "role"):
        held.setdefault((user_id, team_id), set()).add(role)
    scope = dict(
        Consent.objects.filter(resident_id__in=team_of, withdrawn_at__isnull=True).values_list(
            "resident_id", "disciplines"
        )
    )
    return {
        (user_id, resident_id)
        for user_id, resident_id in pairs
        if resident_id in team_of
        and may_see(
            roles=held.get((user_id, team_of[resident_id]), set()),
            disciplines=scope.get(resident_id),
        )
    }


def resident_for_member(*, user, pk: int) -> Resident:
    """The resident, if `user` may see them (team and consent); else 404."""
    found = Resident.objects.select_related("team", "coordinator", "trajectory").filter(pk=pk)
    resident = next(iter(found), None)  # (pk: one row at most, no ORDER BY)
    if resident is None or not can_see_resident(user=user, resident=resident):
        raise Http404
    return resident


def visible_residents(*, user, team: Team, resident_ref: str = "pk") -> Q:
    """A filter for querysets of the team's residents (or of rows pointing at them through
    `resident_ref`, e.g. "resident" for trajectories): those `user` may see. No extra query."""
    roles = roles_on(team=team, user=user)
    if not roles:
        return Q(pk__in=[])
    if roles & DIRECTLY_INVOLVED:
        return Q()
    return Q(consent_names(roles=roles, resident_ref=resident_ref))


def consent_names(*, roles: set[str] | frozenset[str], resident_ref: str = "pk") -> Exists:
    """Whether the resident's consent in force names one of `roles` (the rows' resident through
    `resident_ref`): `may_see` for roles not directly involved, as an expression."""
    # JSON list membership, portable across SQLite and PostgreSQL: role codes are whole,
    # quoted words in the stored list.
    covers = functools.reduce(
        operator.or_, (Q(disciplines__icontains=f'"{role}"') for role in sorted(roles))
    )
    consents = Consent.objects.filter(
        resident=OuterRef(resident_ref), withdrawn_at__isnull=True
    ).filter(covers)
    return Exists(consents)


def hidden_resident_ids(*, user, team: Team) -> set[int]:
    """The team's residents `user` may not see (for lists that name residents one by one,
    such as an agenda or minutes). One query, none for the GP and POH."""
    if roles_on(team=team, user=user) & DIRECTLY_INVOLVED:
        return set()
    visible = visible_residents(user=user, team=team)
    return set(Resident.objects.filter(team=team).exclude(visible).values_list("pk", flat=True))


def is_carer(user) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False)) and Carer.objects.filter(user=user).exists()
    )


def sharing_with_carers(resident_ref: str = "pk") -> Exists:
    """The rule: carers see a resident while her consent in force allows sharing with carers.
    A filter for residents (or rows pointing at them through `resident_ref`)."""
    return Exists(
        Consent.objects.filter(
            resident=OuterRef(resident_ref), withdrawn_at__isnull=True, share_with_carers=True
        )
    )


def shares_with_carers(*, resident: Resident) -> bool:
    """`sharing_with_carers` for one resident, asked now."""
    return Resident.objects.filter(pk=resident.pk).filter(sharing_with_carers()).exists()


def residents_for_carer(*, user) -> list[tuple[Carer, Resident]]:
    """(carer, resident) for each resident `user` is a carer of now (an active link) and whose
    consent in force allows sharing with carers. Withdrawal ends it at the next request."""
    carer = Carer.objects.filter(user=user).first() if user.is_authenticated else None
    if carer is None:
        return []
    links = (
        carer.links.active()
        .filter(sharing_with_carers("resident"))
        .select_related("resident__team", "resident__trajectory", "resident__coordinator")
        .order_by("resident__last_name", "pk")
    )
    return [(carer, link.resident) for link in links if not link.resident.is_closed]


def resident_for_carer(*, user, pk: int) -> tuple[Carer, Resident]:
    """(carer, resident) if `user` may see this resident as a carer; else 404."""
    for carer, resident in residents_for_carer(user=user):
        if resident.pk == pk:
            return carer, resident
    raise Http404


CONCERNS_SHOWN = 10


def concerns_sent(*, carer: Carer, resident: Resident) -> list[Concern]:
    """The concerns the carer sent about the resident themselves (from the portal), newest
    first, with whether the team has handled each: never another carer's, nor what a team
    member wrote down for them (a phone call's notes are the team's)."""
    if carer.user_id is None:
        return []
    concerns = Concern.objects.filter(carer=carer, resident=resident, recorded_by=carer.user_id)
    concerns = concerns.order_by("-raised_at", "-pk")
    return list(concerns[:CONCERNS_SHOWN])
