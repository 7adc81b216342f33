"""The REST API (/api/v1/). Each view parses input, asks `kernteam.policy` what the caller may
see (404 otherwise), calls the same domain services as the web pages, and notes what it
showed or changed for the access log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from clients import services as client_services
from clients.models import Concern, Resident
from clients.visibility import can_see_resident, hidden_resident_ids, visible_residents
from frontend.api import serializers as s
from frontend.api.access import (
    NOT_FOUND,
    STANDARD_ERRORS,
    api_resident,
    list_and_create,
    member_team,
    noted,
    parsed,
    responses,
)
from frontend.api.pagination import Pages
from kernteam.models import AccessLogEntry, Meeting
from kernteam.policy import roles_on
from kernteam.refusals import Refused
from steps import services
from steps.meetings import decided_residents
from steps.models import AgreedAction, Goal
from steps.moves import available_moves
from steps.panel import open_meeting_for
from steps.rules import Move
from steps.selectors import member_teams, visible_trajectories
from steps.states import State


@extend_schema(
    responses=responses(s.TeamSerializer(many=True)),
    summary="Your teams",
    tags=["teams"],
    operation_id="teams_list",
)
@api_view(["GET"])
def teams(request):
    mine = member_teams(user=request.user)
    roles = {team.pk: roles_on(team=team, user=request.user) for team in mine}
    return Response(s.TeamSerializer(mine, many=True, context={"roles": roles}).data)


@extend_schema(responses=responses(s.TeamSerializer, 404), summary="One team", tags=["teams"])
@api_view(["GET"])
def team(request, slug: str):
    found = member_team(request, slug)
    roles = {found.pk: roles_on(team=found, user=request.user)}
    return Response(s.TeamSerializer(found, context={"roles": roles}).data)


class ResidentFilter(serializers.Serializer):
    team = serializers.SlugField(required=False, help_text="Only this team's residents.")
    state = serializers.ChoiceField(
        State.choices, required=False, help_text="Default: every state except closed."
    )
    flagged = serializers.BooleanField(required=False, help_text="Only residents with a flag.")
    review_due = serializers.BooleanField(
        required=False, help_text="Only residents whose review is due today or earlier."
    )
    review_due_before = serializers.DateField(
        required=False, help_text="Only residents whose review is due on or before this date."
    )


@extend_schema(
    methods=["GET"],
    parameters=[ResidentFilter],
    responses=responses(s.ResidentPageSerializer, 400, 404),
    summary="Residents you may see",
    tags=["residents"],
    operation_id="residents_list",
)
@extend_schema(
    methods=["POST"],
    request=s.SignalInputSerializer,
    responses=responses(s.ResidentDetailSerializer, 400, 404, created=True),
    summary="Signal a new resident to a team",
    tags=["residents"],
)
@api_view(["GET", "POST"])
def residents(request):
    if request.method == "POST":
        return _signal(request)
    from steps.board import any_flag

    query = parsed(ResidentFilter, request.query_params.dict())  # "?team=" is an error
    today = timezone.localdate()
    teams = member_teams(user=request.user)
    if "team" in query:
        teams = [member_team(request, query["team"])]
    rows = visible_trajectories(user=request.user, teams=teams, today=today)
    rows = rows.filter(state=query["state"]) if "state" in query else rows.exclude(state="closed")
    if query.get("flagged"):
        rows = rows.filter(any_flag(today=today))
    if query.get("review_due"):
        rows = rows.filter(review_due__lte=today)
    if "review_due_before" in query:
        rows = rows.filter(review_due__lte=query["review_due_before"])
    paginator = Pages()
    page = paginator.paginate_queryset(rows, request)
    noted(request, [(row.resident.team, row.resident_id) for row in page])
    data = s.ResidentSerializer(page, many=True, context={"today": today}).data
    return paginator.get_paginated_response(data)


def _signal(request):
    data = parsed(s.SignalInputSerializer, request.data)
    found = member_team(request, data.pop("team"))
    try:
        resident = services.signal_resident(team=found, by=request.user, **data)
    except services.LikelyDuplicate as exc:
        _refuse_likely_duplicate(request, found, exc.duplicates)
    noted(request, [(found, resident.pk)])  # a write: the new resident, shown back
    return _resident_response(request, resident.pk, status_code=status.HTTP_201_CREATED)


def _refuse_likely_duplicate(request, team, found) -> None:
    """400 on `confirm_not_duplicate`: the team has a resident with the same name and date of
    birth (`steps.services.LikelyDuplicate`), named, with her id, to whoever may see her."""
    named = []
    for resident in found:
        if can_see_resident(user=request.user, resident=resident):
            noted(request, [(team, resident.pk)], action=AccessLogEntry.Action.READ)
            named.append(
                _("%(name)s (resident %(id)d, %(state)s)")
                % {
                    "name": resident.display_name,
                    "id": resident.pk,
                    "state": resident.trajectory.get_state_display(),
                }
            )
        else:
            named.append(_("a resident whose record you may not see"))
    raise Refused(
        _(
            "Likely signalled already: the team has %(who)s with the same name and date of "
            "birth. Send confirm_not_duplicate: true to signal anyway."
        )
        % {"who": "; ".join(named)},
        field="confirm_not_duplicate",
    )


@extend_schema(
    responses=responses(s.ResidentDetailSerializer, 404),
    summary="One resident, with the transitions you may take now",
    tags=["residents"],
)
@api_view(["GET"])
def resident(request, pk: int):
    api_resident(request, pk)
    return _resident_response(request, pk)


def _resident_response(request, pk: int, *, status_code: int = status.HTTP_200_OK):
    """The resident as the caller sees them. The caller has checked access (or just signalled
    the resident: a discipline without consent still gets back what it entered)."""
    from steps.board import flagged_trajectories

    today = timezone.localdate()
    row = flagged_trajectories(today=today).select_related("resident__team").get(resident_id=pk)
    move = Move(by=request.user, meeting=open_meeting_for(team=row.resident.team))
    context = {
        "today": today,
        "available_transitions": available_moves(trajectory=row, move=move),
    }
    return Response(s.ResidentDetailSerializer(row, context=context).data, status=status_code)


@extend_schema(
    methods=["GET"],
    responses=responses(s.StepChangeSerializer(many=True), 404),
    summary="The resident's moves, oldest first",
    tags=["transitions"],
)
@extend_schema(
    methods=["POST"],
    request=s.TransitionInputSerializer,
    responses=responses(
        s.MovedSerializer,
        400,
        403,
        404,
        409,
        descriptions={
            200: "Moved: the new state and the history row of the move.",
            400: "Bad input, or a guard that does not hold (messages per field; "
            "`transition` for conditions on record; `admission`, `event_on`, `event_place` "
            "for the outcome event the move goes with, e.g. a date of death in the future "
            "or another date than the death on record).",
            403: "Your role does not allow this transition.",
            409: "The resident is no longer in `expected_state`: someone moved them first.",
        },
    ),
    summary="Take a transition",
    tags=["transitions"],
)
@api_view(["GET", "POST"])
def transitions(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        history = subject.trajectory.history.select_related("actor").order_by("at", "pk")
        return Response(s.StepChangeSerializer(history, many=True).data)
    data = parsed(s.TransitionInputSerializer, request.data)
    change = services.move_resident(
        resident=subject,
        transition=data["transition"],
        expected_state=data["expected_state"],
        by=request.user,
        reason=data["reason"],
        closure_reason=data["closure_reason"],
        admission=data["admission"],
        event_on=data["event_on"],
        event_place=data["event_place"],
    )
    return Response(s.MovedSerializer({"trajectory": change.trajectory, "change": change}).data)


@list_and_create(
    s.AssessmentSerializer,
    s.AssessmentInputSerializer,
    tag="assessments",
    listing="Instrument scores",
    creating="Record a score",
)
@api_view(["GET", "POST"])
def assessments(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.assessments.select_related("assessed_by").order_by("assessed_on", "pk")
        return Response(s.AssessmentSerializer(rows, many=True).data)
    data = parsed(s.AssessmentInputSerializer, request.data)
    data.setdefault("assessed_on", timezone.localdate())
    made = client_services.record_assessment(resident=subject, by=request.user, **data)
    return Response(s.AssessmentSerializer(made).data, status=status.HTTP_201_CREATED)


@list_and_create(
    s.GoalSerializer,
    s.GoalInputSerializer,
    tag="goals",
    listing="Goals",
    creating="Add a goal",
)
@api_view(["GET", "POST"])
def goals(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.goals.select_related("created_by")
        return Response(s.GoalSerializer(rows, many=True).data)
    data = parsed(s.GoalInputSerializer, request.data)
    made = services.add_goal(resident=subject, by=request.user, **data)
    return Response(s.GoalSerializer(made).data, status=status.HTTP_201_CREATED)


@list_and_create(
    s.ActionSerializer,
    s.ActionInputSerializer,
    tag="actions",
    listing="Agreed actions",
    creating="Agree an action (an owner: a team member or a linked carer)",
)
@api_view(["GET", "POST"])
def actions(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.actions.select_related("owner_member", "owner_carer")
        return Response(s.ActionSerializer(rows, many=True).data)
    data = parsed(s.ActionInputSerializer, request.data)
    made = services.agree_action(
        resident=subject,
        by=request.user,
        description=data["description"],
        due_on=data["due_on"],
        owner_member=_member_of(data["owner_member"]),
        owner_carer=_linked_carer(subject, data["owner_carer"], field="owner_carer"),
        shared_with_carers=data["shared_with_carers"],
        supports_carer=data["supports_carer"],
        goal=_goal_of(subject, data["goal"]),
    )
    return Response(s.ActionSerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses=responses(s.ActionSerializer, 400, 403, 404),
    summary="Mark an action done",
    tags=["actions"],
)
@api_view(["POST"])
def action_done(request, pk: int):
    action = get_object_or_404(AgreedAction.objects.only("resident_id"), pk=pk)
    api_resident(request, action.resident_id)
    done = services.complete_action(action=action, by=request.user)
    return Response(s.ActionSerializer(done).data)


@list_and_create(
    s.ConcernSerializer,
    s.ConcernInputSerializer,
    tag="concerns",
    listing="Carers' concerns",
    creating="Record a concern a carer raised (by phone, at the door)",
)
@api_view(["GET", "POST"])
def concerns(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.concerns.select_related("handled_by").order_by("raised_at", "pk")
        return Response(s.ConcernSerializer(rows, many=True).data)
    data = parsed(s.ConcernInputSerializer, request.data)
    carer = _linked_carer(subject, data["carer"], field="carer")
    made = client_services.raise_concern(
        resident=subject, by=request.user, text=data["text"], carer=carer
    )
    return Response(s.ConcernSerializer(made).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=None,
    responses=responses(s.ConcernSerializer, 403, 404),
    summary="Mark a concern handled (in the meeting in progress, if any)",
    tags=["concerns"],
)
@api_view(["POST"])
def concern_handled(request, pk: int):
    concern = get_object_or_404(Concern.objects.only("resident_id"), pk=pk)
    api_resident(request, concern.resident_id)  # (may the caller see it? noted in the log)
    done = client_services.handle_concern(concern=concern, by=request.user)
    return Response(s.ConcernSerializer(done).data)


_COORDINATOR_CONFLICT = OpenApiResponse(
    inline_serializer(
        "CoordinatorConflict",
        {
            "detail": serializers.CharField(),
            "current_coordinator": serializers.IntegerField(allow_null=True),
        },
    ),
    description="Another care coordinator was named meanwhile (`expected` is not the current "
    "one): `current_coordinator` is who it is now (null: none).",
)


@extend_schema(
    methods=["GET"],
    responses=responses(s.CoordinatorChangeSerializer(many=True), 404),
    summary="The changes of the resident's care coordinator, oldest first",
    tags=["residents"],
)
@extend_schema(
    methods=["PUT"],
    request=s.CoordinatorInputSerializer,
    responses={
        **responses(
            s.CoordinatorSerializer,
            400,
            403,
            404,
            descriptions={
                200: "Named: the care coordinator now, and the change kept.",
                400: "Bad input (not a member of the resident's team, already the care "
                "coordinator), or the record is closed.",
                403: "Outside a team meeting, only the GP or the team coordinator may.",
            },
        ),
        409: _COORDINATOR_CONFLICT,
    },
    summary="Name or change the care coordinator (regiehouder)",
    tags=["residents"],
)
@api_view(["GET", "PUT"])
def coordinator(request, pk: int):
    subject = api_resident(request, pk)
    if request.method == "GET":
        rows = subject.coordinator_changes.select_related(
            "from_coordinator", "to_coordinator", "actor"
        )
        return Response(s.CoordinatorChangeSerializer(rows.order_by("at", "pk"), many=True).data)
    data = parsed(s.CoordinatorInputSerializer, request.data)
    change = client_services.change_coordinator(
        resident=subject,
        by=request.user,
        coordinator_id=data["coordinator"],
        expected=data["expected"],
    )
    return Response(s.CoordinatorSerializer(change).data)


@extend_schema(
    request=s.ReviewInputSerializer,
    responses=responses(
        s.MovedSerializer,
        400,
        403,
        404,
        409,
        descriptions={
            200: "Reviewed, the step stays: the history row and the next review date.",
            400: "Bad input, or not while the resident is in a step.",
            403: "Outside a team meeting, only the GP or the resident's care coordinator may.",
            409: "The resident is no longer in `expected_state`: someone moved them first.",
        },
    ),
    summary="Record a review that keeps the step (besproken, stap blijft)",
    tags=["transitions"],
)
@api_view(["POST"])
def reviews(request, pk: int):
    subject = api_resident(request, pk)
    data = parsed(s.ReviewInputSerializer, request.data)
    change = services.review_resident(
        resident=subject, by=request.user, expected_state=data["expected_state"], note=data["note"]
    )
    return Response(s.MovedSerializer({"trajectory": change.trajectory, "change": change}).data)


@extend_schema(
    request=s.CarerLinkInputSerializer,
    responses=responses(s.CarerLinkSerializer, 400, 403, 404, created=True),
    summary="Link an informal carer to the resident",
    tags=["residents"],
)
@api_view(["POST"])
def carers(request, pk: int):
    subject = api_resident(request, pk)
    data = parsed(s.CarerLinkInputSerializer, request.data)
    link = client_services.link_carer(resident=subject, by=request.user, **data)
    return Response(s.CarerLinkSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(
    responses=responses(s.MeetingSerializer(many=True), 404),
    summary="The team's meetings, latest first",
    tags=["meetings"],
)
@api_view(["GET"])
def meetings(request, slug: str):
    found = member_team(request, slug)
    rows = Meeting.objects.filter(team=found).select_related("team", "chair")
    return Response(s.MeetingSerializer(rows.order_by("-scheduled_for"), many=True).data)


@extend_schema(
    responses=responses(s.MeetingDetailSerializer, 404),
    summary="A meeting and its agenda",
    tags=["meetings"],
)
@api_view(["GET"])
def meeting(request, pk: int):
    found = get_object_or_404(Meeting.objects.select_related("team", "chair"), pk=pk)
    member_team(request, found.team.slug)
    hidden = hidden_resident_ids(user=request.user, team=found.team)
    by_name = get_user_model().objects.order_by("first_name", "last_name", "pk")
    found = (
        Meeting.objects.select_related("team", "chair", "presenter")
        .prefetch_related("agenda__resident", Prefetch("attendees", queryset=by_name))
        .get(pk=found.pk)
    )
    shown = [i.resident_id for i in found.agenda.all() if i.resident_id not in hidden]
    if found.is_open and found.focus_id and found.focus_id not in hidden | set(shown):
        shown.append(found.focus_id)  # (presented now, not on the agenda: its id is shown)
    noted(request, [(found.team, rid) for rid in shown])
    # "discussed": a decision recorded with the meeting, as the web agenda and the minutes say
    context = {"hidden": hidden, "decided": decided_residents(meeting=found)}
    return Response(s.MeetingDetailSerializer(found, context=context).data)


@extend_schema(
    request=None,
    responses={
        201: s.TokenSerializer,
        401: STANDARD_ERRORS[401],
        403: STANDARD_ERRORS[403],
    },
    summary="Create a personal API token (signed in through the browser only)",
    description="Only from a browser session that completed the second factor. The token is "
    "shown once; only its hash is stored. It expires (30 days by default).",
    tags=["auth"],
)
@api_view(["POST"])
def tokens(request):
    from frontend.api.auth import SessionAuthentication, issue_token

    if not isinstance(request.successful_authenticator, SessionAuthentication):
        return Response(
            {"detail": "Create tokens from a signed-in browser session."},
            status=status.HTTP_403_FORBIDDEN,
        )
    instance, token = issue_token(user=request.user)
    return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_201_CREATED)


FHIR_BUNDLE = OpenApiResponse(
    OpenApiTypes.OBJECT, description="A FHIR R4 Bundle of type collection."
)


@extend_schema(
    responses={(200, "application/fhir+json"): FHIR_BUNDLE, **NOT_FOUND},
    summary="FHIR R4 export of one resident",
    tags=["fhir"],
)
@api_view(["GET"])
def resident_fhir(request, pk: int):
    from steps.fhir import export_bundle

    subject = api_resident(request, pk, action=AccessLogEntry.Action.EXPORT)
    bundle = export_bundle(
        residents=Resident.objects.filter(pk=subject.pk),
        reader=request.user,
        bundle_type=bundle_type_of(request),
    )
    return Response(bundle, content_type="application/fhir+json")


@extend_schema(
    responses={(200, "application/fhir+json"): FHIR_BUNDLE, **NOT_FOUND},
    summary="FHIR R4 export of every resident of the team you may see",
    tags=["fhir"],
)
@api_view(["GET"])
def team_fhir(request, slug: str):
    from steps.fhir import export_bundle

    found = member_team(request, slug)
    chosen = Resident.objects.filter(team=found).filter(
        visible_residents(user=request.user, team=found)
    )
    noted(
        request,
        [(found, pk) for pk in chosen.values_list("pk", flat=True)],
        action=AccessLogEntry.Action.EXPORT,
    )
    bundle = export_bundle(
        residents=chosen, reader=request.user, bundle_type=bundle_type_of(request)
    )
    return Response(bundle, content_type="application/fhir+json")


# --- helpers ------------------------------------------------------------------------------


def bundle_type_of(request) -> str:
    """`?type=transaction` (PUT per entry, for loading into a FHIR server); else a collection.
    Anything else is a field error on `type`."""
    from steps.fhir.bundle import BUNDLE_TYPES

    chosen = request.query_params.get("type", "collection")
    if chosen not in BUNDLE_TYPES:
        raise serializers.ValidationError({"type": [str(_("Choose collection or transaction."))]})
    return chosen


def _member_of(user_id: int | None):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:  # (whether they are on the team: the action's own rule, on saving)
        raise serializers.ValidationError(
            {"owner_member": [str(_("The owner must be a member of the resident's team."))]}
        )
    return user


def _linked_carer(subject, carer_id: int | None, *, field: str):
    if carer_id is None:
        return None
    link = subject.carer_links.active().select_related("carer").filter(carer_id=carer_id).first()
    carer = link.carer if link is not None else None
    if carer is None:
        raise serializers.ValidationError(
            {field: [str(_("Choose a carer linked to this resident."))]}
        )
    return carer


def _goal_of(subject, goal_id: int | None):
    if goal_id is None:
        return None
    goal = Goal.objects.filter(pk=goal_id, resident=subject).first()
    if goal is None:
        raise serializers.ValidationError(
            {"goal": [str(_("This goal belongs to another resident."))]}
        )
    return goal
