"""HL7's official FHIR R4 JSON schema as a second check of the export, next to `fhir.resources`.

The schema (tests/fhir/fhir.schema.json.xz, see the README beside it) is draft-06. Its root is
a `oneOf` over all 146 resource types, whose errors say little ("not valid under any of the
given schemas"), so each resource is validated against its own definition instead, and the
Bundle envelope against `Bundle` with every entry's resource replaced by a stub that is valid
for the root. Then the whole bundle is validated against the root too, so that nothing the
two parts leave out escapes. Validators are built once per process (building one costs ~0.1 s).
"""

from __future__ import annotations

import functools
import json
import lzma
from pathlib import Path

import jsonschema_rs

SCHEMA_FILE = Path(__file__).parent / "fhir" / "fhir.schema.json.xz"
# A resource that the schema accepts whatever the entry held: a Basic needs `code` only.
STUB = {"resourceType": "Basic", "code": {"text": "(validated on its own)"}}


@functools.cache
def schema() -> dict:
    return json.loads(lzma.decompress(SCHEMA_FILE.read_bytes()))


@functools.cache
def root_validator() -> jsonschema_rs.Draft6Validator:
    return jsonschema_rs.Draft6Validator(schema())


@functools.cache
def validator_for(resource_type: str) -> jsonschema_rs.Draft6Validator:
    """A validator of one resource type (KeyError for a type R4 does not have)."""
    whole = schema()
    if resource_type not in whole["discriminator"]["mapping"]:
        raise KeyError(f"{resource_type!r} is not an R4 resource type")
    return jsonschema_rs.Draft6Validator(
        {
            "$schema": whole["$schema"],
            "id": whole["id"],
            "$ref": f"#/definitions/{resource_type}",
            "definitions": whole["definitions"],
        }
    )


def path(parts) -> str:
    """A JSON path such as `$.entry[3].request.method`."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def resource_errors(resource: dict) -> list[str]:
    """Every schema error in one resource, as "<Type>/<id> <path>: <message>"."""
    resource_type = resource.get("resourceType")
    label = f"{resource_type}/{resource.get('id')}"
    try:
        validator = validator_for(str(resource_type))
    except KeyError as unknown:
        return [f"{label} $.resourceType: {unknown.args[0]}"]
    return [
        f"{label} {path(error.instance_path)}: {error.message}"
        for error in validator.iter_errors(resource)
    ]


def bundle_errors(bundle: dict) -> list[str]:
    """Every schema error in a Bundle: its envelope, each entry's resource (named by type and
    id), and, should both be clean, anything the root schema still finds."""
    entries = bundle.get("entry", [])
    envelope = {
        **bundle,
        "entry": [
            {**e, "resource": STUB} if isinstance(e, dict) and "resource" in e else e
            for e in entries
        ],
    }
    errors = [
        f"Bundle {path(error.instance_path)}: {error.message}"
        for error in validator_for("Bundle").iter_errors(envelope)
    ]
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            errors += [f"entry[{index}] {e}" for e in resource_errors(entry["resource"])]
    if not errors and not root_validator().is_valid(bundle):
        errors = [
            f"Bundle $: {error.message[:500]}" for error in root_validator().iter_errors(bundle)
        ]
    return errors


# --- residents with every record the export maps (both FHIR test modules export them) ---------


def furnish(resident, team) -> None:
    """Give `resident` (of persona team `team`, consent covering every discipline) every record
    the export maps, through the domain services: her own goal and a goal serving it, an
    achieved goal; agreed actions owned by a professional, by a linked carer and by a carer
    whose link has since ended; a score and a carer-burden score; a narrowed consent (the
    first one kept, withdrawn); a PZP conversation; a medication review; a fall; a referral
    to the team's local offer."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from clients.care_planning_services import record_care_planning
    from clients.medication_services import record_medication_review
    from clients.models import Assessment, CarerLink
    from clients.services import link_carer, record_assessment, record_consent
    from steps.models import Goal
    from steps.outcome_services import record_event
    from steps.own_goal_services import note_own_goal
    from steps.referral_services import refer_resident
    from steps.referrals import LocalOffer, OfferKind
    from steps.services import add_goal, agree_action

    today = timezone.localdate()
    poh, gp = team.poh, team.gp
    note_own_goal(resident=resident, by=poh, text="Zelf boodschappen blijven doen")
    walking = add_goal(
        resident=resident, by=poh, domain="functional", description="Veilig lopen",
        serves_own_goal=True,
    )  # fmt: skip
    company = add_goal(resident=resident, by=gp, domain="social", description="Minder eenzaam")
    Goal.objects.filter(pk=company.pk).update(status=Goal.Status.ACHIEVED)
    daughter = link_carer(
        resident=resident, by=poh, first_name="Thea", last_name="Ramakers",
        relationship="daughter", phone="06 1234 5678", email="thea@example.nl",
    ).carer  # fmt: skip
    neighbour_link = link_carer(
        resident=resident, by=poh, first_name="Jo", last_name="Bemelmans",
        relationship="neighbour_man",
    )  # fmt: skip
    agree_action(
        resident=resident, by=poh, description="Valpreventie aanvragen",
        due_on=today + datetime.timedelta(days=14), owner_member=team.district_nurse,
        goal=walking,
    )  # fmt: skip
    agree_action(
        resident=resident, by=poh, description="Boodschappen op dinsdag",
        due_on=today + datetime.timedelta(days=7), owner_carer=daughter, shared_with_carers=True,
    )  # fmt: skip
    agree_action(
        resident=resident, by=poh, description="Grasmaaien",
        due_on=today + datetime.timedelta(days=21), owner_carer=neighbour_link.carer,
    )  # fmt: skip
    CarerLink.objects.filter(pk=neighbour_link.pk).update(ended_on=today)
    record_assessment(
        resident=resident, by=poh, instrument="gfi", score=Decimal(6), assessed_on=today
    )
    Assessment.objects.create(
        resident=resident, instrument="ediz_plus", score=10, assessed_by=poh, carer=daughter
    )
    record_consent(
        resident=resident, by=poh, given_on=today, share_with_carers=True,
        disciplines=["gp", "poh", "district_nurse", "welfare", "elderly_care_physician"],
    )  # fmt: skip
    record_care_planning(
        resident=resident, by=gp, held_on=today, participants=["resident", "carer", "gp"],
        capacity="yes", representative_name="Thea Ramakers",
        representative_relationship="dochter", representative_kind="partner_family",
        limits={
            "resuscitation": {"decision": "no", "note": "Niet reanimeren"},
            "hospital": {"decision": "no"},
            "antibiotics": {"decision": "yes"},
            "tube_feeding": {"decision": "no"},
            "blood_transfusion": {"decision": "not_discussed"},
        },
        place_of_care="home", place_of_death="home", other_wishes="Thuis bij haar kat",
        has_living_will=True,
    )  # fmt: skip
    record_medication_review(
        resident=resident, by=gp, reviewed_on=today, reviewer="pharmacist", medicines_in_use=11,
        note="Omeprazol gestopt",
    )  # fmt: skip
    record_event(
        resident=resident, by=team.district_nurse, kind="fall",
        occurred_on=today - datetime.timedelta(days=10),
    )  # fmt: skip
    offer = LocalOffer.objects.filter(team=team.team, kind=OfferKind.MEALS).first()
    if offer is None:
        from steps.referral_services import create_offer

        offer = create_offer(
            by=team.coordinator, team=team.team, name="Tafeltje-dek-je", kind=OfferKind.MEALS,
            provider="Envida", contact="043 555 12 34", for_whom="Warme maaltijd aan huis",
        )  # fmt: skip
    refer_resident(
        resident=resident, by=team.welfare, offer=offer, owner_member=team.welfare,
        due_on=today + datetime.timedelta(days=14), shared_with_carers=True, note="Dinsdag",
    )  # fmt: skip


def residents_in_every_state(*, team, resident_in) -> dict[str, object]:
    """A furnished resident of `team` per state (steps.states.State) and one closed for each
    closure reason ("closed:<reason>"), closed through the real move after her records were
    made (a closed record takes none). `resident_in` is the conftest fixture."""
    from steps.services import move_resident
    from steps.states import ClosureReason, State

    made = {}
    for state in State.values:
        if state == State.CLOSED:
            continue
        made[state] = resident = resident_in(state, consent=True)
        furnish(resident, team)
    for reason in ClosureReason.values:
        made[f"closed:{reason}"] = resident = resident_in("step2")
        furnish(resident, team)
        move_resident(
            resident=resident, transition="close", expected_state="step2", by=team.gp,
            reason="Dossier sluiten", closure_reason=reason,
            event_place="home" if reason == ClosureReason.DECEASED else "",
        )  # fmt: skip
    made[State.CLOSED] = made[f"closed:{ClosureReason.DECEASED}"]
    return made
