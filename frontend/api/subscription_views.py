"""FHIR R4 Subscriptions for integrators (issue 20 §2), under /fhir/:

- `POST /fhir/Subscription`: a FHIR Subscription (`rest-hook`, `application/fhir+json`, id-only
  payload as the Subscriptions Backport IG writes it). 201 with the stored Subscription, now
  `active`, whose extension `<base>StructureDefinition/subscription-secret` holds the secret
  that signs the deliveries: shown this once, never again.
- `GET /fhir/Subscription`: the caller's own, as a searchset Bundle.
- `GET /fhir/Subscription/<id>`, `DELETE /fhir/Subscription/<id>` (stops it: `off`; nothing is
  deleted), the caller's own only (404 otherwise).

Only an integration account of a team (`clients.subscriptions`) gets past 403. Errors are FHIR
OperationOutcomes whose issue names the element (`expression`, e.g.
"Subscription.channel.endpoint"). Bodies may be sent as application/fhir+json or
application/json; answers are application/fhir+json. Subscriptions hold no resident's data:
nothing here is in the access log (the receiver's own reads of what changed are)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    parser_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clients.subscriptions import (
    FHIR_JSON,
    PAYLOAD_CONTENT,
    create_subscription,
    endpoint_problem,
    own_subscriptions,
    require_integration_account,
    stop_subscription,
)
from frontend.api.access import STANDARD_ERRORS
from frontend.api.parsers import JSONParser
from kernteam.refusals import Refused


class FHIRJSONParser(JSONParser):
    media_type = FHIR_JSON


class FHIRJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"  # (one format: ?format= picks FHIR JSON, as the Accept header does)


_resource = OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Subscription.")
_outcome = {
    code: OpenApiResponse(OpenApiTypes.OBJECT, description=f"A FHIR OperationOutcome: {what}")
    for code, what in (
        (400, "what is wrong, by element (`expression`)."),
        (403, "only an integration account of the team may do this."),
        (404, "no such subscription of yours."),
    )
}
_errors = {401: STANDARD_ERRORS[401], 403: _outcome[403]}


def fhir_api(*methods: str):
    """A DRF function view that speaks FHIR JSON and lets in any signed-in account (the view
    asks `require_integration_account`: a 403 OperationOutcome, not DRF's)."""

    def decorate(view):
        view = renderer_classes([FHIRJSONRenderer, JSONRenderer])(view)
        view = parser_classes([FHIRJSONParser, JSONParser])(view)
        view = permission_classes([IsAuthenticated])(view)
        return api_view(list(methods))(view)

    return decorate


@extend_schema(
    methods=["GET"],
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="A searchset Bundle."),
        **_errors,
    },
    summary="Your subscriptions (FHIR R4)",
    tags=["fhir"],
    operation_id="fhir_subscriptions_list",
)
@extend_schema(
    methods=["POST"],
    request=OpenApiTypes.OBJECT,
    responses={201: _resource, 400: _outcome[400], **_errors},
    summary="Subscribe to changes of your team's residents (FHIR R4 Subscription, id-only)",
    tags=["fhir"],
    operation_id="fhir_subscriptions_create",
)
@fhir_api("GET", "POST")
def subscriptions(request):
    try:
        require_integration_account(user=request.user)
        if request.method == "POST":
            return _create(request)
        mine = own_subscriptions(user=request.user).order_by("pk")
    except Refused as refused:
        return refusal(refused)
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(mine),
        "entry": [
            {"fullUrl": s.full_url, "resource": s.as_fhir(), "search": {"mode": "match"}}
            for s in mine
        ],
    }
    return Response(bundle, content_type=FHIR_JSON)


def _create(request):
    try:
        data = request.data
    except ParseError as exc:
        return outcome(400, [("invalid", "", str(exc.detail))])
    fields, issues = parse_subscription(data)
    if issues:
        return outcome(400, issues)
    made = create_subscription(owner=request.user, **fields)
    return Response(
        made.as_fhir(secret=True),
        status=status.HTTP_201_CREATED,
        content_type=FHIR_JSON,
        headers={"Location": made.full_url},
    )


@extend_schema(
    methods=["GET"],
    responses={200: _resource, 404: _outcome[404], **_errors},
    summary="One of your subscriptions (FHIR R4)",
    tags=["fhir"],
    operation_id="fhir_subscription_read",
)
@extend_schema(
    methods=["DELETE"],
    responses={200: _resource, 404: _outcome[404], **_errors},
    summary="Stop one of your subscriptions (status off; nothing is deleted)",
    tags=["fhir"],
    operation_id="fhir_subscription_stop",
)
@fhir_api("GET", "DELETE")
def subscription(request, pk: str):
    try:
        mine = own_subscriptions(user=request.user)
    except Refused as refused:
        return refusal(refused)
    found = (
        mine.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() and len(pk) < 19 else None
    )
    if found is None:
        return outcome(404, [("not-found", "", _("No such subscription of yours."))])
    if request.method == "DELETE":
        found = stop_subscription(subscription=found)
    return Response(found.as_fhir(), content_type=FHIR_JSON)


# --- reading a FHIR Subscription -----------------------------------------------------------

Issue = tuple[str, str, str]  # (OperationOutcome issue code, expression, message)


def parse_subscription(data) -> tuple[dict, list[Issue]]:
    """The fields `create_subscription` takes, and every issue found (all at once)."""
    if not isinstance(data, dict) or data.get("resourceType") != "Subscription":
        return {}, [("invalid", "Subscription", _("Send a FHIR Subscription resource."))]
    issues: list[Issue] = []
    channel = data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    reason = _text(data, "reason", "Subscription.reason", issues)
    criteria = _text(data, "criteria", "Subscription.criteria", issues)
    endpoint = _text(channel, "endpoint", "Subscription.channel.endpoint", issues)
    if data.get("status") not in ("requested", "active"):
        issues.append(
            ("value", "Subscription.status", _("A new subscription's status is requested."))
        )
    if not isinstance(data.get("channel"), dict):
        issues.append(("required", "Subscription.channel", _("This element is required.")))
    elif channel.get("type") != "rest-hook":
        issues.append(
            ("not-supported", "Subscription.channel.type", _("Only rest-hook is offered."))
        )
    if channel and channel.get("payload") != FHIR_JSON:
        issues.append(
            (
                "not-supported",
                "Subscription.channel.payload",
                _("The payload must be application/fhir+json."),
            )
        )
    if channel and not is_id_only(channel):
        issues.append(
            (
                "not-supported",
                "Subscription.channel.payload",
                _(
                    "Only id-only notifications are offered: extend the payload with "
                    "backport-payload-content, valueCode id-only."
                ),
            )
        )
    if endpoint and (problem := endpoint_problem(endpoint)):
        issues.append(("value", "Subscription.channel.endpoint", problem))
    return {"endpoint": endpoint, "reason": reason, "criteria": criteria}, issues


def _text(data: dict, key: str, expression: str, issues: list[Issue]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        issues.append(("required", expression, _("This element is required.")))
        return ""
    return value.strip()


def is_id_only(channel: dict) -> bool:
    payload = channel.get("_payload")
    extensions = payload.get("extension") if isinstance(payload, dict) else None
    return isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == PAYLOAD_CONTENT and e.get("valueCode") == "id-only"
        for e in extensions
    )


# --- answers -------------------------------------------------------------------------------


def outcome(status_code: int, issues: list[Issue]) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": code,
                "diagnostics": message,
                **({"expression": [expression]} if expression else {}),
            }
            for code, expression, message in issues
        ],
    }
    return Response(body, status=status_code, content_type=FHIR_JSON)


def refusal(refused: Refused) -> Response:
    """A domain refusal as an OperationOutcome: 403 (forbidden) or 400, by element."""
    code = "forbidden" if refused.forbidden else "value"
    if refused.fields:
        issues = [(code, field, m) for field, messages in refused.fields.items() for m in messages]
    else:
        issues = [(code, "", m) for m in refused.problems]
    return outcome(403 if refused.forbidden else 400, issues)
