"""Whose data a FHIR id the export writes is: the one place that maps an id back to its owner.

Every id the export writes starts with a prefix naming the row it comes from (`goal-7`,
`action-12`, `care-planning-3-resuscitation`, ...). `owner_of` reads the prefix and finds, with
at most one query, the resident the row belongs to; a practitioner's and an offer's ids are
owned by no resident. The read addresses (`frontend.api.fhir_views`) then apply the resident's
access rule and build her bundle: whether the id exists and is of the type asked for is the
bundle's answer, so nothing here can drift from the export.

A new kind of row in the export adds its prefix to `RULES` (and its type to `READABLE_TYPES`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Model

from clients.care_planning import CarePlanning
from clients.care_planning_services import reads_care_planning
from clients.fhir_refs import patient_id
from clients.medication import MedicationReview
from clients.models import Assessment, Consent
from steps.models import AgreedAction, Goal, Trajectory
from steps.outcomes import OutcomeEvent
from steps.own_goal import OwnGoal
from steps.referrals import Referral

# The resource types the export writes, each readable at `<base><Type>/<id>`.
READABLE_TYPES: frozenset[str] = frozenset(
    {
        "Patient",
        "EpisodeOfCare",
        "CareTeam",
        "CarePlan",
        "Goal",
        "Task",
        "Observation",
        "Consent",
        "Practitioner",
        "RelatedPerson",
        "Procedure",
        "Encounter",
        "ServiceRequest",
        "HealthcareService",
    }
)
PK = r"([1-9][0-9]{0,17})"  # a primary key: no leading zero, within a 64-bit integer


def id_pattern(make_id: Callable[[int], str]) -> str:
    """The regular expression of the ids `make_id(pk)` writes, the pk as its group: the id's
    form stays in the one place that writes it (the Patient's: `clients.fhir_refs.patient_id`)."""
    marker = 987654321
    return re.escape(make_id(marker)).replace(str(marker), PK)


PATIENT = id_pattern(patient_id)  # `resident-12`


@dataclass(frozen=True)
class Owner:
    """Whose an id is: a resident's data (`pk` = the resident), a practitioner (`pk` = the user)
    or an offer (`pk` = the LocalOffer). `reads`: a rule of the record's own on top of seeing
    the resident, called as `reads(user=..., resident=...)` (the PZP:
    `clients.care_planning_services.reads_care_planning`)."""

    kind: Literal["resident", "practitioner", "offer"]
    pk: int
    reads: Callable[..., bool] | None = None


@dataclass(frozen=True)
class Rule:
    pattern: str  # the whole id; its first group is the pk `owner` receives
    owner: Callable[[int], Owner | None]


def _resident(pk: int) -> Owner:
    return Owner("resident", pk)


def _resident_of(model: type[Model], field: str = "resident_id", **extra) -> Callable:
    """The resident of a row of `model` (one query), None when there is no such row."""

    def find(pk: int) -> Owner | None:
        found = model.objects.filter(pk=pk).values_list(field, flat=True).first()
        return None if found is None else Owner("resident", found, **extra)

    return find


RULES: tuple[Rule, ...] = (
    Rule(PATIENT, _resident),
    Rule(rf"careteam-resident-{PK}", _resident),
    Rule(rf"careplan-resident-{PK}", _resident),
    # a RelatedPerson is a carer as related to one resident: the second pk is hers
    Rule(rf"carer-[1-9][0-9]{{0,17}}-resident-{PK}", _resident),
    Rule(rf"trajectory-{PK}", _resident_of(Trajectory)),
    Rule(rf"goal-{PK}", _resident_of(Goal)),
    Rule(rf"own-goal-{PK}", _resident_of(OwnGoal)),
    Rule(rf"action-{PK}", _resident_of(AgreedAction)),
    Rule(rf"assessment-{PK}", _resident_of(Assessment)),
    Rule(rf"consent-{PK}", _resident_of(Consent)),
    # the PZP: AdvanceDirective `care-planning-3`, TreatmentDirective `care-planning-3-<limit>`
    # (the limit's code with '-' for '_': `steps.fhir.pzp.treatment_directive_id`)
    Rule(
        rf"care-planning-{PK}(?:-[a-z][a-z-]{{0,40}})?",
        _resident_of(CarePlanning, reads=reads_care_planning),
    ),
    Rule(rf"medication-review-{PK}", _resident_of(MedicationReview)),
    Rule(rf"outcome-event-{PK}", _resident_of(OutcomeEvent)),
    Rule(rf"referral-{PK}", _resident_of(Referral, "action__resident_id")),
    Rule(rf"practitioner-{PK}", lambda pk: Owner("practitioner", pk)),
    Rule(rf"offer-{PK}", lambda pk: Owner("offer", pk)),
)
_COMPILED = tuple((re.compile(rule.pattern), rule.owner) for rule in RULES)


def owner_of(*, resource_id: str) -> Owner | None:
    """Whose `resource_id` is (at most one query); None for an id the export never writes or
    whose row does not exist."""
    for pattern, owner in _COMPILED:
        if match := pattern.fullmatch(resource_id):
            return owner(int(match.group(1)))
    return None


def patient_resident(*, resource_id: str) -> int | None:
    """The resident's pk of a Patient id (`resident-12`), without a query."""
    match = re.fullmatch(PATIENT, resource_id)
    return int(match.group(1)) if match else None
