"""Scenario 2, the district nurse on the road (issue 16 §5), below the browser: the residents
she signalled and may not see yet ("Door mij gesignaleerd"), and the word that an urgent
step-up waits for the team's confirmation. The browser side: tests/browser/test_on_the_road.py.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.html import escape

from clients.models import Resident
from kernteam.models import AccessLogEntry
from kernteam.roles import Role
from steps.selectors import signalled_by
from tests.factories import give_consent, open_meeting

SIGNAL = {
    "salutation": "Mijnheer",
    "first_name": "Jan",
    "last_name": "Ramakers",
    "date_of_birth": "1934-06-21",
    "reason": "Buurvrouw maakt zich zorgen: eet slecht",
}


def nl(message) -> str:
    """The message as the page shows it (Dutch, HTML-escaped)."""
    with translation.override("nl"):
        return escape(str(message))


def signal(client, team, **data) -> str:
    url = reverse("board_signal", args=[team.slug])
    response = client.post(url, {**SIGNAL, **data}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def own_signals(client, team, **headers) -> str:
    """The "Signalled by me" section of the board ("" when the board has none to show)."""
    html = client.get(reverse("board", args=[team.slug]), **headers).content.decode()
    start = html.find('id="own-signals"')
    if start < 0:
        return ""
    section = html[start : html.index("</section>", start)]
    return "" if " hidden" in section.split(">", 1)[0] else section


def test_her_signal_leaves_her_board_and_she_is_told_what_happens_next(client, daalhof):
    from frontend.views import SIGNALLED_UNSEEN

    client.force_login(daalhof.district_nurse)
    html = signal(client, daalhof.team)
    assert nl(SIGNALLED_UNSEEN) in html
    assert "Ramakers" not in html  # (the panel closed: she may not see the record)
    ramakers = Resident.objects.get(last_name="Ramakers")
    board = client.get(reverse("board", args=[daalhof.team.slug])).content.decode()
    assert f'id="resident-{ramakers.pk}"' not in board  # not a card on her board

    section = own_signals(client, daalhof.team)
    assert "Mijnheer Jan Ramakers" in section
    with translation.override("nl"):
        assert dateformat.format(datetime.date(1934, 6, 21), "j M Y") in section
    # Nothing she did not type herself, nor the reason she gave, nor a way into the record.
    assert "eet slecht" not in section and "<a " not in section
    assert str(ramakers.trajectory.get_state_display()) not in section


def test_the_list_holds_only_her_own_signals_without_consent(client, daalhof, resident_in):
    client.force_login(daalhof.welfare)
    signal(client, daalhof.team, last_name="Vroemen")  # someone else's signal
    resident_in("signalled", consent=False, last_name="Habets")  # nobody's signal of hers
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)

    shown = signalled_by(user=daalhof.district_nurse, team=daalhof.team)
    assert [s.name for s in shown] == ["Mijnheer Jan Ramakers"]
    section = own_signals(client, daalhof.team)
    assert "Ramakers" in section and "Vroemen" not in section and "Habets" not in section


def test_it_leaves_the_list_once_consent_is_recorded(client, daalhof):
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)
    signal(client, daalhof.team, last_name="Vroemen", first_name="Mia", salutation="Mevrouw")
    ramakers = Resident.objects.get(last_name="Ramakers")
    vroemen = Resident.objects.get(last_name="Vroemen")
    assert "Ramakers" in own_signals(client, daalhof.team)

    give_consent(ramakers, daalhof.poh)  # covers her discipline: on her board now
    # A consent that leaves her discipline out ends the wait as well: the GP and POH decided.
    give_consent(vroemen, daalhof.poh, disciplines=[Role.GP, Role.POH])
    assert own_signals(client, daalhof.team) == ""
    board = client.get(reverse("board", args=[daalhof.team.slug])).content.decode()
    assert f'id="resident-{ramakers.pk}"' in board
    assert "Vroemen" not in board


def test_another_member_never_sees_her_list(client, daalhof):
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)
    for other in (daalhof.welfare, daalhof.dementia_case_manager, daalhof.coordinator):
        client.force_login(other)
        assert own_signals(client, daalhof.team) == "", other
        board = client.get(reverse("board", args=[daalhof.team.slug])).content.decode()
        assert "Ramakers" not in board, other
    # The GP sees the resident as a card, as always, and has no such list.
    assert signalled_by(user=daalhof.gp, team=daalhof.team) == []


def test_the_gp_who_signals_keeps_the_card_and_gets_no_list(client, daalhof):
    client.force_login(daalhof.gp)
    html = signal(client, daalhof.team)
    assert "Mijnheer Jan Ramakers" in html  # the panel opens: the GP sees every resident
    assert own_signals(client, daalhof.team) == ""


def test_showing_her_list_is_access_logged(client, daalhof):
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)
    ramakers = Resident.objects.get(last_name="Ramakers")
    before = AccessLogEntry.objects.count()
    client.get(reverse("board", args=[daalhof.team.slug]))
    rows = list(
        AccessLogEntry.objects.order_by("pk").values_list(
            "user__username", "role", "resident_id", "action", "what"
        )[before:]
    )
    assert (
        "district_nurse.daalhof",
        "district_nurse",
        ramakers.pk,
        "read",
        "board-signalled-by-me",
    ) in rows

    client.force_login(daalhof.welfare)
    before = AccessLogEntry.objects.count()
    client.get(reverse("board", args=[daalhof.team.slug]))
    later = AccessLogEntry.objects.order_by("pk").values_list("resident_id", flat=True)[before:]
    assert ramakers.pk not in list(later)


def test_the_board_refresh_brings_the_list_along(client, daalhof):
    """The board re-fetches its columns after a signal (htmx): the list comes with them, out of
    band, so the new signal shows without a reload."""
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)
    url = reverse("board", args=[daalhof.team.slug])
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="own-signals"' in html and 'hx-swap-oob="true"' in html
    assert "Mijnheer Jan Ramakers" in html


def move(client, resident, transition="step_up_to_3", expected="step2") -> str:
    url = reverse("resident_move", args=[resident.pk])
    data = {"transition": transition, "expected_state": expected, "reason": "Twee keer gevallen"}
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_a_step_up_outside_a_meeting_says_it_waits_for_the_team(client, daalhof, resident_in):
    from frontend.views import AWAITS_CONFIRMATION

    janssen = resident_in("step2", last_name="Janssen")
    client.force_login(daalhof.district_nurse)
    html = move(client, janssen)
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"
    assert janssen.trajectory.pending_confirmation_id is not None
    assert nl(AWAITS_CONFIRMATION) in html
    # Said once: the next view of the panel does not repeat it.
    again = client.get(reverse("resident", args=[janssen.pk]), HTTP_HX_REQUEST="true")
    assert nl(AWAITS_CONFIRMATION) not in again.content.decode()


def test_in_a_meeting_a_step_up_is_the_teams_decision_and_waits_for_nothing(
    client, daalhof, resident_in
):
    from frontend.views import AWAITS_CONFIRMATION

    janssen = resident_in("step2", last_name="Janssen")
    open_meeting(daalhof.team, daalhof.coordinator)
    client.force_login(daalhof.district_nurse)
    html = move(client, janssen)
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step3"
    assert janssen.trajectory.pending_confirmation_id is None
    assert nl(AWAITS_CONFIRMATION) not in html


def test_a_step_down_outside_a_meeting_waits_for_nothing(client, daalhof, resident_in):
    from frontend.views import AWAITS_CONFIRMATION

    janssen = resident_in("step3", last_name="Janssen")
    client.force_login(daalhof.gp)
    html = move(client, janssen, transition="step_down_to_2", expected="step3")
    janssen.trajectory.refresh_from_db()
    assert janssen.trajectory.state == "step2", html
    assert nl(AWAITS_CONFIRMATION) not in html


def test_a_signal_older_than_the_list_keeps_leaves_it(client, daalhof):
    """The list is a reassurance that the signal arrived, not a register: after
    SIGNALLED_BY_ME_DAYS without consent the GP and POH have it, and it leaves her list."""
    import time_machine

    from steps.selectors import SIGNALLED_BY_ME_DAYS

    long_ago = timezone.now() - datetime.timedelta(days=SIGNALLED_BY_ME_DAYS, hours=1)
    with time_machine.travel(long_ago):
        client.force_login(daalhof.district_nurse)
        signal(client, daalhof.team, last_name="Vroemen", first_name="Mia", salutation="Mevrouw")
    client.force_login(daalhof.district_nurse)
    signal(client, daalhof.team)  # today
    section = own_signals(client, daalhof.team)
    assert "Ramakers" in section
    assert "Vroemen" not in section
