"""Seeding the region: teams and staff first, then each team's residents and histories."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from faker import Faker

from clients.models import Resident
from demo import care, events, history, records
from demo.context import TeamContext
from demo.data import (
    CLOSURE_BY_STATE,
    LIMBURG_SURNAMES,
    OLDER_MEN,
    OLDER_WOMEN,
    ROLE_PREFIX,
    SCENARIO_TEAM,
    STATE_WEIGHTS,
    TEAM_SIZE_RANGE,
    TEAMS,
    URGENT_FINAL_STEP_UP,
    S,
    SeedOptions,
    TeamSpec,
)
from demo.drafts import Draft, make_draft, new_resident, write
from demo.helpers import weighted
from demo.notices import seed_notices
from demo.offers import seed_offers, seed_referrals
from demo.people import People, plan_carers
from demo.scenario import seed_scenario
from kernteam.models import Membership, Team
from kernteam.roles import Role
from steps.models import Kind
from steps.states import State


@dataclass
class SeedResult:
    created: Counter[str] = field(default_factory=Counter)
    teams: list[Team] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, team


Log = Callable[[str], None]


def seed(options: SeedOptions, log: Log = print) -> SeedResult:
    """Create whatever demo data is missing. Safe to run again."""
    specs = TEAMS[: options.teams] if options.teams else TEAMS
    result = SeedResult()
    faker = Faker("nl_NL")
    with transaction.atomic():
        people = People(options, faker, result.created)
        teams = people.ensure_teams(specs)
        people.ensure_staff(specs, teams)
        keeper = people.user("programmabureau") or people.user("admin")
        seed_offers(list(teams.values()), created=result.created, region_keeper=keeper)
    log(f"{len(teams)} teams, {result.created['user']} new users")
    for spec_ in specs:
        team = teams[spec_.slug]
        with transaction.atomic():
            seeder = TeamSeeder(team, options, faker, result.created)
            added = seeder.seed_residents()
            if spec_.slug == SCENARIO_TEAM:
                added += seed_scenario(seeder.ctx, people.user("thea"))
            seed_referrals(seeder.ctx)
            seeder.ctx.ensure_next_meeting(today=spec_.slug == SCENARIO_TEAM)
            if spec_.slug == SCENARIO_TEAM:
                seed_notices(seeder.ctx)
        log(f"  {team.name}: {team.residents.count()} residents (+{added})")
        result.teams.append(team)
    result.logins = demo_logins(specs)
    return result


ROLE_PREFIX_ORDER = {ROLE_PREFIX[role]: index for index, role in enumerate(Role.values)}


def demo_logins(specs: Sequence[TeamSpec]) -> list[tuple[str, str, str]]:
    """(username, role, team) to sign in with: the scenario team's members, if it was seeded."""
    slugs = [s.slug for s in specs]
    slug = SCENARIO_TEAM if SCENARIO_TEAM in slugs else slugs[0]
    memberships = (
        Membership.objects.active()
        .filter(team__slug=slug)
        .select_related("user", "team")
        .order_by("pk")
    )
    rows = sorted(
        ((m.user.username, str(m.get_role_display()), m.team.name) for m in memberships),
        key=lambda row: ROLE_PREFIX_ORDER.get(row[0].split(".")[0], 99),
    )
    rows.insert(0, ("admin", "superuser", "—"))
    rows.insert(1, ("logfunctionaris", "log officer (access log, /log/)", "—"))
    rows.insert(2, ("programmabureau", "programme office (KPIs, /kpi/)", "—"))
    if slug == SCENARIO_TEAM:
        team_name = next(s.name for s in specs if s.slug == slug)
        rows.append(("thea", "mantelzorger van Mijnheer Ramakers", team_name))
    return rows


class TeamSeeder:
    """Seeds one team's residents, each with a random history and care records."""

    def __init__(
        self, team: Team, options: SeedOptions, faker: Faker, created: Counter[str]
    ) -> None:
        self.ctx = TeamContext(team, options, faker, created)

    def team_size(self) -> int:
        ctx = self.ctx
        if ctx.options.residents_per_team is not None:
            return ctx.options.residents_per_team
        return random.Random(ctx.key("size")).randint(*TEAM_SIZE_RANGE)

    def seed_residents(self) -> int:
        ctx = self.ctx
        existing = set(ctx.team.residents.values_list("first_name", "last_name", "date_of_birth"))
        forced = list(State.values)
        random.Random(ctx.key("forced")).shuffle(forced)  # one resident per state, at least
        drafts = []
        for index in range(self.team_size()):
            rng = random.Random(ctx.key(index))
            ctx.faker.seed_instance(ctx.key(index))
            resident, female = self.new_resident(rng)
            if (resident.first_name, resident.last_name, resident.date_of_birth) in existing:
                continue
            target = forced[index] if index < len(forced) else weighted(rng, STATE_WEIGHTS)
            drafts.append(self.plan(rng, resident, female, target, urgent=index < len(forced)))
        write(ctx, drafts)
        return len(drafts)

    def new_resident(self, rng: random.Random) -> tuple[Resident, bool]:
        faker = self.ctx.faker
        female = rng.random() < 0.62
        first = faker.random_element(OLDER_WOMEN if female else OLDER_MEN)
        use_limburg = rng.random() < 0.55
        last = faker.random_element(LIMBURG_SURNAMES) if use_limburg else faker.last_name()
        born = datetime.date(1928, 1, 1) + datetime.timedelta(days=rng.randint(0, 8400))
        salutation = "Mevrouw" if female else "Mijnheer"
        return new_resident(self.ctx.team, salutation, first, last, born), female

    def plan(
        self, rng: random.Random, resident: Resident, female: bool, target: str, urgent: bool
    ) -> Draft:
        """A full random draft for a resident heading for `target`. With `urgent`, a final
        step-up is left awaiting confirmation."""
        ctx = self.ctx
        hops = history.hops_for(history.plan_route(rng, target))
        history.mark_meetings(rng, hops, urgent or rng.random() < URGENT_FINAL_STEP_UP)
        closure = ""
        if close := next((h for h in hops if h.kind == Kind.CLOSE), None):
            closure = weighted(rng, CLOSURE_BY_STATE[close.source])
        history.schedule(ctx, rng, hops)
        reaches_complex = any(h.target in (S.STEP3, S.STEP4) for h in hops)
        dementia = rng.random() < (0.35 if reaches_complex else 0.12)
        draft = make_draft(ctx.today, resident, female, hops, closure, dementia)
        history.cast_actors(rng, hops, ctx.staff, dementia, closure)
        care.plan_coordinator(ctx, rng, draft)
        plan_carers(ctx, rng, draft)
        care.plan_consent(rng, draft)
        care.plan_assessments(ctx, rng, draft)
        care.plan_goals(rng, draft)
        care.plan_actions(ctx, rng, draft)
        records.plan_own_goal(ctx, rng, draft)
        records.plan_medication_reviews(ctx, rng, draft)
        records.plan_care_planning(ctx, rng, draft)
        events.plan_events(ctx, rng, draft)
        care.plan_carer_support(ctx, rng, draft)
        return draft
