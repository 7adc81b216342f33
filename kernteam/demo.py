"""Demo data: 35 South Limburg kernteams, their members, meetings and residents.

Everything is derived from a seed and a reference date ("today"), so two fresh databases seeded
alike hold the same names, dates, states and histories. Resident number `i` of a team depends
only on (seed, team, i); seeding is idempotent (existing residents are recognised by name and
date of birth) and a larger scale tops teams up.

Histories are built hop by hop from the transitions of `steps.models.Trajectory`, and the
trajectory's fields (review due, pending confirmation, ...) follow from replaying those hops the
way the state machine would.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import hashlib
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from clients.instruments import Instrument, spec
from clients.models import Assessment, Carer, CarerLink, Consent, Resident
from kernteam.models import Meeting, Membership, Team, primary_role
from kernteam.roles import ROLE_PRECEDENCE, Role
from steps.models import AgreedAction, Domain, Goal, Kind, StepChange, Trajectory
from steps.states import STEPS, ClosureReason, State, add_months, review_due

User = Any  # the auth user model (typing only)

PASSWORD = "kernteam-demo"
DEFAULT_SEED = 2026
REGION_RESIDENTS_PER_TEAM = 300
TEAM_SIZE_RANGE = (30, 60)
HISTORY_DAYS = 364  # histories start at most this many days before "today"
SCENARIO_TEAM = "daalhof"

# --- teams ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    neighbourhood: str
    municipality: str

    @property
    def slug(self) -> str:
        return slugify(self.neighbourhood)

    @property
    def name(self) -> str:
        return f"Kernteam {self.neighbourhood}"


MAASTRICHT = "Maastricht"
TEAMS: tuple[TeamSpec, ...] = (
    # Pilot neighbourhoods first (so `--teams 2` includes Daalhof).
    TeamSpec("De Baandert", "Sittard-Geleen"),
    TeamSpec("Daalhof", MAASTRICHT),
    TeamSpec("Eijsden", "Eijsden-Margraten"),
    TeamSpec("Hoensbroek", "Heerlen"),
    TeamSpec("Lindenheuvel", "Sittard-Geleen"),
    TeamSpec("Kerkrade Centrum-Bleijerheide", "Kerkrade"),
    # Woonzorgzones.
    TeamSpec("Amby", MAASTRICHT),
    TeamSpec("Malberg", MAASTRICHT),
    TeamSpec("Pottenberg", MAASTRICHT),
    TeamSpec("Wittevrouwenveld", MAASTRICHT),
    TeamSpec("Wyckerpoort", MAASTRICHT),
    TeamSpec("Heer", MAASTRICHT),
    TeamSpec("Nazareth", MAASTRICHT),
    TeamSpec("Vaals Vallisveld", "Vaals"),
    TeamSpec("Valkenburg", "Valkenburg aan de Geul"),
    TeamSpec("Gulpen", "Gulpen-Wittem"),
    TeamSpec("Meerssen", "Meerssen"),
    # Further neighbourhoods.
    TeamSpec("Mariaberg", MAASTRICHT),
    TeamSpec("Caberg", MAASTRICHT),
    TeamSpec("Malpertuis", MAASTRICHT),
    TeamSpec("Heugem", MAASTRICHT),
    TeamSpec("Scharn", MAASTRICHT),
    TeamSpec("Heerlerheide", "Heerlen"),
    TeamSpec("Meezenbroek", "Heerlen"),
    TeamSpec("Zeswegen", "Heerlen"),
    TeamSpec("Limbrichterveld", "Sittard-Geleen"),
    TeamSpec("Overhoven", "Sittard-Geleen"),
    TeamSpec("Chevremont", "Kerkrade"),
    TeamSpec("Terwinselen", "Kerkrade"),
    TeamSpec("Schaesberg", "Landgraaf"),
    TeamSpec("Nieuwenhagen", "Landgraaf"),
    TeamSpec("Brunssum-Noord", "Brunssum"),
    TeamSpec("Beek", "Beek"),
    TeamSpec("Stein", "Stein"),
    TeamSpec("Simpelveld", "Simpelveld"),
)

# Neighbouring teams that share one dementia case manager and one elderly-care physician.
# The first slug of a group names its shared members (casemanager.<slug>, so.<slug>).
SHARED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("de-baandert", "lindenheuvel", "limbrichterveld", "overhoven"),
    ("daalhof", "pottenberg", "malberg"),
    ("eijsden", "gulpen", "vaals-vallisveld", "valkenburg"),
    ("hoensbroek", "heerlerheide", "meezenbroek", "zeswegen"),
    ("kerkrade-centrum-bleijerheide", "chevremont", "terwinselen", "simpelveld"),
    ("amby", "heer", "scharn", "heugem"),
    ("wittevrouwenveld", "wyckerpoort", "nazareth"),
    ("mariaberg", "caberg", "malpertuis"),
    ("meerssen", "beek", "stein"),
    ("brunssum-noord", "schaesberg", "nieuwenhagen"),
)
SHARED_ROLES: tuple[str, ...] = (Role.DEMENTIA_CASE_MANAGER, Role.ELDERLY_CARE_PHYSICIAN)

ROLE_PREFIX: dict[str, str] = {
    Role.GP: "huisarts",
    Role.POH: "poh",
    Role.DISTRICT_NURSE: "wijkverpleging",
    Role.WELFARE: "welzijn",
    Role.DEMENTIA_CASE_MANAGER: "casemanager",
    Role.ELDERLY_CARE_PHYSICIAN: "so",
    Role.COORDINATOR: "coordinator",
}

# --- names ----------------------------------------------------------------------------------

OLDER_WOMEN = (
    "Maria", "Anna", "Johanna", "Elisabeth", "Wilhelmina", "Catharina", "Hubertina", "Gertruda",
    "Mathilde", "Josephina", "Agnes", "Margaretha", "Helena", "Cornelia", "Petronella", "Leonie",
    "Mia", "Riet", "Tiny", "Annie", "Truus", "Lies", "Jeanne", "Marie-Louise", "Bertha", "Thea",
)  # fmt: skip
OLDER_MEN = (
    "Johannes", "Hubertus", "Mathieu", "Josephus", "Petrus", "Hendrikus", "Leonardus", "Theodorus",
    "Wilhelmus", "Gerardus", "Franciscus", "Antonius", "Lambertus", "Sjef", "Sjra", "Huub", "Jo",
    "Harrie", "Leo", "Frans", "Jean", "Pierre", "Louis", "Charles", "Jacques", "Toon", "Wiel",
)  # fmt: skip
MIDDLE_WOMEN = (
    "Marij", "Ingrid", "Petra", "Monique", "Yvonne", "Nicole", "Esther", "Sandra", "Bianca",
    "Carla", "Marion", "Anja", "Mariëlle", "Brigitte", "Jacqueline", "Annemie", "Thea", "Ellen",
)  # fmt: skip
MIDDLE_MEN = (
    "Jos", "Rob", "Marcel", "Ralph", "Paul", "Roger", "Patrick", "John", "René", "Wim", "Guido",
    "Ger", "Math", "Huub", "Twan", "Ron", "Frank", "Peter",
)  # fmt: skip
LIMBURG_SURNAMES = (
    "Janssen", "Jansen", "Smeets", "Peters", "Hermans", "Lemmens", "Wouters", "Vossen", "Dassen",
    "Frijns", "Meijers", "Schoonbrood", "Brouwers", "Pluijmen", "Ramakers", "Houben", "Bemelmans",
    "Habets", "Hendrikx", "Coenen", "Schreurs", "Geurts", "Theunissen", "Kurvers", "Senden",
    "Gielen", "Claessens", "Bollen", "Maessen", "Ummels", "Lenssen", "Ortmans", "Kleijnen",
    "Wetzels", "Notermans", "Muijrers", "Vroomen", "Knops", "Willems", "Cremers", "Dohmen",
    "Huijnen", "Quaedvlieg", "Crombach", "Bessems", "Pinckaers", "Stijns", "Bastiaens", "Kicken",
)  # fmt: skip

# --- how residents are spread ---------------------------------------------------------------

S = State
STATE_WEIGHTS: dict[str, int] = {
    S.SIGNALLED: 5, S.SCREENING: 6, S.STEP1: 32, S.STEP2: 30,
    S.STEP3: 11, S.STEP4: 6, S.ADMITTED: 4, S.CLOSED: 6,
}  # fmt: skip

# Ways into each step after screening (states after "screening"), with weights.
STEP_PATHS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    S.STEP1: (((S.STEP1,), 7), ((S.STEP2, S.STEP1), 2), ((S.STEP3, S.STEP1), 1)),
    S.STEP2: (((S.STEP2,), 6), ((S.STEP1, S.STEP2), 3), ((S.STEP2, S.STEP3, S.STEP2), 1)),
    S.STEP3: (((S.STEP3,), 4), ((S.STEP2, S.STEP3), 4), ((S.STEP1, S.STEP3), 1),
              ((S.STEP2, S.STEP4, S.STEP3), 1)),
    S.STEP4: (((S.STEP2, S.STEP4), 5), ((S.STEP3, S.STEP4), 3), ((S.STEP1, S.STEP2, S.STEP4), 2)),
}  # fmt: skip
ADMITTED_FROM: dict[str, int] = {S.STEP1: 1, S.STEP2: 3, S.STEP3: 3, S.STEP4: 2}
CLOSED_FROM: dict[str, int] = {
    S.SIGNALLED: 1, S.SCREENING: 1, S.STEP1: 2, S.STEP2: 3, S.STEP3: 2, S.STEP4: 2, S.ADMITTED: 1,
}  # fmt: skip
CLOSURE_BY_STATE: dict[str, dict[str, int]] = {
    S.SIGNALLED: {ClosureReason.MOVED: 1, ClosureReason.NO_LONGER_NEEDED: 2},
    S.SCREENING: {ClosureReason.CONSENT_WITHDRAWN: 2, ClosureReason.NO_LONGER_NEEDED: 2,
                  ClosureReason.MOVED: 1},
    S.STEP1: {ClosureReason.NO_LONGER_NEEDED: 3, ClosureReason.MOVED: 1,
              ClosureReason.DECEASED: 1},
    S.STEP2: {ClosureReason.DECEASED: 2, ClosureReason.NURSING_HOME: 1, ClosureReason.MOVED: 1,
              ClosureReason.CONSENT_WITHDRAWN: 1},
    S.STEP3: {ClosureReason.DECEASED: 2, ClosureReason.NURSING_HOME: 2},
    S.STEP4: {ClosureReason.DECEASED: 3, ClosureReason.NURSING_HOME: 3},
    S.ADMITTED: {ClosureReason.DECEASED: 2, ClosureReason.NURSING_HOME: 1},
}  # fmt: skip

# Days between a hop and the one before it, by the kind of the later hop.
GAP_DAYS: dict[str, tuple[int, int]] = {
    Kind.SCREEN: (2, 21), Kind.ENTER: (7, 42), Kind.STEP_UP: (30, 120),
    Kind.STEP_DOWN: (30, 120), Kind.ADMIT: (20, 150), Kind.RETURN: (3, 28), Kind.CLOSE: (14, 120),
}  # fmt: skip
# How long ago the last hop was, by the state it led to. Steps: a little past their review
# interval at most, so some reviews are overdue.
LAST_HOP_AGE: dict[str, tuple[int, int]] = {
    S.SIGNALLED: (1, 40), S.SCREENING: (1, 60), S.STEP1: (1, 330), S.STEP2: (1, 209),
    S.STEP3: (1, 104), S.STEP4: (1, 48), S.ADMITTED: (1, 21), S.CLOSED: (1, 300),
}  # fmt: skip
RETURN_AGE = (1, 30)
# Chance that a hop of this kind is taken in a team meeting (non-final step-ups: always).
MEETING_CHANCE: dict[str, float] = {Kind.ENTER: 0.5, Kind.STEP_DOWN: 0.7, Kind.CLOSE: 0.15}
URGENT_FINAL_STEP_UP = 0.3

R = Role
ACTOR_ROLES: dict[str, tuple[str, ...]] = {
    Kind.SIGNAL: (R.POH, R.POH, R.DISTRICT_NURSE, R.WELFARE, R.GP),
    Kind.SCREEN: (R.POH, R.POH, R.GP, R.DISTRICT_NURSE),
    Kind.ENTER: (R.POH, R.GP),
    Kind.STEP_UP: (R.DISTRICT_NURSE, R.POH, R.GP, R.ELDERLY_CARE_PHYSICIAN),
    Kind.STEP_DOWN: (R.GP,),
    Kind.ADMIT: (R.DISTRICT_NURSE, R.GP),
    Kind.RETURN: (R.DISTRICT_NURSE, R.GP),
    Kind.CLOSE: (R.GP, R.COORDINATOR),
}
MEETING_ACTOR_ROLES: tuple[str, ...] = (R.COORDINATOR, R.COORDINATOR, R.GP, R.POH)

FRAILTY_WEIGHTS: dict[str, int] = {
    Instrument.GFI: 55, Instrument.TFI: 20, Instrument.ISAR_PC: 10, Instrument.CFS: 10,
    Instrument.TRAZAG: 5,
}  # fmt: skip
RELATIONSHIP_WEIGHTS: dict[str, int] = {
    CarerLink.Relationship.CHILD: 40, CarerLink.Relationship.PARTNER: 20,
    CarerLink.Relationship.CHILD_IN_LAW: 10, CarerLink.Relationship.NEIGHBOUR: 10,
    CarerLink.Relationship.GRANDCHILD: 8, CarerLink.Relationship.SIBLING: 5,
    CarerLink.Relationship.FRIEND: 5, CarerLink.Relationship.OTHER: 2,
}  # fmt: skip
DOMAIN_WEIGHTS: dict[str, int] = {
    Domain.FUNCTIONAL: 5, Domain.SOMATIC: 4, Domain.SOCIAL: 4, Domain.PSYCHOLOGICAL: 3,
    Domain.HOUSING: 1, Domain.COMMUNICATIVE: 1,
}  # fmt: skip
COORDINATOR_WEIGHTS: dict[str, int] = {R.POH: 5, R.DISTRICT_NURSE: 2, R.WELFARE: 1}

# --- Dutch texts ----------------------------------------------------------------------------

SIGNAL_REASONS = (
    "Valt de laatste maanden vaker; dochter maakt zich zorgen.",
    "Vergeet afspraken en medicijnen; signaal van de apotheek.",
    "Woont alleen sinds het overlijden van de partner en komt weinig buiten.",
    "Ongewild gewichtsverlies; signaal van de thuiszorg.",
    "Mantelzorger geeft aan het niet lang meer vol te houden.",
    "Na ontslag uit het ziekenhuis (heupfractuur) kwetsbaar thuis.",
    "Komt bij de POH met somberheid en eenzaamheid.",
    "Verward op straat aangetroffen; signaal van de wijkagent.",
    "Huis raakt vervuild; buren maken zich zorgen.",
    "Meerdere bezoeken aan de spoedeisende hulp in korte tijd.",
)
SCREEN_REASONS = (
    "Toestemming besproken en vastgelegd; screening gepland.",
    "Toestemming gegeven; GFI wordt afgenomen bij het huisbezoek.",
    "Bewoner en familie akkoord; start screening en brede anamnese.",
)
ENTER_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP1: (
        "Screening onder de afkapwaarde; vinger aan de pols via de ouderenadviseur.",
        "Niet kwetsbaar; preventief beweegaanbod en jaarlijkse controle.",
    ),
    S.STEP2: (
        "Kwetsbaar op meerdere domeinen; zorgplan met doelen en een zorgcoördinator.",
        "Screening boven de afkapwaarde; besproken in het MDO, coördinatie bij de POH.",
    ),
    S.STEP3: (
        "Complexe problematiek (INTERMED 16 of hoger); casemanagement en SO betrokken.",
        "Meervoudige problematiek; specialist ouderengeneeskunde consulteren.",
    ),
}
STEP_UP_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP2: (
        "Toenemende kwetsbaarheid na een val; zorgplan nodig.",
        "Mantelzorger overbelast; coördinatie van de zorg nodig.",
    ),
    S.STEP3: (
        "Cognitieve achteruitgang en onrust; casemanager dementie en SO erbij.",
        "Meerdere domeinen ontregeld na ziekenhuisopname.",
    ),
    S.STEP4: (
        "Thuissituatie onhoudbaar zonder intensieve zorg; Wlz-indicatie aangevraagd.",
        "Nachtelijke onrust en valincidenten; toezicht rond de klok nodig.",
    ),
}
STEP_DOWN_REASONS: dict[str, tuple[str, ...]] = {
    S.STEP1: (
        "Doelen behaald; terug naar vinger aan de pols.",
        "Al maanden stabiel; lichtere ondersteuning volstaat.",
    ),
    S.STEP2: (
        "Situatie gestabiliseerd; casemanagement afgeschaald.",
        "Intensieve zorg niet meer nodig na herstel; terug naar gecoördineerde zorg.",
    ),
    S.STEP3: ("Intensieve zorg afgebouwd; complexe zorg blijft nodig.",),
}
ADMIT_REASONS = (
    "Opgenomen in het ziekenhuis na een val.",
    "Eerstelijnsverblijf (ELV) na een longontsteking.",
    "Respijtopname ter ontlasting van de mantelzorger.",
    "Ziekenhuisopname wegens hartfalen.",
)
RETURN_REASONS = (
    "Weer thuis; thuiszorg hervat, evaluatie in het volgende MDO.",
    "Ontslagen uit het ELV; overdracht ontvangen via eOverdracht.",
)
CLOSE_REASONS: dict[str, tuple[str, ...]] = {
    ClosureReason.DECEASED: ("Overleden.", "Rustig thuis overleden in het bijzijn van familie."),
    ClosureReason.MOVED: (
        "Verhuisd naar een andere gemeente; overgedragen aan de nieuwe huisarts.",
    ),
    ClosureReason.NURSING_HOME: ("Definitief opgenomen in het verpleeghuis.",),
    ClosureReason.CONSENT_WITHDRAWN: (
        "Bewoner trekt de toestemming in en wil geen ondersteuning van het kernteam.",
    ),
    ClosureReason.NO_LONGER_NEEDED: ("Geen ondersteuning meer nodig; redt zich goed.",),
}
GOALS: dict[str, tuple[str, ...]] = {
    Domain.SOMATIC: (
        "Pijn bij bewegen is goed onder controle.",
        "Medicijnen worden juist en op tijd ingenomen.",
        "Gewicht blijft stabiel; voldoende eten en drinken.",
    ),
    Domain.FUNCTIONAL: (
        "Veilig zelfstandig thuis blijven wonen.",
        "Niet meer vallen in huis.",
        "Zelf boodschappen doen met de rollator.",
    ),
    Domain.SOCIAL: (
        "Twee keer per week onder de mensen zijn.",
        "Minder eenzaam; wekelijks contact in de buurt.",
        "De mantelzorger houdt het vol en krijgt op tijd ontlasting.",
    ),
    Domain.PSYCHOLOGICAL: (
        "Minder somber; weer plezier in de dag.",
        "Omgaan met geheugenproblemen met een vaste dagstructuur.",
    ),
    Domain.COMMUNICATIVE: (
        "Goed kunnen horen tijdens gesprekken.",
        "Zelf hulp kunnen inroepen bij nood (alarmering werkt).",
    ),
    Domain.HOUSING: (
        "Woning is veilig: drempels weg, beugels in de badkamer.",
        "Een gelijkvloerse woning in de buurt vinden.",
    ),
}
MEMBER_ACTIONS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    Domain.SOMATIC: (
        ("Medicatiebeoordeling met de apotheker plannen", (R.GP, R.POH)),
        ("Bloeddruk en gewicht controleren bij huisbezoek", (R.POH,)),
        ("Verwijzing naar de diëtist bespreken", (R.GP,)),
    ),
    Domain.FUNCTIONAL: (
        ("Huisbezoek: valrisico en hulpmiddelen in huis bekijken", (R.DISTRICT_NURSE,)),
        ("Fysiotherapie aan huis aanvragen", (R.GP,)),
        ("Hulp bij het douchen twee keer per week inplannen", (R.DISTRICT_NURSE,)),
    ),
    Domain.SOCIAL: (
        ("Aanmelden bij de dagbesteding in de wijk", (R.WELFARE,)),
        ("Kennismaken met een vrijwilliger voor wekelijks bezoek", (R.WELFARE,)),
        ("Respijtzorg voor de mantelzorger bespreken", (R.WELFARE, R.POH)),
    ),
    Domain.PSYCHOLOGICAL: (
        ("Geheugentest en verwijzing naar de geheugenpoli bespreken", (R.GP,)),
        ("Huisbezoek casemanager dementie: dagstructuur afspreken", (R.DEMENTIA_CASE_MANAGER,)),
        ("Consult specialist ouderengeneeskunde bij onrust", (R.ELDERLY_CARE_PHYSICIAN,)),
    ),
    Domain.COMMUNICATIVE: (
        ("Gehoorapparaat laten nakijken", (R.POH,)),
        ("Personenalarmering aanvragen", (R.WELFARE, R.DISTRICT_NURSE)),
    ),
    Domain.HOUSING: (
        ("Wmo-aanvraag voor woningaanpassing indienen", (R.WELFARE,)),
        ("Inschrijven voor een gelijkvloerse woning in de woonzorgzone", (R.WELFARE,)),
    ),
}
PREVENTION_ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kennismaking met de ouderenadviseur", (R.WELFARE,)),
    ("Aanmelden voor de beweeggroep in het buurthuis", (R.WELFARE,)),
    ("Jaarlijkse controle bij de POH inplannen", (R.POH,)),
)
CARER_ACTIONS = (
    "Boodschappen doen op dinsdag en vrijdag",
    "Meegaan naar de afspraak in het ziekenhuis",
    "Medicijnrol wekelijks nakijken",
    "Alarmknop maandelijks testen",
    "Post en rekeningen samen doornemen",
    "Elke zondag samen een stukje wandelen",
)

# --- options and result ---------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOptions:
    today: datetime.date
    seed: int = DEFAULT_SEED
    teams: int | None = None  # first N teams only
    residents_per_team: int | None = None  # None: 30-60 per team, fixed per team by the seed


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
    log(f"{len(teams)} teams, {result.created['user']} new users")
    for spec_ in specs:
        team = teams[spec_.slug]
        with transaction.atomic():
            seeder = TeamSeeder(team, options, faker, result.created)
            added = seeder.seed_residents()
            if spec_.slug == SCENARIO_TEAM:
                added += seeder.seed_scenario(people.user("thea"))
        log(f"  {team.name}: {team.residents.count()} residents (+{added})")
        result.teams.append(team)
    result.logins = demo_logins(specs)
    return result


def demo_logins(specs: Sequence[TeamSpec]) -> list[tuple[str, str, str]]:
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
    if slug == SCENARIO_TEAM:
        rows.append(("thea", "mantelzorger van Mijnheer Ramakers", team_name(slug)))
    return rows


ROLE_PREFIX_ORDER = {ROLE_PREFIX[role]: index for index, role in enumerate(Role.values)}


def team_name(slug: str) -> str:
    return next(s.name for s in TEAMS if s.slug == slug)


# --- small helpers --------------------------------------------------------------------------


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def local_datetime(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(hour, minute))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def working_time(rng: random.Random, day: datetime.date) -> datetime.datetime:
    return local_datetime(day, rng.randint(8, 16), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))


def random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    """A day in [first, last]; `first` when the range is empty."""
    span = (last - first).days
    return first + datetime.timedelta(days=rng.randint(0, span)) if span > 0 else first


def email_for(first: str, last: str, domain: str = "example.nl") -> str:
    return f"{slugify(first)}.{slugify(last).replace('-', '')}@{domain}"


@functools.cache
def fsm_moves() -> dict[tuple[str, str], tuple[str, str]]:
    """(source, target) → (transition name, kind) for every move the state machine allows."""
    moves: dict[tuple[str, str], tuple[str, str]] = {}
    for t in Trajectory().get_all_state_transitions():
        targets = getattr(t.target, "allowed_states", None) or [t.target]
        for target in targets:
            moves[(str(t.source), str(target))] = (t.name, str(t.custom["kind"]))
    return moves


def score_for(rng: random.Random, instrument: str, positive: bool) -> Decimal:
    """A plausible score on the given side of the instrument's cut-off."""
    s = spec(instrument)
    step = Decimal("0.5") if s.half_points else Decimal(1)
    values, value = [], s.minimum
    while value <= s.maximum:
        values.append(value)
        value += step
    side = [v for v in values if s.is_positive(v) == positive]
    band = max(3, len(side) // 2)
    return rng.choice(side[:band] if positive else side[-band:])


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
        extra = ["admin"] + (["thea"] if SCENARIO_TEAM in teams else [])
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

    def _new_user(self, username: str, first: str = "", last: str = "", **extra: Any) -> User:
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
            email=f"{username}@kernteam.example",
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
            "thea": {"first": "Thea", "last": "Ramakers"},
        }
        for username in usernames:
            if username in self.users:
                continue
            options = dict(specials[username])
            user = self._new_user(username, options.pop("first"), options.pop("last"), **options)
            if username == "thea":
                user.email = "thea.ramakers@example.nl"
            user.save()
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


# --- residents ------------------------------------------------------------------------------


@dataclass
class Hop:
    """One row of a resident's history, planned before it is written."""

    kind: str
    source: str
    target: str
    wants_meeting: bool = False
    day: datetime.date | None = None
    meeting: Meeting | None = None
    at: datetime.datetime | None = None
    actor: User | None = None
    reason: str = ""


@dataclass
class Outcome:
    """A trajectory's fields after replaying its hops the way the state machine would."""

    state: str = ""
    review_due: datetime.date | None = None
    step_before_admission: str = ""
    closure_reason: str = ""
    pending: int | None = None  # index of the hop awaiting confirmation


def replay(hops: Sequence[Hop], closure_reason: str = "") -> Outcome:
    out = Outcome()
    for index, hop in enumerate(hops):
        assert hop.day is not None
        if hop.kind in (Kind.ENTER, Kind.STEP_UP, Kind.STEP_DOWN):
            out.review_due = review_due(hop.target, hop.day)
        if hop.kind == Kind.STEP_UP:
            out.pending = index if hop.meeting is None else None
        elif hop.kind == Kind.STEP_DOWN:
            out.pending = None
        elif hop.kind == Kind.ADMIT:
            out.step_before_admission = hop.source
        elif hop.kind == Kind.RETURN:
            out.step_before_admission, out.review_due = "", hop.day
        elif hop.kind == Kind.CLOSE:
            out.review_due, out.step_before_admission, out.pending = None, "", None
            out.closure_reason = closure_reason
        out.state = hop.target
    return out


def plan_route(rng: random.Random, target: str, excursion: bool = True) -> list[str]:
    """The states a resident passes after being signalled, ending in `target`."""
    if target == S.SIGNALLED:
        return []
    if target == S.SCREENING:
        return [S.SCREENING]
    if target == S.CLOSED:
        return [*plan_route(rng, weighted(rng, CLOSED_FROM)), S.CLOSED]
    if target == S.ADMITTED:
        return [*plan_route(rng, weighted(rng, ADMITTED_FROM), excursion=False), S.ADMITTED]
    paths, weights = zip(*STEP_PATHS[target], strict=True)
    route = [S.SCREENING, *rng.choices(paths, weights=weights)[0]]
    if excursion and rng.random() < 0.12:  # a temporary admission somewhere along the way
        at = rng.choice([i for i, state in enumerate(route) if state in STEPS])
        route[at + 1 : at + 1] = [S.ADMITTED, route[at]]
    return route


def hops_for(route: Sequence[str]) -> list[Hop]:
    hops = [Hop(Kind.SIGNAL, "", S.SIGNALLED)]
    for state in route:
        source = hops[-1].target
        _name, kind = fsm_moves()[(source, state)]  # KeyError: not a move the FSM allows
        hops.append(Hop(kind, source, state))
    return hops


@dataclass
class Draft:
    """One resident and everything that hangs off them, before it is written."""

    resident: Resident
    female: bool
    hops: list[Hop]
    outcome: Outcome = field(default_factory=Outcome)
    dementia: bool = False
    carers: list[Carer] = field(default_factory=list)
    links: list[CarerLink] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    actions: list[AgreedAction] = field(default_factory=list)
    end_day: datetime.date = datetime.date.max  # closing day, or the reference date

    def first(self, *kinds: str) -> Hop | None:
        return next((h for h in self.hops if h.kind in kinds), None)

    @property
    def care_hop(self) -> Hop | None:
        """The move that put the resident on a care plan (step 2 or higher)."""
        return next((h for h in self.hops[1:] if h.target in STEPS[1:]), None)


class TeamSeeder:
    """Seeds one team's meetings and residents."""

    def __init__(
        self, team: Team, options: SeedOptions, faker: Faker, created: Counter[str]
    ) -> None:
        self.team = team
        self.options = options
        self.today = options.today
        self.faker = faker
        self.created = created
        self.earliest = self.today - datetime.timedelta(days=HISTORY_DAYS)
        self.roles: dict[int, set[str]] = {}
        self.staff = self._staff()
        self.meetings = self._ensure_meetings()
        self.meeting_days = [local_date(m.scheduled_for) for m in self.meetings]

    def key(self, *parts: object) -> str:
        return ":".join(str(p) for p in (self.options.seed, self.team.slug, *parts))

    def _staff(self) -> dict[str, User]:
        staff: dict[str, User] = {}
        for m in self.team.memberships.active().select_related("user").order_by("pk"):
            staff.setdefault(m.role, m.user)
            self.roles.setdefault(m.user_id, set()).add(m.role)
        return staff

    # --- meetings -------------------------------------------------------------------------

    def _ensure_meetings(self) -> list[Meeting]:
        """Monthly closed meetings over the past year (only when the team has none yet)."""
        closed = Meeting.Status.CLOSED
        existing = list(self.team.meetings.filter(status=closed).order_by("scheduled_for", "pk"))
        if existing:
            return existing
        rng = random.Random(self.key("meetings"))
        weekday, week, hour = rng.randint(0, 3), rng.randint(0, 2), rng.choice((9, 10, 13, 14))
        meetings = []
        for months_back in range(13, -1, -1):
            day = nth_weekday(add_months(self.today.replace(day=1), -months_back), weekday, week)
            if not self.today - datetime.timedelta(days=HISTORY_DAYS) <= day < self.today:
                continue
            start = local_datetime(day, hour)
            meetings.append(
                Meeting(
                    team=self.team,
                    scheduled_for=start,
                    status=closed,
                    chair=self.staff[Role.COORDINATOR],
                    opened_at=start,
                    closed_at=start + datetime.timedelta(minutes=90),
                )
            )
        Meeting.objects.bulk_create(meetings)
        self.created["meeting"] += len(meetings)
        return meetings

    def meeting_on_or_before(self, day: datetime.date) -> Meeting | None:
        index = bisect.bisect_right(self.meeting_days, day) - 1
        if index < 0 or self.meeting_days[index] < self.earliest:
            return None
        return self.meetings[index]

    def meetings_between(self, first: datetime.date, last: datetime.date) -> list[Meeting]:
        lo = bisect.bisect_left(self.meeting_days, first)
        hi = bisect.bisect_right(self.meeting_days, last)
        return self.meetings[lo:hi]

    # --- residents ------------------------------------------------------------------------

    def team_size(self) -> int:
        if self.options.residents_per_team is not None:
            return self.options.residents_per_team
        return random.Random(self.key("size")).randint(*TEAM_SIZE_RANGE)

    def seed_residents(self) -> int:
        existing = set(self.team.residents.values_list("first_name", "last_name", "date_of_birth"))
        forced = list(State.values)
        random.Random(self.key("forced")).shuffle(forced)  # one resident per state, at least
        drafts = []
        for index in range(self.team_size()):
            rng = random.Random(self.key(index))
            self.faker.seed_instance(self.key(index))
            resident, female = self.new_resident(rng)
            if (resident.first_name, resident.last_name, resident.date_of_birth) in existing:
                continue
            target = forced[index] if index < len(forced) else weighted(rng, STATE_WEIGHTS)
            drafts.append(self.plan(rng, resident, female, target, urgent=index < len(forced)))
        self.write(drafts)
        return len(drafts)

    def new_resident(self, rng: random.Random) -> tuple[Resident, bool]:
        female = rng.random() < 0.62
        first = self.faker.random_element(OLDER_WOMEN if female else OLDER_MEN)
        use_limburg = rng.random() < 0.55
        last = self.faker.random_element(LIMBURG_SURNAMES) if use_limburg else None
        born = datetime.date(1928, 1, 1) + datetime.timedelta(days=rng.randint(0, 8400))
        resident = Resident(
            team=self.team,
            first_name=first,
            last_name=last or self.faker.last_name(),
            salutation="Mevrouw" if female else "Mijnheer",
            date_of_birth=born,
            neighbourhood=self.team.neighbourhood,
            gp_practice=f"Huisartsenpraktijk {self.team.neighbourhood}",
        )
        return resident, female

    def plan(
        self, rng: random.Random, resident: Resident, female: bool, target: str, urgent: bool
    ) -> Draft:
        """A full random draft for a resident heading for `target`. With `urgent`, a final
        step-up is left awaiting confirmation."""
        hops = hops_for(plan_route(rng, target))
        self.mark_meetings(rng, hops, urgent or rng.random() < URGENT_FINAL_STEP_UP)
        closure = ""
        if close := next((h for h in hops if h.kind == Kind.CLOSE), None):
            closure = weighted(rng, CLOSURE_BY_STATE[close.source])
        self.schedule(rng, hops)
        reaches_complex = any(h.target in (S.STEP3, S.STEP4) for h in hops)
        dementia = rng.random() < (0.35 if reaches_complex else 0.12)
        draft = self.draft(resident, female, hops, closure, dementia)
        self.cast_actors(rng, draft, closure)
        self.plan_coordinator(rng, draft)
        self.plan_carers(rng, draft)
        self.plan_consent(rng, draft)
        self.plan_assessments(rng, draft)
        self.plan_goals(rng, draft)
        self.plan_actions(rng, draft)
        return draft

    def draft(
        self, resident: Resident, female: bool, hops: list[Hop], closure: str, dementia: bool
    ) -> Draft:
        close = next((h for h in hops if h.kind == Kind.CLOSE), None)
        end_day = close.day if close is not None else self.today
        outcome = replay(hops, closure)
        return Draft(resident, female, hops, outcome, dementia=dementia, end_day=end_day)

    # --- history --------------------------------------------------------------------------

    def mark_meetings(self, rng: random.Random, hops: list[Hop], urgent_final: bool) -> None:
        last_step_up = max((i for i, h in enumerate(hops) if h.kind == Kind.STEP_UP), default=-1)
        for index, hop in enumerate(hops):
            if hop.kind == Kind.STEP_UP:
                final = index == last_step_up and index == len(hops) - 1
                hop.wants_meeting = not (final and urgent_final)
            else:
                hop.wants_meeting = rng.random() < MEETING_CHANCE.get(hop.kind, 0.0)

    def schedule(self, rng: random.Random, hops: list[Hop]) -> None:
        """Give every hop a day (and a time), working back from the last one. When the
        history would not fit in the past year, try again with shorter gaps."""
        for attempt in range(4):
            if self._try_schedule(rng, hops, shrink=0.5**attempt, use_meetings=attempt < 3):
                break
        else:  # pragma: no cover - the last attempt always fits
            raise AssertionError("history does not fit in a year")
        for hop in hops:
            if hop.meeting is not None:
                minutes = rng.randint(5, 85)
                hop.at = hop.meeting.scheduled_for + datetime.timedelta(minutes=minutes)
            else:
                hop.at = working_time(rng, hop.day)

    def _try_schedule(
        self, rng: random.Random, hops: list[Hop], shrink: float, use_meetings: bool
    ) -> bool:
        last = hops[-1]
        lo, hi = RETURN_AGE if last.kind == Kind.RETURN else LAST_HOP_AGE[last.target]
        day = self.today - datetime.timedelta(days=max(1, round(rng.randint(lo, hi) * shrink)))
        for index in reversed(range(len(hops))):
            hop = hops[index]
            if index < len(hops) - 1:
                gap = max(1, round(rng.randint(*GAP_DAYS[hops[index + 1].kind]) * shrink))
                day = hops[index + 1].day - datetime.timedelta(days=gap)
            hop.meeting = (
                self.meeting_on_or_before(day) if use_meetings and hop.wants_meeting else None
            )
            if hop.meeting is not None:
                day = local_date(hop.meeting.scheduled_for)
            if day < self.earliest:
                return False
            hop.day = day
        return True

    def cast_actors(self, rng: random.Random, draft: Draft, closure: str) -> None:
        """Who took each step, and why (in Dutch)."""
        for hop in draft.hops:
            if hop.meeting is not None:
                roles = ACTOR_ROLES[Kind.CLOSE] if hop.kind == Kind.CLOSE else MEETING_ACTOR_ROLES
            else:
                roles = ACTOR_ROLES[hop.kind]
                if draft.dementia and hop.kind in (Kind.SIGNAL, Kind.STEP_UP):
                    roles = (*roles, R.DEMENTIA_CASE_MANAGER)
            hop.actor = self.staff[rng.choice(roles)]
            hop.reason = rng.choice(reasons_for(hop, closure))

    # --- people around the resident -------------------------------------------------------

    def plan_coordinator(self, rng: random.Random, draft: Draft) -> None:
        if draft.care_hop is not None:
            weights = dict(COORDINATOR_WEIGHTS)
            if draft.dementia:
                weights[R.DEMENTIA_CASE_MANAGER] = 4
            draft.resident.coordinator = self.staff[weighted(rng, weights)]
        elif draft.first(Kind.ENTER) is not None and rng.random() < 0.25:
            draft.resident.coordinator = self.staff[rng.choice((R.POH, R.WELFARE))]

    def plan_carers(self, rng: random.Random, draft: Draft) -> None:
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
            carer = self.new_carer(rng, draft, relationship)
            draft.carers.append(carer)
            draft.links.append(
                CarerLink(
                    carer=carer,
                    resident=draft.resident,
                    relationship=relationship,
                    since=draft.hops[0].day,
                )
            )

    def new_carer(self, rng: random.Random, draft: Draft, relationship: str) -> Carer:
        resident, f = draft.resident, self.faker
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

    def plan_consent(self, rng: random.Random, draft: Draft) -> None:
        screen = draft.first(Kind.SCREEN)
        if screen is None:
            return
        disciplines = list(ROLE_PRECEDENCE)
        if not draft.dementia and rng.random() < 0.3:
            disciplines.remove(R.DEMENTIA_CASE_MANAGER)
        consent = Consent(
            resident=draft.resident,
            given_on=screen.day,
            disciplines=[str(d) for d in disciplines],
            share_with_carers=bool(draft.carers) and rng.random() < 0.85,
            recorded_by=screen.actor,
            recorded_at=screen.at - datetime.timedelta(minutes=5),
        )
        close = draft.first(Kind.CLOSE)
        if close and draft.outcome.closure_reason == ClosureReason.CONSENT_WITHDRAWN:
            consent.withdrawn_at = close.at - datetime.timedelta(hours=1)
            consent.withdrawn_by = close.actor
        draft.consents.append(consent)

    # --- assessments ----------------------------------------------------------------------

    def assess(
        self,
        draft: Draft,
        rng: random.Random,
        instrument: str,
        positive: bool,
        day: datetime.date,
        by: User,
        carer: Carer | None = None,
        score: Decimal | None = None,
    ) -> None:
        assessment = Assessment(
            resident=draft.resident,
            instrument=instrument,
            score=score_for(rng, instrument, positive) if score is None else score,
            assessed_on=day,
            assessed_by=by,
            carer=carer,
        )
        assessment.derive_outcome()  # bulk_create skips save(), which derives it
        draft.assessments.append(assessment)

    def plan_assessments(self, rng: random.Random, draft: Draft) -> None:
        screen, enter = draft.first(Kind.SCREEN), draft.first(Kind.ENTER)
        if screen is None:
            return
        if enter is None:  # still screening (or closed during it): half have a result
            if rng.random() < 0.6:
                day = random_day(rng, screen.day, draft.end_day - datetime.timedelta(days=1))
                self.assess(
                    draft,
                    rng,
                    weighted(rng, FRAILTY_WEIGHTS),
                    rng.random() < 0.5,
                    day,
                    screen.actor,
                )
            return
        self.plan_entry_assessments(rng, draft, screen, enter)
        self.plan_follow_up_assessments(rng, draft, enter)
        self.plan_carer_assessments(rng, draft)

    def plan_entry_assessments(
        self, rng: random.Random, draft: Draft, screen: Hop, enter: Hop
    ) -> None:
        day = random_day(rng, screen.day, enter.day - datetime.timedelta(days=1))
        positive = enter.target != S.STEP1
        instrument = weighted(rng, FRAILTY_WEIGHTS)
        if rng.random() < 0.25 and instrument != Instrument.CFS:
            self.assess(draft, rng, Instrument.CFS, positive, day, screen.actor)
        self.assess(draft, rng, instrument, positive, day, screen.actor)
        if enter.target == S.STEP3:
            self.assess(
                draft, rng, Instrument.INTERMED, True, day, self.staff[R.ELDERLY_CARE_PHYSICIAN]
            )
        elif enter.target == S.STEP2 and rng.random() < 0.2:
            self.assess(draft, rng, Instrument.INTERMED, False, day, screen.actor)

    def plan_follow_up_assessments(self, rng: random.Random, draft: Draft, enter: Hop) -> None:
        """Re-screen when the frailty picture changes; INTERMED when needs become complex."""
        frail = enter.target != S.STEP1
        complex_ = enter.target == S.STEP3
        for hop in draft.hops[draft.hops.index(enter) + 1 :]:
            if hop.kind not in (Kind.STEP_UP, Kind.STEP_DOWN):
                continue
            if (hop.target != S.STEP1) != frail:
                frail = not frail
                self.assess(draft, rng, Instrument.GFI, frail, hop.day, hop.actor)
            if hop.target in (S.STEP3, S.STEP4) and not complex_:
                complex_ = True
                by = self.staff[R.ELDERLY_CARE_PHYSICIAN]
                self.assess(draft, rng, Instrument.INTERMED, True, hop.day, by)

    def plan_carer_assessments(self, rng: random.Random, draft: Draft) -> None:
        care = draft.care_hop
        if care is None or not draft.carers or rng.random() >= 0.35:
            return
        instrument = Instrument.EDIZ_PLUS if rng.random() < 0.6 else Instrument.CSI
        day = random_day(rng, care.day, draft.end_day - datetime.timedelta(days=1))
        by = self.staff[rng.choice((R.POH, R.WELFARE, R.DEMENTIA_CASE_MANAGER))]
        self.assess(draft, rng, instrument, rng.random() < 0.35, day, by, carer=draft.carers[0])

    # --- care plan: goals and agreed actions ----------------------------------------------

    def plan_goals(self, rng: random.Random, draft: Draft) -> None:
        care = draft.care_hop
        if care is None:
            return
        domains = pick_domains(rng, rng.choice((1, 2, 2, 3, 3, 4)), draft.dementia)
        state = draft.outcome.state
        for index, domain in enumerate(domains):
            if state == S.CLOSED:
                status = Goal.Status.ACHIEVED if rng.random() < 0.5 else Goal.Status.DROPPED
            elif state == S.STEP1:
                status = Goal.Status.ACHIEVED if rng.random() < 0.7 else Goal.Status.OPEN
            elif index > 0 and rng.random() < 0.15:
                status = Goal.Status.ACHIEVED
            else:
                status = Goal.Status.OPEN
            description = rng.choice(GOALS[domain])
            if domain == Domain.PSYCHOLOGICAL and draft.dementia:
                description = GOALS[domain][1]
            draft.goals.append(
                Goal(
                    resident=draft.resident,
                    domain=domain,
                    description=description,
                    status=status,
                    created_by=care.actor,
                    created_at=care.at - datetime.timedelta(minutes=2),
                    meeting=care.meeting,
                )
            )

    def plan_actions(self, rng: random.Random, draft: Draft) -> None:
        start = draft.care_hop or (draft.first(Kind.ENTER) if rng.random() < 0.3 else None)
        if start is None:
            return
        count = rng.randint(1, 4) if draft.care_hop else 1
        for _ in range(count):
            self.plan_action(rng, draft, start)

    def plan_action(self, rng: random.Random, draft: Draft, start: Hop) -> None:
        goal = rng.choice(draft.goals) if draft.goals and rng.random() < 0.7 else None
        domain = goal.domain if goal else weighted(rng, DOMAIN_WEIGHTS)
        carer = rng.choice(draft.carers) if draft.carers and rng.random() < 0.3 else None
        if carer is not None:
            text, owner = rng.choice(CARER_ACTIONS), None
        else:
            options = MEMBER_ACTIONS[domain] if draft.care_hop else PREVENTION_ACTIONS
            text, roles = rng.choice(options)
            owner = self.staff[rng.choice(roles)]
        created_at, meeting = self.action_moment(rng, draft, start)
        created_day = local_date(created_at)
        due = created_day + datetime.timedelta(days=rng.randint(7, 56))
        status = self.action_status(rng, draft, due)
        consent = draft.consents[0] if draft.consents else None
        shares = bool(consent and consent.share_with_carers)
        action = AgreedAction(
            resident=draft.resident,
            goal=goal,
            description=text,
            owner_member=owner,
            owner_carer=carer,
            due_on=due,
            status=status,
            shared_with_carers=carer is not None or (shares and rng.random() < 0.5),
            created_by=draft.resident.coordinator or self.staff[R.POH],
            created_at=created_at,
            meeting=meeting,
        )
        if status == AgreedAction.Status.DONE:
            day_before = datetime.timedelta(days=1)
            last = min(due, draft.end_day - day_before, self.today - day_before)
            days = max(0, (last - created_day).days)
            action.done_at = created_at + datetime.timedelta(days=rng.randint(0, days), hours=2)
            action.done_by = owner or (carer.user if carer and carer.user else action.created_by)
        draft.actions.append(action)

    def action_moment(
        self, rng: random.Random, draft: Draft, start: Hop
    ) -> tuple[datetime.datetime, Meeting | None]:
        """When an action was agreed: mostly in a meeting after the care plan started."""
        last = draft.end_day - datetime.timedelta(days=1)
        meetings = self.meetings_between(start.day, last)
        if meetings and rng.random() < 0.7:
            meeting = rng.choice(meetings)
            return meeting.scheduled_for + datetime.timedelta(minutes=rng.randint(5, 85)), meeting
        moment = working_time(rng, random_day(rng, start.day, last))
        return max(moment, start.at + datetime.timedelta(minutes=5)), None

    def action_status(self, rng: random.Random, draft: Draft, due: datetime.date) -> str:
        done, cancelled, open_ = (
            AgreedAction.Status.DONE,
            AgreedAction.Status.CANCELLED,
            AgreedAction.Status.OPEN,
        )
        if draft.outcome.state == S.CLOSED:
            return done if rng.random() < 0.7 else cancelled
        roll = rng.random()
        if due < self.today:
            return done if roll < 0.65 else cancelled if roll < 0.75 else open_
        return done if roll < 0.1 else open_

    # --- writing --------------------------------------------------------------------------

    def write(self, drafts: Sequence[Draft]) -> None:
        """Bulk-create the drafts in dependency order."""
        if not drafts:
            return
        for draft in drafts:  # a resident is recorded when first signalled
            draft.resident.created_at = draft.hops[0].at - datetime.timedelta(minutes=1)
        self._bulk(Resident, [d.resident for d in drafts])
        trajectories = [
            Trajectory(
                resident=d.resident,
                state=d.outcome.state,
                review_due=d.outcome.review_due,
                step_before_admission=d.outcome.step_before_admission,
                closure_reason=d.outcome.closure_reason,
            )
            for d in drafts
        ]
        self._bulk(Trajectory, trajectories)
        rows = [self.history_rows(d, t) for d, t in zip(drafts, trajectories, strict=True)]
        self._bulk(StepChange, [row for per_resident in rows for row in per_resident])
        for draft, trajectory, per_resident in zip(drafts, trajectories, rows, strict=True):
            if draft.outcome.pending is not None:
                change = per_resident[draft.outcome.pending]
                Trajectory.objects.filter(pk=trajectory.pk).update(pending_confirmation=change)
        for model, attribute in (
            (Carer, "carers"),
            (CarerLink, "links"),
            (Consent, "consents"),
            (Assessment, "assessments"),
            (Goal, "goals"),
            (AgreedAction, "actions"),
        ):
            self._bulk(model, [obj for d in drafts for obj in getattr(d, attribute)])

    def history_rows(self, draft: Draft, trajectory: Trajectory) -> list[StepChange]:
        return [
            StepChange(
                trajectory=trajectory,
                kind=hop.kind,
                from_state=hop.source,
                to_state=hop.target,
                actor=hop.actor,
                # the role a history row names: the first that applies, as the FSM does
                actor_role=primary_role(self.roles[hop.actor.pk]),
                at=hop.at,
                reason=hop.reason,
                meeting=hop.meeting,
            )
            for hop in draft.hops
        ]

    def _bulk(self, model: type, objects: list[Any]) -> None:
        model.objects.bulk_create(objects)
        self.created[model._meta.model_name] += len(objects)

    # --- the scenario residents of Daalhof ------------------------------------------------

    def seed_scenario(self, thea: User | None) -> int:
        existing = set(self.team.residents.values_list("last_name", "date_of_birth"))
        drafts = []
        if ("Janssen", JANSSEN_BORN) not in existing:
            drafts.append(self.janssen())
        if ("Ramakers", RAMAKERS_BORN) not in existing and thea is not None:
            drafts.append(self.ramakers(thea))
        self.write(drafts)
        return len(drafts)

    def scenario_hops(
        self, route: Sequence[str], days_ago: Sequence[int], meeting_at: int
    ) -> list[Hop]:
        """Hops on fixed days; the hop at index `meeting_at` is taken in a team meeting."""
        hops = hops_for(route)
        for hop, ago in zip(hops, days_ago, strict=True):
            hop.day = self.today - datetime.timedelta(days=ago)
        hop = hops[meeting_at]
        hop.meeting = self.meeting_on_or_before(hop.day)
        if (
            hop.meeting is not None
            and local_date(hop.meeting.scheduled_for) > hops[meeting_at - 1].day
        ):
            hop.day = local_date(hop.meeting.scheduled_for)
        else:
            hop.meeting = None
        return hops

    def scenario_times(self, hops: Sequence[Hop], actors: Sequence[str], reasons: Sequence[str]):
        for index, (hop, role, reason) in enumerate(zip(hops, actors, reasons, strict=True)):
            base = hop.meeting.scheduled_for if hop.meeting else local_datetime(hop.day, 10)
            hop.at = base + datetime.timedelta(minutes=15 + index)
            hop.actor, hop.reason = self.staff[role], reason

    def janssen(self) -> Draft:
        """Mevrouw Janssen: step 2, coordinated by the POH, a home visit by the district nurse."""
        resident = self.scenario_resident("Mevrouw", "Maria", "Janssen", JANSSEN_BORN)
        hops = self.scenario_hops((S.SCREENING, S.STEP2), (130, 118, 45), meeting_at=2)
        self.scenario_times(
            hops,
            (R.POH, R.POH, R.COORDINATOR),
            (
                "Valt vaker en eet slecht sinds haar man overleed; zoon belde de praktijk.",
                "Toestemming besproken met mevrouw; GFI bij het huisbezoek.",
                "GFI 7: kwetsbaar op meerdere domeinen. Zorgplan, coördinatie bij de POH.",
            ),
        )
        draft = self.draft(resident, True, hops, closure="", dementia=False)
        resident.coordinator = self.staff[R.POH]
        rng = random.Random(self.key("janssen"))
        screen, enter = hops[1], hops[2]
        self.plan_consent(rng, draft)
        assessment_day = screen.day + datetime.timedelta(days=7)
        by = self.staff[R.POH]
        self.assess(draft, rng, Instrument.GFI, True, assessment_day, by, score=Decimal(7))
        goals = (
            (Domain.FUNCTIONAL, "Veilig zelfstandig thuis blijven wonen, zonder te vallen."),
            (Domain.SOMATIC, "Weer op gewicht komen: drie maaltijden per dag."),
            (Domain.SOCIAL, "Twee keer per week onder de mensen zijn."),
        )
        for domain, text in goals:
            draft.goals.append(self.scenario_goal(resident, domain, text, enter))
        actions = (
            ("Huisbezoek: valrisico en hulpmiddelen in huis bekijken", R.DISTRICT_NURSE, 6, 0),
            ("Medicatiebeoordeling met de apotheker plannen", R.GP, 20, 1),
            ("Aanmelden bij de maaltijdservice en de dagbesteding", R.WELFARE, -4, 2),
        )
        for text, role, due_in, goal_index in actions:
            draft.actions.append(
                self.scenario_action(
                    draft,
                    text,
                    due_in,
                    enter,
                    goal=draft.goals[goal_index],
                    owner_member=self.staff[role],
                )
            )
        return draft

    def ramakers(self, thea: User) -> Draft:
        """Mijnheer Ramakers: stepped up to step 2; his daughter Thea shares in the actions."""
        resident = self.scenario_resident("Mijnheer", "Sjef", "Ramakers", RAMAKERS_BORN)
        hops = self.scenario_hops(
            (S.SCREENING, S.STEP1, S.STEP2), (220, 205, 190, 60), meeting_at=3
        )
        self.scenario_times(
            hops,
            (R.DISTRICT_NURSE, R.POH, R.POH, R.COORDINATOR),
            (
                "Dochter Thea maakt zich zorgen: vader vergeet te eten en zijn medicijnen.",
                "Toestemming gegeven, ook voor delen met dochter Thea.",
                "GFI 3: niet kwetsbaar. Vinger aan de pols via de ouderenadviseur.",
                "Toenemende vergeetachtigheid; Thea raakt overbelast. Zorgplan nodig.",
            ),
        )
        draft = self.draft(resident, False, hops, closure="", dementia=False)
        resident.coordinator = self.staff[R.POH]
        carer = Carer(
            first_name="Thea",
            last_name="Ramakers",
            email="thea.ramakers@example.nl",
            phone="06 41 27 83 90",
            user=thea,
        )
        draft.carers.append(carer)
        draft.links.append(
            CarerLink(
                carer=carer,
                resident=resident,
                relationship=CarerLink.Relationship.CHILD,
                since=hops[0].day,
            )
        )
        rng = random.Random(self.key("ramakers"))
        self.plan_consent(rng, draft)
        draft.consents[0].share_with_carers = True
        screen, step_up = hops[1], hops[3]
        by = self.staff[R.POH]
        screened = screen.day + datetime.timedelta(days=5)
        self.assess(draft, rng, Instrument.GFI, False, screened, by, score=Decimal(3))
        self.assess(draft, rng, Instrument.GFI, True, step_up.day, by, score=Decimal(6))
        self.assess(draft, rng, Instrument.EDIZ_PLUS, False, step_up.day, by, carer=carer)
        goals = (
            (
                Domain.PSYCHOLOGICAL,
                "Vaste dagstructuur, zodat eten en medicijnen niet vergeten worden.",
            ),
            (Domain.SOCIAL, "Thea houdt de zorg vol en krijgt één dag per week ontlasting."),
        )
        for domain, text in goals:
            draft.goals.append(self.scenario_goal(resident, domain, text, step_up))
        first, second = draft.goals
        draft.actions += [
            self.scenario_action(
                draft, "Medicijnrol wekelijks nakijken", 3, step_up, goal=first, owner_carer=carer
            ),
            self.scenario_action(
                draft,
                "Aanmelden voor de dagbesteding op woensdag",
                10,
                step_up,
                goal=second,
                owner_member=self.staff[R.WELFARE],
            ),
            self.scenario_action(
                draft,
                "Huisbezoek: valrisico en hulpmiddelen in huis bekijken",
                -12,
                step_up,
                owner_member=self.staff[R.DISTRICT_NURSE],
                done=True,
            ),
        ]
        return draft

    def scenario_resident(self, salutation: str, first: str, last: str, born: datetime.date):
        return Resident(
            team=self.team,
            salutation=salutation,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            neighbourhood=self.team.neighbourhood,
            gp_practice=f"Huisartsenpraktijk {self.team.neighbourhood}",
        )

    def scenario_goal(self, resident: Resident, domain: str, text: str, hop: Hop) -> Goal:
        return Goal(
            resident=resident,
            domain=domain,
            description=text,
            created_by=hop.actor,
            created_at=hop.at - datetime.timedelta(minutes=2),
            meeting=hop.meeting,
        )

    def scenario_action(
        self, draft: Draft, text: str, due_in: int, hop: Hop, done: bool = False, **owner: Any
    ) -> AgreedAction:
        action = AgreedAction(
            resident=draft.resident,
            description=text,
            due_on=self.today + datetime.timedelta(days=due_in),
            shared_with_carers=bool(draft.carers),
            created_by=draft.resident.coordinator,
            created_at=hop.at + datetime.timedelta(minutes=3),
            meeting=hop.meeting,
            **owner,
        )
        if done:
            action.status = AgreedAction.Status.DONE
            action.done_at = local_datetime(action.due_on - datetime.timedelta(days=1), 15)
            action.done_by = action.owner_member
        return action


JANSSEN_BORN = datetime.date(1938, 3, 14)
RAMAKERS_BORN = datetime.date(1934, 6, 21)


def reasons_for(hop: Hop, closure: str) -> tuple[str, ...]:
    if hop.kind == Kind.SIGNAL:
        return SIGNAL_REASONS
    if hop.kind == Kind.SCREEN:
        return SCREEN_REASONS
    if hop.kind == Kind.ENTER:
        return ENTER_REASONS[hop.target]
    if hop.kind == Kind.STEP_UP:
        return STEP_UP_REASONS[hop.target]
    if hop.kind == Kind.STEP_DOWN:
        return STEP_DOWN_REASONS[hop.target]
    if hop.kind == Kind.ADMIT:
        return ADMIT_REASONS
    if hop.kind == Kind.RETURN:
        return RETURN_REASONS
    return CLOSE_REASONS[closure]


def pick_domains(rng: random.Random, count: int, dementia: bool) -> list[str]:
    """`count` distinct domains, weighted; psychological first for residents with dementia."""
    chosen = [Domain.PSYCHOLOGICAL.value] if dementia else []
    pool = dict(DOMAIN_WEIGHTS)
    while len(chosen) < count:
        for domain in chosen:
            pool.pop(domain, None)
        chosen.append(weighted(rng, pool))
    return chosen


def nth_weekday(first_of_month: datetime.date, weekday: int, week: int) -> datetime.date:
    """The `week`-th (0-based) `weekday` (0 = Monday) of the month starting at `first_of_month`."""
    offset = (weekday - first_of_month.weekday()) % 7
    return first_of_month + datetime.timedelta(days=offset + 7 * week)
