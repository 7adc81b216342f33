"""Read-only FHIR addresses (issue 20): `GET <base><Type>/<id>` for every resource the export
writes, `GET <base>Patient/<id>/$everything`, and the published conformance resources.

`<base>` is settings.KERNTEAM_FHIR_BASE, the address every exported fullUrl starts with. This
server answers at its /fhir/ path (config/urls.py), so the configured base must point there:
`https://kernteam.example.nl/fhir/` directly, or the address a proxy forwards to this server's
/fhir/. Otherwise the fullUrls and canonical URLs it hands out answer nothing.

A resource is read as the bundles read it (`frontend.api.views.resident_fhir`): the resident
the id belongs to (`steps.fhir.ids`), 404 unless the caller may see her (never 403: that would
tell she exists), her bundle built by `export_bundle`, and the entry with this type and id (404
if none, e.g. a Goal's id asked for as a Task). The access log notes an export of the resident,
as for the bundles. A Practitioner (a name, no resident's data) is read by a member of a team
the practitioner is or was on; a HealthcareService (a local offer) by any member; neither is a
resident's data, so neither is logged. The code systems, extensions and naming systems
(`steps.fhir.conformance`) are public.

Errors answer as a FHIR client expects: an OperationOutcome (application/fhir+json), one issue
per message (per field for bad input). The public pieces for other FHIR views and middleware
(the Subscriptions, `frontend.input_guard`): `operation_outcome` builds the body (the one
builder), `outcome_response` answers it from any view or middleware, and
`outcome_exception_handler` is the exception handler of a DRF view that answers FHIR
(`FhirView.get_exception_handler`).
"""

from __future__ import annotations

import functools
import json

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.fhir_refs import FHIR_JSON
from clients.models import Resident
from clients.visibility import resident_for_member
from frontend.api.errors import exception_handler
from frontend.api.views import bundle_type_of
from kernteam.access_log import note
from kernteam.models import AccessLogEntry, Membership
from kernteam.policy import member_roles
from steps.fhir import care, conformance, export_bundle, ids, people
from steps.fhir.bundle import BUNDLE_TYPES
from steps.fhir.context import Resource, Shared
from steps.referrals import LocalOffer

__all__ = [
    "FHIR_JSON",
    "FhirJSONRenderer",
    "FhirView",
    "operation_outcome",
    "outcome_exception_handler",
    "outcome_response",
]

ID = r"[A-Za-z0-9\-.]{1,64}"  # a FHIR id (and a conformance resource's name)
TYPE = r"[A-Z][A-Za-z]{1,63}"  # a FHIR resource type's name
ISSUE_CODES = {  # HTTP status -> FHIR IssueType
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-long",
    415: "not-supported",
    429: "throttled",
}


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirNegotiation(DefaultContentNegotiation):
    """FHIR JSON whatever the Accept header asks (application/json, application/fhir+json, a
    browser's text/html): a FHIR server's one format here, never 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# --- OperationOutcome ---------------------------------------------------------------------


def operation_outcome(*, status: int, data, code: str | None = None) -> Resource:
    """The error body `data` of the API (`{"detail": ...}`, messages per field, or a list) as an
    OperationOutcome: one issue per message; a field's name is the issue's expression. Each
    issue's code is `code`, else the status's (`ISSUE_CODES`, "processing" for others)."""
    code = code or ISSUE_CODES.get(status, "processing")
    issues: list[dict[str, object]] = []

    def add(message, field: str | None = None) -> None:
        if isinstance(message, (list, tuple)):
            for item in message:
                add(item, field)
            return
        if isinstance(message, dict):
            for key, value in message.items():
                add(value, None if key in ("detail", "non_field_errors") else key)
            return
        issue: dict[str, object] = {"severity": "error", "code": code, "diagnostics": str(message)}
        if field:
            issue["expression"] = [field]
        issues.append(issue)

    add(data)
    if not issues:
        issues.append({"severity": "error", "code": code})
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(status: int, messages, *, code: str | None = None) -> HttpResponse:
    """An error answer as an OperationOutcome (application/fhir+json), for a view of any kind
    or a middleware: `messages` as `operation_outcome` takes them (a message, a list, or
    messages per field), `code` the issues' IssueType if not the status's."""
    body = operation_outcome(status=status, data=messages, code=code)
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def outcome_exception_handler(exc, context):
    """The API's answer to an exception (`frontend.api.errors`), as an OperationOutcome: the
    exception handler of a DRF view that answers FHIR (return it from the view's
    `get_exception_handler`, as `FhirView` does)."""
    response = exception_handler(exc, context)
    if response is not None:
        response.data = operation_outcome(status=response.status_code, data=response.data)
        response.content_type = FHIR_JSON
    return response


@csrf_exempt  # (whatever the method: it changes nothing, and answers as FHIR)
def unknown(request):
    """An address under /fhir/ that nothing answers: 404 as an OperationOutcome."""
    return outcome_response(404, _("Not found."))


# --- the views ------------------------------------------------------------------------------


# A read-only FHIR address: GET (and OPTIONS, as DRF's function views), FHIR JSON whatever the
# Accept header asks, every error an OperationOutcome. DRF's documented hooks only. (Comments,
# not docstrings: the API schema would show a view class's docstring as each GET's text.)
class FhirView(APIView):
    http_method_names = ["get", "options"]
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirNegotiation

    def get_exception_handler(self):
        return outcome_exception_handler


# A FHIR address without authentication at all (no personal data).
class PublicFhirView(FhirView):
    authentication_classes = []
    permission_classes = [AllowAny]


def fhir_view(*, public: bool = False):
    """A function `func(request, **kwargs)` as the GET of a `FhirView` (`PublicFhirView` if
    `public`), returned as its view; `@extend_schema` on the function describes that GET."""

    def decorate(func):
        @functools.wraps(func)  # (with the schema `extend_schema` noted on the function)
        def get(self, request, *args, **kwargs):
            return func(request, *args, **kwargs)

        base = PublicFhirView if public else FhirView
        attributes = {"get": get, "__doc__": func.__doc__, "__module__": func.__module__}
        return type(func.__name__, (base,), attributes).as_view()

    return decorate


# --- the schema ---------------------------------------------------------------------------

OUTCOME = OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR OperationOutcome.")


def _answers(ok: str, *errors: int) -> dict:
    answers = {(200, FHIR_JSON): OpenApiResponse(OpenApiTypes.OBJECT, description=ok)}
    for code, description in (
        (400, "Bad input: one issue per message."),
        (401, "Not signed in (no or an expired token)."),
        (403, "Signed in, but not a member of a kernteam."),
        (404, "No such resource, or not yours to see."),
    ):
        if code in errors:
            answers[(code, FHIR_JSON)] = OpenApiResponse(
                OUTCOME.response, description=f"OperationOutcome. {description}"
            )
    return answers


BUNDLE_TYPE = OpenApiParameter(
    "type",
    str,
    enum=list(BUNDLE_TYPES),
    description="collection (default), or transaction: a PUT request per entry.",
)


# --- reading ------------------------------------------------------------------------------


@fhir_view()
@extend_schema(
    responses=_answers("One FHIR R4 resource.", 401, 403, 404),
    summary="Read one FHIR resource of the export (its fullUrl)",
    tags=["fhir"],
    operation_id="fhir_read",
)
def read(request, resource_type: str, resource_id: str):
    if resource_type not in ids.READABLE_TYPES:
        raise Http404
    owner = ids.owner_of(resource_id=resource_id)
    if owner is None:
        raise Http404
    if owner.kind == "practitioner":
        resource = _practitioner(request, pk=owner.pk)
    elif owner.kind == "offer":
        resource = _offer(pk=owner.pk)
    else:
        resource = _residents(request, owner=owner, address=(resource_type, resource_id))
    if resource is None or resource["resourceType"] != resource_type:
        raise Http404
    return Response(resource)


@fhir_view()
@extend_schema(
    parameters=[BUNDLE_TYPE],
    responses=_answers("A FHIR R4 Bundle: everything about the resident.", 400, 401, 403, 404),
    summary="Everything about one resident (Patient/$everything): her bundle",
    tags=["fhir"],
    operation_id="fhir_Patient_everything",
)
def everything(request, resource_id: str):
    pk = ids.patient_resident(resource_id=resource_id)
    if pk is None:
        raise Http404
    subject = resident_for_member(user=request.user, pk=pk)
    chosen = bundle_type_of(request)
    note(request, team=subject.team, residents=[subject.pk], action=AccessLogEntry.Action.EXPORT)
    bundle = export_bundle(
        residents=Resident.objects.filter(pk=subject.pk), reader=request.user, bundle_type=chosen
    )
    return Response(bundle)


def _residents(request, *, owner: ids.Owner, address: tuple[str, str]) -> Resource | None:
    """The resource from her bundle, if the caller may see her (else 404); noted as an export
    when found."""
    subject = resident_for_member(user=request.user, pk=owner.pk)
    if owner.reads is not None and not owner.reads(user=request.user, resident=subject):
        raise Http404
    bundle = export_bundle(residents=Resident.objects.filter(pk=subject.pk), reader=request.user)
    found = _entry([e["resource"] for e in bundle["entry"]], *address)
    if found is not None:
        action = AccessLogEntry.Action.EXPORT
        note(request, team=subject.team, residents=[subject.pk], action=action)
    return found


def _entry(resources: list[Resource], resource_type: str, resource_id: str) -> Resource | None:
    for resource in resources:
        if resource["resourceType"] == resource_type and resource["id"] == resource_id:
            return resource
    return None


def _practitioner(request, *, pk: int) -> Resource | None:
    """A member of a kernteam the practitioner is or was on reads her Practitioner."""
    teams = list(member_roles(request.user))
    if not Membership.objects.filter(user_id=pk, team_id__in=teams).exists():
        return None
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        return None
    identifiers = people.practitioner_identifiers(user_ids=[pk]).get(pk, ())
    with translation.override(None):
        return people.practitioner(user=user, identifiers=identifiers)


def _offer(*, pk: int) -> Resource | None:
    """A local offer as the export writes it (`steps.fhir.care`): any member reads it."""
    offer = LocalOffer.objects.filter(pk=pk).first()
    if offer is None:
        return None
    shared = Shared()
    shared.offers[offer.pk] = offer
    with translation.override(None):
        resources = care.shared_resources(shared=shared)
    return _entry(resources, "HealthcareService", f"offer-{pk}")


# --- conformance --------------------------------------------------------------------------


def _published(resource_type: str):
    @fhir_view(public=True)
    @extend_schema(
        responses=_answers(f"A FHIR R4 {resource_type} of Kernteam's.", 404),
        summary=f"A {resource_type} Kernteam publishes (its canonical URL)",
        tags=["fhir"],
        auth=[],
        operation_id=f"fhir_{resource_type}_read",
    )
    def view(request, name: str):
        resource = conformance.find(resource_type=resource_type, name=name)
        if resource is None:
            raise Http404
        return Response(resource)

    return view


code_system = _published("CodeSystem")
structure_definition = _published("StructureDefinition")
naming_system = _published("NamingSystem")
