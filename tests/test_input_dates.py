"""Every date a user types lies in a sane window, with one rule per field on the model, used
by the web forms, the API and the admin alike; the database refuses a meeting it could not
read back; and odd dates already stored do not break a page. Dates are relative to today."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from clients.models import Assessment, Consent, Resident
from kernteam.models import Meeting, shown_date, years_later
from steps.models import AgreedAction
from tests.factories import ResidentFactory, carer_for, give_consent

DAY = datetime.timedelta(days=1)


def dutch(day: datetime.date) -> str:
    with translation.override("nl"):
        return shown_date(day)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_admin(user):
    user.is_staff = user.is_superuser = True
    user.save()
    return user


# --- meetings ---------------------------------------------------------------------------


def plan(client, daalhof, moment: str):
    client.force_login(daalhof.coordinator)
    return client.post(reverse("meetings", args=[daalhof.team.slug]), {"scheduled_for": moment})


def meeting_window_message(today) -> str:
    first, last = years_later(today, -1), years_later(today, 2)
    return f"De datum van het MDO moet tussen {dutch(first)} en {dutch(last)} liggen."


def test_a_meeting_in_year_one_is_refused_with_a_field_message_and_the_page_renders(
    client, daalhof, today
):
    answer = plan(client, daalhof, "0001-01-01T00:00")
    assert answer.status_code == 200
    assert meeting_window_message(today) in answer.content.decode()
    assert not Meeting.objects.exists()
    assert client.get(reverse("meetings", args=[daalhof.team.slug])).status_code == 200


def test_meetings_are_planned_from_a_year_back_to_two_years_ahead(client, daalhof, today):
    for years, days, planned in [(-1, -1, False), (2, 1, False), (-1, 0, True), (2, 0, True)]:
        day = years_later(today, years) + days * DAY
        answer = plan(client, daalhof, f"{day.isoformat()}T14:00")
        assert Meeting.objects.filter(scheduled_for__date=day).exists() is planned, day
        if not planned:
            assert meeting_window_message(today) in answer.content.decode()


def test_when_only_the_model_refuses_the_form_shows_why(client, daalhof, today, monkeypatch):
    """The form checks the window first; should the model still refuse (say, at midnight
    between the two checks), the page shows the model's message instead of a 500."""
    from frontend.forms import PlanMeetingForm

    monkeypatch.setattr(
        PlanMeetingForm, "clean_scheduled_for", lambda form: form.cleaned_data["scheduled_for"]
    )
    day = years_later(today, 3)
    answer = plan(client, daalhof, f"{day.isoformat()}T14:00")
    assert answer.status_code == 200
    assert meeting_window_message(today) in answer.content.decode()
    assert not Meeting.objects.exists()


def test_the_admin_refuses_a_meeting_outside_the_window(client, daalhof, today):
    client.force_login(make_admin(daalhof.coordinator))
    answer = client.post(
        reverse("admin:kernteam_meeting_add"),
        {
            "team": daalhof.team.pk,
            "scheduled_for_0": "0001-01-01",
            "scheduled_for_1": "14:00",
            "agenda-TOTAL_FORMS": "0",
            "agenda-INITIAL_FORMS": "0",
        },
    )
    assert answer.status_code == 200
    assert meeting_window_message(today) in answer.content.decode()
    assert not Meeting.objects.exists()


def test_the_database_refuses_a_meeting_it_could_not_read_back(daalhof):
    """A CHECK constraint (2000–2100, UTC): on PostgreSQL a year-1 meeting used to be stored
    and then broke every page that listed it."""
    for moment in (
        datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(1999, 12, 31, 12, tzinfo=datetime.UTC),
        datetime.datetime(2100, 1, 1, 12, tzinfo=datetime.UTC),
    ):
        refused = pytest.raises(IntegrityError, match="meeting_scheduled_in_a_readable_range")
        with refused, transaction.atomic():
            Meeting.objects.create(team=daalhof.team, scheduled_for=moment)


def test_a_meeting_planned_long_ago_can_still_be_changed_in_the_admin(client, daalhof, today):
    """The window applies to a date that is typed, not to one the calendar has overtaken."""
    held = years_later(today, -3)
    moment = timezone.make_aware(datetime.datetime.combine(held, datetime.time(14)))
    meeting = Meeting.objects.create(team=daalhof.team, scheduled_for=moment)
    meeting.refresh_from_db()
    meeting.full_clean()  # unchanged: no complaint
    meeting.scheduled_for = moment + DAY
    with pytest.raises(ValidationError, match="moet tussen"):
        meeting.full_clean()


# --- date of birth ------------------------------------------------------------------------


def age_message(today) -> str:
    first = years_later(today, -121) + DAY
    return (
        f"De geboortedatum moet tussen {dutch(first)} en {dutch(years_later(today, -50))} "
        "liggen: een leeftijd van 50 tot 120 jaar."
    )


def test_a_signal_gives_an_age_between_50_and_120(client, daalhof, today):
    client.force_login(daalhof.poh)
    for born, accepted in [
        (years_later(today, -50) + DAY, False),
        (years_later(today, -121), False),
        (datetime.date(1, 1, 1), False),
        (years_later(today, -50), True),
        (years_later(today, -121) + DAY, True),
    ]:
        answer = client.post(
            reverse("board_signal", args=[daalhof.team.slug]),
            {
                "first_name": "Maria",
                "last_name": "Nieuw",
                "date_of_birth": born.isoformat(),
                "reason": "Valt vaak",
            },
        )
        assert Resident.objects.filter(date_of_birth=born).exists() is accepted, born
        if not accepted:
            assert age_message(today) in answer.content.decode()


def test_the_api_refuses_an_age_outside_the_range_by_field(daalhof, today):
    body = {"team": "daalhof", "first_name": "Maria", "last_name": "Nieuw", "reason": "Valt"}
    answer = api(daalhof.poh).post(
        "/api/v1/residents/", {**body, "date_of_birth": "0001-01-01"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"date_of_birth": [age_message(today)]}


def test_the_admin_refuses_a_typed_date_of_birth_but_keeps_a_stored_one(client, daalhof, today):
    resident = ResidentFactory(team=daalhof.team, date_of_birth=datetime.date(1, 1, 1))
    client.force_login(make_admin(daalhof.gp))
    url = reverse("admin:clients_resident_change", args=[resident.pk])
    form = {
        "salutation": "Mevrouw",
        "first_name": "Maria",
        "last_name": resident.last_name,
        "neighbourhood": "Daalhof",
        "gp_practice": "",
        "coordinator": "",
        "carer_links-TOTAL_FORMS": "0",
        "carer_links-INITIAL_FORMS": "0",
    }
    kept = client.post(url, {**form, "date_of_birth": "0001-01-01", "first_name": "Marie"})
    assert kept.status_code == 302  # an odd stored date does not block other changes
    refused = client.post(url, {**form, "date_of_birth": "0002-01-01"})
    assert refused.status_code == 200 and age_message(today) in refused.content.decode()
    resident.refresh_from_db()
    assert (resident.first_name, resident.date_of_birth) == ("Marie", datetime.date(1, 1, 1))


# --- assessments, consent, actions --------------------------------------------------------


@pytest.fixture
def resident(daalhof):
    subject = ResidentFactory(team=daalhof.team, state="step2")
    give_consent(subject, daalhof.poh)
    return subject


def test_an_assessment_is_not_dated_long_before_the_resident_was_signalled(
    client, daalhof, resident, today
):
    first = years_later(timezone.localdate(resident.created_at), -5)
    message = (
        f"De datum van de meting ligt vóór {dutch(first)}, vijf jaar voordat de bewoner werd "
        "gesignaleerd."
    )
    url = f"/api/v1/residents/{resident.pk}/assessments/"
    old = {"instrument": "gfi", "score": 6, "assessed_on": (first - DAY).isoformat()}
    answer = api(daalhof.poh).post(url, old, format="json")
    assert answer.status_code == 400 and answer.json() == {"assessed_on": [message]}
    client.force_login(daalhof.poh)
    web = client.post(reverse("resident_add", args=[resident.pk, "assessment"]), old)
    assert message in web.content.decode()
    assert not Assessment.objects.filter(resident=resident).exists()
    made = api(daalhof.poh).post(url, {**old, "assessed_on": first.isoformat()}, format="json")
    assert made.status_code == 201


def test_consent_older_than_two_years_is_refused(client, daalhof, resident, today):
    first = years_later(today, -2)
    client.force_login(daalhof.poh)
    answer = client.post(
        reverse("resident_add", args=[resident.pk, "consent"]),
        {"given_on": (first - DAY).isoformat(), "disciplines": ["gp", "poh"]},
    )
    assert (
        f"Toestemming van vóór {dutch(first)} is te oud om op te vertrouwen: vraag het de "
        "bewoner opnieuw." in answer.content.decode()
    )
    assert Consent.objects.filter(resident=resident).count() == 1  # only the one from before


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (
            lambda t: t - DAY,
            lambda t: "De datum “uiterlijk op” ligt in het verleden: kies vandaag of later.",
        ),
        (
            lambda t: years_later(t, 5) + DAY,
            lambda t: f"De datum “uiterlijk op” moet tussen {dutch(t)} en "
            f"{dutch(years_later(t, 5))} liggen.",
        ),
    ],
)
def test_an_action_is_due_from_today_to_five_years_ahead(
    client, daalhof, resident, today, due, message
):
    body = {"description": "Bellen", "owner_member": daalhof.poh.pk, "due_on": due(today)}
    answer = api(daalhof.poh).post(
        f"/api/v1/residents/{resident.pk}/actions/",
        {**body, "due_on": due(today).isoformat()},
        format="json",
    )
    assert answer.status_code == 400 and answer.json() == {"due_on": [message(today)]}
    client.force_login(daalhof.poh)
    web = client.post(
        reverse("resident_add", args=[resident.pk, "action"]),
        {"description": "Bellen", "owner": f"m{daalhof.poh.pk}", "due_on": due(today)},
    )
    assert message(today) in web.content.decode()
    assert not AgreedAction.objects.exists()


def test_an_overdue_action_can_still_be_edited_in_the_admin(client, daalhof, resident, today):
    action = AgreedAction.objects.create(
        resident=resident,
        description="Bellen",
        owner_member=daalhof.poh,
        due_on=today - 30 * DAY,
        created_by=daalhof.poh,
    )
    client.force_login(make_admin(daalhof.gp))
    url = reverse("admin:steps_agreedaction_change", args=[action.pk])
    form = {
        "resident": resident.pk,
        "description": "Bellen over de thuiszorg",
        "owner_member": daalhof.poh.pk,
        "due_on": action.due_on.isoformat(),
    }
    assert client.post(url, form).status_code == 302
    refused = client.post(url, {**form, "due_on": (today - DAY).isoformat()})
    assert "De datum “uiterlijk op” ligt in het verleden" in refused.content.decode()


# --- odd values already stored --------------------------------------------------------------


def test_odd_dates_already_stored_render_but_cannot_be_typed_again(client, daalhof, today):
    """Stored before these rules (or by SQL): year 1 and year 9999 still render, on the web,
    in the API, the FHIR export, the admin and the carer's portal; typed again, they are
    refused."""
    odd = ResidentFactory(team=daalhof.team, state="step2", date_of_birth=datetime.date(1, 1, 1))
    give_consent(odd, daalhof.poh)
    Consent.objects.filter(resident=odd).update(given_on=datetime.date(1, 1, 1))
    carer = carer_for(odd, username="thea")
    for due in (datetime.date(1, 1, 1), datetime.date(9999, 12, 31)):
        AgreedAction.objects.create(
            resident=odd,
            description="Bellen",
            owner_carer=carer,
            shared_with_carers=True,
            due_on=due,
            created_by=daalhof.gp,
        )
    Assessment.objects.create(resident=odd, instrument="gfi", score=6, assessed_by=daalhof.poh)
    Assessment.objects.filter(resident=odd).update(assessed_on=datetime.date(1, 1, 1))
    client.force_login(make_admin(daalhof.gp))
    for url in (
        reverse("board", args=["daalhof"]),
        reverse("resident", args=[odd.pk]),
        f"/api/v1/residents/{odd.pk}/",
        f"/api/v1/residents/{odd.pk}/actions/",
        f"/api/v1/residents/{odd.pk}/assessments/",
        f"/api/v1/residents/{odd.pk}/fhir/",
        "/kpi/",
        reverse("admin:clients_resident_changelist"),
        reverse("admin:clients_resident_change", args=[odd.pk]),
        reverse("admin:steps_agreedaction_changelist"),
        reverse("admin:clients_assessment_changelist"),
        reverse("admin:clients_consent_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    action = AgreedAction.objects.filter(resident=odd).first()
    action.due_on = datetime.date(9999, 12, 30)
    with pytest.raises(ValidationError, match="De datum “uiterlijk op” moet tussen"):
        action.full_clean()
    client.force_login(carer.user)
    assert client.get(reverse("carer_portal")).status_code == 200


def test_a_carer_link_or_membership_does_not_end_before_it_began(daalhof, today):
    """Admin-only dates: a carer's link and a team membership."""
    link = carer_for(ResidentFactory(team=daalhof.team)).links.get()
    link.ended_on = link.since - DAY
    with pytest.raises(ValidationError) as refused:
        link.full_clean()
    assert refused.value.message_dict["ended_on"] == [
        f"De koppeling kan niet eindigen voordat ze begon ({dutch(link.since)})."
    ]
    link.ended_on, link.since = None, today + DAY
    with pytest.raises(ValidationError, match="De datum ligt in de toekomst"):
        link.full_clean()
    membership = daalhof.team.memberships.first()
    membership.ended_on = membership.started_on - DAY
    with pytest.raises(ValidationError) as refused:
        membership.full_clean()
    assert refused.value.message_dict["ended_on"] == [
        f"Het lidmaatschap kan niet eindigen voordat het begon ({dutch(membership.started_on)})."
    ]
