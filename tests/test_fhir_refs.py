"""One place per rule around the FHIR export (issue 20's review): the FHIR base, the Patient
id, the FHIR JSON media type and the OperationOutcome are written in one module each
(`clients.fhir_refs`, `frontend.api.fhir_views`), and the consent in force is picked by one
rule (`Consent.in_force`) in the export as in the rest of the application."""

from __future__ import annotations

import ast
import datetime
import io
import re
import tokenize
from pathlib import Path

import pytest
from django.db.models import Prefetch
from django.utils import timezone

from clients.care_planning_services import reads_with
from clients.fhir_refs import patient_id
from clients.models import Consent, Resident
from clients.services import record_consent
from kernteam.roles import Role
from steps.fhir import ids, pzp
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db

LAYERS = ("kernteam", "clients", "steps", "frontend")
REFS = Path("clients/fhir_refs.py")
OUTCOMES = Path("frontend/api/fhir_views.py")


def sources() -> dict[Path, str]:
    return {
        path.relative_to(ROOT): path.read_text()
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts
    }


def strings(source: str) -> list[str]:
    """The string literals of a module as written (f-strings whole), docstrings included."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [token.string for token in tokens if token.type == tokenize.STRING]


def test_the_fhir_base_and_the_media_type_are_defined_in_one_module():
    for path, source in sources().items():
        tree = ast.parse(source)
        reads_setting = any(
            isinstance(node, ast.Attribute) and node.attr == "KERNTEAM_FHIR_BASE"
            for node in ast.walk(tree)
        )
        defines = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)} | {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        if path != REFS:
            assert not reads_setting, f"{path} reads settings.KERNTEAM_FHIR_BASE"
            assert not defines & {"fhir_base", "FHIR_JSON", "patient_id"}, path


def test_the_patient_id_is_written_in_one_module():
    """`resident-<pk>` as a Patient's id: clients.fhir_refs.patient_id, nowhere else (the
    CareTeam's, CarePlan's and RelatedPerson's ids only contain it)."""
    written = re.compile(r"""^[rf]*["'](?:Patient/)?resident-\{""")
    for path, source in sources().items():
        if path != REFS:
            found = [s for s in strings(source) if written.match(s)]
            assert not found, (path, found)


def test_one_operation_outcome_builder():
    for path, source in sources().items():
        if path != OUTCOMES:
            assert '"OperationOutcome"' not in strings(source), path


def test_an_id_pattern_follows_the_id_it_reads():
    assert ids.id_pattern(patient_id) == ids.PATIENT
    assert ids.patient_resident(resource_id=patient_id(12)) == 12
    assert ids.owner_of(resource_id=patient_id(12)) == ids.Owner("resident", 12)
    assert ids.patient_resident(resource_id=f"x{patient_id(12)}") is None
    assert ids.id_pattern(lambda pk: f"a.{pk}-b") == r"a\.([1-9][0-9]{0,17})\-b"


# --- the consent in force ---------------------------------------------------------------------


@pytest.fixture
def narrowed(daalhof, resident_in):
    """A resident whose consent for every discipline was replaced by one for the GP only."""
    resident = resident_in("step2")
    day = timezone.localdate() - datetime.timedelta(days=60)
    record_consent(resident=resident, by=daalhof.poh, given_on=day, disciplines=list(Role.values))
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=day + datetime.timedelta(days=30),
        disciplines=[Role.GP],
    )
    return resident


def test_the_consent_in_force_is_one_rule(narrowed, django_assert_num_queries):
    latest = narrowed.consents.get(disciplines=[Role.GP])
    assert narrowed.active_consent() == latest
    assert Consent.in_force(narrowed.consents.all()) == latest
    prefetched = Resident.objects.prefetch_related(
        Prefetch("consents", queryset=Consent.objects.order_by("given_on", "pk"))
    ).get(pk=narrowed.pk)
    with django_assert_num_queries(0):
        assert Consent.in_force(prefetched.consents.all()) == latest
    assert Consent.in_force([]) is None
    latest.withdrawn_at = latest.given_on  # (any value: withdrawn)
    assert Consent.in_force([latest]) is None


def test_the_export_reads_the_pzp_by_the_consent_in_force(narrowed):
    """`pzp.readable` takes the consent in force as `Resident.active_consent` does: the GP-only
    one, not the earlier one for every discipline."""
    prefetched = Resident.objects.prefetch_related("consents").get(pk=narrowed.pk)
    assert narrowed.active_consent().disciplines == [Role.GP]
    by_earlier = {role: reads_with(roles={role}, disciplines=list(Role.values)) for role in Role}
    by_latest = {role: reads_with(roles={role}, disciplines=[Role.GP]) for role in Role}
    assert by_earlier != by_latest  # (the two consents differ for some reader)
    assert {role: pzp.readable(roles={role}, resident=prefetched) for role in Role} == by_latest
