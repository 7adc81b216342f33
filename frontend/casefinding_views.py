"""Casefinding on the web (issue 18 §1): the team's page (upload a practice's list, check it,
import it; the rounds with their counts; the follow-up list), a round's page (its candidates
as a table on the desktop and as cards on a phone), and the two things recorded per candidate
(what happened to the invitation; the returned questionnaire's score).

The domain decides everything (`clients.casefinding`, `steps.casefinding_services`): who may,
what the file may hold, what a score leads to. The file is never kept between the check and
the import: the form keeps it (htmx swaps only the preview inside the form), and the import
reads it again and checks that its SHA-256 is the one previewed."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.casefinding import (
    FOLLOW_UP_DAYS,
    MIN_AGE,
    QUESTIONNAIRES,
    SETTABLE,
    Status,
    candidate_of_team,
    candidates_of,
    change_candidate_status,
    follow_up_list,
    may_read_candidates,
    require_runner,
    round_counts,
    rounds_of,
)
from clients.casefinding_import import (
    already_imported,
    import_casefinding,
    preview_casefinding,
    read_upload,
)
from clients.visibility import can_see_resident
from frontend.forms import date_input
from kernteam.access_log import note, nothing_changed
from kernteam.models import AccessLogEntry
from kernteam.policy import roles_on, team_for_member
from kernteam.refusals import Refused
from steps.casefinding_services import ReopenRefused, record_questionnaire

READ, WRITE = AccessLogEntry.Action.READ, AccessLogEntry.Action.WRITE


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("what happened"), choices=[(s.value, s.label) for s in SETTABLE]
    )
    follow_up_on = forms.DateField(
        label=gettext_lazy("follow up on"), required=False, widget=date_input()
    )


class QuestionnaireForm(forms.Form):
    instrument = forms.ChoiceField(
        label=gettext_lazy("questionnaire"), choices=[(c, c.upper()) for c in QUESTIONNAIRES]
    )
    score = forms.DecimalField(
        label=gettext_lazy("score"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"min": 0, "max": 15, "step": 1, "inputmode": "numeric"}),
    )
    returned_on = forms.DateField(
        label=gettext_lazy("returned on"), initial=timezone.localdate, widget=date_input()
    )


def _refused_page(request, team, refused: Refused) -> HttpResponse:
    nothing_changed(request)
    context = {"team": team, "problems": refused.problems}
    return render(request, "frontend/casefinding/refused.html", context, status=403)


@login_required
def casefinding(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the page. POST: check the uploaded list (`action=check`) or import it
    (`action=import`, with the SHA-256 of the file checked)."""
    team = team_for_member(user=request.user, slug=slug)
    try:
        require_runner(team=team, user=request.user)
    except Refused as exc:
        return _refused_page(request, team, exc)
    readers = may_read_candidates(roles_on(team=team, user=request.user))
    context = {"team": team, "readers": readers, "min_age": MIN_AGE}
    if request.method == "POST":
        context |= _upload(request, team)
        if "redirect" in context:
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": context["redirect"]})
            return redirect(context["redirect"])
        if request.htmx:
            return render(request, "frontend/casefinding/index.html#preview", context)
    context["rounds"] = [(r, round_counts(r)) for r in rounds_of(team=team)]
    if readers:
        due = list(follow_up_list(team=team))
        if due:
            note(request, team=team, residents=[None], action=READ, what="casefinding-follow-up")
        context |= {"follow_up": due, "follow_up_days": FOLLOW_UP_DAYS}
    return render(request, "frontend/casefinding/index.html", context)


def _upload(request, team) -> dict:
    action = request.POST.get("action", "check")
    try:
        name, data = read_upload(request.FILES.get("file"))
        if action == "import":
            made, created = import_casefinding(
                team=team,
                by=request.user,
                file_name=name,
                data=data,
                previewed=request.POST.get("previewed", ""),
            )
            # (the same file again changed nothing: read, not written)
            done = WRITE if created else READ
            note(request, team=team, residents=[None], action=done, what="casefinding-import")
            if created:
                messages.success(
                    request,
                    _("Imported: %(n)d candidates in a new round.")
                    % {"n": made.candidates.count()},
                )
            else:
                messages.info(request, already_imported(made))
            return {"redirect": reverse("casefinding_round", args=[team.slug, made.pk])}
        preview = preview_casefinding(team=team, by=request.user, file_name=name, data=data)
    except Refused as exc:
        nothing_changed(request)
        return {"problems": exc.problems}
    note(request, team=team, residents=[None], action=READ, what="casefinding-preview")
    known = [row.known_resident for row in preview.known]
    if known and may_read_candidates(roles_on(team=team, user=request.user)):
        note(request, team=team, residents=known, action=READ, what="casefinding-preview")
    return {"preview": preview}


@login_required
def casefinding_round(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A round: its counts per status (the coordinator too); its candidates, for the GP and the
    POH, each with what can be recorded now."""
    team = team_for_member(user=request.user, slug=slug)
    found = get_object_or_404(rounds_of(team=team), pk=pk)
    try:
        require_runner(team=team, user=request.user)
    except Refused as exc:
        return _refused_page(request, team, exc)
    readers = may_read_candidates(roles_on(team=team, user=request.user))
    shown = request.GET.get("status", "")
    shown = shown if shown in Status.values else ""
    context = {
        "team": team,
        "round": found,
        "counts": round_counts(found),
        "readers": readers,
        "shown": shown,
    }
    if readers:
        rows = list(candidates_of(round=found, status=shown))
        residents = sorted({c.resident_id for c in rows if c.resident_id})
        note(
            request,
            team=team,
            residents=[None, *residents],
            action=READ,
            what="casefinding-candidates",
        )
        context |= {
            "candidates": rows,
            "status_form": StatusForm(),
            "follow_up_days": FOLLOW_UP_DAYS,
            "questionnaire_form": QuestionnaireForm(),
        }
    return render(request, "frontend/casefinding/round.html", context)


def _candidate_or_404(request, pk: int):
    found = candidate_of_team(pk=pk)
    if found is None:
        raise Http404
    team_for_member(user=request.user, slug=found.round.team.slug)  # (404 for another team)
    return found


def _back(found) -> str:
    url = reverse("casefinding_round", args=[found.round.team.slug, found.round_id])
    return f"{url}#candidate-{found.pk}"


@login_required
@require_POST
def candidate_status(request: HttpRequest, pk: int) -> HttpResponse:
    found = _candidate_or_404(request, pk)
    team = found.round.team
    form = StatusForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused([m for errors in form.errors.values() for m in errors])
        changed = change_candidate_status(candidate=found, by=request.user, **form.cleaned_data)
    except Refused as exc:
        if exc.forbidden:
            return _refused_page(request, team, exc)
        nothing_changed(request)
        messages.error(request, " ".join(exc.problems))
        return redirect(_back(found))
    note(request, team=team, residents=[None], action=WRITE, what="casefinding-status")
    messages.success(
        request,
        _("%(name)s: %(status)s.") % {"name": changed.name, "status": changed.get_status_display()},
    )
    return redirect(_back(changed))


@login_required
@require_POST
def candidate_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    found = _candidate_or_404(request, pk)
    team = found.round.team
    form = QuestionnaireForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused([m for errors in form.errors.values() for m in errors])
        changed = record_questionnaire(candidate=found, by=request.user, **form.cleaned_data)
    except Refused as exc:
        if exc.forbidden:
            return _refused_page(request, team, exc)
        nothing_changed(request)
        text = " ".join(exc.problems)
        # (her closed record that cannot be reopened: linked, for who may open it)
        if isinstance(exc, ReopenRefused) and can_see_resident(
            user=request.user, resident=exc.resident
        ):
            url = reverse("resident", args=[exc.resident.pk])
            text = format_html('{} <a href="{}">{}</a>', text, url, _("Open her record"))
        messages.error(request, text)
        return redirect(_back(found))
    residents = [changed.resident_id] if changed.resident_id else [None]
    note(request, team=team, residents=residents, action=WRITE, what="casefinding-score")
    if changed.resident_id:
        messages.success(
            request,
            _(
                "%(name)s scored at or above the cut-off: signalled to the team, with the score "
                "on record."
            )
            % {"name": changed.name},
        )
    else:
        messages.success(
            request,
            _("%(name)s scored below the cut-off: closed, to be invited again from %(date)s.")
            % {"name": changed.name, "date": changed.reinvite_on.strftime("%d-%m-%Y")},
        )
    return redirect(_back(changed))
