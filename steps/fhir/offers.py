"""Referrals to local offers (ServiceRequest) and the offers (HealthcareService).

- ServiceRequest `referral-<pk>`: intent order; status from the referral's (proposed → draft,
  registered → active, started → completed, declined or stopped → revoked), Kernteam's own in
  the `referral-status` extension; code the offer's kind (CodeSystem offer-kind); subject the
  Patient; authoredOn the day referred; requester the Practitioner who referred; performer the
  HealthcareService; basedOn the resident's CarePlan; supportingInfo the agreed action (Task)
  the referral is. The provider's feedback is not exported: free text, like the other notes.
- HealthcareService `offer-<pk>`, once per bundle however many residents were referred to it:
  active while it runs (`LocalOffer.is_running`, today); name; type the kind; providedBy the
  provider by name only (no Organization record is kept); who it is for as comment; the
  contact as telecom (phone, email, else `other`). The address has no element on
  HealthcareService (it takes a Location) and is left out.
"""

from __future__ import annotations

import re

from clients.models import Resident
from steps.fhir.care_codes import (
    EXT_REFERRAL_STATUS,
    REFERRAL_STATUS,
    offer_kind_concept,
    referral_status_coding,
)
from steps.fhir.codes import naming_system
from steps.fhir.context import (
    Reference,
    Resource,
    Shared,
    care_plan_ref,
    patient_ref,
    reference,
    task_ref,
)
from steps.models import AgreedAction
from steps.referrals import LocalOffer

# The resident's agreed actions that are referrals, with referral and offer (`care.prefetches`).
REFERRAL_ACTIONS = "fhir_referral_actions"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def offer_ref(*, offer: LocalOffer, shared: Shared) -> Reference:
    shared.offers.setdefault(offer.pk, offer)
    return reference("HealthcareService", f"offer-{offer.pk}")


def service_requests(*, resident: Resident, shared: Shared) -> list[Resource]:
    return [
        service_request(action=action, resident=resident, shared=shared)
        for action in getattr(resident, REFERRAL_ACTIONS)
    ]


def service_request(*, action: AgreedAction, resident: Resident, shared: Shared) -> Resource:
    referral = action.referral
    return {
        "resourceType": "ServiceRequest",
        "id": f"referral-{referral.pk}",
        "extension": [
            {"url": EXT_REFERRAL_STATUS, "valueCoding": referral_status_coding(referral.status)}
        ],
        "identifier": [{"system": naming_system("referral-id"), "value": str(referral.pk)}],
        "basedOn": [care_plan_ref(resident)],
        "status": REFERRAL_STATUS[referral.status],
        "intent": "order",
        "code": offer_kind_concept(referral.offer.kind),
        "subject": patient_ref(resident),
        "authoredOn": referral.referred_on.isoformat(),
        "requester": shared.practitioner(action.created_by),
        "performer": [offer_ref(offer=referral.offer, shared=shared)],
        "supportingInfo": [task_ref(action.pk)],
    }


def healthcare_services(*, shared: Shared) -> list[Resource]:
    return [healthcare_service(offer=shared.offers[pk]) for pk in sorted(shared.offers)]


def healthcare_service(*, offer: LocalOffer) -> Resource:
    resource: Resource = {
        "resourceType": "HealthcareService",
        "id": f"offer-{offer.pk}",
        "identifier": [{"system": naming_system("offer-id"), "value": str(offer.pk)}],
        "active": offer.is_running(),
        "providedBy": {"display": offer.provider},
        "type": [offer_kind_concept(offer.kind)],
        "name": offer.name,
    }
    if offer.for_whom:
        resource["comment"] = offer.for_whom
    if telecom := contact_point(offer):
        resource["telecom"] = [telecom]
    return resource


def contact_point(offer: LocalOffer) -> dict[str, str] | None:
    contact = offer.contact.strip()
    if not contact:
        return None
    if offer.phone:
        return {"system": "phone", "value": offer.phone}
    if EMAIL.fullmatch(contact):
        return {"system": "email", "value": contact}
    return {"system": "other", "value": contact}
