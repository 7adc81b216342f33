"""The FHIR export of the care records around the steps (issue 20 §1): PZP as nl-core
AdvanceDirective and TreatmentDirective2 Consents, medication reviews as Procedure, outcome
events as Encounter or Observation, referrals as ServiceRequest with the offer as
HealthcareService, the own goal as Goal. Valid R4, references that resolve, free text left
out, the Kernteam codes published, and a fixed number of queries."""

from __future__ import annotations

import datetime
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from clients.care_planning_services import record_care_planning
from clients.medication_services import record_medication_review
from clients.models import Resident
from clients.services import record_consent
from demo import region as demo
from steps.fhir import care, conformance, export_bundle, offers, pzp
from steps.fhir.bundle import with_related
from steps.fhir.care_codes import CODE_SYSTEMS, EXTENSIONS
from steps.fhir.codes import EXT_SHARED_WITH_CARERS, KERNTEAM, SNOMED
from steps.fhir.context import Shared
from steps.outcome_services import record_event
from steps.own_goal_services import note_own_goal
from steps.referral_services import create_offer, refer_resident, update_referral
from steps.referrals import LocalOffer, OfferKind
from tests.fhir_schema import bundle_errors
from tests.helpers import export_reader

pytestmark = pytest.mark.django_db

TYPES = ("Procedure", "Encounter", "ServiceRequest", "HealthcareService")
SECRETS = ("GEHEIM-WENS", "GEHEIM-NOOT", "GEHEIM-MED", "GEHEIM-VAL", "GEHEIM-TERUG", "zoon")
NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")

# Codes from required bindings, which fhir.resources does not check.
REQUIRED_CODES = {
    ("Consent", "status"): {
        "draft", "proposed", "active", "rejected", "inactive", "entered-in-error"
    },
    ("Procedure", "status"): {
        "preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
        "entered-in-error", "unknown",
    },
    ("Encounter", "status"): {
        "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
        "entered-in-error", "unknown",
    },
    ("Observation", "status"): {
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown",
    },
    ("ServiceRequest", "status"): {
        "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"
    },
    ("ServiceRequest", "intent"): {
        "proposal", "plan", "directive", "order", "original-order", "reflex-order",
        "filler-order", "instance-order", "option",
    },
    ("Goal", "lifecycleStatus"): {
        "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled",
        "entered-in-error", "rejected",
    },
}  # fmt: skip
PROVISION_TYPES = {"deny", "permit"}  # Consent.provision.type (required)
CONTACT_SYSTEMS = {"phone", "fax", "email", "pager", "url", "sms", "other"}  # (required)
# Encounter.class: v3 ActEncounterCode (extensible; these are the codes it has)
ENCOUNTER_CLASSES = {"AMB", "EMER", "FLD", "HH", "IMP", "ACUTE", "NONAC", "OBSENC", "PRENC"}


# --- helpers ----------------------------------------------------------------------------------


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def export(residents=None, **kwargs) -> dict:
    residents = residents or Resident.objects.all()
    kwargs.setdefault("reader", export_reader(residents))
    return export_bundle(residents=residents, **kwargs)


def of_type(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def by_id(bundle: dict) -> dict[str, dict]:
    return {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in bundle["entry"]
    }


def care_records(bundle: dict) -> list[dict]:
    """The resources this part adds: the PZP Consents, the own-goal Goals, the events'
    Observations, and every resource of the new types."""
    found = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        rid = resource["id"]
        if resource["resourceType"] in TYPES or rid.startswith(
            ("care-planning-", "own-goal-", "outcome-event-")
        ):
            found.append(resource)
    return found


def references(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def codings(node) -> list[dict]:
    """Every Coding (a dict with system and code) anywhere in `node`."""
    if isinstance(node, dict):
        found = [node] if {"system", "code"} <= set(node) else []
        return found + [c for value in node.values() for c in codings(value)]
    if isinstance(node, list):
        return [c for item in node for c in codings(item)]
    return []


def extension_urls(node) -> set[str]:
    if isinstance(node, dict):
        found = {e["url"] for e in node.get("extension", [])}
        return found.union(*(extension_urls(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(extension_urls(item) for item in node))
    return set()


def validate(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def code_of(concept: dict, system: str) -> str | None:
    return next((c["code"] for c in concept["coding"] if c["system"] == system), None)


def kernteam(concept: dict, name: str) -> str | None:
    return code_of(concept, f"{KERNTEAM}CodeSystem/{name}")


# --- data -------------------------------------------------------------------------------------


@pytest.fixture
def meals(daalhof):
    return create_offer(
        by=daalhof.coordinator,
        team=daalhof.team,
        name="Tafeltje-dek-je Daalhof",
        kind=OfferKind.MEALS,
        provider="Envida",
        contact="043 555 12 34",
        address="Daalhoferweg 1",
        for_whom="Warme maaltijd aan huis",
    )


def give_records(resident, team, offer) -> dict:
    """Every kind of care record, through the services: two PZP versions, two medication
    reviews (by the GP, by a pharmacist), one outcome event of every kind, a referral, two
    versions of her own goal. Free text carries markers that must not reach the export."""
    first = record_care_planning(
        resident=resident,
        by=team.gp,
        held_on=today() - days(60),
        participants=["resident", "gp"],
        capacity="yes",
        limits={"resuscitation": {"decision": "yes"}},
        place_of_care="home",
        place_of_death="home",
        other_wishes="GEHEIM-WENS",
        shared_with_carers=True,
    )
    current = record_care_planning(
        resident=resident,
        by=team.poh,
        held_on=today() - days(3),
        participants=["resident", "representative", "carer", "poh"],
        capacity="doubt",
        representative_name="Jan Janssen",
        representative_relationship="zoon",
        representative_kind="mentor",
        limits={
            "resuscitation": {"decision": "no", "note": "GEHEIM-NOOT"},
            "ventilation": {"decision": "no"},
            "icu": {"decision": "no"},
            "hospital": {"decision": "yes"},
            "antibiotics": {"decision": "yes"},
            "tube_feeding": {"decision": "no"},
        },
        place_of_care="care_home",
        place_of_death="hospice",
        other_wishes="GEHEIM-WENS",
        has_living_will=True,
        has_dnr_medallion=True,
    )
    by_gp = record_medication_review(
        resident=resident, by=team.gp, reviewed_on=today() - days(20), reviewer="gp",
        medicines_in_use=11, note="GEHEIM-MED",
    )  # fmt: skip
    by_pharmacist = record_medication_review(
        resident=resident, by=team.poh, reviewed_on=today() - days(10), reviewer="pharmacist",
        medicines_in_use=9,
    )  # fmt: skip
    events = {}
    for n, kind in enumerate(
        ("fall", "emergency", "out_of_hours", "hospital", "crisis", "nursing_home")
    ):
        events[kind] = record_event(
            resident=resident, by=team.district_nurse, kind=kind,
            occurred_on=today() - days(50 - n), note="GEHEIM-VAL",
        )  # fmt: skip
    events["death"] = record_event(
        resident=resident, by=team.gp, kind="death", occurred_on=today() - days(1),
        place="hospice",
    )  # fmt: skip
    referral = refer_resident(
        resident=resident, by=team.gp, offer=offer, owner_member=team.welfare,
        due_on=today() + days(14), shared_with_carers=False,
    )  # fmt: skip
    update_referral(
        referral=referral, by=team.welfare, status="registered", feedback="GEHEIM-TERUG"
    )
    with time_machine.travel(timezone.now() - days(30)):
        earlier_goal = note_own_goal(resident=resident, by=team.poh, text="Weer naar de markt")
    own_goal = note_own_goal(resident=resident, by=team.poh, text="Thuis blijven wonen")
    return {
        "first": first,
        "current": current,
        "by_gp": by_gp,
        "by_pharmacist": by_pharmacist,
        "events": events,
        "referral": referral,
        "earlier_goal": earlier_goal,
        "own_goal": own_goal,
    }


@pytest.fixture
def janssen(resident_in):
    return resident_in("step3", last_name="Janssen")


@pytest.fixture
def records(janssen, daalhof, meals):
    return give_records(janssen, daalhof, meals)


# --- validity ---------------------------------------------------------------------------------


def test_every_care_record_validates_as_r4(records):
    bundle = export()
    Bundle.model_validate(bundle)
    added = care_records(bundle)
    assert {r["resourceType"] for r in added} == {
        "Consent", "Procedure", "Encounter", "Observation", "ServiceRequest",
        "HealthcareService", "Goal",
    }  # fmt: skip
    for resource in added:
        validate(resource)
        assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
    Bundle.model_validate(export(bundle_type="transaction"))


def test_hl7s_json_schema_finds_no_error(records):
    for bundle_type in ("collection", "transaction"):
        assert bundle_errors(export(bundle_type=bundle_type)) == []


def test_codes_of_required_bindings_are_valid(records):
    added = care_records(export())
    for (resource_type, element), allowed in REQUIRED_CODES.items():
        values = {r[element] for r in added if r["resourceType"] == resource_type}
        assert values and values <= allowed, (resource_type, element, values)
    consents = [r for r in added if r["resourceType"] == "Consent"]
    types = {r["provision"]["type"] for r in consents if "type" in r["provision"]}
    assert types == PROVISION_TYPES
    classes = {r["class"]["code"] for r in added if r["resourceType"] == "Encounter"}
    assert classes and classes <= ENCOUNTER_CLASSES
    assert {r["class"]["system"] for r in added if r["resourceType"] == "Encounter"} == {
        V3_ACT_CODE
    }
    systems = {t["system"] for r in added for t in r.get("telecom", [])}
    assert systems and systems <= CONTACT_SYSTEMS


BREAKAGES = {  # a required element of each new type, and how it breaks
    "Procedure": ("subject", lambda r: r.pop("subject")),
    "Encounter": ("class", lambda r: r.pop("class")),
    "ServiceRequest": ("intent", lambda r: r.pop("intent")),
    "HealthcareService": ("name", lambda r: r.update(name=["Tafeltje"])),
}


@pytest.mark.parametrize("resource_type", sorted(BREAKAGES))
def test_validation_fails_on_a_broken_resource(records, resource_type):
    resource = json.loads(json.dumps(of_type(export(), resource_type)[0]))
    validate(resource)
    element, breakage = BREAKAGES[resource_type]
    breakage(resource)
    with pytest.raises(ValidationError) as refused:
        validate(resource)
    assert [error["loc"][0] for error in refused.value.errors()] == [element]


def test_every_reference_resolves_to_an_entry(records):
    bundle = export()
    resources = by_id(bundle)
    found = references(care_records(bundle))
    kinds = {reference.split("/")[0] for reference in found}
    assert kinds == {
        "Patient", "Practitioner", "Consent", "CarePlan", "Task", "HealthcareService",
        "EpisodeOfCare",
    }  # fmt: skip
    for reference in found:
        assert reference in resources, reference


def test_free_text_stays_out(records):
    text = json.dumps(export())
    for secret in SECRETS:
        assert secret not in text, secret


def test_the_kernteam_codes_and_extensions_used_are_published(records):
    """What the conformance resources publish covers every Kernteam code and extension the
    care records use (team-role and shared-with-carers are the core export's)."""
    published = {url: {code for code, _display in concepts} for url, _t, concepts in CODE_SYSTEMS}
    added = care_records(export())
    used = [c for c in codings(added) if c["system"].startswith(KERNTEAM)]
    assert {c["system"] for c in used} - set(published) == {f"{KERNTEAM}CodeSystem/team-role"}
    for coding in used:
        if coding["system"] in published:
            assert coding["code"] in published[coding["system"]], coding
    assert all(display for concepts in published.values() for display in concepts)
    extensions = {url for url, _title, _description in EXTENSIONS}
    assert extension_urls(added) == extensions | {EXT_SHARED_WITH_CARERS}
    assert len(published) == len(CODE_SYSTEMS) and len(extensions) == len(EXTENSIONS)


def test_the_conformance_resources_publish_them(records):
    """Each Kernteam code system and extension of the care records is a CodeSystem or a
    StructureDefinition at its canonical URL, with the codes, and the context and value type
    the records use it with."""
    for url, title, concepts in CODE_SYSTEMS:
        published = conformance.find(resource_type="CodeSystem", name=url.rsplit("/", 1)[1])
        assert (published["url"], published["title"]) == (url, title)
        assert [(c["code"], c["display"]) for c in published["concept"]] == concepts
        validate(published)
    used: dict[str, set[tuple[str, str]]] = {}  # url: {(element, value type)}
    for resource in care_records(export()):
        actors = resource.get("provision", {}).get("actor", [])
        for element, node in (
            (resource["resourceType"], resource),
            *(("Consent.provision.actor", actor) for actor in actors),
        ):
            for ext in node.get("extension", []):
                (key,) = [key for key in ext if key.startswith("value")]
                used.setdefault(ext["url"], set()).add((element, value_type(key)))
    assert set(used) - {EXT_SHARED_WITH_CARERS} == {url for url, *_rest in EXTENSIONS}
    for url, title, _description in EXTENSIONS:
        name = url.rsplit("/", 1)[1]
        published = conformance.find(resource_type="StructureDefinition", name=name)
        assert (published["url"], published["title"]) == (url, title)
        contexts = {c["expression"] for c in published["context"]}
        elements = published["differential"]["element"]
        (value,) = [e for e in elements if e["path"] == "Extension.value[x]"]
        for element, type_code in used[url]:
            assert element in contexts, (url, element)
            assert value["type"] == [{"code": type_code}], (url, type_code)
        validate(published)


def value_type(key: str) -> str:
    """The FHIR type code of an extension's `value[x]` key: valueBoolean → boolean,
    valueCoding → Coding."""
    name = key.removeprefix("value")
    primitive = name[0].lower() + name[1:]
    return primitive if primitive in {"boolean", "integer", "string", "date"} else name


# --- PZP --------------------------------------------------------------------------------------


def test_every_pzp_version_is_an_advance_directive(records, janssen):
    bundle = by_id(export())
    first, current = records["first"], records["current"]
    old = bundle[f"Consent/care-planning-{first.pk}"]
    new = bundle[f"Consent/care-planning-{current.pk}"]
    assert new["meta"]["profile"] == [NL_CORE + "nl-core-AdvanceDirective"]
    assert code_of(new["scope"], "http://terminology.hl7.org/CodeSystem/consentscope") == "adr"
    assert new["category"][0]["coding"][0]["code"] == "acd"
    assert new["policy"] == [{"uri": "https://wetten.overheid.nl/"}]
    assert new["patient"] == {"reference": f"Patient/resident-{janssen.pk}"}
    assert (old["status"], new["status"]) == ("inactive", "active")
    assert old["dateTime"] == first.held_on.isoformat()
    assert old["provision"]["period"] == {
        "start": first.held_on.isoformat(),
        "end": current.held_on.isoformat(),
    }
    assert new["provision"]["period"] == {"start": current.held_on.isoformat()}
    (actor,) = new["provision"]["actor"]
    assert actor["reference"] == {"display": "Jan Janssen"}
    assert actor["role"]["coding"][0]["code"] == "RESPRSN"
    assert actor["extension"][0]["valueCoding"]["code"] == "mentor"
    assert "actor" not in old["provision"]
    ext = {}
    for e in new["extension"]:
        ext.setdefault(e["url"].rsplit("/", 1)[1], []).append(e)
    assert kernteam(ext["pzp-capacity"][0]["valueCodeableConcept"], "pzp-capacity") == "doubt"
    care = ext["pzp-preferred-place-of-care"][0]["valueCodeableConcept"]
    death = ext["pzp-preferred-place-of-death"][0]["valueCodeableConcept"]
    assert (kernteam(care, "pzp-place"), code_of(care, SNOMED)) == ("care_home", "108344006")
    assert (kernteam(death, "pzp-place"), code_of(death, SNOMED)) == ("hospice", "284546000")
    assert ext["pzp-living-will"][0]["valueBoolean"] is True
    assert ext["pzp-dnr-medallion"][0]["valueBoolean"] is True
    assert [e["valueCoding"]["code"] for e in ext["pzp-participant"]] == [
        "resident", "representative", "carer", "poh"
    ]  # fmt: skip
    assert ext["shared-with-carers"][0]["valueBoolean"] is False
    assert {e["url"]: e for e in old["extension"]}[EXT_SHARED_WITH_CARERS]["valueBoolean"]


def test_each_limit_decided_is_a_treatment_directive(records, janssen, daalhof):
    bundle = export()
    current, first = records["current"], records["first"]
    directives = {
        r["id"]: r
        for r in of_type(bundle, "Consent")
        if r.get("meta", {}).get("profile") == [NL_CORE + "nl-core-TreatmentDirective2"]
    }
    prefix = f"care-planning-{current.pk}-"
    assert sorted(directives) == sorted(
        [f"care-planning-{first.pk}-resuscitation"]
        + [
            prefix + limit
            for limit in (
                "resuscitation", "ventilation", "icu", "hospital", "antibiotics", "tube-feeding"
            )
        ]
    )  # (blood transfusion not discussed: none)  # fmt: skip
    expected = {
        "resuscitation": ("deny", "89666000"),
        "ventilation": ("deny", "40617009"),
        "icu": ("deny", "305351004"),
        "hospital": ("permit", "32485007"),
        "antibiotics": ("permit", "281789004"),
        "tube_feeding": ("deny", "61420007"),
    }
    for limit, (decision, snomed) in expected.items():
        directive = directives[prefix + limit.replace("_", "-")]
        (code,) = directive["provision"]["code"]
        assert directive["provision"]["type"] == decision
        assert (code_of(code, SNOMED), kernteam(code, "pzp-limit")) == (snomed, limit)
        assert directive["status"] == "active"
        assert directive["scope"]["coding"][0]["code"] == "treatment"
        assert directive["category"] == [
            {"coding": [{"system": SNOMED, "code": "129125009",
                         "display": "Procedure with explicit context"}]}
        ]  # fmt: skip
        assert directive["sourceReference"] == {"reference": f"Consent/care-planning-{current.pk}"}
        assert directive["dateTime"] == current.held_on.isoformat()
        parties = [a["reference"] for a in directive["provision"]["actor"]]
        assert parties == [
            {"reference": f"Patient/resident-{janssen.pk}"},
            {"display": "Jan Janssen"},
            {"reference": f"Practitioner/practitioner-{daalhof.poh.pk}"},
        ]
    tube = directives[prefix + "tube-feeding"]["provision"]["code"][0]
    assert code_of(tube, "http://terminology.hl7.org/CodeSystem/v3-NullFlavor") == "OTH"
    old = directives[f"care-planning-{first.pk}-resuscitation"]
    assert (old["status"], old["provision"]["type"]) == ("inactive", "permit")
    assert old["provision"]["period"]["end"] == current.held_on.isoformat()


# --- medication review, outcome events --------------------------------------------------------


def test_a_medication_review_is_a_procedure(records, janssen, daalhof):
    bundle = by_id(export())
    by_gp = bundle[f"Procedure/medication-review-{records['by_gp'].pk}"]
    pharmacist = bundle[f"Procedure/medication-review-{records['by_pharmacist'].pk}"]
    gp_ref = {"reference": f"Practitioner/practitioner-{daalhof.gp.pk}"}
    poh_ref = {"reference": f"Practitioner/practitioner-{daalhof.poh.pk}"}
    assert by_gp["status"] == "completed"
    assert code_of(by_gp["code"], SNOMED) == "182836005"
    assert by_gp["subject"] == {"reference": f"Patient/resident-{janssen.pk}"}
    assert by_gp["performedDateTime"] == (today() - days(20)).isoformat()
    assert by_gp["recorder"] == gp_ref
    (performer,) = by_gp["performer"]
    assert performer["actor"] == gp_ref  # the GP recorded her own review
    assert kernteam(performer["function"], "medication-reviewer") == "gp"
    assert by_gp["extension"][0]["valueInteger"] == 11
    (performer,) = pharmacist["performer"]
    assert performer["actor"] == {"display": "pharmacist"}  # no member: by name of the role
    assert code_of(performer["function"], SNOMED) == "46255001"
    assert pharmacist["recorder"] == poh_ref


EVENTS = {  # kind: (resource type, Encounter class or None, SNOMED CT code or None)
    "fall": ("Observation", None, "217082002"),
    "emergency": ("Encounter", "EMER", "4525004"),
    "out_of_hours": ("Encounter", "AMB", None),
    "hospital": ("Encounter", "IMP", "32485007"),
    "crisis": ("Encounter", "IMP", None),
    "nursing_home": ("Encounter", "IMP", None),
    "death": ("Observation", None, "419620001"),
}


def test_outcome_events_are_encounters_or_observations(records, janssen):
    bundle = by_id(export())
    for kind, event in records["events"].items():
        resource_type, encounter_class, snomed = EVENTS[kind]
        resource = bundle[f"{resource_type}/outcome-event-{event.pk}"]
        day = event.occurred_on.isoformat()
        if resource_type == "Encounter":
            (code,) = resource["type"]
            assert resource["class"]["code"] == encounter_class
            visit = kind in ("emergency", "out_of_hours")
            assert resource["status"] == ("finished" if visit else "unknown")
            assert resource["period"] == ({"start": day, "end": day} if visit else {"start": day})
            assert resource["episodeOfCare"] == [
                {"reference": f"EpisodeOfCare/trajectory-{janssen.trajectory.pk}"}
            ]
        else:
            code = resource["code"]
            assert resource["status"] == "final" and resource["effectiveDateTime"] == day
        assert (code_of(code, SNOMED), kernteam(code, "outcome-event")) == (snomed, kind)
        assert resource["subject"] == {"reference": f"Patient/resident-{janssen.pk}"}
    death = bundle[f"Observation/outcome-event-{records['events']['death'].pk}"]
    (place,) = death["component"]
    assert code_of(place["code"], "http://loinc.org") == "58332-8"
    value = place["valueCodeableConcept"]
    assert (code_of(value, SNOMED), kernteam(value, "place-of-death")) == ("284546000", "hospice")
    fall = bundle[f"Observation/outcome-event-{records['events']['fall'].pk}"]
    assert "component" not in fall


# --- referrals and offers, own goal -----------------------------------------------------------


def test_a_referral_is_a_service_request_to_the_offer(records, janssen, daalhof, meals):
    bundle = by_id(export())
    referral = records["referral"]
    request = bundle[f"ServiceRequest/referral-{referral.pk}"]
    assert (request["status"], request["intent"]) == ("active", "order")
    assert request["extension"][0]["valueCoding"]["code"] == "registered"
    assert kernteam(request["code"], "offer-kind") == "meals"
    assert request["performer"] == [{"reference": f"HealthcareService/offer-{meals.pk}"}]
    assert request["requester"] == {"reference": f"Practitioner/practitioner-{daalhof.gp.pk}"}
    assert request["basedOn"] == [{"reference": f"CarePlan/careplan-resident-{janssen.pk}"}]
    assert request["supportingInfo"] == [{"reference": f"Task/action-{referral.action_id}"}]
    assert request["authoredOn"] == referral.referred_on.isoformat()
    service = bundle[f"HealthcareService/offer-{meals.pk}"]
    assert service["active"] is True and service["name"] == "Tafeltje-dek-je Daalhof"
    assert service["providedBy"] == {"display": "Envida"}
    assert service["telecom"] == [{"system": "phone", "value": "0435551234"}]
    assert service["comment"] == "Warme maaltijd aan huis"
    assert kernteam(service["type"][0], "offer-kind") == "meals"


def test_an_offer_is_one_healthcare_service_however_many_are_referred(
    records, resident_in, daalhof, meals
):
    other = resident_in("step2", last_name="Peters")
    refer_resident(
        resident=other, by=daalhof.welfare, offer=meals, owner_member=daalhof.welfare,
        due_on=today() + days(7), shared_with_carers=True,
    )  # fmt: skip
    bundle = export()
    assert [s["id"] for s in of_type(bundle, "HealthcareService")] == [f"offer-{meals.pk}"]
    requests = of_type(bundle, "ServiceRequest")
    assert len(requests) == 2
    assert {r["status"] for r in requests} == {"active", "draft"}


def test_an_ended_offer_is_inactive(records, meals):
    LocalOffer.objects.filter(pk=meals.pk).update(ended_on=today())
    (service,) = of_type(export(), "HealthcareService")
    assert service["active"] is False


@pytest.mark.parametrize(
    ("contact", "telecom"),
    [
        ("043 555 12 34", {"system": "phone", "value": "0435551234"}),
        ("info@envida.nl", {"system": "email", "value": "info@envida.nl"}),
        ("Ria, via de balie", {"system": "other", "value": "Ria, via de balie"}),
        ("  ", None),
    ],
)
def test_an_offers_contact_is_a_contact_point(contact, telecom):
    assert offers.contact_point(LocalOffer(contact=contact)) == telecom


def test_every_version_of_her_own_goal_is_a_goal(records, janssen):
    bundle = by_id(export())
    earlier = bundle[f"Goal/own-goal-{records['earlier_goal'].pk}"]
    current = bundle[f"Goal/own-goal-{records['own_goal'].pk}"]
    patient = {"reference": f"Patient/resident-{janssen.pk}"}
    assert current["description"] == {"text": "Thuis blijven wonen"}
    assert (current["lifecycleStatus"], current["expressedBy"]) == ("active", patient)
    assert kernteam(current["category"][0], "goal-category") == "own-goal"
    assert current["startDate"] == today().isoformat()
    assert "statusDate" not in current
    assert earlier["description"] == {"text": "Weer naar de markt"}
    assert earlier["lifecycleStatus"] == "cancelled"
    assert earlier["startDate"] == (today() - days(30)).isoformat()
    assert earlier["statusDate"] == today().isoformat()


# --- who reads the PZP -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "disciplines", "reads"),
    [
        ({"gp"}, ["gp"], True),
        ({"poh"}, None, True),  # directly involved: no consent needed
        ({"district_nurse"}, ["gp", "district_nurse"], True),
        ({"district_nurse"}, ["gp", "poh"], False),  # the consent does not name her
        ({"welfare"}, ["welfare"], False),  # never a PZP reader
        ({"coordinator"}, ["coordinator"], False),
        ({"welfare", "district_nurse"}, ["welfare"], False),  # sees her as welfare worker only
        ({"welfare", "elderly_care_physician"}, ["elderly_care_physician"], True),
    ],
)
def test_only_pzp_readers_get_it(records, janssen, daalhof, roles, disciplines, reads):
    """The rule of `reads_care_planning`, read from the prefetched consents (no query); the
    care records built for a non-reader have no PZP and everything else."""
    if disciplines is None:
        janssen.consents.update(withdrawn_at=timezone.now())
    else:
        record_consent(resident=janssen, by=daalhof.poh, given_on=today(), disciplines=disciplines)
    (resident,) = with_related(Resident.objects.filter(pk=janssen.pk))
    with CaptureQueriesContext(connection) as queries:
        assert pzp.readable(roles=frozenset(roles), resident=resident) is reads
    assert len(queries) == 0
    kept = care.resident_resources(resident=resident, shared=Shared(), with_care_planning=reads)
    pzp_ids = {r["id"] for r in kept if r["id"].startswith("care-planning-")}
    assert bool(pzp_ids) is reads
    everything = care.resident_resources(
        resident=resident, shared=Shared(), with_care_planning=True
    )
    assert [r for r in everything if not r["id"].startswith("care-planning-")] == [
        r for r in kept if not r["id"].startswith("care-planning-")
    ]


# --- scope and queries ------------------------------------------------------------------------


def test_a_resident_without_care_records_exports_none(records, resident_in):
    plain = resident_in("step1", last_name="Peters")
    bundle = export(Resident.objects.filter(pk=plain.pk))
    assert care_records(bundle) == []
    assert [c["id"] for c in of_type(bundle, "Consent")] == [f"consent-{plain.consents.get().pk}"]
    assert not of_type(bundle, "Goal")


def test_a_fixed_number_of_queries_for_one_resident_or_many(
    records, janssen, resident_in, daalhof, meals
):
    others = [resident_in("step3", last_name=name) for name in ("Peters", "Smeets")]
    for resident in others:
        give_records(resident, daalhof, meals)
    with CaptureQueriesContext(connection) as one:
        single = export(Resident.objects.filter(pk=janssen.pk))
    with CaptureQueriesContext(connection) as three:
        several = export(Resident.objects.filter(pk__in=[janssen.pk, *(r.pk for r in others)]))
    assert len(one) == len(three)
    assert len(care_records(several)) == 3 * len(care_records(single)) - 2  # one offer, shared


def test_a_demo_team_exports_valid_care_records():
    """The demo region's seeded records (every state, several versions) export valid too."""
    options = demo.SeedOptions(today=datetime.date(2026, 10, 1), teams=1, residents_per_team=20)
    demo.seed(options, log=lambda _line: None)
    bundle = export()
    added = care_records(bundle)
    assert {r["resourceType"] for r in added} >= {"Consent", "Procedure", "Goal"}
    for resource in added:
        validate(resource)
        assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
    resources = by_id(bundle)
    for reference in references(added):
        assert reference in resources, reference
    assert bundle_errors(bundle) == []
