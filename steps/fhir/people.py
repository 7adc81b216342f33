"""Patient, Practitioner and RelatedPerson: names and the little else the team needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clients.fhir_refs import patient_id
from clients.models import CarerLink, Resident
from kernteam.models import Membership
from steps.fhir.codes import (
    AGB,
    PROFILE_CONTACT_PERSON,
    PROFILE_PATIENT,
    PROFILE_PRACTITIONER,
    RELATIONSHIP_CODINGS,
    UZI_PERSON,
    ZIB_ROLE_CODINGS,
    carer_concept,
    concept,
    naming_system,
)
from steps.fhir.context import RelatedCarer, Resource, human_name, patient_ref
from steps.models import StepChange
from steps.outcomes import EventKind, OutcomeEvent
from steps.states import ClosureReason, Kind

Identifier = dict[str, str]


def patient(*, resident: Resident) -> Resource:
    """nl-core-Patient with a local identifier only: Kernteam stores no BSN. Closed as
    deceased: `deceased` (see `deceased`)."""
    resource: Resource = {
        "resourceType": "Patient",
        "id": patient_id(resident.pk),
        "meta": {"profile": [PROFILE_PATIENT]},
        "identifier": [
            {"use": "usual", "system": naming_system("resident-id"), "value": str(resident.pk)}
        ],
        "name": human_name(first_name=resident.first_name, last_name=resident.last_name),
        "birthDate": resident.date_of_birth.isoformat(),
    }
    return resource | deceased(resident=resident)


def deceased(*, resident: Resident) -> Resource:
    """{"deceasedDateTime": the date of the death} when the trajectory is closed as deceased:
    the death outcome event of that close (closing as deceased records or links one,
    `steps.outcomes.record_for_move`); {"deceasedBoolean": True} when none is on record (a
    record closed before outcome events were kept); {} otherwise. Only the close decides: a
    record reopened after a mistaken close is alive again, whatever events stay on record."""
    trajectory = getattr(resident, "trajectory", None)
    if trajectory is None or not (
        trajectory.is_closed and trajectory.closure_reason == ClosureReason.DECEASED
    ):
        return {}
    closes = [change for change in trajectory.history.all() if change.kind == Kind.CLOSE]
    event = _event_of(closes[-1]) if closes else None
    if event is not None and event.kind == EventKind.DEATH:
        return {"deceasedDateTime": event.occurred_on.isoformat()}
    return {"deceasedBoolean": True}


def _event_of(change: StepChange):
    """The outcome event linked to a move (selected with the history: no query), or None."""
    try:
        return change.outcome_event
    except OutcomeEvent.DoesNotExist:
        return None


def practitioner_identifiers(*, user_ids: Iterable[int]) -> dict[int, list[Identifier]]:
    """Per user: the AGB code and UZI number recorded on their memberships (any team, ended
    ones too: both belong to the person), each once, in the order recorded. One query."""
    found: dict[int, list[Identifier]] = {}
    rows = (
        Membership.objects.filter(user_id__in=list(user_ids))
        .exclude(agb_code="", uzi_number="")
        .order_by("pk")
        .values_list("user_id", "agb_code", "uzi_number")
    )
    for user_id, agb_code, uzi_number in rows:
        identifiers = found.setdefault(user_id, [])
        for system, value in ((AGB, agb_code), (UZI_PERSON, uzi_number)):
            identifier = {"system": system, "value": value}
            if value and identifier not in identifiers:
                identifiers.append(identifier)
    return found


def practitioner(*, user, identifiers: Sequence[Identifier] = ()) -> Resource:
    """nl-core-HealthProfessional-Practitioner: the name, and the AGB code and UZI number
    when known (`practitioner_identifiers`); nothing else about the person."""
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": f"practitioner-{user.pk}",
        "meta": {"profile": [PROFILE_PRACTITIONER]},
    }
    if identifiers:
        resource["identifier"] = list(identifiers)
    if name := human_name(first_name=user.first_name, last_name=user.last_name):
        resource["name"] = name
    return resource


def related_person(*, related: RelatedCarer) -> Resource:
    """nl-core-ContactPerson: the carer as related to this resident. The relationship is an
    HL7 v3 RoleCode, the neutral one (daughter → CHILD: `CarerLink.Relationship.neutral`),
    plus the zib role code where one exists (neighbour, friend), plus the mantelzorger role
    (SNOMED CT 'Informal carer' and zib 100001). Active only while the carer is linked to the
    resident now; an ended link gives the period's end."""
    carer, link = related.carer, related.link
    relationship = []
    if link is not None:
        neutral = CarerLink.Relationship.neutral(link.relationship)
        relationship.append(concept(RELATIONSHIP_CODINGS[neutral]))
        if zib_role := ZIB_ROLE_CODINGS.get(neutral):
            relationship.append(concept(zib_role))
    relationship.append(carer_concept())
    resource_id = f"carer-{carer.pk}-resident-{related.resident.pk}"
    resource: Resource = {
        "resourceType": "RelatedPerson",
        "id": resource_id,
        "meta": {"profile": [PROFILE_CONTACT_PERSON]},
        # the carer as related to this resident: one identifier per RelatedPerson (a server
        # that matches by identifier finds one), naming the carer's id and the resident's
        "identifier": [{"system": naming_system("related-person-id"), "value": resource_id}],
        "patient": patient_ref(related.resident),
        "relationship": relationship,
    }
    resource["active"] = related.is_linked
    if link is not None:
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
