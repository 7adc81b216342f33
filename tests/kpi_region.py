"""The KPI tests' small hand-built dataset (the `region` fixture) and its builders; the answers
were counted by hand (tests/test_kpi.py, tests/test_kpi_page.py).

The dataset: team Daalhof (A) with eleven residents and four meetings held, team Malberg (B) with
one resident. Today is Wednesday 18 March 2026, so the window runs from April 2025 up to and
including 18 March 2026 (twelve months; March counts up to today). All times are local
(Europe/Amsterdam). History rows are written directly with explicit times (they are
append-only: creating is allowed), the way `steps.services.move_resident` would have written them.

Team A, resident by resident (state now in brackets):
- R1 Janssen (step 1): step 1 on 20-09-2025; up to step 2 on 03-02-2026 (urgent) and down to
  step 1 on 24-02-2026: up and down in one month.
- R2 Ramakers (step 3): step 2 on 20-05-2025 in meeting M1; admitted 03-11 and home 17-11-2025;
  up to step 3 on 13-01-2026 in M3. Coordinator: the POH. Carers C1, C6, C7.
- R3 Peters (closed): step 3 on 01-07-2025, closed (deceased) on 15-12-2025.
- R4 Hendriks (admitted from step 4): step 2 on 16-12-2025, up to step 4 on 13-01-2026 in M3,
  admitted 02-03-2026. Coordinator: a former member (membership ended).
- R5 Wouters (signalled on 17-03-2026).
- R6 Nieuwenhuis (screening since 12-02-2026).
- R7 Signaal (step 1 since 10-03-2025, before the window); on M4's agenda and opened there on
  10-03-2026, without a decision (not a review).
- R8 Urgent (step 3): step 2 on 05-01-2026; urgent step-up to 3 at 00:30 on 01-03-2026 (still
  28 February in UTC); confirmed in M4. Coordinator: the POH.
- R10 Laag (step 2): step 2 on 07-10-2025 in M2; no coordinator.
- R11 Verhuisd (closed): step 2 on 20-01-2025, closed (moved) on 25-03-2025, before the window.
Team B: R9 Zorg (step 1): step 2 on 19-08-2025, down to step 1 on 04-11-2025 in meeting MB1.
Meetings of A: M0 11-03-2025 (before the window), M1 20-05-2025, M2 07-10-2025, M3 13-01-2026,
M4 10-03-2026, and M5 on 16-03-2026 still planned (never opened: not held).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from clients.models import Assessment, Carer, CarerLink, Concern, Resident
from kernteam.models import AgendaItem, Meeting, Membership
from steps.models import AgreedAction, Goal, StepChange, Trajectory
from tests.factories import UserFactory

TODAY = datetime.date(2026, 3, 18)
D = datetime.date


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A local (Europe/Amsterdam) moment."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def resident(team, name: str, state: str, *, coordinator=None, before_admission: str = ""):
    r = Resident.objects.create(
        team=team,
        first_name="Maria",
        last_name=name,
        date_of_birth=D(1938, 3, 14),
        neighbourhood=team.neighbourhood,
        coordinator=coordinator,
    )
    Trajectory.objects.create(resident=r, state=state, step_before_admission=before_admission)
    return r


def history(r: Resident, by, *rows) -> list[StepChange]:
    """Rows of (kind, from, to, moment[, meeting])."""
    written = []
    for kind, source, target, moment, *meeting in rows:
        written.append(
            StepChange.objects.create(
                trajectory=r.trajectory,
                kind=kind,
                from_state=source,
                to_state=target,
                actor=by,
                at=moment,
                meeting=meeting[0] if meeting else None,
                reason="…",
            )
        )
    return written


def held(team, chair, moment: datetime.datetime) -> Meeting:
    return Meeting.objects.create(
        team=team,
        scheduled_for=moment,
        status=Meeting.Status.CLOSED,
        chair=chair,
        opened_at=moment,
        closed_at=moment + datetime.timedelta(minutes=90),
    )


def action(r, by, due: datetime.date, status: str = "open", meeting=None, created=None):
    return AgreedAction.objects.create(
        resident=r,
        description="Huisbezoek",
        owner_member=by,
        due_on=due,
        status=status,
        created_by=by,
        meeting=meeting,
        created_at=created or timezone.now(),
        done_at=timezone.now() if status == "done" else None,
    )


def goal(r, by, status: str = "open", meeting=None, created=None) -> Goal:
    return Goal.objects.create(
        resident=r,
        domain="functional",
        description="Veilig thuis",
        status=status,
        created_by=by,
        meeting=meeting,
        created_at=created or timezone.now(),
    )


def carer(name: str, *links, ended: bool = False) -> Carer:
    c = Carer.objects.create(first_name="Mantel", last_name=name)
    for r in links:
        CarerLink.objects.create(
            carer=c, resident=r, relationship="child", ended_on=TODAY if ended else None
        )
    return c


def burden(c: Carer, r: Resident, instrument: str, score: int, day: datetime.date, by):
    return Assessment.objects.create(
        resident=r, carer=c, instrument=instrument, score=score, assessed_on=day, assessed_by=by
    )


def build_region(daalhof, malberg):
    """The dataset described at the top of this module (the `region` fixture, conftest.py)."""
    a, b = daalhof.team, malberg.team
    poh, gp, nurse = daalhof.poh, daalhof.gp, daalhof.district_nurse
    former = UserFactory(username="oud-lid")
    Membership.objects.create(team=a, user=former, role="welfare", ended_on=D(2026, 1, 31))

    m0 = held(a, daalhof.coordinator, at(2025, 3, 11, 14))
    m1 = held(a, daalhof.coordinator, at(2025, 5, 20, 14))
    m2 = held(a, daalhof.coordinator, at(2025, 10, 7, 14))
    m3 = held(a, daalhof.coordinator, at(2026, 1, 13, 14))
    m4 = held(a, daalhof.coordinator, at(2026, 3, 10, 14))
    Meeting.objects.create(team=a, scheduled_for=at(2026, 3, 16, 14))  # M5: planned, not held
    mb1 = held(b, malberg.coordinator, at(2025, 11, 4, 14))

    r1 = resident(a, "Janssen", "step1")
    history(
        r1,
        poh,
        ("signal", "", "signalled", at(2025, 9, 1)),
        ("screen", "signalled", "screening", at(2025, 9, 5)),
        ("enter", "screening", "step1", at(2025, 9, 20)),
        ("step_up", "step1", "step2", at(2026, 2, 3)),
        ("step_down", "step2", "step1", at(2026, 2, 24)),
    )
    r2 = resident(a, "Ramakers", "step3", coordinator=poh)
    history(
        r2,
        poh,
        ("signal", "", "signalled", at(2025, 5, 2)),
        ("screen", "signalled", "screening", at(2025, 5, 6)),
        ("enter", "screening", "step2", at(2025, 5, 20, 14, 20), m1),
        ("admit", "step2", "admitted", at(2025, 11, 3)),
        ("return", "admitted", "step2", at(2025, 11, 17)),
        ("step_up", "step2", "step3", at(2026, 1, 13, 14, 30), m3),
    )
    r3 = resident(a, "Peters", "closed")
    history(
        r3,
        gp,
        ("signal", "", "signalled", at(2025, 6, 2)),
        ("screen", "signalled", "screening", at(2025, 6, 10)),
        ("enter", "screening", "step3", at(2025, 7, 1)),
        ("close", "step3", "closed", at(2025, 12, 15)),
    )
    r4 = resident(a, "Hendriks", "admitted", coordinator=former, before_admission="step4")
    history(
        r4,
        nurse,
        ("signal", "", "signalled", at(2025, 12, 1)),
        ("screen", "signalled", "screening", at(2025, 12, 3)),
        ("enter", "screening", "step2", at(2025, 12, 16)),
        ("step_up", "step2", "step4", at(2026, 1, 13, 14, 40), m3),
        ("admit", "step4", "admitted", at(2026, 3, 2)),
    )
    r5 = resident(a, "Wouters", "signalled")
    history(r5, nurse, ("signal", "", "signalled", at(2026, 3, 17)))
    r6 = resident(a, "Nieuwenhuis", "screening")
    history(
        r6,
        poh,
        ("signal", "", "signalled", at(2026, 2, 10)),
        ("screen", "signalled", "screening", at(2026, 2, 12)),
    )
    r7 = resident(a, "Signaal", "step1")
    history(
        r7,
        poh,
        ("signal", "", "signalled", at(2025, 3, 3)),
        ("screen", "signalled", "screening", at(2025, 3, 5)),
        ("enter", "screening", "step1", at(2025, 3, 10)),
    )
    AgendaItem.objects.create(
        meeting=m4, resident=r7, position=1, reasons=["review"], opened_at=at(2026, 3, 10, 14, 5)
    )
    r8 = resident(a, "Urgent", "step3", coordinator=poh)
    *_, up = history(
        r8,
        nurse,
        ("signal", "", "signalled", at(2025, 12, 20)),
        ("screen", "signalled", "screening", at(2025, 12, 22)),
        ("enter", "screening", "step2", at(2026, 1, 5)),
        ("step_up", "step2", "step3", at(2026, 3, 1, 0, 30)),  # 28 Feb 23:30 UTC
    )
    StepChange.objects.create(
        trajectory=r8.trajectory,
        kind="confirm",
        from_state="step3",
        to_state="step3",
        actor=poh,
        at=at(2026, 3, 10, 14, 15),
        meeting=m4,
        confirms=up,
    )
    r10 = resident(a, "Laag", "step2")
    history(
        r10,
        poh,
        ("signal", "", "signalled", at(2025, 10, 1)),
        ("screen", "signalled", "screening", at(2025, 10, 2)),
        ("enter", "screening", "step2", at(2025, 10, 7, 14, 10), m2),
    )
    r11 = resident(a, "Verhuisd", "closed")
    history(
        r11,
        poh,
        ("signal", "", "signalled", at(2025, 1, 6)),
        ("screen", "signalled", "screening", at(2025, 1, 8)),
        ("enter", "screening", "step2", at(2025, 1, 20)),
        ("close", "step2", "closed", at(2025, 3, 25)),
    )
    r9 = resident(b, "Zorg", "step1", coordinator=malberg.poh)
    history(
        r9,
        malberg.poh,
        ("signal", "", "signalled", at(2025, 8, 1)),
        ("screen", "signalled", "screening", at(2025, 8, 4)),
        ("enter", "screening", "step2", at(2025, 8, 19)),
        ("step_down", "step2", "step1", at(2025, 11, 4, 14, 30), mb1),
    )

    # Goals: R2 achieved (M1) and open (M2); R4 and R8 open; R10 achieved only.
    goal(r2, poh, "achieved", m1, at(2025, 5, 20, 14, 25))
    goal(r2, poh, "open", m2, at(2025, 10, 7, 14, 30))
    goal(r4, nurse)
    goal(r8, nurse)
    goal(r10, poh, "achieved")
    # Agreed actions (due dates against today, 18-03-2026).
    action(r2, poh, D(2026, 3, 31))  # not yet due
    action(r2, poh, D(2026, 2, 4))  # 42 days late
    action(r4, poh, D(2026, 2, 1), meeting=m3, created=at(2026, 1, 13, 14, 45))  # 45 days late
    action(r10, poh, D(2026, 3, 10), meeting=m2, created=at(2025, 10, 7, 14, 40))  # 8 days late
    action(r10, poh, D(2026, 3, 4))  # 14 days late
    action(r1, poh, D(2026, 3, 18), meeting=m4, created=at(2026, 3, 10, 14, 20))  # due today
    action(r1, poh, D(2026, 2, 25))  # 21 days late
    action(r1, poh, D(2026, 1, 10), status="cancelled")
    action(r3, poh, D(2025, 12, 1))  # open, but the record is closed
    action(r8, poh, D(2026, 2, 10), status="done")

    # Carers and their burden scores (CSI cut-off 7, EDIZ-plus 9).
    c1 = carer("Een", r2)
    burden(c1, r2, "csi", 8, D(2025, 6, 1), poh)
    burden(c1, r2, "csi", 5, D(2026, 1, 20), poh)  # latest: dropped below the cut-off
    c2 = carer("Twee", r4)
    burden(c2, r4, "ediz_plus", 12, D(2025, 12, 20), nurse)
    burden(c2, r4, "ediz_plus", 9, D(2026, 2, 2), nurse)  # latest: at the cut-off
    c3 = carer("Drie", r1)
    burden(c3, r1, "csi", 9, D(2026, 4, 1), poh)  # after "today": not yet known
    c4 = carer("Vier", r3)  # the resident's record is closed
    high_for_closed = Assessment(
        resident=r3,
        carer=c4,
        instrument="csi",
        score=10,
        assessed_on=D(2025, 11, 1),
        assessed_by=gp,
    )
    high_for_closed.derive_outcome()
    Assessment.objects.bulk_create([high_for_closed])  # (a closed record takes no new scores)
    c5 = carer("Vijf", r8, ended=True)  # the link has ended
    burden(c5, r8, "csi", 11, D(2026, 1, 10), nurse)
    c6 = carer("Zes", r2, r10)  # two residents of A: counts once
    burden(c6, r2, "csi", 3, D(2026, 3, 1), poh)
    burden(c6, r10, "csi", 12, D(2026, 3, 1), poh)  # same day, recorded later: the latest
    c7 = carer("Zeven", r2, r9)  # on both teams: once in the region
    burden(c7, r9, "csi", 2, D(2025, 12, 1), malberg.poh)
    # A concern handled in M2.
    Concern.objects.create(
        resident=r2,
        carer=c1,
        text="Vader is verwarder",
        raised_at=at(2025, 10, 1),
        recorded_by=poh,
        handled_at=at(2025, 10, 7, 14, 50),
        handled_by=poh,
        handled_in=m2,
    )
    assert m0.pk  # (held before the window)
    return a, b
