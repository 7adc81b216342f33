"""The demo region's catalogue of local offers (issue 18 §2): a handful per team's area (a
woonzorgzone or neighbourhood) and a few for the whole region. Providers are real kinds of South
Limburg organisations (PlusWIJken, Trajekt, Envida, Sevagram, Zuyderland, Steunpunt Mantelzorg
Zuid, local Klussendiensten and Tafeltje-dek-je); addresses and phone numbers are made up (the
phone numbers are in the 0xx-555 range that no one answers). Idempotent: an offer is found
again by its area and name."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Sequence

from clients.models import Resident
from demo.data import SCENARIO_TEAM
from demo.helpers import local_date, local_datetime
from kernteam.models import Membership, Team
from kernteam.roles import Role
from steps.models import AgreedAction, StepChange
from steps.referrals import (
    FEEDBACK_WITHIN_DAYS,
    LocalOffer,
    OfferKind,
    Referral,
    ReferralStatus,
    ReferralUpdate,
)
from steps.states import State

# the area code per municipality (the numbers after it are fictional)
AREA_CODE = {
    "Maastricht": "043",
    "Eijsden-Margraten": "043",
    "Vaals": "043",
    "Valkenburg aan de Geul": "043",
    "Gulpen-Wittem": "043",
    "Meerssen": "043",
    "Sittard-Geleen": "046",
    "Beek": "046",
    "Stein": "046",
    "Heerlen": "045",
    "Kerkrade": "045",
    "Landgraaf": "045",
    "Brunssum": "045",
    "Simpelveld": "045",
}

# welfare organisation per municipality (who runs the meeting places and welfare coaches)
WELFARE = {
    "Maastricht": "Trajekt",
    "Eijsden-Margraten": "Trajekt",
    "Vaals": "Trajekt",
    "Valkenburg aan de Geul": "Trajekt",
    "Gulpen-Wittem": "Trajekt",
    "Meerssen": "Trajekt",
    "Sittard-Geleen": "Partners in Welzijn",
    "Beek": "Partners in Welzijn",
    "Stein": "Partners in Welzijn",
    "Heerlen": "Alcander",
    "Kerkrade": "Impuls Kerkrade",
    "Landgraaf": "Alcander",
    "Brunssum": "Alcander",
    "Simpelveld": "Alcander",
}
# the care organisation that delivers meals and day activities
CARE = {"043": "Envida", "046": "Zuyderland", "045": "Sevagram"}

STREETS = ("Kerkstraat", "Dorpstraat", "Pastoor Neujeanstraat", "Molenweg", "Schoolstraat")


def _phone(rng: random.Random, municipality: str) -> str:
    code = AREA_CODE.get(municipality, "043")
    return f"{code} 555 {rng.randint(10, 99)} {rng.randint(10, 99)}"


def team_offers(team: Team) -> list[dict]:
    """The offers of one team's area: deterministic per team."""
    rng = random.Random(f"offers:{team.slug}")
    town = team.neighbourhood
    municipality = team.municipality
    code = AREA_CODE.get(municipality, "043")
    welfare = WELFARE.get(municipality, "Trajekt")
    care = CARE[code]

    def address() -> str:
        return f"{rng.choice(STREETS)} {rng.randint(1, 80)}, {town}"

    return [
        dict(
            name=f"Tafeltje-dek-je {town}",
            kind=OfferKind.MEALS,
            provider=f"{care} Tafeltje-dek-je",
            contact=_phone(rng, municipality),
            address="",
            for_whom="Warme maaltijd aan huis, vijf of zeven dagen per week, voor wie zelf "
            "niet meer (goed) kan koken.",
        ),
        dict(
            name=f"Ontmoetingspunt {town}",
            kind=OfferKind.MEETING_PLACE,
            provider=welfare,
            contact=_phone(rng, municipality),
            address=address(),
            for_whom="Koffie, samen eten en activiteiten op dinsdag en donderdag; voor "
            "ouderen die er graag eens uit willen.",
        ),
        dict(
            name=f"Klussendienst {town}",
            kind=OfferKind.ODD_JOBS,
            provider=f"Klussendienst {town} (vrijwilligers)",
            contact=_phone(rng, municipality),
            address="",
            for_whom="Kleine klussen in en om het huis: lamp ophangen, drempel weg, tuin "
            "bijhouden. Alleen materiaalkosten.",
        ),
        dict(
            name=f"Welzijnscoach {town}",
            kind=OfferKind.WELFARE_COACH,
            provider=welfare,
            contact=_phone(rng, municipality),
            address=address(),
            for_whom="Welzijn op Recept: een coach die meedenkt over zingeving, contacten "
            "en dagbesteding.",
        ),
        dict(
            name=f"Dagbesteding {town}",
            kind=OfferKind.DAY_ACTIVITIES,
            provider=care,
            contact=_phone(rng, municipality),
            address=address(),
            for_whom="Dagbesteding voor ouderen met geheugenproblemen of die veel alleen "
            "zijn; met vervoer. Via de Wmo.",
        ),
        dict(
            name=f"In Balans {town}",
            kind=OfferKind.FALL_PREVENTION,
            provider="Zuyderland fysiotherapie" if code != "043" else "Envida fysiotherapie",
            contact=_phone(rng, municipality),
            address=address(),
            for_whom="Valpreventiecursus in tien lessen voor wie gevallen is of bang is om "
            "te vallen.",
        ),
    ]


REGION_OFFERS = [
    dict(
        name="Steunpunt Mantelzorg Zuid",
        kind=OfferKind.CARER_SUPPORT,
        provider="Steunpunt Mantelzorg Zuid",
        contact="088 555 12 34",
        address="Postbus 555, Heerlen",
        for_whom="Advies, lotgenotencontact en respijtzorg voor mantelzorgers in heel "
        "Zuid-Limburg.",
    ),
    dict(
        name="Personenalarmering",
        kind=OfferKind.PERSONAL_ALARM,
        provider="Zuyderland Zorgcentrale",
        contact="088 555 98 76",
        address="",
        for_whom="Alarmknop om de hals of pols, met opvolging door de zorgcentrale, dag en nacht.",
    ),
    dict(
        name="Welzijn op Recept",
        kind=OfferKind.WELFARE_COACH,
        provider="PlusWIJken",
        contact="088 555 40 00",
        address="",
        for_whom="De huisarts of de POH verwijst naar een welzijnscoach in de eigen wijk; "
        "voor wie klachten heeft die met eenzaamheid of zingeving te maken hebben.",
    ),
    dict(
        name="Odensehuis Zuid-Limburg",
        kind=OfferKind.DAY_ACTIVITIES,
        provider="Stichting Odensehuis",
        contact="043 555 77 11",
        address="Wilhelminasingel 555, Maastricht",
        for_whom="Inloophuis voor mensen met (beginnende) dementie en hun naasten; zonder "
        "indicatie.",
    ),
]


def seed_offers(teams: Sequence[Team], *, created: Counter[str], region_keeper) -> None:
    """Every team's area gets its offers, and the region its own, unless they are there."""
    coordinators = dict(
        Membership.objects.active()
        .filter(team__in=teams, role=Role.COORDINATOR)
        .values_list("team_id", "user_id")
    )
    existing = set(LocalOffer.objects.values_list("team_id", "name"))
    new = []
    for team in teams:
        keeper = coordinators.get(team.pk)
        if keeper is None:
            continue
        for values in team_offers(team):
            if (team.pk, values["name"]) not in existing:
                new.append(LocalOffer(team=team, created_by_id=keeper, **values))
    if region_keeper is not None:
        for values in REGION_OFFERS:
            if (None, values["name"]) not in existing:
                new.append(LocalOffer(team=None, created_by=region_keeper, **values))
    LocalOffer.objects.bulk_create(new)
    created["offer"] += len(new)


# --- referrals ----------------------------------------------------------------------------

# what providers say back, per status the referral ended in
FEEDBACK = {
    ReferralStatus.STARTED: (
        "Is gestart en komt graag; eet goed mee.",
        "Eerste keer geweest, voelde zich welkom. Komt voortaan op dinsdag.",
        "Gestart, wordt opgehaald door de vrijwillige chauffeur.",
        "Intake gehad, start volgende week. Dochter is op de hoogte.",
    ),
    ReferralStatus.REGISTERED: (
        "Aanmelding ontvangen, staat op de wachtlijst (ongeveer vier weken).",
        "Aangemeld; de coach belt voor een kennismaking.",
    ),
    ReferralStatus.DECLINED: (
        "Mevrouw wil (nog) niet: voelt zich er te jong voor.",
        "Past niet: er is geen vervoer op de dagen dat de groep er is.",
    ),
    ReferralStatus.STOPPED: (
        "Na drie keer gestopt: te vermoeiend.",
        "Gestopt na opname in het ziekenhuis; kan later opnieuw.",
    ),
}
REFERRAL_SHARE = 0.2  # about one resident in five in steps 1-3 was referred in the past year


def seed_referrals(ctx) -> int:
    """A year of referrals for one team (`demo.context.TeamContext`): around step-downs and
    otherwise, most with the provider's feedback, some still waiting (on the agenda when six
    weeks have passed). Not to carer support: the demo's carer support follows a carer's score
    (`demo.care`). Each resident once, decided by who she is."""
    team = ctx.team
    referred = set(
        Referral.objects.filter(action__resident__team=team).values_list(
            "action__resident_id", flat=True
        )
    )
    owner = ctx.staff.get(Role.WELFARE) or ctx.staff.get(Role.COORDINATOR)
    offers = [
        o
        for o in LocalOffer.objects.for_team(team).running(ctx.today).order_by("pk")
        if o.kind != OfferKind.CARER_SUPPORT
    ]
    if owner is None or not offers:
        return 0
    residents = list(
        Resident.objects.filter(
            team=team, trajectory__state__in=[State.STEP1, State.STEP2, State.STEP3]
        ).order_by("pk")
    )
    first_day = {}
    for resident_id, at in (
        StepChange.objects.filter(trajectory__resident__team=team)
        .order_by("at", "pk")
        .values_list("trajectory__resident_id", "at")
    ):
        first_day.setdefault(resident_id, local_date(at))
    step_downs = dict(
        StepChange.objects.filter(
            trajectory__resident__team=team, from_state=State.STEP2, to_state=State.STEP1
        ).values_list("trajectory__resident_id", "at")
    )
    made = 0
    late_wanted = team.slug == SCENARIO_TEAM and not referred
    for resident in residents:
        if resident.pk in referred:
            continue
        if team.slug == SCENARIO_TEAM and resident.last_name == "Ramakers":
            # the tour: Thea reads on her phone that her father is registered at the meeting
            # place (shared with the carers; the provider has not answered yet)
            place = next((o for o in offers if o.kind == OfferKind.MEETING_PLACE), offers[0])
            day = ctx.today - datetime.timedelta(days=16)
            rng = random.Random(ctx.key("ramakers"))
            _one_referral(ctx, rng, resident, day, place, owner, shared=True, waiting=True)
            made += 1
            continue
        # (per resident, by who she is: a team topped up later gets the same referrals)
        rng = random.Random(
            ctx.key("referral", resident.first_name, resident.last_name, resident.date_of_birth)
        )
        stepped_down = step_downs.get(resident.pk)
        if stepped_down is None and rng.random() > REFERRAL_SHARE:
            continue
        start = first_day.get(resident.pk, ctx.earliest) + datetime.timedelta(days=1)
        if stepped_down is not None:
            day = local_date(stepped_down) + datetime.timedelta(days=rng.randint(-10, 20))
        else:
            day = ctx.today - datetime.timedelta(days=rng.randint(1, 330))
        day = min(max(day, start, ctx.earliest), ctx.today - datetime.timedelta(days=1))
        if day < start:
            continue
        # the tour: the scenario team's meeting today has one referral without feedback
        late = late_wanted and (ctx.today - day).days > FEEDBACK_WITHIN_DAYS
        _one_referral(ctx, rng, resident, day, rng.choice(offers), owner, waiting=late)
        late_wanted = late_wanted and not late
        made += 1
    ctx.created["referral"] += made
    return made


def _one_referral(
    ctx, rng, resident, day, offer, owner, *, shared: bool | None = None, waiting: bool = False
) -> None:
    """One referral made on `day`; with `waiting`, registered and no feedback yet."""
    age = (ctx.today - day).days
    at = local_datetime(day, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
    registered_after = rng.randint(2, 8)
    if age <= registered_after:
        path = [ReferralStatus.PROPOSED]
        feedback_after = None
    else:
        path = [ReferralStatus.PROPOSED, ReferralStatus.REGISTERED]
        roll = rng.random()
        late = waiting or (age > 42 and roll < 0.2)
        feedback_after = None if late else rng.randint(registered_after + 3, 40)
        if feedback_after is not None and feedback_after >= age:
            feedback_after = None  # still waiting, within six weeks
        if feedback_after is not None:
            path.append(
                rng.choices(
                    [
                        ReferralStatus.STARTED,
                        ReferralStatus.REGISTERED,
                        ReferralStatus.DECLINED,
                        ReferralStatus.STOPPED,
                    ],
                    weights=[60, 15, 15, 10],
                )[0]
            )
    final = path[-1]
    feedback = rng.choice(FEEDBACK[final]) if feedback_after is not None else ""
    feedback_on = day + datetime.timedelta(days=feedback_after) if feedback_after else None
    registered_at = at + datetime.timedelta(days=registered_after, hours=1)
    action = AgreedAction.objects.create(
        resident=resident,
        description=f"{offer.name} ({offer.provider})",
        owner_member=owner,
        due_on=day + datetime.timedelta(days=14),
        status=AgreedAction.Status.DONE if len(path) > 1 else AgreedAction.Status.OPEN,
        shared_with_carers=rng.random() < 0.5 if shared is None else shared,
        created_by=owner,
        created_at=at,
        done_at=registered_at if len(path) > 1 else None,
        done_by=owner if len(path) > 1 else None,
    )
    referral = Referral.objects.create(
        action=action,
        offer=offer,
        status=final,
        feedback=feedback,
        feedback_on=feedback_on,
        referred_on=day,
    )
    updates = [ReferralUpdate(referral=referral, status=path[0], by=owner, at=at)]
    if len(path) > 1:
        updates.append(
            ReferralUpdate(
                referral=referral,
                status=ReferralStatus.REGISTERED,
                by=owner,
                at=registered_at,
                feedback="" if len(path) > 2 or not feedback else feedback,
                feedback_on=None if len(path) > 2 else feedback_on,
            )
        )
    if len(path) > 2:
        updates.append(
            ReferralUpdate(
                referral=referral,
                status=final,
                by=owner,
                at=local_datetime(feedback_on, rng.randint(9, 16)),
                feedback=feedback,
                feedback_on=feedback_on,
            )
        )
    ReferralUpdate.objects.bulk_create(updates)
