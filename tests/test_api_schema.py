"""Schemathesis against our own OpenAPI schema: generated requests to every operation, as a GP
of a team with residents in every state, never get a 5xx or an answer the schema does not
describe (status code, content type, body, headers); a body the schema forbids (a number for
a text, an empty text) is refused; and a body or query the schema allows is never refused by
the API's parsing. Bounded: a few examples per operation."""

from __future__ import annotations

import datetime
import zlib

import jsonschema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from rest_framework.exceptions import ValidationError
from schemathesis.checks import positive_data_acceptance

from clients.models import Resident
from frontend.api import views
from kernteam.models import Meeting
from steps.states import State
from tests.factories import ResidentFactory, carer_for, give_consent, goal, score
from tests.helpers import build_team

EXAMPLES = 25


@pytest.fixture
def api_schema(db, monkeypatch):
    """The schema as served, and a team for the generated requests to find things in. The
    app runs in this thread, inside the test's transaction (as Django's test client does, it
    must not close the connection after each request). What the API's parsing refuses is
    recorded, for `schema_valid_input_is_parsed`."""
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
    api_schema.token = token
    api_schema.refused = []
    parse = views.parsed

    def recorded(serializer_class, data):
        try:
            return parse(serializer_class, data)
        except ValidationError as exc:
            api_schema.refused.append((serializer_class.__name__, exc.detail))
            raise

    monkeypatch.setattr(views, "parsed", recorded)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def schema_valid_input_is_parsed(ctx, response, case):
    """What the schema allows, the API's parsing accepts. (Schemathesis's own check of this,
    `positive_data_acceptance`, expects no 400 at all for such a request; but the domain
    rightly answers 400 with a field message for a team slug or carer id that does not exist,
    a move the resident's state does not allow or a score outside its instrument's range, and
    a schema cannot say those.)"""
    refused, api_schema.refused[:] = list(api_schema.refused), []
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    components = case.operation.schema.raw_schema["components"]["schemas"]
    data = case.body if isinstance(case.body, dict) else (case.query or {})
    for serializer, errors in refused:
        fields = components.get(serializer.removesuffix("Serializer") + "Request", {})
        for field in errors:
            schema_of = fields.get("properties", {}).get(field)
            # (schemathesis's coverage phase sometimes pads a value past its own pattern)
            if schema_of is None or field not in data or _allows(schema_of, data[field]):
                raise AssertionError(f"The schema allows this input; the API refused it: {errors}")


def _allows(schema_of: dict, value) -> bool:
    if "$ref" in schema_of or "allOf" in schema_of or "oneOf" in schema_of:
        return True  # (enums: what the schema lists, the API takes)
    return jsonschema.Draft4Validator(schema_of).is_valid(value)


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
    # Three in four generated ids are swapped for ids that exist, so that the answers behind
    # the 404 (reads, writes, refusals) are exercised too.
    params = case.path_parameters or {}
    kind = (case.path.split("/") + [""] * 4)[3]  # /api/v1/<kind>/... (/fhir/…: none)
    known = api_schema.known.get(kind)
    key = "slug" if kind == "teams" else "id"
    crc = zlib.crc32(str(params.get(key)).encode())
    if known and key in params and crc % 4:
        params[key] = known[crc % len(known)]
    api_schema.refused.clear()
    case.call_and_validate(
        headers={"Authorization": f"Token {api_schema.token}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_input_is_parsed],
    )
