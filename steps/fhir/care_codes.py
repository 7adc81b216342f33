"""Codes and extensions of the care records around the steps (issue 20): PZP, medication
reviews, outcome events, referrals and local offers, the resident's own goal.

External codes only where the code exists in the named system (SNOMED CT, LOINC, HL7 v3);
the Kernteam code is always present as well, so a receiver can map back without loss.
The Kernteam code systems and extensions are registered with `steps.fhir.conformance`, which
publishes them at their canonical URLs; `CODE_SYSTEMS` (url, title, concepts with their
canonical English displays) and `EXTENSIONS` (url, title, description) list them too.
"""

from __future__ import annotations

from django.utils import translation

from clients.care_planning import Capacity, Limit, Participant, RepresentativeKind
from clients.care_planning import Place as CarePlace
from clients.medication import Reviewer
from kernteam.roles import Role
from steps.fhir import conformance
from steps.fhir.codes import (
    CS_TEAM_ROLE,
    KERNTEAM,
    NL_CORE,
    ROLE_CODINGS,
    SNOMED,
    V3_ACT_CODE,
    V3_NULL_FLAVOR,
    Coding,
    Concept,
    coding,
    concept,
)
from steps.outcomes import EventKind
from steps.outcomes import Place as EventPlace
from steps.referrals import OfferKind, ReferralStatus

# --- external systems and profiles ------------------------------------------------------------
CONSENT_CATEGORY = "http://terminology.hl7.org/CodeSystem/consentcategorycodes"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
LOINC = "http://loinc.org"
# nl-core (zib) profiles, as the IKNL PZP implementation guide (IKNL/PZP-FHIR-R4) builds on them
PROFILE_ADVANCE_DIRECTIVE = NL_CORE + "nl-core-AdvanceDirective"
PROFILE_TREATMENT_DIRECTIVE = NL_CORE + "nl-core-TreatmentDirective2"
# Consent requires a policy (R4 ppc-1); nl-core's fallback for Dutch law and regulations.
DUTCH_LAW = "https://wetten.overheid.nl/"

# --- Kernteam code systems and extensions -----------------------------------------------------
CS_PZP_LIMIT = KERNTEAM + "CodeSystem/pzp-limit"
CS_PZP_CAPACITY = KERNTEAM + "CodeSystem/pzp-capacity"
CS_PZP_PLACE = KERNTEAM + "CodeSystem/pzp-place"
CS_PZP_PARTICIPANT = KERNTEAM + "CodeSystem/pzp-participant"
CS_PZP_REPRESENTATIVE = KERNTEAM + "CodeSystem/pzp-representative-kind"
CS_REVIEWER = KERNTEAM + "CodeSystem/medication-reviewer"
CS_OUTCOME_EVENT = KERNTEAM + "CodeSystem/outcome-event"
CS_PLACE_OF_DEATH = KERNTEAM + "CodeSystem/place-of-death"
CS_OFFER_KIND = KERNTEAM + "CodeSystem/offer-kind"
CS_REFERRAL_STATUS = KERNTEAM + "CodeSystem/referral-status"
CS_GOAL_CATEGORY = KERNTEAM + "CodeSystem/goal-category"

EXT_PZP_CAPACITY = KERNTEAM + "StructureDefinition/pzp-capacity"
EXT_PZP_PLACE_OF_CARE = KERNTEAM + "StructureDefinition/pzp-preferred-place-of-care"
EXT_PZP_PLACE_OF_DEATH = KERNTEAM + "StructureDefinition/pzp-preferred-place-of-death"
EXT_PZP_LIVING_WILL = KERNTEAM + "StructureDefinition/pzp-living-will"
EXT_PZP_DNR_MEDALLION = KERNTEAM + "StructureDefinition/pzp-dnr-medallion"
EXT_PZP_PARTICIPANT = KERNTEAM + "StructureDefinition/pzp-participant"
EXT_PZP_REPRESENTATIVE = KERNTEAM + "StructureDefinition/pzp-representative-kind"
EXT_MEDICINES_IN_USE = KERNTEAM + "StructureDefinition/medicines-in-use"
EXT_REFERRAL_STATUS = KERNTEAM + "StructureDefinition/referral-status"

OWN_GOAL = "own-goal"

# --- PZP --------------------------------------------------------------------------------------
# The treatments, SNOMED CT as on the zib TreatmentDirective2 treatment list (nl-core binds
# provision.code to it, required). Tube feeding is not on that list: as the IKNL guide does for
# treatments off the list, it is 'other' (v3 NullFlavor OTH), with its SNOMED CT code beside.
TREATMENT_CODINGS: dict[str, tuple[Coding, ...]] = {
    Limit.RESUSCITATION: (coding(SNOMED, "89666000", "Cardiopulmonary resuscitation"),),
    Limit.VENTILATION: (coding(SNOMED, "40617009", "Artificial respiration"),),
    Limit.ICU: (coding(SNOMED, "305351004", "Admission to intensive care unit"),),
    Limit.HOSPITAL: (coding(SNOMED, "32485007", "Hospital admission"),),
    Limit.ANTIBIOTICS: (coding(SNOMED, "281789004", "Antibiotic therapy"),),
    Limit.TUBE_FEEDING: (
        coding(V3_NULL_FLAVOR, "OTH", "other"),
        coding(SNOMED, "61420007", "Tube feeding of patient"),
    ),
    Limit.BLOOD_TRANSFUSION: (coding(SNOMED, "116762002", "Administration of blood product"),),
}

# Settings (SNOMED CT environments) as the IKNL guide's preferred-place-of-death value set has
# them; 'elsewhere' is v3 NullFlavor OTH, 'not discussed' / 'not recorded' UNK.
HOME = coding(SNOMED, "264362003", "Home")
NURSING_HOME = coding(SNOMED, "108344006", "Nursing home AND/OR ambulatory care site")
HOSPICE = coding(SNOMED, "284546000", "Hospice")
HOSPITAL = coding(SNOMED, "22232009", "Hospital")
OTHER = coding(V3_NULL_FLAVOR, "OTH", "other")
UNKNOWN = coding(V3_NULL_FLAVOR, "UNK", "unknown")

CARE_PLACE_CODINGS: dict[str, Coding] = {
    CarePlace.HOME: HOME,
    CarePlace.CARE_HOME: NURSING_HOME,
    CarePlace.HOSPICE: HOSPICE,
    CarePlace.HOSPITAL: HOSPITAL,
    CarePlace.OTHER: OTHER,
    CarePlace.NOT_DISCUSSED: UNKNOWN,
}
DEATH_PLACE_CODINGS: dict[str, Coding] = {
    EventPlace.HOME: HOME,
    EventPlace.NURSING_HOME: NURSING_HOME,
    EventPlace.HOSPICE: HOSPICE,
    EventPlace.HOSPITAL: HOSPITAL,
    EventPlace.ELSEWHERE: OTHER,
    EventPlace.UNKNOWN: UNKNOWN,
}

CONSENTER = coding(V3_ROLE_CODE, "CONSENTER", "consenter")
REPRESENTATIVE = coding(V3_ROLE_CODE, "RESPRSN", "responsible party")


def treatment_concept(limit: str) -> Concept:
    label = Limit(limit).label
    return concept(*TREATMENT_CODINGS[limit], coding(CS_PZP_LIMIT, limit, label), text=label)


def care_place_concept(place: str) -> Concept:
    label = CarePlace(place).label
    return concept(CARE_PLACE_CODINGS[place], coding(CS_PZP_PLACE, place, label), text=label)


def participant_coding(participant: str) -> Coding:
    """Who took part in a PZP conversation: a professional by team role, else the resident,
    her representative or a carer."""
    if participant in Role.values:
        return coding(CS_TEAM_ROLE, participant, Role(participant).label)
    return coding(CS_PZP_PARTICIPANT, participant, Participant(participant).label)


# --- medication review ------------------------------------------------------------------------
MEDICATION_REVIEW = coding(SNOMED, "182836005", "Review of medication")
PHARMACIST = coding(SNOMED, "46255001", "Pharmacist")


def reviewer_concept(reviewer: str) -> Concept:
    """Who reviewed: the team role's codes (`ROLE_CODINGS`), SNOMED CT for the pharmacist."""
    external = (PHARMACIST,) if reviewer == Reviewer.PHARMACIST else ROLE_CODINGS.get(reviewer, ())
    label = Reviewer(reviewer).label
    return concept(*external, coding(CS_REVIEWER, reviewer, label), text=label)


# --- outcome events ---------------------------------------------------------------------------
# A fall and a death are things that happened to her (Observation); the others are contacts
# with care (Encounter, with its v3 ActCode class).
OBSERVED_EVENTS = frozenset({EventKind.FALL, EventKind.DEATH})
AMBULATORY = coding(V3_ACT_CODE, "AMB", "ambulatory")
EMERGENCY = coding(V3_ACT_CODE, "EMER", "emergency")
INPATIENT = coding(V3_ACT_CODE, "IMP", "inpatient encounter")
ENCOUNTER_CLASS: dict[str, Coding] = {
    EventKind.EMERGENCY: EMERGENCY,
    EventKind.OUT_OF_HOURS: AMBULATORY,
    EventKind.HOSPITAL: INPATIENT,
    EventKind.CRISIS: INPATIENT,
    EventKind.NURSING_HOME: INPATIENT,
}
# A visit or contact is over the day it happened; of an admission Kernteam knows the start only.
ENCOUNTER_STATUS: dict[str, str] = {
    EventKind.EMERGENCY: "finished",
    EventKind.OUT_OF_HOURS: "finished",
    EventKind.HOSPITAL: "unknown",
    EventKind.CRISIS: "unknown",
    EventKind.NURSING_HOME: "unknown",
}
EVENT_CODINGS: dict[str, tuple[Coding, ...]] = {
    EventKind.FALL: (coding(SNOMED, "217082002", "Accidental fall"),),
    EventKind.EMERGENCY: (coding(SNOMED, "4525004", "Emergency department patient visit"),),
    EventKind.HOSPITAL: (coding(SNOMED, "32485007", "Hospital admission"),),
    EventKind.DEATH: (coding(SNOMED, "419620001", "Death"),),
}
LOCATION_OF_DEATH = coding(LOINC, "58332-8", "Location of death")


def event_concept(kind: str) -> Concept:
    label = EventKind(kind).label
    return concept(*EVENT_CODINGS.get(kind, ()), coding(CS_OUTCOME_EVENT, kind, label), text=label)


def death_place_concept(place: str) -> Concept:
    label = EventPlace(place).label
    return concept(DEATH_PLACE_CODINGS[place], coding(CS_PLACE_OF_DEATH, place, label), text=label)


# --- referrals and offers ---------------------------------------------------------------------
# proposed: not yet sent to the provider; registered: with the provider; started: done (she
# takes part); declined by the provider or stopped: called off. The Kernteam status is always
# in the `referral-status` extension.
REFERRAL_STATUS: dict[str, str] = {
    ReferralStatus.PROPOSED: "draft",
    ReferralStatus.REGISTERED: "active",
    ReferralStatus.STARTED: "completed",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.STOPPED: "revoked",
}


def offer_kind_concept(kind: str) -> Concept:
    label = OfferKind(kind).label
    return concept(coding(CS_OFFER_KIND, kind, label), text=label)


def referral_status_coding(status: str) -> Coding:
    return coding(CS_REFERRAL_STATUS, status, ReferralStatus(status).label)


def own_goal_concept() -> Concept:
    return concept(coding(CS_GOAL_CATEGORY, OWN_GOAL, "Own goal"), text="own goal")


# --- what the conformance resources publish ---------------------------------------------------
# (name, title, description, concepts) of each Kernteam CodeSystem the care records use.
_CODE_SYSTEMS = (
    ("pzp-limit", "PZP treatment limit", "The treatment limits of a PZP conversation (the "
     "TreatmentDirective Consent's provision.code, beside SNOMED CT).", Limit.choices),
    ("pzp-capacity", "PZP capacity", "Whether the resident could decide for herself "
     "(wilsbekwaam) in a PZP conversation.", Capacity.choices),
    ("pzp-place", "PZP preferred place", "Preferred place of care and of dying in a PZP "
     "conversation (beside SNOMED CT settings).", CarePlace.choices),
    ("pzp-participant", "PZP participant", "Who took part in a PZP conversation besides the "
     "professionals (whose codes are team-role).", Participant.choices),
    ("pzp-representative-kind", "PZP representation", "The kind of legal representation of "
     "the resident.", RepresentativeKind.choices),
    ("medication-reviewer", "Medication reviewer", "Who did a medication review "
     "(Procedure.performer.function).", Reviewer.choices),
    ("outcome-event", "Outcome event", "What happened to the resident between meetings "
     "(Encounter.type, Observation.code).", EventKind.choices),
    ("place-of-death", "Place of death", "Where the resident died (the Observation's "
     "component Location of death).", EventPlace.choices),
    ("offer-kind", "Local offer kind", "The kind of a local offer (HealthcareService.type, "
     "ServiceRequest.code).", OfferKind.choices),
    ("referral-status", "Referral status", "Kernteam's status of a referral to a local "
     "offer.", ReferralStatus.choices),
    ("goal-category", "Goal category", "Goals other than the goals per domain: the "
     "resident's own goal, in her own words.", [(OWN_GOAL, "Own goal")]),
)  # fmt: skip
# (name, title, description, where it is used, value type, repeats) of each extension.
_EXTENSIONS = (
    ("pzp-capacity", "PZP capacity", "Whether the resident could decide for herself about "
     "treatment (wilsbekwaam) in the PZP conversation (CodeSystem pzp-capacity).",
     "Consent", "CodeableConcept", False),
    ("pzp-preferred-place-of-care", "PZP preferred place of care", "Where she prefers to be "
     "cared for: a SNOMED CT setting (or v3 NullFlavor OTH/UNK) and CodeSystem pzp-place.",
     "Consent", "CodeableConcept", False),
    ("pzp-preferred-place-of-death", "PZP preferred place of dying", "Where she prefers to "
     "die: a SNOMED CT setting (or v3 NullFlavor OTH/UNK) and CodeSystem pzp-place.",
     "Consent", "CodeableConcept", False),
    ("pzp-living-will", "PZP written directive", "Whether she has a written directive "
     "(wilsverklaring).", "Consent", "boolean", False),
    ("pzp-dnr-medallion", "PZP do-not-resuscitate medallion", "Whether she carries a "
     "do-not-resuscitate medallion (niet-reanimerenpenning).", "Consent", "boolean", False),
    ("pzp-participant", "PZP participant", "Who took part in the PZP conversation: CodeSystem "
     "pzp-participant (resident, representative, carer) or team-role.", "Consent", "Coding",
     True),
    ("pzp-representative-kind", "PZP representation", "The kind of legal representation of "
     "the representative (CodeSystem pzp-representative-kind).", "Consent.provision.actor",
     "Coding", False),
    ("medicines-in-use", "Medicines in use", "The number of medicines in use at a medication "
     "review (0-60).", "Procedure", "integer", False),
    ("referral-status", "Referral status", "Kernteam's own status of a referral to a local "
     "offer, which ServiceRequest.status maps coarsely (CodeSystem referral-status).",
     "ServiceRequest", "Coding", False),
)  # fmt: skip

with translation.override(None):  # the canonical (English) labels
    CODE_SYSTEMS: tuple[tuple[str, str, list[tuple[str, str]]], ...] = tuple(
        (f"{KERNTEAM}CodeSystem/{name}", title, [(str(c), str(d)) for c, d in concepts])
        for name, title, _description, concepts in _CODE_SYSTEMS
    )
EXTENSIONS: tuple[tuple[str, str, str], ...] = tuple(
    (f"{KERNTEAM}StructureDefinition/{name}", title, description)
    for name, title, description, *_rest in _EXTENSIONS
)


def _code_system(name: str, title: str, description: str, concepts) -> conformance.Builder:
    return lambda: conformance.code_system(
        name=name, title=title, description=description, concepts=concepts
    )


def _extension(name, title, description, context, value_type, repeats) -> conformance.Builder:
    return lambda: conformance.extension(
        name=name,
        title=title,
        description=description,
        contexts=[context],
        value_type=value_type,
        repeats=repeats,
    )


conformance.register(
    *(_code_system(*row) for row in _CODE_SYSTEMS), *(_extension(*row) for row in _EXTENSIONS)
)
