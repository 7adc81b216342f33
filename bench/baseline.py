"""The floor for the board: the same cards, fetched with one query and rendered with the same
markup, with none of our logic (no sign-in, no membership or consent check, no access log, no
meeting, no page around it). `bench.board` compares the real board with this."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from clients.models import Concern, Consent
from steps.models import AgreedAction, Trajectory


def baseline_board(request, slug: str) -> HttpResponse:
    today = timezone.localdate()
    rows = list(
        Trajectory.objects.filter(resident__team__slug=slug)
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
        )
        .values(
            "state",
            "review_due",
            "pending_confirmation_id",
            "has_consent",
            "has_overdue_action",
            "has_open_concern",
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
