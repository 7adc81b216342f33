"""Recording what a team member measured. One transaction; the team's boards hear of it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Assessment, Resident
from kernteam.events import send_team_event_on_commit


class NotAMember(Exception):
    pass


def record_assessment(
    *, resident: Resident, by, instrument: str, score: Decimal, assessed_on: datetime.date
) -> Assessment:
    """Validation (range, step, closed record) raises ValidationError with field messages."""
    if not resident.team.roles_of(by):
        raise NotAMember(_("Only members of this resident's kernteam can do this."))
    assessment = Assessment(
        resident=resident,
        instrument=instrument,
        score=score,
        assessed_on=assessed_on,
        assessed_by=by,
    )
    with transaction.atomic():
        assessment.save()  # validates and derives the outcome
        send_team_event_on_commit(
            team_id=resident.team_id,
            event={"type": "resident.assessed", "resident": resident.pk},
        )
    return assessment
