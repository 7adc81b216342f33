"""Observation (instrument scores) and Consent (what may be shared, with whom)."""

from __future__ import annotations

from clients.instruments import Purpose, spec
from clients.models import Assessment, Consent, Resident
from steps.fhir.codes import (
    CONSENT_SCOPE,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    V3_ACT_CODE,
    V3_INTERPRETATION,
    carer_concept,
    coding,
    concept,
    instrument_concept,
    naming_system,
    role_concept,
)
from steps.fhir.context import (
    Resource,
    Shared,
    care_team_ref,
    date_time,
    number,
    patient_ref,
)

ABOVE_CUTOFF = coding(V3_INTERPRETATION, "H", "High")
BELOW_CUTOFF = coding(V3_INTERPRETATION, "N", "Normal")


def observation(*, assessment: Assessment, resident: Resident, shared: Shared) -> Resource:
    """One score. `H` means at or above the instrument's cut-off (the outcome Kernteam derived
    when it was recorded), `N` below it. A carer-burden score is about the named carer."""
    resource: Resource = {
        "resourceType": "Observation",
        "id": f"assessment-{assessment.pk}",
        "identifier": [{"system": naming_system("assessment-id"), "value": str(assessment.pk)}],
        "status": "final",
        "category": [concept(coding(OBSERVATION_CATEGORY, "survey", "Survey"))],
        "code": instrument_concept(assessment.instrument),
        "subject": patient_ref(resident),
        "effectiveDateTime": assessment.assessed_on.isoformat(),
        "performer": [shared.practitioner(assessment.assessed_by)],
        "valueQuantity": {
            "value": number(assessment.score),
            "unit": "score",
            "system": UCUM,
            "code": "{score}",
        },
        "interpretation": [
            concept(
                ABOVE_CUTOFF if assessment.above_cutoff else BELOW_CUTOFF, text=assessment.outcome
            )
        ],
    }
    if assessment.carer_id and spec(assessment.instrument).purpose == Purpose.CARER_BURDEN:
        resource["focus"] = [shared.related_person(carer=assessment.carer, resident=resident)]
    return resource


def consent(*, consent: Consent, resident: Resident) -> Resource:
    """A privacy consent (opt-in): the root rule is `deny` (nothing is shared) with the
    exceptions nested in it. Each discipline the resident agreed to is a `permit` for that role
    on the resident's CareTeam; informal carers get a `permit` or a `deny` for the data marked
    as shared with carers. The root rule's period ends when the consent was withdrawn."""
    team = care_team_ref(resident)
    rules = [
        {"type": "permit", "actor": [{"role": role_concept(role), "reference": team}]}
        for role in consent.disciplines
    ]
    rules.append(
        {
            "type": "permit" if consent.share_with_carers else "deny",
            "actor": [{"role": carer_concept(), "reference": team}],
        }
    )
    period = {"start": consent.given_on.isoformat()}
    if consent.withdrawn_at:
        period["end"] = date_time(consent.withdrawn_at)
    return {
        "resourceType": "Consent",
        "id": f"consent-{consent.pk}",
        "identifier": [{"system": naming_system("consent-id"), "value": str(consent.pk)}],
        "status": "inactive" if consent.withdrawn_at else "active",
        "scope": concept(coding(CONSENT_SCOPE, "patient-privacy", "Privacy Consent")),
        "category": [concept(coding(LOINC, "59284-0", "Patient Consent"))],
        "patient": patient_ref(resident),
        "dateTime": consent.given_on.isoformat(),
        "performer": [patient_ref(resident)],
        "policyRule": concept(coding(V3_ACT_CODE, "OPTIN", "opt-in")),
        "provision": {"type": "deny", "period": period, "provision": rules},
    }
