"""Kernteam's own code systems, extensions and identifier systems, published as FHIR R4
CodeSystem, StructureDefinition and NamingSystem resources at their canonical URLs:
`<base>CodeSystem/<name>`, `<base>StructureDefinition/<name>` and `<base>NamingSystem/<name>`,
base = settings.KERNTEAM_FHIR_BASE (`codes.KERNTEAM`), which points at this server's /fhir/
path. Served without authentication (no personal data), so a strict validator can resolve every
system and extension URL an exported resource (or a Subscription) uses. An R4 NamingSystem has
no `url`: its address is its uniqueId, the identifier system itself (`address`).

Built from the code tables themselves (the TextChoices the records store), so a published
CodeSystem lists exactly the codes the export can write, with the displays it writes (the
canonical English labels).

The list is open: another module adds its own with `register(builder, ...)`, a builder being
a function without arguments that returns one resource (e.g. `code_system(...)` or
`extension(...)` below, wrapped in a lambda or a def). `published()` calls them all.
Registering at import time of a module of this package (e.g. `steps.fhir.care`) is enough:
importing this module imports the package, whose `__init__` imports every module of the
export.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils import translation

from clients.instruments import Instrument
from clients.subscriptions import secret_extension
from kernteam.roles import Role
from steps.fhir.codes import KERNTEAM, NAMING_SYSTEMS, naming_system
from steps.fhir.context import Resource
from steps.models import Domain
from steps.states import ClosureReason, Kind, State

PUBLISHER = "Kernteam"
FHIR_VERSION = "4.0.1"
EXTENSION_BASE = "http://hl7.org/fhir/StructureDefinition/Extension"
# care-plan-category has one code of its own (not a table): the stepped-care plan
CARE_PLAN_CATEGORIES = (("stepped-care", "Kernteam Ouderen stepped care plan"),)
# NamingSystem.date (1..1): when the identifier systems were last changed.
NAMING_SYSTEMS_CHANGED = "2026-12-06"

Builder = Callable[[], Resource]


def canonical(resource_type: str, name: str) -> str:
    """`<base>CodeSystem/stepped-care-state`: the URL a resource is published, and used, at.
    The base is the one the export's codes use (`steps.fhir.codes.KERNTEAM`, the configured
    FHIR base)."""
    return f"{KERNTEAM}{resource_type}/{name}"


def address(resource: Resource) -> str:
    """Where a published resource answers: its `url`, or a NamingSystem's uniqueId."""
    if resource["resourceType"] == "NamingSystem":
        return resource["uniqueId"][0]["value"]
    return resource["url"]


def _computable(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


# --- CodeSystem -------------------------------------------------------------------------------


def code_system(
    *, name: str, title: str, description: str, concepts: Iterable[tuple[str, object]]
) -> Resource:
    """A complete CodeSystem of (code, display) pairs at `canonical("CodeSystem", name)`."""
    with translation.override(None):
        concept = [{"code": code, "display": str(display)} for code, display in concepts]
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": canonical("CodeSystem", name),
        "name": _computable(name),
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concept),
        "concept": concept,
    }


def table(*, name: str, title: str, description: str, choices: type[TextChoices]) -> Builder:
    """A builder for the CodeSystem of a TextChoices table: its values and English labels."""
    return lambda: code_system(
        name=name, title=title, description=description, concepts=choices.choices
    )


# --- StructureDefinition (extensions) ------------------------------------------------------


def extension(
    *,
    name: str,
    title: str,
    description: str,
    contexts: Iterable[str],
    value_type: str | None = None,
    parts: Iterable[Part] = (),
    repeats: bool = False,
) -> Resource:
    """The StructureDefinition of an extension at `canonical("StructureDefinition", name)`,
    used on the elements `contexts` (e.g. "EpisodeOfCare"). A simple extension has a
    `value_type` (a FHIR data type code: "date", "boolean", ...); a complex one has `parts`,
    its sub-extensions, and no value."""
    url = canonical("StructureDefinition", name)
    root: dict[str, object] = {
        "id": "Extension",
        "path": "Extension",
        "short": title,
        "definition": description,
        "min": 0,
        "max": "*" if repeats else "1",
    }
    elements: list[dict[str, object]] = [root]
    parts = list(parts)
    if parts:
        elements.append(
            {
                "id": "Extension.extension",
                "path": "Extension.extension",
                "slicing": {
                    "discriminator": [{"type": "value", "path": "url"}],
                    "rules": "closed",
                },
                "min": sum(1 for part in parts if part.required),
            }
        )
        for part in parts:
            elements += part.elements()
    else:
        elements.append({"id": "Extension.extension", "path": "Extension.extension", "max": "0"})
    elements.append({"id": "Extension.url", "path": "Extension.url", "fixedUri": url})
    if value_type:
        elements.append(
            {
                "id": "Extension.value[x]",
                "path": "Extension.value[x]",
                "min": 1,
                "type": [{"code": value_type}],
            }
        )
    else:
        elements.append({"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"})
    return {
        "resourceType": "StructureDefinition",
        "id": name,
        "url": url,
        "name": _computable(name),
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": description,
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": context} for context in contexts],
        "type": "Extension",
        "baseDefinition": EXTENSION_BASE,
        "derivation": "constraint",
        "differential": {"element": elements},
    }


@dataclass(frozen=True)
class Part:
    """A sub-extension of a complex extension: its url (a plain name), value type (a FHIR data
    type code), what it means, whether it is required, and the resource type a Reference
    points at."""

    url: str
    value_type: str
    definition: str
    required: bool = False
    target: str = ""

    def elements(self) -> list[dict[str, object]]:
        slice_id = f"Extension.extension:{self.url}"
        value_type: dict[str, object] = {"code": self.value_type}
        if self.target:
            value_type["targetProfile"] = [f"http://hl7.org/fhir/StructureDefinition/{self.target}"]
        return [
            {
                "id": slice_id,
                "path": "Extension.extension",
                "sliceName": self.url,
                "short": self.definition,
                "definition": self.definition,
                "min": 1 if self.required else 0,
                "max": "1",
            },
            {"id": f"{slice_id}.extension", "path": "Extension.extension.extension", "max": "0"},
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": self.url},
            {
                "id": f"{slice_id}.value[x]",
                "path": "Extension.extension.value[x]",
                "min": 1,
                "type": [value_type],
            },
        ]


def _step_change() -> Resource:
    """`step-change` as `steps.fhir.episode` writes it (its docstring lists the parts)."""
    state = canonical("CodeSystem", "stepped-care-state")
    kind = canonical("CodeSystem", "step-change-kind")
    role = canonical("CodeSystem", "team-role")
    closure = canonical("CodeSystem", "closure-reason")
    parts = (
        Part("identifier", "Identifier", "The move's id (step-change-id).", required=True),
        Part("kind", "Coding", f"What kind of move ({kind}).", required=True),
        Part("from", "Coding", f"The state before ({state}); absent for the first signal."),
        Part("to", "Coding", f"The state after ({state}).", required=True),
        Part("at", "dateTime", "When the move was made.", required=True),
        Part("actor", "Reference", "Who made the move.", required=True, target="Practitioner"),
        Part("actorRole", "Coding", f"The role the actor acted in ({role})."),
        Part("reason", "string", "Why, as recorded."),
        Part("meeting", "Reference", "The multidisciplinary meeting (identifier meeting-id)."),
        Part("confirms", "Identifier", "For a confirmation: the urgent step-up it confirms."),
        Part("closureReason", "Coding", f"Why the trajectory closed ({closure})."),
    )
    return extension(
        name="step-change",
        title="Step change",
        description=(
            "One move of the resident's stepped-care trajectory (a StepChange), in order: the "
            "full history, which EpisodeOfCare.statusHistory cannot hold."
        ),
        contexts=["EpisodeOfCare"],
        parts=parts,
        repeats=True,
    )


# --- NamingSystem --------------------------------------------------------------------------


def identifier_system(*, name: str, description: str) -> Resource:
    """The NamingSystem of the identifier system `codes.naming_system(name)`, published at that
    URL (= `canonical("NamingSystem", name)`)."""
    return {
        "resourceType": "NamingSystem",
        "id": name,
        "name": _computable(name),
        "status": "active",
        "kind": "identifier",
        "date": NAMING_SYSTEMS_CHANGED,
        "publisher": PUBLISHER,
        "responsible": PUBLISHER,
        "description": description,
        "uniqueId": [{"type": "uri", "value": naming_system(name), "preferred": True}],
    }


def _identifier_systems() -> list[Builder]:
    return [
        functools.partial(identifier_system, name=name, description=description)
        for name, description in NAMING_SYSTEMS.items()
    ]


def _subscription_secret() -> Resource:
    """The extension a Subscription's creation answers its secret in (`clients.subscriptions`)."""
    return extension(
        name=secret_extension().rsplit("/", 1)[1],
        title="Subscription secret",
        description=(
            "The secret that signs the notifications of this subscription (HMAC-SHA256): in "
            "the answer to the Subscription's creation only."
        ),
        contexts=["Subscription"],
        value_type="string",
    )


# --- the registry -------------------------------------------------------------------------


_BUILDERS: list[Builder] = [
    table(
        name="stepped-care-state",
        title="Stepped-care state",
        description="The states of a resident's stepped-care trajectory (EpisodeOfCare.type).",
        choices=State,
    ),
    table(
        name="step-change-kind",
        title="Step change kind",
        description="What kind of move a step change is (signal, step up, admission, ...).",
        choices=Kind,
    ),
    table(
        name="closure-reason",
        title="Closure reason",
        description="Why a stepped-care trajectory was closed.",
        choices=ClosureReason,
    ),
    table(
        name="team-role",
        title="Kernteam role",
        description="The disciplines of a kernteam (CareTeam.participant.role, Consent actors).",
        choices=Role,
    ),
    table(
        name="instrument",
        title="Instrument",
        description=(
            "The screening and assessment instruments Kernteam records (Observation.code); "
            "CFS also carries its SNOMED CT code."
        ),
        choices=Instrument,
    ),
    table(
        name="goal-domain",
        title="Goal domain",
        description=(
            "The domains of goals and problems: somatic, functional, social, psychological, "
            "communicative (SFMPC) and housing (Goal.category)."
        ),
        choices=Domain,
    ),
    lambda: code_system(
        name="care-plan-category",
        title="Care plan category",
        description="The kind of care plan (CarePlan.category).",
        concepts=CARE_PLAN_CATEGORIES,
    ),
    _step_change,
    lambda: extension(
        name="review-due",
        title="Review due",
        description="The day the trajectory's next review is due.",
        contexts=["EpisodeOfCare"],
        value_type="date",
    ),
    lambda: extension(
        name="shared-with-carers",
        title="Shared with carers",
        description=(
            "Whether the agreed action (Task), or the advance care planning (Consent), is "
            "shown to the resident's informal carers."
        ),
        contexts=["Task", "Consent"],
        value_type="boolean",
    ),
    _subscription_secret,
    *_identifier_systems(),
]


def register(*builders: Builder) -> None:
    """Publish more resources: each builder returns one CodeSystem, StructureDefinition or
    NamingSystem whose `address` is `canonical(...)` (see the module's docstring)."""
    _BUILDERS.extend(builders)


def published() -> list[Resource]:
    """Every published resource, built now (from the current tables and base)."""
    return [build() for build in _BUILDERS]


def find(*, resource_type: str, name: str) -> Resource | None:
    """The published resource of this type and name (its id), or None."""
    for resource in published():
        if resource["resourceType"] == resource_type and resource["id"] == name:
            return resource
    return None
