"""The care records around the steps (issue 20): PZP, medication reviews, outcome events,
referrals and local offers, the resident's own goal. Codes in `care_codes`.

- PZP: Consents on nl-core AdvanceDirective and TreatmentDirective2 (`pzp`).
- Medication review → Procedure `medication-review-<pk>`: completed, SNOMED CT 182836005
  Review of medication, performedDateTime the day reviewed; performer.function the reviewer
  (GP, elderly-care physician, POH by their team-role codes; the pharmacist SNOMED CT
  46255001) and performer.actor the Practitioner who recorded it when they hold that role on
  the resident's team now, else the reviewer by name of the role (the pharmacist is no
  member); recorder the Practitioner who recorded it; the number of medicines in the
  `medicines-in-use` extension. The outcome note is free text and stays out.
- Outcome event `outcome-event-<pk>`: a fall or a death is an Observation (SNOMED CT 217082002
  Accidental fall, 419620001 Death; a death's place as component LOINC 58332-8 Location of
  death); an emergency-department visit (class EMER, SNOMED CT 4525004), an out-of-hours GP
  contact (AMB), a hospital (IMP, SNOMED CT 32485007), crisis (IMP) or permanent
  nursing-home admission (IMP) is an Encounter of the trajectory's EpisodeOfCare, `finished`
  for a visit or contact, `unknown` for an admission (Kernteam does not record when it
  ended). Always CodeSystem outcome-event. The note stays out.
- Referral → ServiceRequest, local offer → HealthcareService (`offers`).
- Own goal → Goal `own-goal-<pk>`, every version: her own words as description, category
  goal-category#own-goal, expressedBy the Patient; the current version active, earlier ones
  cancelled with the day the next was noted as statusDate.
"""

from __future__ import annotations

from django.db.models import Prefetch

from clients.care_planning import CarePlanning
from clients.medication import MedicationReview
from clients.models import Resident
from steps.fhir import offers, pzp
from steps.fhir.care_codes import (
    ENCOUNTER_CLASS,
    ENCOUNTER_STATUS,
    EXT_MEDICINES_IN_USE,
    LOCATION_OF_DEATH,
    MEDICATION_REVIEW,
    OBSERVED_EVENTS,
    death_place_concept,
    event_concept,
    own_goal_concept,
    reviewer_concept,
)
from steps.fhir.codes import concept, naming_system
from steps.fhir.context import Resource, Shared, date_time, local_date, patient_ref, reference
from steps.models import AgreedAction
from steps.outcomes import EventKind, OutcomeEvent
from steps.own_goal import OwnGoal


def prefetches() -> list[Prefetch | str]:
    """What `resident_resources` reads, fetched once for all residents of a bundle: five
    queries (PZP versions, medication reviews, outcome events, referrals with their offers,
    own-goal versions)."""
    return [
        Prefetch(
            "care_plannings",
            queryset=CarePlanning.objects.select_related("recorded_by").order_by("held_on", "pk"),
        ),
        Prefetch(
            "medication_reviews",
            queryset=MedicationReview.objects.select_related("recorded_by").order_by(
                "reviewed_on", "pk"
            ),
        ),
        Prefetch(
            "outcome_events",
            queryset=OutcomeEvent.objects.select_related("recorded_by").order_by(
                "occurred_on", "recorded_at", "pk"
            ),
        ),
        Prefetch(
            "actions",
            queryset=AgreedAction.objects.filter(referral__isnull=False)
            .select_related("referral__offer", "created_by")
            .order_by("pk"),
            to_attr=offers.REFERRAL_ACTIONS,
        ),
        Prefetch("own_goals", queryset=OwnGoal.objects.order_by("noted_at", "pk")),
    ]


def resident_resources(
    *, resident: Resident, shared: Shared, with_care_planning: bool
) -> list[Resource]:
    """`with_care_planning=False` for a reader who may not read her PZP (`pzp.readable`)."""
    resources = pzp.care_planning(resident=resident, shared=shared) if with_care_planning else []
    resources += [
        procedure(review=review, resident=resident, shared=shared)
        for review in resident.medication_reviews.all()
    ]
    resources += [
        outcome_event(event=event, resident=resident, shared=shared)
        for event in resident.outcome_events.all()
    ]
    resources += offers.service_requests(resident=resident, shared=shared)
    resources += own_goals(resident=resident)
    return resources


def shared_resources(*, shared: Shared) -> list[Resource]:
    """Resources several residents refer to, once each (the offers: HealthcareService)."""
    return offers.healthcare_services(shared=shared)


# --- medication review ------------------------------------------------------------------------


def procedure(*, review: MedicationReview, resident: Resident, shared: Shared) -> Resource:
    recorder = shared.practitioner(review.recorded_by)
    holds_role = any(
        membership.user_id == review.recorded_by_id and membership.role == review.reviewer
        for membership in resident.team.fhir_memberships
    )
    actor = recorder if holds_role else {"display": review.get_reviewer_display()}
    return {
        "resourceType": "Procedure",
        "id": f"medication-review-{review.pk}",
        "extension": [{"url": EXT_MEDICINES_IN_USE, "valueInteger": review.medicines_in_use}],
        "identifier": [{"system": naming_system("medication-review-id"), "value": str(review.pk)}],
        "status": "completed",
        "code": concept(MEDICATION_REVIEW, text="medication review"),
        "subject": patient_ref(resident),
        "performedDateTime": review.reviewed_on.isoformat(),
        "recorder": recorder,
        "performer": [{"function": reviewer_concept(review.reviewer), "actor": actor}],
    }


# --- outcome events ---------------------------------------------------------------------------


def outcome_event(*, event: OutcomeEvent, resident: Resident, shared: Shared) -> Resource:
    resource: Resource = {
        "id": f"outcome-event-{event.pk}",
        "identifier": [{"system": naming_system("outcome-event-id"), "value": str(event.pk)}],
    }
    day = event.occurred_on.isoformat()
    if event.kind in OBSERVED_EVENTS:
        resource = {
            "resourceType": "Observation",
            **resource,
            "status": "final",
            "code": event_concept(event.kind),
            "subject": patient_ref(resident),
            "effectiveDateTime": day,
            "issued": date_time(event.recorded_at),
            "performer": [shared.practitioner(event.recorded_by)],
        }
        if event.kind == EventKind.DEATH and event.place:
            resource["component"] = [
                {
                    "code": concept(LOCATION_OF_DEATH),
                    "valueCodeableConcept": death_place_concept(event.place),
                }
            ]
        return resource
    status = ENCOUNTER_STATUS[event.kind]
    resource = {
        "resourceType": "Encounter",
        **resource,
        "status": status,
        "class": ENCOUNTER_CLASS[event.kind],
        "type": [event_concept(event.kind)],
        "subject": patient_ref(resident),
        "period": {"start": day, "end": day} if status == "finished" else {"start": day},
    }
    if trajectory := getattr(resident, "trajectory", None):
        resource["episodeOfCare"] = [reference("EpisodeOfCare", f"trajectory-{trajectory.pk}")]
    return resource


# --- own goal ---------------------------------------------------------------------------------


def own_goals(*, resident: Resident) -> list[Resource]:
    """Every version, oldest first (`resident.own_goals` prefetched in that order)."""
    versions = list(resident.own_goals.all())
    resources = []
    for index, version in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        resource: Resource = {
            "resourceType": "Goal",
            "id": f"own-goal-{version.pk}",
            "identifier": [{"system": naming_system("own-goal-id"), "value": str(version.pk)}],
            "lifecycleStatus": "active" if following is None else "cancelled",
            "category": [own_goal_concept()],
            "description": {"text": version.text},
            "subject": patient_ref(resident),
            "startDate": local_date(version.noted_at),
            "expressedBy": patient_ref(resident),
        }
        if following is not None:
            resource["statusDate"] = local_date(following.noted_at)
            resource["statusReason"] = "superseded by a later version in her own words"
        resources.append(resource)
    return resources
