"""Static demo data: the teams, names, how residents are spread, and the seeding options."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.text import slugify

from clients.instruments import Instrument
from clients.models import CarerLink
from kernteam.roles import Role
from steps.models import Domain, Kind
from steps.states import ClosureReason, State

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

# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOptions:
    today: datetime.date
    seed: int = DEFAULT_SEED
    teams: int | None = None  # first N teams only
    residents_per_team: int | None = None  # None: 30-60 per team, fixed per team by the seed
