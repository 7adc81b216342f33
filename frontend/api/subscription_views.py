"""FHIR R4 Subscriptions for integrators (issue 20 §2), under /fhir/:

- `POST /fhir/Subscription`: a FHIR Subscription (`rest-hook`, `application/fhir+json`, id-only
  payload as the Subscriptions Backport IG writes it). 201 with the stored Subscription, now
  `active`, whose extension `<base>StructureDefinition/subscription-secret` holds the secret
  that signs the deliveries: shown this once, never again.
- `GET /fhir/Subscription`: the caller's own, as a searchset Bundle.
- `GET /fhir/Subscription/<id>`, `DELETE /fhir/Subscription/<id>` (stops it: `off`; nothing is
  deleted), the caller's own only (404 otherwise).

Only an integration account of a team (`clients.subscriptions`) gets past 403 (an account that
left its team still reads and stops its own). Every error answer (400, 401, 403, 404, 405, 413,
415) is a FHIR OperationOutcome (application/fhir+json): the views are `fhir_views.FhirView`s
(its exception handler), their own refusals are built with its `operation_outcome`. A bad
element's issue names it (`expression`, e.g. "Subscription.channel.endpoint"); every element
is checked (type, length, NUL and lone surrogates as the API's `Text` fields check them, the
endpoint's rules) before anything is saved. Bodies may be sent as application/fhir+json or
application/json; answers are application/fhir+json. Subscriptions hold no resident's data:
nothing here is in the access log (the receiver's own reads of what changed are)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from clients.fhir_refs import FHIR_JSON
from clients.subscriptions import (
    PAYLOAD_CONTENT,
    Subscription,
    create_subscription,
    endpoint_problem,
    own_subscriptions,
    require_integration_account,
    stop_subscription,
)
from frontend.api.access import STANDARD_ERRORS
from frontend.api.fhir_views import FhirView, operation_outcome
from frontend.api.parsers import JSONParser
from frontend.api.serializers import Text
from kernteam.refusals import Refused


class FHIRJSONParser(JSONParser):
    media_type = FHIR_JSON


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


class FhirAPIView(FhirView):
    """`fhir_views.FhirView` (FHIR JSON whatever the Accept header asks, every error DRF answers
    itself, 401, 405, 413, 415 or a parse error, an OperationOutcome) for any signed-in account
    (the views ask `require_integration_account`: a 403 OperationOutcome, not DRF's), with
    bodies."""

    http_method_names = ["get", "post", "delete", "options"]
    parser_classes = [FHIRJSONParser, JSONParser]
    permission_classes = [IsAuthenticated]


class SubscriptionsView(FhirAPIView):
    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="A searchset Bundle."),
            **_errors,
        },
        summary="Your subscriptions (FHIR R4)",
        tags=["fhir"],
        operation_id="fhir_subscriptions_list",
    )
    def get(self, request):
        try:
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

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={201: _resource, 400: _outcome[400], **_errors},
        summary="Subscribe to changes of your team's residents (FHIR R4 Subscription, id-only)",
        tags=["fhir"],
        operation_id="fhir_subscriptions_create",
    )
    def post(self, request):
        try:
            require_integration_account(user=request.user)
            return _create(request)
        except Refused as refused:
            return refusal(refused)


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


class SubscriptionView(FhirAPIView):
    @extend_schema(
        responses={200: _resource, 404: _outcome[404], **_errors},
        summary="One of your subscriptions (FHIR R4)",
        tags=["fhir"],
        operation_id="fhir_subscription_read",
    )
    def get(self, request, pk: str):
        return _own(request, pk=pk, stop=False)

    @extend_schema(
        responses={200: _resource, 404: _outcome[404], **_errors},
        summary="Stop one of your subscriptions (status off; nothing is deleted)",
        tags=["fhir"],
        operation_id="fhir_subscription_stop",
    )
    def delete(self, request, pk: str):
        return _own(request, pk=pk, stop=True)


def _own(request, *, pk: str, stop: bool) -> Response:
    try:
        mine = own_subscriptions(user=request.user)
    except Refused as refused:
        return refusal(refused)
    found = (
        mine.filter(pk=int(pk)).first() if pk.isascii() and pk.isdigit() and len(pk) < 19 else None
    )
    if found is None:
        return outcome(404, [("not-found", "", _("No such subscription of yours."))])
    if stop:
        found = stop_subscription(subscription=found)
    return Response(found.as_fhir(), content_type=FHIR_JSON)


subscriptions = SubscriptionsView.as_view()
subscription = SubscriptionView.as_view()


# --- reading a FHIR Subscription -----------------------------------------------------------

Issue = tuple[str, str, str]  # (OperationOutcome issue code, expression, message)


def parse_subscription(data) -> tuple[dict, list[Issue]]:
    """The fields `create_subscription` takes, and every issue found (all at once). Any JSON
    in any element (an array, null, a number) is an issue, never a 500."""
    if not isinstance(data, dict) or data.get("resourceType") != "Subscription":
        return {}, [("invalid", "Subscription", _("Send a FHIR Subscription resource."))]
    issues: list[Issue] = []
    channel = data.get("channel")
    channel = channel if isinstance(channel, dict) else {}
    reason = _text(data, "reason", "Subscription.reason", issues)
    criteria = _text(data, "criteria", "Subscription.criteria", issues, limit_of="criteria")
    endpoint = _text(channel, "endpoint", "Subscription.channel.endpoint", issues)
    if not isinstance(data.get("status"), str) or data["status"] not in ("requested", "active"):
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


def _text(data: dict, key: str, expression: str, issues: list[Issue], *, limit_of: str = "") -> str:
    """The element as text the model keeps (the API's `Text` rules: a JSON string, at most the
    field's length, no NUL or lone surrogates), stripped; "" with an issue otherwise."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        issues.append(("required", expression, _("This element is required.")))
        return ""
    field = Text(Subscription, limit_of or expression.rpartition(".")[2])
    try:
        return field.run_validation(value).strip()
    except serializers.ValidationError as refused:
        issues.extend(("value", expression, str(m)) for m in refused.detail)
        return ""


def is_id_only(channel: dict) -> bool:
    payload = channel.get("_payload")
    extensions = payload.get("extension") if isinstance(payload, dict) else None
    return isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == PAYLOAD_CONTENT and e.get("valueCode") == "id-only"
        for e in extensions
    )


# --- answers -------------------------------------------------------------------------------


def outcome(status_code: int, issues: list[Issue]) -> Response:
    """An OperationOutcome (`fhir_views.operation_outcome`), each issue with its own code."""
    body = operation_outcome(
        status=status_code,
        data=[{expression or "detail": [message]} for _code, expression, message in issues],
    )
    for issue, (code, _expression, _message) in zip(body["issue"], issues, strict=True):
        issue["code"] = code
    return Response(body, status=status_code, content_type=FHIR_JSON)


def refusal(refused: Refused) -> Response:
    """A domain refusal as an OperationOutcome: 403 (forbidden) or 400, by element."""
    code = "forbidden" if refused.forbidden else "value"
    if refused.fields:
        issues = [(code, field, m) for field, messages in refused.fields.items() for m in messages]
    else:
        issues = [(code, "", m) for m in refused.problems]
    return outcome(403 if refused.forbidden else 400, issues)
