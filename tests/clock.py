"""The tests' clock. With KERNTEAM_CLOCK_AHEAD_DAYS=N the whole suite runs N days in the future
(time goes on from there), in the test process and in the servers it starts: CI runs the suite
a year ahead, so that a test that depends on the day it runs fails today, not next year.

`python -m tests.clock <module> <args…>` runs a module (uvicorn) on the same clock.
Only Python's clock moves: PostgreSQL's now() and Chromium's Date do not, so the application
and the tests never ask them the time (the application takes it from Python: timezone.now()).
"""

from __future__ import annotations

import datetime
import os
import runpy
import sys
from pathlib import Path

AHEAD = "KERNTEAM_CLOCK_AHEAD_DAYS"
ROOT = Path(__file__).resolve().parent.parent


def days_ahead() -> float:
    value = os.environ.get(AHEAD, "").strip()
    return float(value) if value else 0.0


def start() -> None:
    """Move this process's clock `days_ahead()` days forward; a no-op when it is 0."""
    days = days_ahead()
    if not days:
        return
    import time_machine

    destination = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
    time_machine.travel(destination, tick=True).start()


if __name__ == "__main__":
    start()
    module, *arguments = sys.argv[1:]
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
