"""Noting the resident's own goal, "Wat is belangrijk voor u?" (`steps.own_goal_services`),
from the top of the resident panel: a short form, opened in the panel (htmx) or by its own
address (a page); and, from a goal's row in the panel, linking that goal to it or no longer."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from frontend.access import resident_for_request
from frontend.form_errors import attach_errors
from frontend.forms import free_text
from frontend.views import board_changed, panel_response
from kernteam.access_log import nothing_changed
from kernteam.refusals import Refused
from steps.models import Goal
from steps.own_goal import OwnGoal, own_goal_versions
from steps.own_goal_services import link_goal_to_own_goal, note_own_goal


class OwnGoalForm(forms.Form):
    # (not required here: the service says why an empty text is refused)
    text = free_text(OwnGoal, "text", rows=3, label=_("In her own words"), required=False)


TITLE = _("What matters to you?")


@login_required
def resident_own_goal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form, with the current text. POST: note a new version; field errors (empty,
    unchanged) show the form again with what was typed; on success the panel is shown."""
    subject = resident_for_request(request, pk=pk)
    versions = own_goal_versions(resident=subject)
    initial = {"text": versions[0].text} if versions else {}
    form = OwnGoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            note_own_goal(resident=subject, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, " ".join(exc.problems))
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    if request.method == "POST":
        nothing_changed(request)  # the form again: nothing was noted
    context = {"resident": subject, "form": form, "title": TITLE}
    return render(request, "frontend/own_goal_form.html", context)


@login_required
@require_POST
def goal_own_goal(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the goal as serving her own goal (`serves=1`), or no longer (`serves=0`); the panel
    again, with why when refused."""
    goal = get_object_or_404(Goal, pk=pk)
    subject = resident_for_request(request, pk=goal.resident_id)  # 404: not yours to see
    goal.resident = subject  # (as checked, with her team)
    serves = {"1": True, "0": False}.get(request.POST.get("serves", ""))
    try:
        if serves is None:  # not a choice the button sends: say so, change nothing
            raise Refused(str(_("Choose to link the goal to her own goal or to unlink it.")))
        link_goal_to_own_goal(goal=goal, by=request.user, serves=serves)
    except Refused as exc:
        nothing_changed(request)
        messages.error(request, " ".join(exc.problems))
    return board_changed(panel_response(request, subject))
