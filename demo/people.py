"""People: demo users, the staff plan and memberships, and the carers around residents."""

from __future__ import annotations

import datetime
import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils.text import slugify
from faker import Faker

from clients.models import Carer, CarerLink
from demo.context import TeamContext
from demo.data import (
    MIDDLE_MEN,
    MIDDLE_WOMEN,
    OLDER_MEN,
    OLDER_WOMEN,
    PASSWORD,
    RELATIONSHIP_WEIGHTS,
    ROLE_PREFIX,
    SCENARIO_TEAM,
    SHARED_GROUPS,
    SHARED_ROLES,
    SeedOptions,
    TeamSpec,
)
from demo.drafts import Draft
from demo.helpers import User, local_datetime, weighted
from kernteam.models import Membership, Team
from kernteam.roles import LOG_OFFICERS, PROGRAMME_OFFICE, Role

# --- teams, users, memberships --------------------------------------------------------------


class People:
    """Teams and the people on them: created once, found again on later runs."""

    def __init__(self, options: SeedOptions, faker: Faker, created: Counter[str]) -> None:
        self.options = options
        self.faker = faker
        self.created = created
        self.user_model = get_user_model()
        # Hashed once, shared by every demo user. The salt comes from the seed so that two
        # databases seeded alike are identical (the demo password is public anyway).
        salt = hashlib.sha256(f"kernteam-demo:{options.seed}".encode()).hexdigest()[:22]
        self.password = make_password(PASSWORD, salt=salt)
        self.users: dict[str, User] = {}

    def user(self, username: str) -> User | None:
        return self.users.get(username)

    def ensure_teams(self, specs: Sequence[TeamSpec]) -> dict[str, Team]:
        existing = {t.slug: t for t in Team.objects.filter(slug__in=[s.slug for s in specs])}
        missing = [
            Team(
                name=s.name, slug=s.slug, neighbourhood=s.neighbourhood, municipality=s.municipality
            )
            for s in specs
            if s.slug not in existing
        ]
        Team.objects.bulk_create(missing)
        self.created["team"] += len(missing)
        existing.update({t.slug: t for t in missing})
        return existing

    def ensure_staff(self, specs: Sequence[TeamSpec], teams: dict[str, Team]) -> None:
        wanted = staff_plan(specs)
        usernames = [w.username for w in wanted]
        extra = ["admin", "logfunctionaris", "programmabureau"]
        extra += ["thea"] if SCENARIO_TEAM in teams else []
        self.users = {
            u.username: u for u in self.user_model.objects.filter(username__in=usernames + extra)
        }
        self._create_users(wanted)
        self._create_special_users(extra)
        self._create_memberships(wanted, teams)

    def _create_users(self, wanted: Sequence[StaffSeat]) -> None:
        usernames = dict.fromkeys(seat.username for seat in wanted)  # first-seen order
        new = [self._new_user(name) for name in usernames if name not in self.users]
        self.user_model.objects.bulk_create(new)
        self.created["user"] += len(new)
        self.users.update({u.username: u for u in new})

    def _new_user(
        self, username: str, first: str = "", last: str = "", email: str = "", **extra: Any
    ) -> User:
        self.faker.seed_instance(f"{self.options.seed}:user:{username}")
        female = self.faker.random.random() < 0.6
        first = first or (
            self.faker.first_name_female() if female else self.faker.first_name_male()
        )
        last = last or self.faker.last_name()
        return self.user_model(
            username=username,
            first_name=first,
            last_name=last,
            email=email or f"{username}@kernteam.example",
            password=self.password,
            date_joined=local_datetime(self.options.today - datetime.timedelta(days=400), 9),
            **extra,
        )

    def _create_special_users(self, usernames: Sequence[str]) -> None:
        specials = {
            "admin": {
                "first": "Beheer",
                "last": "Kernteam",
                "is_staff": True,
                "is_superuser": True,
            },
            "thea": {"first": "Thea", "last": "Ramakers", "email": "thea.ramakers@example.nl"},
            "logfunctionaris": {"first": "Lotte", "last": "Logman"},
            "programmabureau": {"first": "Paula", "last": "Wijkman"},
        }
        groups = {"logfunctionaris": LOG_OFFICERS, "programmabureau": PROGRAMME_OFFICE}
        for username in usernames:
            if username in self.users:
                continue
            options = dict(specials[username])
            user = self._new_user(username, options.pop("first"), options.pop("last"), **options)
            user.save()
            if username in groups:
                user.groups.add(Group.objects.get_or_create(name=groups[username])[0])
            self.users[username] = user
            self.created["user"] += 1

    def _create_memberships(self, wanted: Sequence[StaffSeat], teams: dict[str, Team]) -> None:
        active = set(
            Membership.objects.active()
            .filter(team__in=teams.values())
            .values_list("team__slug", "role", "user__username")
        )
        new = []
        for seat in wanted:
            if (seat.team.slug, seat.role, seat.username) in active:
                continue
            rng = random.Random(f"{self.options.seed}:membership:{seat.team.slug}:{seat.role}")
            self.faker.seed_instance(f"{self.options.seed}:phone:{seat.team.slug}:{seat.role}")
            new.append(
                Membership(
                    team=teams[seat.team.slug],
                    user=self.users[seat.username],
                    role=seat.role,
                    organisation=organisation(seat.role, seat.team),
                    phone=self.faker.phone_number(),
                    started_on=self.options.today - datetime.timedelta(days=rng.randint(400, 3000)),
                )
            )
        Membership.objects.bulk_create(new)
        self.created["membership"] += len(new)


@dataclass(frozen=True)
class StaffSeat:
    team: TeamSpec
    role: str
    username: str


def staff_plan(specs: Sequence[TeamSpec]) -> list[StaffSeat]:
    """Every role on every team; shared roles are one person per group of neighbouring teams."""
    group_of = {slug: group[0] for group in SHARED_GROUPS for slug in group}
    seats = []
    for s in specs:
        for role in Role.values:
            owner = group_of.get(s.slug, s.slug) if role in SHARED_ROLES else s.slug
            seats.append(StaffSeat(s, role, f"{ROLE_PREFIX[role]}.{owner}"))
    return seats


def organisation(role: str, team: TeamSpec) -> str:
    return {
        Role.GP: f"Huisartsenpraktijk {team.neighbourhood}",
        Role.POH: f"Huisartsenpraktijk {team.neighbourhood}",
        Role.DISTRICT_NURSE: f"Wijkverpleging {team.municipality}",
        Role.WELFARE: f"Welzijnswerk {team.municipality}",
        Role.DEMENTIA_CASE_MANAGER: "Ketenzorg Dementie Zuid-Limburg",
        Role.ELDERLY_CARE_PHYSICIAN: "Specialisten ouderengeneeskunde Zuid-Limburg",
        Role.COORDINATOR: f"Kernteam Ouderen {team.municipality}",
    }[role]


# --- carers around a resident ---------------------------------------------------------------


def plan_carers(ctx: TeamContext, rng: random.Random, draft: Draft) -> None:
    chance = 0.65 if draft.care_hop is not None else 0.35
    if rng.random() >= chance:
        return
    count = 1 if rng.random() < 0.8 else 2
    relationships: list[str] = []
    for _ in range(count):
        relationship = weighted(rng, RELATIONSHIP_WEIGHTS)
        if relationship == CarerLink.Relationship.PARTNER and relationship in relationships:
            relationship = CarerLink.Relationship.CHILD
        relationships.append(relationship)
        draft.add_carer(new_carer(ctx.faker, rng, draft, relationship), relationship)


def new_carer(f: Faker, rng: random.Random, draft: Draft, relationship: str) -> Carer:
    resident = draft.resident
    rel = CarerLink.Relationship
    family_name = resident.last_name if rng.random() < 0.6 else f.last_name()
    if relationship == rel.PARTNER:
        first = f.random_element(OLDER_MEN if draft.female else OLDER_WOMEN)
        last = resident.last_name
    elif relationship == rel.GRANDCHILD:
        first = f.first_name()
        last = family_name
    elif relationship in (rel.CHILD, rel.SIBLING):
        woman = rng.random() < 0.7
        first = f.random_element(
            (OLDER_WOMEN if woman else OLDER_MEN)
            if relationship == rel.SIBLING
            else (MIDDLE_WOMEN if woman else MIDDLE_MEN)
        )
        last = family_name
    else:
        first = f.random_element(MIDDLE_WOMEN if rng.random() < 0.6 else MIDDLE_MEN)
        last = f.last_name()
    return Carer(
        first_name=first,
        last_name=last,
        email=email_for(first, last) if rng.random() < 0.6 else "",
        phone=f.phone_number(),
    )


def email_for(first: str, last: str, domain: str = "example.nl") -> str:
    return f"{slugify(first)}.{slugify(last).replace('-', '')}@{domain}"
