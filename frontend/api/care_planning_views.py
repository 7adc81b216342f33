"""/api/v1/residents/<id>/care-planning/: a resident's advance care planning (PZP,
`clients.care_planning`), read with the panel's selector (`readable_care_planning`: who reads,
and what) and recorded with the same service as the web form; every read and write, and a
refused attempt on her file, noted for the access log (`api_resident`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from clients.care_planning_services import (
    check_may_record,
    readable_care_planning,
    record_care_planning,
)
from frontend.api.access import api_resident, parsed, responses
from frontend.api.care_planning_serializers import (
    CarePlanningInputSerializer,
    CarePlanningSerializer,
)
from kernteam.policy import roles_on


@extend_schema(
    methods=["GET"],
    responses=responses(
        CarePlanningSerializer(many=True),
        404,
        descriptions={
            200: "Every version, latest first; the first is in force, the others `superseded`.",
            403: "Your role does not read advance care planning (the welfare worker and the "
            "team coordinator never do), or the consent does not name the discipline in which "
            "you would read it.",
            404: "No such resident, or not yours to see (team, consent).",
        },
    ),
    summary="Advance care planning (PZP): every conversation, latest first",
    tags=["care planning"],
)
@extend_schema(
    methods=["POST"],
    request=CarePlanningInputSerializer,
    responses=responses(
        CarePlanningSerializer,
        400,
        403,
        404,
        created=True,
        descriptions={
            201: "Recorded: the new version, now in force (earlier ones are kept, superseded). "
            "It is shared with the carers only if `shared_with_carers` is `true`, whatever "
            "the version before it.",
            400: "Bad input: messages per field; a treatment limit's under `limits` (the "
            "input's shape) or `limit_<code>` (the rules), or the record is closed.",
            403: "Only the GP, the elderly-care physician or the POH records; only the GP "
            "shares the summary of wishes with carers.",
            404: "No such resident, or not yours to see (team, consent).",
        },
    ),
    summary="Record an advance care planning conversation (a new version)",
    tags=["care planning"],
)
@api_view(["GET", "POST"])
def care_planning(request, pk: int):
    subject = api_resident(request, pk)  # 404: not yours to see; noted (a refused attempt too)
    if request.method == "GET":
        shown = readable_care_planning(resident=subject, user=request.user)  # 403: the reason
        context = {"current": shown.current.pk if shown.current else None}
        return Response(CarePlanningSerializer(shown.versions, many=True, context=context).data)
    check_may_record(roles_on(team=subject.team, user=request.user))  # 403 before any 400
    data = parsed(CarePlanningInputSerializer, request.data)
    data["limits"] = {code: dict(given) for code, given in data["limits"].items()}
    made = record_care_planning(resident=subject, by=request.user, **data)
    return Response(
        CarePlanningSerializer(made, context={"current": made.pk}).data,
        status=status.HTTP_201_CREATED,
    )
