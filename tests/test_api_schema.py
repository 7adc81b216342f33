"""Schemathesis against our own OpenAPI schema: generated requests to every operation, as a GP
of a team with residents in every state, never get a 5xx or an answer the schema does not
describe (status code, content type, body, headers). Bounded: a few examples per operation."""

from __future__ import annotations

import datetime
import zlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import positive_data_acceptance

from clients.models import Resident
from kernteam.models import Meeting
from steps.states import State
from tests.conftest import build_team
from tests.factories import ResidentFactory, carer_for, give_consent, goal, score

EXAMPLES = 25


@pytest.fixture
def api_schema(db):
    """The schema as served, and a team for the generated requests to find things in. The
    app runs in this thread, inside the test's transaction (as Django's test client does, it
    must not close the connection after each request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    daalhof = build_team("Daalhof")
    for state in State.values:
        resident = ResidentFactory(team=daalhof.team, state=state)
        if state not in ("signalled", "closed"):
            give_consent(resident, daalhof.poh)
            goal(resident, daalhof.gp)
            score(resident, "gfi", 6, daalhof.poh)
            carer_for(resident)
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    api_schema.known = {
        "residents": list(Resident.objects.values_list("pk", flat=True)),
        "actions": [],
        "concerns": [],
        "meetings": [meeting.pk],
        "teams": [daalhof.team.slug],
    }
    _, token = AuthToken.objects.create(user=daalhof.gp, expiry=datetime.timedelta(days=1))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

    api_schema.token = token
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case):
    # Half of the generated ids are swapped for ids that exist, so that the answers behind
    # the 404 (reads, moves, refusals) are exercised too.
    params = case.path_parameters or {}
    kind = case.path.split("/")[3]  # /api/v1/<kind>/...
    known = api_schema.known.get(kind)
    key = "slug" if kind == "teams" else "id"
    if known and key in params and zlib.crc32(str(params[key]).encode()) % 2 == 0:
        params[key] = known[zlib.crc32(str(params[key]).encode()) % len(known)]
    # Every check but "schema-valid data is accepted": a schema cannot say which team slugs or
    # carer ids exist, and the API rightly answers 400/404 for those.
    case.call_and_validate(
        headers={"Authorization": f"Token {api_schema.token}"},
        excluded_checks=[positive_data_acceptance],
    )
