"""The meeting as the room sees it (issue 16 §4): a member who may see a resident presents her
when the chair may not; followers who may not see get a placeholder with the reason; closing
reaches every screen; who was present is in the minutes; a confirmation names its step."""

from __future__ import annotations

from html import escape

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from frontend.consumers import as_heard
from kernteam.models import AccessLogEntry, Meeting
from kernteam.refusals import Refused
from kernteam.roles import Role
from steps.meetings import (
    close_meeting,
    focus_on,
    open_meeting,
    plan_meeting,
    prepare_agenda,
    set_attendees,
)
from steps.services import confirm_step_up, move_resident
from tests.helpers import exactly
from tests.live import event_on, live, socket

CANNOT_PRESENT = (
    "U kunt deze cliënt niet presenteren: de toestemming dekt uw discipline niet. "
    "Een lid wiens discipline de toestemming dekt, kan deze cliënt presenteren."
)


@pytest.fixture
def planned(daalhof) -> Meeting:
    return plan_meeting(team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now())


@pytest.fixture
def new_signal(resident_in):
    """Signalled, no consent yet: only the GP and the POH may see her."""
    return resident_in("signalled", last_name="Hendriks")


@pytest.fixture
def in_progress(daalhof, planned, new_signal) -> Meeting:
    """Open, with the new signal on its agenda."""
    return open_meeting(meeting=planned, by=daalhof.coordinator)


def agenda_part(client, meeting: Meeting, shown: str):
    url = reverse("meeting", args=["daalhof", meeting.pk])
    return client.get(url, {"part": "agenda", "shown": shown}, headers={"HX-Request": "true"})


# --- presenting ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_gp_presents_a_new_signal_the_chair_may_not_see(
    daalhof, in_progress, new_signal, team_events, django_capture_on_commit_callbacks
):
    for who in (daalhof.coordinator, daalhof.welfare):
        with pytest.raises(Refused, match=exactly(CANNOT_PRESENT)):
            focus_on(meeting=in_progress, by=who, resident=new_signal)
    assert Meeting.objects.get(pk=in_progress.pk).focus is None
    with django_capture_on_commit_callbacks(execute=True):
        focus_on(meeting=in_progress, by=daalhof.gp, resident=new_signal)
    stored = Meeting.objects.get(pk=in_progress.pk)
    assert (stored.focus, stored.presenter) == (new_signal, daalhof.gp)
    assert team_events == [
        (
            f"team-{daalhof.team.pk}",
            {"type": "meeting.focus", "meeting": in_progress.pk, "resident": new_signal.pk},
        )
    ]
    assert in_progress.agenda.get(resident=new_signal).opened_at is not None


@pytest.mark.django_db
def test_closing_ends_the_presentation(daalhof, in_progress, new_signal):
    focus_on(meeting=in_progress, by=daalhof.gp, resident=new_signal)
    close_meeting(meeting=in_progress, by=daalhof.coordinator)
    stored = Meeting.objects.get(pk=in_progress.pk)
    assert stored.focus is None and stored.presenter is None


@pytest.mark.django_db
def test_a_follower_who_may_not_see_gets_the_placeholder_with_the_reason(
    client, daalhof, in_progress, new_signal
):
    focus_on(meeting=in_progress, by=daalhof.gp, resident=new_signal)
    url = reverse("meeting_focus_now", args=["daalhof", in_progress.pk])
    client.force_login(daalhof.coordinator)
    before = AccessLogEntry.objects.count()
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    name = escape(daalhof.gp.get_full_name())  # (a name such as "van 't Riet" is escaped)
    assert f"{name} presenteert een cliënt wiens toestemming uw discipline niet dekt." in html
    assert "Hendriks" not in html and 'id="resident-panel"' not in html
    assert AccessLogEntry.objects.count() == before  # nobody's data was shown

    client.force_login(daalhof.poh)  # may see her: follows the GP to her panel, logged
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="resident-panel"' in html and "Hendriks" in html
    entry = AccessLogEntry.objects.latest("pk")
    assert (entry.user, entry.resident_id, entry.action) == (daalhof.poh, new_signal.pk, "read")


@pytest.mark.django_db
def test_a_member_who_may_not_see_cannot_present_from_the_screen(
    client, daalhof, in_progress, new_signal
):
    client.force_login(daalhof.welfare)
    url = reverse("meeting_focus", args=["daalhof", in_progress.pk, new_signal.pk])
    assert client.post(url, headers={"HX-Request": "true"}).status_code == 404
    assert Meeting.objects.get(pk=in_progress.pk).focus is None
    client.force_login(daalhof.gp)
    answer = client.post(url, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Hendriks" in answer.content.decode()
    assert Meeting.objects.get(pk=in_progress.pk).presenter == daalhof.gp


@pytest.mark.django_db
def test_the_agenda_offers_presenting_to_whoever_may_see_the_item(
    client, daalhof, in_progress, new_signal
):
    focus_url = reverse("meeting_focus", args=["daalhof", in_progress.pk, new_signal.pk])
    client.force_login(daalhof.gp)
    assert f'hx-post="{focus_url}"' in agenda_part(client, in_progress, "open").content.decode()
    client.force_login(daalhof.coordinator)
    html = agenda_part(client, in_progress, "open").content.decode()
    assert f'hx-post="{focus_url}"' not in html
    assert "Een lid wiens discipline de toestemming dekt, kan deze cliënt presenteren." in html


CHAIR_PRESENTS = (
    "De voorzitter presenteert deze cliënt; u hebt het dossier op uw eigen scherm geopend. "
    "Een lid presenteert alleen een cliënt die de voorzitter niet mag zien."
)


@pytest.mark.django_db
def test_a_member_opening_a_resident_the_chair_may_see_does_not_move_the_room(
    client, daalhof, in_progress, resident_in
):
    """The district nurse looks something up during the meeting: her own screen, not the
    projector and not the followers'."""
    janssen = resident_in("step2", last_name="Janssen")
    focus_on(meeting=in_progress, by=daalhof.coordinator, resident=janssen)
    other = resident_in("step3", last_name="Habets")
    with pytest.raises(Refused, match=exactly(CHAIR_PRESENTS)) as refused:
        focus_on(meeting=in_progress, by=daalhof.district_nurse, resident=other)
    assert refused.value.forbidden
    stored = Meeting.objects.get(pk=in_progress.pk)
    assert (stored.focus, stored.presenter) == (janssen, daalhof.coordinator)

    prepare_agenda(meeting=in_progress, by=daalhof.coordinator)  # (Habets is on it now)
    in_progress.agenda.get_or_create(resident=other, defaults={"position": 99})
    client.force_login(daalhof.district_nurse)
    html = agenda_part(client, in_progress, "open").content.decode()
    focus_url = reverse("meeting_focus", args=["daalhof", in_progress.pk, other.pk])
    resident_url = reverse("resident", args=[other.pk])
    assert f'hx-post="{focus_url}"' not in html  # opens on her own screen
    assert f'hx-get="{resident_url}"' in html
    answer = client.post(focus_url, headers={"HX-Request": "true"})  # (a stale page)
    assert answer.status_code == 200 and "Habets" in answer.content.decode()
    assert Meeting.objects.get(pk=in_progress.pk).focus == janssen


@pytest.mark.django_db
def test_presenting_in_a_meeting_closed_meanwhile_is_refused(daalhof, in_progress, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    in_progress.agenda.get_or_create(resident=janssen, defaults={"position": 99})
    close_meeting(meeting=Meeting.objects.get(pk=in_progress.pk), by=daalhof.coordinator)
    with pytest.raises(Refused, match=exactly("Het MDO is niet bezig.")):
        focus_on(meeting=in_progress, by=daalhof.coordinator, resident=janssen)  # (stale)
    stored = Meeting.objects.get(pk=in_progress.pk)
    assert stored.focus is None and stored.presenter is None
    assert stored.agenda.get(resident=janssen).opened_at is None


@pytest.mark.django_db
def test_two_presenting_one_after_the_other_followers_show_the_later(
    client, daalhof, in_progress, new_signal, resident_in
):
    janssen = resident_in("step2", last_name="Janssen")
    focus_on(meeting=in_progress, by=daalhof.gp, resident=new_signal)  # the chair may not see
    focus_on(meeting=in_progress, by=daalhof.coordinator, resident=janssen)
    client.force_login(daalhof.poh)
    url = reverse("meeting_focus_now", args=["daalhof", in_progress.pk])
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Janssen" in html and "Hendriks" not in html


def test_a_presented_resident_is_heard_unnamed_by_who_may_not_see_her():
    message = {
        "type": "board.event",
        "event": {"type": "meeting.focus", "resident": 7, "meeting": 3, "at": 1.0},
        "disciplines": None,  # no consent: GP and POH only
    }
    assert as_heard(message, roles=frozenset({Role.COORDINATOR})) == {
        "type": "meeting.focus_hidden",
        "meeting": 3,
        "at": 1.0,
    }
    assert as_heard(message, roles=frozenset({Role.GP}))["resident"] == 7


# --- closing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_follower_agenda_learns_the_meeting_closed(client, daalhof, in_progress, resident_in):
    resident_in("step1", last_name="Ramakers")
    client.force_login(daalhof.gp)
    assert "MDO gesloten" not in agenda_part(client, in_progress, "open").content.decode()
    close_meeting(meeting=in_progress, by=daalhof.coordinator)
    answer = agenda_part(client, in_progress, "open")
    html = answer.content.decode()
    assert answer.status_code == 200  # not a redirect to the whole minutes page
    assert 'id="meeting-state" class="meeting-state" hx-swap-oob="true"' in html
    assert "MDO gesloten" in html and "Bezig" not in html
    minutes = reverse("meeting_minutes", args=["daalhof", in_progress.pk])
    assert f'href="{minutes}"' in html and "<header" not in html
    assert 'id="agenda-add" hx-swap-oob="true"' in html
    # a screen that already shows it closed is not sent its heading again
    assert "hx-swap-oob" not in agenda_part(client, in_progress, "closed").content.decode()
    # a page loaded afresh goes to the minutes
    page = client.get(reverse("meeting", args=["daalhof", in_progress.pk]))
    assert page.status_code == 302 and page.url == minutes


@pytest.mark.django_db
def test_the_board_drops_meeting_in_progress_when_it_closes(client, daalhof, in_progress):
    client.force_login(daalhof.district_nurse)
    url = reverse("board_meeting", args=["daalhof"])
    meeting_url = reverse("meeting", args=["daalhof", in_progress.pk])
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "MDO bezig: naar de agenda" in html and meeting_url in html
    close_meeting(meeting=in_progress, by=daalhof.coordinator)
    html = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "MDO bezig" not in html and reverse("meetings", args=["daalhof"]) in html


@pytest.mark.django_db(transaction=True)
async def test_every_board_hears_the_meeting_close(daalhof):
    meeting = await database_sync_to_async(
        lambda: open_meeting(
            meeting=plan_meeting(
                team=daalhof.team, by=daalhof.coordinator, scheduled_for=timezone.now()
            ),
            by=daalhof.coordinator,
        )
    )()
    board = await live(await socket("daalhof", user=daalhof.welfare))
    await database_sync_to_async(close_meeting)(meeting=meeting, by=daalhof.coordinator)
    html = await event_on(board)
    assert 'data-event="meeting.closed"' in html and f'data-meeting="{meeting.pk}"' in html
    await board.disconnect()


# --- who was present ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_chair_ticks_who_is_present_and_the_minutes_say_so(
    client, daalhof, malberg, planned, resident_in
):
    on_agenda = resident_in("step2", last_name="Janssen")
    move_resident(
        resident=on_agenda,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    prepare_agenda(meeting=planned, by=daalhof.coordinator)
    page = reverse("meeting", args=["daalhof", planned.pk])
    client.force_login(daalhof.gp)
    client.get(page)  # having the page open proposes nobody: the chair ticks who is there
    client.force_login(daalhof.coordinator)
    html = client.get(page).content.decode()
    assert f'name="attendees" value="{daalhof.coordinator.pk}" checked' in html  # the chair
    for member in (daalhof.gp, daalhof.welfare):
        assert f'name="attendees" value="{member.pk}">' in html

    ticked = [daalhof.gp.pk, daalhof.welfare.pk, malberg.gp.pk]  # malberg's GP is no member
    client.post(
        reverse("meeting_step", args=["daalhof", planned.pk, "open"]), {"attendees": ticked}
    )
    meeting = Meeting.objects.get(pk=planned.pk)
    assert meeting.is_open
    assert set(meeting.attendees.all()) == {daalhof.gp, daalhof.welfare, daalhof.coordinator}

    minutes_url = reverse("meeting_minutes", args=["daalhof", planned.pk])
    html = client.get(minutes_url).content.decode()
    present = html[html.index('class="attendees"') :].split("</p>")[0]
    for who in (daalhof.gp, daalhof.welfare, daalhof.coordinator):  # (as the page writes it:
        assert escape(who.get_full_name()) in present  # a name such as "d'Heripon" escaped)
    assert escape(malberg.gp.get_full_name()) not in present and "Aanwezig" in present
    logged = AccessLogEntry.objects.filter(user=daalhof.coordinator, path=minutes_url)
    assert set(logged.values_list("resident_id", flat=True)) == {on_agenda.pk}


@pytest.mark.django_db
def test_the_chair_corrects_who_is_present_while_the_meeting_runs(
    client, daalhof, malberg, in_progress
):
    assert set(in_progress.attendees.all()) == {daalhof.coordinator}
    page = reverse("meeting", args=["daalhof", in_progress.pk])
    client.force_login(daalhof.coordinator)
    html = client.get(page).content.decode()
    assert "Aanwezig: 1 lid" in html
    late = [daalhof.gp.pk, daalhof.district_nurse.pk, malberg.gp.pk, "²"]
    client.post(
        reverse("meeting_step", args=["daalhof", in_progress.pk, "attendance"]),
        {"attendees": late},
    )
    present = {daalhof.coordinator, daalhof.gp, daalhof.district_nurse}  # (the chair stays)
    assert set(Meeting.objects.get(pk=in_progress.pk).attendees.all()) == present
    assert "Aanwezig: 3 leden" in client.get(page).content.decode()

    with pytest.raises(
        Refused,
        match=exactly("Alleen de coördinator van het kernteam legt vast wie er aanwezig is."),
    ):
        set_attendees(meeting=in_progress, by=daalhof.gp, attendees=[daalhof.gp.pk])
    close_meeting(meeting=in_progress, by=daalhof.coordinator)
    with pytest.raises(
        Refused, match=exactly("Wie er aanwezig is, legt u vast terwijl het MDO bezig is.")
    ):
        set_attendees(meeting=in_progress, by=daalhof.coordinator, attendees=[])
    assert set(Meeting.objects.get(pk=in_progress.pk).attendees.all()) == present


@pytest.mark.django_db
def test_a_confirmation_in_the_minutes_names_the_step(client, daalhof, planned, resident_in):
    janssen = resident_in("step2", last_name="Janssen")
    step_up = move_resident(  # between meetings: urgent, to be confirmed in the next
        resident=janssen,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Gevallen",
    )
    meeting = open_meeting(meeting=planned, by=daalhof.coordinator)
    confirm_step_up(resident=janssen, by=daalhof.gp, step_up=step_up)
    client.force_login(daalhof.coordinator)
    html = client.get(reverse("meeting_minutes", args=["daalhof", meeting.pk])).content.decode()
    decision = html[html.index("Urgente opschaling bevestigd") :].split("</li>")[0]
    assert 'class="confirmed-step">Stap 3 · Complexe zorg<' in decision
