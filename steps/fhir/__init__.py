"""FHIR R4 export of residents' stepped care (see shared/domain.md, 'Interoperability').

`export_bundle(residents=..., bundle_type="collection" | "transaction")` returns a Bundle as
plain, JSON-ready dicts. Ids are stable (`Patient/resident-12`, `Task/action-7`, ...); every
entry's fullUrl is `<KERNTEAM_FHIR_BASE><Type>/<id>`, so the relative references inside resolve
to entries; a transaction bundle PUTs each entry at `<Type>/<id>`, so loading it twice changes
nothing. The caller filters the residents by the access policy and logs the access; nothing
here does.

Kernteam's own code systems, extensions and identifier systems live under the same configured
base (`codes.KERNTEAM`: `<base>CodeSystem/stepped-care-state`, `<base>StructureDefinition/
step-change`, `<base>NamingSystem/resident-id`, ...), where this server publishes them as
CodeSystem, StructureDefinition and NamingSystem resources (`conformance`; an identifier
system not in `codes.NAMING_SYSTEMS` is refused). The base and the Patient id
(`resident-<pk>`) are `clients.fhir_refs`'s. Read once at start: deploy-time configuration,
changed only with the integrators.

Identifiers: every resource an integrator's server may match by identifier carries one of its
own (system|value unique per type within a bundle and over time), or none.

Per resident (modules: `people`, `episode`, `plan`, `records`, `care`; assembly in `bundle`):

- Patient (nl-core-Patient): a Kernteam identifier (NamingSystem resident-id), the official
  name, birthDate; closed as deceased: deceasedDateTime (the death's date, from the outcome
  event of that close), else deceasedBoolean true. Never a BSN: none is stored.
- Names (Patient, Practitioner, RelatedPerson), as nl-core-NameInformation: family = the last
  name as typed, prefixes included; a last name with a Dutch prefix ("van der Berg") also
  carries its parts in `_family`: humanname-own-prefix "van der", humanname-own-name "Berg"
  (`context.split_last_name`); the given name the qualifier BR.
- EpisodeOfCare: the trajectory. status: signalled/screening → planned, step1-4 → active,
  admitted → onhold, closed → finished; statusHistory from the StepChange rows (runs of the same
  status merged); `type` = the current state (CodeSystem stepped-care-state); careManager = the
  coordinator; team = the CareTeam. Every move is a `step-change` extension (see `episode`), so
  the full history survives a round trip; every close carries its closure reason (UNK where
  none was ever recorded). Not claimed as nl-core-EpisodeOfCare: that zib is an episode around
  one health problem, the trajectory is a care programme.
- CareTeam: one per resident, identifier NamingSystem care-team-id `resident-<id>`; the team's
  active memberships (Practitioner, role coded SNOMED CT where a code fits, UZI role codes
  (system http://fhir.nl/fhir/NamingSystem/uzi-rolcode) 01.015 for the GP and 01.047 for the
  elderly-care physician, and always CodeSystem team-role) and the carers linked now
  (RelatedPerson, role SNOMED CT 407542009 Informal carer and zib 100001 Mantelzorger). No
  nl-core profile: the zib2020 nl-core-CareTeam allows one contact person and one professional
  slice (members as PractitionerRole), while a kernteam has several of each.
- Practitioner (nl-core-HealthProfessional-Practitioner): the name, and the AGB code (agb-z)
  and UZI number (uzi-nr-pers) recorded on the person's memberships, each once; one per person.
- RelatedPerson (nl-core-ContactPerson): one per (carer, resident), since RelatedPerson.patient
  is 1..1, each with its own identifier (NamingSystem related-person-id, `carer-<id>-resident-
  <id>`). Relationship: HL7 v3 RoleCode (neutral codes), the zib role code where one exists,
  the mantelzorger role (SNOMED CT 407542009, zib 100001); phone/email if stored. Active only
  while the carer is linked to the resident; an ended link gives period.end.
- CarePlan: active while the trajectory is open, completed when closed; goals; activities = Tasks.
- Goal: lifecycleStatus open → active, achieved → completed (achievementStatus achieved),
  dropped → cancelled; category = the SFMPC domain (CodeSystem goal-domain).
- Task: an agreed action. open → requested, done → completed, cancelled → cancelled; owner =
  Practitioner or RelatedPerson (a carer no longer linked: the reference's display says
  "(link ended <date>)", and that RelatedPerson is inactive); restriction.period.end = due
  date; reasonReference = its goal; extension shared-with-carers.
- Observation: a score. code = SNOMED CT 763264000 for the CFS, else CodeSystem instrument
  (no LOINC or SNOMED CT code was found for GFI, TFI, ISAR-PC, TRAZAG, INTERMED, EDIZ-plus or
  CSI); interpretation H (at or above the cut-off) or N (v3 ObservationInterpretation); focus =
  the carer for a carer-burden score.
- Consent: scope patient-privacy, category LOINC 59284-0, policyRule v3 OPTIN; the top-level
  provision is `deny`, with a nested `permit` per discipline (actor = that role on the
  CareTeam) and a nested `permit` or `deny` for informal carers. Not claimed as
  nl-core-TreatmentDirective2/-AdvanceDirective: those are about treatment (the PZP is, in
  `care`).
- The care records around the steps (PZP, medication reviews, outcome events, referrals and
  offers, the own goal): see `care`.

Concerns, meeting minutes and other free text are not exported.
"""

from steps.fhir.bundle import export_bundle

__all__ = ["export_bundle"]
