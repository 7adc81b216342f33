"""Outcome events (issue 17, part 4): who records one and what is refused, how they fit the
state machine without double counting (the *admitted* move, closing as deceased or as
permanently admitted to a nursing home), the card's flag and the agenda reason until the next
meeting, the panel, the access log, and that carers never see them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from clients.services import record_consent
from kernteam.models import AccessLogEntry, AgendaReason, Meeting, shown_date
from kernteam.refusals import Refused
from kernteam.undeletable import ProtectedRecord
from steps.board import board_columns
from steps.meetings import agenda_candidates, close_meeting
from steps.models import StepChange
from steps.outcome_services import record_event
from steps.outcomes import ADMISSION_LINK_DAYS, OutcomeEvent
from steps.portal import carer_view
from steps.services import StateConflict, move_resident
from tests.factories import ResidentFactory, carer_for, give_consent, open_meeting
from tests.helpers import exactly

pytestmark = pytest.mark.django_db

NOT_ALLOWED = (
    "Alleen leden van het kernteam van de cliënt die dit dossier mogen inzien, kunnen een "
    "gebeurtenis vastleggen."
)
CLOSED = "Dit dossier is afgesloten: er kan geen gebeurtenis meer worden vastgelegd."


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def record(resident, by, kind="fall", **kwargs) -> OutcomeEvent:
    kwargs.setdefault("occurred_on", today())
    return record_event(resident=resident, by=by, kind=kind, **kwargs)


def flags(resident, team, user) -> tuple[str, ...]:
    for column in board_columns(team=team.team, user=user):
        for card in column.cards:
            if card.resident_id == resident.pk:
                return card.flags
    raise AssertionError("not on the board")


# --- recording, and who may -----------------------------------------------------------------


def test_a_member_records_a_fall_and_the_boards_hear_of_it(
    daalhof, resident_in, team_events, django_capture_on_commit_callbacks
):
    resident = resident_in("step2")
    with django_capture_on_commit_callbacks(execute=True):
        event = record(resident, daalhof.welfare, note="  Gevallen in de badkamer  ")
    event.refresh_from_db()
    assert (event.kind, event.occurred_on, event.place) == ("fall", today(), "")
    assert event.note == "Gevallen in de badkamer"
    assert event.recorded_by == daalhof.welfare
    assert event.step_change is None
    assert [e["type"] for _, e in team_events] == ["resident.event"]
    assert team_events[0][1]["resident"] == resident.pk


@pytest.mark.parametrize(
    "role", ["gp", "poh", "district_nurse", "welfare", "dementia_case_manager", "coordinator"]
)
def test_every_professional_member_who_sees_the_resident_may(daalhof, resident_in, role):
    resident = resident_in("step1")
    record(resident, daalhof.member(role), kind="emergency", occurred_on=days_ago(2))
    assert OutcomeEvent.objects.filter(resident=resident, kind="emergency").count() == 1


def test_a_carer_may_not(daalhof, resident_in):
    resident = resident_in("step2")
    carer = carer_for(resident, username="thea.events")
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)) as refused:
        record(resident, carer.user)
    assert refused.value.forbidden
    assert not OutcomeEvent.objects.exists()


def test_a_member_of_another_team_may_not(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)):
        record(resident, malberg.gp)
    assert not OutcomeEvent.objects.exists()


def test_a_member_outside_the_consent_may_not(daalhof, resident_in):
    resident = resident_in("step2", consent=False)
    give_consent(resident, daalhof.poh, disciplines=["gp", "poh"])
    with pytest.raises(Refused, match=exactly(NOT_ALLOWED)):
        record(resident, daalhof.welfare)
    record(resident, daalhof.poh)  # the POH sees every resident of the team


def test_a_closed_record_takes_no_event(daalhof, resident_in):
    resident = resident_in("closed")
    with pytest.raises(Refused, match=exactly(CLOSED)) as refused:
        record(resident, daalhof.gp, kind="death", place="home")
    assert refused.value.fields == {"non_field_errors": [CLOSED]}
    assert not OutcomeEvent.objects.exists()


# --- bad input: a message per field, nothing saved ------------------------------------------


@pytest.mark.parametrize(
    "given, field, message",
    [
        ({"occurred_on": 1}, "occurred_on", "De datum ligt in de toekomst."),
        (
            {"occurred_on": datetime.date(1938, 3, 13)},
            "occurred_on",
            "De datum ligt vóór de geboortedatum van de cliënt.",
        ),
        ({"kind": "burglary"}, "kind", "Kies een van de genoemde gebeurtenissen."),
        ({"kind": "death"}, "place", "Geef aan waar de cliënt is overleden."),
        (
            {"kind": "fall", "place": "home"},
            "place",
            "Een plaats wordt alleen bij een overlijden vastgelegd.",
        ),
        ({"kind": "death", "place": "unknown"}, "place", "Kies een van de genoemde plaatsen."),
        ({"kind": "death", "place": "moon"}, "place", "Kies een van de genoemde plaatsen."),
        ({"note": "x" * 2001}, "note", "De notitie mag hoogstens 2000 tekens lang zijn."),
        ({"occurred_on": "2026-01-01"}, "occurred_on", "Voer een geldige datum in."),
    ],
)
def test_bad_input_is_refused_by_field(daalhof, resident_in, given, field, message):
    resident = resident_in("step2")  # born 14 March 1938 (the factory)
    kwargs = {"kind": "fall", "occurred_on": today(), **given}
    if kwargs["occurred_on"] == 1:
        kwargs["occurred_on"] = today() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        record_event(resident=resident, by=daalhof.gp, **kwargs)
    assert refused.value.message_dict == {field: [message]}
    assert not OutcomeEvent.objects.exists()


def test_the_day_of_birth_and_today_are_fine(daalhof, resident_in):
    resident = resident_in("step2")
    record(resident, daalhof.gp, occurred_on=resident.date_of_birth)
    record(resident, daalhof.gp, occurred_on=today())
    assert OutcomeEvent.objects.count() == 2


def test_one_death_per_resident(daalhof, resident_in):
    resident = resident_in("step3")
    record(resident, daalhof.gp, kind="death", place="hospice")
    with pytest.raises(ValidationError) as refused:
        record(resident, daalhof.poh, kind="death", place="home")
    assert refused.value.message_dict == {
        "kind": ["Voor deze cliënt is al een overlijden vastgelegd."]
    }
    assert OutcomeEvent.objects.count() == 1


# --- history is never rewritten ------------------------------------------------------------


def test_an_event_is_never_changed_nor_deleted(daalhof, resident_in):
    event = record(resident_in("step2"), daalhof.gp, note="eerst")
    event.note = "later"
    with pytest.raises(ProtectedRecord):
        event.save()
    with pytest.raises(ProtectedRecord):
        OutcomeEvent.objects.filter(pk=event.pk).update(note="later")
    with pytest.raises(ProtectedRecord):
        event.delete()
    with pytest.raises(ProtectedRecord):
        OutcomeEvent.objects.all().delete()
    table = OutcomeEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET note = 'later' WHERE id = %s", [event.pk])
    assert OutcomeEvent.objects.get().note == "eerst"


def test_the_database_allows_only_the_one_link(daalhof, resident_in):
    resident = resident_in("step2")
    event = record(resident, daalhof.gp, kind="hospital")
    change = move_resident(
        resident=resident, transition="admit", expected_state="step2", by=daalhof.gp
    )
    event.refresh_from_db()
    assert event.step_change == change
    table = OutcomeEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET step_change_id = NULL WHERE id = %s", [event.pk])
    with pytest.raises(ProtectedRecord):
        event.link_to(change)


# --- the state machine, without double counting --------------------------------------------


def admit(resident, by, **kwargs):
    return move_resident(
        resident=resident, transition="admit", expected_state="step2", by=by, **kwargs
    )


def close(resident, by, closure_reason, expected="step3"):
    return move_resident(
        resident=resident,
        transition="close",
        expected_state=expected,
        by=by,
        reason="Zie gebeurtenis",
        closure_reason=closure_reason,
    )


def test_the_admitted_move_records_one_hospital_admission(daalhof, resident_in):
    resident = resident_in("step2")
    change = admit(resident, daalhof.district_nurse)
    event = OutcomeEvent.objects.get()
    assert (event.kind, event.occurred_on, event.step_change) == ("hospital", today(), change)
    assert event.recorded_by == daalhof.district_nurse
    assert event.resident == resident


def test_the_admitted_move_links_a_recent_admission_instead(daalhof, resident_in):
    resident = resident_in("step2")
    earlier = record(resident, daalhof.poh, kind="hospital", occurred_on=days_ago(2))
    change = admit(resident, daalhof.district_nurse)
    assert OutcomeEvent.objects.count() == 1
    earlier.refresh_from_db()
    assert earlier.step_change == change
    assert change.outcome_event == earlier


def test_a_crisis_admission_counts_as_the_admission_that_names_it(daalhof, resident_in):
    resident = resident_in("step2")
    crisis = record(resident, daalhof.gp, kind="crisis", occurred_on=days_ago(1))
    change = admit(resident, daalhof.gp, admission="crisis")  # (tests/test_outcome_event_moves)
    crisis.refresh_from_db()
    assert crisis.step_change == change
    assert OutcomeEvent.objects.count() == 1


def test_an_admission_older_than_the_window_is_not_this_one(daalhof, resident_in):
    resident = resident_in("step2")
    old = record(
        resident, daalhof.gp, kind="hospital", occurred_on=days_ago(ADMISSION_LINK_DAYS + 1)
    )
    change = admit(resident, daalhof.gp)
    old.refresh_from_db()
    assert old.step_change is None
    assert OutcomeEvent.objects.get(step_change=change).occurred_on == today()
    assert OutcomeEvent.objects.count() == 2


def test_a_linked_admission_is_not_linked_again(daalhof, resident_in):
    resident = resident_in("step2")
    record(resident, daalhof.gp, kind="hospital", occurred_on=days_ago(3))
    first = admit(resident, daalhof.gp)
    move_resident(
        resident=resident, transition="return_home", expected_state="admitted", by=daalhof.gp
    )
    second = admit(resident, daalhof.gp)
    assert OutcomeEvent.objects.get(step_change=first).occurred_on == days_ago(3)
    assert OutcomeEvent.objects.get(step_change=second).occurred_on == today()
    assert OutcomeEvent.objects.filter(step_change__isnull=True).count() == 0


def test_an_admission_taken_as_a_move_is_not_recorded_again(daalhof, resident_in):
    resident = resident_in("step2")
    admit(resident, daalhof.district_nurse)
    with translation.override("nl"):
        shown = shown_date(timezone.localdate())
    for kind in ("hospital", "crisis"):
        with pytest.raises(ValidationError) as refused:
            record(resident, daalhof.poh, kind=kind, occurred_on=days_ago(1))
        assert refused.value.message_dict == {
            "kind": [
                f"Deze opname is al vastgelegd: de cliënt is sinds {shown} tijdelijk opgenomen."
            ]
        }
    record(resident, daalhof.poh, kind="fall")  # in hospital: still an event of its own
    record(resident, daalhof.poh, kind="hospital", occurred_on=days_ago(ADMISSION_LINK_DAYS + 1))
    assert OutcomeEvent.objects.filter(kind="hospital").count() == 2


def test_other_moves_record_no_event(daalhof, resident_in):
    resident = resident_in("step2")
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.gp,
        reason="Meer zorg nodig",
    )
    close(resident, daalhof.gp, "moved")
    assert not OutcomeEvent.objects.exists()


def test_closing_as_deceased_without_details_records_the_death(daalhof, resident_in):
    resident = resident_in("step3")
    change = close(resident, daalhof.gp, "deceased")  # who does not say: the admin, older API
    event = OutcomeEvent.objects.get()
    assert (event.kind, event.place, event.step_change) == ("death", "unknown", change)


def test_closing_as_deceased_links_the_recorded_death(daalhof, resident_in):
    resident = resident_in("step3")
    death = record(resident, daalhof.poh, kind="death", place="home", occurred_on=days_ago(20))
    change = close(resident, daalhof.coordinator, "deceased")
    death.refresh_from_db()
    assert (death.step_change, death.place) == (change, "home")
    assert OutcomeEvent.objects.count() == 1


def test_closing_for_a_nursing_home_records_or_links_that(daalhof, resident_in):
    linked = resident_in("step3")
    admission = record(linked, daalhof.poh, kind="nursing_home", occurred_on=days_ago(5))
    change = close(linked, daalhof.gp, "nursing_home")
    admission.refresh_from_db()
    assert admission.step_change == change
    recorded = resident_in("step3")
    change = close(recorded, daalhof.gp, "nursing_home")
    assert OutcomeEvent.objects.get(resident=recorded).step_change == change
    assert OutcomeEvent.objects.count() == 2


def test_a_refused_or_lost_move_leaves_no_event(daalhof, resident_in):
    resident = resident_in("step2")
    with pytest.raises(Refused):
        admit(resident, daalhof.welfare)  # only the district nurse or the GP
    with pytest.raises(StateConflict):
        move_resident(resident=resident, transition="admit", expected_state="step1", by=daalhof.gp)
    assert not OutcomeEvent.objects.exists()
    assert not StepChange.objects.filter(kind="admit").exists()


# --- the card's flag and the agenda, until the next meeting ---------------------------------


def test_the_flag_shows_until_the_next_meeting_closes(daalhof, resident_in):
    resident = resident_in("step2")
    assert "event" not in flags(resident, daalhof, daalhof.poh)
    record(resident, daalhof.poh)
    assert "event" in flags(resident, daalhof, daalhof.poh)
    meeting = open_meeting(daalhof.team, daalhof.coordinator)
    assert "event" in flags(resident, daalhof, daalhof.poh)  # open: not yet discussed
    close_meeting(meeting=meeting, by=daalhof.coordinator)
    assert "event" not in flags(resident, daalhof, daalhof.poh)
    record(resident, daalhof.poh, kind="out_of_hours")
    assert "event" in flags(resident, daalhof, daalhof.poh)


def test_another_teams_meeting_does_not_clear_the_flag(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    record(resident, daalhof.poh)
    close_meeting(meeting=open_meeting(malberg.team, malberg.coordinator), by=malberg.coordinator)
    assert "event" in flags(resident, daalhof, daalhof.poh)


def test_the_flag_label_in_dutch(client, daalhof, resident_in):
    resident = resident_in("step2")
    record(resident, daalhof.poh)
    client.force_login(daalhof.poh)
    html = client.get(reverse("board", args=[daalhof.team.slug])).content.decode()
    assert '<li class="flag flag-event">gebeurtenis</li>' in html
    flagged = client.get(reverse("board", args=[daalhof.team.slug]) + "?flagged=1")
    assert resident.last_name in flagged.content.decode()


def test_the_agenda_reason_until_the_next_meeting(daalhof, resident_in):
    resident = resident_in("step2")
    quiet = resident_in("step2")
    planned = Meeting.objects.create(
        team=daalhof.team, scheduled_for=timezone.now() + datetime.timedelta(days=7)
    )
    assert AgendaReason.EVENT not in agenda_candidates(meeting=planned).get(resident.pk, [])
    record(resident, daalhof.poh)
    assert AgendaReason.EVENT in agenda_candidates(meeting=planned)[resident.pk]
    assert AgendaReason.EVENT not in agenda_candidates(meeting=planned).get(quiet.pk, [])
    assert str(AgendaReason.EVENT.label) == "gebeurtenis sinds vorig MDO"
    close_meeting(meeting=open_meeting(daalhof.team, daalhof.coordinator), by=daalhof.coordinator)
    assert AgendaReason.EVENT not in agenda_candidates(meeting=planned).get(resident.pk, [])


def test_the_board_stays_one_query_with_events(client, daalhof):
    def add(n):
        for i in range(n):
            r = ResidentFactory(team=daalhof.team, state=["step1", "step2", "step3"][i % 3])
            give_consent(r, daalhof.poh, disciplines=["gp", "poh", "district_nurse"])
            record(r, daalhof.poh, kind=["fall", "emergency", "hospital"][i % 3])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("board", args=[daalhof.team.slug])).status_code == 200
        return sum("kernteam_accesslogentry" not in q["sql"] for q in captured.captured_queries)

    client.force_login(daalhof.district_nurse)
    add(5)
    with_5 = queries()
    add(40)
    close_meeting(meeting=open_meeting(daalhof.team, daalhof.coordinator), by=daalhof.coordinator)
    assert queries() == with_5


# --- the panel -----------------------------------------------------------------------------


def event_url(resident) -> str:
    return reverse("resident_event", args=[resident.pk])


def test_the_form_opens_as_a_page_or_in_the_panel(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    panel = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert "Gebeurtenis vastleggen" in panel
    page = client.get(event_url(resident)).content.decode()
    assert "<h1>Gebeurtenis vastleggen</h1>" in page
    assert f'value="{today().isoformat()}"' in page  # the date defaults to today
    for kind in ("SEH-bezoek", "Contact met de huisartsenpost", "Crisisopname"):
        assert kind in page
    part = client.get(event_url(resident), headers={"HX-Request": "true"}).content.decode()
    assert "<h4>Gebeurtenis vastleggen</h4>" in part and "<html" not in part


def test_recording_from_the_panel_shows_it_in_the_history(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    answer = client.post(
        event_url(resident),
        {"kind": "emergency", "occurred_on": days_ago(1).isoformat(), "note": "Heupfractuur?"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'class="outcome-event"' in html
    assert "SEH-bezoek" in html and "Heupfractuur?" in html
    assert "vastgelegd door" in html
    assert OutcomeEvent.objects.get().kind == "emergency"


def test_a_hospital_admission_offers_the_admitted_move(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.district_nurse)
    html = client.post(
        event_url(resident), {"kind": "hospital", "occurred_on": today().isoformat()}
    ).content.decode()
    offer = f'{reverse("resident_move", args=[resident.pk])}?transition=admit"'
    assert offer in html and "event-move" in html
    # the offer is a prefilled move form; taking it links the event
    form = client.get(reverse("resident_move", args=[resident.pk]) + "?transition=admit")
    assert 'value="admit"' in form.content.decode()
    client.post(
        reverse("resident_move", args=[resident.pk]),
        {"transition": "admit", "expected_state": "step2", "reason": ""},
    )
    assert OutcomeEvent.objects.get().step_change.kind == "admit"
    after = client.get(reverse("resident", args=[resident.pk])).content.decode()
    assert "event-move" not in after  # linked: nothing left to offer


def test_the_offer_only_to_whoever_may_take_the_move(client, daalhof, resident_in):
    resident = resident_in("step2")
    record(resident, daalhof.welfare, kind="hospital")
    client.force_login(daalhof.welfare)  # may record it, not admit
    assert "event-move" not in client.get(reverse("resident", args=[resident.pk])).content.decode()


def test_a_death_offers_closing_as_deceased(client, daalhof, resident_in):
    resident = resident_in("step3")
    client.force_login(daalhof.gp)
    html = client.post(
        event_url(resident),
        {"kind": "death", "occurred_on": today().isoformat(), "place": "hospice"},
    ).content.decode()
    assert "?transition=close&amp;closure_reason=deceased" in html
    form = client.get(
        reverse("resident_move", args=[resident.pk]) + "?transition=close&closure_reason=deceased"
    ).content.decode()
    assert '<option value="deceased" selected>' in form


def test_a_place_left_from_another_choice_is_ignored(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    client.post(
        event_url(resident), {"kind": "fall", "occurred_on": today().isoformat(), "place": "home"}
    )
    assert OutcomeEvent.objects.get().place == ""


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "fall", "occurred_on": "+1"}, "De datum ligt in de toekomst."),
        ({"kind": "death", "occurred_on": "today"}, "Geef aan waar de cliënt is overleden."),
        ({"kind": "diefstal", "occurred_on": "today"}, "Selecteer een geldige keuze."),
        ({"kind": "fall", "occurred_on": "31-02-2026"}, "Voer een geldige datum in."),
    ],
)
def test_bad_input_on_the_web_says_why(client, daalhof, resident_in, data, message):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    data = dict(data)
    if data["occurred_on"] == "+1":
        data["occurred_on"] = (today() + datetime.timedelta(days=1)).isoformat()
    elif data["occurred_on"] == "today":
        data["occurred_on"] = today().isoformat()
    answer = client.post(event_url(resident), data)
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not OutcomeEvent.objects.exists()
    entry = AccessLogEntry.objects.filter(resident=resident).latest("pk")
    assert entry.action == "read"  # nothing was written


def test_the_web_form_is_logged(client, daalhof, resident_in):
    resident = resident_in("step2")
    client.force_login(daalhof.poh)
    client.get(event_url(resident))
    client.post(event_url(resident), {"kind": "fall", "occurred_on": today().isoformat()})
    entries = AccessLogEntry.objects.filter(resident=resident, what="resident_event")
    assert sorted(entries.values_list("action", flat=True)) == ["read", "write"]
    assert set(entries.values_list("user", flat=True)) == {daalhof.poh.pk}


def test_a_member_who_may_not_see_the_resident_gets_404(client, daalhof, malberg, resident_in):
    resident = resident_in("step2")
    client.force_login(malberg.gp)
    assert client.get(event_url(resident)).status_code == 404
    assert client.post(event_url(resident), {"kind": "fall"}).status_code == 404
    assert not OutcomeEvent.objects.exists()


# --- carers never see events -----------------------------------------------------------------


def test_carers_never_see_events(client, daalhof, resident_in):
    resident = resident_in("step2", consent=False, coordinator=daalhof.poh)
    record_consent(
        resident=resident,
        by=daalhof.poh,
        given_on=today(),
        disciplines=["gp", "poh"],
        share_with_carers=True,
    )
    record(resident, daalhof.poh, kind="emergency", note="Valpartij met hoofdwond")
    carer = carer_for(resident, username="thea.portal")
    view = carer_view(carer=carer, resident=resident)
    assert not any("event" in name for name in vars(view))
    client.force_login(carer.user)
    portal = client.get(reverse("carer_portal")).content.decode()
    assert resident.last_name in portal  # she sees her father…
    assert "Valpartij" not in portal and "gebeurtenis" not in portal
    assert not re.search(r"\bSEH\b", portal)  # (as a word: a CSRF token may hold the letters)
    assert client.get(event_url(resident)).status_code in (302, 404)
    assert client.post(event_url(resident), {"kind": "fall"}).status_code in (302, 404)
    assert OutcomeEvent.objects.count() == 1


# --- the admin: read-only, and logged ---------------------------------------------------------


def test_the_admin_shows_events_read_only_and_logs_them(admin_client, daalhof, resident_in):
    resident = resident_in("step2")
    event = record(resident, daalhof.poh, note="Gevallen")
    listed = admin_client.get(reverse("admin:steps_outcomeevent_changelist"))
    assert listed.status_code == 200
    page = admin_client.get(reverse("admin:steps_outcomeevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only
    assert admin_client.get(reverse("admin:steps_outcomeevent_add")).status_code == 403
    deleted = admin_client.post(reverse("admin:steps_outcomeevent_delete", args=[event.pk]))
    assert deleted.status_code == 403
    assert OutcomeEvent.objects.get().note == "Gevallen"
    entries = AccessLogEntry.objects.filter(resident=resident, what__startswith="admin:")
    assert {e.what for e in entries} == {"admin:outcomeevent-list", "admin:outcomeevent"}
    assert set(entries.values_list("action", flat=True)) == {"read"}
