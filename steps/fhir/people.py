"""Patient, Practitioner and RelatedPerson: names and the little else the team needs."""

from __future__ import annotations

from clients.models import CarerLink, Resident
from steps.fhir.codes import (
    INFORMAL_CARER,
    PROFILE_CONTACT_PERSON,
    PROFILE_PATIENT,
    PROFILE_PRACTITIONER,
    RELATIONSHIP_CODINGS,
    ZIB_ROLE_CODINGS,
    concept,
    naming_system,
)
from steps.fhir.context import RelatedCarer, Resource, human_name, patient_ref


def patient(*, resident: Resident) -> Resource:
    """nl-core-Patient with a local identifier only: Kernteam stores no BSN."""
    return {
        "resourceType": "Patient",
        "id": f"resident-{resident.pk}",
        "meta": {"profile": [PROFILE_PATIENT]},
        "identifier": [
            {"use": "usual", "system": naming_system("resident-id"), "value": str(resident.pk)}
        ],
        "name": human_name(first_name=resident.first_name, last_name=resident.last_name),
        "birthDate": resident.date_of_birth.isoformat(),
    }


def practitioner(*, user) -> Resource:
    """nl-core-HealthProfessional-Practitioner: the name, nothing else about the person."""
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": f"practitioner-{user.pk}",
        "meta": {"profile": [PROFILE_PRACTITIONER]},
    }
    if name := human_name(first_name=user.first_name, last_name=user.last_name):
        resource["name"] = name
    return resource


def related_person(*, related: RelatedCarer) -> Resource:
    """nl-core-ContactPerson: the carer as related to this resident. The relationship is an
    HL7 v3 RoleCode, the neutral one (daughter → CHILD: `CarerLink.Relationship.neutral`),
    plus the zib role code where one exists (neighbour, friend), plus SNOMED CT 'Informal
    carer' (mantelzorger)."""
    carer, link = related.carer, related.link
    relationship = []
    if link is not None:
        neutral = CarerLink.Relationship.neutral(link.relationship)
        relationship.append(concept(RELATIONSHIP_CODINGS[neutral]))
        if zib_role := ZIB_ROLE_CODINGS.get(neutral):
            relationship.append(concept(zib_role))
    relationship.append(concept(INFORMAL_CARER, text="mantelzorger"))
    resource: Resource = {
        "resourceType": "RelatedPerson",
        "id": f"carer-{carer.pk}-resident-{related.resident.pk}",
        "meta": {"profile": [PROFILE_CONTACT_PERSON]},
        "identifier": [{"system": naming_system("carer-id"), "value": str(carer.pk)}],
        "patient": patient_ref(related.resident),
        "relationship": relationship,
    }
    if link is not None:
        resource["active"] = link.ended_on is None
        period = {"start": link.since.isoformat()}
        if link.ended_on:
            period["end"] = link.ended_on.isoformat()
        resource["period"] = period
    if name := human_name(first_name=carer.first_name, last_name=carer.last_name):
        resource["name"] = name
    telecom = []
    if carer.phone:
        telecom.append({"system": "phone", "value": carer.phone})
    if carer.email:
        telecom.append({"system": "email", "value": carer.email})
    if telecom:
        resource["telecom"] = telecom
    return resource
