"""Personas: the kernteam of Daalhof (Maastricht), a second team, and a carer.

Outside CI, tests that need a missing service skip with a reason; under CI=true a missing
service is a failure (see `require_service` in tests/helpers.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kernteam.roles import Role
from tests import clock
from tests.factories import (
    ResidentFactory,
    UserFactory,
    give_consent,
)
from tests.helpers import (  # noqa: F401 (IN_CI, require_service: still imported from here by two modules)
    IN_CI,
    Team,
    build_team,
    require_service,
)
from tests.kpi_region import build_region
from tests.servers import OwnRedis


def pytest_configure(config) -> None:
    """KERNTEAM_CLOCK_AHEAD_DAYS=N: the whole session runs N days ahead (tests/clock.py)."""
    clock.start()


def pytest_report_header(config) -> str | None:
    days = clock.days_ahead()
    return f"clock: {days:g} days ahead ({clock.AHEAD})" if days else None


@pytest.fixture
def daalhof(db) -> Team:
    return build_team("Daalhof")


@pytest.fixture
def malberg(db) -> Team:
    return build_team("Malberg")


@pytest.fixture
def thea(db):
    """Thea Ramakers: a carer's user account (no team membership)."""
    return UserFactory(username="thea", first_name="Thea", last_name="Ramakers")


@pytest.fixture
def resident_in(daalhof):
    """A Daalhof resident in `state`. Between signal and closure, they have consented to share
    with every discipline of the team (as screening requires); `consent=False` leaves it out."""

    def make(state: str, *, consent: bool | None = None, **kwargs):
        resident = ResidentFactory(team=daalhof.team, state=state, **kwargs)
        if consent if consent is not None else state not in ("signalled", "closed"):
            give_consent(resident, daalhof.poh, disciplines=list(Role.values))
        return resident

    return make


@pytest.fixture
def team_events(monkeypatch) -> list[tuple[str, dict]]:
    """Live events sent to team groups, as (group, event). Wrap the action in
    `django_capture_on_commit_callbacks(execute=True)`: events go out on commit only."""
    sent: list[tuple[str, dict]] = []

    class RecordingLayer:
        async def group_send(self, group: str, message: dict) -> None:
            event = dict(message["event"])
            assert isinstance(event.pop("at"), float)  # when it was committed
            sent.append((group, event))

    monkeypatch.setattr("kernteam.events.get_channel_layer", RecordingLayer)
    return sent


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, on a free port, that it may kill, freeze and restart."""
    found = shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()
    require_service(bool(found), "redis-server is not installed")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def region(daalhof, malberg):
    """The KPI tests' hand-counted dataset (tests/kpi_region.py); the two teams, A and B."""
    return build_region(daalhof, malberg)
