"""The two scenario residents of Daalhof: Mevrouw Janssen and Mijnheer Ramakers (with Thea)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from clients.instruments import Instrument
from clients.medication import Reviewer
from clients.models import Carer, CarerLink, MedicationReview
from demo.care import assess, care_goal, plan_consent
from demo.context import TeamContext
from demo.data import R, S
from demo.drafts import Draft, make_draft, new_resident, write
from demo.helpers import User, local_date, local_datetime
from demo.history import Hop, hops_for
from steps.models import AgreedAction, Domain
from steps.outcomes import EventKind, OutcomeEvent
from steps.own_goal import OwnGoal

JANSSEN_BORN = datetime.date(1938, 3, 14)
RAMAKERS_BORN = datetime.date(1934, 6, 21)


def seed_scenario(ctx: TeamContext, thea: User | None) -> int:
    existing = set(ctx.team.residents.values_list("last_name", "date_of_birth"))
    drafts = []
    if ("Janssen", JANSSEN_BORN) not in existing:
        drafts.append(janssen(ctx))
    if ("Ramakers", RAMAKERS_BORN) not in existing and thea is not None:
        drafts.append(ramakers(ctx, thea))
    write(ctx, drafts)
    return len(drafts)


def janssen(ctx: TeamContext) -> Draft:
    """Mevrouw Janssen: step 2, coordinated by the POH, a home visit by the district nurse."""
    resident = new_resident(ctx.team, "Mevrouw", "Maria", "Janssen", JANSSEN_BORN)
    hops = scenario_hops(ctx, (S.SCREENING, S.STEP2), (130, 118, 45), meeting_at=2)
    scenario_times(
        ctx,
        hops,
        (R.POH, R.POH, R.COORDINATOR),
        (
            "Valt vaker en eet slecht sinds haar man overleed; zoon belde de praktijk.",
            "Toestemming besproken met mevrouw; GFI bij het huisbezoek.",
            "GFI 7: kwetsbaar op meerdere domeinen. Zorgplan, coördinatie bij de POH.",
        ),
    )
    draft = make_draft(ctx.today, resident, True, hops)
    resident.coordinator = ctx.staff[R.POH]
    rng = random.Random(ctx.key("janssen"))
    screen, enter = hops[1], hops[2]
    plan_consent(rng, draft)
    assessment_day = screen.day + datetime.timedelta(days=7)
    by = ctx.staff[R.POH]
    assess(draft, rng, Instrument.GFI, True, assessment_day, by, score=Decimal(7))
    goals = (
        (Domain.FUNCTIONAL, "Veilig zelfstandig thuis blijven wonen, zonder te vallen."),
        (Domain.SOMATIC, "Weer op gewicht komen: drie maaltijden per dag."),
        (Domain.SOCIAL, "Twee keer per week onder de mensen zijn."),
    )
    for domain, text in goals:
        draft.goals.append(care_goal(resident, domain, text, enter))
    draft.goals[0].serves_own_goal = True
    own_goal(draft, "Zo lang mogelijk in mijn eigen huis blijven, met mijn eigen spullen.", enter)
    # she falls more often (the signal); no medication review yet: one is planned (below)
    nurse = ctx.staff[R.DISTRICT_NURSE]
    scenario_event(ctx, draft, EventKind.FALL, 100, nurse, "Gevallen in de badkamer; geen letsel.")
    scenario_event(ctx, draft, EventKind.FALL, 62, nurse, "Gestruikeld over de drempel.")
    scenario_event(
        ctx, draft, EventKind.EMERGENCY, 62, nurse, "Na de val naar de SEH: pols gekneusd."
    )
    actions = (
        ("Huisbezoek: valrisico en hulpmiddelen in huis bekijken", R.DISTRICT_NURSE, 6, 0),
        ("Medicatiebeoordeling met de apotheker plannen", R.GP, 20, 1),
        ("Aanmelden bij de maaltijdservice en de dagbesteding", R.WELFARE, -4, 2),
    )
    for text, role, due_in, goal_index in actions:
        draft.actions.append(
            scenario_action(
                ctx,
                draft,
                text,
                due_in,
                enter,
                goal=draft.goals[goal_index],
                owner_member=ctx.staff[role],
            )
        )
    return draft


def ramakers(ctx: TeamContext, thea: User) -> Draft:
    """Mijnheer Ramakers: stepped up to step 2; his daughter Thea shares in the actions."""
    resident = new_resident(ctx.team, "Mijnheer", "Sjef", "Ramakers", RAMAKERS_BORN)
    hops = scenario_hops(ctx, (S.SCREENING, S.STEP1, S.STEP2), (220, 205, 190, 60), meeting_at=3)
    scenario_times(
        ctx,
        hops,
        (R.DISTRICT_NURSE, R.POH, R.POH, R.COORDINATOR),
        (
            "Dochter Thea maakt zich zorgen: vader vergeet te eten en zijn medicijnen.",
            "Toestemming gegeven, ook voor delen met dochter Thea.",
            "GFI 3: niet kwetsbaar. Vinger aan de pols via de ouderenadviseur.",
            "Toenemende vergeetachtigheid; Thea raakt overbelast. Zorgplan nodig.",
        ),
    )
    draft = make_draft(ctx.today, resident, False, hops)
    resident.coordinator = ctx.staff[R.POH]
    carer = Carer(
        first_name="Thea",
        last_name="Ramakers",
        email="thea.ramakers@example.nl",
        phone="06 41 27 83 90",
        user=thea,
    )
    draft.add_carer(carer, CarerLink.Relationship.DAUGHTER)
    rng = random.Random(ctx.key("ramakers"))
    plan_consent(rng, draft)
    draft.consents[0].share_with_carers = True
    screen, step_up = hops[1], hops[3]
    by = ctx.staff[R.POH]
    screened = screen.day + datetime.timedelta(days=5)
    assess(draft, rng, Instrument.GFI, False, screened, by, score=Decimal(3))
    assess(draft, rng, Instrument.GFI, True, step_up.day, by, score=Decimal(6))
    assess(draft, rng, Instrument.EDIZ_PLUS, False, step_up.day, by, carer=carer)
    goals = (
        (
            Domain.PSYCHOLOGICAL,
            "Vaste dagstructuur, zodat eten en medicijnen niet vergeten worden.",
        ),
        (Domain.SOCIAL, "Thea houdt de zorg vol en krijgt één dag per week ontlasting."),
    )
    for domain, text in goals:
        draft.goals.append(care_goal(resident, domain, text, step_up))
    first, second = draft.goals
    second.serves_own_goal = True
    own_goal(draft, "Thuis blijven wonen, zonder dat Thea alles voor me moet doen.", step_up)
    reviewed_on = step_up.day + datetime.timedelta(days=2)
    draft.reviews.append(
        MedicationReview(
            resident=resident,
            reviewed_on=reviewed_on,
            reviewer=Reviewer.PHARMACIST,
            medicines_in_use=9,
            note="Baxterrol via de apotheek gestart; slaapmiddel afgebouwd.",
            recorded_by=by,
            recorded_at=local_datetime(reviewed_on, 14),
        )
    )
    draft.actions += [
        scenario_action(
            ctx, draft, "Medicijnrol wekelijks nakijken", 3, step_up, goal=first, owner_carer=carer
        ),
        scenario_action(
            ctx,
            draft,
            "Aanmelden voor de dagbesteding op woensdag",
            10,
            step_up,
            goal=second,
            owner_member=ctx.staff[R.WELFARE],
        ),
        scenario_action(
            ctx,
            draft,
            "Huisbezoek: valrisico en hulpmiddelen in huis bekijken",
            -12,
            step_up,
            owner_member=ctx.staff[R.DISTRICT_NURSE],
            done=True,
        ),
    ]
    return draft


def scenario_hops(
    ctx: TeamContext, route: Sequence[str], days_ago: Sequence[int], meeting_at: int
) -> list[Hop]:
    """Hops on fixed days; the hop at index `meeting_at` is taken in a team meeting (if one
    falls after the hop before it)."""
    hops = hops_for(route)
    for hop, ago in zip(hops, days_ago, strict=True):
        hop.day = ctx.today - datetime.timedelta(days=ago)
    hop = hops[meeting_at]
    hop.meeting = ctx.meeting_on_or_before(hop.day)
    if hop.meeting is not None and local_date(hop.meeting.scheduled_for) > hops[meeting_at - 1].day:
        hop.day = local_date(hop.meeting.scheduled_for)
    else:
        hop.meeting = None
    return hops


def scenario_times(
    ctx: TeamContext, hops: Sequence[Hop], actors: Sequence[str], reasons: Sequence[str]
) -> None:
    for index, (hop, role, reason) in enumerate(zip(hops, actors, reasons, strict=True)):
        base = hop.meeting.scheduled_for if hop.meeting else local_datetime(hop.day, 10)
        hop.at = base + datetime.timedelta(minutes=15 + index)
        hop.actor, hop.reason = ctx.staff[role], reason


def scenario_action(
    ctx: TeamContext,
    draft: Draft,
    text: str,
    due_in: int,
    hop: Hop,
    done: bool = False,
    **owner: Any,
) -> AgreedAction:
    action = AgreedAction(
        resident=draft.resident,
        description=text,
        due_on=ctx.today + datetime.timedelta(days=due_in),
        shared_with_carers=bool(draft.carers),
        created_by=draft.resident.coordinator,
        created_at=hop.at + datetime.timedelta(minutes=3),
        meeting=hop.meeting,
        **owner,
    )
    if done:
        action.status = AgreedAction.Status.DONE
        action.done_at = local_datetime(action.due_on - datetime.timedelta(days=1), 15)
        action.done_by = action.owner_member
    return action


def own_goal(draft: Draft, text: str, hop: Hop) -> None:
    """What matters to her, noted by her coordinator just before the care plan's goals."""
    at = hop.at - datetime.timedelta(minutes=4)
    by = draft.resident.coordinator
    draft.own_goals.append(OwnGoal(resident=draft.resident, text=text, noted_by=by, noted_at=at))


def scenario_event(
    ctx: TeamContext, draft: Draft, kind: str, days_ago: int, by: User, note: str
) -> None:
    """An event some days ago, recorded that afternoon."""
    day = ctx.today - datetime.timedelta(days=days_ago)
    draft.events.append(
        OutcomeEvent(
            resident=draft.resident,
            kind=kind,
            occurred_on=day,
            note=note,
            recorded_by=by,
            recorded_at=local_datetime(day, 16, len(draft.events)),
        )
    )
