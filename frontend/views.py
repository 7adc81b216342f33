from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from clients.casefinding import may_run
from clients.models import Carer, Concern
from clients.services import (
    CoordinatorConflict,
    change_coordinator,
    coordinator_candidates,
    handle_concern,
    raise_concern,
    record_assessment,
    record_consent,
    withdraw_consent,
)
from clients.visibility import can_see_resident
from frontend.access import resident_for_request
from frontend.form_errors import attach_errors
from frontend.forms import (
    ActionForm,
    AssessmentForm,
    ConcernForm,
    ConsentForm,
    GoalForm,
    SignalForm,
)
from frontend.move_forms import move_form
from kernteam.access_log import note, nothing_changed
from kernteam.members import may_manage_members
from kernteam.models import AccessLogEntry, Team, text_limit
from kernteam.policy import is_log_officer, roles_on, team_for_member
from kernteam.refusals import Refused
from steps.board import board_columns
from steps.caseload_import import may_import
from steps.models import TRANSITION_LABELS, AgreedAction, StepChange
from steps.moves import available_moves, transition_towards
from steps.panel import open_meeting_for, resident_panel
from steps.rules import Move
from steps.selectors import closed_trajectories, signalled_by, team_overviews
from steps.services import (
    LikelyDuplicate,
    add_goal,
    agree_action,
    complete_action,
    confirm_step_up,
    move_resident,
    review_resident,
    signal_resident,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    overviews = team_overviews(user=request.user)
    if not overviews and Carer.objects.filter(user=request.user).exists():
        return redirect("carer_portal")  # carers have no team: their page is the portal
    context = {
        "overviews": overviews,
        "is_log_officer": is_log_officer(request.user),
        # the functional administrator manages the members of every team (frontend.member_views)
        "all_teams": Team.objects.order_by("name") if request.user.is_superuser else (),
    }
    return render(request, "frontend/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    """For pages without our <link rel="icon"> (the admin, the API docs) and for bookmarks."""
    return redirect(static("frontend/favicon.svg"), permanent=True)


@login_required
def board(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's board. Filters re-render only the columns (htmx), and the URL keeps them."""
    team = team_for_member(user=request.user, slug=slug)
    filters = {
        "mine": request.GET.get("mine") == "1",
        "flagged": request.GET.get("flagged") == "1",
        "search": request.GET.get("q", "").strip()[:80],
    }
    columns = board_columns(team=team, user=request.user, **filters)
    note(request, team=team, residents=[c.resident_id for col in columns for c in col.cards])
    own_signals = signalled_by(user=request.user, team=team)
    if own_signals:  # (only what the signaller typed, but it names them: logged as read)
        note(
            request,
            team=team,
            residents=[s.resident_id for s in own_signals],
            what="board-signalled-by-me",
        )
    context = {
        "columns": columns,
        "own_signals": own_signals,
        # Hundreds of cards: their links are built from one path, not one reverse() each.
        "resident_path": reverse("resident", args=[0]).removesuffix("0/"),
        "change_step": _("Change step"),
        "pzp_title": _("advance care planning on record"),
    }
    if request.htmx:
        return render(request, "frontend/board.html#columns", context)
    context |= {"team": team, "meeting": open_meeting_for(team=team), **filters}
    roles = roles_on(team=team, user=request.user)
    context["casefinding"] = may_run(roles)
    context["caseload"] = may_import(roles)
    context["members"] = may_manage_members(team=team, user=request.user)
    return render(request, "frontend/board.html", context)


@login_required
def board_closed(request: HttpRequest, slug: str) -> HttpResponse:
    """Closed records: off the board, still reachable (searchable, read-only, reopenable)."""
    team = team_for_member(user=request.user, slug=slug)
    search = request.GET.get("q", "").strip()[:80]
    rows = closed_trajectories(team=team, user=request.user, search=search)
    note(request, team=team, residents=[row.resident_id for row in rows])
    return render(request, "frontend/closed.html", {"team": team, "rows": rows, "search": search})


READ = AccessLogEntry.Action.READ
PZP_READ = "care-planning"

GONE = _(
    "Saved. The resident's consent no longer covers your discipline, so you no longer see "
    "this record."
)


def panel_response(
    request: HttpRequest, resident, *, transition: str = "", refused=(), gone=GONE
) -> HttpResponse:
    """The resident panel; with `transition`, its move form is open (card menu, drag and drop);
    with `refused`, it says why the move the user tried cannot be taken. After a change that
    takes the resident out of the user's sight (consent narrowed or withdrawn), it says so."""
    if not can_see_resident(user=request.user, resident=resident):
        template = "frontend/gone.html#gone" if request.htmx else "frontend/gone.html"
        return render(request, template, {"team": resident.team, "message": gone})
    panel = resident_panel(resident=resident, user=request.user)
    if panel.care_planning is not None and panel.care_planning.current is not None:
        # (advance care planning shown: its own entry, so the log says who read it)
        note(request, team=resident.team, residents=[resident.pk], action=READ, what=PZP_READ)
    context = {"panel": panel, "team": resident.team, "refused": refused}
    if transition in dict(panel.moves):
        context["move"] = _move_context(
            resident,
            move_form(
                resident,
                initial={
                    "transition": transition,
                    "expected_state": resident.trajectory.state,
                },
            ),
        )
    template = "frontend/resident.html#panel" if request.htmx else "frontend/resident.html"
    return render(request, template, context)


@login_required
def resident(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel. `?transition=` opens a move's form; `?to=<state>` (a card dropped on a
    column) opens the form of the move that leads there, or says why there is none."""
    subject = resident_for_request(request, pk=pk)
    transition = request.GET.get("transition", "")
    if to := request.GET.get("to", ""):
        move = Move(by=request.user, meeting=open_meeting_for(team=subject.team))
        transition, refused = transition_towards(trajectory=subject.trajectory, to=to, move=move)
        if refused:  # the board puts the card back; the panel says why
            return board_changed(panel_response(request, subject, refused=refused))
    return panel_response(request, subject, transition=transition)


@login_required
def resident_moves(request: HttpRequest, pk: int) -> HttpResponse:
    """The card's menu: the moves the user may take now (loaded when the menu opens)."""
    subject = resident_for_request(request, pk=pk)
    move = Move(by=request.user, meeting=open_meeting_for(team=subject.team))
    names = available_moves(trajectory=subject.trajectory, move=move)
    moves = [(name, TRANSITION_LABELS[name]) for name in names]
    return render(request, "frontend/card_menu.html", {"resident": subject, "moves": moves})


@login_required
def resident_move(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form for one move. POST: take it; a refusal or conflict keeps what was typed."""
    subject = resident_for_request(request, pk=pk)
    if request.method == "GET":
        form = move_form(
            subject,
            initial={
                "transition": request.GET.get("transition", ""),
                "expected_state": subject.trajectory.state,
                # (the close offered after a death: steps.panel.Panel.event_moves)
                "closure_reason": request.GET.get("closure_reason", ""),
            },
        )
        return _move_form(request, subject, form)
    form = move_form(subject, request.POST)
    if not form.is_valid():
        return _move_form(request, subject, form)
    data = form.cleaned_data
    try:
        change = move_resident(
            resident=subject,
            transition=data["transition"],
            expected_state=data["expected_state"],
            by=request.user,
            reason=data["reason"],
            closure_reason=data["closure_reason"],
            **form.event_kwargs(),  # (the outcome event it goes with: frontend.move_forms)
        )
    except Refused as exc:
        return _move_form(request, subject, form, problems=exc.problems)
    except ValidationError as exc:  # the event's date or place: nothing was saved
        attach_errors(form, exc)
        return _move_form(request, subject, form)
    subject.trajectory.refresh_from_db()
    if subject.trajectory.pending_confirmation_id == change.pk:  # urgent: outside a meeting
        messages.warning(request, AWAITS_CONFIRMATION)
    # The form sits inside the panel: on success the whole panel is replaced.
    return board_changed(panel_response(request, subject), target="#resident-panel")


SIGNALLED_UNSEEN = _(
    "Signalled. The GP or POH asks for consent; until it is recorded, only they see the "
    "record. You find the resident on the board under “Signalled by me”."
)
AWAITS_CONFIRMATION = _(
    "Stepped up, outside a meeting: this waits for the team's confirmation in the next "
    "meeting (MDO). Until then the card says “urgent step-up to confirm”."
)


def board_changed(
    response: HttpResponse, *, target: str | None = None, swap: str | None = "outerHTML"
) -> HttpResponse:
    """After a change: the boards refresh, and the response replaces `target` (when given)."""
    if target:
        response = retarget(response, target)
        if swap:
            response = reswap(response, swap)
    response.headers["HX-Trigger"] = "board-changed"
    return response


def _move_form(request, subject, form, problems=()) -> HttpResponse:
    if request.method == "POST":
        nothing_changed(request)  # the form again, with why: the move was not taken
    context = _move_context(subject, form, problems)
    return render(request, "frontend/move_form.html", context)


def _move_context(subject, form, problems=()) -> dict:
    transition = form["transition"].value() or ""
    return {
        "resident": subject,
        "form": form,
        "label": TRANSITION_LABELS.get(transition, ""),
        "is_close": transition == "close",
        "is_admit": transition == "admit",
        "problems": problems,
    }


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(AgreedAction.objects.select_related("resident"), pk=pk)
    subject = resident_for_request(request, pk=action.resident_id)
    try:
        complete_action(action=action, by=request.user)
    except Refused as exc:
        nothing_changed(request)
        messages.error(request, " ".join(exc.problems))
    return board_changed(panel_response(request, subject))


@login_required
@require_POST
def resident_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The team confirms the urgent step-up the user saw (its id travels with the form)."""
    subject = resident_for_request(request, pk=pk)
    given = request.POST.get("step_up", "")
    step_up = StepChange.objects.filter(
        pk=int(given) if given.isascii() and given.isdigit() else 0, trajectory__resident=subject
    ).first()
    try:
        if step_up is None:
            raise Refused(_("There is no urgent step-up to confirm in a meeting."))
        confirm_step_up(resident=subject, by=request.user, step_up=step_up)
    except Refused as exc:
        nothing_changed(request)
        messages.error(request, str(exc))
    return board_changed(panel_response(request, subject))


@login_required
def resident_review(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form for a review that keeps the step ("besproken, stap blijft"), with an
    optional note. POST: record it (the service finds the meeting and decides who may); a
    refusal or conflict shows the form again with why, and what was typed."""
    subject = resident_for_request(request, pk=pk)
    if request.method == "GET":
        return _review_form(request, subject, expected_state=subject.trajectory.state)
    typed = request.POST.get("note", "")
    expected = request.POST.get("expected_state", "")
    try:
        review_resident(resident=subject, by=request.user, expected_state=expected, note=typed)
    except Refused as exc:
        nothing_changed(request)
        return _review_form(request, subject, expected, typed, problems=exc.problems)
    subject.trajectory.refresh_from_db()
    return board_changed(panel_response(request, subject), target="#resident-panel")


def _review_form(request, subject, expected_state: str, typed: str = "", problems=()):
    context = {
        "resident": subject,
        "expected_state": expected_state,
        "typed": typed,
        "note_limit": text_limit(StepChange, "reason"),
        "problems": problems,
    }
    return render(request, "frontend/review_form.html", context)


@login_required
def resident_coordinator(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to name or change the care coordinator (a member of the team). POST: do
    it (the service finds the meeting and decides who may); a refusal or a change made
    meanwhile shows the form again with why, and the member chosen. After a change made
    meanwhile the form expects the coordinator now named: saving again overrides it."""
    subject = resident_for_request(request, pk=pk)
    if request.method == "GET":
        return _coordinator_form(request, subject, expected=subject.coordinator_id)
    chosen = _user_id(request.POST.get("coordinator"))
    expected = _user_id(request.POST.get("expected"))
    try:
        change_coordinator(
            resident=subject, by=request.user, coordinator_id=chosen, expected=expected
        )
    except CoordinatorConflict as exc:
        nothing_changed(request)
        return _coordinator_form(
            request, subject, exc.current_coordinator, chosen, problems=exc.problems
        )
    except Refused as exc:
        nothing_changed(request)
        return _coordinator_form(request, subject, expected, chosen, problems=exc.problems)
    return board_changed(panel_response(request, subject), target="#resident-panel")


def _user_id(given: str | None) -> int | None:
    """A user's id as a form sends it; None for nothing, or anything else (a 32-bit key)."""
    given = (given or "").strip()
    if not (given.isascii() and given.isdigit() and len(given) < 12):
        return None
    return int(given) if 0 < int(given) < 2**31 else None


def _coordinator_form(request, subject, expected, chosen=None, problems=()):
    context = {
        "resident": subject,
        "expected": expected,
        "chosen": chosen,
        "candidates": coordinator_candidates(subject),
        "problems": problems,
    }
    return render(request, "frontend/coordinator_form.html", context)


@login_required
@require_POST
def consent_withdrawn(request: HttpRequest, pk: int) -> HttpResponse:
    subject = resident_for_request(request, pk=pk)
    withdraw_consent(resident=subject, by=request.user)
    return board_changed(panel_response(request, subject), target="#resident-panel")


@login_required
@require_POST
def concern_handled(request: HttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(Concern.objects.select_related("resident"), pk=pk)
    subject = resident_for_request(request, pk=concern.resident_id)
    handle_concern(concern=concern, by=request.user)
    return board_changed(panel_response(request, subject))


ADD_FORMS = {
    "assessment": AssessmentForm,
    "goal": GoalForm,
    "action": ActionForm,
    "concern": ConcernForm,
    "consent": ConsentForm,
}
ADD_TITLES = {
    "assessment": _("Record an assessment"),
    "goal": _("Add a goal"),
    "action": _("Agree an action"),
    "concern": _("Record a carer's concern"),
    "consent": _("Record consent"),
}


@login_required
def resident_add(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Add an assessment, goal or agreed action in place. Field errors come back in Dutch."""
    subject = resident_for_request(request, pk=pk)
    if what not in ADD_FORMS:
        raise Http404
    extra = {"resident": subject} if what in ("action", "concern", "consent") else {}
    form = ADD_FORMS[what](request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            _add(what, subject, request.user, form)
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            return board_changed(panel_response(request, subject), target="#resident-panel")
    nothing_changed(request)  # the form (again): nothing was added
    context = {"resident": subject, "form": form, "what": what, "title": ADD_TITLES[what]}
    return render(request, "frontend/add_form.html", context)


def _add(what: str, subject, user, form) -> None:
    """Goals and actions agreed while the team's meeting is open are recorded in it (the
    services find the meeting)."""
    data = form.cleaned_data
    if what == "assessment":
        record_assessment(resident=subject, by=user, **data)
    elif what == "concern":
        raise_concern(resident=subject, by=user, **data)
    elif what == "consent":
        record_consent(resident=subject, by=user, **data)
    elif what == "goal":
        add_goal(resident=subject, by=user, **data)
    else:
        agree_action(
            resident=subject,
            by=user,
            description=data["description"],
            due_on=data["due_on"],
            shared_with_carers=data["shared_with_carers"],
            supports_carer=data["supports_carer"],
            **form.owner_kwargs(),
        )


@login_required
def board_signal(request: HttpRequest, slug: str) -> HttpResponse:
    """Signal a new resident from the board; on success the new resident's panel opens."""
    team = team_for_member(user=request.user, slug=slug)
    form = SignalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = request.POST.get("confirm_not_duplicate") == "1"
        try:
            subject = signal_resident(
                team=team, by=request.user, confirm_not_duplicate=confirmed, **form.cleaned_data
            )
            note(request, team=team, residents=[subject.pk])
        except LikelyDuplicate as exc:
            duplicates = _shown_duplicates(request, team, exc.duplicates)
            context = {"team": team, "form": form, "duplicates": duplicates}
            return render(request, "frontend/signal_form.html", context)
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            gone = SIGNALLED_UNSEEN
            response = panel_response(request, subject, gone=gone)
            # (into the board's panel: the form's own swap would replace the panel itself)
            return board_changed(response, target="#panel", swap="innerHTML")
    return render(request, "frontend/signal_form.html", {"team": team, "form": form})


def _shown_duplicates(request, team, found) -> list[tuple]:
    """The residents the signal likely duplicates (`steps.services.LikelyDuplicate`), each with
    whether the user may open her record. Named only to whoever may see them; the others read
    that the team knows someone by that name and date of birth ("Toch signaleren" confirms)."""
    rows = [(r, can_see_resident(user=request.user, resident=r)) for r in found]
    seen = [r.pk for r, visible in rows if visible]
    if seen:
        note(request, team=team, residents=seen, action=READ, what="signal-duplicate")
    return rows
