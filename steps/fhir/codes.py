"""Code systems, identifier systems and code tables used by the FHIR export.

Only codes that exist in the named external system are used; where no real code exists the
Kernteam CodeSystem is used (always present as well, so a receiver can map back losslessly).
"""

from __future__ import annotations

from clients.fhir_refs import fhir_base
from clients.instruments import Instrument
from clients.models import CarerLink
from kernteam.roles import Role
from steps.states import State

Coding = dict[str, str]
Concept = dict[str, object]

# --- external systems -----------------------------------------------------------------------
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
# zib ContactPerson role list (COD472-VEKT "Soort relatie cliënt"), bound in nl-core-ContactPerson.
ZIB_CONTACT_ROLE = "urn:oid:2.16.840.1.113883.2.4.3.11.22.472"
# The zib ContactPerson role list's own code system (beside COD472): 100001 Mantelzorger.
ZIB_CARER_ROLE = "urn:oid:2.16.840.1.113883.2.4.3.11.60.40.4.23.1"
# UZI role codes (natural persons), the Dutch list of health-professional qualifications, by
# the system URI the Dutch FHIR profiles use (fhir.nl), not by its OID.
UZI_ROLE = "http://fhir.nl/fhir/NamingSystem/uzi-rolcode"
# Identifiers of health professionals (nl-core-HealthProfessional-Practitioner): the AGB code
# (8 digits) and the UZI number of a natural person (9 digits).
AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"
UZI_PERSON = "http://fhir.nl/fhir/NamingSystem/uzi-nr-pers"

NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
PROFILE_PATIENT = NL_CORE + "nl-core-Patient"
PROFILE_PRACTITIONER = NL_CORE + "nl-core-HealthProfessional-Practitioner"
PROFILE_CONTACT_PERSON = NL_CORE + "nl-core-ContactPerson"

# --- Kernteam systems -----------------------------------------------------------------------


# The canonical base of Kernteam's own code systems, extensions and naming systems: the
# configured FHIR base (`clients.fhir_refs.fhir_base`), where this server publishes them
# (CodeSystem, StructureDefinition and NamingSystem reads: `conformance`).
# Deploy-time configuration, read once when this module is imported: a change of
# KERNTEAM_FHIR_BASE takes effect at the next start (fullUrl reads it per bundle). Change it
# only with the integrators: their servers store these URLs.
KERNTEAM = fhir_base()
CS_STATE = KERNTEAM + "CodeSystem/stepped-care-state"
CS_MOVE_KIND = KERNTEAM + "CodeSystem/step-change-kind"
CS_CLOSURE_REASON = KERNTEAM + "CodeSystem/closure-reason"
CS_TEAM_ROLE = KERNTEAM + "CodeSystem/team-role"
CS_INSTRUMENT = KERNTEAM + "CodeSystem/instrument"
CS_DOMAIN = KERNTEAM + "CodeSystem/goal-domain"
CS_CARE_PLAN = KERNTEAM + "CodeSystem/care-plan-category"

EXT_STEP_CHANGE = KERNTEAM + "StructureDefinition/step-change"
EXT_REVIEW_DUE = KERNTEAM + "StructureDefinition/review-due"
EXT_SHARED_WITH_CARERS = KERNTEAM + "StructureDefinition/shared-with-carers"
EXT_GIVEN_QUALIFIER = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
EXT_OWN_PREFIX = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
EXT_OWN_NAME = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"


# Kernteam's own identifier systems (record numbers): kind -> what it numbers. Each is
# published as a NamingSystem at its URL (`conformance`): a kind not listed here is an error.
NAMING_SYSTEMS: dict[str, str] = {
    "resident-id": "A resident (Patient).",
    "care-team-id": "A resident's care team (CareTeam), by the resident's Patient id.",
    "related-person-id": "An informal carer as related to one resident (RelatedPerson).",
    "trajectory-id": "A stepped-care trajectory (EpisodeOfCare).",
    "step-change-id": "One move of a trajectory (the step-change extension).",
    "meeting-id": "A multidisciplinary meeting (the step-change extension).",
    "goal-id": "A goal (Goal).",
    "action-id": "An agreed action (Task).",
    "assessment-id": "A score on a screening or assessment instrument (Observation).",
    "consent-id": "A consent to share data (Consent).",
    "care-planning-id": "A version of the advance care planning (Consent, AdvanceDirective).",
    "care-planning-limit-id": "One treatment limit of such a version (Consent).",
    "medication-review-id": "A medication review (Procedure).",
    "outcome-event-id": "An outcome event (Encounter or Observation).",
    "referral-id": "A referral to a local offer (ServiceRequest).",
    "offer-id": "A local offer (HealthcareService).",
    "own-goal-id": "A version of the resident's own goal (Goal).",
}


def naming_system(kind: str) -> str:
    """The identifier system for Kernteam's own record numbers, e.g. 'resident-id' (one of
    NAMING_SYSTEMS, so that it is published)."""
    if kind not in NAMING_SYSTEMS:
        raise KeyError(f"{kind!r} is not in NAMING_SYSTEMS, so not published")
    return f"{KERNTEAM}NamingSystem/{kind}"


def coding(system: str, code: str, display: object = None) -> Coding:
    result = {"system": system, "code": code}
    if display:
        result["display"] = str(display)
    return result


def concept(*codings: Coding, text: object = None) -> Concept:
    result: Concept = {"coding": list(codings)}
    if text:
        result["text"] = str(text)
    return result


# --- stepped care ---------------------------------------------------------------------------
EPISODE_STATUS = {
    State.SIGNALLED: "planned",
    State.SCREENING: "planned",
    State.STEP1: "active",
    State.STEP2: "active",
    State.STEP3: "active",
    State.STEP4: "active",
    State.ADMITTED: "onhold",
    State.CLOSED: "finished",
}


def state_coding(state: str) -> Coding:
    return coding(CS_STATE, state, State(state).label)


# A close whose reason was never recorded (see `episode`): said so, not left out.
UNKNOWN_CLOSURE_REASON = coding(V3_NULL_FLAVOR, "UNK", "unknown")


# --- team roles: SNOMED CT occupations where one fits, UZI for the two physicians -------------
ROLE_CODINGS: dict[str, tuple[Coding, ...]] = {
    Role.GP: (
        coding(SNOMED, "62247001", "General practitioner"),
        coding(UZI_ROLE, "01.015", "Huisarts"),
    ),
    Role.POH: (coding(SNOMED, "159002008", "Practice nurse"),),
    Role.DISTRICT_NURSE: (coding(SNOMED, "158997000", "District nurse"),),
    Role.WELFARE: (coding(SNOMED, "106328005", "Social worker"),),
    Role.DEMENTIA_CASE_MANAGER: (coding(SNOMED, "768832004", "Case manager"),),
    Role.ELDERLY_CARE_PHYSICIAN: (coding(UZI_ROLE, "01.047", "Specialist ouderengeneeskunde"),),
    Role.COORDINATOR: (coding(SNOMED, "768821004", "Care team coordinator"),),
}


def role_concept(role: str) -> Concept:
    label = Role(role).label if role in Role.values else None
    return concept(*ROLE_CODINGS.get(role, ()), coding(CS_TEAM_ROLE, role, label), text=label)


# --- informal carers ------------------------------------------------------------------------
INFORMAL_CARER = coding(SNOMED, "407542009", "Informal carer")
ZIB_MANTELZORGER = coding(ZIB_CARER_ROLE, "100001", "Mantelzorger")


def carer_concept() -> Concept:
    """A carer's role (mantelzorger): SNOMED CT and the zib ContactPerson role code. The
    CareTeam participant, the RelatedPerson's relationship and the Consent's actor."""
    return concept(INFORMAL_CARER, ZIB_MANTELZORGER, text="mantelzorger")


_R = CarerLink.Relationship
RELATIONSHIP_CODINGS: dict[str, Coding] = {
    _R.PARTNER: coding(V3_ROLE_CODE, "SIGOTHR", "significant other"),
    _R.CHILD: coding(V3_ROLE_CODE, "CHILD", "child"),
    _R.CHILD_IN_LAW: coding(V3_ROLE_CODE, "CHLDINLAW", "child-in-law"),
    _R.GRANDCHILD: coding(V3_ROLE_CODE, "GRNDCHILD", "grandchild"),
    _R.SIBLING: coding(V3_ROLE_CODE, "SIB", "sibling"),
    _R.NEIGHBOUR: coding(V3_ROLE_CODE, "NBOR", "neighbor"),
    _R.FRIEND: coding(V3_ROLE_CODE, "FRND", "unrelated friend"),
    _R.OTHER: coding(V3_NULL_FLAVOR, "OTH", "other"),
}
# The zib ContactPerson role list has a code for these two relationships.
ZIB_ROLE_CODINGS: dict[str, Coding] = {
    _R.NEIGHBOUR: coding(ZIB_CONTACT_ROLE, "19", "Buur"),
    _R.FRIEND: coding(ZIB_CONTACT_ROLE, "20", "Vriend(in)/kennis"),
}


# --- instruments ----------------------------------------------------------------------------
CFS_SCORE = "Canadian Study of Health and Aging Clinical Frailty Scale score"
INSTRUMENT_CODINGS: dict[str, tuple[Coding, ...]] = {
    Instrument.CFS: (coding(SNOMED, "763264000", CFS_SCORE),),
}


def instrument_concept(instrument: str) -> Concept:
    label = Instrument(instrument).label
    return concept(
        *INSTRUMENT_CODINGS.get(instrument, ()),
        coding(CS_INSTRUMENT, instrument, label),
        text=label,
    )
