"""Floors: the same work as a page or an API call, with none of our logic around it.

- `baseline_board`: the same cards, fetched with one query and rendered with the same markup
  (no sign-in, no membership or consent check, no access log, no meeting, no page around it).
  `bench.board` compares the real board with this.
- `baseline_move`: the same rows a move writes, in one transaction, and the same live event
  (no sign-in, no access rules or guards, no meeting, no access log, no DRF, raw SQL).
  `bench.transitions` compares the API's moves with this.
"""

from __future__ import annotations

import json

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from clients.care_planning import CarePlanning
from clients.models import Concern, Consent
from kernteam.events import send_team_event_on_commit
from steps.medication import due_filter as medication_due_filter
from steps.medication import with_last_review
from steps.models import AgreedAction, Trajectory
from steps.outcomes import since_last_meeting


def baseline_board(request, slug: str) -> HttpResponse:
    today = timezone.localdate()
    rows = list(
        with_last_review(Trajectory.objects.filter(resident__team__slug=slug))
        .exclude(state="closed")
        .annotate(
            has_consent=Exists(Consent.objects.filter(resident=OuterRef("resident"))),
            has_overdue_action=Exists(
                AgreedAction.objects.filter(
                    resident=OuterRef("resident"), status="open", due_on__lt=today
                )
            ),
            has_open_concern=Exists(
                Concern.objects.filter(resident=OuterRef("resident"), handled_at__isnull=True)
            ),
            # the care records of issue 17, in the same one query: an event since the team's
            # last meeting, a PZP on record, a medication review due
            has_new_event=Exists(
                since_last_meeting(team=OuterRef(OuterRef("resident__team"))).filter(
                    resident=OuterRef("resident")
                )
            ),
            has_care_planning=Exists(CarePlanning.objects.filter(resident=OuterRef("resident"))),
        )
        .annotate(
            medication_due=ExpressionWrapper(
                medication_due_filter(day=today), output_field=BooleanField()
            )
        )
        .values(
            "state",
            "review_due",
            "pending_confirmation_id",
            "has_consent",
            "has_overdue_action",
            "has_open_concern",
            "has_new_event",
            "has_care_planning",
            "medication_due",
            "resident_id",
            "resident__salutation",
            "resident__first_name",
            "resident__last_name",
            "resident__date_of_birth",
            "resident__coordinator__first_name",
            "resident__coordinator__last_name",
        )
        .order_by("resident__last_name", "resident__first_name", "pk")
    )
    return HttpResponse(render_to_string("bench/baseline_board.html", {"rows": rows}))


FLOOR_MOVES = {"step_up_to_3": ("step3", "step_up"), "step_down_to_2": ("step2", "step_down")}


@csrf_exempt
def baseline_move(request, pk: int) -> JsonResponse:
    """Lock the trajectory, check the state the caller saw, write the history row and the new
    state (an urgent step-up awaiting confirmation, as the real move between meetings), commit,
    announce: what `POST /api/v1/residents/<pk>/transitions/` does for steps 2 ⇄ 3."""
    body = json.loads(request.body)
    target, kind = FLOOR_MOVES[body["transition"]]
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.state, r.team_id FROM steps_trajectory t JOIN clients_resident r"
            " ON r.id = t.resident_id WHERE t.resident_id = %s FOR UPDATE OF t",
            [pk],
        )
        trajectory_id, state, team_id = cursor.fetchone()
        if state != body["expected_state"]:
            return JsonResponse({"current_state": state}, status=409)
        cursor.execute(
            "INSERT INTO steps_stepchange (trajectory_id, kind, from_state, to_state, actor_id,"
            " actor_role, at, reason, meeting_id, confirms_id, closure_reason) VALUES"
            " (%s, %s, %s, %s, (SELECT min(id) FROM auth_user), 'gp', %s, %s, NULL, NULL, '')"
            " RETURNING id",
            [trajectory_id, kind, state, target, now, body.get("reason", "")],
        )
        change_id = cursor.fetchone()[0]
        pending = change_id if kind == "step_up" else None
        cursor.execute(
            "UPDATE steps_trajectory SET state = %s, pending_confirmation_id = %s,"
            " updated_at = %s WHERE id = %s",
            [target, pending, now, trajectory_id],
        )
        event = {"type": "resident.moved", "resident": pk, "state": target, "change": change_id}
        send_team_event_on_commit(team_id=team_id, event=event)
    return JsonResponse({"resident": pk, "state": target, "previous_state": state})
