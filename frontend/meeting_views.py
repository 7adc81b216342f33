"""Meeting mode (MDO): plan, open, go through the agenda following the chair, close, minutes.

Views parse input, ask `steps.meetings` to act, and render. The rules live there.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.visibility import can_see_resident, hidden_resident_ids
from frontend.access import resident_for_request
from frontend.forms import AgendaAddForm, PlanMeetingForm
from frontend.views import panel_response
from kernteam.access_log import note
from kernteam.models import AgendaItem, Meeting
from kernteam.policy import team_for_member
from kernteam.refusals import Refused
from steps.meetings import (
    add_to_agenda,
    close_meeting,
    decided_residents,
    focus_on,
    move_agenda_item,
    open_meeting,
    plan_meeting,
    prepare_agenda,
    presentable,
    set_attendees,
    team_members,
)
from steps.minutes import meeting_minutes
from steps.panel import open_meeting_for


def _meeting(request: HttpRequest, slug: str, pk: int) -> Meeting:
    team = team_for_member(user=request.user, slug=slug)
    return get_object_or_404(Meeting.objects.select_related("team", "chair"), team=team, pk=pk)


@login_required
def meetings(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's meetings; the coordinator plans the next one here."""
    team = team_for_member(user=request.user, slug=slug)
    is_coordinator = Meeting(team=team).is_coordinator(request.user)
    form = PlanMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            planned = plan_meeting(team=team, by=request.user, **form.cleaned_data)
        except Refused as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:  # (the form checks the same rule first: a fallback)
            _refused_on(form, exc)
        else:
            return redirect("meeting", slug=team.slug, pk=planned.pk)
    context = {
        "team": team,
        "meetings": team.meetings.select_related("chair").order_by("-scheduled_for")[:50],
        "form": form,
        "is_coordinator": is_coordinator,
    }
    return render(request, "frontend/meetings.html", context)


def _refused_on(form, refused: ValidationError) -> None:
    """The model's refusal on the form, by field where the form has that field."""
    problems = refused.message_dict if hasattr(refused, "error_dict") else {None: refused.messages}
    for field, messages_of in problems.items():
        form.add_error(field if field in form.fields else None, messages_of)


@login_required
def meeting(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The meeting screen: agenda on the left, the open resident on the right. A closed
    meeting shows its minutes. The agenda re-fetches itself on every live event (`part`);
    when the meeting's state changed meanwhile (opened, closed) its heading comes along."""
    meeting = _meeting(request, slug, pk)
    part = request.htmx and request.GET.get("part") == "agenda"
    if meeting.status == Meeting.Status.CLOSED and not part:
        return redirect("meeting_minutes", slug=slug, pk=pk)
    hidden = hidden_resident_ids(user=request.user, team=meeting.team)
    agenda = list(meeting.agenda.select_related("resident__trajectory").order_by("position", "pk"))
    decided = decided_residents(meeting=meeting)
    for item in agenda:
        item.hidden = item.resident_id in hidden  # on the agenda, but not for this discipline
        item.decided = item.resident_id in decided  # discussed: a decision was recorded
    shown = [item.resident_id for item in agenda if not item.hidden]
    presents = presentable(meeting=meeting, user=request.user, resident_ids=shown)
    for item in agenda:
        item.presentable = item.resident_id in presents  # else: opened on this screen only
    note(request, team=meeting.team, residents=shown)
    context = {
        "team": meeting.team,
        "meeting": meeting,
        "agenda": agenda,
        "is_coordinator": meeting.is_coordinator(request.user),
        "is_chair": meeting.chair_id == request.user.pk,
        "add_form": AgendaAddForm(team=meeting.team, hidden=hidden),
        "state_changed": request.GET.get("shown", meeting.status) != meeting.status,
    }
    if meeting.status != Meeting.Status.CLOSED and context["is_coordinator"] and not part:
        # The chair ticks who is there (the chair counts), and corrects it while the meeting
        # runs; nothing is guessed from who had a page open: the access log is the log
        # officer's, not a register of attendance.
        present = set(meeting.attendees.values_list("pk", flat=True)) if meeting.is_open else set()
        present.add(meeting.chair_id if meeting.is_open else request.user.pk)
        context["members"] = [
            (member, member.pk in present) for member in team_members(team=meeting.team)
        ]
        context["present_count"] = len(present)
    return render(request, f"frontend/meeting.html{'#agenda_part' if part else ''}", context)


@login_required
@require_POST
def meeting_step(request: HttpRequest, slug: str, pk: int, step: str) -> HttpResponse:
    """Open (with who is present), prepare the agenda, or close (coordinator). Refusals come
    back as a message."""
    meeting = _meeting(request, slug, pk)
    actions = {
        "open": open_meeting,
        "prepare": prepare_agenda,
        "close": close_meeting,
        "attendance": set_attendees,
    }
    if step not in actions:
        raise Http404
    with_attendees = step in ("open", "attendance")
    extra = {"attendees": request.POST.getlist("attendees")} if with_attendees else {}
    try:
        actions[step](meeting=meeting, by=request.user, **extra)
    except Refused as exc:
        messages.error(request, str(exc))
    target = "meeting_minutes" if step == "close" and _closed(meeting) else "meeting"
    return redirect(target, slug=slug, pk=pk)


def _closed(meeting: Meeting) -> bool:
    meeting.refresh_from_db(fields=["status"])
    return meeting.status == Meeting.Status.CLOSED


@login_required
def board_meeting(request: HttpRequest, slug: str) -> HttpResponse:
    """The board's way to the meeting in progress (or to the meetings): re-fetched on live
    events, so that a board drops "meeting in progress" when it closes."""
    team = team_for_member(user=request.user, slug=slug)
    context = {"team": team, "meeting": open_meeting_for(team=team)}
    return render(request, "frontend/board.html#meeting_link", context)


@login_required
@require_POST
def agenda_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _meeting(request, slug, pk)
    hidden = hidden_resident_ids(user=request.user, team=meeting.team)
    form = AgendaAddForm(request.POST, team=meeting.team, hidden=hidden)
    if form.is_valid():
        subject = resident_for_request(request, pk=int(form.cleaned_data["resident"]))
        try:
            add_to_agenda(
                meeting=meeting,
                by=request.user,
                resident=subject,
                question=form.cleaned_data["question"],
            )
        except Refused as exc:
            messages.error(request, str(exc))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("meeting", slug=slug, pk=pk)


@login_required
@require_POST
def agenda_move(
    request: HttpRequest, slug: str, pk: int, item: int, direction: str
) -> HttpResponse:
    meeting = _meeting(request, slug, pk)
    agenda_item = get_object_or_404(AgendaItem, meeting=meeting, pk=item)
    if direction not in ("up", "down"):
        raise Http404
    try:
        move_agenda_item(item=agenda_item, by=request.user, direction=direction)
    except Refused as exc:
        messages.error(request, str(exc))
    return redirect("meeting", slug=slug, pk=pk)


@login_required
@require_POST
def meeting_focus(request: HttpRequest, slug: str, pk: int, resident: int) -> HttpResponse:
    """A member presents a resident (the chair, or one who may see a resident the chair may
    not): their panel here, and on the screens that follow."""
    meeting = _meeting(request, slug, pk)
    subject = resident_for_request(request, pk=resident)
    try:
        focus_on(meeting=meeting, by=request.user, resident=subject)
    except Refused as exc:
        messages.error(request, str(exc))
    if not request.htmx:
        return redirect(reverse("resident", args=[subject.pk]))
    response = panel_response(request, subject)
    response.headers["HX-Trigger"] = "board-changed"  # the agenda shows the item opened
    return response


@login_required
def meeting_focus_now(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What a follower's panel shows: the resident presented now, or, when this member may not
    see her, who presents and why it is not shown here."""
    meeting = _meeting(request, slug, pk)
    focus = meeting.focus
    if focus is None or not meeting.is_open:
        return render(request, "frontend/meeting.html#focus_placeholder", {"meeting": meeting})
    if not can_see_resident(user=request.user, resident=focus):
        context = {"meeting": meeting, "hidden": True}
        return render(request, "frontend/meeting.html#focus_placeholder", context)
    return panel_response(request, resident_for_request(request, pk=focus.pk))


@login_required
def minutes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The minutes: who was present, the decisions taken in the meeting, per resident;
    printable on A4."""
    meeting = _meeting(request, slug, pk)
    the_minutes = meeting_minutes(
        meeting=meeting, hidden=hidden_resident_ids(user=request.user, team=meeting.team)
    )
    note(request, team=meeting.team, residents=[e.resident.pk for e in the_minutes.entries])
    context = {
        "team": meeting.team,
        "minutes": the_minutes,
        "attendees": meeting.attendees.order_by("first_name", "last_name", "pk"),
        "printed_at": timezone.now(),
    }
    return render(request, "frontend/minutes.html", context)
