"""Production's path (PostgreSQL, Redis, DEBUG off) plus the baseline views benchmarks compare
against (`bench.urls`). Never used to serve users."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405

if "CONFIG" in CHANNEL_LAYERS["default"]:  # noqa: F405  (Redis: a prefix of this run's own)
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["BENCH_CHANNEL_PREFIX"]  # noqa: F405
