"""Issue 20, §1 "Loadable into a FHIR server": the team bundle of type transaction loads twice
into a FHIR server with the same result. No FHIR server runs here, so tests/fhir_server.py
simulates one's transaction rules (HAPI FHIR's); each rule is shown to refuse a broken bundle."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.conf import settings

from clients.models import CarerLink, Resident
from demo import region as demo
from steps.models import Goal
from tests.fhir_schema import furnish, residents_in_every_state
from tests.fhir_server import FhirServer, Refused
from tests.helpers import API, api_as, exactly, fhir_export

pytestmark = pytest.mark.django_db

BASE = "http://fhir.example.nl/fhir/"


def server() -> FhirServer:
    return FhirServer(base=settings.KERNTEAM_FHIR_BASE)


def statuses(response: dict) -> set[str]:
    return {e["response"]["status"] for e in response["entry"]}


# --- the export loads, and loads again ------------------------------------------------------


@pytest.fixture
def every_state(daalhof, resident_in) -> dict[str, Resident]:
    return residents_in_every_state(team=daalhof, resident_in=resident_in)


def test_the_team_bundle_loads_twice_with_the_same_result(every_state, daalhof):
    fhir = server()
    bundle = fhir_export(Resident.objects.all(), bundle_type="transaction")
    first = fhir.transaction(bundle)
    assert statuses(first) == {"201 Created"}
    loaded = fhir.contents()
    assert len(loaded) == len(bundle["entry"])
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} >= {
        "Patient", "EpisodeOfCare", "CareTeam", "CarePlan", "Goal", "Task", "Observation",
        "Consent", "Practitioner", "RelatedPerson",
    }  # fmt: skip

    again = fhir.transaction(fhir_export(Resident.objects.all(), bundle_type="transaction"))
    assert statuses(again) == {"200 OK"}  # nothing created
    assert fhir.contents() == loaded
    assert set(fhir.versions().values()) == {1}  # nothing changed either

    goal = Goal.objects.filter(resident=every_state["step2"], status=Goal.Status.OPEN).first()
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ACHIEVED)
    fhir.transaction(fhir_export(Resident.objects.all(), bundle_type="transaction"))
    changed = {url for url, version in fhir.versions().items() if version > 1}
    assert f"Goal/goal-{goal.pk}" in changed
    assert set(fhir.contents()) == set(loaded)


def test_a_carer_of_two_residents_is_two_related_persons_a_server_tells_apart(daalhof, resident_in):
    """A daughter who cares for both her parents: two RelatedPersons (one per patient), which a
    server that matches by identifier must not take for one."""
    mother, father = resident_in("step2"), resident_in("step3", first_name="Jan")
    furnish(mother, daalhof)
    daughter = mother.carers.get(last_name="Ramakers")
    CarerLink.objects.create(carer=daughter, resident=father, relationship="daughter")
    bundle = fhir_export(Resident.objects.all(), bundle_type="transaction")
    fhir = server()
    assert statuses(fhir.transaction(bundle)) == {"201 Created"}
    assert statuses(fhir.transaction(bundle)) == {"200 OK"}
    mine = [url for url in fhir.contents() if url.startswith(f"RelatedPerson/carer-{daughter.pk}-")]
    assert len(mine) == 2


def test_a_demo_team_bundle_loads_twice_with_the_same_result():
    options = demo.SeedOptions(today=datetime.date(2026, 10, 1), teams=1, residents_per_team=12)
    demo.seed(options, log=lambda _line: None)
    residents = Resident.objects.filter(team__slug=demo.TEAMS[0].slug)
    fhir = server()
    assert statuses(fhir.transaction(fhir_export(residents, bundle_type="transaction"))) == {
        "201 Created"
    }
    loaded = fhir.contents()
    assert statuses(fhir.transaction(fhir_export(residents, bundle_type="transaction"))) == {
        "200 OK"
    }
    assert fhir.contents() == loaded and set(fhir.versions().values()) == {1}


def test_the_team_bundle_of_the_api_loads_twice(every_state, daalhof):
    url = f"{API}/teams/{daalhof.team.slug}/fhir/?type=transaction"
    fhir = server()
    response = api_as(daalhof.gp).get(url)
    assert response.status_code == 200
    assert response.json()["type"] == "transaction"
    assert statuses(fhir.transaction(response.json())) == {"201 Created"}
    assert {key.split("/")[0] for key in fhir.contents()} >= {"Patient", "CareTeam", "Task"}
    assert statuses(fhir.transaction(api_as(daalhof.gp).get(url).json())) == {"200 OK"}
    assert set(fhir.versions().values()) == {1}


def test_an_unknown_bundle_type_is_a_field_error(daalhof):
    response = api_as(daalhof.gp).get(f"{API}/teams/{daalhof.team.slug}/fhir/?type=bogus")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["type"] and len(errors["type"]) == 1 and errors["type"][0]


# --- the simulator's rules: a small valid bundle, then one breakage per rule -------------------


def entry(resource: dict) -> dict:
    url = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": BASE + url, "resource": resource, "request": {"method": "PUT", "url": url}}


def small_bundle() -> dict:
    """A patient, her care team (a contained member, an absolute reference) and a task whose
    owner is named by identifier only."""
    patient = {
        "resourceType": "Patient",
        "id": "resident-1",
        "identifier": [{"system": "urn:kernteam:resident", "value": "1"}],
    }
    team = {
        "resourceType": "CareTeam",
        "id": "careteam-resident-1",
        "identifier": [{"system": "urn:kernteam:careteam", "value": "1"}],
        "contained": [{"resourceType": "Organization", "id": "practice", "name": "Praktijk"}],
        "subject": {"reference": "Patient/resident-1"},
        "participant": [
            {"member": {"reference": "#practice"}},
            {"member": {"reference": BASE + "Practitioner/practitioner-7"}},
        ],
    }
    practitioner = {"resourceType": "Practitioner", "id": "practitioner-7"}
    task = {
        "resourceType": "Task",
        "id": "action-3",
        "status": "requested",
        "intent": "plan",
        "for": {"reference": "Patient/resident-1"},
        "owner": {"identifier": {"system": "urn:kernteam:carer", "value": "9"}},
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(r) for r in (patient, team, practitioner, task)],
    }


def test_a_small_valid_bundle_loads_and_loads_again():
    fhir = FhirServer(base=BASE)
    assert statuses(fhir.transaction(small_bundle())) == {"201 Created"}
    assert fhir.transaction(small_bundle())["entry"][0]["response"] == {
        "status": "200 OK", "location": "Patient/resident-1/_history/1", "etag": 'W/"1"',
    }  # fmt: skip
    assert set(fhir.versions().values()) == {1}
    assert "meta" not in fhir.contents()["Patient/resident-1"]


def practitioner_id(bundle: dict, value: str) -> None:
    bundle["entry"][2]["resource"]["id"] = value
    bundle["entry"][2]["request"]["url"] = f"Practitioner/{value}"
    bundle["entry"][2]["fullUrl"] = BASE + f"Practitioner/{value}"


BREAKAGES = {  # rule: (breakage, the refusal)
    "transaction only": (
        lambda b: b.update(type="collection"),
        "Bundle.type must be 'transaction', not 'collection'",
    ),
    "a request per entry": (
        lambda b: b["entry"][1].pop("request"),
        "entry[1]: no request",
    ),
    "a resource per entry": (
        lambda b: b["entry"][3].pop("resource"),
        "entry[3]: no resource",
    ),
    "PUT": (
        lambda b: b["entry"][0]["request"].update(method="POST"),
        "entry[0]: request.method must be PUT, not 'POST'",
    ),
    "url is Type/id": (
        lambda b: b["entry"][0]["request"].update(url="Patient"),
        "entry[0]: request.url 'Patient' is not <Type>/<id>",
    ),
    "no conditional url": (
        lambda b: b["entry"][0]["request"].update(url="Patient?identifier=urn:kernteam:resident|1"),
        "entry[0]: request.url 'Patient?identifier=urn:kernteam:resident|1' is not <Type>/<id>",
    ),
    "url type = resource type": (
        lambda b: b["entry"][0]["request"].update(url="Person/resident-1"),
        "entry[0]: request.url 'Person/resident-1' names Person but the resource is a Patient",
    ),
    "url id = resource id": (
        lambda b: b["entry"][0]["request"].update(url="Patient/resident-2"),
        "entry[0]: request.url 'Patient/resident-2' names id 'resident-2' but the resource's "
        "id is 'resident-1'",
    ),
    "a FHIR id": (
        lambda b: practitioner_id(b, "practitioner_7"),
        "entry[2]: 'practitioner_7' is not a valid FHIR id",
    ),
    "an id of 64 characters at most": (
        lambda b: practitioner_id(b, "p" * 65),
        f"entry[2]: '{'p' * 65}' is not a valid FHIR id",
    ),
    "no numeric id": (
        lambda b: practitioner_id(b, "7"),
        "entry[2]: '7' is all digits: a client may not assign a numeric id",
    ),
    "fullUrl = base + url": (
        lambda b: b["entry"][0].update(fullUrl="http://localhost:8000/fhir/Patient/resident-1"),
        "entry[0]: fullUrl 'http://localhost:8000/fhir/Patient/resident-1' is not "
        f"'{BASE}Patient/resident-1'",
    ),
    "each PUT target once": (
        lambda b: b["entry"].append(copy.deepcopy(b["entry"][0])),
        "entry[4]: Patient/resident-1 is also the target of entry[0] (HAPI-0535: a transaction "
        "may not PUT one resource twice)",
    ),
    "references resolve": (
        lambda b: b["entry"][3]["resource"].update(focus={"reference": "Goal/goal-4"}),
        "entry[3] Task/action-3 $.focus.reference: 'Goal/goal-4' resolves to no entry of the "
        "bundle and no stored resource",
    ),
    "absolute references resolve": (
        lambda b: b["entry"].pop(2),
        f"entry[1] CareTeam/careteam-resident-1 $.participant[1].member.reference: "
        f"'{BASE}Practitioner/practitioner-7' resolves to no entry of the bundle and no stored "
        "resource",
    ),
    "no external references": (
        lambda b: b["entry"][3]["resource"].update(
            focus={"reference": "http://elders.example.org/fhir/Goal/1"}
        ),
        "entry[3] Task/action-3 $.focus.reference: 'http://elders.example.org/fhir/Goal/1' is "
        "an external reference (HAPI-0507: not allowed)",
    ),
    "contained references resolve inside": (
        lambda b: b["entry"][1]["resource"]["contained"][0].update(id="gp-practice"),
        "entry[1] CareTeam/careteam-resident-1 $.participant[0].member.reference: no contained "
        "resource '#practice'",
    ),
    "references inside contained resources resolve": (
        lambda b: b["entry"][1]["resource"]["contained"][0].update(
            partOf={"reference": "Organization/umc"}
        ),
        "entry[1] CareTeam/careteam-resident-1 $.contained[0].partOf.reference: "
        "'Organization/umc' resolves to no entry of the bundle and no stored resource",
    ),
    "identifiers unique per type": (
        lambda b: b["entry"].append(
            entry(
                {
                    "resourceType": "CareTeam",
                    "id": "careteam-resident-2",
                    "identifier": [{"system": "urn:kernteam:careteam", "value": "1"}],
                }
            )
        ),
        "CareTeam/careteam-resident-2 and CareTeam/careteam-resident-1 share the identifier "
        "urn:kernteam:careteam|1: a server that matches by identifier finds more than one",
    ),
}


@pytest.mark.parametrize("rule", BREAKAGES)
def test_the_server_refuses_a_bundle_that_breaks_a_rule_and_stores_nothing(rule):
    breakage, message = BREAKAGES[rule]
    fhir = FhirServer(base=BASE)
    bundle = small_bundle()
    breakage(bundle)
    with pytest.raises(Refused, match=exactly(message)):
        fhir.transaction(bundle)
    assert fhir.store == {}


def test_the_same_identifier_on_another_id_than_a_stored_one_is_refused():
    fhir = FhirServer(base=BASE)
    fhir.transaction(small_bundle())
    moved = small_bundle()
    moved["entry"] = [entry({**moved["entry"][0]["resource"], "id": "resident-2"})]
    with pytest.raises(Refused, match=r"^Patient/resident-2 and Patient/resident-1 share the "):
        fhir.transaction(moved)


def test_references_resolve_to_resources_stored_before():
    fhir = FhirServer(base=BASE)
    bundle = small_bundle()
    tasks = {**bundle, "entry": bundle["entry"][3:]}
    with pytest.raises(Refused, match="'Patient/resident-1' resolves to no entry"):
        fhir.transaction(tasks)
    fhir.transaction({**bundle, "entry": bundle["entry"][:3]})
    assert statuses(fhir.transaction(tasks)) == {"201 Created"}


def test_a_transaction_is_all_or_nothing():
    fhir = FhirServer(base=BASE)
    fhir.transaction(small_bundle())
    before = (fhir.contents(), fhir.versions())
    changed = small_bundle()
    changed["entry"][0]["resource"]["gender"] = "female"  # a valid change ...
    changed["entry"][3]["resource"]["focus"] = {"reference": "Goal/goal-4"}  # ... and a broken one
    with pytest.raises(Refused):
        fhir.transaction(changed)
    assert (fhir.contents(), fhir.versions()) == before


def test_a_changed_resource_gets_a_new_version_an_unchanged_one_keeps_its_own():
    fhir = FhirServer(base=BASE)
    fhir.transaction(small_bundle())
    changed = small_bundle()
    changed["entry"][0]["resource"]["gender"] = "female"
    changed["entry"][2]["resource"]["meta"] = {"versionId": "1", "lastUpdated": "2026-12-06"}
    response = fhir.transaction(changed)
    assert [e["response"]["etag"] for e in response["entry"]] == ['W/"2"', *['W/"1"'] * 3]
    assert fhir.contents()["Patient/resident-1"]["gender"] == "female"
