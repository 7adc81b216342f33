"""CI runs the suite a year ahead (KERNTEAM_CLOCK_AHEAD_DAYS, tests/clock.py): the servers the
tests start run on the same clock as the tests."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

from tests.clock import AHEAD, ROOT, days_ahead


def test_a_server_the_tests_start_keeps_the_tests_clock():
    """`python -m tests.clock <module>` (as tests/servers.py starts uvicorn) moves the clock."""
    in_ten_years = datetime.date.today() + datetime.timedelta(days=3653)
    printed = subprocess.run(
        [sys.executable, "-m", "tests.clock", "calendar"],  # prints this year's calendar
        cwd=ROOT,
        env={**os.environ, AHEAD: str(days_ahead() + 3653)},  # (this process: days_ahead())
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert printed.split()[0] == str(in_ten_years.year)
