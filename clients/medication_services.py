"""Recording and reading medication reviews. The rules are in `clients.medication` (who) and
`steps.medication` (when); who may see the resident at all in `clients.visibility`."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from clients.medication import MAY_NOT_RECORD, MedicationReview, may_read, may_record
from clients.models import Resident
from clients.services import lock_record
from clients.visibility import can_see_resident, send_resident_event_on_commit
from kernteam.policy import require_member, roles_on
from kernteam.refusals import Refused


def record_medication_review(
    *,
    resident: Resident,
    by,
    reviewed_on: datetime.date,
    reviewer: str,
    medicines_in_use: int,
    note: str = "",
) -> MedicationReview:
    """Record one medication review. By the GP, the elderly-care physician or the POH (else
    `Refused`, forbidden). Bad input: ValidationError with a message per field. Not on a closed
    record. One transaction with the resident's row locked; the boards hear of it on commit."""
    roles = require_member(team=resident.team, user=by)
    if not may_record(roles):
        raise Refused(MAY_NOT_RECORD, forbidden=True)
    if not can_see_resident(user=by, resident=resident):
        raise Refused(
            _("You cannot record this: the resident's consent does not cover your discipline."),
            forbidden=True,
        )
    with transaction.atomic():
        lock_record(resident)
        # (read afresh after the lock: closed meanwhile?)
        locked = Resident.objects.select_related("team", "trajectory").get(pk=resident.pk)
        if locked.is_closed:
            raise Refused(_("This record is closed and can no longer be changed."))
        review = MedicationReview(
            resident=locked,
            reviewed_on=reviewed_on,
            reviewer=reviewer,
            medicines_in_use=medicines_in_use,
            note=(note or "").strip(),
            recorded_by=by,
        )
        review.full_clean(exclude=["recorded_by"])
        review.save()
        send_resident_event_on_commit(resident=locked, event="resident.medication_review")
    return review


def reviews_for(*, resident: Resident, user) -> list[MedicationReview] | None:
    """The resident's reviews, latest first, as `user` may read them; None when they may not
    (not a member, or the resident is not theirs to see). Carers are never members. The one
    selector of the panel (`steps.medication`) and the API."""
    roles = roles_on(team=resident.team, user=user)
    if not may_read(roles) or not can_see_resident(user=user, resident=resident):
        return None
    reviews = resident.medication_reviews.select_related("recorded_by")
    return list(reviews.order_by("-reviewed_on", "-pk"))
