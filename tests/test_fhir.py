"""The FHIR R4 export: valid resources, references that resolve, nothing lost, nothing extra,
and a fixed number of queries however many residents are exported."""

from __future__ import annotations

import datetime
import itertools
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from clients.models import Assessment, Carer, CarerLink, Resident
from clients.services import raise_concern, record_assessment, record_consent
from demo import region as demo
from steps import meetings
from steps.fhir import export_bundle
from steps.fhir.codes import (
    CS_INSTRUMENT,
    CS_STATE,
    CS_TEAM_ROLE,
    EXT_STEP_CHANGE,
    KERNTEAM,
    naming_system,
)
from steps.models import AgreedAction, Goal, StepChange, Trajectory
from steps.services import (
    add_goal,
    agree_action,
    complete_action,
    confirm_step_up,
    move_resident,
    signal_resident,
)
from tests.factories import carer_for, open_meeting, score
from tests.helpers import export_reader

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000/fhir/"  # settings.KERNTEAM_FHIR_BASE (default)
# One query for the residents (with trajectory, team and coordinator), one per prefetched
# relation: history (with each move's outcome event), memberships, carer links, goals, actions,
# assessments, consents; one for the practitioners' identifiers (AGB, UZI); one each for the
# care records (`steps.fhir.care`): PZP versions, medication reviews, outcome events, referrals
# with their offer, own-goal versions. The reader's roles are known (as in an API request).
QUERIES = 14

# Codes from required bindings, which fhir.resources does not check.
REQUIRED_CODES = {
    ("EpisodeOfCare", "status"): {
        "planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"
    },
    ("CareTeam", "status"): {"proposed", "active", "suspended", "inactive", "entered-in-error"},
    ("CarePlan", "status"): {
        "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"
    },
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Goal", "lifecycleStatus"): {
        "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled",
        "entered-in-error", "rejected",
    },
    ("Task", "status"): {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    },
    ("Task", "intent"): {
        "unknown", "proposal", "plan", "order", "original-order", "reflex-order",
        "filler-order", "instance-order", "option",
    },
    ("Observation", "status"): {
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown",
    },
    ("Consent", "status"): {
        "draft", "proposed", "active", "rejected", "inactive", "entered-in-error"
    },
}  # fmt: skip


# --- helpers ----------------------------------------------------------------------------------


def export(residents=None, *, reader=None) -> dict:
    if residents is None:
        residents = Resident.objects.all()
    return export_bundle(residents=residents, reader=reader or export_reader(residents))


def of_type(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def by_id(bundle: dict, resource_type: str) -> dict[str, dict]:
    return {r["id"]: r for r in of_type(bundle, resource_type)}


def by_prefix(bundle: dict, resource_type: str, prefix: str) -> dict[str, dict]:
    return {key: r for key, r in by_id(bundle, resource_type).items() if key.startswith(prefix)}


def references(node) -> list[str]:
    """Every `reference` anywhere in `node`."""
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    return []


def ref(resource_type: str, resource_id: str) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def moves(episode: dict) -> list[dict]:
    """The step-change extensions as {sub-url: value}."""
    result = []
    for ext in episode.get("extension", []):
        if ext["url"] == EXT_STEP_CHANGE:
            parts = {}
            for part in ext["extension"]:
                (key,) = [k for k in part if k.startswith("value")]
                parts[part["url"]] = part[key]
            result.append(parts)
    return result


def moment(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def validate(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


# --- data ---------------------------------------------------------------------------------


@pytest.fixture
def rich(daalhof):
    """A resident taken through the real services: signal, consent, screening, step 2 in a
    meeting, an urgent step-up confirmed in the meeting, an admission and the return home;
    goals and actions in every status, two carers, scores (a half point, a carer's burden),
    a narrowed consent, and a concern (which the export leaves out)."""
    poh, gp, nurse = daalhof.poh, daalhof.gp, daalhof.district_nurse
    resident = signal_resident(
        team=daalhof.team,
        by=poh,
        first_name="Maria",
        last_name="van den Berg",
        date_of_birth=datetime.date(1938, 3, 14),
        reason="Valt vaak, woont alleen",
    )
    resident.coordinator = poh
    resident.save(update_fields=["coordinator"])
    record_consent(
        resident=resident, by=poh, given_on=timezone.localdate(), disciplines=["gp", "poh"]
    )
    move(resident, "start_screening", "signalled", by=poh)
    record_assessment(
        resident=resident, by=poh, instrument="gfi", score=Decimal(6),
        assessed_on=timezone.localdate(),
    )  # fmt: skip
    record_assessment(
        resident=resident, by=gp, instrument="isar_pc", score=Decimal("2.5"),
        assessed_on=timezone.localdate(),
    )  # fmt: skip
    walking = add_goal(resident=resident, by=poh, domain="functional", description="Veilig lopen")
    company = add_goal(resident=resident, by=poh, domain="social", description="Minder eenzaam")
    Goal.objects.filter(pk=company.pk).update(status=Goal.Status.ACHIEVED)
    housing = add_goal(resident=resident, by=gp, domain="housing", description="Traplift")
    Goal.objects.filter(pk=housing.pk).update(status=Goal.Status.DROPPED)
    first = open_meeting(daalhof.team, daalhof.coordinator)
    move(resident, "assign_step2", "screening", by=gp, reason="GFI 6")  # (in that meeting)
    meetings.close_meeting(meeting=first, by=daalhof.coordinator)
    urgent = move(resident, "step_up_to_3", "step2", by=nurse, reason="Twee keer gevallen")
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    confirm_step_up(resident=resident, by=gp, step_up=urgent)
    move(resident, "admit", "step3", by=nurse, reason="Heupfractuur")
    move(resident, "return_home", "admitted", by=nurse, reason="Terug uit het ELV")

    daughter = carer_for(resident, username="thea")
    neighbour = Carer.objects.create(
        first_name="Jo", last_name="Bemelmans", phone="043 123 4567", email="jo@example.nl"
    )
    CarerLink.objects.create(carer=neighbour, resident=resident, relationship="neighbour")
    Assessment.objects.create(
        resident=resident, instrument="ediz_plus", score=10, assessed_by=poh, carer=daughter
    )
    agree_action(
        resident=resident, by=poh, description="Valpreventie aanvragen",
        due_on=timezone.localdate() + datetime.timedelta(days=14), owner_member=nurse,
        goal=walking, meeting=meeting,
    )  # fmt: skip
    shopping = agree_action(
        resident=resident, by=poh, description="Boodschappen op dinsdag",
        due_on=timezone.localdate() + datetime.timedelta(days=7), owner_carer=daughter,
    )  # fmt: skip
    complete_action(action=shopping, by=poh)
    gone = agree_action(
        resident=resident, by=gp, description="Rollator bestellen",
        due_on=timezone.localdate(), owner_member=daalhof.welfare, shared_with_carers=True,
    )  # fmt: skip
    AgreedAction.objects.filter(pk=gone.pk).update(status=AgreedAction.Status.CANCELLED)
    record_consent(
        resident=resident, by=poh, given_on=timezone.localdate(),
        disciplines=["gp", "poh", "district_nurse"], share_with_carers=True,
    )  # fmt: skip
    raise_concern(resident=resident, by=daughter.user, text="Zij eet slecht, GEHEIM-7731")
    return resident


def move(
    resident, transition: str, expected: str, *, by, reason="", meeting=None, closure_reason=""
) -> StepChange:
    return move_resident(
        resident=resident,
        transition=transition,
        expected_state=expected,
        by=by,
        reason=reason,
        meeting=meeting,
        closure_reason=closure_reason,
    )


@pytest.fixture
def demo_team():
    """One demo team with full histories, care plans, carers and scores."""
    options = demo.SeedOptions(today=datetime.date(2026, 10, 1), teams=1, residents_per_team=10)
    demo.seed(options, log=lambda _line: None)
    return Resident.objects.filter(team__slug=demo.TEAMS[0].slug)


# --- validity ---------------------------------------------------------------------------------


def test_the_bundle_and_every_resource_validate_with_fhir_resources(rich, resident_in):
    resident_in("closed")
    bundle = export()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    Bundle.model_validate(bundle)
    types = set()
    for entry in bundle["entry"]:
        validate(entry["resource"])
        types.add(entry["resource"]["resourceType"])
    assert types == {
        "Patient", "EpisodeOfCare", "CareTeam", "CarePlan", "Goal", "Task", "Observation",
        "Consent", "Practitioner", "RelatedPerson",
        "Encounter",  # (her admission's outcome event: `steps.fhir.care`)
    }  # fmt: skip


BREAKAGES = {  # the element each breakage breaks, and how
    "Patient": ("birthDate", lambda r: r.update(birthDate="14-03-1938")),
    "Practitioner": ("name", lambda r: r.update(name="Dr. Peters")),
    "RelatedPerson": ("patient", lambda r: r.pop("patient")),
    "EpisodeOfCare": ("status", lambda r: r.pop("status")),
    "CareTeam": ("subject", lambda r: r.update(subject="Patient/resident-1")),
    "CarePlan": ("subject", lambda r: r.pop("subject")),
    "Goal": ("lifecycleStatus", lambda r: r.pop("lifecycleStatus")),
    "Task": ("intent", lambda r: r.pop("intent")),
    "Observation": ("code", lambda r: r.pop("code")),
    "Consent": ("scope", lambda r: r.pop("scope")),
}


@pytest.mark.parametrize("resource_type", sorted(BREAKAGES))
def test_validation_fails_on_a_broken_resource(rich, resource_type):
    """The validation above can fail: a broken copy of each type is refused, alone and in a
    bundle, and so is an element FHIR does not have; each for the element broken."""
    bundle = export()
    resource = json.loads(json.dumps(of_type(bundle, resource_type)[0]))
    validate(resource)
    extra = {**resource, "kernteamNote": "x"}
    element, breakage = BREAKAGES[resource_type]
    breakage(resource)
    for broken, wrong in ((resource, element), (extra, "kernteamNote")):
        with pytest.raises(ValidationError) as alone:
            validate(broken)
        assert [error["loc"] for error in alone.value.errors()] == [(wrong,)]
        with pytest.raises(ValidationError) as bundled:
            Bundle.model_validate({**bundle, "entry": [{"fullUrl": "urn:x", "resource": broken}]})
        assert [error["loc"] for error in bundled.value.errors()] == [
            ("entry", 0, "resource", wrong)
        ]


def test_codes_of_required_bindings_are_valid(rich, resident_in):
    for state in ("signalled", "screening", "step1", "step4", "admitted", "closed"):
        resident_in(state)
    bundle = export()
    for (resource_type, element), allowed in REQUIRED_CODES.items():
        values = {r[element] for r in of_type(bundle, resource_type)}
        assert values and values <= allowed, (resource_type, element, values)


def test_the_bundle_is_plain_json(rich):
    bundle = export()
    assert json.loads(json.dumps(bundle)) == bundle


def test_every_reference_resolves_to_an_entry(rich, resident_in):
    resident_in("step1")
    bundle = export()
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}{resource['resourceType']}/{resource['id']}"
    found = references(bundle)
    assert len(found) > 50
    for reference in found:
        assert f"{BASE}{reference}" in full_urls, reference


# --- round trip -------------------------------------------------------------------------------


def test_every_move_survives_the_round_trip(rich):
    bundle = export()
    (episode,) = of_type(bundle, "EpisodeOfCare")
    history = list(StepChange.objects.filter(trajectory__resident=rich).order_by("at", "pk"))
    exported = moves(episode)
    assert len(exported) == len(history) == 7
    for change, parts in zip(history, exported, strict=True):
        assert parts["identifier"] == {
            "system": naming_system("step-change-id"),
            "value": str(change.pk),
        }
        assert parts["kind"]["code"] == change.kind
        assert parts.get("from", {}).get("code", "") == change.from_state
        assert parts["to"]["code"] == change.to_state
        assert moment(parts["at"]) == change.at
        assert parts["actor"] == ref("Practitioner", f"practitioner-{change.actor_id}")
        assert parts.get("actorRole", {}).get("code", "") == change.actor_role
        assert parts.get("reason", "") == change.reason
        meeting = parts.get("meeting", {}).get("identifier", {}).get("value")
        assert meeting == (str(change.meeting_id) if change.meeting_id else None)
        confirms = parts.get("confirms", {}).get("value")
        assert confirms == (str(change.confirms_id) if change.confirms_id else None)
    assert [m["kind"]["code"] for m in exported] == [
        "signal", "screen", "enter", "step_up", "confirm", "admit", "return"
    ]  # fmt: skip


def test_the_status_history_follows_the_moves(rich):
    (episode,) = of_type(export(), "EpisodeOfCare")
    history = list(StepChange.objects.filter(trajectory__resident=rich).order_by("at", "pk"))
    assert episode["status"] == "active"
    assert episode["type"][0]["coding"][0]["code"] == "step3"
    assert [h["status"] for h in episode["statusHistory"]] == [
        "planned", "active", "onhold", "active"
    ]  # fmt: skip
    periods = [h["period"] for h in episode["statusHistory"]]
    assert moment(periods[0]["start"]) == history[0].at
    for before, after in itertools.pairwise(periods):
        assert before["end"] == after["start"]
    assert "end" not in periods[-1]
    assert moment(episode["period"]["start"]) == history[0].at
    assert episode["careManager"] == ref("Practitioner", f"practitioner-{rich.coordinator_id}")
    assert episode["team"] == [ref("CareTeam", f"careteam-resident-{rich.pk}")]


def test_goals_actions_scores_and_consents_survive_the_round_trip(rich, daalhof):
    bundle = export()
    goals = by_id(bundle, "Goal")
    assert set(goals) == {f"goal-{g.pk}" for g in rich.goals.all()}
    lifecycle = {"open": "active", "achieved": "completed", "dropped": "cancelled"}
    for goal in rich.goals.all():
        exported = goals[f"goal-{goal.pk}"]
        assert exported["lifecycleStatus"] == lifecycle[goal.status]
        assert exported["description"]["text"] == goal.description
        assert exported["category"][0]["coding"][0]["code"] == goal.domain
    achieved = goals[f"goal-{rich.goals.get(status='achieved').pk}"]
    assert achieved["achievementStatus"]["coding"][0]["code"] == "achieved"

    tasks = by_id(bundle, "Task")
    assert set(tasks) == {f"action-{a.pk}" for a in rich.actions.all()}
    status = {"open": "requested", "done": "completed", "cancelled": "cancelled"}
    for action in rich.actions.all():
        task = tasks[f"action-{action.pk}"]
        assert task["status"] == status[action.status]
        assert task["description"] == action.description
        assert task["restriction"]["period"]["end"] == action.due_on.isoformat()
        assert task["basedOn"] == [ref("CarePlan", f"careplan-resident-{rich.pk}")]
        assert task["for"] == ref("Patient", f"resident-{rich.pk}")
        if action.owner_member_id:
            assert task["owner"] == ref("Practitioner", f"practitioner-{action.owner_member_id}")
        else:
            owner = f"carer-{action.owner_carer_id}-resident-{rich.pk}"
            assert task["owner"] == ref("RelatedPerson", owner)
        if action.done_at:
            assert moment(task["executionPeriod"]["end"]) == action.done_at
        else:
            assert "executionPeriod" not in task
        if action.goal_id:
            assert task["reasonReference"] == ref("Goal", f"goal-{action.goal_id}")
    (plan,) = of_type(bundle, "CarePlan")
    assert plan["status"] == "active"
    assert sorted(a["reference"]["reference"] for a in plan["activity"]) == sorted(
        f"Task/{key}" for key in tasks
    )
    assert sorted(g["reference"] for g in plan["goal"]) == sorted(f"Goal/{key}" for key in goals)

    observations = by_id(bundle, "Observation")
    assert set(observations) == {f"assessment-{a.pk}" for a in rich.assessments.all()}
    for assessment in rich.assessments.all():
        observation = observations[f"assessment-{assessment.pk}"]
        assert Decimal(str(observation["valueQuantity"]["value"])) == assessment.score
        assert observation["effectiveDateTime"] == assessment.assessed_on.isoformat()
        flag = observation["interpretation"][0]["coding"][0]["code"]
        assert flag == ("H" if assessment.above_cutoff else "N")
        codes = {(c["system"], c["code"]) for c in observation["code"]["coding"]}
        assert (CS_INSTRUMENT, assessment.instrument) in codes
        performer = ref("Practitioner", f"practitioner-{assessment.assessed_by_id}")
        assert observation["performer"] == [performer]
    half = next(o for o in observations.values() if o["code"]["text"] == "ISAR-PC")
    assert half["valueQuantity"]["value"] == 2.5
    burden = next(o for o in observations.values() if o["code"]["text"] == "EDIZ-plus")
    carer = rich.assessments.get(instrument="ediz_plus").carer_id
    assert burden["focus"] == [ref("RelatedPerson", f"carer-{carer}-resident-{rich.pk}")]

    consents = by_id(bundle, "Consent")
    assert set(consents) == {f"consent-{c.pk}" for c in rich.consents.all()}
    for record in rich.consents.all():
        exported = consents[f"consent-{record.pk}"]
        assert exported["status"] == ("inactive" if record.withdrawn_at else "active")
        assert exported["provision"]["type"] == "deny"
        rules = exported["provision"]["provision"]
        permitted = [
            coding["code"]
            for rule in rules
            if rule["type"] == "permit"
            for actor in rule["actor"]
            for coding in actor["role"]["coding"]
            if coding["system"].endswith("/team-role")
        ]
        assert permitted == record.disciplines
        carers = rules[-1]
        assert carers["actor"][0]["role"]["coding"][0]["code"] == "407542009"
        assert carers["type"] == ("permit" if record.share_with_carers else "deny")


def test_the_care_team_holds_the_active_members_and_linked_carers(rich, daalhof):
    bundle = export()
    (team,) = of_type(bundle, "CareTeam")
    assert team["name"] == daalhof.team.name and team["status"] == "active"
    assert team["subject"] == ref("Patient", f"resident-{rich.pk}")
    members = {p["member"]["reference"] for p in team["participant"]}
    expected = {f"Practitioner/practitioner-{m.user_id}" for m in daalhof.team.memberships.all()}
    expected |= {f"RelatedPerson/carer-{c.pk}-resident-{rich.pk}" for c in rich.carers.all()}
    assert members == expected
    gp = f"Practitioner/practitioner-{daalhof.gp.pk}"
    (gp_role,) = [p["role"][0] for p in team["participant"] if p["member"]["reference"] == gp]
    codes = [(c["system"], c["code"]) for c in gp_role["coding"]]
    assert codes == [
        ("http://snomed.info/sct", "62247001"),
        ("http://fhir.nl/fhir/NamingSystem/uzi-rolcode", "01.015"),
        (CS_TEAM_ROLE, "gp"),
    ]

    related = by_id(bundle, "RelatedPerson")
    neighbour = next(r for r in related.values() if r["name"][0]["family"] == "Bemelmans")
    relations = {(c["system"], c["code"]) for r in neighbour["relationship"] for c in r["coding"]}
    assert relations == {
        ("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "NBOR"),
        ("urn:oid:2.16.840.1.113883.2.4.3.11.22.472", "19"),
        ("http://snomed.info/sct", "407542009"),
        ("urn:oid:2.16.840.1.113883.2.4.3.11.60.40.4.23.1", "100001"),
    }
    assert neighbour["telecom"] == [
        {"system": "phone", "value": "043 123 4567"},
        {"system": "email", "value": "jo@example.nl"},
    ]
    daughter = next(r for r in related.values() if r["name"][0]["family"] == "Ramakers")
    assert "telecom" not in daughter
    assert daughter["relationship"][0]["coding"][0]["code"] == "CHILD"


def test_a_demo_team_survives_the_round_trip(demo_team):
    residents = list(demo_team)
    assert len(residents) >= 10
    bundle = export(demo_team)
    Bundle.model_validate(bundle)
    episodes = {e["patient"]["reference"]: e for e in of_type(bundle, "EpisodeOfCare")}
    # (the team's goals and scores; the own goal and outcome events map to these types too)
    tasks, goals = by_id(bundle, "Task"), by_prefix(bundle, "Goal", "goal-")
    observations = by_prefix(bundle, "Observation", "assessment-")
    counted = {"moves": 0, "goals": 0, "actions": 0, "scores": 0}
    for resident in residents:
        trajectory = Trajectory.objects.get(resident=resident)
        exported = moves(episodes[f"Patient/resident-{resident.pk}"])
        history = trajectory.history.order_by("at", "pk")
        assert [(m["to"]["code"], moment(m["at"])) for m in exported] == [
            (c.to_state, c.at) for c in history
        ]
        counted["moves"] += len(exported)
        for goal in resident.goals.all():
            assert goals[f"goal-{goal.pk}"]["description"]["text"] == goal.description
            counted["goals"] += 1
        for action in resident.actions.all():
            task = tasks[f"action-{action.pk}"]
            assert (task["description"], task["restriction"]["period"]["end"]) == (
                action.description,
                action.due_on.isoformat(),
            )
            counted["actions"] += 1
        for assessment in resident.assessments.all():
            value = observations[f"assessment-{assessment.pk}"]["valueQuantity"]["value"]
            assert Decimal(str(value)) == assessment.score
            counted["scores"] += 1
    assert counted == {
        "moves": StepChange.objects.filter(trajectory__resident__in=residents).count(),
        "goals": len(goals),
        "actions": len(tasks),
        "scores": len(observations),
    }
    assert all(counted.values())


# --- sharing, privacy, scope ------------------------------------------------------------------


def test_shared_people_appear_once(rich, resident_in):
    other = resident_in("step1")
    daughter = rich.carers.get(last_name="Ramakers")
    CarerLink.objects.create(carer=daughter, resident=other, relationship="grandchild")
    bundle = export()
    practitioners = [r["id"] for r in of_type(bundle, "Practitioner")]
    assert len(practitioners) == len(set(practitioners)) == 7
    related = [
        r for r in of_type(bundle, "RelatedPerson") if r["id"].startswith(f"carer-{daughter.pk}-")
    ]
    assert sorted(r["patient"]["reference"] for r in related) == sorted(
        [f"Patient/resident-{rich.pk}", f"Patient/resident-{other.pk}"]
    )
    # two RelatedPersons, each with an identifier of its own (a server matching by identifier)
    assert [r["identifier"] for r in related] == [
        [{"system": naming_system("related-person-id"), "value": r["id"]}] for r in related
    ]
    codes = {r["patient"]["reference"]: r["relationship"][0]["coding"][0]["code"] for r in related}
    assert codes[f"Patient/resident-{other.pk}"] == "GRNDCHILD"


def test_only_the_given_residents_are_exported(rich, resident_in):
    other = resident_in("step2", last_name="Peters")
    score(other, "gfi", 8, rich.team.memberships.first().user)
    bundle = export(Resident.objects.filter(pk=rich.pk))
    assert {p["id"] for p in of_type(bundle, "Patient")} == {f"resident-{rich.pk}"}
    assert "Peters" not in json.dumps(bundle)
    assert f"resident-{other.pk}" not in json.dumps(bundle)


def test_the_patient_is_minimal_and_concerns_stay_out(rich):
    bundle = export()
    (patient,) = of_type(bundle, "Patient")
    assert set(patient) == {"resourceType", "id", "meta", "identifier", "name", "birthDate"}
    assert patient["identifier"] == [
        {"use": "usual", "system": naming_system("resident-id"), "value": str(rich.pk)}
    ]
    assert patient["name"][0]["family"] == "van den Berg"
    assert patient["name"][0]["given"] == ["Maria"]
    assert patient["birthDate"] == "1938-03-14"
    text = json.dumps(bundle)
    assert "GEHEIM-7731" not in text
    assert "bsn" not in text.lower()
    for practitioner in of_type(bundle, "Practitioner"):
        assert set(practitioner) <= {"resourceType", "id", "meta", "identifier", "name"}


def test_nl_core_profiles_are_claimed_only_where_they_fit(rich):
    profiles = {
        entry["resource"]["resourceType"]: entry["resource"].get("meta", {}).get("profile")
        for entry in export()["entry"]
    }
    nl_core = "http://nictiz.nl/fhir/StructureDefinition/"
    assert profiles == {
        "Patient": [nl_core + "nl-core-Patient"],
        "Practitioner": [nl_core + "nl-core-HealthProfessional-Practitioner"],
        "RelatedPerson": [nl_core + "nl-core-ContactPerson"],
        "EpisodeOfCare": None,
        "CareTeam": None,
        "CarePlan": None,
        "Goal": None,
        "Task": None,
        "Observation": None,
        "Consent": None,
        "Encounter": None,
    }


@pytest.mark.parametrize(
    ("state", "episode_status", "plan_status"),
    [
        ("signalled", "planned", "active"),
        ("screening", "planned", "active"),
        ("step1", "active", "active"),
        ("step4", "active", "active"),
        ("admitted", "onhold", "active"),
        ("closed", "finished", "completed"),
    ],
)
def test_states_map_to_statuses(resident_in, state, episode_status, plan_status):
    resident_in(state)
    bundle = export()
    (episode,) = of_type(bundle, "EpisodeOfCare")
    (plan,) = of_type(bundle, "CarePlan")
    (team,) = of_type(bundle, "CareTeam")
    assert episode["status"] == episode_status
    state_coding = episode["type"][0]["coding"][0]
    assert state_coding["system"] == CS_STATE == f"{KERNTEAM}CodeSystem/stepped-care-state"
    assert state_coding["code"] == state
    assert plan["status"] == plan_status
    assert team["status"] == ("inactive" if state == "closed" else "active")


def test_a_closed_record_ends_its_episode(rich, daalhof):
    move(rich, "close", "step3", by=daalhof.gp, reason="Overleden", closure_reason="deceased")
    bundle = export()
    (episode,) = of_type(bundle, "EpisodeOfCare")
    last = StepChange.objects.filter(trajectory__resident=rich).latest("at", "pk")
    assert episode["status"] == "finished"
    assert moment(episode["period"]["end"]) == last.at
    assert moves(episode)[-1]["to"]["code"] == "closed"


# --- queries ----------------------------------------------------------------------------------


def test_a_fixed_number_of_queries_for_one_resident_or_many(
    demo_team, rich, django_assert_num_queries
):
    one = Resident.objects.filter(pk=rich.pk)
    many = Resident.objects.filter(pk__in=[rich.pk, *demo_team.values_list("pk", flat=True)])
    assert many.count() >= 11
    reader = export_reader(one)
    with django_assert_num_queries(QUERIES):
        single = export(one, reader=reader)
    with django_assert_num_queries(QUERIES):
        several = export(many, reader=reader)
    assert len(several["entry"]) > 5 * len(single["entry"])
