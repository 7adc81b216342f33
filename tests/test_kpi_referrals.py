"""The referral KPIs (steps.kpi.referrals, issue 18 §2) against the hand-counted dataset of
tests/kpi_region.py (the `region` fixture) with the offers, referrals and step-downs below
added. Today is 18 March 2026: the window runs from April 2025 (index 0) up to and including
today (March 2026, index 11).

Offers: meals (team A), meeting place (team A), day activities (team A, ended 31-01-2026),
and for the whole region fall prevention, welfare coach, carer support, personal alarm.

Step-downs of team A (R1 from the dataset, S1-S6 added here), each against its referrals:
- S6 10-06-2025: referral 10-07-2025, 30 days after: with a referral (June);
- S1 15-09-2025: referral 16-08-2025, 30 days before, to the offer ended since, stopped: with;
- S2 20-09-2025: no referral at all: without (September: 1 of 2);
- S3 10-12-2025: referrals 09-11-2025 and 10-01-2026, 31 days before and after: without;
- R1 24-02-2026: referrals 20-02-2026 and 10-03-2026 (declined): with, once;
- S4 01-03-2026: none yet, less than 30 days ago: without, waiting;
- S5 05-03-2026: referral 16-03-2026 (proposed): with (March: 1 of 2).
Team B: R9 stepped down on 04-11-2025 and was referred that day (fall prevention).

Feedback of team A, by the referral's last day (referred on + 42 days):
R7 01-03-2025 (before the window) -> 12-04-2025, feedback 20-04: late (April);
S6 10-07-2025 -> 21-08-2025, feedback 20-07: in time (August);
S1 16-08-2025 -> 27-09-2025, feedback 27-09, day 42: in time (September);
R2 01-10-2025 -> 12-11-2025, first feedback 11-10 (an update), the referral's own date since
overwritten by a second feedback on 20-11: in time (November);
S3 09-11-2025 -> 21-12-2025, feedback 22-12, day 43: late (December);
S3 10-01-2026 -> 21-02-2026, no feedback: late (February);
R8 03-02-2026 -> 17-03-2026, yesterday, feedback 01-03: in time (March);
R10 04-02-2026 -> 18-03-2026, today: not yet counted; the rest are due after today.
Feedback is also a status only the provider gives (started, declined by the provider) on the day
a member recorded it, even without text; "registered" is not; a referral stopped in time without
feedback is not counted (see the test of January).
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from clients.models import Resident
from kernteam.models import AccessLogEntry, Team
from kernteam.roles import PROGRAMME_OFFICE
from steps import kpi
from steps.models import AgreedAction
from steps.referrals import LocalOffer, Referral, ReferralUpdate
from tests.factories import UserFactory
from tests.kpi_region import TODAY, D, at, history, resident

FEEDBACK_TEXT = "Mevrouw komt elke dinsdag naar de soos"


def r(name: str) -> Resident:
    return Resident.objects.get(last_name=name)


def offer(name: str, kind: str, by, team=None, ended_on=None) -> LocalOffer:
    return LocalOffer.objects.create(
        name=name, kind=kind, provider="Trajekt", team=team, ended_on=ended_on, created_by=by
    )


def refer(
    who: Resident, to: LocalOffer, day: datetime.date, by, *, status="registered", feedback_on=None
) -> Referral:
    action = AgreedAction.objects.create(
        resident=who, description=f"Aanmelden bij {to.name}", owner_member=by,
        due_on=day + datetime.timedelta(days=14), created_by=by,
    )  # fmt: skip
    return Referral.objects.create(
        action=action, offer=to, status=status, referred_on=day, feedback_on=feedback_on,
        feedback=FEEDBACK_TEXT if feedback_on else "",
    )  # fmt: skip


def stepped_down(team: Team, name: str, by, entered: datetime.date, down: datetime.date):
    """A resident given step 2 on `entered` and stepped down to step 1 on `down`."""
    s = resident(team, name, "step1")
    history(
        s,
        by,
        ("signal", "", "signalled", at(entered.year, entered.month, 1)),
        ("screen", "signalled", "screening", at(entered.year, entered.month, 1, 11)),
        ("enter", "screening", "step2", at(entered.year, entered.month, entered.day, 12)),
        ("step_down", "step2", "step1", at(down.year, down.month, down.day, 15)),
    )
    return s


@pytest.fixture
def referrals(region, daalhof, malberg):
    a, b = region
    poh = daalhof.poh
    meals = offer("Eetpunt Daalhof", "meals", poh, team=a)
    meeting_place = offer("Huiskamer Daalhof", "meeting_place", poh, team=a)
    day_activities = offer("Dagbesteming De Kei", "day_activities", poh, a, D(2026, 1, 31))
    falls = offer("In Balans", "fall_prevention", poh)
    coach = offer("Welzijnscoach", "welfare_coach", poh)
    carers = offer("Steunpunt Mantelzorg Zuid", "carer_support", poh)
    alarm = offer("Personenalarmering", "personal_alarm", poh)

    s6 = stepped_down(a, "Zes", poh, D(2025, 4, 2), D(2025, 6, 10))
    s1 = stepped_down(a, "Een", poh, D(2025, 6, 2), D(2025, 9, 15))
    stepped_down(a, "Twee", poh, D(2025, 6, 3), D(2025, 9, 20))
    s3 = stepped_down(a, "Drie", poh, D(2025, 8, 4), D(2025, 12, 10))
    stepped_down(a, "Vier", poh, D(2025, 10, 6), D(2026, 3, 1))
    s5 = stepped_down(a, "Vijf", poh, D(2025, 10, 7), D(2026, 3, 5))

    refer(s6, meeting_place, D(2025, 7, 10), poh, feedback_on=D(2025, 7, 20))
    refer(s1, day_activities, D(2025, 8, 16), poh, status="stopped", feedback_on=D(2025, 9, 27))
    refer(s3, falls, D(2025, 11, 9), poh, feedback_on=D(2025, 12, 22))
    refer(s3, coach, D(2026, 1, 10), poh)
    refer(r("Janssen"), coach, D(2026, 2, 20), poh)
    refer(r("Janssen"), meals, D(2026, 3, 10), poh, status="declined")
    refer(s5, meals, D(2026, 3, 16), poh, status="proposed")
    first = refer(r("Ramakers"), meals, D(2025, 10, 1), poh, feedback_on=D(2025, 11, 20))
    ReferralUpdate.objects.create(
        referral=first, status="started", feedback="Gestart", feedback_on=D(2025, 10, 11),
        by=poh, at=at(2025, 10, 11),
    )  # fmt: skip
    ReferralUpdate.objects.create(
        referral=first, status="started", feedback=FEEDBACK_TEXT, feedback_on=D(2025, 11, 20),
        by=poh, at=at(2025, 11, 20),
    )  # fmt: skip
    refer(r("Laag"), carers, D(2026, 2, 4), poh)
    refer(r("Urgent"), alarm, D(2026, 2, 3), poh, feedback_on=D(2026, 3, 1))
    refer(r("Signaal"), meals, D(2025, 3, 1), poh, feedback_on=D(2025, 4, 20))
    refer(r("Zorg"), falls, D(2025, 11, 4), malberg.poh)  # team B
    return a, b


# --- referrals per kind per month -------------------------------------------------------------


def test_referrals_per_kind_by_the_month_they_were_made(referrals):
    a, _b = referrals
    per_kind = kpi.referrals_per_kind(teams=[a], today=TODAY)
    assert per_kind.counts["meals"] == [0] * 6 + [1, 0, 0, 0, 0, 2]  # R2; R1 declined, S5
    assert per_kind.counts["meeting_place"] == [0, 0, 0, 1] + [0] * 8
    # to the offer that has ended since: still counted, in August
    assert per_kind.counts["day_activities"] == [0, 0, 0, 0, 1] + [0] * 7
    assert per_kind.counts["fall_prevention"] == [0] * 7 + [1] + [0] * 4  # not R9 (team B)
    assert per_kind.counts["welfare_coach"] == [0] * 9 + [1, 1, 0]
    assert per_kind.counts["carer_support"] == [0] * 10 + [1, 0]
    assert per_kind.counts["personal_alarm"] == [0] * 10 + [1, 0]
    assert per_kind.counts["odd_jobs"] == per_kind.counts["other"] == [0] * 12
    assert [per_kind.total(i) for i in range(12)] == [0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 3, 2]
    assert per_kind.grand_total == 10  # R7's referral of March 2025 is before the window


def test_the_region_adds_the_other_teams_referrals(referrals):
    a, b = referrals
    assert kpi.referrals_per_kind(teams=[b], today=TODAY).grand_total == 1
    both = kpi.referrals_per_kind(teams=[a, b], today=TODAY)
    assert both.counts["fall_prevention"][7] == 2 and both.grand_total == 11


# --- step-downs with a referral ---------------------------------------------------------------


def test_step_downs_with_a_referral_from_30_days_before_to_30_days_after(referrals):
    a, _b = referrals
    downs = kpi.step_down_referrals(teams=[a], today=TODAY)
    assert downs.step_downs == [0, 0, 1, 0, 0, 2, 0, 0, 1, 0, 1, 2]
    assert downs.with_referral == [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    assert [downs.share(i) for i in (0, 2, 5, 8, 10, 11)] == [None, 100.0, 50.0, 0.0, 100.0, 50.0]
    assert downs.waiting == [0] * 11 + [1]  # S4: its 30 days after have not passed
    assert downs.total_share == 57.1  # 4 of 7


def test_a_referral_made_later_still_counts_for_a_recent_step_down(referrals, daalhof):
    """S4 stepped down on 1 March: a referral on 31 March counts once it is on record."""
    a, _b = referrals
    refer(r("Vier"), offer("Klusjesdienst", "odd_jobs", daalhof.poh), D(2026, 3, 31), daalhof.poh)
    later = D(2026, 4, 2)
    downs = kpi.step_down_referrals(teams=[a], today=later)
    assert downs.step_downs[-2:] == [2, 0] and downs.with_referral[-2:] == [2, 0]
    assert downs.waiting == [0] * 12
    # ... and not before the day it was made
    assert kpi.step_down_referrals(teams=[a], today=TODAY).with_referral[11] == 1


def test_step_downs_of_the_other_team_are_not_counted(referrals):
    a, b = referrals
    assert kpi.step_down_referrals(teams=[b], today=TODAY).with_referral[7] == 1  # R9
    assert kpi.step_down_referrals(teams=[a], today=TODAY).step_downs[7] == 0
    both = kpi.step_down_referrals(teams=[a, b], today=TODAY)
    assert (both.step_downs[7], both.with_referral[7], both.total_share) == (1, 1, 62.5)


# --- feedback within six weeks ----------------------------------------------------------------


def test_feedback_within_six_weeks_by_the_month_the_six_weeks_ended(referrals):
    a, _b = referrals
    feedback = kpi.referral_feedback(teams=[a], today=TODAY)
    assert feedback.due == [1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1]
    assert feedback.in_time == [0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1]
    assert [feedback.share(i) for i in (0, 1, 5, 7, 8, 11)] == [0.0, None, 100.0, 100.0, 0.0, 100.0]
    assert feedback.total_share == 57.1  # 4 of 7


def test_a_referral_is_judged_once_its_42_days_have_passed(referrals):
    """R10's 42nd day is today: tomorrow it counts, without feedback, in March."""
    a, _b = referrals
    tomorrow = kpi.referral_feedback(teams=[a], today=TODAY + datetime.timedelta(days=1))
    assert (tomorrow.due[11], tomorrow.in_time[11]) == (2, 1)


def test_feedback_on_day_42_is_in_time_and_on_day_43_is_not(referrals):
    a, _b = referrals
    feedback = kpi.referral_feedback(teams=[a], today=TODAY)
    assert (feedback.due[5], feedback.in_time[5]) == (1, 1)  # S1: day 42
    assert (feedback.due[8], feedback.in_time[8]) == (1, 0)  # S3: day 43


def test_a_status_only_the_provider_gives_is_feedback_on_its_day_and_registered_is_not(
    referrals, daalhof
):
    """The agenda's rule (`Referral.objects.with_feedback_days`): referrals of December 2025,
    whose six weeks end in January 2026 (index 9, none there yet), each with one update and no
    typed feedback."""
    a, _b = referrals
    poh = daalhof.poh
    coach = LocalOffer.objects.get(name="Welzijnscoach")
    cases = [
        (D(2025, 12, 1), "started", at(2025, 12, 10)),  # the provider's word: in time
        (D(2025, 12, 2), "registered", at(2025, 12, 5)),  # our own act: late
        (D(2025, 12, 3), "stopped", at(2025, 12, 20)),  # stopped in time: nothing awaited
        (D(2025, 12, 4), "started", at(2026, 1, 20)),  # day 47: late
        (D(2025, 12, 5), "declined", at(2026, 1, 16, 23, 30)),  # day 42, late evening: in time
    ]
    for day, status, when in cases:
        referral = refer(r("Een"), coach, day, poh, status=status)
        ReferralUpdate.objects.create(referral=referral, status=status, by=poh, at=when)
    feedback = kpi.referral_feedback(teams=[a], today=TODAY)
    assert (feedback.due[9], feedback.in_time[9]) == (4, 2)
    assert feedback.share(9) == 50.0


def test_the_other_teams_referrals_are_not_in_the_feedback(referrals):
    a, b = referrals
    assert kpi.referral_feedback(teams=[b], today=TODAY).due[8] == 1  # R9, no feedback
    both = kpi.referral_feedback(teams=[a, b], today=TODAY)
    assert (both.due[8], both.in_time[8], both.total_share) == (2, 0, 50.0)


def test_the_dashboard_holds_the_same_referral_figures(referrals, django_assert_num_queries):
    a, b = referrals
    with django_assert_num_queries(13):
        board = kpi.dashboard(teams=[a, b], today=TODAY)
    assert board.referrals == kpi.referrals_per_kind(teams=[a, b], today=TODAY)
    assert board.step_down_referrals == kpi.step_down_referrals(teams=[a, b], today=TODAY)
    assert board.referral_feedback == kpi.referral_feedback(teams=[a, b], today=TODAY)
    teams = list(Team.objects.all())
    assert kpi.dashboard(teams=teams, today=TODAY, region=True) == kpi.dashboard(
        teams=teams, today=TODAY
    )


def test_a_team_without_referrals_has_zeros_and_no_shares(daalhof):
    board = kpi.dashboard(teams=[daalhof.team], today=TODAY)
    assert board.referrals.grand_total == 0
    assert board.step_down_referrals.share(11) is None
    assert board.referral_feedback.total_share is None


# --- the page and the CSV: aggregates only ----------------------------------------------------


@pytest.fixture
def office(db):
    user = UserFactory(username="programmabureau")
    user.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICE)[0])
    return user


def test_the_programme_office_sees_the_regions_referral_figures_and_no_resident(
    client, referrals, office
):
    client.force_login(office)
    with time_machine.travel(at(2026, 3, 18, 12)):
        html = client.get(reverse("kpi"), {"team": "regio"}).content.decode()
        rows = client.get(reverse("kpi_csv", args=["step_down_referrals"]), {"team": "regio"})
        feedback = client.get(reverse("kpi_csv", args=["referral_feedback"]), {"team": "regio"})
    for sentence in (
        "Verwijzingen van de cliënten naar het aanbod in de wijk en de regio",
        "Van de afschalingen in elke maand, het deel waarbij de cliënt van 30 dagen vóór tot 30",
        "Van de verwijzingen waarvan de 6 weken in elke maand afliepen",
    ):
        assert sentence in html
    # the tiles: 5 of 8 step-downs with a referral; 4 of 8 referrals with feedback in time
    assert "5 van 8 in 12 maanden" in html  # (62.5%)
    assert '<span class="kpi-big">50%</span>' in html and "4 van 8 in 12 maanden" in html
    for private in (FEEDBACK_TEXT, "Maria", "Janssen", "Ramakers", "Urgent", "Aanmelden bij"):
        assert private not in html
    text = rows.content.decode("utf-8")
    assert "maand" in text.splitlines()[0] and FEEDBACK_TEXT not in text
    assert text.splitlines()[8] == '"2025-11";"1";"1";"100,0";"0"'  # R9 of team B
    assert feedback.content.decode("utf-8").splitlines()[-1] == '"2026-03";"1";"1";"100,0"'
    assert not AccessLogEntry.objects.exists()


def test_a_member_sees_only_her_own_teams_referrals(client, referrals, daalhof):
    client.force_login(daalhof.coordinator)
    with time_machine.travel(at(2026, 3, 18, 12)):
        page = client.get(reverse("kpi"))
        refused = client.get(reverse("kpi_csv", args=["referrals"]), {"team": "malberg"})
    assert page.context["figures"].referrals.grand_total == 10  # not R9's of team B
    assert refused.status_code == 404
