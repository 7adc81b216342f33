"""Issue 20, "Validation in CI": HL7's official R4 JSON schema as a second check of the FHIR
export (next to `fhir.resources` in test_fhir.py), over a resident bundle and a team bundle for
residents in every state, in both bundle types, and over a seeded demo team."""

from __future__ import annotations

import copy
import datetime
import hashlib
import lzma
import re

import pytest
from django.conf import settings

from clients.models import Resident
from demo import region as demo
from steps.fhir.bundle import BUNDLE_TYPES
from tests.fhir_schema import (
    SCHEMA_FILE,
    bundle_errors,
    residents_in_every_state,
    resource_errors,
    schema,
)
from tests.helpers import fhir_export

pytestmark = pytest.mark.django_db

# What the export maps (issue 20, §1: the care records around the steps too), and the id prefix
# of each of the care records (steps/fhir/ids.py: the one place that names them).
MAPPED_TYPES = {
    "Patient", "EpisodeOfCare", "CareTeam", "CarePlan", "Goal", "Task", "Observation",
    "Consent", "Practitioner", "RelatedPerson", "Procedure", "ServiceRequest", "HealthcareService",
}  # fmt: skip
CARE_RECORDS = {  # record: (the types it may map to, its id prefix)
    "own goal": ({"Goal"}, "own-goal-"),
    "PZP": ({"Consent"}, "care-planning-"),
    "medication review": ({"Procedure"}, "medication-review-"),
    "outcome event": ({"Encounter", "Observation"}, "outcome-event-"),
    "referral": ({"ServiceRequest"}, "referral-"),
    "local offer": ({"HealthcareService"}, "offer-"),
}


def failures(errors: list[str]) -> str:
    return "\n".join(errors[:40]) + (f"\n… and {len(errors) - 40} more" if len(errors) > 40 else "")


def checked(bundle: dict, bundle_type: str) -> dict:
    """The bundle, after checking the envelope the two bundle types promise."""
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == bundle_type
    base = settings.KERNTEAM_FHIR_BASE
    for entry in bundle["entry"]:
        url = f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        assert entry["fullUrl"] == base + url
        if bundle_type == "transaction":
            assert entry["request"] == {"method": "PUT", "url": url}
        else:
            assert "request" not in entry
    return bundle


# --- the schema and the validator -------------------------------------------------------------


def test_the_vendored_schema_is_hl7s_r4_schema_as_its_readme_says():
    raw = lzma.decompress(SCHEMA_FILE.read_bytes())
    readme = (SCHEMA_FILE.parent / "README.md").read_text()
    assert hashlib.sha256(raw).hexdigest() in readme
    whole = schema()
    assert whole["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert whole["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert len(whole["discriminator"]["mapping"]) == 146
    # R4, not R4B or R5: MedicinalProduct was split up in R4B
    assert "MedicinalProduct" in whole["definitions"]
    assert "MedicinalProductDefinition" not in whole["definitions"]


PATIENT = {
    "resourceType": "Patient",
    "id": "resident-1",
    "name": [{"family": "Janssen", "given": ["Maria"]}],
    "birthDate": "1938-03-14",
}

BREAKAGES = [  # (what breaks, the path and the words the error names)
    (lambda p: p.update(birthDate="14-03-1938"), r"Patient/resident-1 \$\.birthDate: .* match"),
    (lambda p: p.update(nickname="Ria"), r"Patient/resident-1 \$: .*'nickname' was unexpected"),
    (lambda p: p["name"][0].update(given="Maria"), r"\$\.name\[0\]\.given: .*not of type"),
    (lambda p: p.update(gender="woman"), r"\$\.gender: \"woman\" is not one of"),
    (lambda p: p.update(id="resident_1!"), r"\$\.id: .*does not match"),
    (lambda p: p.update(resourceType="Bewoner"), r"'Bewoner' is not an R4 resource type"),
]


def test_a_valid_resource_passes():
    assert resource_errors(copy.deepcopy(PATIENT)) == []


@pytest.mark.parametrize("breakage, message", BREAKAGES)
def test_the_schema_names_the_resource_the_path_and_the_error(breakage, message):
    patient = copy.deepcopy(PATIENT)
    breakage(patient)
    errors = resource_errors(patient)
    assert len(errors) == 1 and re.search(message, errors[0]), errors


def test_the_bundle_envelope_and_its_entries_are_checked():
    good = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "http://127.0.0.1:8000/fhir/Patient/resident-1",
                "resource": copy.deepcopy(PATIENT),
                "request": {"method": "PUT", "url": "Patient/resident-1"},
            }
        ],
    }
    assert bundle_errors(good) == []
    bad = copy.deepcopy(good)
    bad["type"] = "batch-ish"
    bad["entry"][0]["request"]["method"] = "UPSERT"
    bad["entry"][0]["resource"]["birthDate"] = "1938"[:2]
    errors = bundle_errors(bad)
    assert errors[0].startswith('Bundle $.type: "batch-ish" is not one of')
    assert errors[1].startswith('Bundle $.entry[0].request.method: "UPSERT" is not one of')
    assert errors[2].startswith("entry[0] Patient/resident-1 $.birthDate: ")
    assert len(errors) == 3


# --- the export -------------------------------------------------------------------------------


@pytest.fixture
def every_state(daalhof, resident_in) -> dict[str, Resident]:
    return residents_in_every_state(team=daalhof, resident_in=resident_in)


def test_resident_and_team_bundles_in_every_state_match_the_r4_schema(every_state):
    errors = []
    for bundle_type in BUNDLE_TYPES:
        for state, resident in every_state.items():
            one = fhir_export(Resident.objects.filter(pk=resident.pk), bundle_type=bundle_type)
            errors += [
                f"[{bundle_type} {state}] {e}" for e in bundle_errors(checked(one, bundle_type))
            ]
        team = fhir_export(Resident.objects.all(), bundle_type=bundle_type)
        errors += [f"[{bundle_type} team] {e}" for e in bundle_errors(checked(team, bundle_type))]
    assert not errors, failures(errors)


def test_the_bundles_hold_every_type_the_export_maps(every_state):
    """So that the schema check above sees them all (the care records of issue 20 included)."""
    bundle = fhir_export(Resident.objects.all())
    resources = [e["resource"] for e in bundle["entry"]]
    assert MAPPED_TYPES - {r["resourceType"] for r in resources} == set()
    missing = [
        record
        for record, (types, prefix) in CARE_RECORDS.items()
        if not any(r["resourceType"] in types and r["id"].startswith(prefix) for r in resources)
    ]
    assert missing == []


def test_the_demo_team_bundle_matches_the_r4_schema():
    options = demo.SeedOptions(today=datetime.date(2026, 10, 1), teams=1, residents_per_team=12)
    demo.seed(options, log=lambda _line: None)
    residents = Resident.objects.filter(team__slug=demo.TEAMS[0].slug)
    assert residents.count() == 12
    for bundle_type in BUNDLE_TYPES:
        bundle = checked(
            fhir_export(residents, bundle_type=bundle_type),
            bundle_type,
        )
        errors = bundle_errors(bundle)
        assert not errors, failures(errors)
