"""Factories and builders for readable tests."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from faker import Faker

from clients.models import Assessment, Carer, CarerLink, Consent, Resident
from kernteam.models import Meeting, Membership, Team
from kernteam.roles import Role
from steps.models import Goal, Trajectory

# Residents in tests carry these surnames; staff never do, so a page that names a member can
# never pass for a page that names a resident ("Ali Peterse" is not "Peters").
RESIDENT_SURNAMES = (
    "Janssen",
    "Ramakers",
    "Peters",
    "Hendriks",
    "Wouters",
    "Nieuwenhuis",
    "Signaal",
    "Screening",
    "Laag",
    "Evaluatie",
    "Rustig",
    "Urgent",
    "Zorg",
    "Zonder",
    "Beperkt",
    "Verhuisd",
    "Actief",
    "Bewoner",
    "Vraag",
    "Nieuw",
    # surnames tests give residents by hand (and a few staff)
    "Bemelmans",
    "Brouwers",
    "Coenen",
    "Dassen",
    "Dekker",
    "Dorssers",
    "Gulpers",
    "Habets",
    "Hameleers",
    "Heijden",
    "Kessels",
    "Lemmens",
    "Lid",
    "Logman",
    "Maas",
    "Smeets",
    "Veel",
    "Verborgen",
    "Vermeulen",
    "Vos",
    "Vroemen",
    "Weinig",
    "Zwijsen",
)
_staff_names = Faker("nl_NL")


# ... and these first names: a mail or page that greets a member named "Maria" could never pass
# a check that it does not name Maria Janssen.
RESIDENT_FIRST_NAMES = (
    *("Maria", "Jan", "Thea", "Anna", "Mia", "Lotte", "Jo", "Els", "Mantel"),
    *("Anneke", "Gerda", "Hubert", "Jacques", "Lies", "Sjef", "Wiel"),
)


def _unlike(names: tuple[str, ...], make) -> str:
    while True:
        name = make()
        if not any(n.lower() in name.lower() or name.lower() in n.lower() for n in names):
            return name


def staff_last_name() -> str:
    return _unlike(RESIDENT_SURNAMES, _staff_names.last_name)


def staff_first_name() -> str:
    return _unlike(RESIDENT_FIRST_NAMES, _staff_names.first_name)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(staff_first_name)
    last_name = factory.LazyFunction(staff_last_name)
    password = factory.django.Password("kernteam-test")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    name = factory.LazyAttribute(lambda o: f"Kernteam {o.neighbourhood}")
    slug = factory.LazyAttribute(lambda o: o.neighbourhood.lower().replace(" ", "-"))
    neighbourhood = "Daalhof"
    municipality = "Maastricht"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = "poh"


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    salutation = "Mevrouw"
    first_name = "Maria"
    last_name = factory.Sequence(lambda n: f"Janssen{n or ''}")
    date_of_birth = datetime.date(1938, 3, 14)
    neighbourhood = factory.LazyAttribute(lambda o: o.team.neighbourhood)
    gp_practice = "Huisartsenpraktijk Daalhof"

    @factory.post_generation
    def state(self, create, state, **kwargs):
        Trajectory.objects.create(resident=self, state=state or "signalled")


def open_meeting(team: Team, chair) -> Meeting:
    """A meeting in progress since now, chaired by `chair` (its agenda left empty)."""
    now = timezone.now()
    return Meeting.objects.create(
        team=team, scheduled_for=now, status=Meeting.Status.OPEN, chair=chair, opened_at=now
    )


def give_consent(resident: Resident, by, disciplines=tuple(Role.values)) -> Consent:
    """Consent in force from today, for every discipline unless narrowed; it replaces any
    earlier one, as recording it does."""
    from clients.services import record_consent

    return record_consent(
        resident=resident, by=by, given_on=timezone.localdate(), disciplines=list(disciplines)
    )


def score(resident: Resident, instrument: str, value, by) -> Assessment:
    return Assessment.objects.create(
        resident=resident, instrument=instrument, score=value, assessed_by=by
    )


def goal(resident: Resident, by, domain: str = "functional", status: str = "open") -> Goal:
    return Goal.objects.create(
        resident=resident,
        domain=domain,
        description="Veilig thuis blijven wonen",
        created_by=by,
        status=status,
    )


def carer_for(resident: Resident, *, username: str | None = None) -> Carer:
    user = UserFactory(username=username) if username else None
    carer = Carer.objects.create(first_name="Thea", last_name="Ramakers", user=user)
    CarerLink.objects.create(carer=carer, resident=resident, relationship="child")
    return carer
