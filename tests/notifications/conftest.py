"""Every notification test runs on a fixed Monday morning in Maastricht (time_machine: never
today's date), with links in mails that start with a known address."""

from __future__ import annotations

import pytest
import time_machine

from tests.notifications.helpers import BASE, MONDAY, at


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.KERNTEAM_BASE_URL = BASE


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(at(MONDAY), tick=False) as traveller:
        yield traveller
