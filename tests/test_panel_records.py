"""Recording in the panel: a GFI score, a goal, an agreed action; mistakes answered in Dutch."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import carer_for


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def in_a_month() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


def add(client, resident, what, **data):
    return client.post(
        reverse("resident_add", args=[resident.pk, what]), data, HTTP_HX_REQUEST="true"
    )


def test_the_nurse_records_a_gfi_of_7(nurse, daalhof, resident_in):
    resident = resident_in("step2")
    form = nurse.get(reverse("resident_add", args=[resident.pk, "assessment"]))
    assert 'name="score"' in form.content.decode()
    done = add(
        nurse,
        resident,
        "assessment",
        instrument="gfi",
        score="7",
        assessed_on=timezone.localdate().isoformat(),
    )
    assert done.headers["HX-Trigger"] == "board-changed"
    assessment = resident.assessments.get()
    assert (assessment.score, assessment.above_cutoff) == (7, True)
    assert assessment.assessed_by == daalhof.district_nurse
    assert "GFI</strong> 7 (kwetsbaar" in done.content.decode()


def test_an_out_of_range_score_is_answered_in_dutch(nurse, resident_in):
    resident = resident_in("step2")
    html = add(
        nurse,
        resident,
        "assessment",
        instrument="gfi",
        score="17",
        assessed_on=timezone.localdate().isoformat(),
    ).content.decode()
    assert "GFI-scores lopen van 0 tot 15; 17 valt daarbuiten." in html
    assert 'value="17"' in html  # what she typed is still there
    assert resident.assessments.count() == 0


def test_a_goal_and_an_action_for_the_daughter(nurse, daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident)
    add(nurse, resident, "goal", domain="functional", description="Veilig thuis blijven")
    assert resident.goals.get().description == "Veilig thuis blijven"
    add(
        nurse,
        resident,
        "action",
        description="Personenalarmering regelen",
        owner=f"c{carer.pk}",
        due_on=in_a_month(),
    )
    action = resident.actions.get()
    assert action.owner_carer == carer and action.shared_with_carers  # a carer's action is shared


def test_an_owner_from_another_team_is_not_offered(nurse, malberg, resident_in):
    resident = resident_in("step2")
    html = add(
        nurse,
        resident,
        "action",
        description="Bellen",
        owner=f"m{malberg.gp.pk}",
        due_on=in_a_month(),
    ).content.decode()
    assert "Selecteer een geldige keuze" in html
    assert resident.actions.count() == 0


def test_no_recording_for_other_teams(client, malberg, resident_in):
    resident = resident_in("step2")
    client.force_login(malberg.gp)
    response = add(client, resident, "goal", domain="social", description="x")
    assert response.status_code == 404
    assert resident.goals.count() == 0


def test_an_unknown_kind_of_record_is_404(nurse, resident_in):
    resident = resident_in("step2")
    assert nurse.get(reverse("resident_add", args=[resident.pk, "bsn"])).status_code == 404


def test_date_fields_are_iso_for_the_browsers_date_picker(nurse, resident_in):
    """A Dutch-formatted value (23-11-2026) is rejected by <input type=date>, blocking submit."""
    html = nurse.get(reverse("resident_add", args=[resident_in("step2").pk, "assessment"]))
    assert f'type="date" name="assessed_on" value="{timezone.localdate().isoformat()}"' in (
        html.content.decode()
    )
