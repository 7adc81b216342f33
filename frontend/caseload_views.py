"""The caseload import on the web (issue 21 §1): a team that starts with Kernteam brings in the
residents it already looks after. The GP or the POH uploads the caseload (CSV), checks it (the
preview: every row against the state machine's rules, problems by line) and imports it (one
transaction, all rows or none; the same file twice changes nothing). The template and the
example file (docs/) are downloaded from the same page (`?download=template|example`).

The domain decides everything (`steps.caseload_import`). As with casefinding, the file is never
kept between the check and the import: the form keeps it (htmx swaps only the preview inside
the form), and the import reads it again and checks that its SHA-256 is the one previewed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from clients.instruments import Instrument
from kernteam.access_log import note, nothing_changed
from kernteam.csv_read import thousands
from kernteam.models import AccessLogEntry, person_name
from kernteam.policy import team_for_member
from kernteam.refusals import Refused
from steps.caseload_import import (
    MAX_ROWS,
    RowsRefused,
    already_imported,
    import_caseload,
    preview_caseload,
    read_upload,
    require_importer,
)
from steps.states import State

READ, WRITE = AccessLogEntry.Action.READ, AccessLogEntry.Action.WRITE
DOWNLOADS = {"template": "caseload-template.csv", "example": "caseload-example.csv"}
# The preview's table shows this many lines (a team's caseload is 50 to 300 residents; a file
# of 5,000 would be a page of megabytes on a phone): the counts and the problems cover them all.
SHOWN_ROWS = 500


def _refused_page(request, team, refused: Refused) -> HttpResponse:
    nothing_changed(request)
    if request.htmx:  # (htmx swaps no 403: the page again, which shows the refusal)
        return HttpResponse(headers={"HX-Redirect": request.path})
    context = {"team": team, "problems": refused.problems}
    return render(request, "frontend/caseload/refused.html", context, status=403)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def caseload(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the page (or, with `?download=`, the template or the example file). POST: check the
    uploaded caseload (`action=check`) or import it (`action=import`, with the SHA-256 of the
    file checked)."""
    team = team_for_member(user=request.user, slug=slug)
    try:
        require_importer(team=team, user=request.user)
    except Refused as exc:
        return _refused_page(request, team, exc)
    if request.method != "POST" and "download" in request.GET:
        return _download(request.GET["download"])
    context = {"team": team, "max_rows": thousands(MAX_ROWS)}
    if request.method == "POST":
        context |= _upload(request, team)
        if "redirect" in context:
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": context["redirect"]})
            return redirect(context["redirect"])
        if request.htmx:
            return render(request, "frontend/caseload/index.html#preview", context)
    return render(request, "frontend/caseload/index.html", context)


def _download(which: str) -> FileResponse:
    name = DOWNLOADS.get(which)
    path = settings.BASE_DIR / "docs" / name if name else None
    if path is None or not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
    )


def _upload(request, team) -> dict:
    action = request.POST.get("action", "check")
    try:
        name, data = read_upload(request.FILES.get("file"))
        if action == "import":
            made, created = import_caseload(
                team=team,
                by=request.user,
                file_name=name,
                data=data,
                previewed=request.POST.get("previewed", ""),
            )
            _imported(request, team, made, created)
            return {"redirect": reverse("board", args=[team.slug])}
        preview = preview_caseload(team=team, by=request.user, file_name=name, data=data)
    except RowsRefused as exc:  # (its problems name residents of the team: read)
        note(
            request,
            team=team,
            residents=[None, *sorted(exc.named)],
            action=READ,
            what="caseload-import",
        )
        return {"problems": exc.problems}
    except Refused as exc:  # (the file as a whole: read, naming no resident)
        what = "caseload-import" if action == "import" else "caseload-preview"
        note(request, team=team, residents=[None], action=READ, what=what)
        return {"problems": exc.problems}
    # (the team's residents the check names: imported before, or a likely duplicate)
    named = sorted(preview.named)
    note(request, team=team, residents=[None, *named], action=READ, what="caseload-preview")
    shown = [_shown(row) for row in preview.rows[:SHOWN_ROWS]]
    return {"preview": preview, "rows": shown, "not_shown": len(preview.rows) - len(shown)}


def _imported(request, team, made, created: bool) -> None:
    if not created:  # (the same file again changed nothing: read, not written)
        note(request, team=team, residents=[None], action=READ, what="caseload-import")
        messages.info(request, already_imported(made))
        return
    residents = made.resident_ids()
    note(request, team=team, residents=residents, action=WRITE, what="caseload-import")
    messages.success(
        request,
        ngettext(
            "%(n)d resident taken over from the earlier records: on the board in her step.",
            "%(n)d residents taken over from the earlier records: on the board in their steps.",
            len(residents),
        )
        % {"n": len(residents)},
    )


def _shown(row) -> dict:
    """One row of the preview as the page shows it."""
    return {
        "line": row.line,
        "name": row.name,
        "practice_number": row.practice_number,
        "date_of_birth": row.date_of_birth,
        "step": State(row.state).label,
        "state": row.state,
        "coordinator": person_name(row.coordinator) if row.coordinator else "",
        "consent_given_on": row.consent_given_on,
        "last_review_on": row.last_review_on,
        "next_review_on": row.next_review_on,
        "score": f"{Instrument(row.instrument).label} {number_format(row.score)}"
        if row.instrument
        else "",
        "already": row.already,
        "resident": row.resident,
    }
