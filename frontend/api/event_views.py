"""/api/v1/residents/<id>/events/: a resident's outcome events (`steps.outcomes`), read and
recorded with the same service as the web panel; every read and write noted for the access
log (`api_resident`)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from frontend.api.access import api_resident, parsed, responses
from frontend.api.event_serializers import OutcomeEventInputSerializer, OutcomeEventSerializer
from steps.outcome_services import record_event


@extend_schema(
    methods=["GET"],
    responses=responses(
        OutcomeEventSerializer(many=True),
        404,
        descriptions={
            200: "The resident's outcome events, latest first.",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Outcome events (falls, SEH visits, admissions, death …)",
    tags=["events"],
)
@extend_schema(
    methods=["POST"],
    request=OutcomeEventInputSerializer,
    responses=responses(
        OutcomeEventSerializer,
        400,
        403,
        404,
        created=True,
        descriptions={
            201: "Recorded. A hospital or crisis admission, a death or a permanent "
            "nursing-home admission is linked to the move it goes with when that move is "
            "taken (`step_change`).",
            400: "Bad input, by field: an unknown kind, a date in the future or before the "
            "resident's birth, no place for a death or a place for anything else; the same "
            "kind of event on the same date on record already (`confirm_duplicate`); or the "
            "record is closed.",
            403: "Not a member of a kernteam (the reason says why).",
            404: "No such resident, or not yours to see (team and consent).",
        },
    ),
    summary="Record an outcome event",
    tags=["events"],
)
@api_view(["GET", "POST"])
def events(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.outcome_events.select_related("recorded_by")
        return Response(OutcomeEventSerializer(rows, many=True).data)
    data = parsed(OutcomeEventInputSerializer, request.data)
    data.setdefault("occurred_on", timezone.localdate())
    made = record_event(resident=subject, by=request.user, **data)
    return Response(OutcomeEventSerializer(made).data, status=status.HTTP_201_CREATED)
