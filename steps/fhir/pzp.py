"""Proactieve zorgplanning (PZP) as the IKNL PZP implementation guide maps it: Consents on the
nl-core AdvanceDirective and TreatmentDirective2 profiles.

Every version (one conversation, `clients.care_planning.CarePlanning`) is exported: the one in
force `active`, the superseded ones `inactive`, their provision period ending the day the next
conversation was held. Per version:

- one AdvanceDirective Consent `care-planning-<pk>` (scope adr, category acd): the day held,
  the representative (provision.actor RESPRSN, by name, with the kind of representation), and
  in Kernteam extensions what the profile has no element for: capacity, preferred place of
  care and of dying, written directive, do-not-resuscitate medallion, who took part, shared
  with carers;
- one TreatmentDirective2 Consent `care-planning-<pk>-<limit>` per treatment limit decided
  (scope treatment, category SNOMED CT 129125009): "wel" permit, "niet" deny; a limit not
  discussed has none. provision.code is the treatment (`care_codes.TREATMENT_CODINGS`) plus
  CodeSystem pzp-limit; the agreement parties (CONSENTER) are the resident when she took
  part, her representative when they took part, and the professional who recorded it;
  sourceReference is the version's AdvanceDirective.

Free text stays out, as elsewhere in the export: the other wishes (what matters to her), the
notes per limit and the representative's relationship as typed.

Fewer people read the PZP than see the resident (`clients.care_planning.READERS`): a bundle
for a reader who may not read it must leave it out, `care.resident_resources(...,
with_care_planning=readable(roles=..., resident=...))`.
"""

from __future__ import annotations

from clients.care_planning import (
    CarePlanning,
    Decision,
    Participant,
    current_and_earlier,
)
from clients.care_planning_services import reads_with
from clients.models import Consent, Resident
from steps.fhir.care_codes import (
    CONSENT_CATEGORY,
    CONSENTER,
    CS_PZP_CAPACITY,
    CS_PZP_REPRESENTATIVE,
    DUTCH_LAW,
    EXT_PZP_CAPACITY,
    EXT_PZP_DNR_MEDALLION,
    EXT_PZP_LIVING_WILL,
    EXT_PZP_PARTICIPANT,
    EXT_PZP_PLACE_OF_CARE,
    EXT_PZP_PLACE_OF_DEATH,
    EXT_PZP_REPRESENTATIVE,
    PROFILE_ADVANCE_DIRECTIVE,
    PROFILE_TREATMENT_DIRECTIVE,
    REPRESENTATIVE,
    care_place_concept,
    participant_coding,
    treatment_concept,
)
from steps.fhir.codes import (
    CONSENT_SCOPE,
    EXT_SHARED_WITH_CARERS,
    SNOMED,
    coding,
    concept,
    naming_system,
)
from steps.fhir.context import Reference, Resource, Shared, patient_ref, reference

TREATMENT_DECISION = {Decision.YES: "permit", Decision.NO: "deny"}
TREATMENT_DIRECTIVE = coding(SNOMED, "129125009", "Procedure with explicit context")


def advance_directive_id(version: CarePlanning) -> str:
    return f"care-planning-{version.pk}"


def treatment_directive_id(version: CarePlanning, limit: str) -> str:
    """`care-planning-<pk>-<limit>`, the limit's code made id-safe (FHIR ids have no '_')."""
    return f"{advance_directive_id(version)}-{limit.replace('_', '-')}"


def readable(*, roles: set[str] | frozenset[str], resident: Resident) -> bool:
    """Whether a reader with `roles` on the resident's team reads her PZP
    (`clients.care_planning_services.reads_with`), without a query: the consent in force
    (`Consent.in_force`, as `Resident.active_consent`) among the consents the bundle
    prefetched (`resident.consents`)."""
    consent = Consent.in_force(resident.consents.all())
    return reads_with(roles=roles, disciplines=consent.disciplines if consent else None)


def care_planning(*, resident: Resident, shared: Shared) -> list[Resource]:
    """Every version's Consents, oldest first (`resident.care_plannings` prefetched)."""
    versions = sorted(resident.care_plannings.all(), key=lambda v: (v.held_on, v.pk))
    current, _earlier = current_and_earlier(versions)
    resources: list[Resource] = []
    for index, version in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        period = {"start": version.held_on.isoformat()}
        if following is not None:
            period["end"] = following.held_on.isoformat()
        status = "active" if version is current else "inactive"
        resources.append(
            advance_directive(version=version, resident=resident, status=status, period=period)
        )
        for limit, _label, decision, _note in version.limit_rows():
            if decision in TREATMENT_DECISION:
                resources.append(
                    treatment_directive(
                        version=version,
                        resident=resident,
                        limit=limit,
                        decision=decision,
                        status=status,
                        period=period,
                        shared=shared,
                    )
                )
    return resources


def advance_directive(
    *, version: CarePlanning, resident: Resident, status: str, period: dict[str, str]
) -> Resource:
    extensions = [
        {
            "url": EXT_PZP_CAPACITY,
            "valueCodeableConcept": concept(
                coding(CS_PZP_CAPACITY, version.capacity, version.get_capacity_display()),
                text=version.get_capacity_display(),
            ),
        },
        {
            "url": EXT_PZP_PLACE_OF_CARE,
            "valueCodeableConcept": care_place_concept(version.place_of_care),
        },
        {
            "url": EXT_PZP_PLACE_OF_DEATH,
            "valueCodeableConcept": care_place_concept(version.place_of_death),
        },
        {"url": EXT_PZP_LIVING_WILL, "valueBoolean": version.has_living_will},
        {"url": EXT_PZP_DNR_MEDALLION, "valueBoolean": version.has_dnr_medallion},
        *(
            {"url": EXT_PZP_PARTICIPANT, "valueCoding": participant_coding(participant)}
            for participant in version.participants or []
        ),
        {"url": EXT_SHARED_WITH_CARERS, "valueBoolean": version.shared_with_carers},
    ]
    provision: dict[str, object] = {"period": period}
    if actor := representative_actor(version):
        provision["actor"] = [actor]
    return {
        "resourceType": "Consent",
        "id": advance_directive_id(version),
        "meta": {"profile": [PROFILE_ADVANCE_DIRECTIVE]},
        "extension": extensions,
        "identifier": [{"system": naming_system("care-planning-id"), "value": str(version.pk)}],
        "status": status,
        "scope": concept(coding(CONSENT_SCOPE, "adr", "Advanced Care Directive")),
        "category": [concept(coding(CONSENT_CATEGORY, "acd", "Advance Directive"))],
        "patient": patient_ref(resident),
        "dateTime": version.held_on.isoformat(),
        "policy": [{"uri": DUTCH_LAW}],
        "provision": provision,
    }


def representative_actor(version: CarePlanning) -> dict[str, object] | None:
    """The legal representative, by name (Kernteam keeps no other record of them)."""
    if not version.representative_name:
        return None
    actor: dict[str, object] = {
        "role": concept(REPRESENTATIVE),
        "reference": {"display": version.representative_name},
    }
    if version.representative_kind:
        kind = coding(
            CS_PZP_REPRESENTATIVE,
            version.representative_kind,
            version.get_representative_kind_display(),
        )
        actor["extension"] = [{"url": EXT_PZP_REPRESENTATIVE, "valueCoding": kind}]
    return actor


def treatment_directive(
    *,
    version: CarePlanning,
    resident: Resident,
    limit: str,
    decision: str,
    status: str,
    period: dict[str, str],
    shared: Shared,
) -> Resource:
    return {
        "resourceType": "Consent",
        "id": treatment_directive_id(version, limit),
        "meta": {"profile": [PROFILE_TREATMENT_DIRECTIVE]},
        "identifier": [
            {"system": naming_system("care-planning-limit-id"), "value": f"{version.pk}-{limit}"}
        ],
        "status": status,
        "scope": concept(coding(CONSENT_SCOPE, "treatment", "Treatment")),
        "category": [concept(TREATMENT_DIRECTIVE)],
        "patient": patient_ref(resident),
        "dateTime": version.held_on.isoformat(),
        "sourceReference": reference("Consent", advance_directive_id(version)),
        "policy": [{"uri": DUTCH_LAW}],
        "provision": {
            "type": TREATMENT_DECISION[decision],
            "period": dict(period),
            "actor": [
                {"role": concept(CONSENTER), "reference": party}
                for party in agreement_parties(version=version, resident=resident, shared=shared)
            ],
            "code": [treatment_concept(limit)],
        },
    }


def agreement_parties(
    *, version: CarePlanning, resident: Resident, shared: Shared
) -> list[Reference | dict[str, str]]:
    """Who agreed (zib AfspraakPartij): the resident and her representative when they took
    part, and the professional who recorded the conversation."""
    participants = version.participants or []
    parties: list[Reference | dict[str, str]] = []
    if Participant.RESIDENT in participants:
        parties.append(patient_ref(resident))
    if Participant.REPRESENTATIVE in participants and version.representative_name:
        parties.append({"display": version.representative_name})
    parties.append(shared.practitioner(version.recorded_by))
    return parties
