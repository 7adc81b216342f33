"""Production's path (PostgreSQL, Redis, DEBUG off) plus the baseline views benchmarks compare
against (`bench.urls`). Never used to serve users."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
