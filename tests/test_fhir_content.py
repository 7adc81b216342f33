"""Issue 20, §1 "Loadable into a FHIR server": what the export says. Identifiers a server can
match by, Kernteam's systems under the configured base, the Dutch codes (UZI roles, the zib
mantelzorger), practitioners' AGB/UZI, a death, the closure reason, the Consent's deny-first
provision, Dutch name prefixes and a task whose carer is no longer linked."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from fhir.resources.R4B.bundle import Bundle

from clients.models import Carer, CarerLink, Resident
from kernteam.models import Membership
from steps.fhir import codes, export_bundle
from steps.fhir.codes import (
    CS_CLOSURE_REASON,
    EXT_OWN_NAME,
    EXT_OWN_PREFIX,
    EXT_STEP_CHANGE,
    KERNTEAM,
    naming_system,
)
from steps.fhir.context import split_last_name
from steps.models import StepChange, Trajectory
from steps.services import agree_action, move_resident
from tests.factories import MembershipFactory, ResidentFactory, UserFactory, carer_for, give_consent
from tests.helpers import export_reader, run_manage
from tests.test_fhir import BASE, QUERIES, moves, of_type, references, validate

pytestmark = pytest.mark.django_db

UZI_ROLE = "http://fhir.nl/fhir/NamingSystem/uzi-rolcode"
AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"
UZI_PERSON = "http://fhir.nl/fhir/NamingSystem/uzi-nr-pers"
SNOMED = "http://snomed.info/sct"
ZIB_MANTELZORGER = ("urn:oid:2.16.840.1.113883.2.4.3.11.60.40.4.23.1", "100001")


def export(residents=None, bundle_type: str = "collection", *, reader=None) -> dict:
    residents = Resident.objects.all() if residents is None else residents
    reader = reader or export_reader(residents)
    return export_bundle(residents=residents, reader=reader, bundle_type=bundle_type)


def valid(bundle: dict) -> dict:
    """The bundle, checked: valid R4 (fhir.resources), every reference resolves to an entry."""
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    for reference in references(bundle):
        assert f"{BASE}{reference}" in full_urls, reference
    return bundle


def codings(concept: dict) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept["coding"]]


def participant_roles(team: dict, reference: str) -> list[list[tuple[str, str]]]:
    return [
        codings(role)
        for p in team["participant"]
        if p["member"]["reference"] == reference
        for role in p["role"]
    ]


def close(resident, by, reason: str, **event) -> StepChange:
    return move_resident(
        resident=resident,
        transition="close",
        expected_state=resident.trajectory.state,
        by=by,
        reason="Dossier gesloten",
        closure_reason=reason,
        **event,
    )


# --- identifiers a server can match by ------------------------------------------------------


def test_each_care_team_has_an_identifier_of_its_own(daalhof, resident_in):
    """Was `NamingSystem/team|<slug>` on every resident's CareTeam: a server that creates or
    updates by identifier found several and failed."""
    residents = [resident_in(state) for state in ("step1", "step2", "closed")]
    teams = {t["subject"]["reference"]: t for t in of_type(valid(export()), "CareTeam")}
    assert len(teams) == 3
    for resident in residents:
        team = teams[f"Patient/resident-{resident.pk}"]
        assert team["identifier"] == [
            {"system": naming_system("care-team-id"), "value": f"resident-{resident.pk}"}
        ]
        assert team["name"] == daalhof.team.name
    assert daalhof.team.slug not in json.dumps([t["identifier"] for t in teams.values()])


def test_no_two_resources_of_a_type_share_an_identifier(daalhof, resident_in):
    """Over a team bundle: residents with a carer linked to both and a shared staff; the
    identifiers a conditional create or update would match are unique per type."""
    one, two = resident_in("step2"), resident_in("step3")
    carer = carer_for(one)
    CarerLink.objects.create(carer=carer, resident=two, relationship="neighbour")
    for resident in (one, two):
        agree_action(
            resident=resident, by=daalhof.poh, description="Boodschappen",
            due_on=timezone.localdate() + datetime.timedelta(days=7), owner_carer=carer,
        )  # fmt: skip
    gp = Membership.objects.get(team=daalhof.team, user=daalhof.gp)
    Membership.objects.filter(pk=gp.pk).update(agb_code="01123456", uzi_number="123456782")
    bundle = valid(export())
    assert len(of_type(bundle, "RelatedPerson")) == 2
    seen = Counter(
        (e["resource"]["resourceType"], i["system"], i["value"])
        for e in bundle["entry"]
        for i in e["resource"].get("identifier", [])
    )
    assert seen and max(seen.values()) == 1, [key for key, n in seen.items() if n > 1]


# --- the configured canonical base ------------------------------------------------------------


CANONICAL_NAMES = {
    "CS_STATE": "CodeSystem/stepped-care-state",
    "CS_MOVE_KIND": "CodeSystem/step-change-kind",
    "CS_CLOSURE_REASON": "CodeSystem/closure-reason",
    "CS_TEAM_ROLE": "CodeSystem/team-role",
    "CS_INSTRUMENT": "CodeSystem/instrument",
    "CS_DOMAIN": "CodeSystem/goal-domain",
    "CS_CARE_PLAN": "CodeSystem/care-plan-category",
    "EXT_STEP_CHANGE": "StructureDefinition/step-change",
    "EXT_REVIEW_DUE": "StructureDefinition/review-due",
    "EXT_SHARED_WITH_CARERS": "StructureDefinition/shared-with-carers",
}


def test_kernteams_own_systems_live_under_the_configured_base(rich_enough):
    assert KERNTEAM == settings.KERNTEAM_FHIR_BASE == BASE
    for name, path in CANONICAL_NAMES.items():
        assert getattr(codes, name) == f"{BASE}{path}"
    assert naming_system("resident-id") == f"{BASE}NamingSystem/resident-id"
    text = json.dumps(export())
    assert "kernteam.nl" not in text
    assert f'"{BASE}CodeSystem/stepped-care-state"' in text
    assert f'"{BASE}StructureDefinition/step-change"' in text
    assert f'"{BASE}NamingSystem/resident-id"' in text


def test_the_base_is_read_from_the_settings_when_the_module_is_imported():
    """Deploy-time configuration: the module reads KERNTEAM_FHIR_BASE when imported (in a
    process of its own, as a deployment starts one)."""
    script = (
        "from steps.fhir import codes; "
        "print(codes.KERNTEAM, codes.CS_STATE, codes.naming_system('care-team-id'))"
    )
    base = "https://fhir.zuid-limburg.example/kernteam"
    done = run_manage("shell", "-c", script, env={"KERNTEAM_FHIR_BASE": base})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split() == [
        base + "/",
        base + "/CodeSystem/stepped-care-state",
        base + "/NamingSystem/care-team-id",
    ]


# --- codes ----------------------------------------------------------------------------------


def test_uzi_role_codes_by_their_fhir_system_and_the_carers_zib_role(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident)
    bundle = valid(export())
    (team,) = of_type(bundle, "CareTeam")
    gp = participant_roles(team, f"Practitioner/practitioner-{daalhof.gp.pk}")
    assert gp == [
        [
            (SNOMED, "62247001"),
            (UZI_ROLE, "01.015"),
            (f"{BASE}CodeSystem/team-role", "gp"),
        ]
    ]
    physician = daalhof.elderly_care_physician
    (roles,) = participant_roles(team, f"Practitioner/practitioner-{physician.pk}")
    assert roles[0] == (UZI_ROLE, "01.047")
    (carer_role,) = participant_roles(
        team, f"RelatedPerson/carer-{carer.pk}-resident-{resident.pk}"
    )
    assert carer_role == [(SNOMED, "407542009"), ZIB_MANTELZORGER]
    carer_concept = next(
        p["role"][0] for p in team["participant"] if "RelatedPerson" in p["member"]["reference"]
    )
    assert carer_concept["coding"][1]["display"] == "Mantelzorger"
    text = json.dumps(bundle)
    assert "2.16.840.1.113883.2.4.15.111" not in text  # the OID is no system
    (related,) = of_type(bundle, "RelatedPerson")
    assert ZIB_MANTELZORGER in [c for r in related["relationship"] for c in codings(r)]
    (consent,) = of_type(bundle, "Consent")
    carers = consent["provision"]["provision"][-1]
    assert codings(carers["actor"][0]["role"]) == [(SNOMED, "407542009"), ZIB_MANTELZORGER]


# --- practitioners' identifiers -------------------------------------------------------------


def test_practitioners_carry_the_agb_code_and_uzi_number_of_their_memberships(
    daalhof, malberg, resident_in
):
    resident = resident_in("step2")
    resident.coordinator = daalhof.poh
    resident.save(update_fields=["coordinator"])
    gp = Membership.objects.get(team=daalhof.team, user=daalhof.gp)
    gp.agb_code, gp.uzi_number = "01123456", "123456782"
    gp.full_clean()
    gp.save()
    # the same GP on a second team, the same codes (listed once); an ended membership counts
    other = MembershipFactory(
        team=malberg.team, user=daalhof.gp, role="gp", agb_code="01123456",
        ended_on=timezone.localdate(),
    )  # fmt: skip
    other.full_clean()
    poh = Membership.objects.get(team=daalhof.team, user=daalhof.poh)
    Membership.objects.filter(pk=poh.pk).update(uzi_number="987654321")
    practitioners = {p["id"]: p for p in of_type(valid(export()), "Practitioner")}
    assert practitioners[f"practitioner-{daalhof.gp.pk}"]["identifier"] == [
        {"system": AGB, "value": "01123456"},
        {"system": UZI_PERSON, "value": "123456782"},
    ]
    assert practitioners[f"practitioner-{daalhof.poh.pk}"]["identifier"] == [
        {"system": UZI_PERSON, "value": "987654321"}
    ]
    assert "identifier" not in practitioners[f"practitioner-{daalhof.district_nurse.pk}"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("agb_code", "0112345", "An AGB code consists of 8 digits."),
        ("agb_code", "0112345x", "An AGB code consists of 8 digits."),
        ("agb_code", "01-12345", "An AGB code consists of 8 digits."),
        ("uzi_number", "12345678", "A UZI number consists of 9 digits."),
        ("uzi_number", "12345678a", "A UZI number consists of 9 digits."),
    ],
)
def test_a_malformed_agb_code_or_uzi_number_is_refused(daalhof, field, value, message):
    membership = Membership.objects.get(team=daalhof.team, user=daalhof.gp)
    setattr(membership, field, value)
    with translation.override("en"):  # (the messages are lazy: read them in English)
        with pytest.raises(ValidationError) as refused:
            membership.full_clean()
        assert refused.value.message_dict == {field: [message]}


def test_agb_code_and_uzi_number_are_the_persons(daalhof, malberg):
    """Blank is fine; a second membership of the same person has no other code; another person
    has not the same."""
    mine = Membership.objects.get(team=daalhof.team, user=daalhof.gp)
    mine.full_clean()  # both blank
    Membership.objects.filter(pk=mine.pk).update(agb_code="01123456", uzi_number="123456782")
    second = Membership(team=malberg.team, user=daalhof.gp, role="gp")
    second.full_clean()  # blank: fine
    second.agb_code, second.uzi_number = "01123456", "123456782"
    second.full_clean()  # the same: fine
    second.agb_code, second.uzi_number = "01999999", "999999999"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert set(refused.value.message_dict) == {"agb_code", "uzi_number"}
    assert "has AGB code 01123456 on Kernteam Daalhof" in refused.value.message_dict["agb_code"][0]
    other = Membership.objects.get(team=malberg.team, user=malberg.gp)
    other.agb_code = "01123456"
    with translation.override("en"), pytest.raises(ValidationError) as taken:
        other.full_clean()
    assert taken.value.message_dict == {
        "agb_code": [
            f"This AGB code is recorded for another person ({daalhof.gp.get_full_name()})."
        ]
    }


def test_the_admin_shows_and_checks_the_identifiers(admin_client, daalhof):
    membership = Membership.objects.get(team=daalhof.team, user=daalhof.gp)
    url = reverse("admin:kernteam_membership_change", args=[membership.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {"agb_code", "uzi_number"} <= set(form.fields)
    data = {
        name: form.initial.get(name) or "" for name in form.fields if name not in ("user", "team")
    }
    data |= {"team": daalhof.team.pk, "user": daalhof.gp.pk, "agb_code": "123"}
    with translation.override("en"):
        refused = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["agb_code"]
    data["agb_code"] = "01123456"
    assert admin_client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.agb_code == "01123456"
    team_page = admin_client.get(reverse("admin:kernteam_team_change", args=[daalhof.team.pk]))
    assert b"agb_code" in team_page.content and b"uzi_number" in team_page.content


# --- a death --------------------------------------------------------------------------------


def test_closing_as_deceased_gives_the_date_of_death(daalhof, resident_in):
    resident = resident_in("step3")
    died = timezone.localdate() - datetime.timedelta(days=2)
    close(resident, daalhof.gp, "deceased", event_on=died, event_place="home")
    (patient,) = of_type(valid(export()), "Patient")
    assert patient["deceasedDateTime"] == died.isoformat()
    assert "deceasedBoolean" not in patient


def test_a_death_on_record_before_the_close_gives_its_date(daalhof, resident_in):
    from steps.outcome_services import record_event

    resident = resident_in("step4")
    died = timezone.localdate() - datetime.timedelta(days=5)
    record_event(resident=resident, by=daalhof.poh, kind="death", occurred_on=died, place="home")
    close(resident, daalhof.gp, "deceased")
    (patient,) = of_type(valid(export()), "Patient")
    assert patient["deceasedDateTime"] == died.isoformat()


def test_a_death_without_a_recorded_date_is_deceased_true(daalhof):
    """A record closed as deceased before outcome events were kept: no event, no date."""
    resident = legacy_closed(daalhof, closure_reason="deceased", row_reason="deceased")
    (patient,) = of_type(valid(export(Resident.objects.filter(pk=resident.pk))), "Patient")
    assert patient["deceasedBoolean"] is True
    assert "deceasedDateTime" not in patient


@pytest.mark.parametrize("reason", ["moved", "nursing_home", "no_longer_needed"])
def test_other_closures_and_open_records_say_nothing_of_death(daalhof, resident_in, reason):
    closed, open_ = resident_in("step2"), resident_in("step2")
    close(closed, daalhof.gp, reason)
    patients = of_type(valid(export()), "Patient")
    assert {p["id"] for p in patients} == {f"resident-{closed.pk}", f"resident-{open_.pk}"}
    for patient in patients:
        assert not {"deceasedBoolean", "deceasedDateTime"} & set(patient)


def test_a_record_reopened_after_closing_as_deceased_is_alive_again(daalhof, resident_in):
    resident = resident_in("step2")
    close(resident, daalhof.gp, "deceased", event_place="home")
    assert "deceasedDateTime" in of_type(export(), "Patient")[0]
    move_resident(
        resident=resident, transition="reopen", expected_state="closed", by=daalhof.gp,
        reason="Verkeerde cliënt gesloten",
    )  # fmt: skip
    (patient,) = of_type(valid(export()), "Patient")
    assert not {"deceasedBoolean", "deceasedDateTime"} & set(patient)


# --- the closure reason -----------------------------------------------------------------------


def legacy_closed(team, *, closure_reason: str, row_reason: str = "", earlier: bool = False):
    """A record closed as an older database holds it: the trajectory knows its closure reason,
    its close row (written before rows carried one) may not. `earlier`: closed once before,
    reopened, without a reason on that first close either."""
    resident = ResidentFactory(team=team.team, state="closed")
    Trajectory.objects.filter(resident=resident).update(closure_reason=closure_reason)
    trajectory = Trajectory.objects.get(resident=resident)
    start = timezone.now() - datetime.timedelta(days=200)
    rows = [("signal", "", "signalled", ""), ("screen", "signalled", "screening", "")]
    if earlier:
        rows += [("close", "screening", "closed", ""), ("reopen", "closed", "signalled", "")]
        rows += [("screen", "signalled", "screening", "")]
    rows += [("close", "screening", "closed", row_reason)]
    for day, (kind, source, target, reason) in enumerate(rows):
        StepChange.objects.create(
            trajectory=trajectory, kind=kind, from_state=source, to_state=target,
            actor=team.gp, at=start + datetime.timedelta(days=day), closure_reason=reason,
        )  # fmt: skip
    return resident


def closure_reasons(episode: dict) -> list[tuple[str, str] | None]:
    """Per close move: its closureReason as (system, code), or None."""
    return [
        (m["closureReason"]["system"], m["closureReason"]["code"]) if "closureReason" in m else None
        for m in moves(episode)
        if m["kind"]["code"] == "close"
    ]


def test_every_closed_episode_of_the_demo_region_carries_its_closure_reason():
    call_command("seed_demo", "--today", "2026-10-01", stdout=StringIO())
    closed = Trajectory.objects.filter(state="closed").select_related("resident")
    assert closed.count() >= 20
    bundle = export(Resident.objects.filter(trajectory__state="closed"))
    episodes = {e["patient"]["reference"]: e for e in of_type(bundle, "EpisodeOfCare")}
    assert len(episodes) == closed.count()
    for trajectory in closed:
        episode = episodes[f"Patient/resident-{trajectory.resident_id}"]
        assert episode["status"] == "finished"
        last = moves(episode)[-1]
        assert last["kind"]["code"] == "close"
        assert last["closureReason"]["system"] == CS_CLOSURE_REASON
        assert last["closureReason"]["code"] == trajectory.closure_reason != ""
        assert None not in closure_reasons(episode)
    reasons = {e["patient"]["reference"]: closure_reasons(e)[-1][1] for e in episodes.values()}
    assert set(reasons.values()) == {"deceased", "moved", "nursing_home", "consent_withdrawn",
                                     "no_longer_needed"}  # fmt: skip


def test_a_close_row_without_a_reason_takes_the_trajectorys_or_says_unknown(daalhof):
    """Rows written before close rows carried their reason (the history is append-only: they
    stay as they are): the close in force takes the trajectory's reason; an earlier close
    without one says it is not known (v3-NullFlavor UNK), never nothing."""
    plain = legacy_closed(daalhof, closure_reason="moved")
    twice = legacy_closed(daalhof, closure_reason="nursing_home", earlier=True)
    own = legacy_closed(daalhof, closure_reason="moved", row_reason="no_longer_needed")
    bundle = valid(export())
    episodes = {e["patient"]["reference"]: e for e in of_type(bundle, "EpisodeOfCare")}
    unknown = ("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK")
    assert closure_reasons(episodes[f"Patient/resident-{plain.pk}"]) == [
        (CS_CLOSURE_REASON, "moved")
    ]
    assert closure_reasons(episodes[f"Patient/resident-{twice.pk}"]) == [
        unknown,
        (CS_CLOSURE_REASON, "nursing_home"),
    ]
    # the row's own reason is what was decided then: it stands
    assert closure_reasons(episodes[f"Patient/resident-{own.pk}"]) == [
        (CS_CLOSURE_REASON, "no_longer_needed")
    ]
    for episode in episodes.values():
        for move in moves(episode):
            if move["kind"]["code"] != "close":
                assert "closureReason" not in move


# --- consent ----------------------------------------------------------------------------------


@pytest.mark.parametrize("share_with_carers", [True, False])
def test_the_consent_denies_first_and_permits_by_nested_rules(
    daalhof, resident_in, share_with_carers
):
    from clients.services import record_consent

    resident = resident_in("step2", consent=False)
    record_consent(
        resident=resident, by=daalhof.poh, given_on=timezone.localdate(),
        disciplines=["gp", "district_nurse"], share_with_carers=share_with_carers,
    )  # fmt: skip
    (consent,) = of_type(valid(export()), "Consent")
    provision = consent["provision"]
    assert provision["type"] == "deny"
    assert provision["period"]["start"] == timezone.localdate().isoformat()
    *disciplines, carers = provision["provision"]
    assert [rule["type"] for rule in disciplines] == ["permit", "permit"]
    permitted = [codings(rule["actor"][0]["role"])[-1][1] for rule in disciplines]
    assert sorted(permitted) == ["district_nurse", "gp"]
    for rule in provision["provision"]:
        assert rule["actor"][0]["reference"] == {
            "reference": f"CareTeam/careteam-resident-{resident.pk}"
        }
    assert carers["type"] == ("permit" if share_with_carers else "deny")


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_name", "prefix", "own_name"),
    [
        ("van der Berg", "van der", "Berg"),
        ("Van Der Berg", "Van Der", "Berg"),
        ("van den Berg", "van den", "Berg"),
        ("van Dijk", "van", "Dijk"),
        ("de Vries", "de", "Vries"),
        ("De Jong", "De", "Jong"),
        ("van 't Hek", "van 't", "Hek"),
        ("in 't Veld", "in 't", "Veld"),
        ("in \u2019t Veld", "in \u2019t", "Veld"),
        ("ten Brink", "ten", "Brink"),
        ("ter Horst", "ter", "Horst"),
        ("van de Ven", "van de", "Ven"),
        ("van der Heijden-Smeets", "van der", "Heijden-Smeets"),
        ("Jansen", "", "Jansen"),
        ("Vandenberg", "", "Vandenberg"),
        ("Janssen-van Dijk", "", "Janssen-van Dijk"),
        ("de", "", "de"),
        ("Van", "", "Van"),
        ("van der", "", "van der"),
        ("Ter", "", "Ter"),
    ],
)
def test_a_dutch_last_name_splits_into_prefix_and_own_name(last_name, prefix, own_name):
    assert split_last_name(last_name) == (prefix, own_name)


def test_names_with_a_prefix_carry_the_nl_core_own_prefix_and_own_name(daalhof):
    resident = ResidentFactory(team=daalhof.team, state="step1", last_name="van der Berg")
    give_consent(resident, daalhof.poh)
    plain = ResidentFactory(team=daalhof.team, state="step1", last_name="Bemelmans")
    give_consent(plain, daalhof.poh)
    daalhof.gp.last_name = "in 't Veld"
    daalhof.gp.save(update_fields=["last_name"])
    carer = Carer.objects.create(first_name="Jo", last_name="ten Brink")
    CarerLink.objects.create(carer=carer, resident=resident, relationship="friend")
    bundle = valid(export())
    patients = {p["id"]: p["name"][0] for p in of_type(bundle, "Patient")}
    practitioners = {p["id"]: p["name"][0] for p in of_type(bundle, "Practitioner")}
    (related,) = of_type(bundle, "RelatedPerson")
    for name, family, prefix, own in (
        (patients[f"resident-{resident.pk}"], "van der Berg", "van der", "Berg"),
        (practitioners[f"practitioner-{daalhof.gp.pk}"], "in 't Veld", "in 't", "Veld"),
        (related["name"][0], "ten Brink", "ten", "Brink"),
    ):
        assert name["family"] == family
        assert name["_family"] == {
            "extension": [
                {"url": EXT_OWN_PREFIX, "valueString": prefix},
                {"url": EXT_OWN_NAME, "valueString": own},
            ]
        }
    assert EXT_OWN_PREFIX == "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
    assert EXT_OWN_NAME == "http://hl7.org/fhir/StructureDefinition/humanname-own-name"
    assert "_family" not in patients[f"resident-{plain.pk}"]
    assert patients[f"resident-{plain.pk}"]["family"] == "Bemelmans"


# --- a carer whose link has ended -----------------------------------------------------------


def test_a_task_of_a_carer_whose_link_ended_says_so(daalhof, resident_in):
    resident = resident_in("step2")
    thea = carer_for(resident)  # Thea Ramakers, daughter
    jo = Carer.objects.create(first_name="Jo", last_name="van Dijk")
    CarerLink.objects.create(carer=jo, resident=resident, relationship="neighbour")
    due = timezone.localdate() + datetime.timedelta(days=7)
    tasks = {
        carer.pk: agree_action(
            resident=resident, by=daalhof.poh, description=f"Boodschappen {carer.first_name}",
            due_on=due, owner_carer=carer,
        )
        for carer in (thea, jo)
    }  # fmt: skip
    ended = timezone.localdate() - datetime.timedelta(days=1)
    CarerLink.objects.filter(carer=thea, resident=resident).update(ended_on=ended)

    bundle = valid(export())
    by_id = {r["id"]: r for r in of_type(bundle, "Task")}
    gone = by_id[f"action-{tasks[thea.pk].pk}"]["owner"]
    assert gone == {
        "reference": f"RelatedPerson/carer-{thea.pk}-resident-{resident.pk}",
        "display": f"Thea Ramakers (link ended {ended.isoformat()})",
    }
    still = by_id[f"action-{tasks[jo.pk].pk}"]["owner"]
    assert still == {"reference": f"RelatedPerson/carer-{jo.pk}-resident-{resident.pk}"}
    related = {r["id"]: r for r in of_type(bundle, "RelatedPerson")}
    former = related[f"carer-{thea.pk}-resident-{resident.pk}"]
    assert former["active"] is False
    assert former["period"]["end"] == ended.isoformat()
    assert related[f"carer-{jo.pk}-resident-{resident.pk}"]["active"] is True
    (team,) = of_type(bundle, "CareTeam")
    members = {p["member"]["reference"] for p in team["participant"]}
    assert f"RelatedPerson/carer-{thea.pk}-resident-{resident.pk}" not in members
    assert f"RelatedPerson/carer-{jo.pk}-resident-{resident.pk}" in members


def test_a_carer_linked_again_is_active_again(daalhof, resident_in):
    resident = resident_in("step2")
    thea = carer_for(resident)
    agree_action(
        resident=resident, by=daalhof.poh, description="Boodschappen",
        due_on=timezone.localdate(), owner_carer=thea,
    )  # fmt: skip
    CarerLink.objects.filter(carer=thea).update(
        ended_on=timezone.localdate() - datetime.timedelta(days=30),
        since=timezone.localdate() - datetime.timedelta(days=60),
    )
    CarerLink.objects.create(carer=thea, resident=resident, relationship="daughter")
    bundle = valid(export())
    (task,) = of_type(bundle, "Task")
    assert "display" not in task["owner"]
    (related,) = of_type(bundle, "RelatedPerson")
    assert related["active"] is True and "end" not in related["period"]


# --- everything together: valid, resolvable, loadable, a fixed number of queries ---------------


@pytest.fixture
def rich_enough(daalhof, malberg, resident_in):
    """Residents that use every mapping of this file: a name with a prefix, a death, a closure
    without a reason on its row, practitioners with AGB/UZI, a carer of two residents whose
    link to one ended, with a task."""
    one = resident_in("step3", last_name="van 't Hek")
    two = resident_in("step2")
    close(resident_in("step4"), daalhof.gp, "deceased", event_place="hospice")
    legacy_closed(daalhof, closure_reason="deceased")  # no event, no reason on its row
    carer = carer_for(one)
    CarerLink.objects.create(carer=carer, resident=two, relationship="neighbour")
    agree_action(
        resident=one, by=daalhof.poh, description="Boodschappen",
        due_on=timezone.localdate(), owner_carer=carer,
    )  # fmt: skip
    CarerLink.objects.filter(carer=carer, resident=one).update(ended_on=timezone.localdate())
    Membership.objects.filter(user=daalhof.gp).update(agb_code="01123456")
    Membership.objects.filter(user=daalhof.poh).update(uzi_number="123456782")
    MembershipFactory(team=malberg.team, user=daalhof.gp, role="gp", agb_code="01123456")
    return Resident.objects.filter(team=daalhof.team)


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_the_new_content_is_valid_r4_and_every_reference_resolves(rich_enough, bundle_type):
    bundle = valid(export(rich_enough, bundle_type=bundle_type))
    text = json.dumps(bundle)
    for needle in (
        '"deceasedDateTime"', '"deceasedBoolean"', EXT_OWN_PREFIX, AGB, UZI_PERSON, "link ended",
        '"type": "deny"', "care-team-id", "01.015",
    ):  # fmt: skip
        assert needle in text, needle
    assert EXT_STEP_CHANGE in text


def test_a_fixed_number_of_queries_with_the_new_content(
    rich_enough, resident_in, django_assert_num_queries
):
    one = Resident.objects.filter(pk=rich_enough.first().pk)
    reader = export_reader(one)
    with django_assert_num_queries(QUERIES):
        single = export(one, reader=reader)
    with django_assert_num_queries(QUERIES):
        several = export(rich_enough, reader=reader)
    assert len(several["entry"]) > 2 * len(single["entry"])
    practitioners = of_type(several, "Practitioner")
    assert sum("identifier" in p for p in practitioners) == 2


def test_a_user_with_two_memberships_is_one_practitioner(daalhof, resident_in):
    both = UserFactory(username="both.daalhof")
    MembershipFactory(team=daalhof.team, user=both, role="welfare", agb_code="85123456")
    MembershipFactory(team=daalhof.team, user=both, role="dementia_case_manager")
    resident_in("step1")
    practitioners = [p for p in of_type(valid(export()), "Practitioner") if p["id"].endswith(
        f"-{both.pk}")]  # fmt: skip
    assert [p["identifier"] for p in practitioners] == [[{"system": AGB, "value": "85123456"}]]


def test_an_integration_account_is_no_participant_of_the_care_team(daalhof, resident_in):
    """A system's account on the team (to read the API) is not a person around her."""
    from tests.subscription_helpers import integration_account

    resident_in("step2")
    his = integration_account(daalhof.team)
    care_team = of_type(export(reader=daalhof.gp), "CareTeam")[0]
    members = [p["member"]["reference"] for p in care_team["participant"]]
    assert f"Practitioner/practitioner-{daalhof.gp.pk}" in members
    assert f"Practitioner/practitioner-{his.pk}" not in members
