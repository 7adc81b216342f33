"""Ids, references, dates, and the resources several residents share (one entry each)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from clients.fhir_refs import fhir_base as fhir_base  # (the base and Patient id: one rule)
from clients.fhir_refs import patient_id
from clients.models import Carer, CarerLink, Resident
from steps.fhir.codes import EXT_GIVEN_QUALIFIER, EXT_OWN_NAME, EXT_OWN_PREFIX

Resource = dict[str, object]
Reference = dict[str, str]


def reference(resource_type: str, resource_id: str) -> Reference:
    return {"reference": f"{resource_type}/{resource_id}"}


def patient_ref(resident: Resident) -> Reference:
    return reference("Patient", patient_id(resident.pk))


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


# Dutch last-name prefixes (voorvoegsels: the common ones of the civil registry's table), as
# lowercase words. `split_last_name` tries the longest first: "van der Berg" is "van der" +
# "Berg", not "van" + "der Berg".
DUTCH_PREFIXES = (
    "van", "de", "der", "den", "het", "'t", "te", "ten", "ter", "in", "op", "aan", "bij", "uit",
    "onder", "over", "voor", "tot", "d'", "l'", "la", "le", "du", "des", "da", "di", "del",
    "della", "dos", "das", "von", "vom", "zu",
    "van de", "van den", "van der", "van het", "van 't", "van de l'", "in de", "in den",
    "in der", "in het", "in 't", "op de", "op den", "op het", "op 't", "aan de", "aan den",
    "aan het", "aan 't", "bij de", "bij den", "bij het", "bij 't", "uit de", "uit den",
    "uit het", "uit 't", "onder de", "onder den", "onder het", "over de", "over den",
    "over het", "voor de", "voor den", "voor 't", "voor in 't", "de la", "de le", "von der",
    "von dem",
)  # fmt: skip
NAME_PREFIXES: tuple[str, ...] = tuple(sorted(DUTCH_PREFIXES, key=lambda p: -len(p.split())))
PREFIX_WORDS = frozenset(word for prefix in NAME_PREFIXES for word in prefix.split())


def split_last_name(last_name: str) -> tuple[str, str]:
    """(prefix, own name) of a Dutch last name as typed: ("van der", "Berg") for "van der
    Berg", ("", "Jansen") for "Jansen". The longest prefix in NAME_PREFIXES whose words open
    the name, compared in lowercase (typographic apostrophes as '). A last name of prefix
    words only ("De", "van der") is not split: there is no own name to give."""
    words = last_name.split()
    lowered = [word.lower().replace("\u2019", "'").replace("\u2018", "'") for word in words]
    if all(word in PREFIX_WORDS for word in lowered):
        return "", last_name.strip()
    for prefix in NAME_PREFIXES:
        size = len(prefix.split())
        if lowered[:size] == prefix.split():
            return " ".join(words[:size]), " ".join(words[size:])
    return "", last_name.strip()


def human_name(*, first_name: str, last_name: str) -> list[dict[str, object]]:
    """One official name. `family` is the last name as typed, prefixes included; as in
    nl-core-NameInformation, a last name with a prefix (`split_last_name`) also carries its
    parts in `_family`: the extensions humanname-own-prefix ("van der") and humanname-own-name
    ("Berg"). The given name carries the nl-core qualifier BR (a full name, not an initial)."""
    first_name, last_name = first_name.strip(), last_name.strip()
    if not (first_name or last_name):
        return []
    name: dict[str, object] = {"use": "official", "text": f"{first_name} {last_name}".strip()}
    if last_name:
        name["family"] = last_name
        prefix, own_name = split_last_name(last_name)
        if prefix:
            name["_family"] = {
                "extension": [
                    {"url": EXT_OWN_PREFIX, "valueString": prefix},
                    {"url": EXT_OWN_NAME, "valueString": own_name},
                ]
            }
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

    @property
    def is_linked(self) -> bool:
        """Linked to the resident now: the RelatedPerson is active only then."""
        return self.link is not None and self.link.ended_on is None

    def unlinked_display(self) -> str:
        name = f"{self.carer.first_name} {self.carer.last_name}".strip()
        if self.link is None:
            return f"{name} (not linked)"
        return f"{name} (link ended {self.link.ended_on.isoformat()})"


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

    def related_person(
        self, *, carer: Carer, resident: Resident, say_if_unlinked: bool = False
    ) -> Reference:
        """A RelatedPerson is about one patient (FHIR: RelatedPerson.patient 1..1), so the
        same carer linked to two residents is two RelatedPersons, each with its own id and
        identifier (both naming the carer's id: `carer-<carer>-resident-<resident>`).
        `say_if_unlinked`: a carer no longer linked to the resident is named so in the
        reference's display (a task's owner: "Thea Ramakers (link ended 2026-09-30)")."""
        key = (carer.pk, resident.pk)
        if key not in self.related:
            self.related[key] = RelatedCarer(
                carer=carer, resident=resident, link=_best_link(resident, carer.pk)
            )
        result = reference("RelatedPerson", f"carer-{carer.pk}-resident-{resident.pk}")
        related = self.related[key]
        if say_if_unlinked and not related.is_linked:
            result["display"] = related.unlinked_display()
        return result


def _best_link(resident: Resident, carer_id: int) -> CarerLink | None:
    links = [link for link in resident.carer_links.all() if link.carer_id == carer_id]
    links.sort(key=lambda link: (link.ended_on is None, link.since, link.pk))
    return links[-1] if links else None
