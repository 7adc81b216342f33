"""The team board: what a member sees, what others do not, and what it costs."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from steps.models import AgreedAction, Trajectory
from steps.services import move_resident
from tests.factories import ResidentFactory, give_consent


def board_url(team, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return reverse("board", args=[team.slug]) + (f"?{params}" if params else "")


@pytest.fixture
def nurse_client(client, daalhof):
    client.force_login(daalhof.district_nurse)
    return client


@pytest.fixture
def poh_client(client, daalhof):
    """The POH sees every resident of the team, with or without consent."""
    client.force_login(daalhof.poh)
    return client


def test_columns_in_stepped_care_order_with_counts(poh_client, daalhof):
    for state in ("step2", "step2", "signalled", "closed"):
        ResidentFactory(team=daalhof.team, state=state)
    html = poh_client.get(board_url(daalhof.team)).content.decode()
    labels = ["Gesignaleerd", "Screening", "Stap 1", "Stap 2", "Stap 3", "Stap 4", "Tijdelijk"]
    positions = [html.index(f'">{label}') for label in labels]
    assert positions == sorted(positions)
    assert 'id="col-closed"' not in html  # closed residents are not on the board
    assert html.count('<li class="card') == 3
    assert 'Stap 2 · Gecoördineerde zorg <span class="count">2</span>' in html


def test_a_card_shows_name_age_coordinator_review_and_flags(poh_client, daalhof):
    resident = ResidentFactory(
        team=daalhof.team,
        state="step2",
        coordinator=daalhof.poh,
        date_of_birth=datetime.date(1940, 1, 1),
    )
    Trajectory.objects.filter(resident=resident).update(
        review_due=timezone.localdate() - datetime.timedelta(days=3)
    )
    html = poh_client.get(board_url(daalhof.team)).content.decode()
    card = html[html.index(f'id="resident-{resident.pk}"') :].split("</li>\n", 1)[0]
    assert resident.display_name in card
    assert f"{resident.age()} jr" in card
    assert escape(daalhof.poh.get_full_name()) in card  # (names like "van 't Erve")
    assert "evaluatie te laat" in card and "toestemming ontbreekt" in card


def test_urgent_step_up_and_overdue_action_are_flagged(nurse_client, daalhof):
    resident = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(resident, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen",
    )
    AgreedAction.objects.create(
        resident=resident,
        description="Valrisico-huisbezoek",
        owner_member=daalhof.district_nurse,
        created_by=daalhof.poh,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    html = nurse_client.get(board_url(daalhof.team)).content.decode()
    assert "urgente opschaling bevestigen" in html and "afspraak te laat" in html
    assert "toestemming ontbreekt" not in html


def test_filters_mine_flagged_and_search(poh_client, daalhof):
    mine = ResidentFactory(
        team=daalhof.team, state="step1", last_name="Janssen", coordinator=daalhof.poh
    )
    give_consent(mine, daalhof.poh)
    other = ResidentFactory(team=daalhof.team, state="step1", last_name="Ramakers")
    assert other.pk  # flagged: no consent

    def names(**query):
        return poh_client.get(board_url(daalhof.team, **query)).content.decode()

    assert "Janssen" in names(mine=1) and "Ramakers" not in names(mine=1)
    assert "Ramakers" in names(flagged=1) and "Janssen" not in names(flagged=1)
    assert "Ramakers" in names(q="rama") and "Janssen" not in names(q="rama")


def test_filters_swap_only_the_columns_with_htmx(nurse_client, daalhof):
    ResidentFactory(team=daalhof.team, state="step1")
    fragment = nurse_client.get(board_url(daalhof.team, q="x"), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html and 'class="column state-signalled"' in html


def test_another_team_gets_404_and_strangers_sign_in_first(client, daalhof, malberg, thea):
    client.force_login(malberg.gp)
    assert client.get(board_url(daalhof.team)).status_code == 404
    client.force_login(thea)
    assert client.get(board_url(daalhof.team)).status_code == 404
    client.logout()
    response = client.get(board_url(daalhof.team))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(reverse("board", args=["bestaat-niet"])).status_code == 302


def queries_for_board(client, team) -> int:
    """The board's own queries. (Its access-log entries, one per card, are one COPY on
    PostgreSQL; SQLite's bound on parameters makes that one INSERT per 111 cards.)"""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(board_url(team)).status_code == 200
    return sum("kernteam_accesslogentry" not in q["sql"] for q in captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_residents(nurse_client, daalhof):
    def add(n):
        for i in range(n):
            r = ResidentFactory(
                team=daalhof.team, state=["step1", "step2", "step3"][i % 3], coordinator=daalhof.poh
            )
            give_consent(r, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])

    add(10)
    with_10 = queries_for_board(nurse_client, daalhof.team)
    add(290)
    assert queries_for_board(nurse_client, daalhof.team) == with_10
    html = nurse_client.get(board_url(daalhof.team)).content.decode()
    assert html.count('<li class="card') == 300  # the nurse is in every consent's scope


def test_closed_records_are_off_the_board_but_reachable(poh_client, daalhof, malberg):
    gone = ResidentFactory(team=daalhof.team, state="step2", last_name="Verhuisd")
    move_resident(
        resident=gone,
        transition="close",
        expected_state="step2",
        by=daalhof.gp,
        reason="Verhuisd naar Heerlen",
        closure_reason="moved",
    )
    ResidentFactory(team=daalhof.team, state="step1", last_name="Actief")
    assert "Verhuisd" not in poh_client.get(board_url(daalhof.team)).content.decode()

    closed = reverse("board_closed", args=["daalhof"])
    html = poh_client.get(closed).content.decode()
    assert "Mevrouw Maria Verhuisd" in html and "Verhuisd" in html and "Actief" not in html
    assert reverse("resident", args=[gone.pk]) in html
    assert "Verhuisd" not in poh_client.get(closed, {"q": "actief"}).content.decode()
    panel = poh_client.get(reverse("resident", args=[gone.pk])).content.decode()
    assert "Heropenen als nieuwe signalering" in panel

    poh_client.force_login(malberg.gp)
    assert poh_client.get(closed).status_code == 404
