"""Assembling the Bundle: one fixed set of queries, then plain dicts."""

from __future__ import annotations

from typing import Literal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

from clients.models import Assessment, CarerLink, Consent, Resident
from kernteam.models import Membership
from kernteam.policy import member_roles
from steps.fhir import care, episode, people, plan, pzp, records
from steps.fhir.context import Resource, Shared, fhir_base
from steps.models import AgreedAction, Goal, StepChange

BundleType = Literal["collection", "transaction"]
BUNDLE_TYPES: tuple[str, ...] = ("collection", "transaction")


def export_bundle(
    *, residents: QuerySet[Resident], reader, bundle_type: BundleType = "collection"
) -> dict:
    """A FHIR R4 Bundle with, for every resident in `residents`, the Patient, EpisodeOfCare,
    CareTeam, CarePlan, Goals, Tasks, Observations, Consents and the care records around the
    steps (`care`), and once each the Practitioners, RelatedPersons and offers they refer to,
    as JSON-ready dicts. Every entry's fullUrl is `<KERNTEAM_FHIR_BASE><Type>/<id>`.

    `bundle_type="transaction"`: every entry carries `request: PUT <Type>/<id>`, so a FHIR
    server can load the bundle, and load it again, without duplicates.

    `reader` is the user the bundle is for: records fewer people read than see the resident
    (her PZP: `pzp.readable`) are left out for a reader who may not read them.

    Runs a constant number of SQL queries whatever the number of residents. The caller filters
    `residents` by the access policy and writes the access log."""
    base = fhir_base()
    roles = member_roles(reader)  # per team (one query, none if known for this request)
    shared = Shared()
    resources: list[Resource] = []
    with translation.override(None):  # displays are the canonical (English) labels
        for resident in with_related(residents):
            reads_pzp = pzp.readable(
                roles=roles.get(resident.team_id, frozenset()), resident=resident
            )
            resources += resident_resources(resident=resident, shared=shared, reads_pzp=reads_pzp)
        identifiers = people.practitioner_identifiers(user_ids=shared.practitioners)
        resources += [
            people.practitioner(user=user, identifiers=identifiers.get(pk, ()))
            for pk, user in shared.practitioners.items()
        ]
        resources += [people.related_person(related=r) for r in shared.related.values()]
        resources += care.shared_resources(shared=shared)
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "timestamp": timezone.localtime().isoformat(),
        "entry": [entry(resource=r, base=base, bundle_type=bundle_type) for r in resources],
    }


def entry(*, resource: Resource, base: str, bundle_type: BundleType) -> dict:
    url = f"{resource['resourceType']}/{resource['id']}"
    result: dict[str, object] = {"fullUrl": base + url, "resource": resource}
    if bundle_type == "transaction":
        result["request"] = {"method": "PUT", "url": url}
    return result


def with_related(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    """Everything the export reads, fetched up front (one query per relation)."""
    return residents.select_related("trajectory", "team", "coordinator").prefetch_related(
        Prefetch(
            "trajectory__history",
            queryset=StepChange.objects.select_related(
                "actor", "meeting", "outcome_event"
            ).order_by("at", "pk"),
        ),
        Prefetch(
            "team__memberships",
            queryset=Membership.objects.active()
            .of_people()
            .select_related("user")
            .order_by("role", "pk"),
            to_attr="fhir_memberships",
        ),
        Prefetch(
            "carer_links",
            queryset=CarerLink.objects.select_related("carer").order_by("since", "pk"),
        ),
        Prefetch(
            "goals",
            queryset=Goal.objects.select_related("created_by").order_by("created_at", "pk"),
        ),
        Prefetch(
            "actions",
            queryset=AgreedAction.objects.select_related(
                "owner_member", "owner_carer", "created_by"
            ).order_by("due_on", "pk"),
        ),
        Prefetch(
            "assessments",
            queryset=Assessment.objects.select_related("assessed_by", "carer").order_by(
                "assessed_on", "pk"
            ),
        ),
        Prefetch("consents", queryset=Consent.objects.order_by("given_on", "pk")),
        *care.prefetches(),
    )


def resident_resources(*, resident: Resident, shared: Shared, reads_pzp: bool) -> list[Resource]:
    trajectory = getattr(resident, "trajectory", None)
    is_open = trajectory is None or not trajectory.is_closed
    resources = [people.patient(resident=resident)]
    if trajectory is not None:
        resources.append(
            episode.episode_of_care(trajectory=trajectory, resident=resident, shared=shared)
        )
    resources.append(plan.care_team(resident=resident, is_open=is_open, shared=shared))
    status = "unknown" if trajectory is None else "active" if is_open else "completed"
    resources.append(plan.care_plan(resident=resident, status=status))
    resources += [
        plan.goal(goal=goal, resident=resident, shared=shared) for goal in resident.goals.all()
    ]
    resources += [
        plan.task(action=action, resident=resident, shared=shared)
        for action in resident.actions.all()
    ]
    resources += [
        records.observation(assessment=assessment, resident=resident, shared=shared)
        for assessment in resident.assessments.all()
    ]
    resources += [
        records.consent(consent=consent, resident=resident) for consent in resident.consents.all()
    ]
    resources += care.resident_resources(
        resident=resident, shared=shared, with_care_planning=reads_pzp
    )
    return resources
