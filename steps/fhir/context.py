"""Ids, references, dates, and the resources several residents share (one entry each)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from clients.models import Carer, CarerLink, Resident
from steps.fhir.codes import EXT_GIVEN_QUALIFIER

Resource = dict[str, object]
Reference = dict[str, str]


def fhir_base() -> str:
    """settings.KERNTEAM_FHIR_BASE, ending in '/': fullUrl = base + 'Patient/resident-12'."""
    return settings.KERNTEAM_FHIR_BASE.rstrip("/") + "/"


def reference(resource_type: str, resource_id: str) -> Reference:
    return {"reference": f"{resource_type}/{resource_id}"}


def patient_ref(resident: Resident) -> Reference:
    return reference("Patient", f"resident-{resident.pk}")


def care_team_id(resident: Resident) -> str:
    return f"careteam-resident-{resident.pk}"


def care_team_ref(resident: Resident) -> Reference:
    return reference("CareTeam", care_team_id(resident))


def care_plan_id(resident: Resident) -> str:
    return f"careplan-resident-{resident.pk}"


def care_plan_ref(resident: Resident) -> Reference:
    return reference("CarePlan", care_plan_id(resident))


def goal_ref(goal_id: int) -> Reference:
    return reference("Goal", f"goal-{goal_id}")


def task_ref(action_id: int) -> Reference:
    return reference("Task", f"action-{action_id}")


def date_time(value: datetime.datetime) -> str:
    """A FHIR dateTime in the Dutch time zone, with its offset."""
    return timezone.localtime(value).isoformat()


def local_date(value: datetime.datetime) -> str:
    return timezone.localdate(value).isoformat()


def number(value: Decimal) -> int | float:
    """A JSON number: whole scores as int, halves (ISAR-PC) as float (exact in binary)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def human_name(*, first_name: str, last_name: str) -> list[dict[str, object]]:
    """One official name. Dutch prefixes ('van', 'de') stay in the family name as typed; the
    given name carries the nl-core qualifier BR (a full name, not an initial)."""
    if not (first_name or last_name):
        return []
    name: dict[str, object] = {"use": "official", "text": f"{first_name} {last_name}".strip()}
    if last_name:
        name["family"] = last_name
    if first_name:
        name["given"] = [first_name]
        name["_given"] = [{"extension": [{"url": EXT_GIVEN_QUALIFIER, "valueCode": "BR"}]}]
    return [name]


@dataclass
class RelatedCarer:
    """How a carer relates to a resident: the link in force, else the latest one."""

    carer: Carer
    resident: Resident
    link: CarerLink | None


@dataclass
class Shared:
    """Practitioners and related persons referred to while building the residents' resources.
    Each is emitted once per bundle, however many residents refer to it."""

    practitioners: dict[int, object] = field(default_factory=dict)  # user pk -> user
    related: dict[tuple[int, int], RelatedCarer] = field(default_factory=dict)
    offers: dict[int, object] = field(default_factory=dict)  # offer pk -> offer (see `care`)

    def practitioner(self, user) -> Reference:
        self.practitioners.setdefault(user.pk, user)
        return reference("Practitioner", f"practitioner-{user.pk}")

    def related_person(self, *, carer: Carer, resident: Resident) -> Reference:
        """A RelatedPerson is about one patient (FHIR: RelatedPerson.patient 1..1), so the
        same carer linked to two residents is two RelatedPersons, both with the carer's id."""
        key = (carer.pk, resident.pk)
        if key not in self.related:
            self.related[key] = RelatedCarer(
                carer=carer, resident=resident, link=_best_link(resident, carer.pk)
            )
        return reference("RelatedPerson", f"carer-{carer.pk}-resident-{resident.pk}")


def _best_link(resident: Resident, carer_id: int) -> CarerLink | None:
    links = [link for link in resident.carer_links.all() if link.carer_id == carer_id]
    links.sort(key=lambda link: (link.ended_on is None, link.since, link.pk))
    return links[-1] if links else None
