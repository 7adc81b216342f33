"""The resident panel: what a member sees and does in place; nobody else gets in."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from steps.models import AgreedAction
from steps.services import move_resident
from tests.factories import goal, open_meeting, score


@pytest.fixture
def janssen(daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    score(resident, "gfi", 5, daalhof.poh)
    score(resident, "gfi", 7, daalhof.district_nurse)
    goal(resident, daalhof.poh, domain="functional")
    AgreedAction.objects.create(
        resident=resident,
        description="Valrisico-huisbezoek",
        owner_member=daalhof.district_nurse,
        created_by=daalhof.poh,
        due_on=timezone.localdate() + datetime.timedelta(days=14),
    )
    return resident


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def test_the_panel_shows_actions_goals_scores_and_moves(nurse, janssen):
    html = nurse.get(reverse("resident", args=[janssen.pk])).content.decode()
    assert escape(janssen.display_name) in html  # (names such as "van 't Wel" are escaped)
    assert "Valrisico-huisbezoek" in html
    assert escape(daalhof_nurse_name(janssen)) in html  # the owner by name, not username
    assert "Functioneel" in html and "Veilig thuis blijven wonen" in html
    assert "GFI</strong> 7 (kwetsbaar" in html and "↑ hoger dan eerder" in html and "5 → 7" in html
    assert "Opschalen naar stap 3" in html and "Tijdelijke opname vastleggen" in html
    assert "Afschalen" not in html  # not for the district nurse outside a meeting


def daalhof_nurse_name(resident) -> str:
    return resident.actions.get().owner_member.get_full_name()


def test_as_a_fragment_for_the_board(nurse, janssen):
    html = nurse.get(reverse("resident", args=[janssen.pk]), HTTP_HX_REQUEST="true")
    assert b"<html" not in html.content and b'id="resident-panel"' in html.content


def test_other_teams_and_carers_get_404(client, malberg, thea, janssen):
    for user in (malberg.gp, thea):
        client.force_login(user)
        assert client.get(reverse("resident", args=[janssen.pk])).status_code == 404
        assert (
            client.post(
                reverse("resident_move", args=[janssen.pk]),
                {"transition": "close", "expected_state": "step2"},
            ).status_code
            == 404
        )
        action = janssen.actions.get()
        assert client.post(reverse("action_done", args=[action.pk])).status_code == 404
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step2"


def post_move(client, resident, **data):
    return client.post(reverse("resident_move", args=[resident.pk]), data, HTTP_HX_REQUEST="true")


def test_the_nurse_steps_up_from_the_panel(nurse, janssen):
    form = nurse.get(reverse("resident_move", args=[janssen.pk]) + "?transition=step_up_to_3")
    assert 'name="reason"' in form.content.decode()
    done = post_move(
        nurse,
        janssen,
        transition="step_up_to_3",
        expected_state="step2",
        reason="Twee keer gevallen deze week",
    )
    assert done.headers["HX-Trigger"] == "board-changed"
    assert (done.headers["HX-Retarget"], done.headers["HX-Reswap"]) == (
        "#resident-panel",
        "outerHTML",
    )
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"
    assert janssen.trajectory.pending_confirmation is not None  # urgent, outside a meeting
    assert "Twee keer gevallen deze week" in done.content.decode()


def test_a_refused_move_says_why_and_changes_nothing(nurse, janssen):
    html = post_move(
        nurse, janssen, transition="step_up_to_3", expected_state="step2", reason=""
    ).content.decode()
    assert "Geef een reden op." in html
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step2"


def test_a_conflict_keeps_what_she_typed(nurse, daalhof, janssen):
    move_resident(
        resident=janssen,
        transition="admit",
        expected_state="step2",
        by=daalhof.gp,
        reason="Ziekenhuis",
    )
    html = post_move(
        nurse,
        janssen,
        transition="step_up_to_3",
        expected_state="step2",
        reason="Twee keer gevallen",
    ).content.decode()
    assert "is intussen door" in html and "Tijdelijk opgenomen" in html
    assert "Twee keer gevallen</textarea>" in html
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "admitted"


def test_in_an_open_meeting_the_move_is_a_team_decision(client, daalhof, janssen):
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    client.force_login(daalhof.welfare)
    assert (
        "Afschalen naar stap 1"
        in client.get(reverse("resident", args=[janssen.pk])).content.decode()
    )
    post_move(
        client,
        janssen,
        transition="step_down_to_1",
        expected_state="step2",
        reason="Gaat goed, dagbesteding loopt",
    )
    change = janssen.trajectory.history.last()
    assert change.to_state == "step1" and change.meeting == meeting


def test_marking_an_action_done_in_place(nurse, daalhof, janssen):
    action = janssen.actions.get()
    response = nurse.post(reverse("action_done", args=[action.pk]), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Trigger"] == "board-changed"
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == daalhof.district_nurse
