"""What `manage.py seed_demo` uses of the demo region (see the package's docstring)."""

from demo.data import (
    DEFAULT_SEED,
    PASSWORD,
    REGION_RESIDENTS_PER_TEAM,
    SCENARIO_TEAM,
    SHARED_GROUPS,
    TEAMS,
    SeedOptions,
    TeamSpec,
)
from demo.people import StaffSeat, staff_plan
from demo.seeder import SeedResult, demo_logins, seed

__all__ = [
    "DEFAULT_SEED",
    "PASSWORD",
    "REGION_RESIDENTS_PER_TEAM",
    "SCENARIO_TEAM",
    "SHARED_GROUPS",
    "TEAMS",
    "SeedOptions",
    "SeedResult",
    "StaffSeat",
    "TeamSpec",
    "demo_logins",
    "seed",
    "staff_plan",
]
