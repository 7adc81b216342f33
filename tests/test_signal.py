"""Signalling a new resident from the board."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from clients.models import Resident


def signal(client, team, **data):
    return client.post(reverse("board_signal", args=[team.slug]), data, HTTP_HX_REQUEST="true")


def test_a_member_signals_a_resident_and_the_panel_opens(client, daalhof):
    client.force_login(daalhof.poh)
    response = signal(
        client,
        daalhof.team,
        salutation="Mijnheer",
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth="1934-06-21",
        reason="Buurvrouw maakt zich zorgen: eet slecht",
    )
    resident = Resident.objects.get(last_name="Ramakers")
    assert resident.team == daalhof.team and resident.trajectory.state == "signalled"
    first = resident.trajectory.history.get()
    assert (first.kind, first.actor, first.reason) == (
        "signal",
        daalhof.poh,
        "Buurvrouw maakt zich zorgen: eet slecht",
    )
    assert response.headers["HX-Retarget"] == "#panel"
    assert response.headers["HX-Trigger"] == "board-changed"
    assert "Mijnheer Jan Ramakers" in response.content.decode()


def test_mistakes_are_answered_in_dutch_and_nothing_is_saved(client, daalhof):
    client.force_login(daalhof.poh)
    html = signal(
        client,
        daalhof.team,
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth="1934-06-21",
        reason="",
    ).content.decode()
    assert "Dit veld is verplicht." in html  # the reason
    assert 'value="Ramakers"' in html
    assert not Resident.objects.exists()


def test_a_future_date_of_birth_is_refused(client, daalhof):
    client.force_login(daalhof.poh)
    html = signal(
        client,
        daalhof.team,
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth=(timezone.localdate() + datetime.timedelta(days=1)).isoformat(),  # tomorrow
        reason="Zorgen",
    ).content.decode()
    assert "De geboortedatum ligt in de toekomst." in html
    assert not Resident.objects.exists()


def test_only_members_signal_for_their_team(client, daalhof, malberg):
    client.force_login(malberg.gp)
    response = signal(
        client,
        daalhof.team,
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth="1934-06-21",
        reason="Zorgen",
    )
    assert response.status_code == 404
    assert not Resident.objects.exists()


def test_without_consent_the_welfare_worker_signals_but_does_not_see(client, daalhof):
    client.force_login(daalhof.welfare)
    response = signal(
        client,
        daalhof.team,
        first_name="Jan",
        last_name="Ramakers",
        date_of_birth="1934-06-21",
        reason="Buurvrouw maakt zich zorgen",
    )
    html = response.content.decode()
    assert (
        "Gesignaleerd. De huisarts of POH vraagt toestemming; tot die is vastgelegd, zien alleen "
        "zij het dossier. U vindt de cliënt op het bord onder ‘Door mij gesignaleerd’." in html
    )
    assert "Ramakers" not in html and response.headers["HX-Trigger"] == "board-changed"
    resident = Resident.objects.get(last_name="Ramakers")
    assert client.get(reverse("resident", args=[resident.pk])).status_code == 404
