"""`manage.py seed_demo`: idempotent, deterministic, and consistent with the domain's rules."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from clients.care_planning import RECORDERS as PZP_RECORDERS
from clients.care_planning import Limit
from clients.instruments import FRAILTY_INSTRUMENTS, Instrument, Purpose, spec
from clients.medication import RECORDERS as REVIEW_RECORDERS
from clients.models import Assessment, CarePlanning, Carer, Consent, MedicationReview, Resident
from demo import region as demo
from kernteam.models import Meeting, Membership, Team
from kernteam.roles import Role
from steps import effects, kpi
from steps.medication import due, next_review
from steps.models import AgreedAction, Goal, Kind, StepChange, Trajectory
from steps.outcomes import (
    ADMISSION_LINK_DAYS,
    NURSING_HOME_LINK_DAYS,
    EventKind,
    OutcomeEvent,
    Place,
)
from steps.own_goal import OwnGoal
from steps.states import FRAIL_STEPS, PZP_EXPECTED, STEPS, ClosureReason, State, held_step
from tests.helpers import exactly

TODAY = datetime.date(2026, 10, 1)
pytestmark = pytest.mark.django_db


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--today", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def snapshot() -> dict[str, list[tuple]]:
    """Everything seeded, by natural values (no primary keys)."""
    who = (
        "trajectory__resident__team__slug",
        "trajectory__resident__last_name",
        "trajectory__resident__first_name",
        "trajectory__resident__date_of_birth",
    )
    resident = (
        "resident__team__slug",
        "resident__last_name",
        "resident__first_name",
        "resident__date_of_birth",
    )
    return {
        "users": list(
            get_user_model()
            .objects.order_by("username")
            .values_list("username", "first_name", "last_name", "password")
        ),
        "memberships": list(
            Membership.objects.order_by("team__slug", "role").values_list(
                "team__slug", "role", "user__username", "organisation", "phone", "started_on"
            )
        ),
        "meetings": list(
            Meeting.objects.order_by("team__slug", "scheduled_for").values_list(
                "team__slug", "scheduled_for", "status", "chair__username"
            )
        ),
        "residents": list(
            Resident.objects.order_by("team__slug", "pk").values_list(
                "team__slug",
                "first_name",
                "last_name",
                "salutation",
                "date_of_birth",
                "coordinator__username",
                "created_at",
            )
        ),
        "trajectories": list(
            Trajectory.objects.order_by("resident__team__slug", "resident_id").values_list(
                "resident__last_name",
                "state",
                "review_due",
                "step_before_admission",
                "closure_reason",
                "pending_confirmation__at",
            )
        ),
        "history": list(
            StepChange.objects.order_by(*who, "at").values_list(
                *who,
                "kind",
                "from_state",
                "to_state",
                "actor__username",
                "actor_role",
                "at",
                "reason",
                "meeting__scheduled_for",
            )
        ),
        "assessments": list(
            Assessment.objects.order_by(*resident, "assessed_on", "pk").values_list(
                *resident, "instrument", "score", "assessed_on", "above_cutoff", "carer__last_name"
            )
        ),
        "goals": list(
            Goal.objects.order_by(*resident, "pk").values_list(
                *resident, "domain", "description", "status", "created_at"
            )
        ),
        "actions": list(
            AgreedAction.objects.order_by(*resident, "pk").values_list(
                *resident,
                "description",
                "owner_member__username",
                "owner_carer__first_name",
                "due_on",
                "status",
                "shared_with_carers",
                "done_at",
            )
        ),
        "carers": list(
            Carer.objects.order_by("pk").values_list("first_name", "last_name", "email", "phone")
        ),
        "serving_goals": list(
            Goal.objects.filter(serves_own_goal=True)
            .order_by(*resident, "pk")
            .values_list(*resident, "description")
        ),
        "own_goals": list(
            OwnGoal.objects.order_by(*resident, "noted_at").values_list(
                *resident, "text", "noted_by__username", "noted_at"
            )
        ),
        "medication_reviews": list(
            MedicationReview.objects.order_by(*resident, "reviewed_on", "pk").values_list(
                *resident,
                "reviewed_on",
                "reviewer",
                "medicines_in_use",
                "note",
                "recorded_by__username",
                "recorded_at",
            )
        ),
        "care_plannings": list(
            CarePlanning.objects.order_by(*resident, "held_on", "pk").values_list(
                *resident,
                "held_on",
                "participants",
                "capacity",
                "representative_name",
                "representative_kind",
                "limits",
                "place_of_care",
                "place_of_death",
                "other_wishes",
                "has_living_will",
                "has_dnr_medallion",
                "shared_with_carers",
                "recorded_by__username",
                "recorded_by_role",
                "recorded_at",
            )
        ),
        "events": list(
            OutcomeEvent.objects.order_by(*resident, "occurred_on", "recorded_at").values_list(
                *resident,
                "kind",
                "occurred_on",
                "place",
                "note",
                "recorded_by__username",
                "recorded_at",
                "step_change__at",
            )
        ),
    }


def seeded_snapshot(*args: str) -> dict[str, list[tuple]]:
    """Seed into an empty database, take a snapshot, and roll the seeding back."""
    with transaction.atomic():
        seed_demo(*args)
        result = snapshot()
        transaction.set_rollback(True)
    return result


# --- idempotent and deterministic -----------------------------------------------------------


def test_a_second_run_adds_no_rows_to_any_table():
    output = seed_demo("--teams", "2")
    first = row_counts()
    assert first["clients.Resident"] > 60

    assert "nothing" in seed_demo("--teams", "2")
    assert row_counts() == first
    assert "huisarts.daalhof" in output and "kernteam-demo" in output


def test_the_same_seed_and_day_give_the_same_data():
    first = seeded_snapshot("--teams", "2")
    second = seeded_snapshot("--teams", "2")
    assert first == second
    assert len(first["history"]) > 100
    for table in ("own_goals", "medication_reviews", "care_plannings", "events"):
        assert len(first[table]) > 10, table

    other_seed = seeded_snapshot("--teams", "2", "--seed", "7")
    assert other_seed["residents"] != first["residents"]


def test_a_larger_scale_tops_teams_up_with_the_same_residents():
    options = demo.SeedOptions(today=TODAY, teams=2, residents_per_team=70)
    fresh = None
    with transaction.atomic():
        demo.seed(options, log=lambda _line: None)
        fresh = snapshot()
        transaction.set_rollback(True)

    seed_demo("--teams", "2")
    before = Resident.objects.count()
    demo.seed(options, log=lambda _line: None)
    topped_up = snapshot()

    assert before < Resident.objects.count() == 2 * 70 + 2  # plus the two scenario residents
    tables = ("residents", "trajectories", "history", "goals", "actions", "serving_goals")
    for table in (*tables, "own_goals", "medication_reviews", "care_plannings", "events"):
        assert sorted(topped_up[table], key=str) == sorted(fresh[table], key=str), table


def test_team_sizes_vary_within_the_default_range():
    seed_demo("--teams", "3")
    for team in Team.objects.all():
        numbered = team.residents.exclude(last_name__in=["Janssen", "Ramakers"]).count()
        assert 30 <= numbered <= 60


def test_invalid_options_are_refused():
    teams = exactly(f"--teams must be between 1 and {len(demo.TEAMS)}.")
    with pytest.raises(CommandError, match=teams):
        seed_demo("--teams", "0")
    with pytest.raises(CommandError, match=exactly("Not a date (YYYY-MM-DD): 1-10-2026")):
        seed_demo("--today", "1-10-2026")


# --- teams and people -----------------------------------------------------------------------


def test_the_35_teams_are_real_neighbourhoods_with_their_municipality():
    assert len(demo.TEAMS) == 35
    assert len({t.slug for t in demo.TEAMS}) == 35
    daalhof = next(t for t in demo.TEAMS if t.slug == "daalhof")
    assert (daalhof.name, daalhof.municipality) == ("Kernteam Daalhof", "Maastricht")
    grouped = [slug for group in demo.SHARED_GROUPS for slug in group]
    assert sorted(grouped) == sorted(t.slug for t in demo.TEAMS)


def test_shared_roles_cover_three_or_four_neighbouring_teams():
    seats = demo.staff_plan(demo.TEAMS)
    teams_per_user: dict[str, set[str]] = defaultdict(set)
    for seat in seats:
        teams_per_user[seat.username].add(seat.team.slug)
    for role in (Role.DEMENTIA_CASE_MANAGER, Role.ELDERLY_CARE_PHYSICIAN):
        users = {s.username for s in seats if s.role == role}
        assert len(users) == len(demo.SHARED_GROUPS)
        assert all(3 <= len(teams_per_user[u]) <= 4 for u in users)
    assert {s.username for s in seats if s.role == Role.GP} >= {"huisarts.daalhof"}
    assert all(len(teams_per_user[s.username]) == 1 for s in seats if s.role == Role.POH)


def test_every_team_has_every_role_and_one_shared_password():
    seed_demo("--teams", "3")
    for team in Team.objects.all():
        assert set(team.memberships.active().values_list("role", flat=True)) == set(Role.values)
    assert get_user_model().objects.filter(username="casemanager.daalhof").exists()
    users = get_user_model().objects.all()
    assert len({u.password for u in users}) == 1
    assert check_password(demo.PASSWORD, users[0].password)
    admin = users.get(username="admin")
    assert admin.is_staff and admin.is_superuser


def test_scenario_residents_janssen_and_ramakers_with_carer_thea():
    seed_demo("--teams", "2")
    janssen = Resident.objects.get(last_name="Janssen", first_name="Maria", team__slug="daalhof")
    assert janssen.salutation == "Mevrouw"
    assert janssen.trajectory.state == State.STEP2
    assert janssen.coordinator is not None
    assert janssen.goals.filter(status=Goal.Status.OPEN).exists()
    open_actions = janssen.actions.filter(status=AgreedAction.Status.OPEN)
    nurse = Membership.objects.get(team__slug="daalhof", role=Role.DISTRICT_NURSE).user
    assert open_actions.filter(owner_member=nurse, description__icontains="huisbezoek").exists()

    ramakers = Resident.objects.get(last_name="Ramakers", team__slug="daalhof")
    assert ramakers.salutation == "Mijnheer"
    assert ramakers.trajectory.state == State.STEP2
    thea = Carer.objects.get(user__username="thea")
    assert (thea.first_name, thea.last_name) == ("Thea", "Ramakers")
    assert ramakers.carer_links.filter(carer=thea, relationship="daughter").exists()
    assert ramakers.active_consent().share_with_carers
    shared = ramakers.actions.filter(shared_with_carers=True)
    assert shared.filter(owner_carer=thea, status=AgreedAction.Status.OPEN).exists()
    assert shared.filter(owner_member__isnull=False).exists()


def test_scenario_residents_have_an_own_goal_and_janssen_fell_and_awaits_her_review():
    seed_demo("--teams", "2")
    janssen = Resident.objects.get(last_name="Janssen", first_name="Maria", team__slug="daalhof")
    assert janssen.own_goals.get().text.startswith("Zo lang mogelijk in mijn eigen huis")
    assert janssen.goals.get(serves_own_goal=True).domain == "functional"
    falls = janssen.outcome_events.filter(kind=EventKind.FALL)
    assert falls.count() == 2 and janssen.outcome_events.filter(kind=EventKind.EMERGENCY)
    # no review on record, and one planned: the card shows "medicatie"
    assert not janssen.medication_reviews.exists()
    assert janssen.actions.filter(description__startswith="Medicatiebeoordeling").exists()

    ramakers = Resident.objects.get(last_name="Ramakers", team__slug="daalhof")
    assert "Thea" in ramakers.own_goals.get().text
    review = ramakers.medication_reviews.get()
    assert review.reviewer == "pharmacist" and next_review(review.reviewed_on) > TODAY


# --- residents: states, histories, care plans -----------------------------------------------


def test_every_state_occurs_on_every_team():
    seed_demo("--teams", "3")
    for team in Team.objects.all():
        states = Counter(
            Trajectory.objects.filter(resident__team=team).values_list("state", flat=True)
        )
        assert set(states) == set(State.values), team
        most = {state for state, _n in states.most_common(2)}
        assert most <= {State.STEP1, State.STEP2}, states
    assert Trajectory.objects.filter(pending_confirmation__isnull=False).count() >= 3


def fsm_table() -> dict[tuple[str, str], set[str]]:
    table: dict[tuple[str, str], set[str]] = defaultdict(set)
    for t in Trajectory().get_all_state_transitions():
        for target in getattr(t.target, "allowed_states", None) or [t.target]:
            table[(str(t.source), str(target))].add(str(t.custom["kind"]))
    return table


ROLES_FOR = {
    Kind.ADMIT: {Role.DISTRICT_NURSE, Role.GP},
    Kind.RETURN: {Role.DISTRICT_NURSE, Role.GP},
    Kind.CLOSE: {Role.GP, Role.COORDINATOR},
}


def test_histories_follow_the_state_machine():
    seed_demo("--teams", "3")
    table = fsm_table()
    roles = defaultdict(set)
    for m in Membership.objects.active():
        roles[(m.team_id, m.user_id)].add(m.role)
    history = defaultdict(list)
    for row in StepChange.objects.select_related("meeting").order_by("at", "pk"):
        history[row.trajectory_id].append(row)
    earliest = TODAY - datetime.timedelta(days=365)

    for trajectory in Trajectory.objects.select_related("resident"):
        rows = history[trajectory.pk]
        team_id = trajectory.resident.team_id
        first = rows[0]
        assert (first.kind, first.from_state, first.to_state) == (Kind.SIGNAL, "", State.SIGNALLED)
        before_admission = ""
        for previous, row in itertools.pairwise(rows):
            assert row.from_state == previous.to_state
            assert row.kind in table[(row.from_state, row.to_state)], row
            assert row.at > previous.at
            if row.kind == Kind.ADMIT:
                before_admission = row.from_state
            if row.kind == Kind.RETURN:
                assert row.to_state == before_admission
        assert rows[-1].to_state == trajectory.state
        for row in rows:
            assert earliest <= local(row.at) < TODAY
            assert row.reason.strip()
            assert row.actor_role in roles[(team_id, row.actor_id)]
            if row.kind in ROLES_FOR:
                assert row.actor_role in ROLES_FOR[row.kind], row
            if row.kind == Kind.STEP_DOWN:
                assert row.actor_role == Role.GP or row.meeting_id is not None
            if row.meeting_id is not None:
                meeting = row.meeting
                assert meeting.team_id == team_id
                assert meeting.status == Meeting.Status.CLOSED
                assert meeting.opened_at <= row.at <= meeting.closed_at
    assert StepChange.objects.filter(meeting__isnull=False).exists()


def test_trajectory_fields_follow_from_the_history():
    seed_demo("--teams", "3")
    overdue = 0
    for trajectory in Trajectory.objects.prefetch_related("history"):
        rows = sorted(trajectory.history.all(), key=lambda r: (r.at, r.pk))
        fields: effects.Fields[int] = effects.Fields()
        for row in rows:
            fields = effects.after(
                fields,
                kind=row.kind,
                source=row.from_state,
                target=row.to_state,
                day=local(row.at),
                urgent=row.meeting_id is None,
                row=row.pk,
                closure_reason=row.closure_reason,
            )
        assert trajectory.review_due == fields.review_due
        assert trajectory.step_before_admission == fields.step_before_admission
        assert trajectory.pending_confirmation_id == fields.pending
        assert trajectory.closure_reason == fields.closure_reason
        assert bool(trajectory.closure_reason) == (trajectory.state == State.CLOSED)
        if trajectory.state == State.ADMITTED:
            assert trajectory.step_before_admission in STEPS
        if trajectory.state in STEPS:
            assert trajectory.review_due is not None
        if trajectory.state == State.CLOSED:
            assert (trajectory.review_due, trajectory.step_before_admission) == (None, "")
        if trajectory.pending_confirmation_id is not None:
            urgent = next(r for r in rows if r.pk == trajectory.pending_confirmation_id)
            assert (urgent.kind, urgent.meeting_id) == (Kind.STEP_UP, None)
        overdue += bool(trajectory.review_due and trajectory.review_due < TODAY)
    assert overdue > 0


def current_step(trajectory: Trajectory) -> str:
    if trajectory.state == State.ADMITTED:
        return trajectory.step_before_admission
    return trajectory.state


def test_consent_and_assessments_match_the_step():
    seed_demo("--teams", "3")
    for trajectory in Trajectory.objects.select_related("resident"):
        resident = trajectory.resident
        kinds = set(trajectory.history.values_list("kind", flat=True))
        assert resident.consents.exists() == (Kind.SCREEN in kinds)
        step = current_step(trajectory)
        if step not in STEPS:
            continue
        screening = resident.latest_frailty_screening()
        assert screening is not None
        assert screening.above_cutoff == (step != State.STEP1), (resident, step)
        if step in (State.STEP3, State.STEP4):
            intermed = resident.latest_assessment([Instrument.INTERMED])
            assert intermed is not None and intermed.score >= 16
    for assessment in Assessment.objects.all():
        s = spec(assessment.instrument)
        assert s.minimum <= assessment.score <= s.maximum
        assert s.range_error(assessment.score) is None
        assert assessment.above_cutoff == s.is_positive(assessment.score)
        assert (assessment.carer_id is not None) == (s.purpose == Purpose.CARER_BURDEN)
        assert assessment.assessed_on < TODAY
    frailty = Assessment.objects.filter(instrument__in=FRAILTY_INSTRUMENTS)
    assert (
        frailty.filter(above_cutoff=True).exists() and frailty.filter(above_cutoff=False).exists()
    )
    assert Assessment.objects.filter(carer__isnull=False).exists()


def test_care_plans_goals_actions_and_carers():
    seed_demo("--teams", "3")
    members = defaultdict(set)
    for m in Membership.objects.active():
        members[m.team_id].add(m.user_id)
    for trajectory in Trajectory.objects.select_related("resident"):
        resident = trajectory.resident
        if current_step(trajectory) in STEPS[1:]:
            assert resident.coordinator_id in members[resident.team_id]
            assert resident.goals.filter(status=Goal.Status.OPEN).exists(), resident
    actions = AgreedAction.objects.select_related("resident")
    assert actions.exists()
    for action in actions:
        assert bool(action.owner_member_id) != bool(action.owner_carer_id)
        if action.owner_member_id:
            assert action.owner_member_id in members[action.resident.team_id]
        else:
            assert action.shared_with_carers
            assert action.resident.carer_links.filter(carer_id=action.owner_carer_id).exists()
        if action.status == AgreedAction.Status.DONE:
            assert action.done_at is not None and action.done_at > action.created_at
    statuses = {a.status for a in actions}
    assert {AgreedAction.Status.OPEN, AgreedAction.Status.DONE} <= statuses
    assert any(a.is_overdue(TODAY) for a in actions)

    residents = Resident.objects.count()
    with_carers = Resident.objects.filter(carer_links__isnull=False).distinct().count()
    assert 0.3 * residents <= with_carers <= 0.7 * residents
    assert Consent.objects.filter(withdrawn_at__isnull=False).count() <= Consent.objects.count()


def test_most_carers_with_a_high_burden_have_support_agreed_after_their_score():
    """So that the outcome KPI "carers with a high burden who have support agreed" shows
    something: not everyone, and the support comes after the score."""
    seed_demo("--teams", "3")
    figures = kpi.carer_burden(teams=Team.objects.all(), today=TODAY)
    assert 0 < figures.high_supported < figures.high
    for action in AgreedAction.objects.filter(supports_carer=True):
        scores = Assessment.objects.filter(
            resident=action.resident, carer__isnull=False, above_cutoff=True
        )
        assert scores.exists()
        assert min(s.assessed_on for s in scores) <= timezone.localtime(action.created_at).date()
        assert action.owner_member_id and action.description


def test_every_team_has_its_next_meeting_planned_and_daalhof_meets_today():
    seed_demo("--teams", "3")
    planned = Meeting.objects.filter(status=Meeting.Status.PLANNED).select_related("team")
    days = {m.team.slug: local(m.scheduled_for) for m in planned}
    assert len(days) == planned.count() == 3  # one each
    assert days["daalhof"] == TODAY
    assert all(TODAY <= day <= TODAY + datetime.timedelta(days=62) for day in days.values())


def test_the_demo_has_a_log_officer_and_only_one():
    from kernteam.policy import is_log_officer

    output = seed_demo("--teams", "1")
    users = get_user_model().objects.all()
    assert [u.username for u in users if is_log_officer(u)] == ["logfunctionaris"]
    assert "logfunctionaris" in output


def test_the_demo_has_a_programme_office_login_for_the_kpis():
    from kernteam.policy import may_see_region

    output = seed_demo("--teams", "1")
    users = get_user_model().objects.all()
    assert [u.username for u in users if may_see_region(u)] == ["programmabureau"]
    assert "programmabureau" in output
    assert not Membership.objects.filter(user__username="programmabureau").exists()


# --- own goal, medication reviews, PZP, outcome events (issue 17) ---------------------------


def members_by_team() -> dict[tuple[int, int], set[str]]:
    """(team id, user id) -> the roles the user holds on the team."""
    roles: dict[tuple[int, int], set[str]] = defaultdict(set)
    for m in Membership.objects.active():
        roles[(m.team_id, m.user_id)].add(m.role)
    return roles


def signalled_and_closed() -> dict[int, tuple[StepChange, StepChange | None]]:
    """Resident id -> (the signal row, the closing row or None)."""
    found: dict[int, tuple[StepChange, StepChange | None]] = {}
    for row in StepChange.objects.select_related("trajectory").order_by("at", "pk"):
        resident_id = row.trajectory.resident_id
        signal, close = found.get(resident_id, (row, None))
        found[resident_id] = (signal, row if row.kind == Kind.CLOSE else close)
    return found


def test_the_residents_own_goal_mostly_from_step_2_some_goals_serve_it():
    seed_demo("--teams", "3")
    roles = members_by_team()
    bounds = signalled_and_closed()
    with_own_goal = set(OwnGoal.objects.values_list("resident_id", flat=True))
    frail = [t.resident_id for t in Trajectory.objects.filter(state__in=FRAIL_STEPS)]
    assert 0.7 * len(frail) <= len(with_own_goal & set(frail)) < len(frail)
    for own_goal in OwnGoal.objects.select_related("resident"):
        assert own_goal.text.strip()
        assert roles[(own_goal.resident.team_id, own_goal.noted_by_id)]  # a member
        signal, close = bounds[own_goal.resident_id]
        assert signal.at < own_goal.noted_at < (close.at if close else timezone.now())
        assert local(own_goal.noted_at) < TODAY
    serving = Goal.objects.filter(serves_own_goal=True)
    assert 0 < serving.count() < Goal.objects.count()
    assert set(serving.values_list("resident_id", flat=True)) <= with_own_goal
    versions = Counter(OwnGoal.objects.values_list("resident_id", flat=True))
    assert max(versions.values()) == 2  # some have a second version


def last_reviews() -> dict[int, MedicationReview]:
    last: dict[int, MedicationReview] = {}
    for review in MedicationReview.objects.order_by("reviewed_on", "pk"):
        last[review.resident_id] = review
    return last


def test_medication_reviews_for_most_of_the_frail_so_the_flag_is_on_a_minority():
    seed_demo("--teams", "3")
    roles = members_by_team()
    recorded_by = {
        "gp": {Role.GP},
        "poh": {Role.POH},
        "elderly_care_physician": {Role.ELDERLY_CARE_PHYSICIAN},
        "pharmacist": {Role.GP, Role.POH},
    }
    for review in MedicationReview.objects.select_related("resident"):
        resident = review.resident
        assert resident.date_of_birth < review.reviewed_on < TODAY
        assert 0 <= review.medicines_in_use <= 60
        held = roles[(resident.team_id, review.recorded_by_id)] & REVIEW_RECORDERS
        assert held & recorded_by[review.reviewer], review
        assert resident.created_at < review.recorded_at and local(review.recorded_at) < TODAY
        assert review.reviewed_on <= local(review.recorded_at)

    last = last_reviews()
    flagged, overdue, never = 0, 0, 0
    frail = Trajectory.objects.filter(state__in=[*FRAIL_STEPS, State.ADMITTED])
    frail = [t for t in frail if held_step(**vars_of(t)) in FRAIL_STEPS]
    for trajectory in frail:
        review = last.get(trajectory.resident_id)
        flagged += due(
            state=trajectory.state,
            step_before_admission=trajectory.step_before_admission,
            last_reviewed_on=review.reviewed_on if review else None,
            medicines_in_use=review.medicines_in_use if review else None,
            day=TODAY,
        )
        never += review is None
        overdue += bool(review and next_review(review.reviewed_on) <= TODAY)
    assert 0.1 * len(frail) < flagged < 0.5 * len(frail)  # the card flag: a minority
    assert flagged == overdue + never and overdue > 0 and never > 0
    # step 1 with ten or more medicines is eligible too: some of those are due
    step1 = Trajectory.objects.filter(state=State.STEP1).values_list("resident_id", flat=True)
    many = [last[r] for r in step1 if r in last and last[r].medicines_in_use >= 10]
    assert many and any(next_review(r.reviewed_on) <= TODAY for r in many)


def vars_of(trajectory: Trajectory) -> dict[str, str]:
    return {"state": trajectory.state, "step_before_admission": trajectory.step_before_admission}


def test_pzp_for_most_in_step_3_or_4_recorded_by_gp_so_or_poh():
    seed_demo("--teams", "3")
    roles = members_by_team()
    bounds = signalled_and_closed()
    plannings = list(CarePlanning.objects.select_related("resident", "resident__trajectory"))
    for planning in plannings:
        resident = planning.resident
        held = roles[(resident.team_id, planning.recorded_by_id)]
        assert planning.recorded_by_role in PZP_RECORDERS and planning.recorded_by_role in held
        if planning.shared_with_carers:  # only the GP shares, and only with carers to see it
            assert planning.recorded_by_role == Role.GP
            assert resident.carer_links.exists()
        assert set(planning.limits) == set(Limit.values)
        planning.full_clean(exclude=["recorded_by"])  # what the service checks
        signal, close = bounds[resident.pk]
        assert signal.at < planning.recorded_at < (close.at if close else timezone.now())
        assert planning.held_on == local(planning.recorded_at) < TODAY

    with_pzp = {p.resident_id for p in plannings}
    expected = [
        t.resident_id for t in Trajectory.objects.all() if held_step(**vars_of(t)) in PZP_EXPECTED
    ]
    covered = len(with_pzp & set(expected))
    assert 0.5 * len(expected) <= covered < len(expected)  # the KPI and "PZP nog niet besproken"
    step2 = set(Trajectory.objects.filter(state=State.STEP2).values_list("resident_id", flat=True))
    assert with_pzp & step2
    shared = sum(p.shared_with_carers for p in plannings)
    assert 0.1 * len(plannings) <= shared <= 0.45 * len(plannings)
    assert Counter(p.resident_id for p in plannings).most_common(1)[0][1] == 2  # a new version
    assert {p.recorded_by_role for p in plannings} == PZP_RECORDERS


MOVE_EVENTS = {  # (kind, closure reason) -> the event kinds that move goes with, the window
    (Kind.ADMIT, ""): ({EventKind.HOSPITAL, EventKind.CRISIS}, ADMISSION_LINK_DAYS),
    (Kind.CLOSE, ClosureReason.DECEASED): ({EventKind.DEATH}, None),
    (Kind.CLOSE, ClosureReason.NURSING_HOME): ({EventKind.NURSING_HOME}, NURSING_HOME_LINK_DAYS),
}


def test_every_admission_death_and_nursing_home_closure_has_exactly_one_event():
    seed_demo("--teams", "3")
    moves = StepChange.objects.filter(kind__in=[Kind.ADMIT, Kind.CLOSE]).select_related(
        "trajectory"
    )
    linked = 0
    for move in moves:
        wanted = MOVE_EVENTS.get((move.kind, move.closure_reason))
        events = list(OutcomeEvent.objects.filter(step_change=move))
        if wanted is None:
            assert events == []
            continue
        kinds, window = wanted
        assert len(events) == 1, move
        event = events[0]
        linked += 1
        assert event.resident_id == move.trajectory.resident_id
        assert event.kind in kinds
        assert event.occurred_on <= local(move.at) and event.recorded_at <= move.at
        if window is not None:
            assert event.occurred_on >= local(move.at) - datetime.timedelta(days=window)
    assert linked == OutcomeEvent.objects.filter(step_change__isnull=False).count() > 10
    # no double counting: admissions, deaths and nursing homes only with their move
    unlinked = OutcomeEvent.objects.filter(step_change__isnull=True)
    assert not unlinked.exclude(
        kind__in=[EventKind.FALL, EventKind.EMERGENCY, EventKind.OUT_OF_HOURS]
    ).exists()
    deaths = OutcomeEvent.objects.filter(kind=EventKind.DEATH)
    assert deaths.exists() and all(d.place for d in deaths)
    assert {d.place for d in deaths} - {Place.UNKNOWN}  # most say where
    assert not OutcomeEvent.objects.exclude(kind=EventKind.DEATH).exclude(place="").exists()


def test_events_fall_between_signalling_and_today_at_rates_that_grow_with_the_step():
    seed_demo("--teams", "3")
    roles = members_by_team()
    bounds = signalled_and_closed()
    for event in OutcomeEvent.objects.select_related("resident"):
        signal, close = bounds[event.resident_id]
        assert local(signal.at) <= event.occurred_on <= local(event.recorded_at) < TODAY, event
        assert signal.at < event.recorded_at
        if close is not None:
            assert event.recorded_at < close.at or event.step_change_id == close.pk
        assert roles[(event.resident.team_id, event.recorded_by_id)]  # a member
    kinds = Counter(OutcomeEvent.objects.values_list("kind", flat=True))
    assert set(kinds) == set(EventKind.values)
    falls = set(OutcomeEvent.objects.filter(kind=EventKind.FALL).values_list("resident", flat=True))

    def fallers(states: list[str]) -> float:
        ids = Trajectory.objects.filter(state__in=states).values_list("resident_id", flat=True)
        return len(falls & set(ids)) / len(ids)

    assert fallers([State.STEP1]) < fallers([State.STEP3, State.STEP4]) < 0.5
