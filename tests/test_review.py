"""A review without a move ("besproken, stap blijft"): who may record it and when, what it
writes, and that the board, the agenda, the carer portal and the KPI then agree the resident
was reviewed. Opening a resident in a meeting is not a review, nor a discussion."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from clients.services import change_coordinator, handle_concern, raise_concern
from kernteam.models import AgendaReason, Meeting
from kernteam.refusals import Refused
from steps import kpi
from steps.board import board_columns
from steps.meetings import agenda_candidates, decided_residents, focus_on, open_meeting
from steps.minutes import meeting_minutes
from steps.models import StepChange, Trajectory
from steps.portal import carer_view
from steps.services import StateConflict, add_goal, move_resident, review_resident
from steps.states import review_due
from tests.factories import carer_for
from tests.factories import open_meeting as meeting_in_progress

pytestmark = pytest.mark.django_db

NOTE = "Gaat goed met de dagbesteding; blijft in stap 2."
OUTSIDE = (
    "Outside a team meeting, only the GP or the resident's care coordinator can record a review."
)
NOT_IN_A_STEP = "A review can only be recorded while the resident is in step 1 to 4."


def today() -> datetime.date:
    return timezone.localdate()


def overdue(resident, *, days: int = 10, entered_days_ago: int | None = None):
    """The resident's review date `days` in the past. With `entered_days_ago`, the history
    says when she got her step (the KPI reads the history) and the date follows from it."""
    trajectory = resident.trajectory
    due = today() - datetime.timedelta(days=days)
    if entered_days_ago is not None:
        entered = timezone.now() - datetime.timedelta(days=entered_days_ago)
        StepChange.objects.create(
            trajectory=trajectory,
            kind="enter",
            from_state="screening",
            to_state=trajectory.state,
            actor=resident.team.memberships.first().user,
            at=entered,
        )
        due = review_due(trajectory.state, timezone.localdate(entered))
    Trajectory.objects.filter(pk=trajectory.pk).update(review_due=due)
    trajectory.refresh_from_db()
    return due


def flags(resident, user) -> tuple[str, ...]:
    cards = [c for col in board_columns(team=resident.team, user=user) for c in col.cards]
    return next(c.flags for c in cards if c.resident_id == resident.pk)


def review(resident, by, **kwargs):
    kwargs.setdefault("expected_state", resident.trajectory.state)
    return review_resident(resident=resident, by=by, **kwargs)


# --- who may, and when ------------------------------------------------------------------------


def test_in_a_meeting_any_member_records_a_review_for_the_team(
    daalhof, resident_in, team_events, django_capture_on_commit_callbacks
):
    resident = resident_in("step2")
    overdue(resident)
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        change = review(resident, daalhof.welfare, note=f"  {NOTE}  ")
    row = StepChange.objects.get(pk=change.pk)
    assert (row.kind, row.from_state, row.to_state) == ("review", "step2", "step2")
    assert (row.meeting, row.actor, row.actor_role, row.reason) == (
        meeting,
        daalhof.welfare,
        "welfare",
        NOTE,
    )
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.state == "step2"
    assert resident.trajectory.review_due == review_due("step2", today())  # 6 months on
    assert team_events == [
        (
            f"team-{daalhof.team.pk}",
            {
                "type": "resident.reviewed",
                "resident": resident.pk,
                "state": "step2",
                "change": change.pk,
            },
        )
    ]


@pytest.mark.parametrize("step", ["step1", "step2", "step3", "step4"])
def test_the_next_review_date_follows_the_steps_interval(daalhof, resident_in, step):
    resident = resident_in(step)
    overdue(resident, days=400)
    review(resident, daalhof.gp)
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.review_due == review_due(step, today()) > today()


def test_outside_a_meeting_only_the_gp_or_the_care_coordinator(daalhof, resident_in):
    resident = resident_in("step3", coordinator=daalhof.district_nurse)
    due = overdue(resident)
    # Not the POH, and not the team's coordinator (who is not her care coordinator).
    for member in (daalhof.poh, daalhof.coordinator):
        with translation.override("en"), pytest.raises(Refused) as refused:
            review(resident, member, note=NOTE)
        assert refused.value.problems == [OUTSIDE] and refused.value.forbidden
    assert not resident.trajectory.history.exists()
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.review_due == due
    by_coordinator = review(resident, daalhof.district_nurse)
    by_gp = review(resident, daalhof.gp, note="Huisbezoek gedaan")
    assert [(c.actor, c.meeting, c.reason) for c in (by_coordinator, by_gp)] == [
        (daalhof.district_nurse, None, ""),
        (daalhof.gp, None, "Huisbezoek gedaan"),
    ]


def test_a_meeting_left_open_since_yesterday_is_no_meeting(daalhof, resident_in):
    resident = resident_in("step2")
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    Meeting.objects.filter(pk=meeting.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=1)
    )
    with translation.override("en"), pytest.raises(Refused, match=OUTSIDE):
        review(resident, daalhof.welfare)
    assert review(resident, daalhof.gp).meeting is None


@pytest.mark.parametrize("state", ["signalled", "screening", "admitted", "closed"])
def test_only_while_in_a_step(daalhof, resident_in, state):
    resident = resident_in(state)
    meeting_in_progress(daalhof.team, daalhof.coordinator)
    with translation.override("en"), pytest.raises(Refused) as refused:
        review(resident, daalhof.gp)
    assert refused.value.problems == [NOT_IN_A_STEP]
    assert refused.value.fields == {"non_field_errors": [NOT_IN_A_STEP]}
    assert not refused.value.forbidden and not resident.trajectory.history.exists()


def test_every_reason_at_once(daalhof, resident_in):
    resident = resident_in("screening")
    with translation.override("en"), pytest.raises(Refused) as refused:
        review(resident, daalhof.poh)
    assert refused.value.problems == [OUTSIDE]  # who comes first: 403, nothing about the state


def test_someone_of_another_team_is_refused(daalhof, malberg, resident_in):
    resident = resident_in("step2")
    with translation.override("en"), pytest.raises(Refused) as refused:
        review(resident, malberg.gp)
    assert refused.value.problems == [
        "Only members of this resident's kernteam can change the step."
    ]
    assert refused.value.forbidden and not resident.trajectory.history.exists()


def test_a_state_changed_meanwhile_is_a_conflict(daalhof, resident_in):
    resident = resident_in("step2")
    due = overdue(resident)
    move_resident(
        resident=resident,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.district_nurse,
        reason="Twee keer gevallen",
    )
    with translation.override("nl"), pytest.raises(StateConflict) as conflict:
        review(resident, daalhof.gp, expected_state="step2", note=NOTE)
    assert conflict.value.conflict == {"current_state": "step3"}
    assert "is intussen door" in str(conflict.value) and "Stap 3" in str(conflict.value)
    assert list(resident.trajectory.history.values_list("kind", flat=True)) == ["step_up"]
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.review_due != due  # (the step-up's date, not a review's)
    assert resident.trajectory.history.filter(kind="review").count() == 0


def test_a_note_longer_than_a_reason_may_be_is_refused(daalhof, resident_in):
    resident = resident_in("step2")
    with translation.override("en"), pytest.raises(Refused) as refused:
        review(resident, daalhof.gp, note="x" * 2001)
    assert refused.value.fields == {"note": ["The note may be 2000 characters long at most."]}
    assert review(resident, daalhof.gp, note="x" * 2000).reason == "x" * 2000


def test_the_database_still_refuses_a_state_its_history_does_not_record(daalhof, resident_in):
    """A review row records the step it keeps: the trigger (steps 0005) lets the review pass
    and still refuses a new state written without its own row."""
    resident = resident_in("step2")
    review(resident, daalhof.gp)
    refused = pytest.raises(DatabaseError, match="state changes only with its history")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE steps_trajectory SET state = %s WHERE id = %s",
            ["step3", resident.trajectory.pk],
        )
    assert Trajectory.objects.get(pk=resident.trajectory.pk).state == "step2"


# --- one definition of "reviewed" -------------------------------------------------------------


def test_board_agenda_portal_and_kpi_agree_on_a_review(daalhof, resident_in):
    """Janssen got step 2 seven months ago and was not reviewed since: the board flags it, the
    agenda takes her, her daughter reads that the team looks again soon and the KPI counts her
    late. After the GP's review all four say the same: reviewed, next time in six months."""
    resident = resident_in("step2", last_name="Janssen")
    overdue(resident, entered_days_ago=213)
    thea = carer_for(resident, username="thea")
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())

    def late() -> int:
        figures = kpi.reviews_on_time(teams=[daalhof.team], today=today())
        assert figures.in_step[-1] == 1
        return figures.in_step[-1] - figures.on_time[-1]

    assert "review_overdue" in flags(resident, daalhof.poh)
    assert AgendaReason.REVIEW in agenda_candidates(meeting=meeting)[resident.pk]
    assert carer_view(carer=thea, resident=resident).review_overdue
    assert late() == 1

    review(resident, daalhof.gp, note=NOTE)

    next_review = review_due("step2", today())
    assert "review_overdue" not in flags(resident, daalhof.poh)
    # (still on it for her medication review: step 2, none on record, `steps.medication`)
    assert agenda_candidates(meeting=meeting)[resident.pk] == [AgendaReason.MEDICATION]
    view = carer_view(carer=thea, resident=resident)
    assert (view.review_overdue, view.review_due) == (False, next_review)
    assert late() == 0


@pytest.mark.parametrize(("days", "flagged"), [(1, True), (0, False)])
def test_overdue_from_the_day_after_the_review_date(daalhof, resident_in, days, flagged):
    """Due today: the board and the carer portal wait (today's meeting may review her); due
    yesterday: both say it is overdue. Admitted, the team waits for her return home."""
    resident = resident_in("step3")
    overdue(resident, days=days)
    thea = carer_for(resident)
    assert ("review_overdue" in flags(resident, daalhof.poh)) is flagged
    assert carer_view(carer=thea, resident=resident).review_overdue is flagged
    move_resident(resident=resident, transition="admit", expected_state="step3", by=daalhof.gp)
    assert "review_overdue" not in flags(resident, daalhof.poh)


def test_opening_a_resident_in_the_meeting_is_not_a_review(daalhof, resident_in):
    resident = resident_in("step2")
    overdue(resident, entered_days_ago=213)
    meeting = open_meeting(
        meeting=Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now()),
        by=daalhof.coordinator,
    )
    focus_on(meeting=meeting, by=daalhof.coordinator, resident=resident)
    item = meeting.agenda.get(resident=resident)
    assert item.opened_at is not None and item.discussed_at is None
    assert decided_residents(meeting=meeting) == set()
    assert "review_overdue" in flags(resident, daalhof.poh)
    assert kpi.reviews_on_time(teams=[daalhof.team], today=today()).on_time[-1] == 0
    # Opening her again keeps the first moment.
    opened = item.opened_at
    focus_on(meeting=meeting, by=daalhof.coordinator, resident=resident)
    item.refresh_from_db()
    assert item.opened_at == opened


def test_discussed_means_a_decision_recorded_with_the_meeting(daalhof, resident_in):
    """A review, a move, a goal, a carer's concern handled, a coordinator named: each makes the
    resident discussed in that meeting; a decision outside it (or in another meeting) does
    not."""
    reviewed, moved, with_goal, with_concern, outside, renamed = (
        resident_in("step2") for _ in range(6)
    )
    meeting = meeting_in_progress(daalhof.team, daalhof.coordinator)
    review(reviewed, daalhof.welfare)
    move_resident(
        resident=moved,
        transition="step_up_to_3",
        expected_state="step2",
        by=daalhof.poh,
        reason="Valt vaker",
    )
    add_goal(resident=with_goal, by=daalhof.poh, domain="social", description="Naar de soos")
    carer = carer_for(with_concern)
    concern = raise_concern(resident=with_concern, by=daalhof.poh, text="Valt", carer=carer)
    handle_concern(concern=concern, by=daalhof.poh)
    change_coordinator(
        resident=renamed, by=daalhof.welfare, coordinator_id=daalhof.poh.pk, expected=None
    )
    other = Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now())
    assert decided_residents(meeting=meeting) == {
        reviewed.pk,
        moved.pk,
        with_goal.pk,
        with_concern.pk,
        renamed.pk,
    }
    assert decided_residents(meeting=other) == set()
    assert outside.pk not in decided_residents(meeting=meeting)


def test_the_minutes_say_who_was_reviewed_and_who_was_not_discussed(client, daalhof, resident_in):
    reviewed = resident_in("step2", last_name="Evaluatie")
    opened = resident_in("step1", last_name="Rustig")
    for resident in (reviewed, opened):
        overdue(resident)
    meeting = open_meeting(
        meeting=Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now()),
        by=daalhof.coordinator,
    )
    assert [i.resident for i in meeting.agenda.order_by("position")] == [reviewed, opened]
    for resident in (reviewed, opened):
        focus_on(meeting=meeting, by=daalhof.coordinator, resident=resident)
    review(reviewed, daalhof.welfare, note=NOTE)

    entries = {e.resident: e for e in meeting_minutes(meeting=meeting).entries}
    assert entries[reviewed].decided and [c.kind for c in entries[reviewed].changes] == ["review"]
    assert not entries[opened].decided

    client.force_login(daalhof.poh)
    html = client.get(reverse("meeting_minutes", args=["daalhof", meeting.pk])).content.decode()
    with translation.override("nl"):
        kind, opened_note = (
            gettext("discussed — step stays"),
            gettext("Opened in the meeting; no decision was recorded."),
        )
    reviewed_part, opened_part = html.split("Rustig")[0], html.split("Rustig")[1]
    assert f"<strong>{escape(kind[0].upper() + kind[1:])}</strong>" in reviewed_part
    assert escape(NOTE) in reviewed_part and "Niet besproken." not in reviewed_part
    assert f"Niet besproken. {escape(opened_note)}" in opened_part


def test_the_agenda_shows_opened_and_discussed(client, daalhof, resident_in):
    reviewed = resident_in("step2", last_name="Evaluatie")
    opened = resident_in("step1", last_name="Rustig")
    waiting = resident_in("step1", last_name="Signaal")
    for resident in (reviewed, opened, waiting):
        overdue(resident)
    meeting = open_meeting(
        meeting=Meeting.objects.create(team=daalhof.team, scheduled_for=timezone.now()),
        by=daalhof.coordinator,
    )
    for resident in (reviewed, opened):
        focus_on(meeting=meeting, by=daalhof.coordinator, resident=resident)
    review(reviewed, daalhof.welfare)
    client.force_login(daalhof.poh)
    html = client.get(reverse("meeting", args=["daalhof", meeting.pk])).content.decode()
    with translation.override("nl"):
        label_opened = gettext("opened")
    items = {
        name: part.split("</li>")[0]
        for part in html.split('<li class="agenda-item')[1:]
        for name in ("Evaluatie", "Rustig", "Signaal")
        if name in part.split("</li>")[0]
    }
    assert items["Evaluatie"].startswith(" discussed")
    assert '<span class="agenda-status">✓ besproken</span>' in items["Evaluatie"]
    assert items["Rustig"].startswith(" opened")
    assert f'<span class="agenda-status">{label_opened}</span>' in items["Rustig"]
    assert "agenda-status" not in items["Signaal"]


# --- the resident panel ---------------------------------------------------------------------


def dutch(message: str) -> str:
    with translation.override("nl"):
        return escape(gettext(message))


def panel(client, resident) -> str:
    return client.get(reverse("resident", args=[resident.pk])).content.decode()


def post_review(client, resident, **data):
    return client.post(reverse("resident_review", args=[resident.pk]), data, HTTP_HX_REQUEST="true")


def test_the_gp_records_a_review_from_the_panel(client, daalhof, resident_in):
    resident = resident_in("step2", last_name="Janssen", coordinator=daalhof.poh)
    overdue(resident)
    button = dutch("Discussed — step stays")
    client.force_login(daalhof.district_nurse)  # neither GP nor her care coordinator
    assert button not in panel(client, resident)
    client.force_login(daalhof.gp)
    assert button in panel(client, resident)
    form = client.get(reverse("resident_review", args=[resident.pk])).content.decode()
    assert 'name="expected_state" value="step2"' in form and 'name="note"' in form

    response = post_review(client, resident, expected_state="step2", note=NOTE)
    assert response.status_code == 200 and response["HX-Trigger"] == "board-changed"
    html = response.content.decode()
    next_review = review_due("step2", today())
    with translation.override("nl"):
        shown = f"{gettext('review')} {date_filter(next_review, 'j M Y')}"
    assert shown in html  # the panel's header
    assert escape(NOTE) in html and dutch("discussed — step stays").capitalize() in html
    assert resident.trajectory.history.get().kind == "review"
    board = client.get(reverse("board", args=["daalhof"])).content.decode()
    assert "evaluatie te laat" not in board and "Janssen" in board


def test_a_refused_review_says_why_and_keeps_the_note(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    due = overdue(resident)
    client.force_login(daalhof.district_nurse)
    html = post_review(client, resident, expected_state="step2", note=NOTE).content.decode()
    assert dutch(OUTSIDE) in html
    assert f"{escape(NOTE)}</textarea>" in html
    resident.trajectory.refresh_from_db()
    assert resident.trajectory.review_due == due and not resident.trajectory.history.exists()


def test_a_conflict_keeps_the_note(client, daalhof, resident_in):
    resident = resident_in("step2", coordinator=daalhof.poh)
    move_resident(
        resident=resident,
        transition="admit",
        expected_state="step2",
        by=daalhof.gp,
        reason="Ziekenhuis",
    )
    client.force_login(daalhof.poh)
    html = post_review(client, resident, expected_state="step2", note=NOTE).content.decode()
    assert "is intussen door" in html and "Tijdelijk opgenomen" in html
    assert f"{escape(NOTE)}</textarea>" in html
    assert not resident.trajectory.history.filter(kind="review").exists()
