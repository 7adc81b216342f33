"""FHIR R4 export of residents' stepped care (see shared/domain.md, 'Interoperability').

`export_bundle(residents=..., base_url=...)` returns a Bundle of type `collection` as plain,
JSON-ready dicts. Ids are stable (`Patient/resident-12`, `Task/action-7`, ...); every entry's
fullUrl is `<base_url>fhir/<type>/<id>`, so the relative references inside resolve to entries.
The caller filters the residents by the access policy and logs the access; nothing here does.

Per resident (modules: `people`, `episode`, `plan`, `records`; assembly in `bundle`):

- Patient (nl-core-Patient): a Kernteam identifier (NamingSystem resident-id), the official
  name (family = last name as typed, prefixes included), birthDate. Never a BSN: none is stored.
- EpisodeOfCare: the trajectory. status: signalled/screening → planned, step1-4 → active,
  admitted → onhold, closed → finished; statusHistory from the StepChange rows (runs of the same
  status merged); `type` = the current state (CodeSystem stepped-care-state); careManager = the
  coordinator; team = the CareTeam. Every move is a `step-change` extension (see `episode`), so
  the full history survives a round trip. Not claimed as nl-core-EpisodeOfCare: that zib is an
  episode around one health problem, the trajectory is a care programme.
- CareTeam: the team's active memberships (Practitioner, role coded SNOMED CT where a code fits,
  UZI role 01.047 for the elderly-care physician, and always CodeSystem team-role) and the carers
  linked now (RelatedPerson, role SNOMED CT 407542009 Informal carer). No nl-core profile: the
  zib2020 nl-core-CareTeam allows one contact person and one professional slice (members as
  PractitionerRole), while a kernteam has several of each.
- Practitioner (nl-core-HealthProfessional-Practitioner): the name only; one per person.
- RelatedPerson (nl-core-ContactPerson): one per (carer, resident), since RelatedPerson.patient
  is 1..1; the carer's id is its identifier. Relationship: HL7 v3 RoleCode (neutral codes),
  the zib role code where one exists, SNOMED CT 407542009 (mantelzorger); phone/email if stored.
- CarePlan: active while the trajectory is open, completed when closed; goals; activities = Tasks.
- Goal: lifecycleStatus open → active, achieved → completed (achievementStatus achieved),
  dropped → cancelled; category = the SFMPC domain (CodeSystem goal-domain).
- Task: an agreed action. open → requested, done → completed, cancelled → cancelled; owner =
  Practitioner or RelatedPerson; restriction.period.end = due date; reasonReference = its goal;
  extension shared-with-carers.
- Observation: a score. code = SNOMED CT 763264000 for the CFS, else CodeSystem instrument
  (no LOINC or SNOMED CT code was found for GFI, TFI, ISAR-PC, TRAZAG, INTERMED, EDIZ-plus or
  CSI); interpretation H (at or above the cut-off) or N (v3 ObservationInterpretation); focus =
  the carer for a carer-burden score.
- Consent: scope patient-privacy, category LOINC 59284-0, policyRule v3 OPTIN; nested permits
  per discipline (actor = that role on the CareTeam) and a permit or deny for informal carers.
  Not claimed as nl-core-TreatmentDirective2/-AdvanceDirective: those are about treatment.

Concerns, meeting minutes and other free text are not exported.
"""

from steps.fhir.bundle import export_bundle

__all__ = ["export_bundle"]
