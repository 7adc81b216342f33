"""KPI figures against a small hand-built dataset whose answers were counted by hand: the
`region` fixture (conftest.py), described in tests/kpi_region.py. Today is Wednesday 18 March
2026, so the window runs from April 2025 up to and including 18 March 2026."""

from __future__ import annotations

import datetime

import pytest

from clients.models import Resident
from kernteam.models import AgendaItem, Meeting, Team
from steps import kpi
from steps.kpi.history import earliest_review
from steps.states import review_due
from tests.kpi_region import TODAY, D, at, history

MONTHS = [
    D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1), D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1),
    D(2025, 10, 1), D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1),
]  # fmt: skip


def test_the_window_is_twelve_calendar_months_up_to_today():
    months = kpi.months_up_to(TODAY)
    assert [m.first for m in months] == MONTHS
    assert months[0].last == D(2025, 4, 30) and months[10].last == D(2026, 2, 28)
    assert months[-1].last == TODAY and months[-1].current and not months[-2].current


def test_residents_per_state_at_each_months_end(region):
    a, _b = region
    states = kpi.residents_per_state(teams=[a], today=TODAY)
    c = states.counts
    # Apr-Aug 2025: R7 in step 1 throughout; R2 in step 2 from 20 May; R3 screening at the end
    # of June, step 3 from July; R11 closed before the window.
    assert c["step1"][:5] == [1, 1, 1, 1, 1]
    assert c["step2"][:5] == [0, 1, 1, 1, 1]
    assert c["screening"][:5] == [0, 0, 1, 0, 0]
    assert c["step3"][:5] == [0, 0, 0, 1, 1]
    # Step 1: R7; R1 from 20 Sep 2025 (its month in step 2, February, ends in step 1 again).
    assert c["step1"] == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]
    # Step 2: R2 (May-Dec; home again by the end of November), R10 (from Oct), R4 (Dec),
    # R8 (Jan-Feb: its step-up at 00:30 on 1 March is March, local time).
    assert c["step2"] == [0, 1, 1, 1, 1, 1, 2, 2, 3, 2, 2, 1]
    # Step 3: R3 (Jul-Nov), R2 (from Jan), R8 (Mar).
    assert c["step3"] == [0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 2]
    assert c["step4"] == [0] * 9 + [1, 1, 0]  # R4, Jan and Feb; admitted in March
    assert c["admitted"] == [0] * 11 + [1]  # R4 (R2's stay in November ended within it)
    # Screening: R3 (Jun), R8 (Dec), R6 (Feb, Mar). Signalled: R5 (Mar).
    assert c["screening"] == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1]
    assert c["signalled"] == [0] * 11 + [1]
    assert c["closed"] == [1] * 8 + [2, 2, 2, 2]  # R11 throughout, R3 from December
    assert [states.active(i) for i in range(12)] == [1, 2, 3, 3, 3, 4, 5, 5, 6, 6, 7, 8]


def test_step_ups_and_step_downs_per_month(region):
    a, b = region
    moves = kpi.step_moves(teams=[a], today=TODAY)
    # Ups: R2 and R4 in January, R1 in February, R8 in March (00:30 on 1 March, local time);
    # down: R1 in February (up and down in one month: one of each).
    assert moves.up == [0] * 9 + [2, 1, 1]
    assert moves.down == [0] * 10 + [1, 0]
    both = kpi.step_moves(teams=[a, b], today=TODAY)
    assert both.down == [0] * 7 + [1, 0, 0, 1, 0]  # + R9 in November 2025
    assert sum(both.up) == 4


def test_median_time_in_each_step(region):
    a, b = region
    steps = {s.step: s for s in kpi.time_in_step(teams=[a], today=TODAY).steps}
    # Step 1: R1 20-09-2025 to 03-02-2026 = 136 days; R1 (since 24-02) and R7 still running.
    assert (steps["step1"].median_days, steps["step1"].ended, steps["step1"].running) == (136, 1, 2)
    # Step 2: R1 21 days (03-02 to 24-02), R4 28 (16-12 to 13-01), R8 55 (05-01 to 01-03),
    # R2 238 (20-05 to 13-01; the admission in November does not end it): median (28+55)/2.
    # R11's period ended on 25-03-2025, before the window: not counted. R10 still running.
    assert (steps["step2"].median_days, steps["step2"].ended, steps["step2"].running) == (
        41.5,
        4,
        1,
    )
    # Step 3: R3 01-07 to its closure on 15-12-2025 = 167 days; R2 and R8 still running.
    assert (steps["step3"].median_days, steps["step3"].ended, steps["step3"].running) == (167, 1, 2)
    # Step 4: R4 is admitted from step 4 and keeps it: running, nothing ended.
    assert (steps["step4"].median_days, steps["step4"].ended, steps["step4"].running) == (
        None,
        0,
        1,
    )
    region_steps = {s.step: s for s in kpi.time_in_step(teams=[a, b], today=TODAY).steps}
    # + R9: step 2 from 19-08 to 04-11-2025 = 77 days: [21, 28, 55, 77, 238] -> 55.
    assert (region_steps["step2"].median_days, region_steps["step2"].ended) == (55, 5)
    assert region_steps["step1"].running == 3  # + R9


def test_frail_residents_with_a_care_plan_and_a_coordinator(region):
    a, b = region
    care = kpi.care_plan_coverage(teams=[a], today=TODAY)
    # Frail: R2 (step 3), R4 (admitted from step 4), R8 (step 3), R10 (step 2) = 4.
    # Coordinator (active member): R2, R8 (R4's coordinator left the team; R10 has none) = 2.
    # Care plan (open goal and open action): R2, R4 (R8 has only a done action; R10 only an
    # achieved goal) = 2. Both: R2 = 1 of 4.
    assert care == kpi.CarePlanCoverage(frail=4, with_coordinator=2, with_care_plan=2, with_both=1)
    assert care.share == 25.0
    assert kpi.care_plan_coverage(teams=[b], today=TODAY).share is None  # R9 is in step 1


def test_reviews_on_time_at_each_months_end(region):
    a, b = region
    reviews = kpi.reviews_on_time(teams=[a], today=TODAY)
    # In a step at each month's end (admitted residents left out):
    # Apr R7 | May-Jun +R2 | Jul-Aug +R3 | Sep +R1 | Oct-Nov +R10 | Dec -R3 (closed) +R4 |
    # Jan-Feb +R8 | Mar -R4 (admitted).
    assert reviews.in_step == [1, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6, 5]
    # Late: R3 at the end of Oct and Nov (step 3 since 01-07: due 01-10); R2 at the end of Nov
    # and Dec (step 2 since 20-05: due 20-11; the goal set and the concern handled in M2 on
    # 07-10 are no review, nor is its admission); R4 at the end of Feb (step 4 since 13-01:
    # due 24-02); R7 in March (step 1 since 10-03-2025, due 10-03-2026: opened in M4 on
    # 10-03-2026 without a decision, which is no review).
    assert reviews.on_time == [1, 2, 2, 3, 3, 4, 4, 3, 4, 6, 5, 4]
    assert reviews.share(6) == 80.0 and reviews.share(11) == 80.0
    region_reviews = kpi.reviews_on_time(teams=[a, b], today=TODAY)
    # + R9 from August (step 2, then step 1 after its step-down in MB1 on 04-11): on time.
    assert region_reviews.in_step == [1, 2, 2, 3, 4, 5, 6, 6, 6, 7, 7, 6]
    assert region_reviews.on_time == [1, 2, 2, 3, 4, 5, 5, 4, 5, 7, 6, 5]


def test_a_review_that_keeps_the_step_counts_as_a_review(region, daalhof):
    """A review that keeps the step ("discussed, step stays") in M2 (R2, 07-10-2025) and in
    M4 (R7, 10-03-2026): both on time again where the meeting alone (a goal, a concern, the
    agenda item opened) did not count."""
    a, _b = region
    m2 = Meeting.objects.get(team=a, scheduled_for=at(2025, 10, 7, 14))
    m4 = Meeting.objects.get(team=a, scheduled_for=at(2026, 3, 10, 14))
    r2 = Resident.objects.get(last_name="Ramakers")
    r7 = Resident.objects.get(last_name="Signaal")
    history(r2, daalhof.poh, ("review", "step2", "step2", at(2025, 10, 7, 14, 35), m2))
    history(r7, daalhof.poh, ("review", "step1", "step1", at(2026, 3, 10, 14, 10), m4))
    assert kpi.reviews_on_time(teams=[a], today=TODAY).on_time == [
        1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 5, 5,
    ]  # fmt: skip
    # A review row moves no one between states, steps or months of a step.
    assert kpi.residents_per_state(teams=[a], today=TODAY).counts["step1"][-1] == 2
    assert kpi.step_moves(teams=[a], today=TODAY).up == [0] * 9 + [2, 1, 1]
    steps = {s.step: s for s in kpi.time_in_step(teams=[a], today=TODAY).steps}
    assert (steps["step2"].median_days, steps["step2"].ended) == (41.5, 4)
    # ... and it is a step decision of its meeting: M2 (Oct) and M4 (Mar) one more each.
    decisions = kpi.meetings_and_decisions(teams=[a], today=TODAY).step_decisions
    assert decisions == [0, 1, 0, 0, 0, 0, 2, 0, 0, 2, 0, 2]


def test_an_agenda_item_opened_in_a_meeting_is_no_review(region):
    """R7 is late in March with its item opened in M4, and with the old "discussed" mark too."""
    a, _b = region
    AgendaItem.objects.filter(resident__last_name="Signaal").update(
        discussed_at=at(2026, 3, 10, 14, 5)
    )
    assert kpi.reviews_on_time(teams=[a], today=TODAY).on_time[-1] == 4


def test_open_and_overdue_actions(region):
    a, b = region
    actions = kpi.open_actions(teams=[a], today=TODAY)
    # Open, record not closed: R2 (due 31-03 and 04-02), R4 (01-02), R10 (10-03 and 04-03),
    # R1 (18-03, due today: not overdue; and 25-02) = 7. Not counted: R1's cancelled action,
    # R8's done action, R3's open action (closed record).
    # Late: R10 8 and 14 days (1-14); R1 21 and R2 42 days (15-42); R4 45 days (> 42).
    assert actions == kpi.OpenActions(
        open=7, overdue=5, late_up_to_14=2, late_15_to_42=2, late_over_42=1
    )
    assert actions.not_yet_due == 2
    assert kpi.open_actions(teams=[b], today=TODAY).open == 0


def test_carers_with_a_high_burden(region):
    a, b = region
    carers = kpi.carer_burden(teams=[a], today=TODAY)
    # Carers of active residents of A: C1, C2, C3, C6, C7 = 5 (C4's resident is closed, C5's
    # link ended; C6 is linked to two residents and counts once).
    # Latest scores: C1 CSI 5 (dropped below 7: not high), C2 EDIZ-plus 9 (at the cut-off:
    # high), C6 CSI 12 (same day as a 3, recorded later: high), C7 CSI 2; C3's only score is
    # dated after today: never assessed.
    assert carers == kpi.CarerBurden(carers=5, assessed=4, high=2)
    assert carers.high_share == 50.0 and carers.not_assessed == 1
    assert kpi.carer_burden(teams=[b], today=TODAY) == kpi.CarerBurden(1, 1, 0)  # C7
    assert kpi.carer_burden(teams=[a, b], today=TODAY) == kpi.CarerBurden(5, 4, 2)  # C7 once


def test_meetings_held_and_decisions_taken(region):
    a, b = region
    meetings = kpi.meetings_and_decisions(teams=[a], today=TODAY)
    # Held in the window: M1 (May), M2 (Oct), M3 (Jan), M4 (Mar); M0 was before it, M5 was
    # never opened.
    assert meetings.meetings == [0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    # M1: R2's step + R2's goal = 2. M2: R10's step, R2's goal, R10's action, C1's concern = 4.
    # M3: R2's and R4's step-ups + R4's action = 3. M4: R8's confirmation + R1's action = 2.
    assert meetings.step_decisions == [0, 1, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1]
    assert meetings.goals == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert meetings.actions == [0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    assert meetings.concerns == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert [meetings.decisions(i) for i in range(12)] == [0, 2, 0, 0, 0, 0, 4, 0, 0, 3, 0, 2]
    assert (meetings.total_meetings, meetings.total_decisions) == (4, 11)
    both = kpi.meetings_and_decisions(teams=[a, b], today=TODAY)
    assert (both.total_meetings, both.total_decisions) == (5, 12)  # + MB1 with R9's step-down


def test_the_dashboard_holds_the_same_figures(region, django_assert_num_queries):
    a, b = region
    with django_assert_num_queries(13):  # 11, the referrals (issue 18), imported reviews (21)
        board = kpi.dashboard(teams=[a, b], today=TODAY)
    assert board.moves == kpi.step_moves(teams=[a, b], today=TODAY)
    assert board.reviews == kpi.reviews_on_time(teams=[a, b], today=TODAY)
    assert board.carers == kpi.carer_burden(teams=[a, b], today=TODAY)
    # March, region: signalled R5, screening R6, step 1 R1 R7 R9, step 2 R10, step 3 R2 R8,
    # admitted R4, closed R3 R11; active 9.
    assert board.states.table().rows[-1][1:] == [1, 1, 3, 1, 2, 0, 1, 2, 9]


def test_the_region_is_every_team_added_up(region, django_assert_num_queries):
    """For the region the queries leave the team filter out (docs/performance.md): the same
    figures as every team's, with the same number of queries."""
    teams = list(Team.objects.all())
    assert len(teams) == 2
    with django_assert_num_queries(13):
        whole = kpi.dashboard(teams=teams, today=TODAY, region=True)
    assert whole == kpi.dashboard(teams=teams, today=TODAY)
    assert whole.states.table().rows[-1][-1] == 9  # (as above: not a region of zeros)


def test_a_team_without_data_has_zeros_and_no_shares(daalhof):
    board = kpi.dashboard(teams=[daalhof.team], today=TODAY)
    assert board.states.active(11) == 0 and board.reviews.share(11) is None
    assert all(s.median_days is None for s in board.time_in_step.steps)
    assert board.care_plans.share is None and board.carers.high_share is None


@pytest.mark.parametrize(
    "step, day, earliest",
    [
        ("step1", D(2026, 3, 18), D(2025, 3, 18)),
        ("step2", D(2026, 8, 31), D(2026, 3, 1)),  # 28/29 Feb + 6 months is the end of August
        ("step3", D(2026, 5, 31), D(2026, 3, 1)),  # 28 Feb + 3 months is 28 May
        ("step4", D(2026, 3, 18), D(2026, 2, 4)),  # 6 weeks
    ],
)
def test_the_earliest_review_that_is_still_on_time(step, day, earliest):
    assert earliest_review(step, day) == earliest
    assert review_due(step, earliest) >= day > review_due(step, earliest - datetime.timedelta(1))
