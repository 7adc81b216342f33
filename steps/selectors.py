"""Read-side queries for stepped care (keyword-only, typed)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from clients.models import Consent, Resident
from clients.visibility import DIRECTLY_INVOLVED, visible_residents
from kernteam.models import Membership, Team
from kernteam.policy import roles_on
from steps.models import StepChange, Trajectory
from steps.states import Kind, State


@dataclass(frozen=True)
class TeamOverview:
    team: Team
    roles: list[str]
    counts: list[tuple[str, str, int]]  # (state, label, count)

    @property
    def active(self) -> int:
        return sum(n for state, _, n in self.counts if state != State.CLOSED)


def team_overviews(*, user) -> list[TeamOverview]:
    """Per team the user is on: their roles and the number of residents in each state."""
    memberships = Membership.objects.active().filter(user=user).select_related("team")
    teams: dict[int, tuple[Team, list[str]]] = {}
    for m in memberships:
        teams.setdefault(m.team_id, (m.team, []))[1].append(m.get_role_display())
    rows = (
        Trajectory.objects.filter(resident__team_id__in=teams)
        .values("resident__team_id", "state")
        .annotate(n=Count("pk"))
    )
    counts = {(r["resident__team_id"], r["state"]): r["n"] for r in rows}
    return [
        TeamOverview(
            team=team,
            roles=roles,
            counts=[(s.value, s.label, counts.get((team.pk, s.value), 0)) for s in State],
        )
        for team, roles in sorted(teams.values(), key=lambda t: t[0].name)
    ]


def closed_trajectories(
    *, team: Team, user, search: str = "", limit: int = 200
) -> list[Trajectory]:
    """The team's closed records, most recently closed first, each with `closed_at`. They are
    off the board but stay reachable (read-only; they can be reopened as a new signal)."""
    rows = (
        Trajectory.objects.filter(resident__team=team, state=State.CLOSED)
        .filter(visible_residents(user=user, team=team, resident_ref="resident"))
        .select_related("resident")
        .annotate(closed_at=Max("history__at"))
        .order_by("-closed_at", "-pk")
    )
    for word in search.split():
        rows = rows.filter(
            Q(resident__first_name__icontains=word) | Q(resident__last_name__icontains=word)
        )
    return list(rows[:limit])


def member_teams(*, user) -> list[Team]:
    """The teams `user` is an active member of, by name."""
    ids = Membership.objects.active().filter(user=user).values("team_id")
    return list(Team.objects.filter(pk__in=ids).order_by("name"))


def visible_trajectories(*, user, teams: list[Team], today) -> QuerySet[Trajectory]:
    """Annotated trajectories (see `steps.board.flagged_trajectories`) of the residents of
    `teams` that `user` may see, by name. One query."""
    from steps.board import flagged_trajectories

    allowed = Q(pk__in=[])
    for team in teams:
        allowed |= Q(resident__team=team) & visible_residents(
            user=user, team=team, resident_ref="resident"
        )
    return (
        flagged_trajectories(today=today)
        .select_related("resident__team")
        .filter(allowed)
        .order_by("resident__last_name", "resident__first_name", "resident_id")
    )


@dataclass(frozen=True)
class OwnSignal:
    """A resident the user signalled and may not see yet: only what they typed themselves."""

    resident_id: int
    name: str
    date_of_birth: datetime.date


SIGNALLED_BY_ME_DAYS = 90


def signalled_by(*, user, team: Team, limit: int = 50) -> list[OwnSignal]:
    """The residents of `team` that `user` signalled and no longer sees (no consent recorded
    yet names their discipline), most recently signalled first, so that a signal does not
    seem lost. Once any consent is recorded (or the record is closed) they leave the list, and
    so does a signal older than SIGNALLED_BY_ME_DAYS (by then the GP and POH have decided, or
    it is theirs to chase, not the list's to keep).
    Only the name and date of birth the signaller typed are read. Empty for the GP and the
    POH, who see every resident of the team on the board. One query."""
    roles = roles_on(team=team, user=user)
    if not roles or roles & DIRECTLY_INVOLVED:
        return []
    since = timezone.now() - datetime.timedelta(days=SIGNALLED_BY_ME_DAYS)
    own = StepChange.objects.filter(
        trajectory__resident=OuterRef("pk"), kind=Kind.SIGNAL, actor=user, at__gte=since
    )
    rows = (
        Resident.objects.filter(team=team)
        .filter(Exists(own))
        .exclude(Exists(Consent.objects.filter(resident=OuterRef("pk"))))
        .exclude(trajectory__state=State.CLOSED)
        .exclude(visible_residents(user=user, team=team))
        .annotate(
            signalled_at=Max(
                "trajectory__history__at",
                filter=Q(trajectory__history__kind=Kind.SIGNAL, trajectory__history__actor=user),
            )
        )
        .order_by("-signalled_at", "-pk")
        .values_list("pk", "salutation", "first_name", "last_name", "date_of_birth")
    )
    return [
        OwnSignal(
            resident_id=pk,
            name=" ".join(part for part in (salutation, first, last) if part),
            date_of_birth=born,
        )
        for pk, salutation, first, last, born in rows[:limit]
    ]
