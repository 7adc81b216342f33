"""Recording and reading advance care planning (PZP). The rules are in `clients.care_planning`;
who may see the resident at all in `clients.visibility`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from clients.care_planning import (
    MAY_NOT_READ,
    MAY_NOT_RECORD,
    MAY_NOT_SHARE,
    READERS,
    RECORDERS,
    CarePlanning,
    carers_see,
    current_and_earlier,
    may_read,
    may_record,
    may_share,
    normalised_limits,
)
from clients.models import Resident
from clients.services import lock_record
from clients.visibility import (
    DIRECTLY_INVOLVED,
    may_see,
    send_resident_event_on_commit,
)
from kernteam.models import primary_role
from kernteam.policy import require_member, roles_on
from kernteam.refusals import Refused


def check_may_record(roles: set[str]) -> None:
    if not may_record(roles):
        raise Refused(MAY_NOT_RECORD, forbidden=True)


def check_may_read(roles: set[str]) -> None:
    if not may_read(roles):
        raise Refused(MAY_NOT_READ, forbidden=True)


def check_reads(*, user, resident: Resident) -> None:
    """`Refused` (forbidden) with the reason when `user` does not read this resident's PZP."""
    check_may_read(roles_on(team=resident.team, user=user))
    if not reads_care_planning(user=user, resident=resident):
        raise Refused(
            _(
                "The resident's consent does not name the discipline in which you read advance "
                "care planning."
            ),
            forbidden=True,
        )


def reads_care_planning(*, user, resident: Resident) -> bool:
    """Whether `user` reads this resident's PZP: in a reading role (`may_read`) that itself may
    see her (directly involved, or named by the consent in force). A member who is both, say,
    welfare worker and district nurse reads it only if the consent names the district nurse:
    seeing the resident as welfare worker is not enough."""
    return _covered(roles_on(team=resident.team, user=user) & READERS, resident)


def reads_with(*, roles: set[str] | frozenset[str], disciplines: list[str] | None) -> bool:
    """The reading rule without a query: `roles` on her team, `disciplines` the consent in
    force names (None: no consent in force). For a caller that has both already (the FHIR
    export, over many residents)."""
    return may_see(roles=set(roles) & READERS, disciplines=disciplines)


def _covered(roles: set[str], resident: Resident) -> bool:
    """Some of these roles may see the resident (`clients.visibility.may_see`)."""
    if not roles:
        return False
    if roles & DIRECTLY_INVOLVED:
        return True
    consent = resident.active_consent()
    return may_see(roles=roles, disciplines=consent.disciplines if consent else None)


def record_care_planning(
    *,
    resident: Resident,
    by,
    held_on: datetime.date,
    participants: list[str],
    capacity: str,
    limits: dict,
    representative_name: str = "",
    representative_relationship: str = "",
    representative_kind: str = "",
    place_of_care: str = "not_discussed",
    place_of_death: str = "not_discussed",
    other_wishes: str = "",
    has_living_will: bool = False,
    has_dnr_medallion: bool = False,
    shared_with_carers: bool = False,
) -> CarePlanning:
    """Record one conversation: a new version of the resident's PZP (earlier ones are kept,
    superseded). By the GP, the elderly-care physician or the POH (else `Refused`, forbidden);
    only the GP marks the summary of wishes as shared with carers. Bad input: ValidationError
    with a message per field (each treatment limit under its own name). Not on a closed
    record. One transaction with the resident's row locked; the boards hear of it on commit."""
    roles = require_member(team=resident.team, user=by)
    check_may_record(roles)
    if not _covered(roles & RECORDERS, resident):  # (as a recorder, not in another role)
        raise Refused(
            _("You cannot record this: the resident's consent does not cover your discipline."),
            forbidden=True,
        )
    if shared_with_carers and not may_share(roles):
        raise Refused(MAY_NOT_SHARE, field="shared_with_carers", forbidden=True)
    with transaction.atomic():
        lock_record(resident)
        # (read afresh after the lock: closed meanwhile?)
        locked = Resident.objects.select_related("team", "trajectory").get(pk=resident.pk)
        if locked.is_closed:
            raise Refused(_("This record is closed and can no longer be changed."))
        version = CarePlanning(
            resident=locked,
            held_on=held_on,
            participants=list(dict.fromkeys(participants or []))
            if isinstance(participants, list)
            else participants,
            capacity=capacity,
            representative_name=(representative_name or "").strip(),
            representative_relationship=(representative_relationship or "").strip(),
            representative_kind=representative_kind or "",
            limits=limits,
            place_of_care=place_of_care,
            place_of_death=place_of_death,
            other_wishes=(other_wishes or "").strip(),
            has_living_will=bool(has_living_will),
            has_dnr_medallion=bool(has_dnr_medallion),
            shared_with_carers=bool(shared_with_carers),
            recorded_by=by,
            recorded_by_role=primary_role(roles & RECORDERS),
        )
        version.full_clean(exclude=["recorded_by"])
        version.limits = normalised_limits(version.limits)
        version.save()
        send_resident_event_on_commit(resident=locked, event="resident.care_planning")
    return version


@dataclass
class CarePlanningView:
    """What a reader sees: the version in force and the superseded ones, latest first."""

    current: CarePlanning | None
    earlier: list[CarePlanning] = field(default_factory=list)
    can_record: bool = False

    @property
    def versions(self) -> list[CarePlanning]:
        """Every version, the one in force first."""
        return [self.current, *self.earlier] if self.current is not None else []


def versions_of(resident: Resident) -> list[CarePlanning]:
    """Every version, latest first (no access check: `readable_care_planning` is the reader's
    way in)."""
    return list(resident.care_plannings.select_related("recorded_by").order_by("-held_on", "-pk"))


def readable_care_planning(*, resident: Resident, user) -> CarePlanningView:
    """The resident's PZP as `user` may read it: the one selector of the panel and the API.
    `Refused` (forbidden) with the reason when they may not (`check_reads`); who may not see
    the resident at all is the caller's 404 (`clients.visibility`)."""
    check_reads(user=user, resident=resident)
    current, earlier = current_and_earlier(versions_of(resident))
    return CarePlanningView(
        current=current,
        earlier=earlier,
        can_record=may_record(roles_on(team=resident.team, user=user)) and not resident.is_closed,
    )


def care_planning_for(*, resident: Resident, user) -> CarePlanningView | None:
    """`readable_care_planning`, or None when `user` may not read it (their role, or the
    resident is not theirs to see): what the panel shows."""
    try:
        return readable_care_planning(resident=resident, user=user)
    except Refused:
        return None


@dataclass(frozen=True)
class WishesSummary:
    """What carers see when the GP shared it: the preferred places and other wishes only."""

    held_on: datetime.date
    place_of_care: str
    place_of_death: str
    other_wishes: str


def shared_summary(*, resident: Resident) -> WishesSummary | None:
    """The summary of wishes for the resident's carers (the caller has checked that the user
    is the resident's carer: `clients.visibility.residents_for_carer`), or None."""
    current = resident.care_plannings.order_by("-held_on", "-pk").first()
    if not carers_see(current):
        return None
    return WishesSummary(
        held_on=current.held_on,
        place_of_care=current.get_place_of_care_display(),
        place_of_death=current.get_place_of_death_display(),
        other_wishes=current.other_wishes,
    )
