"""What every API view shares: the access policy with the access log, parsing with field
errors, and the documented answers (every status code a view can give)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from clients.visibility import resident_for_member
from kernteam.access_log import note
from kernteam.models import Team
from kernteam.policy import team_for_member

_detail = inline_serializer("Detail", {"detail": serializers.CharField()})
_field_errors = inline_serializer(
    "FieldErrors",
    {"field_name": serializers.ListField(child=serializers.CharField(), required=False)},
)
_conflict = inline_serializer(
    "Conflict", {"detail": serializers.CharField(), "current_state": serializers.CharField()}
)

STANDARD_ERRORS = {
    400: OpenApiResponse(_field_errors, description="Bad input: messages per field."),
    401: OpenApiResponse(_detail, description="Not signed in (no or an expired token)."),
    403: OpenApiResponse(_detail, description="Signed in, but not allowed to do this."),
    404: OpenApiResponse(_detail, description="No such thing, or not yours to see."),
    409: OpenApiResponse(_conflict, description="Someone changed it first."),
}
NOT_FOUND = {401: STANDARD_ERRORS[401], 403: STANDARD_ERRORS[403], 404: STANDARD_ERRORS[404]}


def responses(
    ok,
    *codes: int,
    created: bool = False,
    descriptions: dict[int, str] | None = None,
) -> dict:
    """The documented answers of a view: its success, 401 and 403 (every view: not signed in,
    not a team member), and the other error `codes` it can give."""
    descriptions = descriptions or {}
    success = 201 if created else 200
    answers = {success: OpenApiResponse(ok, description=descriptions.get(success, ""))}
    for code in sorted({401, 403, *codes}):
        answer = STANDARD_ERRORS[code]
        if code in descriptions:
            answer = OpenApiResponse(answer.response, description=descriptions[code])
        answers[code] = answer
    return answers


def list_and_create(output, input, *, tag: str, listing: str, creating: str):
    """The schema of a view that lists a resident's records (GET) and adds one (POST)."""

    def decorate(view):
        view = extend_schema(
            methods=["POST"],
            request=input,
            responses=responses(output, 400, 403, 404, created=True),
            summary=creating,
            tags=[tag],
        )(view)
        return extend_schema(
            methods=["GET"],
            responses=responses(output(many=True), 404),
            summary=listing,
            tags=[tag],
        )(view)

    return decorate


def parsed(serializer_class, data) -> dict:
    """Validated input, or 400 with a message per field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def api_resident(request, pk: int, *, action: str | None = None):
    """The resident if the caller may see them (404 otherwise), noted for the access log."""
    resident = resident_for_member(user=request.user, pk=pk)
    note(request, team=resident.team, residents=[resident.pk], action=action)
    return resident


def member_team(request, slug: str) -> Team:
    return team_for_member(user=request.user, slug=slug)


def noted(request, rows: list[tuple[Team, int]], *, action: str | None = None) -> None:
    """Note residents shown in a list, grouped per team."""
    per_team: dict[int, tuple[Team, list[int]]] = {}
    for team, resident_id in rows:
        per_team.setdefault(team.pk, (team, []))[1].append(resident_id)
    for team, ids in per_team.values():
        note(request, team=team, residents=ids, action=action)
