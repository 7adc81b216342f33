"""/api/v1/teams/<slug>/caseload/: import a team's existing caseload (issue 21 §1), with the
same domain as the web page (`steps.caseload_import`).

The GP and the POH only (403 with the reason otherwise; another team's: 404). `dry_run=true`
answers the preview and saves nothing; without it the file is imported whole or not at all,
and the same file again changes nothing (200 with `already_imported_at`). Every preview and
import is in the access log: the preview without a resident, the import with the residents it
took over (the same file again: a read); the residents of the team a check or a refused import
names (a duplicate, a number imported before) as read; a file refused as a whole (encoding,
columns, a BSN, …) as a read without a resident (not a 403 or 404)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from frontend.api import caseload_serializers as cs
from frontend.api.access import member_team, parsed, responses
from frontend.api.uploads import problems_response, refusal_body
from kernteam.access_log import note
from kernteam.models import AccessLogEntry
from kernteam.refusals import Refused
from steps.caseload_import import (
    RowsRefused,
    already_imported,
    import_caseload,
    preview_caseload,
    read_upload,
    require_importer,
)

READ, WRITE = AccessLogEntry.Action.READ, AccessLogEntry.Action.WRITE

PROBLEMS = problems_response(
    "Caseload",
    "The file is refused, nothing imported: `file` says why in Dutch (a row's "
    "problem starts with its line number: a step its guards do not allow, a step-2 resident "
    "without a care coordinator, an unknown member, a date that cannot be read, a duplicate "
    "line, a formula in a cell; or the file as a whole: encoding, missing columns, a BSN "
    "column, too large, too many rows, nothing new); `lines` gives the rows' problems by line.",
)


@extend_schema(
    request={"multipart/form-data": cs.CaseloadUploadSerializer},
    responses={
        **responses(
            cs.CaseloadImportSerializer,
            404,
            created=True,
            descriptions={
                201: "Imported: every row a resident in her step, in one transaction.",
                403: "Not the GP or the POH of this team.",
                404: "No such team, or not yours.",
            },
        ),
        200: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="CaseloadPreviewOrAlreadyImported",
                serializers=[cs.CaseloadPreviewSerializer, cs.CaseloadAlreadyImportedSerializer],
                resource_type_field_name=None,
            ),
            description="dry_run=true: the preview, every row checked and resolved, nothing "
            "saved. Without dry_run: this very file was imported before "
            "(`already_imported_at`); nothing changed.",
        ),
        400: PROBLEMS,
    },
    summary="Import the team's existing caseload (CSV); dry_run=true for the preview",
    tags=["teams"],
)
@api_view(["POST"])
@parser_classes([MultiPartParser, FormParser])
def caseload(request, slug: str):
    team = member_team(request, slug)
    require_importer(team=team, user=request.user)
    data = parsed(cs.CaseloadUploadSerializer, request.data)
    what = "caseload-preview" if data["dry_run"] else "caseload-import"
    try:
        return _upload(request, team, data)
    except Refused as exc:  # (the file as a whole: read, naming no resident)
        if not exc.forbidden:
            note(request, team=team, residents=[None], action=READ, what=what)
        raise


def _upload(request, team, data) -> Response:
    name, content = read_upload(data["file"])
    if data["dry_run"]:
        preview = preview_caseload(team=team, by=request.user, file_name=name, data=content)
        named = sorted(preview.named)  # (residents of the team the check names)
        note(request, team=team, residents=[None, *named], action=READ, what="caseload-preview")
        if not preview.ok:
            body = refusal_body(preview.found, preview.messages())
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(_preview_body(preview))
    try:
        made, created = import_caseload(team=team, by=request.user, file_name=name, data=content)
    except RowsRefused as exc:  # (its problems name residents of the team: read)
        named = sorted(exc.named)
        note(request, team=team, residents=[None, *named], action=READ, what="caseload-import")
        return Response(refusal_body(exc.lines, exc.problems), status=400)
    body = _import_body(made)
    if not created:  # (the same file again changed nothing: a read)
        note(request, team=team, residents=[None], action=READ, what="caseload-import")
        body |= {"already_imported_at": made.imported_at, "detail": already_imported(made)}
        return Response(cs.CaseloadAlreadyImportedSerializer(body).data, status=status.HTTP_200_OK)
    note(request, team=team, residents=body["residents"], action=WRITE, what="caseload-import")
    return Response(cs.CaseloadImportSerializer(body).data, status=status.HTTP_201_CREATED)


def _import_body(made) -> dict:
    residents = made.resident_ids()
    return {
        "id": made.pk,
        "file_name": made.file_name,
        "sha256": made.file_sha256,
        "imported_at": made.imported_at,
        "imported_by": made.imported_by,
        "residents_count": len(residents),
        "residents": residents,
    }


def _preview_body(preview) -> dict:
    body = {
        "file_name": preview.file_name,
        "sha256": preview.sha256,
        "new": len(preview.new),
        "already": len(preview.already),
        "ignored_columns": preview.ignored_columns,
        "already_imported_at": preview.imported.imported_at if preview.imported else None,
        "detail": preview.imported_message() or preview.nothing_new_message(),
        "rows": preview.rows,
    }
    return cs.CaseloadPreviewSerializer(body).data
