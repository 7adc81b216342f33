"""/api/v1/teams/<slug>/casefinding/ and /api/v1/casefinding/candidates/<id>/…: the
casefinding rounds of a team (issue 18 §1), with the same domain as the web pages
(`clients.casefinding`, `steps.casefinding_services`).

Uploading and the rounds' counts: the GP, the POH or the team coordinator; the candidates
themselves: the GP and the POH only (403 with the reason otherwise; another team's: 404). Every
list of candidates shown, and every write, is noted in the access log (an entry without a
resident, and the residents the candidates became)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from clients.casefinding import (
    CasefindingRound,
    candidate_of_team,
    candidates_of,
    change_candidate_status,
    follow_up_list,
    may_read_candidates,
    require_reader,
    require_runner,
    rounds_of,
)
from clients.casefinding_import import (
    RowsRefused,
    already_imported,
    import_casefinding,
    preview_casefinding,
    read_upload,
)
from frontend.api import casefinding_serializers as cs
from frontend.api.access import STANDARD_ERRORS, member_team, parsed, responses
from frontend.api.uploads import problems_response, refusal_body
from kernteam.access_log import note
from kernteam.models import AccessLogEntry
from kernteam.policy import roles_on
from steps.casefinding_services import record_questionnaire

READ, WRITE = AccessLogEntry.Action.READ, AccessLogEntry.Action.WRITE

PROBLEMS = problems_response(
    "Casefinding",
    "The file is refused, nothing imported: `file` says why in Dutch (a row's "
    "problem starts with its line number: missing or unreadable date of birth, under 65, a "
    "duplicate line, a formula in a cell; or the file as a whole: encoding, missing columns, a "
    "BSN column, too large, too many rows); `lines` gives the rows' problems by line number.",
)


@extend_schema(
    methods=["GET"],
    responses=responses(cs.RoundSerializer(many=True), 404),
    summary="The team's casefinding rounds, with their candidates counted per status",
    tags=["casefinding"],
)
@extend_schema(
    methods=["POST"],
    request={"multipart/form-data": cs.UploadSerializer},
    responses={
        **responses(
            cs.RoundSerializer,
            404,
            created=True,
            descriptions={
                201: "Imported: one round, every row or none.",
                403: "Not the GP, the POH or the team coordinator of this team.",
            },
        ),
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="CasefindingPreviewOrAlreadyImported",
                serializers=[cs.PreviewSerializer, cs.AlreadyImportedSerializer],
                resource_type_field_name=None,
            ),
            description="dry_run=true: the preview, every row checked, nothing saved (the "
            "candidates' names for the GP and POH only). Without dry_run: this very file was "
            "imported before (`already_imported_at`); nothing changed.",
        ),
        400: PROBLEMS,
    },
    summary="Upload a practice's casefinding list (CSV); dry_run=true for the preview",
    tags=["casefinding"],
)
@api_view(["GET", "POST"])
@parser_classes([MultiPartParser, FormParser])
def rounds(request, slug: str):
    team = member_team(request, slug)
    require_runner(team=team, user=request.user)
    if request.method == "GET":
        found = list(rounds_of(team=team))
        return Response(cs.RoundSerializer(found, many=True).data)
    data = parsed(cs.UploadSerializer, request.data)
    name, content = read_upload(data["file"])
    if data["dry_run"]:
        preview = preview_casefinding(team=team, by=request.user, file_name=name, data=content)
        note(request, team=team, residents=[None], action=READ, what="casefinding-preview")
        if not preview.ok:
            body = refusal_body(preview.problems, preview.messages())
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(_preview_body(request, team, preview))
    try:
        made, created = import_casefinding(team=team, by=request.user, file_name=name, data=content)
    except RowsRefused as exc:
        return Response(refusal_body(exc.lines, exc.problems), status=400)
    done = WRITE if created else READ  # (the same file again changed nothing)
    note(request, team=team, residents=[None], action=done, what="casefinding-import")
    body = cs.RoundSerializer(rounds_of(team=team).get(pk=made.pk)).data
    if not created:
        body = {**body, "already_imported_at": made.imported_at, "detail": already_imported(made)}
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _preview_body(request, team, preview) -> dict:
    body = {
        "file_name": preview.file_name,
        "sha256": preview.sha256,
        "rows": len(preview.rows),
        "new": len(preview.new),
        "known_residents": len(preview.known),
        "already_candidates": len(preview.already),
        "closed_candidates": len(preview.closed),
        "ignored_columns": preview.ignored_columns,
        "already_imported_at": preview.imported.imported_at if preview.imported else None,
        "detail": preview.nothing_new_message(),
    }
    if may_read_candidates(roles_on(team=team, user=request.user)):
        body["candidates"] = cs.PreviewRowSerializer(preview.rows, many=True).data
        known = [row.known_resident for row in preview.known]
        if known:
            note(request, team=team, residents=known, action=READ, what="casefinding-preview")
    return cs.PreviewSerializer(body).data


class CandidateFilter(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="Only candidates in this status.")


@extend_schema(
    parameters=[CandidateFilter],
    responses=responses(
        cs.CandidateSerializer(many=True),
        400,
        404,
        descriptions={
            400: "A query that cannot be read (a NUL character).",
            403: "Not the GP or the POH of this team: candidates are theirs only.",
        },
    ),
    summary="The candidates of one round (GP and POH only)",
    tags=["casefinding"],
)
@api_view(["GET"])
def round_candidates(request, slug: str, pk: int):
    team = member_team(request, slug)
    found = get_object_or_404(CasefindingRound, pk=pk, team=team)
    require_reader(team=team, user=request.user)
    rows = list(candidates_of(round=found, status=request.query_params.get("status", "")))
    _note_list(request, team, rows)
    return Response(cs.CandidateSerializer(rows, many=True).data)


@extend_schema(
    responses=responses(
        cs.CandidateSerializer(many=True),
        404,
        descriptions={403: "Not the GP or the POH of this team."},
    ),
    summary="Candidates with no reaction by their follow-up date (GP and POH only)",
    tags=["casefinding"],
)
@api_view(["GET"])
def follow_up(request, slug: str):
    team = member_team(request, slug)
    require_reader(team=team, user=request.user)
    rows = list(follow_up_list(team=team))
    _note_list(request, team, rows, what="casefinding-follow-up")
    return Response(cs.CandidateSerializer(rows, many=True).data)


def _note_list(request, team, rows, what: str = "casefinding-candidates") -> None:
    residents = sorted({c.resident_id for c in rows if c.resident_id})
    note(request, team=team, residents=[None, *residents], action=READ, what=what)


def _candidate(request, pk: int):
    found = candidate_of_team(pk=pk)
    if found is None or not roles_on(team=found.round.team, user=request.user):
        raise Http404
    return found


CANDIDATE_ERRORS = {
    400: STANDARD_ERRORS[400],
    403: OpenApiResponse(STANDARD_ERRORS[403].response, description="Not the GP or the POH."),
    404: OpenApiResponse(STANDARD_ERRORS[404].response, description="Not your team's."),
}


@extend_schema(
    request=cs.StatusInputSerializer,
    responses={**responses(cs.CandidateSerializer), **CANDIDATE_ERRORS},
    summary="Record what happened to a candidate's invitation",
    tags=["casefinding"],
)
@api_view(["POST"])
def candidate_status(request, pk: int):
    found = _candidate(request, pk)
    data = parsed(cs.StatusInputSerializer, request.data)
    changed = change_candidate_status(candidate=found, by=request.user, **data)
    note(request, team=found.round.team, residents=[None], action=WRITE, what="casefinding-status")
    return Response(cs.CandidateSerializer(changed).data)


@extend_schema(
    request=cs.QuestionnaireInputSerializer,
    responses={
        **responses(
            cs.CandidateSerializer,
            descriptions={
                200: "Recorded. At or above the cut-off `resident` is the signalled resident "
                "with the score on record; below it the candidate is closed, `reinvite_on` a "
                "year on."
            },
        ),
        **CANDIDATE_ERRORS,
    },
    summary="Record a returned questionnaire (GFI or TFI)",
    tags=["casefinding"],
)
@api_view(["POST"])
def candidate_questionnaire(request, pk: int):
    found = _candidate(request, pk)
    data = parsed(cs.QuestionnaireInputSerializer, request.data)
    changed = record_questionnaire(candidate=found, by=request.user, **data)
    residents = [changed.resident_id] if changed.resident_id else [None]
    note(
        request, team=found.round.team, residents=residents, action=WRITE, what="casefinding-score"
    )
    return Response(cs.CandidateSerializer(changed).data)
