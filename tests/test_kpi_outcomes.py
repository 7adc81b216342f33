"""The outcome KPIs (steps.kpi.outcomes, and carer support in steps.kpi.care) against the
hand-counted dataset of tests/kpi_region.py (the `region` fixture), with the outcome records
below added. Today is 18 March 2026: the window runs from April 2025 up to and including today.

In care (a step, or admitted from one), team A, by the state at the end of each day:
R7 step 1 all window; R2 from 20-05-2025 (admitted 3-16 Nov); R3 01-07 to 14-12-2025 (closed
on the 15th); R1 from 20-09-2025; R10 from 07-10-2025; R4 from 16-12-2025 (admitted from step
4 since 2 March); R8 from 05-01-2026. R5 (signalled), R6 (screening) and R11 (closed before
the window) never are.
"""

from __future__ import annotations

import datetime

import pytest

from clients.care_planning import CarePlanning
from clients.models import MedicationReview, Resident
from steps import kpi
from steps.models import AgreedAction, StepChange
from steps.outcomes import OutcomeEvent
from tests.kpi_region import TODAY, D, at


def r(name: str) -> Resident:
    return Resident.objects.get(last_name=name)


def event(name: str, kind: str, day: datetime.date, by, **extra) -> OutcomeEvent:
    return OutcomeEvent.objects.create(
        resident=r(name), kind=kind, occurred_on=day, recorded_by=by, **extra
    )


def pzp(name: str, day: datetime.date, by) -> CarePlanning:
    return CarePlanning.objects.create(
        resident=r(name), held_on=day, participants=["resident", "gp"], capacity="yes",
        recorded_by=by, recorded_by_role="gp",
    )  # fmt: skip


def review(name: str, day: datetime.date, medicines: int, by) -> MedicationReview:
    return MedicationReview.objects.create(
        resident=r(name), reviewed_on=day, reviewer="gp", medicines_in_use=medicines,
        recorded_by=by,
    )  # fmt: skip


def support(name: str, by, status: str = "open", done_at=None) -> AgreedAction:
    return AgreedAction.objects.create(
        resident=r(name), description="Respijtzorg regelen", owner_member=by, due_on=TODAY,
        status=status, done_at=done_at, supports_carer=True, created_by=by,
    )  # fmt: skip


@pytest.fixture
def outcomes(region, daalhof, malberg):
    gp = daalhof.gp
    # Events. Counted (in care on the day):
    event("Signaal", "fall", D(2025, 4, 1), gp)  # R7, April
    event("Ramakers", "fall", D(2025, 6, 10), gp)  # R2, June
    event("Janssen", "out_of_hours", D(2025, 9, 20), gp)  # R1, the day of its first step
    event("Ramakers", "emergency", D(2025, 11, 2), gp)  # R2, November
    admit = StepChange.objects.get(trajectory__resident=r("Ramakers"), kind="admit")
    event("Ramakers", "hospital", D(2025, 11, 3), gp, step_change=admit)  # the move's event
    event("Peters", "fall", D(2025, 12, 15), gp)  # R3 on the day it was closed
    event("Peters", "death", D(2025, 12, 15), gp, place="home")  # (not a rated event)
    event("Hendriks", "fall", D(2026, 3, 1), gp)  # R4, March
    event("Hendriks", "hospital", D(2026, 3, 2), gp)  # R4, March
    # Not counted:
    event("Signaal", "fall", D(2025, 3, 31), gp)  # before the window
    event("Janssen", "out_of_hours", D(2025, 9, 19), gp)  # R1 still in screening
    event("Wouters", "fall", D(2026, 3, 17), gp)  # R5 signalled: not in care
    event("Nieuwenhuis", "out_of_hours", D(2026, 2, 20), gp)  # R6 screening
    event("Laag", "crisis", D(2025, 10, 20), gp)  # a crisis admission: not one of the rates
    event("Zorg", "fall", D(2025, 8, 19), malberg.gp)  # team B (R9, its first day in care)

    # PZP conversations: R3 (step 3 Jul-Nov) on 15-09-2025; R2 (step 3 from January) on
    # 10-02-2026; R4 (step 4, then admitted from it) twice in March (the first counts); R7 in
    # step 1 (not counted). R8 (step 3 in March) has none.
    pzp("Peters", D(2025, 9, 15), gp)
    pzp("Ramakers", D(2026, 2, 10), gp)
    pzp("Hendriks", D(2026, 3, 5), gp)
    pzp("Hendriks", D(2026, 3, 10), gp)
    pzp("Signaal", D(2025, 5, 1), gp)

    # Medication reviews: R7 (step 1) with 11 medicines on 01-06-2025: eligible from June;
    # R2 on 01-12-2024 (due 01-12-2025) and 01-02-2026; R10 on 20-10-2025; R8 on 01-03-2025
    # (due 01-03-2026); R1 (step 1) with 4 medicines: not eligible; R5 (signalled) with 12: not
    # eligible. R3 and R4 have none.
    review("Signaal", D(2025, 6, 1), 11, gp)
    review("Ramakers", D(2024, 12, 1), 6, gp)
    review("Ramakers", D(2026, 2, 1), 6, gp)
    review("Laag", D(2025, 10, 20), 8, gp)
    review("Urgent", D(2025, 3, 1), 3, gp)
    review("Janssen", D(2026, 1, 15), 4, gp)
    review("Wouters", D(2026, 3, 1), 12, gp)

    # Carer support (carers with a high burden now: C2 with R4, C6 with R2 and R10). R10: an
    # open support action (C6 is supported); R4: one cancelled and one done before the window
    # (C2 is not); R8: open, but C5's link has ended (C5 is not counted at all).
    support("Laag", gp)
    support("Hendriks", gp, status="cancelled")
    support("Hendriks", gp, status="done", done_at=at(2025, 1, 10))
    support("Urgent", gp)
    return region


def test_residents_in_care_and_events_per_thousand(outcomes):
    a, _b = outcomes
    rates = kpi.outcome_rates(teams=[a], today=TODAY)
    assert rates.residents == [1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 6, 6]
    assert rates.events["fall"] == [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    assert rates.events["out_of_hours"] == [0] * 5 + [1] + [0] * 6
    assert rates.events["emergency"] == [0] * 7 + [1] + [0] * 4
    assert rates.events["hospital"] == [0] * 7 + [1, 0, 0, 0, 1]
    assert [rates.rate("fall", i) for i in (0, 2, 8, 11)] == [1000.0, 500.0, 166.7, 166.7]
    assert rates.rate("out_of_hours", 5) == 250.0  # 1 of 4 residents in September
    assert rates.rate("hospital", 7) == 200.0 and rates.rate("hospital", 11) == 166.7
    assert rates.rate("fall", 1) == 0.0


def test_an_admission_and_its_move_are_one_event(outcomes):
    """The admitted move of R2 and its hospital event: November counts one admission."""
    a, _b = outcomes
    assert kpi.outcome_rates(teams=[a], today=TODAY).events["hospital"][7] == 1


def test_the_region_adds_up_the_teams(outcomes):
    a, b = outcomes
    both = kpi.outcome_rates(teams=[a, b], today=TODAY)
    # R9 (team B) in care from 19-08-2025: one more resident from August, and its fall.
    assert both.residents == [1, 2, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7]
    assert both.events["fall"][4] == 1


def test_days_at_home_as_a_share_of_days_in_care(outcomes):
    a, _b = outcomes
    days = kpi.days_at_home(teams=[a], today=TODAY)
    # e.g. May: R7 31 + R2 12 (20-31 May); November: five residents all month, R2 admitted 14
    # days (3-16 Nov); December: R3 until the 14th, R4 from the 16th; March up to today (18
    # days), R4 admitted from the 2nd (17 days).
    assert days.in_care == [30, 43, 60, 93, 93, 101, 149, 150, 154, 182, 168, 108]
    assert days.at_home == [30, 43, 60, 93, 93, 101, 149, 136, 154, 182, 168, 91]
    assert days.share(7) == 90.7 and days.share(11) == 84.3 and days.share(0) == 100.0


def test_pzp_in_step_three_and_four_at_each_months_end(outcomes):
    a, _b = outcomes
    records = kpi.pzp_coverage(teams=[a], today=TODAY)
    # Step 3-4 at the month's end: R3 Jul-Nov; R2 and R4 from January; R8 in March (R4
    # admitted from step 4 still counts).
    assert records.high_steps == [0, 0, 0, 1, 1, 1, 1, 1, 0, 2, 2, 3]
    assert records.with_pzp == [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 2]
    assert [records.share(i) for i in (0, 3, 5, 9, 10, 11)] == [
        None,
        0.0,
        100.0,
        0.0,
        50.0,
        66.7,
    ]


def test_medication_reviews_of_the_eligible_at_each_months_end(outcomes):
    a, _b = outcomes
    records = kpi.medication_coverage(teams=[a], today=TODAY)
    # Eligible: step 2-4 (R2 from May, R3 Jul-Nov, R10 from Oct, R4 from Dec, R8 from Jan) and
    # R7 in step 1 with 11 medicines from its review in June.
    assert records.eligible == [0, 1, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5]
    # Reviewed: R2's first review covers until 30 November, its second from February; R7 from
    # June; R10 from October; R8's review covers January and February, not March; R3 and R4
    # never.
    assert records.reviewed == [0, 1, 2, 2, 2, 2, 3, 3, 2, 3, 4, 3]
    assert records.share(11) == 60.0 and records.share(0) is None


def test_carers_with_a_high_burden_and_support_agreed(outcomes):
    a, _b = outcomes
    carers = kpi.carer_burden(teams=[a], today=TODAY)
    assert (carers.high, carers.high_supported, carers.supported_share) == (2, 1, 50.0)


def test_a_team_without_outcome_data_has_zeros_and_no_shares(daalhof):
    figures = kpi.dashboard(teams=[daalhof.team], today=TODAY)
    assert figures.outcomes.residents == [0] * 12 and figures.outcomes.rate("fall", 11) is None
    assert figures.days_at_home.share(11) is None
    assert figures.pzp.share(11) is None and figures.medication.share(11) is None
    assert figures.carers.supported_share is None


def test_the_page_explains_each_outcome_figure_and_names_no_resident(client, outcomes, daalhof):
    client.force_login(daalhof.coordinator)
    html = client.get("/kpi/").content.decode()
    for sentence in (
        "Valincidenten, SEH-bezoeken, contacten met de huisartsenpost en ziekenhuisopnames",
        "Van alle dagen in zorg, het deel dat cliënten thuis doorbrachten",
        "het deel van de cliënten in stap 3 of 4 met wie een PZP-gesprek is gevoerd",
        "het deel van de cliënten die in aanmerking komen voor een medicatiebeoordeling",
    ):
        assert sentence in html
    for name in ("Janssen", "Ramakers", "Peters", "Hendriks", "Signaal", "Laag", "Urgent"):
        assert name not in html


def test_care_ends_on_the_day_of_death_even_if_the_record_was_closed_later(outcomes, daalhof):
    """R3 died on 10 December, the record was closed on the 15th: 9 days in care in December
    (1-9), not 14; she is still a resident in care in December (the day she died)."""
    a, _b = outcomes
    event("Peters", "death", D(2025, 12, 10), daalhof.gp, place="home")
    days = kpi.days_at_home(teams=[a], today=TODAY)
    assert days.in_care[8] == 154 - 5 and days.at_home[8] == 154 - 5
    assert kpi.outcome_rates(teams=[a], today=TODAY).residents[8] == 6
