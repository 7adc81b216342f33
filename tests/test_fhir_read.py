"""The FHIR read addresses (issue 20): every fullUrl of an export answers with its resource, under
the bundles' access rules and access log; `$everything`; errors as OperationOutcome; and the
code systems and extensions published at their canonical URLs, matching what the export uses."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from fhir.resources.R4B import get_fhir_model_class

from clients.care_planning import CarePlanning
from clients.models import Resident
from clients.services import record_consent
from clients.subscriptions import Subscription
from demo import region as demo
from frontend.api import fhir_views
from kernteam.models import AccessLogEntry, Membership
from kernteam.roles import Role
from steps.fhir import care, conformance, ids
from steps.fhir.context import Shared, fhir_base
from steps.fhir.episode import __doc__ as STEP_CHANGE_DOC
from steps.models import Domain
from steps.referral_services import refer_resident
from steps.referrals import LocalOffer
from steps.services import agree_action
from steps.states import ClosureReason, Kind, State
from tests.factories import UserFactory, carer_for, goal, score
from tests.fhir_schema import resource_errors
from tests.helpers import api_as, fhir_export

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/fhir/"  # settings.KERNTEAM_FHIR_BASE in the tests
# the resource types the export wrote before issue 20's care records
CORE_TYPES = {
    "Patient", "EpisodeOfCare", "CareTeam", "CarePlan", "Goal", "Task", "Observation",
    "Consent", "Practitioner", "RelatedPerson",
}  # fmt: skip


def path_of(full_url: str) -> str:
    assert full_url.startswith(BASE), full_url
    return "/fhir/" + full_url.removeprefix(BASE)


def entries(bundle: dict) -> list[dict]:
    return bundle["entry"]


def assert_outcome(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert [issue["code"] for issue in body["issue"]] == [code] * len(body["issue"])
    get_fhir_model_class("OperationOutcome").model_validate(body)
    return body


@pytest.fixture
def janssen(daalhof, resident_in):
    """A Daalhof resident in step 2 with a goal, an action for her carer, a score and a
    referral to a local offer (consent for every discipline)."""
    resident = resident_in("step2", last_name="Janssen")
    carer = carer_for(resident)
    aim = goal(resident, daalhof.gp)
    score(resident, "gfi", 6, daalhof.poh)
    offer = LocalOffer.objects.create(
        team=daalhof.team, name="Valpreventie", kind="fall_prevention", provider="Trajekt",
        created_by=daalhof.welfare,
    )  # fmt: skip
    refer_resident(
        resident=resident, by=daalhof.welfare, offer=offer, owner_member=daalhof.welfare,
        due_on=timezone.localdate() + datetime.timedelta(days=14), shared_with_carers=True,
    )  # fmt: skip
    agree_action(
        resident=resident, by=daalhof.poh, description="Boodschappen",
        due_on=timezone.localdate() + datetime.timedelta(days=7), owner_carer=carer, goal=aim,
    )  # fmt: skip
    return resident


@pytest.fixture
def demo_team():
    """One demo team: full histories, care plans, carers, scores and the care records (PZP,
    medication reviews, outcome events, own goals)."""
    options = demo.SeedOptions(today=datetime.date(2026, 10, 1), teams=1, residents_per_team=10)
    demo.seed(options, log=lambda _line: None)
    return Resident.objects.filter(team__slug=demo.TEAMS[0].slug)


def demo_gp(residents):
    team = residents.first().team
    return Membership.objects.active().filter(team=team, role=Role.GP).first().user


# --- every fullUrl answers -------------------------------------------------------------------


def test_every_full_url_of_a_bundle_answers_with_its_resource(daalhof, janssen):
    bundle = fhir_export(Resident.objects.filter(pk=janssen.pk))
    api = api_as(daalhof.gp)
    seen = set()
    for entry in entries(bundle):
        response = api.get(path_of(entry["fullUrl"]))
        assert response.status_code == 200, (entry["fullUrl"], response.content[:300])
        assert response["Content-Type"].startswith("application/fhir+json")
        assert response.json() == entry["resource"], entry["fullUrl"]
        seen.add(entry["resource"]["resourceType"])
    assert seen >= CORE_TYPES


def test_every_full_url_of_a_demo_team_answers_to_its_gp(daalhof, janssen, demo_team):
    """The demo's records of every kind (with the care records `steps.fhir.care` maps), and
    Janssen's referral: every kind of id `steps.fhir.ids` knows is read."""
    covered = set()
    for residents, gp in ((demo_team, demo_gp(demo_team)), ([janssen.pk], daalhof.gp)):
        bundle = fhir_export(Resident.objects.filter(pk__in=residents))
        api = api_as(gp)
        for entry in entries(bundle):
            response = api.get(path_of(entry["fullUrl"]))
            assert response.status_code == 200, (entry["fullUrl"], response.content[:300])
            assert response.json() == entry["resource"], entry["fullUrl"]
            resource_id = entry["resource"]["id"]
            covered |= {r.pattern for r in ids.RULES if re.fullmatch(r.pattern, resource_id)}
    assert covered == {r.pattern for r in ids.RULES}


def test_a_read_is_logged_as_an_export_of_the_resident(daalhof, janssen):
    task = next(e for e in entries(fhir_export(Resident.objects.filter(pk=janssen.pk)))
                if e["resource"]["resourceType"] == "Task")  # fmt: skip
    response = api_as(daalhof.district_nurse).get(path_of(task["fullUrl"]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.team, entry.resident, entry.role) == (
        daalhof.district_nurse, daalhof.team, janssen, "district_nurse"
    )  # fmt: skip
    assert (entry.action, entry.what) == ("export", "fhir-read")
    assert AccessLogEntry.objects.get().path == path_of(task["fullUrl"])


def test_any_accept_header_gets_fhir_json(daalhof, janssen):
    """A FHIR client asks for application/fhir+json, a plain one for application/json, a
    browser for HTML: each gets FHIR JSON (never 406)."""
    api = api_as(daalhof.gp)
    url = f"/fhir/Patient/resident-{janssen.pk}"
    for accept in ("application/fhir+json", "application/json", "text/html", "image/png"):
        response = api.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert response["Content-Type"].startswith("application/fhir+json"), accept
        assert response.json()["id"] == f"resident-{janssen.pk}"
    assert_outcome(api.get("/fhir/Patient/resident-0", HTTP_ACCEPT="text/html"), 404, "not-found")


# --- denials -------------------------------------------------------------------------------


def test_another_teams_resident_answers_404_for_every_resource(daalhof, malberg, janssen):
    bundle = fhir_export(Resident.objects.filter(pk=janssen.pk))
    api = api_as(malberg.gp)
    for entry in entries(bundle):
        if entry["resource"]["resourceType"] in ("Practitioner", "HealthcareService"):
            continue  # (no resident's data: their own rules, below)
        assert_outcome(api.get(path_of(entry["fullUrl"])), 404, "not-found")
    assert api.get(f"/api/v1/residents/{janssen.pk}/fhir/").status_code == 404  # (as the bundle)
    assert_outcome(api.get(f"/fhir/Patient/resident-{janssen.pk}/$everything"), 404, "not-found")
    assert not AccessLogEntry.objects.exists()


def test_a_welfare_worker_without_consent_gets_404_as_for_the_bundle(daalhof, resident_in):
    """As tests/test_api.py: a narrower consent hides the resident from the discipline."""
    resident = resident_in("step2")
    goal(resident, daalhof.gp)
    welfare = api_as(daalhof.welfare)
    patient = f"/fhir/Patient/resident-{resident.pk}"
    assert welfare.get(patient).status_code == 200
    record_consent(
        resident=resident, by=daalhof.poh, given_on=timezone.localdate(),
        disciplines=[Role.GP, Role.DISTRICT_NURSE],
    )  # fmt: skip
    before = AccessLogEntry.objects.count()
    assert welfare.get(f"/api/v1/residents/{resident.pk}/fhir/").status_code == 404
    bundle = fhir_export(Resident.objects.filter(pk=resident.pk))
    for entry in entries(bundle):
        if entry["resource"]["resourceType"] not in ("Practitioner", "HealthcareService"):
            assert_outcome(welfare.get(path_of(entry["fullUrl"])), 404, "not-found")
    assert_outcome(welfare.get(f"{patient}/$everything"), 404, "not-found")
    assert AccessLogEntry.objects.count() == before
    assert api_as(daalhof.district_nurse).get(patient).status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "Patient/resident-999999",
        "Patient/resident-abc",
        "Patient/resident-0{pk}",  # (a leading zero: not an id the export writes)
        "Patient/resident-99999999999999999999999",  # (beyond any primary key)
        "Patient/" + "x" * 80,
        "Patient/{pk}",
        "Banana/resident-{pk}",
        "Subscriptionx/resident-{pk}",
        "patient/resident-{pk}",
        "Task/goal-{goal}",  # a Goal's id asked for as a Task
        "Goal/resident-{pk}",  # the Patient's id asked for as a Goal
        "RelatedPerson/carer-999999-resident-{pk}",  # no such carer of hers
        "Patient/resident-{pk}/extra",
        "Patient/resident-{pk}/$everything/more",
        "Patient/resident-%0A{pk}",  # (a newline)
        "Patient/resident-{pk}%0A",
        "",
    ],
)
def test_an_unknown_malformed_or_mismatched_address_answers_404(daalhof, janssen, address):
    goal_id = janssen.goals.get().pk
    url = "/fhir/" + address.format(pk=janssen.pk, goal=goal_id)
    body = assert_outcome(api_as(daalhof.gp).get(url), 404, "not-found")
    assert body["issue"][0]["diagnostics"]
    assert not AccessLogEntry.objects.exists()


def test_not_signed_in_is_401_and_not_a_member_is_403_as_operation_outcomes(daalhof, janssen):
    url = f"/fhir/Patient/resident-{janssen.pk}"
    assert_outcome(api_as(None).get(url), 401, "login")
    assert_outcome(api_as(UserFactory()).get(url), 403, "forbidden")
    invalid = api_as(None)
    invalid.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert_outcome(invalid.get(url), 401, "login")
    assert_outcome(api_as(daalhof.gp).post(url, {}, format="json"), 405, "not-supported")
    strict = Client(enforce_csrf_checks=True)  # (an integrator's POST has no CSRF token)
    assert_outcome(strict.post("/fhir/Nothing/here/at/all"), 404, "not-found")
    assert not AccessLogEntry.objects.exists()


def test_advance_care_planning_is_read_only_by_its_readers(daalhof, demo_team):
    """The PZP's own rule (`reads_care_planning`): never the welfare worker, whatever the
    consent, though she sees the resident."""
    planning = CarePlanning.objects.filter(resident__in=demo_team).first()
    resident = planning.resident
    bundle = fhir_export(Resident.objects.filter(pk=resident.pk))
    directives = [
        e for e in entries(bundle) if e["resource"]["id"].startswith(f"care-planning-{planning.pk}")
    ]
    if not directives:
        pytest.skip("steps.fhir.care does not map advance care planning yet")
    team = resident.team
    welfare = Membership.objects.active().get(team=team, role=Role.WELFARE).user
    record_consent(
        resident=resident, by=demo_gp(demo_team), given_on=timezone.localdate(),
        disciplines=list(Role.values),
    )  # fmt: skip
    assert api_as(welfare).get(f"/fhir/Patient/resident-{resident.pk}").status_code == 200
    for entry in directives:
        assert api_as(demo_gp(demo_team)).get(path_of(entry["fullUrl"])).status_code == 200
        assert_outcome(api_as(welfare).get(path_of(entry["fullUrl"])), 404, "not-found")


# --- $everything -----------------------------------------------------------------------------


def test_everything_is_the_residents_bundle_logged_as_an_export(daalhof, janssen):
    api = api_as(daalhof.poh)
    response = api.get(f"/fhir/Patient/resident-{janssen.pk}/$everything")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = response.json()
    expected = fhir_export(Resident.objects.filter(pk=janssen.pk))
    assert bundle["type"] == "collection"
    assert [e["fullUrl"] for e in entries(bundle)] == [e["fullUrl"] for e in entries(expected)]
    assert list(AccessLogEntry.objects.values_list("user", "resident", "action", "what")) == [
        (daalhof.poh.pk, janssen.pk, "export", "fhir-everything")
    ]
    get_fhir_model_class("Bundle").model_validate(bundle)


def test_everything_as_a_transaction_and_a_bad_type(daalhof, janssen):
    api = api_as(daalhof.gp)
    url = f"/fhir/Patient/resident-{janssen.pk}/$everything"
    bundle = api.get(url, {"type": "transaction"}).json()
    assert bundle["type"] == "transaction"
    assert all(e["request"]["method"] == "PUT" for e in entries(bundle))
    body = assert_outcome(api.get(url, {"type": "searchset"}), 400, "invalid")
    assert body["issue"][0]["expression"] == ["type"]
    assert_outcome(
        api.get(f"/fhir/Patient/careplan-resident-{janssen.pk}/$everything"), 404, "not-found"
    )
    assert list(AccessLogEntry.objects.values_list("action", flat=True)) == ["export"]


# --- resources that are no resident's data ---------------------------------------------------


def test_a_practitioner_is_read_by_members_of_a_team_she_is_or_was_on(daalhof, malberg, janssen):
    Membership.objects.filter(user=daalhof.poh).update(agb_code="12345678")
    url = f"/fhir/Practitioner/practitioner-{daalhof.poh.pk}"
    response = api_as(daalhof.welfare).get(url)
    assert response.status_code == 200
    bundle = fhir_export(Resident.objects.filter(pk=janssen.pk))
    exported = [e for e in entries(bundle) if e["fullUrl"] == BASE + url.removeprefix("/fhir/")]
    assert [response.json()] == [e["resource"] for e in exported]  # (as the bundle has her)
    assert response.json()["name"][0]["family"] == daalhof.poh.last_name
    assert "12345678" in str(response.json()["identifier"])
    assert_outcome(api_as(malberg.gp).get(url), 404, "not-found")
    Membership.objects.filter(user=daalhof.poh).update(ended_on=timezone.localdate())
    assert api_as(daalhof.welfare).get(url).status_code == 200  # (she was on the team)
    assert_outcome(
        api_as(daalhof.gp).get("/fhir/Practitioner/practitioner-999999"), 404, "not-found"
    )
    assert_outcome(
        api_as(daalhof.gp).get(f"/fhir/Patient/practitioner-{daalhof.poh.pk}"), 404, "not-found"
    )
    assert not AccessLogEntry.objects.exists()


def test_an_offer_is_read_by_any_member(daalhof, malberg, janssen):
    offer = LocalOffer.objects.get()
    shared = Shared()
    shared.offers[offer.pk] = offer
    if not care.shared_resources(shared=shared):
        pytest.skip("steps.fhir.care does not map local offers yet")
    url = f"/fhir/HealthcareService/offer-{offer.pk}"
    response = api_as(malberg.welfare).get(url)
    assert response.status_code == 200
    assert response.json()["resourceType"] == "HealthcareService"
    assert_outcome(api_as(None).get(url), 401, "login")
    assert_outcome(api_as(daalhof.gp).get("/fhir/HealthcareService/offer-999999"), 404, "not-found")
    assert not AccessLogEntry.objects.exists()


# --- ids -------------------------------------------------------------------------------------


def test_ids_name_their_owner(daalhof, janssen):
    referral = janssen.actions.get(referral__isnull=False).referral
    assert ids.owner_of(resource_id=f"referral-{referral.pk}") == ids.Owner("resident", janssen.pk)
    assert ids.owner_of(resource_id=f"carer-5-resident-{janssen.pk}").pk == janssen.pk
    assert ids.owner_of(resource_id=f"careteam-resident-{janssen.pk}").pk == janssen.pk
    assert ids.owner_of(resource_id=f"trajectory-{janssen.trajectory.pk}").pk == janssen.pk
    assert ids.owner_of(resource_id="goal-999999") is None
    assert ids.owner_of(resource_id=f"practitioner-{daalhof.gp.pk}").kind == "practitioner"
    assert ids.owner_of(resource_id="care-planning-999999-resuscitation") is None
    planning = CarePlanning.objects.create(
        resident=janssen, held_on=timezone.localdate(), participants=["resident", "gp"],
        capacity="yes", recorded_by=daalhof.gp,
    )  # fmt: skip
    for suffix in ("", "-resuscitation", "-tube-feeding"):
        owner = ids.owner_of(resource_id=f"care-planning-{planning.pk}{suffix}")
        assert (owner.kind, owner.pk, owner.reads is not None) == ("resident", janssen.pk, True)
    assert ids.owner_of(resource_id="own-goal-x") is None
    assert "Subscription" not in ids.READABLE_TYPES


# --- conformance: published, public, and what the export uses -------------------------------


NAMES = {
    "CodeSystem": {
        "stepped-care-state", "step-change-kind", "closure-reason", "team-role", "instrument",
        "goal-domain", "care-plan-category",
    },
    "StructureDefinition": {
        "step-change", "review-due", "shared-with-carers", "subscription-secret",
    },
    "NamingSystem": {"resident-id", "care-team-id", "trajectory-id", "step-change-id"},
}  # fmt: skip


def test_the_conformance_resources_are_public_valid_r4_at_their_canonical_urls(client):
    published = conformance.published()
    for resource_type, names in NAMES.items():
        assert names <= {r["id"] for r in published if r["resourceType"] == resource_type}
    for resource in published:
        url = conformance.address(resource)  # (a NamingSystem's: its uniqueId)
        assert url == f"{fhir_base()}{resource['resourceType']}/{resource['id']}"
        response = client.get(path_of(url))  # (no one signed in)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/fhir+json")
        assert response.json() == resource
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        # HL7's R4 JSON schema too; its FHIRVersion list stops at 4.0.0, an erratum of the
        # 4.0.1 release (the HL7 validator wants "4.0.1" there)
        errors = [e for e in resource_errors(resource) if " $.fhirVersion: " not in e]
        assert errors == []
        assert resource["status"] == "active"
    bad_token = api_as(None)
    bad_token.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert bad_token.get("/fhir/CodeSystem/team-role").status_code == 200
    assert_outcome(client.get("/fhir/CodeSystem/no-such-system"), 404, "not-found")
    assert_outcome(client.get("/fhir/StructureDefinition/team-role"), 404, "not-found")
    assert_outcome(client.get("/fhir/NamingSystem/team-role"), 404, "not-found")


def test_the_code_systems_are_the_code_tables():
    """Built from the tables: a code added to a table is published at once."""
    tables = {
        "stepped-care-state": State, "step-change-kind": Kind, "closure-reason": ClosureReason,
        "team-role": Role, "goal-domain": Domain,
    }  # fmt: skip
    from clients.instruments import Instrument

    tables["instrument"] = Instrument
    for name, table in tables.items():
        system = conformance.find(resource_type="CodeSystem", name=name)
        assert system["content"] == "complete" and system["count"] == len(table.values)
        with translation.override(None):
            labels = [(value, str(label)) for value, label in table.choices]
        assert [(c["code"], c["display"]) for c in system["concept"]] == labels
    assert conformance.find(resource_type="CodeSystem", name="team-role")["concept"][1] == {
        "code": "poh",
        "display": "practice nurse for older people",  # (English, whatever the language)
    }


def test_a_registered_builder_is_published(client, monkeypatch):
    """How another module (e.g. `steps.fhir.care`) adds its own."""
    monkeypatch.setattr(conformance, "_BUILDERS", list(conformance._BUILDERS))
    conformance.register(
        lambda: conformance.code_system(
            name="test-kind", title="Test", description="A test.", concepts=[("a", "A")]
        )
    )
    response = client.get("/fhir/CodeSystem/test-kind")
    assert response.status_code == 200 and response.json()["concept"] == [
        {"code": "a", "display": "A"}
    ]


def _codings(node, found: list[dict]) -> list[dict]:
    """Every Coding-like dict ({system, code}) anywhere in `node`."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and "code" in node:
            found.append(node)
        for value in node.values():
            _codings(value, found)
    elif isinstance(node, list):
        for item in node:
            _codings(item, found)
    return found


def _extensions(node, found: list[dict]) -> list[dict]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("extension", "modifierExtension"):
                found += value
            _extensions(value, found)
    elif isinstance(node, list):
        for item in node:
            _extensions(item, found)
    return found


def test_every_kernteam_system_and_extension_an_export_uses_resolves(
    client, demo_team, resident_in
):
    """Every code system and extension under the base that a bundle uses answers at its URL,
    without authentication, and holds every code (with its display) and sub-extension used."""
    closed = resident_in("closed")
    residents = Resident.objects.filter(pk__in=[*demo_team.values_list("pk", flat=True), closed.pk])
    bundle = fhir_export(residents)
    fetched: dict[str, dict] = {}

    def resolve(url: str) -> dict:
        if url not in fetched:
            response = client.get(path_of(url))
            assert response.status_code == 200, f"{url} is not published"
            assert response.json()["url"] == url
            fetched[url] = response.json()
        return fetched[url]

    systems = set()
    for coding in _codings(bundle, []):
        if coding["system"].startswith(fhir_base()) and "/CodeSystem/" in coding["system"]:
            system = resolve(coding["system"])
            concepts = {c["code"]: c["display"] for c in system["concept"]}
            assert coding["code"] in concepts, (coding, system["url"])
            if "display" in coding:
                assert coding["display"] == concepts[coding["code"]], coding
            systems.add(system["id"])
    used_extensions = set()
    for ext in _extensions(bundle, []):
        if not ext["url"].startswith(fhir_base()):
            continue
        definition = resolve(ext["url"])
        used_extensions.add(definition["id"])
        elements = {e["id"]: e for e in definition["differential"]["element"]}
        for part in ext.get("extension", []):
            value = elements.get(f"Extension.extension:{part['url']}.value[x]")
            assert value is not None, (ext["url"], part["url"])
            (key,) = [k for k in part if k.startswith("value")]
            assert (
                key == "value" + value["type"][0]["code"][0].upper() + value["type"][0]["code"][1:]
            )
        if "extension" not in ext:
            value_type = elements["Extension.value[x]"]["type"][0]["code"]
            assert f"value{value_type[0].upper()}{value_type[1:]}" in ext
    assert systems >= NAMES["CodeSystem"], systems
    assert used_extensions >= NAMES["StructureDefinition"] - {"subscription-secret"}


def test_the_step_change_definition_lists_the_parts_the_episode_docstring_names():
    definition = conformance.find(resource_type="StructureDefinition", name="step-change")
    slices = {e["sliceName"] for e in definition["differential"]["element"] if "sliceName" in e}
    documented = {
        line.split()[0]
        for line in STEP_CHANGE_DOC.split("sub-extensions")[1].splitlines()
        if line.startswith("    ") and line.split()
    }
    assert slices == documented


def _identifiers(node, found: list[dict]) -> list[dict]:
    """Every Identifier-like dict ({system, value}) anywhere in `node`."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and "value" in node and "code" not in node:
            found.append(node)
        for value in node.values():
            _identifiers(value, found)
    elif isinstance(node, list):
        for item in node:
            _identifiers(item, found)
    return found


def _extensions_at(node, path: str, found: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """(element path, extension) for every extension in `node`, the path as a
    StructureDefinition's context names it ("Consent.provision.actor"; a primitive's `_x` as x)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("extension", "modifierExtension"):
                found += [(path, ext) for ext in value]
            if key != "resourceType":
                _extensions_at(value, f"{path}.{key.removeprefix('_')}", found)
    elif isinstance(node, list):
        for item in node:
            _extensions_at(item, path, found)
    return found


@pytest.fixture
def every_kind(janssen, demo_team, resident_in):
    """The entries of records of every kind: the demo team's bundle (its GP reads the PZP), and
    Daalhof's with Janssen's referral and a closed trajectory."""
    closed = resident_in("closed")
    demo_bundle = fhir_export(demo_team)
    daalhof_bundle = fhir_export(Resident.objects.filter(pk__in=[janssen.pk, closed.pk]))
    return {"entry": entries(demo_bundle) + entries(daalhof_bundle)}


def test_every_naming_system_an_export_uses_is_published_at_its_url(client, every_kind):
    """An identifier system under the base resolves, without authentication, to a NamingSystem
    whose uniqueId is that system; and every published one is used."""
    used = set()
    for identifier in _identifiers(every_kind, []):
        system = identifier["system"]
        if not system.startswith(fhir_base()):
            continue
        assert system.startswith(f"{fhir_base()}NamingSystem/"), system
        if system not in used:
            response = client.get(path_of(system))
            assert response.status_code == 200, f"{system} is not published"
            assert response["Content-Type"].startswith("application/fhir+json")
            naming_system = response.json()
            assert naming_system["resourceType"] == "NamingSystem"
            assert naming_system["kind"] == "identifier"
            assert [u["value"] for u in naming_system["uniqueId"]] == [system]
            used.add(system)
    published = conformance.published()
    naming_systems = [r for r in published if r["resourceType"] == "NamingSystem"]
    assert used == {conformance.address(r) for r in naming_systems}


def test_a_naming_system_that_is_not_listed_is_refused():
    from steps.fhir.codes import naming_system

    with pytest.raises(KeyError):
        naming_system("no-such-id")


def test_every_kernteam_extension_is_used_where_its_definition_allows(every_kind):
    """A strict validator refuses an extension outside its context: each one under the base is
    used only at an element its StructureDefinition names."""
    seen = set()
    for entry in entries(every_kind):
        resource = entry["resource"]
        for path, ext in _extensions_at(resource, resource["resourceType"], []):
            if not ext["url"].startswith(fhir_base()):
                continue
            name = ext["url"].removeprefix(f"{fhir_base()}StructureDefinition/")
            definition = conformance.find(resource_type="StructureDefinition", name=name)
            contexts = {c["expression"] for c in definition["context"]}
            assert path in contexts, (name, path, contexts)
            seen.add((name, path))
    assert ("shared-with-carers", "Consent") in seen  # (the PZP's AdvanceDirective)
    assert ("shared-with-carers", "Task") in seen


def test_the_subscription_secret_extension_is_published(client):
    """The extension a Subscription's creation answers its secret in (`clients.subscriptions`)."""
    subscription = Subscription(
        pk=7, reason="HIS", criteria="Patient", endpoint="https://his.example.nl/", secret="x"
    )
    resource = subscription.as_fhir(secret=True)
    [ext] = resource["extension"]
    response = client.get(path_of(ext["url"]))
    assert response.status_code == 200
    definition = response.json()
    assert definition["url"] == ext["url"]
    assert [c["expression"] for c in definition["context"]] == ["Subscription"]
    elements = {e["id"]: e for e in definition["differential"]["element"]}
    assert elements["Extension.value[x]"]["type"] == [{"code": "string"}]
    assert "valueString" in ext


# --- every error is an OperationOutcome ------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "address",
    [
        "Patient/resident-{pk}",
        "Patient/resident-{pk}/$everything",
        "CodeSystem/team-role",
        "StructureDefinition/step-change",
        "NamingSystem/resident-id",
    ],
)
def test_a_method_other_than_get_is_405_as_an_operation_outcome(daalhof, janssen, method, address):
    url = "/fhir/" + address.format(pk=janssen.pk)
    response = getattr(api_as(daalhof.gp), method)(url, {"resourceType": "Patient"}, format="json")
    assert_outcome(response, 405, "not-supported")
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "/fhir/Patient/resident-1%00",
        "/fhir/Patient/resident-1/$everything?type=%00",
        "/fhir/CodeSystem/team-role?x=a%00b",
        "/fhir/Subscription?status=%00",
    ],
)
def test_a_nul_in_a_fhir_address_is_a_400_operation_outcome(client, daalhof, address):
    """The NUL guard (`frontend.input_guard`) answers a FHIR client as FHIR, in Dutch."""
    body = assert_outcome(api_as(daalhof.gp).get(address), 400, "invalid")
    [issue] = body["issue"]
    assert issue["diagnostics"] == "Het adres bevat een NUL-teken; dat is niet toegestaan."
    assert_outcome(client.get(address), 400, "invalid")


def test_the_read_views_are_fhir_views_by_drfs_public_hooks():
    """APIView subclasses with DRF's documented hooks (renderer, content negotiation,
    `get_exception_handler`), not a function view whose wrapped class is patched."""
    views = (
        fhir_views.read, fhir_views.everything, fhir_views.code_system,
        fhir_views.structure_definition, fhir_views.naming_system,
    )  # fmt: skip
    for view in views:
        view_class = view.view_class  # (Django's as_view(): the class it was made from)
        assert issubclass(view_class, fhir_views.FhirView), view_class
        assert view_class().get_exception_handler() is fhir_views.outcome_exception_handler
    assert issubclass(fhir_views.code_system.view_class, fhir_views.PublicFhirView)
    assert not issubclass(fhir_views.read.view_class, fhir_views.PublicFhirView)


def test_outcome_response_answers_from_anywhere_as_fhir():
    """The one builder, for the Subscription views and the middleware."""
    response = fhir_views.outcome_response(400, {"channel.endpoint": ["Geen https."]}, code="value")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/fhir+json"
    body = json.loads(response.content)
    assert body == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "value",
                "diagnostics": "Geen https.",
                "expression": ["channel.endpoint"],
            }
        ],
    }
    get_fhir_model_class("OperationOutcome").model_validate(body)
    assert json.loads(fhir_views.outcome_response(413, "Te groot.").content)["issue"] == [
        {"severity": "error", "code": "too-long", "diagnostics": "Te groot."}
    ]
