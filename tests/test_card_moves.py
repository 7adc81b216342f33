"""Moving a card: dropped on a column, or chosen from the card's menu. The panel opens with the
form for that step change, or says in Dutch why it cannot be taken; the board puts it back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from steps.services import move_resident
from tests.factories import open_meeting


@pytest.fixture
def nurse(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


def drop(client, resident, to: str):
    return client.get(reverse("resident", args=[resident.pk]), {"to": to}, HTTP_HX_REQUEST="true")


def test_dropping_on_the_next_step_opens_the_step_up_form(nurse, resident_in):
    resident = resident_in("step2")
    response = drop(nurse, resident, "step3")
    html = response.content.decode()
    assert 'name="transition" value="step_up_to_3"' in html
    assert 'name="expected_state" value="step2"' in html
    assert "Opschalen naar stap 3" in html and "HX-Trigger" not in response.headers
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step2"  # nothing moves before the form is sent


def test_a_refused_drop_says_why_and_puts_the_card_back(nurse, resident_in):
    resident = resident_in("step3")
    response = drop(nurse, resident, "step2")  # stepping down is a team decision
    html = response.content.decode()
    assert response.headers["HX-Trigger"] == "board-changed"
    assert "Deze stapwijziging kan nu niet:" in html
    assert "alleen als teambesluit in een MDO, of door de huisarts" in html
    assert 'name="transition"' not in html


def test_a_drop_with_no_single_move_to_that_column(nurse, resident_in):
    html = drop(nurse, resident_in("signalled", consent=True), "step4").content.decode()
    assert (
        "Van “Gesignaleerd” kan een cliënt niet rechtstreeks naar “Stap 4 · Intensieve zorg / Wlz”."
        in html
    )


def test_returning_home_is_a_drop_on_the_step_held_before(nurse, daalhof, resident_in):
    resident = resident_in("step2")
    move_resident(
        resident=resident, transition="admit", expected_state="step2", by=daalhof.district_nurse
    )
    assert 'value="return_home"' in drop(nurse, resident, "step2").content.decode()
    assert "niet rechtstreeks" in drop(nurse, resident, "step3").content.decode()


def test_the_card_menu_offers_only_what_the_user_may_do(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.welfare)
    menu = client.get(reverse("resident_moves", args=[resident.pk])).content.decode()
    assert "Opschalen naar stap 3" in menu
    assert "Opname vastleggen" not in menu  # admission: district nurse or GP
    assert "Afschalen" not in menu  # stepping down: a team decision
    client.force_login(daalhof.gp)
    menu = client.get(reverse("resident_moves", args=[resident.pk])).content.decode()
    assert "Afschalen naar stap 1" in menu and "?transition=step_down_to_1" in menu


def test_a_menu_choice_opens_the_panel_with_its_form(nurse, resident_in):
    resident = resident_in("step2")
    html = nurse.get(
        reverse("resident", args=[resident.pk]), {"transition": "step_up_to_3"}
    ).content.decode()
    assert 'value="step_up_to_3"' in html and "autofocus" in html
    # a transition the user may not take is not offered, even when asked for
    html = nurse.get(
        reverse("resident", args=[resident.pk]), {"transition": "step_down_to_1"}
    ).content.decode()
    assert 'name="transition"' not in html


def test_another_teams_card_is_404(client, malberg, resident_in):
    resident = resident_in("step2")
    client.force_login(malberg.gp)
    assert drop(client, resident, "step3").status_code == 404
    assert client.get(reverse("resident_moves", args=[resident.pk])).status_code == 404


def test_the_board_card_has_a_menu_and_can_be_dragged(nurse, resident_in):
    resident = resident_in("step2")
    html = nurse.get(reverse("board", args=["daalhof"])).content.decode()
    card_url = reverse("resident", args=[resident.pk])
    assert f'<a href="{card_url}" hx-get="{card_url}"' in html
    assert '<details class="card-menu"><summary>Stap wijzigen' in html
    # the menu's moves are fetched (by kernteam.js) from the card's link + "moves/"
    assert reverse("resident_moves", args=[resident.pk]) == f"{card_url}moves/"
    assert 'draggable="true"' in html and 'data-drop-state="step3"' in html


def test_the_board_leads_to_the_meeting_in_progress(nurse, daalhof):
    board = reverse("board", args=["daalhof"])
    assert "MDO bezig" not in nurse.get(board).content.decode()
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    html = nurse.get(board).content.decode()
    assert "MDO bezig: naar de agenda" in html
    assert reverse("meeting", args=["daalhof", meeting.pk]) in html
